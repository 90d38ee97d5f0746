"""Sending email: real SMTP, or .eml files in a folder for development.

A failure says whether trying again can help: a mail server that is down, slow, or answers
4xx ("try later") may take the mail later; one that refuses it with 5xx on the recipient or
the content, or an address that cannot be written, will refuse it every time.
"""

import smtplib
import uuid
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from flask import current_app


class MailError(Exception):
    """The message could not be handed to the mail server.

    permanent: the server refused this mail for good (5xx on its recipient or content, or
    an invalid address): trying again would only be refused again.
    server: the server failed, not this mail (unreachable, silent, refusing the shop's sender
    or login): the mails after it would fail alike.
    """

    def __init__(self, message, permanent=False, server=False):
        super().__init__(message)
        self.permanent = permanent
        self.server = server


def mail_domain():
    """The domain of Message-IDs: the shop's public host name (PUBLIC_URL)."""
    return urlsplit(current_app.config.get("PUBLIC_URL") or "").hostname or "localhost"


def message_id(unique):
    """A Message-ID at the shop's domain; `unique` makes it this mail's (stable across retries)."""
    return f"<{unique}@{mail_domain()}>"


def date_header(moment):
    """An RFC 5322 Date for an aware datetime."""
    return format_datetime(moment)


def check_address(address):
    """Raise a permanent MailError for a recipient no server could accept."""
    try:
        validate_email(address or "", check_deliverability=False)
    except EmailNotValidError as exc:
        raise MailError(f"Invalid address {address!r}: {exc}", permanent=True) from exc


def _is_permanent(exc):
    """5xx on the recipient (RCPT) or the content (DATA): this mail will never be taken.

    A refused sender or login (SMTPSenderRefused, SMTPAuthenticationError) is the shop's own
    configuration, the same for every mail: kept as temporary so that mails wait for the fix.
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in exc.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(exc, smtplib.SMTPDataError):
        return 500 <= exc.smtp_code < 600
    return False


def _is_server_failure(exc):
    """The server failed the shop rather than this mail (down, silent, refusing the shop's sender
    or login): every other mail would fail alike."""
    return not isinstance(exc, (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError))


def _describe(exc):
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{address}: {code} {message.decode(errors='replace') if isinstance(message, bytes) else message}"
            for address, (code, message) in exc.recipients.items()
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error
        text = error.decode(errors="replace") if isinstance(error, bytes) else str(error)
        return f"{exc.smtp_code} {text}"
    return str(exc) or type(exc).__name__


def deliver(message):
    """Hand one message to the mail server (or write it to a file); raise MailError."""
    config = current_app.config
    if config["MAIL_BACKEND"] == "file":
        folder = Path(config["MAIL_FILE_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{uuid.uuid4().hex}.eml"
        path.write_bytes(bytes(message))
        current_app.logger.info("Mail to %s written to %s", message["To"], path)
        return
    try:
        with smtplib.SMTP(
            config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"]
        ) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls()
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(
            _describe(exc), permanent=_is_permanent(exc), server=_is_server_failure(exc)
        ) from exc
