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
from ..formatting import format_cents
from ..models import CardPayment, Order, Payment, PickupSlot, User, WebhookEvent, utcnow
from ..order_log import SYSTEM, mail_customer, record
from ..order_states import expire_order, mark_paid_by_card, revive_order
from ..outbox import queue_email
from ..pricing import order_totals
from ..transactions import lock_week
from .gateway import CheckoutRequest, IntentState, PaymentGatewayError, SessionState
from .invoices import settle_from_payments

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
        expire_order(order, reason="card_cancelled")
    elif order.is_open or (target_cents(order) or 0) > 0:
        card.problem = "authorisation_cancelled"
        record(order, SYSTEM, "card_authorisation_cancelled")
    return "cancelled"


def _place_or_give_back(card, amount):
    """The card is paid: place its order. If its hold ran out meanwhile, take its stock and
    slot again when they are still there; otherwise give the money back (settle releases or
    refunds it) and tell the customer."""
    order = card.order
    if order.status == "pending_payment" and mark_paid_by_card(order, amount):
        return
    if order.status == "expired" and not _replaced(order) and revive_order(order):
        record(order, None, "card_authorised", amount_cents=amount)
        mail_customer(order, "order_received")
        return
    if order.payment_method != "card":  # the customer chose to pay another way meanwhile
        card.settle_due = True
        record(order, SYSTEM, "card_paid_after_switch", amount_cents=amount)
        return
    if order.status in ("cancelled", "expired"):
        card.settle_due = True
        if order.status == "expired":
            record(order, SYSTEM, "card_paid_late", amount_cents=amount)
            mail_customer(order, "order_payment_late")


def _replaced(order):
    """The order expired because its customer placed a newer one: never revive it."""
    return any(event.details.get("cause") == "replaced_by_new_order" for event in order.events)


def _record_card_payment(card, amount, reference):
    """A capture (positive) or a refund (negative), once per Stripe id."""
    if amount and not _payment_exists(reference):
        db.session.add(
            Payment(order=card.order, method="card", amount_cents=amount, reference=reference)
        )


def _record_capture(card, amount):
    if amount > 0:
        _record_card_payment(card, amount, card.intent_id)
        settle_from_payments(card.order)  # the order's invoice, if it has one, is paid


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
    What the event says of a payment is re-read from Stripe first. An event about an object
    Stripe does not know is acknowledged and changes nothing; when Stripe cannot answer,
    PaymentGatewayError goes up (the webhook answers 503 and Stripe sends the event again).
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
    try:
        found = _find(kind, obj, gateway)
    except PaymentGatewayError as error:
        if not error.missing:
            raise
        # Another account's object, a deleted one, a test's: asking again changes nothing.
        current_app.logger.warning(
            "webhook %s (%s): Stripe does not know %s", event["id"], kind, obj["id"]
        )
        return EventOutcome("unknown_object")
    card = found.card
    if card is not None:
        lock_week(card.order.week_id)  # before the card's row: the one lock order (rule 9)
    stored = WebhookEvent(id=event["id"], type=kind, order_id=card.order_id if card else None)
    db.session.add(stored)
    if card is None:
        stored.outcome = "unknown_payment"
        db.session.flush()
        return EventOutcome(stored.outcome)
    if found.intent is not None:
        stored.outcome = apply_intent(card, found.intent, now)
    if found.refunds is not None:
        stored.outcome = apply_refunds(card, found.refunds)
    if (
        kind == "checkout.session.expired"
        and card.status in ("open", "failed")
        and verdict(StripeAnswer(found.session, found.intent), now) == "unpaid"
    ):
        if card.order.status == "pending_payment":
            expire_order(card.order, reason="payment_page_expired")
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


@dataclass(frozen=True)
class _Found:
    card: CardPayment | None
    session: SessionState | None = None
    intent: IntentState | None = None
    refunds: list | None = None


def _find(kind, obj, gateway):
    """The card an event is about, with its session, intent (and refunds) re-read from Stripe.

    Every Stripe call happens here, before the event writes anything: no lock is held
    while Stripe answers. Raises PaymentGatewayError ("resource_missing" included).
    """
    session = refunds = None
    if kind.startswith("checkout.session."):
        session = gateway.checkout_session(obj["id"])  # what Stripe says, not the event body
        card = db.session.scalar(select(CardPayment).where(CardPayment.session_id == session.id))
        intent_id = session.intent_id or (card.intent_id if card else None)
    elif kind.startswith("charge."):
        intent_id, card = gateway.charge(obj["id"]).intent_id, None
        refunds = gateway.refunds(intent_id) if intent_id else None
    else:
        intent_id, card = obj["id"], None
    if not _is_id(intent_id):
        return _Found(card, session)
    try:
        state = gateway.retrieve(intent_id)
    except PaymentGatewayError as error:
        if card is None or not error.missing:
            raise
        return _Found(card, session)  # the session is known, its intent not (yet)
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
        return _Found(None)
    return _Found(card, session, state, refunds)


# --- Asking Stripe: the return from the payment page, holds that run out ------------------------


