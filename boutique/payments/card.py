"""Card payments: authorise at checkout, capture the final amount, refund what is given back.

The order's life (ordering/services.py) says *what* the card should end up as: nothing held
while the order is open, the final total once confirmed, nothing once cancelled. It marks the
card `settle_due` when that changes; `settle` then makes the one Stripe call that gets there.
Stripe calls happen after the order's move is committed, never while its row is locked.

Webhook events only move a card forward, and what they say is re-read from Stripe.
"""

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import CardPayment, Order, Payment, PickupSlot, WebhookEvent, utcnow
from ..pricing import order_totals
from .gateway import CheckoutRequest, PaymentGatewayError

HANDLED_EVENTS = (
    "checkout.session.completed",
    "checkout.session.expired",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "payment_intent.amount_capturable_updated",
    "charge.refunded",
)
# Stripe intent status → our card status.
INTENT_STATUSES = {
    "requires_payment_method": "failed",
    "requires_capture": "authorised",
    "succeeded": "captured",
    "canceled": "cancelled",
}
# States only move forward: a late or repeated event never undoes a later one.
RANK = {"open": 0, "failed": 0, "authorised": 1, "captured": 2, "cancelled": 2}
SETTLED_STATUSES = ("confirmed", "ready", "collected", "no_show")
# Stripe refuses a Checkout Session that expires in less than 30 minutes.
MIN_SESSION_MINUTES = 31
# Time left for a late webhook after the payment page closed.
HOLD_GRACE = timedelta(minutes=5)


class CardError(ValueError):
    """A card action cannot be done; the message is for the person who asked."""


# --- Checkout ------------------------------------------------------------------------------------


def hold_until(now):
    """When a card order placed now stops holding its stock and slot."""
    minutes = max(current_app.config["PAYMENT_HOLD_MINUTES"], MIN_SESSION_MINUTES)
    return now + timedelta(minutes=minutes) + HOLD_GRACE


def start_checkout(order, gateway, success_url, cancel_url, now=None):
    """The payment page's address for this order, opening a Checkout Session if needed.

    A session already opened is reused: the customer comes back to the same page, the hold
    is never extended.
    """
    now = now or utcnow()
    if order.status != "pending_payment":
        raise CardError(_("Cette commande n'attend pas de paiement."))
    if order.hold_expires_at is None or order.hold_expires_at <= now:
        raise CardError(_("Le délai de paiement de cette commande est dépassé."))
    card = order.card
    if card is not None and card.session_url:
        return card.session_url
    amount = order_totals(order).gross_cents
    if card is None:
        card = CardPayment(order=order, amount_requested_cents=amount)
        db.session.add(card)
    # The first session failed (Stripe unreachable): Stripe wants 30 minutes at least, so a
    # retry holds the order that long again. Only while no payment page exists.
    order.hold_expires_at = max(order.hold_expires_at, hold_until(now))
    session_id, url = gateway.start_checkout(
        CheckoutRequest(
            order_id=order.id,
            order_number=order.number,
            amount_cents=amount,
            email=order.email,
            locale=order.locale,
            success_url=success_url,
            cancel_url=cancel_url,
            expires_at=order.hold_expires_at - HOLD_GRACE,
        )
    )
    card.session_id, card.session_url = session_id, url
    db.session.flush()
    return url


# --- What Stripe says ----------------------------------------------------------------------------


def _move(card, status):
    """Move the card forward; False when Stripe's state is not ahead of ours."""
    if status == card.status or RANK[status] < RANK[card.status]:
        return False
    if RANK[status] == RANK[card.status] and RANK[status] > 0:
        return False  # captured and cancelled are both ends
    card.status = status
    return True


