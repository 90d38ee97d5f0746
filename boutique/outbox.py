"""The outbox: mails are rows written in the business transaction, delivered afterwards.

A mail server that is down delays mails; it never loses an order or a mail (DESIGN rule 6).
A mail the server refuses for good (5xx, invalid address), or that still fails after the
last try, is "non distribué": staff see it on /gestion/mails with the customer's phone, and
send it again or mark it as dealt with.
"""

from datetime import timedelta
from email.message import EmailMessage

from flask import current_app, g, render_template
from flask_babel import force_locale
from sqlalchemy import func, select

from .claims import claim
from .extensions import db
from .formatting import babel_locale
from .mail import MailError, check_address, date_header, deliver, message_id
from .models import Order, OutboxMessage, utcnow

# Minutes to wait after the 1st, 2nd, ... failure; then it stays on the last delay.
RETRY_DELAYS = (1, 5, 15, 60, 180, 720)
MAX_ATTEMPTS = 12
CLAIM_SECONDS = 120


def queue_email(to, subject, template, locale="fr", order=None, attachments=(), **context):
    """Render a mail in the recipient's language and add it to the outbox (no sending here).

    attachments: (filename, content_type, text) triples, e.g. an .ics invitation.
    """
    with force_locale(babel_locale(locale)):
        message = OutboxMessage(
            recipient=to,
            subject=str(subject),
            body_text=render_template(f"email/{template}.txt", order=order, **context),
            body_html=render_template(f"email/{template}.html", order=order, **context),
            order_id=order.id if order is not None else None,
            next_attempt_at=utcnow(),
            attachments=[
                {"filename": name, "content_type": content_type, "content": content}
                for name, content_type, content in attachments
            ],
        )
    db.session.add(message)
    g.outbox_has_mail = True
    return message


def _as_email(row, now):
    """The mail of an outbox row, as sent at `now`.

    Date is the time it is handed to the server, not when it was written: a mail delayed by
    an outage would otherwise arrive dated days ago, sorted below newer mail and scored as
    spam. Its Message-ID is the row's, the same at every try, at the shop's public domain.
    """
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = row.recipient
    message["Subject"] = row.subject
    message["Date"] = date_header(now)
    message["Message-ID"] = message_id(f"outbox.{row.id}.{row.created_at:%Y%m%d%H%M%S%f}")
    message.set_content(row.body_text)
    message.add_alternative(row.body_html, subtype="html")
    for attachment in row.attachments or []:
        maintype, subtype = attachment["content_type"].split("/", 1)
        message.add_attachment(
            attachment["content"].encode(),
            maintype=maintype,
            subtype=subtype,
            filename=attachment["filename"],
        )
    return message


def _built(row):
    """The row's mail; one that cannot be written (a line break in a header) never will be."""
    try:
        return _as_email(row, utcnow())
    except (ValueError, TypeError) as exc:
        raise MailError(f"The mail cannot be written: {exc}", permanent=True) from exc


def send_due(limit=50, now=None, stop=None):
    """Deliver the mails that are due; commits after each one. Returns (sent, failed).

    stop: a threading.Event; once set, no further mail is started (the worker is stopping).
    """
    now = now or utcnow()
    due_ids = db.session.scalars(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.failed_at.is_(None),
            OutboxMessage.next_attempt_at <= now,
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    db.session.commit()
    sent = failed = 0
    for row_id in due_ids:
        if stop is not None and stop.is_set():
            break
        if not claim(OutboxMessage, row_id, OutboxMessage.sent_at, CLAIM_SECONDS, now):
            continue  # another sender has it
        row = db.session.get(OutboxMessage, row_id)
        try:
            check_address(row.recipient)
            deliver(_built(row))
        except MailError as error:
            _note_failure(row, error, now)
            failed += 1
            server_failed = error.server
        else:
            row.attempts += 1
            row.sent_at = utcnow()
            row.last_error = ""
            sent += 1
            server_failed = False
        db.session.commit()
        if server_failed:
            # Down or silent: each other mail would wait MAIL_TIMEOUT and fail alike, holding up
            # the worker's other duties; they stay due for the next round.
            break
    return sent, failed


def _note_failure(row, error, now):
    """Schedule the next try, or give up at once (permanent) or after the last try."""
    row.attempts += 1
    row.last_error = str(error)[:500]
    row.claimed_until = None
    if error.permanent or row.attempts >= MAX_ATTEMPTS:
        row.failed_at = utcnow()
        current_app.logger.error(
            "Outbox mail %s to %s not delivered (%s, attempt %s), listed for staff: %s",
            row.id,
            row.recipient,
            "refused for good" if error.permanent else "last try",
            row.attempts,
            row.last_error,
        )
        return
    delay = RETRY_DELAYS[min(row.attempts, len(RETRY_DELAYS)) - 1]
    row.next_attempt_at = now + timedelta(minutes=delay)
    current_app.logger.warning(
        "Outbox mail %s not sent (attempt %s, next at %s): %s",
        row.id,
        row.attempts,
        row.next_attempt_at.isoformat(timespec="minutes"),
        row.last_error,
    )


# --- Undelivered mails (staff) and backlog (/healthz) ------------------------------------------


def _undelivered():
    return (
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.failed_at.is_not(None),
        OutboxMessage.dismissed_at.is_(None),
    )


def undelivered_count():
    return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(*_undelivered()))


