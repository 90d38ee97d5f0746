"""Handing an order over at pick-up: the signed link printed as a QR code on its label,
the day's list, and marking an order collected, paid on the spot or not collected."""

import re
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from itsdangerous import BadData, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from ..books.cash_journal import record_gate_payment
from ..extensions import db
from ..formatting import format_cents, format_when
from ..links import public_url
from ..models import Order, Payment, PickupPoint, PickupSlot, utcnow
from ..order_log import record
from ..payments.invoices import issue_invoice, needs_invoice, order_invoice, settle_from_payments
from ..timezones import shop_today, shop_zone

# Orders the day's list shows: still to hand over, or already settled at the counter.
DAY_STATUSES = ("placed", "confirmed", "ready", "collected", "no_show")
TO_HAND_OVER = ("placed", "confirmed", "ready")
# A customer may pay before or after taking the goods.
PAYABLE = (*TO_HAND_OVER, "collected")
PICKUP_PAYMENT_METHODS = ("cash", "cheque", "card_terminal")
MAX_TOKEN_LENGTH = 200


class HandoverError(ValueError):
    """The handover step is refused; the message is for the staff member."""


# --- The signed link of the label's QR code ------------------------------------------------------


class _SignedAsOf(TimestampSigner):
    """Signs with a given time instead of now: the same order always gets the same link."""

    def __init__(self, *args, as_of, **kwargs):
        super().__init__(*args, **kwargs)
        self.as_of = as_of

    def get_timestamp(self):
        return self.as_of


def _serializer(**signer_kwargs):
    signer = _SignedAsOf if signer_kwargs else TimestampSigner
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"],
        salt="handover",
        signer=signer,
        signer_kwargs=signer_kwargs,
    )


def handover_token(order):
    """The label's token, signed as of the week's opening (never a future time).

    The same order always gets the same token (labels print the same QR code, which the
    document cache can keep); it expires HANDOVER_LINK_MAX_AGE after the week opened.
    """
    return _week_token(order.id, order.week)


def _week_token(order_id, week):
    as_of = int(min(week.opens_at, utcnow()).timestamp())
    return _serializer(as_of=as_of).dumps(order_id)


def handover_url(order_id, week):
    """The staff-only address printed as a QR code on the label of an order of `week`."""
    return public_url("staff.handover_order", token=_week_token(order_id, week))


def order_from_handover_token(token):
    """The order a handover link opens; HandoverError if it is forged, expired or gone."""
    invalid = _(
        "Ce lien de retrait n'est pas valide. Cherchez la commande par son numéro "
        "dans les retraits du jour."
    )
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise HandoverError(invalid)
    try:
        order_id = _serializer().loads(token, max_age=current_app.config["HANDOVER_LINK_MAX_AGE"])
    except SignatureExpired:
        # Only a genuine link gets here: the signature is checked before the age.
        raise HandoverError(
            _(
                "Ce lien de retrait a expiré. Cherchez la commande par son numéro "
                "dans les retraits du jour."
            )
        ) from None
    except BadData:
        raise HandoverError(invalid) from None
    order = db.session.get(Order, order_id) if isinstance(order_id, int) else None
    if order is None:
        raise HandoverError(_("Cette commande n'existe plus."))
    return order


# --- Reading -------------------------------------------------------------------------------------


def short_name(contact_name):
    """The first name and the initial ("Camille M."): what the gate needs, no more.

    Words that look like an email address or a phone number (typed into the name field) are
    left out. A professional's order names its business first, "Le Bistrot (Paul Roux)": the
    business stays whole (the gate must tell restaurants apart), the person is shortened.
    """
    business = re.fullmatch(r"(.+?) \((.+)\)", (contact_name or "").strip())
    if business:
        person = short_name(business.group(2))
        return f"{business.group(1)} ({person})" if person else business.group(1)
    words = [
        word
        for word in (contact_name or "").split()
        if "@" not in word and not any(char.isdigit() for char in word)
    ]
    if len(words) < 2:
        return words[0] if words else ""
    return f"{words[0]} {words[-1][0].upper()}."