@dataclass(frozen=True)
class StripeAnswer:
    """What Stripe says of a card's Checkout Session and PaymentIntent (None: it knows none)."""

    session: SessionState | None
    intent: IntentState | None


# Intent statuses: the card is authorised or taken; the customer is still at it.
PAID_INTENTS = ("requires_capture", "succeeded")
BUSY_INTENTS = ("processing", "requires_action", "requires_confirmation")


def ask_stripe(card, gateway):
    """Stripe's answer for the card: its session, then the intent (known, or the session's).

    Reads only, before the caller writes anything: no row is locked while Stripe answers.
    Raises PaymentGatewayError when Stripe cannot answer now (`retry_later`).
    """
    session = None
    if card.session_id:
        session = _unless_missing(gateway.checkout_session, card.session_id)
    intent_id = card.intent_id or (session.intent_id if session else None)
    intent = _unless_missing(gateway.retrieve, intent_id) if intent_id else None
    if intent is not None and intent.order_number and intent.order_number != card.order.number:
        intent = None  # another order's payment: says nothing about this one
    return StripeAnswer(session, intent)


def _unless_missing(read, object_id):
    try:
        return read(object_id)
    except PaymentGatewayError as error:
        if error.missing:
            return None
        raise


def verdict(answer, now=None):
    """What Stripe's answer means for the order: "paid", "waiting", or "unpaid" (Stripe
    confirms nothing was authorised and nothing can be any more)."""
    now = now or utcnow()
    intent, session = answer.intent, answer.session
    if intent is not None and intent.status in PAID_INTENTS:
        return "paid"
    if intent is not None and intent.status == "canceled":
        return "unpaid"
    if intent is not None and intent.status in BUSY_INTENTS:
        return "waiting"
    # No intent yet, or its last card was declined: the session says whether one may still come.
    if session is None or session.status == "expired":
        return "unpaid"  # no payment page, or one Stripe closed (or never knew)
    if session.status == "open" and session.expires_at is not None and session.expires_at <= now:
        return "unpaid"  # past its time: Stripe is about to close it
    return "waiting"


def payment_in_progress(answer):
    """The customer finished the payment page and the bank has not answered yet."""
    if answer.intent is not None and answer.intent.status in BUSY_INTENTS:
        return True
    return (
        answer.session is not None
        and answer.session.status == "complete"
        and (answer.intent is None or answer.intent.status != "canceled")
    )


def record_answer(card, answer, now=None):
    """Record what Stripe says the card is (authorised, taken): once, like the webhook would.

    Whichever comes first, the return from the payment page, the webhook or the expiry check,
    records it; the others find the card moved on and change nothing.
    """
    if answer.intent is None:
        return "unchanged"
    lock_week(card.order.week_id)  # before the card's row: the one lock order (rule 9)
    return apply_intent(card, answer.intent, now)


def check_holds(orders, gateway, now=None, on_silence=None):
    """Stripe's verdict for each lapsed card hold, {order id: (verdict, answer)}.

    Every Stripe call happens here, before anything is written. When Stripe cannot answer,
    the remaining orders are left for a later run (never guessed unpaid) and `on_silence()`,
    if given, is called.
    """
    verdicts = {}
    for order in orders:
        payment = order.card
        if payment is None or not (payment.session_id or payment.intent_id):
            verdicts[order.id] = ("unpaid", None)  # no payment page ever opened
            continue
        if gateway is None:
            continue
        try:
            answer = ask_stripe(payment, gateway)
        except PaymentGatewayError as error:
            current_app.logger.warning(
                "hold of %s not expired: Stripe did not answer (%s)", order.number, error.code
            )
            gateway = None  # Stripe is down: do not wait on it for every order
            if on_silence is not None:
                on_silence()
            continue
        verdicts[order.id] = (verdict(answer, now), answer)
    return verdicts


# --- Settling with Stripe after the order moved --------------------------------------------------


def target_cents(order):
    """What the card should end up paying: None while the order is still open to changes."""
    if order.status in ("cancelled", "expired") or order.payment_method != "card":
        return 0  # cancelled, or paid another way since (switch_payment)
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


def _capture(card, target, gateway):
    """Capture `target` on the card; returns the amount Stripe holds as captured.

    Stripe refuses a second capture. When it does because this one was already made (by a run
    whose record was lost: a database conflict after Stripe answered, or an idempotency key
    older than Stripe keeps), what Stripe captured then is recorded: never taken twice, and
    never "failed" at every run after.
    """
    try:
        gateway.capture(card.intent_id, target, idempotency_key=f"capture-{card.intent_id}")
        return target
    except PaymentGatewayError as error:
        if error.retry_later:
            raise
        state = gateway.retrieve(card.intent_id)
        if INTENT_STATUSES.get(state.status) != "captured":
            raise
        # amount_received is Stripe's captured amount (a fake Stripe may not give it).
        return state.amount_received or target


def _settle(card, target, gateway):

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
        amount = _capture(card, target, gateway)
        card.status = "captured"
        _record_capture(card, amount)
        record(order, SYSTEM, "card_captured", amount_cents=amount)
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


# --- What the customer is told ------------------------------------------------------------------