def undelivered_mails(limit=200):
    """[(mail, order number or None, customer's phone or None)], most recent failure first."""
    return db.session.execute(
        select(OutboxMessage, Order.number, Order.phone)
        .outerjoin(Order, Order.id == OutboxMessage.order_id)
        .where(*_undelivered())
        .order_by(OutboxMessage.failed_at.desc(), OutboxMessage.id.desc())
        .limit(limit)
    ).all()


def resend(message, now=None):
    """Put an undelivered mail back in the queue, with all its tries again. False if it is not
    undelivered any more (already sent again, or dealt with)."""
    if message.failed_at is None or message.sent_at is not None:
        return False
    message.attempts = 0
    message.failed_at = None
    message.dismissed_at = None
    message.claimed_until = None
    message.next_attempt_at = now or utcnow()
    g.outbox_has_mail = True
    return True


def dismiss(message, now=None):
    """Mark an undelivered mail as dealt with (the customer was told another way): off the list."""
    if message.failed_at is None or message.dismissed_at is not None:
        return False
    message.dismissed_at = now or utcnow()
    return True


def backlog(now=None):
    """What waits in the outbox: {due, retrying, undelivered, oldest_due_seconds}, one query.

    due: to send now; retrying: failed, tried again later; oldest_due_seconds: how long the
    oldest due mail has been waiting for a sender (a worker that does not run shows here).
    """
    now = now or utcnow()
    unsent = OutboxMessage.sent_at.is_(None) & OutboxMessage.failed_at.is_(None)
    due = unsent & (OutboxMessage.next_attempt_at <= now)
    due_count, retrying, undelivered, oldest_due = db.session.execute(
        select(
            func.count().filter(due),
            func.count().filter(unsent & (OutboxMessage.next_attempt_at > now)),
            func.count().filter(
                OutboxMessage.failed_at.is_not(None) & OutboxMessage.dismissed_at.is_(None)
            ),
            func.min(OutboxMessage.next_attempt_at).filter(due),
        ).where(OutboxMessage.sent_at.is_(None))
    ).one()
    return {
        "due": due_count,
        "retrying": retrying,
        "undelivered": undelivered,
        "oldest_due_seconds": int((now - oldest_due).total_seconds()) if oldest_due else 0,
    }


def run_worker(stop, limit=50, poll_seconds=5, report=None, also=None):
    """Send the mails as they fall due, round after round, until `stop` (an Event) is set.

    A round that fails (database unreachable) is logged and tried again after the pause;
    after a full round the next one starts at once. report(sent, failed) after each round
    that sent or failed something. also() runs after the mails of each round (the background
    documents) and returns how many things it did.
    """
    while not stop.is_set():
        others = 0
        try:
            sent, failed = send_due(limit=limit, stop=stop)
            if also is not None:
                others = also()
        except Exception:  # the worker outlives a database restart
            db.session.rollback()
            current_app.logger.exception("Outbox worker: this round failed, trying again")
            sent = failed = 0
        finally:
            db.session.remove()  # no connection held while sleeping
        if (sent or failed) and report is not None:
            report(sent, failed)
        if sent + failed < limit and not others:
            stop.wait(poll_seconds)


def send_after_response(response):
    """Try to deliver what this request queued, once the response has gone.

    Only where OUTBOX_SEND_AFTER_RESPONSE is on (development): in production the worker's
    thread would wait on the SMTP server, and `flask outbox worker` does the sending.
    """
    if not g.get("outbox_has_mail") or not current_app.config["OUTBOX_SEND_AFTER_RESPONSE"]:
        return response
    app = current_app._get_current_object()

    def send():
        with app.app_context():
            try:
                send_due(limit=20)
            except Exception:  # never let a mail problem surface in a request
                app.logger.exception("Outbox delivery after request failed")

    response.call_on_close(send)
    return response