def apply_intent(card, state, now=None):
    """Bring the card (and its order) up to what Stripe says of the PaymentIntent."""
    from ..ordering import services as ordering

    now = now or utcnow()
    if card.intent_id is None:
        card.intent_id = state.id
    elif card.intent_id != state.id:
        card.problem = "other_intent"
        return "other_intent"
    status = INTENT_STATUSES.get(state.status)
    if status is None or not _move(card, status):
        return "unchanged"
    order = card.order
    if status == "failed":
        card.last_error = "card_declined"
        return "failed"
    if status == "authorised":
        card.amount_authorised_cents = state.amount
        card.authorised_at = now
        if state.amount != card.amount_requested_cents:
            card.problem = "amount_mismatch"
        _place_or_give_back(card, state.amount)
        return "authorised"
    if status == "captured":
        amount = state.amount_received or card.amount_authorised_cents or state.amount
        _record_capture(card, amount)
        _place_or_give_back(card, state.amount)
        card.settle_due = True  # a later change may owe a refund
        return "captured"
    # cancelled: the authorisation lapsed or was released.
    if order.status == "pending_payment":
        ordering.expire_order(order, reason="card_cancelled")
    elif order.is_open or (target_cents(order) or 0) > 0:
        card.problem = "authorisation_cancelled"
        ordering.record(order, ordering.SYSTEM, "card_authorisation_cancelled")
    return "cancelled"


def _place_or_give_back(card, amount):
    """The card is paid: place its order, or, if the order ran out of time meanwhile, give
    the money back (settle releases or refunds it)."""
    from ..ordering import services as ordering

    order = card.order
    if order.status == "pending_payment" and ordering.mark_paid_by_card(order, amount):
        return
    if order.status in ("cancelled", "expired"):
        card.settle_due = True


def _record_card_payment(card, amount, reference):
    """A capture (positive) or a refund (negative), once per Stripe id."""
    if amount and not _payment_exists(reference):
        db.session.add(
            Payment(order=card.order, method="card", amount_cents=amount, reference=reference)
        )


def _record_capture(card, amount):
    if amount > 0:
        _record_card_payment(card, amount, card.intent_id)


def _payment_exists(reference):
    return db.session.scalar(select(Payment.id).where(Payment.reference == reference)) is not None


def apply_refunds(card, refunds):
    """Record the refunds Stripe lists that the shop did not make (the Stripe dashboard).

    Each refund is recorded under its Stripe id, as `settle` records its own: the unique
    reference keeps one row per refund whichever path sees it first.
    """
    unrecorded = unrecorded_refunds(card, refunds)
    for refund in unrecorded:
        _record_card_payment(card, -refund.amount, refund.id)
    return "refund_recorded" if unrecorded else "unchanged"


def unrecorded_refunds(card, refunds):
    """Among Stripe's refunds of the card (oldest first), those the shop has no row for."""
    recorded = {p.reference for p in card.order.payments if p.reference}
    unrecorded = [r for r in refunds if r.id not in recorded and r.status != "failed"]
    # Before Stripe's 2025-03-31 API (and in localstripe) a partial capture lists the
    # uncaptured rest as the first refund: that money was never taken.
    rest = (card.amount_authorised_cents or 0) - card_net(card, refunds=False)
    if rest > 0 and refunds and refunds[0].amount == rest and refunds[0] in unrecorded:
        unrecorded.remove(refunds[0])
    return unrecorded


def card_net(card, refunds=True):
    """What the card payments of the order add up to (captured minus refunded)."""
    return sum(
        p.amount_cents
        for p in card.order.payments
        if p.method == "card" and (refunds or not p.is_refund)
    )


PROBLEMS = {
    "amount_mismatch": _l(
        "Montant autorisé différent du montant demandé : vérifiez avant de débiter."
    ),
    "authorisation_cancelled": _l("Autorisation de carte annulée : à encaisser au retrait."),
    "capture_failed": _l("Le débit de la carte a échoué : il sera relancé."),
    "above_authorised": _l("Montant final supérieur à l'autorisation : débit refusé."),
    "other_intent": _l("Un autre paiement Stripe se rapporte à cette commande."),
}


def problem_text(card):
    """The staff-facing sentence for the card's problem code."""
    return str(PROBLEMS.get(card.problem, ""))


# --- Webhook events ------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventOutcome:
    outcome: str
    order_id: int | None = None


