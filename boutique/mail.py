"""Sending email: real SMTP, or .eml files in a folder for development."""

import smtplib
import uuid
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app, render_template


class MailError(Exception):
    """The message could not be handed to the mail server."""


def build_message(to, subject, template, **context):
    """Render templates/email/<template>.txt and .html into one message."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="lapepiniere.example")
    message.set_content(render_template(f"email/{template}.txt", **context))
    message.add_alternative(render_template(f"email/{template}.html", **context), subtype="html")
    return message


def deliver(message):
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
        raise MailError(str(exc)) from exc


def send_email(to, subject, template, **context):
    deliver(build_message(to, subject, template, **context))