def day_orders(day, point_id=None, search=None, full_search=True):
    """The day's orders to hand over or handed over, slot by slot in time order, in two queries.

    search: staff (full_search) find an order by its number or any part of the customer's
    name; the gate only by its number or the name it is shown (first name and initial), so
    that it cannot find out a surname by trying some.
    """
    query = (
        select(Order)
        .join(Order.slot)
        .join(PickupSlot.point)
        .options(
            contains_eager(Order.slot).contains_eager(PickupSlot.point),
            joinedload(Order.lines),
            selectinload(Order.payments),
            selectinload(Order.card),
        )
        .where(PickupSlot.day == day, Order.status.in_(DAY_STATUSES))
        .order_by(
            PickupSlot.starts_at,
            PickupSlot.ends_at,
            PickupPoint.position,
            PickupPoint.name,
            PickupSlot.id,
            func.lower(Order.contact_name),
            Order.number,
        )
    )
    if point_id:
        query = query.where(PickupSlot.point_id == point_id)
    term = (search or "").strip()
    if term and full_search:
        query = query.where(
            or_(
                Order.number.icontains(term, autoescape=True),
                Order.contact_name.icontains(term, autoescape=True),
            )
        )
    orders = db.session.scalars(query).unique().all()
    if term and not full_search:  # one day's orders: filtered on what the gate sees
        term = term.casefold()
        orders = [
            order
            for order in orders
            if term in order.number.casefold() or term in short_name(order.contact_name).casefold()
        ]
    return orders


def _days_with_orders(point_id):
    """The pick-up days (of a point) that have orders the day's list shows."""
    query = (
        select(PickupSlot.day)
        .join(Order, Order.slot_id == PickupSlot.id)
        .where(Order.status.in_(DAY_STATUSES))
    )
    return query.where(PickupSlot.point_id == point_id) if point_id else query


def pickup_day_from(day, point_id=None):
    """The first day from `day` on with orders to hand over or handed over, or None."""
    days = _days_with_orders(point_id).where(PickupSlot.day >= day).subquery()
    return db.session.scalar(select(func.min(days.c.day)))


def pickup_days_around(day, point_id=None):
    """(previous, next) days with orders around `day` (None where there is none), in one query."""
    days = _days_with_orders(point_id)
    before = days.where(PickupSlot.day < day).subquery()
    after = days.where(PickupSlot.day > day).subquery()
    row = db.session.execute(
        select(
            select(func.max(before.c.day)).scalar_subquery(),
            select(func.min(after.c.day)).scalar_subquery(),
        )
    ).one()
    return row[0], row[1]


def by_slot(orders):
    """[(slot, [orders])] in the orders' order (day_orders gives them slot by slot)."""
    groups = []
    for order in orders:
        if not groups or groups[-1][0].id != order.slot_id:
            groups.append((order.slot, []))
        groups[-1][1].append(order)
    return groups


def order_for_handover(order_id):
    return db.session.scalar(
        select(Order)
        .options(
            selectinload(Order.lines),
            selectinload(Order.payments).selectinload(Payment.recorded_by),
            selectinload(Order.slot).selectinload(PickupSlot.point),
            selectinload(Order.collected_by),
        )
        .where(Order.id == order_id)
    )


def no_show_allowed_from(order):
    """When staff may mark the order not collected: the slot's end (Paris) plus the grace time."""
    slot = order.slot
    if slot is None:
        return None
    end = datetime.combine(slot.day, slot.ends_at, tzinfo=shop_zone()).astimezone(UTC)
    return end + timedelta(minutes=current_app.config["NO_SHOW_GRACE_MINUTES"])


def can_mark_no_show(order, now=None):
    allowed_from = no_show_allowed_from(order)
    return (
        order.status in TO_HAND_OVER
        and allowed_from is not None
        and (now or utcnow()) >= allowed_from
    )


# --- At the counter ------------------------------------------------------------------------------