def handle_event(event, gateway, now=None):
    """Apply a verified Stripe event once; returns what it did (for the log and the tests).

    The event is stored under its id with its effect: a duplicate finds it and does nothing.
    What the event says of a payment is re-read from Stripe first.
    """
    now = now or utcnow()
    kind = event.get("type")
    if kind not in HANDLED_EVENTS:
        return EventOutcome("ignored")
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not _well_formed(event.get("id"), obj):
        return EventOutcome("malformed")
    if db.session.get(WebhookEvent, event["id"]) is not None:
        return EventOutcome("duplicate")
    card, state, refunds = _find(kind, obj, gateway)
    stored = WebhookEvent(id=event["id"], type=kind, order_id=card.order_id if card else None)
    db.session.add(stored)
    if card is None:
        stored.outcome = "unknown_payment"
        db.session.flush()
        return EventOutcome(stored.outcome)
    if state is not None:
        stored.outcome = apply_intent(card, state, now)
    if refunds is not None:
        stored.outcome = apply_refunds(card, refunds)
    if kind == "checkout.session.expired" and card.status in ("open", "failed"):
        from ..ordering import services as ordering

        if card.order.status == "pending_payment":
            ordering.expire_order(card.order, reason="payment_page_expired")
        stored.outcome = "expired"
    stored.outcome = stored.outcome or "unchanged"
    db.session.flush()
    return EventOutcome(stored.outcome, card.order_id)


def _is_id(value):
    return isinstance(value, str) and 0 < len(value) <= 255


def _well_formed(event_id, obj):
    """Stripe's shape: a string id and an object with a string id (else: acknowledged, unused)."""
    if not _is_id(event_id) or not isinstance(obj, dict) or not _is_id(obj.get("id")):
        return False
    intent = obj.get("payment_intent")
    return intent is None or _is_id(intent)


def _find(kind, obj, gateway):
    """The card an event is about, with the intent (and refunds) re-read from Stripe.

    Every Stripe call happens here, before the event writes anything: no lock is held
    while Stripe answers.
    """
    refunds = None
    if kind.startswith("checkout.session."):
        card = db.session.scalar(select(CardPayment).where(CardPayment.session_id == obj["id"]))
        intent_id = obj.get("payment_intent") or (card.intent_id if card else None)
    elif kind.startswith("charge."):
        intent_id, card = gateway.charge(obj["id"]).intent_id, None
        refunds = gateway.refunds(intent_id) if intent_id else None
    else:
        intent_id, card = obj["id"], None
    if not _is_id(intent_id):
        return card, None, None
    state = gateway.retrieve(intent_id)
    if card is None:
        card = db.session.scalar(select(CardPayment).where(CardPayment.intent_id == intent_id))
    if card is None and state.order_number:
        # The intent's events can come before the session's: find it by the order's metadata.
        card = db.session.scalar(
            select(CardPayment)
            .join(CardPayment.order)
            .where(Order.number == state.order_number, CardPayment.intent_id.is_(None))
            .order_by(CardPayment.id.desc())
        )
    if card is not None and state.order_number and state.order_number != card.order.number:
        return None, None, None
    return card, state, refunds


# --- Settling with Stripe after the order moved --------------------------------------------------


def target_cents(order):
    """What the card should end up paying: None while the order is still open to changes."""
    if order.status in ("cancelled", "expired"):
        return 0
    if order.status in SETTLED_STATUSES:
        return order_totals(order).gross_cents
    return None


# Stripe's smallest card payment in euros.
MIN_CARD_CENTS = 50


def settle(card, gateway, force=False):
    """Make the one Stripe call that brings the card to the order's final amount.

    Capture (deterministic idempotency key) or cancel an authorisation; refund the difference
    after a capture. `force` captures an open order's current total (its authorisation is
    about to lapse). Returns what it did; a Stripe failure leaves `settle_due` set.
    """
    order = card.order
    target = target_cents(order)
    if target is None and force and card.status == "authorised":
        target = order_totals(order).gross_cents
    if target is None:
        card.settle_due = False
        return "waiting"
    try:
        result = _settle(card, target, gateway)
    except PaymentGatewayError as error:
        card.settle_due = True
        card.last_error = f"{error.code}: {error.message}"
        if card.status == "authorised" and target > 0:
            card.problem = "capture_failed"
        db.session.flush()
        return "failed"
    card.settle_due = False
    card.last_error = ""
    if card.problem == "capture_failed":
        card.problem = ""
    db.session.flush()
    return result