@dataclass(frozen=True)
class MoneyMessage:
    """The one thing the order page says about the card's money.

    `key` names the state (tests, CSS); `pay`: the pay button belongs beside it; `late`: the
    payment came after the hold ran out (it replaces the page's "not paid in time" notice).
    """

    key: str
    text: str
    pay: bool = False
    late: bool = False


def money_message(order, returning=None):
    """The sentence for (order status, card state): one state, one wording.

    returning: what the return from the payment page found ("waiting", "unpaid"), or
    "abandoned" when the customer left it. None for orders not paid by card.
    """
    if order.payment_method != "card":
        return None
    payment = order.card
    status = payment.status if payment is not None else "open"
    ever_authorised = payment is not None and payment.authorised_at is not None
    if order.status == "pending_payment":
        return _pending_message(status, returning)
    if order.status in ("cancelled", "expired"):
        late = order.status == "expired" and ever_authorised
        return _closed_message(order, payment, status, ever_authorised, late)
    if status == "authorised" and order.status == "placed":
        return MoneyMessage(
            "authorised",
            _(
                "Carte autorisée pour %(amount)s. Le montant final sera débité quand l'équipe "
                "confirmera la commande.",
                amount=format_cents(payment.amount_authorised_cents or 0),
            ),
        )
    if status == "authorised":  # confirmed: the capture is on its way (or being retried)
        return MoneyMessage(
            "capture_pending",
            _(
                "Commande confirmée : %(amount)s vont être débités sur votre carte "
                "(autorisée pour %(authorised)s).",
                amount=format_cents(order_totals(order).gross_cents),
                authorised=format_cents(payment.amount_authorised_cents or 0),
            ),
        )
    if status == "captured":
        return _captured_message(payment, target_cents(order))
    if status == "cancelled" and ever_authorised:
        return MoneyMessage(
            "authorisation_lapsed",
            _("L'autorisation de votre carte n'est plus valable : vous réglerez au retrait."),
        )
    return None


def money_message_if_cancelled(order):
    """What cancelling this open order does with its money, for the page that asks the customer
    to confirm: the sentence the order page will show once it is cancelled (money_message),
    said ahead. Orders not paid by card have paid nothing before their pick-up."""
    if order.payment_method != "card":
        return MoneyMessage("nothing_due", _("Vous n'avez rien payé : il n'y a rien à rembourser."))
    payment = order.card
    status = payment.status if payment is not None else "open"
    ever_authorised = payment is not None and payment.authorised_at is not None
    return _closed_message(order, payment, status, ever_authorised, late=False)


def _pending_message(status, returning):
    if status == "failed":
        return MoneyMessage(
            "declined",
            _("Votre carte a été refusée. Vous pouvez réessayer, avec la même carte ou une autre."),
            pay=True,
        )
    if returning == "waiting":
        return MoneyMessage(
            "waiting",
            _(
                "Nous attendons la réponse de votre banque : elle arrive en général en quelques "
                "secondes. Actualisez la page pour voir votre commande."
            ),
        )
    if returning in ("unpaid", "abandoned"):
        return MoneyMessage("not_paid", _("Le paiement n'a pas été fait."), pay=True)
    return MoneyMessage("to_pay", _("Votre commande attend son paiement par carte."), pay=True)


def _closed_message(order, payment, status, ever_authorised, late):
    if status == "authorised":
        if late:
            text = _(
                "Votre paiement est arrivé après la fin de la réservation et les produits ne "
                "sont plus disponibles : nous annulons l'autorisation de votre carte, rien ne "
                "sera débité."
            )
        else:
            text = _("Nous annulons l'autorisation de votre carte : rien ne sera débité.")
        return MoneyMessage("releasing", text, late=late)
    if status == "captured":
        return _captured_message(payment, 0)  # a closed order's card ends up paying nothing
    if status == "cancelled" and ever_authorised:
        if late:
            text = _(
                "Votre paiement est arrivé après la fin de la réservation et les produits ne "
                "sont plus disponibles : l'autorisation de votre carte est libérée, rien n'a "
                "été débité."
            )
        else:
            text = _("L'autorisation de votre carte est libérée : rien n'a été débité.")
        return MoneyMessage("released", text, late=late)
    return MoneyMessage("nothing_taken", _("Rien n'a été débité sur votre carte."))


def _captured_message(payment, target):
    net = card_net(payment)
    if target is not None and net > target:
        return MoneyMessage(
            "refund_pending",
            _(
                "Nous vous remboursons %(refund)s sur votre carte (débitée de %(amount)s).",
                amount=format_cents(net),
                refund=format_cents(net - target),
            ),
        )
    if net <= 0:
        return MoneyMessage("refunded", _("Votre paiement par carte a été entièrement remboursé."))
    return MoneyMessage("captured", _("Payé par carte : %(amount)s.", amount=format_cents(net)))


# --- Reading -------------------------------------------------------------------------------------


def card_for_demo_session(session_id):
    return db.session.scalar(
        select(CardPayment)
        .options(
            selectinload(CardPayment.order).selectinload(Order.slot).selectinload(PickupSlot.point)
        )
        .where(CardPayment.session_id == session_id)
    )