def _lock(order):
    """Hold the order's row until the commit, then re-read what another phone may have changed.

    Two taps on the same button (or two staff on the same order) then act one after the other:
    the second one sees the first one's payment or handover. A no-op UPDATE locks the row on
    PostgreSQL and takes the write lock on SQLite.
    """
    db.session.execute(
        update(Order)
        .where(Order.id == order.id)
        .values(status=Order.status)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(order, ["status", "collected_at", "collected_by_id", "payments"])


def _refusal(order):
    messages = {
        "pending_payment": _(
            "La commande %(number)s attend encore son paiement en ligne : ne la remettez pas.",
            number=order.number,
        ),
        "cancelled": _(
            "La commande %(number)s est annulée : ne la remettez pas.", number=order.number
        ),
        "expired": _(
            "La commande %(number)s a expiré sans être payée : ne la remettez pas.",
            number=order.number,
        ),
        "no_show": _(
            "La commande %(number)s a été notée absente (non retirée).", number=order.number
        ),
        "collected": _("La commande %(number)s est déjà remise.", number=order.number),
    }
    return messages.get(
        order.status, _("La commande %(number)s ne peut pas être remise.", number=order.number)
    )


def pickup_day_ahead(order, now=None):
    """The order's pick-up day when it is still to come (handing over now is early), else None."""
    slot = order.slot
    if slot is not None and slot.day > shop_today(now):
        return slot.day
    return None


def _check_handover(order, now, confirm_early):
    """Refuse what cannot be handed over, and an early handover nobody confirmed."""
    if order.status not in TO_HAND_OVER:
        raise HandoverError(_refusal(order))
    day = pickup_day_ahead(order, now)
    if day is not None and not confirm_early:
        raise HandoverError(
            _(
                "La commande %(number)s est prévue le %(day)s : cochez « Remettre avant le "
                "jour prévu » pour la remettre dès aujourd'hui.",
                number=order.number,
                day=format_date(day, "full"),
            )
        )


def mark_collected(order, staff, now=None, *, confirm_early=False, confirm_due_cents=None):
    """Record that the customer took the order; False (and nothing changed) if already done.

    Handing over before the pick-up day needs confirm_early; handing over while money is due
    needs confirm_due_cents, the amount the staff member saw due and chose not to take (if it
    changed since, the handover is refused: another phone took part of it).
    """
    _lock(order)
    if order.status == "collected":
        return False
    _check_handover(order, now, confirm_early)
    due = order.amount_due_cents
    if due and confirm_due_cents is None:
        raise HandoverError(
            _(
                "Il reste %(due)s à payer sur la commande %(number)s : encaissez-les, ou cochez "
                "« Remettre sans encaisser %(due)s » pour la remettre quand même.",
                due=format_cents(due),
                number=order.number,
            )
        )
    if due and confirm_due_cents != due:
        raise HandoverError(
            _(
                "Le reste à payer de la commande %(number)s est maintenant de %(due)s : "
                "vérifiez, puis confirmez de nouveau.",
                number=order.number,
                due=format_cents(due),
            )
        )
    order.status = "collected"
    order.collected_at = now or utcnow()
    order.collected_by = staff
    db.session.flush()
    details = {"amount_due_cents": due}
    if pickup_day_ahead(order, now) is not None:
        details["pickup_day"] = order.slot.day.isoformat()
    if needs_invoice(order) and order_invoice(order) is None:
        # Handed over before staff confirmed it: the sale is made, its invoice is due now
        # (marked paid at once when the gate took the money).
        invoice = issue_invoice(order, now)
        if invoice is not None:
            details["document"] = invoice.number
    record(order, staff, "collected", **details)
    return True


def correction_reference(payment):
    return f"annulation-{payment.id}"


def cancelled_payment_ids(order):
    """The ids of the order's gate payments taken back by cancel_payment."""
    prefix = "annulation-"
    return {
        int(payment.reference.removeprefix(prefix))
        for payment in order.payments
        if payment.reference and payment.reference.startswith(prefix)
    }


def cancel_payment(payment, staff, reason):
    """A gate payment recorded by mistake (wrong amount, cash for a cheque): a new entry that
    takes it back, with the reason, never an edit (the day's cash, closed or not, shows both).
    Staff then record the right payment as any other."""
    reason = " ".join((reason or "").split())[:200]
    if not reason:
        raise HandoverError(_("Indiquez pourquoi ce paiement est annulé."))
    order = payment.order
    _lock(order)
    if payment.method not in PICKUP_PAYMENT_METHODS or payment.amount_cents <= 0:
        raise HandoverError(_("Seul un paiement encaissé au retrait peut être annulé ici."))
    reference = correction_reference(payment)
    if db.session.scalar(select(Payment.id).where(Payment.reference == reference)):
        raise HandoverError(_("Ce paiement est déjà annulé."))
    correction = Payment(
        order=order,
        method=payment.method,
        amount_cents=-payment.amount_cents,
        reference=reference,
        recorded_by=staff,
    )
    db.session.add(correction)
    db.session.flush()
    record_gate_payment(correction, staff)
    invoice = order_invoice(order)
    if invoice is not None and invoice.is_paid and invoice.payment_method != "invoice":
        # Marked paid from the gate's payments: paid again only if what is left covers it.
        invoice.paid_at, invoice.payment_reference = None, ""
        db.session.flush()
        settle_from_payments(order)
    record(
        order,
        staff,
        "payment_cancelled",
        amount_cents=payment.amount_cents,
        method=payment.method,
        reason=reason,
    )
    return correction


def _check_payment(method, amount_cents):
    if method not in PICKUP_PAYMENT_METHODS:
        raise HandoverError(_("Choisissez le moyen de paiement : espèces, chèque ou carte (TPE)."))
    if not isinstance(amount_cents, int) or isinstance(amount_cents, bool) or amount_cents <= 0:
        raise HandoverError(_("Indiquez un montant supérieur à zéro."))


def record_payment(order, staff, method, amount_cents):
    """Record money taken at the counter (cash, cheque or card terminal), never above what is due."""
    _check_payment(method, amount_cents)
    _lock(order)
    if order.status not in PAYABLE:
        raise HandoverError(_refusal(order))
    if order.payment_method == "invoice":
        raise HandoverError(
            _(
                "La commande %(number)s est réglée sur facture : rien à encaisser au retrait.",
                number=order.number,
            )
        )
    due = order.amount_due_cents
    if due == 0:
        raise HandoverError(
            _("La commande %(number)s est déjà entièrement payée.", number=order.number)
        )
    if amount_cents > due:
        raise HandoverError(
            _(
                "%(amount)s, c'est plus que le reste à payer (%(due)s) : "
                "enregistrez %(due)s et rendez la monnaie.",
                amount=format_cents(amount_cents),
                due=format_cents(due),
            )
        )
    payment = Payment(order=order, method=method, amount_cents=amount_cents, recorded_by=staff)
    db.session.add(payment)
    db.session.flush()
    record_gate_payment(payment, staff)
    record(
        order,
        staff,
        "payment_recorded",
        method=method,
        amount_cents=amount_cents,
        amount_due_cents=order.amount_due_cents,
    )
    settle_from_payments(order)  # a professional's invoice is paid once the order is
    return payment


def pay_and_collect(order, staff, method, amount_cents, now=None, *, confirm_early=False):
    """Take what is due and hand the order over: both or neither (the caller's one commit).

    Returns the payment, or None when the order was already handed over (a second click):
    then nothing is taken.
    """
    _check_payment(method, amount_cents)
    _lock(order)
    if order.status == "collected":
        return None
    _check_handover(order, now, confirm_early)
    due = order.amount_due_cents
    if 0 < amount_cents < due:
        raise HandoverError(
            _(
                "%(amount)s ne couvre pas le reste à payer (%(due)s) : la commande n'est pas "
                "remise et rien n'est enregistré. Encaissez %(due)s, ou enregistrez un "
                "paiement partiel.",
                amount=format_cents(amount_cents),
                due=format_cents(due),
            )
        )
    payment = record_payment(order, staff, method, amount_cents)
    mark_collected(order, staff, now=now, confirm_early=confirm_early)
    return payment


def mark_no_show(order, staff, now=None):
    """The customer did not come: only after the slot's end plus the grace time.

    Stock and slot stay as they are: the goods were prepared.
    """
    now = now or utcnow()
    _lock(order)
    if order.status not in TO_HAND_OVER:
        raise HandoverError(_refusal(order))
    allowed_from = no_show_allowed_from(order)
    if allowed_from is None:
        raise HandoverError(
            _("La commande %(number)s n'a pas de créneau de retrait.", number=order.number)
        )
    if now < allowed_from:
        raise HandoverError(
            _(
                "Trop tôt pour noter la commande %(number)s absente : possible à partir du "
                "%(when)s (fin du créneau + %(grace)d min).",
                number=order.number,
                when=format_when(allowed_from),
                grace=current_app.config["NO_SHOW_GRACE_MINUTES"],
            )
        )
    order.status = "no_show"
    db.session.flush()
    record(order, staff, "no_show", amount_due_cents=order.amount_due_cents)
