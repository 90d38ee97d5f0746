"""An order's history and the mails that tell its customer about it.

Everything that moves an order (ordering, payments, pick-up, handover) writes its line in the
history and queues its mail here. This module depends only on the models and the outbox, so
those features import it without importing each other.
"""

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .extensions import db
from .formatting import babel_locale
from .links import public_url
from .models import OrderEvent, OutboxMessage
from .outbox import queue_email
from .pricing import order_totals

# The actor of moves nobody clicked: expiry, captures and refunds made by the shop itself.
SYSTEM = "système"


def record(order, actor, action, **details):
    """Add a line to the order's audit log (actor: a user, None for a guest, or SYSTEM)."""
    if isinstance(actor, str):
        label, actor = actor, None
    elif actor is None:
        label = "client"
    elif actor.works_at_gate:  # the team, gate included
        label = actor.email
    else:
        label = f"client ({actor.email})"
    event = OrderEvent(
        order=order,
        actor_id=actor.id if actor else None,
        actor_label=label,
        action=action,
        details=details,
    )
    db.session.add(event)
    return event


MAIL_SUBJECTS = {
    "order_received": _l("Commande %(number)s reçue"),
    "order_confirmed": _l("Commande %(number)s confirmée"),
    "order_changed": _l("Commande %(number)s modifiée"),
    "order_cancelled": _l("Commande %(number)s annulée"),
    "order_expired": _l("Commande %(number)s non payée : annulée"),
    "order_payment_late": _l("Commande %(number)s : paiement arrivé trop tard, rien n'est débité"),
    "pickup_schedule": _l("Retrait de votre commande %(number)s"),
    "pickup_reminder": _l("Rappel : retrait de votre commande %(number)s demain"),
    "order_pay_to_keep": _l("Commande %(number)s non payée : payez-la pour la garder"),
    "standing_placed": _l("Commande %(number)s passée pour vous (commande récurrente)"),
    "group_closed": _l("Commande groupée %(number)s : close, voici le récapitulatif"),
    "group_lowered": _l("Commande groupée %(number)s : quantités baissées"),
}


def order_url(order):
    """The order page's secret link, at the shop's public address (never the request's host)."""
    return public_url("ordering.order_page", token=order.access_token)


# Mails an order may get again and again (each change, each new slot). Every other order mail
# tells a move that happens once (received, confirmed, cancelled, expired, reminded).
REPEATABLE_MAILS = frozenset({"order_changed", "pickup_schedule", "group_lowered"})


def mail_customer(order, template, attachments=(), **context):
    """Queue a mail to the order's customer; a one-time mail at most once (rule 10).

    The move a one-time mail tells is itself guarded (lock_order and the order's status), and
    a unit of work run again is rolled back whole first: this check is the fence for a path
    that records the same move twice (a webhook and the payment return, a retry after a lost
    answer). A check rather than a unique key on the outbox: a duplicate then costs only the
    second mail, where a constraint would abort the transaction carrying the order's move.
    """
    if not order.email:  # a phone order from someone without an address: staff call them
        return None
    subject = _LazySubject(MAIL_SUBJECTS[template], order.number)
    if template not in REPEATABLE_MAILS and _already_queued(order, subject):
        return None
    return queue_email(
        order.email,
        subject,
        template,
        locale=order.locale,
        order=order,
        attachments=attachments,
        link=order_url(order),
        totals=order_totals(order),
        **context,
    )


def _already_queued(order, subject):
    """Is this mail among the order's outbox rows? Its subject, in the customer's language,
    names both the template and the order (one query)."""
    with force_locale(babel_locale(order.locale)):
        text = str(subject)
    return (
        db.session.scalar(
            select(OutboxMessage.id)
            .where(OutboxMessage.order_id == order.id, OutboxMessage.subject == text)
            .limit(1)
        )
        is not None
    )


class _LazySubject:
    """Formats the subject when the outbox renders it, in the customer's language."""

    def __init__(self, lazy, number):
        self.lazy, self.number = lazy, number

    def __str__(self):
        return str(self.lazy) % {"number": self.number}