def _settle(card, target, gateway):
    from ..ordering.services import SYSTEM, record

    order = card.order
    if card.status == "authorised":
        if target == 0:
            gateway.cancel(card.intent_id)
            card.status = "cancelled"
            record(order, SYSTEM, "card_released")
            return "cancelled"
        if target > (card.amount_authorised_cents or 0):
            card.problem = "above_authorised"
            return "refused"
        gateway.capture(card.intent_id, target, idempotency_key=f"capture-{card.intent_id}")
        card.status = "captured"
        _record_capture(card, target)
        record(order, SYSTEM, "card_captured", amount_cents=target)
        return "captured"
    if card.status == "captured":
        net = card_net(card)
        if net <= target:
            return "nothing"
        amount = net - target
        refund = gateway.refund(
            card.intent_id, amount, idempotency_key=f"refund-{card.intent_id}-{target}"
        )
        _record_card_payment(card, -amount, refund.id)
        record(order, SYSTEM, "card_refunded", amount_cents=amount)
        return "refunded"
    return "nothing"


def _lapse_cutoff(now=None):
    """Authorisations older than this would lapse within a day (Stripe keeps them ~7 days)."""
    return (now or utcnow()) - timedelta(days=current_app.config["CARD_AUTHORISATION_DAYS"])


def cards_to_settle(now=None):
    """Ids of the cards owing Stripe a call, and of authorisations that would lapse within a day.

    Ids, so that the caller can settle and commit them one by one.
    """
    return db.session.scalars(
        select(CardPayment.id)
        .where(
            or_(
                CardPayment.settle_due.is_(True),
                (CardPayment.status == "authorised")
                & (CardPayment.authorised_at <= _lapse_cutoff(now)),
            )
        )
        .order_by(CardPayment.id)
    ).all()


def settle_due_card(card, gateway, now=None):
    """Settle one card for capture-due: authorisations about to lapse are captured as they are."""
    lapsing = card.authorised_at is not None and card.authorised_at <= _lapse_cutoff(now)
    return settle(card, gateway, force=lapsing)


def notify_staff(report):
    """Mail the staff what capture-due did (and what is left to retry).

    report: [(order number, outcome)] from `flask payments capture-due`.
    """
    from ..models import User
    from ..outbox import queue_email

    staff = db.session.scalars(
        select(User).where(User.role.in_(("staff", "admin"))).order_by(User.id)
    ).all()
    for member in staff:
        queue_email(
            member.email,
            _l("Paiements par carte : le point de la boutique"),
            "staff_card_report",
            locale=member.locale or "fr",
            report=report,
        )


# --- Reconciliation ------------------------------------------------------------------------------


def card_ids(week=None):
    """Ids of the card payments that reached Stripe (of a week, or all), oldest order first."""
    query = (
        select(CardPayment.id)
        .join(CardPayment.order)
        .where(CardPayment.intent_id.is_not(None))
        .order_by(Order.id)
    )
    if week is not None:
        query = query.where(Order.week_id == week.id)
    return db.session.scalars(query).all()


def reconcile_card(card, gateway, fix=False, now=None):
    """What differs between the shop and Stripe for one card; `fix` brings the shop in line.

    Stripe is read first; the shop writes only after (and only with `fix`).
    """
    number = card.order.number
    try:
        state = gateway.retrieve(card.intent_id)
        refunds = gateway.refunds(card.intent_id) if state.status == "succeeded" else []
    except PaymentGatewayError as error:
        return [(number, f"Stripe: {error.code}")]
    differences = []
    expected = INTENT_STATUSES.get(state.status)
    if expected is not None and expected != card.status:
        differences.append((number, f"statut boutique {card.status}, Stripe {state.status}"))
        if fix:
            apply_intent(card, state, now)
    if unrecorded_refunds(card, refunds):
        differences.append((number, "remboursement fait chez Stripe, absent de la boutique"))
        if fix:
            apply_refunds(card, refunds)
    target = target_cents(card.order)
    owes = card.status == "authorised" or (
        card.status == "captured" and card_net(card) > (target or 0)
    )
    if card.settle_due or (target is not None and owes):
        differences.append((number, "débit ou remboursement en attente"))
        if fix:
            db.session.flush()
            settle(card, gateway)
    return differences


# --- Reading -------------------------------------------------------------------------------------


def card_for_demo_session(session_id):
    return db.session.scalar(
        select(CardPayment)
        .options(selectinload(CardPayment.order).selectinload(Order.slot).selectinload(PickupSlot.point))
        .where(CardPayment.session_id == session_id)
    )
