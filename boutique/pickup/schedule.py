"""The week's pick-up schedule: place the orders that have no usable slot, review, publish.

`assign` is a pure function (easy to test with random data); the other functions apply its
result to the database. Orders that chose a slot keep it.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from fractions import Fraction

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import COLLECTIBLE_STATUSES, CUSTOMER_KINDS, Order, PickupSlot, utcnow
from ..order_log import MAIL_SUBJECTS, _already_queued, _LazySubject, mail_customer, record
from ..timezones import shop_today
from ..transactions import lock_week
from .services import SlotError, release_place, reserve_place, reserve_places

NO_SLOT_FOR_KIND = "no_slot_for_kind"
ALL_FULL = "all_full"
REASONS = {
    NO_SLOT_FOR_KIND: _l("Aucun créneau ouvert à ce type de client cette semaine."),
    ALL_FULL: _l("Tous les créneaux possibles sont complets."),
}


@dataclass(frozen=True)
class SlotSpec:
    id: int
    point_id: int
    day: date
    starts_at: time
    capacity: int
    booked: int
    kinds: frozenset
    open: bool = True


@dataclass(frozen=True)
class OrderSpec:
    id: int
    kind: str
    created_at: datetime
    preferred_point_id: int | None = None
    preferred_day: date | None = None


@dataclass
class Told:
    """Whom a schedule change reached: the orders mailed, the orders without an e-mail address
    (phone orders: staff call them), and, when publishing, the unpaid card orders asked to pay
    to keep them. Each mail is about one order, so `mails` counts both orders and mails."""

    mailed: list = field(default_factory=list)
    to_call: list = field(default_factory=list)
    asked_to_pay: list = field(default_factory=list)

    @property
    def mails(self):
        return len(self.mailed) + len(self.asked_to_pay)

    def add(self, order, sent):
        """Count an order told its slot: `sent` is the mail queued for it, if any."""
        if sent:
            self.mailed.append(order)
        elif not order.email:
            self.to_call.append(order)


@dataclass
class Assignment:
    placed: dict = field(default_factory=dict)  # order id -> slot id
    unplaced: dict = field(default_factory=dict)  # order id -> reason code
    told: Told = field(default_factory=Told)  # when the schedule was already published


def assign(slots, orders):
    """Place each order in a slot of a point open to its kind that still has room.

    First come, first served (order time, then id). Among the slots with room, prefer the
    customer's preferred point, then their preferred day, then the least-loaded slot, then the
    earliest; the slot id breaks the last ties, so the same input always gives the same output.
    Never exceeds a capacity; every order is either placed once or reported with a reason.
    """
    load = {slot.id: slot.booked for slot in slots}
    by_kind = {kind: [s for s in slots if s.open and kind in s.kinds] for kind in CUSTOMER_KINDS}
    result = Assignment()
    for order in sorted(orders, key=lambda o: (o.created_at, o.id)):
        candidates = by_kind.get(order.kind, [])
        if not candidates:
            result.unplaced[order.id] = NO_SLOT_FOR_KIND
            continue
        best, best_key = None, None
        for slot in candidates:
            if load[slot.id] >= slot.capacity:
                continue
            key = (
                order.preferred_point_id is not None and slot.point_id != order.preferred_point_id,
                order.preferred_day is not None and slot.day != order.preferred_day,
                Fraction(load[slot.id], slot.capacity),
                slot.day,
                slot.starts_at,
                slot.id,
            )
            if best_key is None or key < best_key:
                best, best_key = slot, key
        if best is None:
            result.unplaced[order.id] = ALL_FULL
            continue
        load[best.id] += 1
        result.placed[order.id] = best.id
    return result


# --- Applying it --------------------------------------------------------------------------


def week_slot_specs(week):
    slots = db.session.scalars(
        select(PickupSlot)
        .options(selectinload(PickupSlot.point))
        .where(PickupSlot.week_id == week.id)
    ).all()
    specs = [
        SlotSpec(
            id=slot.id,
            point_id=slot.point_id,
            day=slot.day,
            starts_at=slot.starts_at,
            capacity=slot.capacity,
            booked=slot.booked,
            kinds=frozenset(slot.point.allowed_kinds),
            open=not slot.closed and slot.point.active,
        )
        for slot in slots
    ]
    return specs, {slot.id: slot for slot in slots}


# What a pick-up mail shows of an order (lines, what is left to pay, point and slot), loaded
# with the orders rather than one order at a time.
MAIL_LOADS = (
    selectinload(Order.lines),
    selectinload(Order.payments),
    selectinload(Order.card),
    selectinload(Order.slot).selectinload(PickupSlot.point),
)


def orders_to_place(week):
    """Collectible orders of the week without a slot, or in a slot that was closed (an unpaid
    card order is not placed until it is paid)."""
    return db.session.scalars(
        select(Order)
        .outerjoin(Order.slot)
        .options(*MAIL_LOADS)
        .where(
            Order.week_id == week.id,
            Order.status.in_(COLLECTIBLE_STATUSES),
            (Order.slot_id.is_(None)) | (PickupSlot.closed.is_(True)),
        )
        .order_by(Order.created_at, Order.id)
    ).all()


def generate_schedule(week, actor=None):
    """Place every order that needs a slot; returns the Assignment (unplaced with reasons)."""
    lock_week(week.id)  # then orders, then slots (rule 9)
    orders = orders_to_place(week)
    for order in orders:
        if order.slot_id is not None:  # its slot was closed: free the place, keep the wish
            order.preferred_point_id = order.preferred_point_id or order.slot.point_id
            order.preferred_day = order.preferred_day or order.slot.day
            release_place(order.slot_id)
            order.slot_id = None
    db.session.flush()
    specs, slots = week_slot_specs(week)
    result = assign(
        specs,
        [
            OrderSpec(o.id, o.customer_kind, o.created_at, o.preferred_point_id, o.preferred_day)
            for o in orders
        ],
    )
    by_id = {order.id: order for order in orders}
    per_slot = defaultdict(list)
    for order_id, slot_id in sorted(result.placed.items()):
        per_slot[slot_id].append(order_id)
    for slot_id, order_ids in sorted(per_slot.items()):
        # One guarded statement per slot (rule 1): all its new orders fit, or none are put there.
        if not reserve_places(slot_id, len(order_ids)):
            for order_id in order_ids:
                result.unplaced[order_id] = ALL_FULL
                del result.placed[order_id]
            continue
        for order_id in order_ids:
            by_id[order_id].slot = slots[slot_id]
            record(by_id[order_id], actor, "slot_assigned", slot=_slot_text(slots[slot_id]))
    db.session.flush()
    if week.schedule_published_at is not None:  # already published: tell the moved customers
        for order_id in result.placed:
            result.told.add(by_id[order_id], notify_slot(by_id[order_id]))
    return result


def close_slot(slot, closed, actor=None):
    """Close a slot (no new orders; its orders are placed in other slots, their customers told
    once the schedule is published) or reopen it. Returns the Assignment when closing."""
    lock_week(slot.week_id)
    slot.closed = closed
    db.session.flush()
    return generate_schedule(slot.week, actor=actor) if closed else None


def move_order(order, slot, actor=None):
    """Staff move an order to another slot of its week (room and customer kind checked)."""
    if not order.is_open:
        raise SlotError(_l("Cette commande n'est plus à retirer : elle ne change pas de créneau."))
    if slot.week_id != order.week_id:
        raise SlotError(_l("Ce créneau n'est pas dans la semaine de la commande."))
    if not slot.point.allows(order.customer_kind):
        raise SlotError(_l("Ce point de retrait n'est pas ouvert à ce type de client."))
    if slot.id == order.slot_id:
        return False
    lock_week(order.week_id)
    old = order.slot_id  # the two slots in id order (rule 9); a refusal rolls back both
    if old is not None and old < slot.id:
        release_place(old)
    if not reserve_place(slot.id):
        raise SlotError(_l("Ce créneau est complet ou fermé."))
    if old is not None and old > slot.id:
        release_place(old)
    order.slot_id = slot.id
    db.session.flush()
    db.session.refresh(order)
    record(order, actor, "slot_moved", slot=_slot_text(slot))
    if order.week.schedule_published_at is not None:
        notify_slot(order)
    return True


def week_schedule(week):
    """{slot: [orders]} for the review page, and the orders still without a slot."""
    orders = db.session.scalars(
        select(Order)
        .options(selectinload(Order.lines))
        .where(Order.week_id == week.id, Order.status.in_(COLLECTIBLE_STATUSES))
        .order_by(Order.created_at, Order.id)
    ).all()
    by_slot = defaultdict(list)
    waiting = []
    for order in orders:
        (by_slot[order.slot_id] if order.slot_id else waiting).append(order)
    return by_slot, waiting


def orders_to_tell(week):
    """Collectible orders whose slot is new or changed since their last schedule mail."""
    return db.session.scalars(
        select(Order)
        .options(*MAIL_LOADS)
        .where(
            Order.week_id == week.id,
            Order.status.in_(COLLECTIBLE_STATUSES),
            Order.slot_id.is_not(None),
            or_(Order.notified_slot_id.is_(None), Order.notified_slot_id != Order.slot_id),
        )
        .order_by(Order.id)
    ).all()


def publish_schedule(week, now=None):
    """Mail every customer whose slot is new or changed since their last schedule mail; a Told
    of the mails sent and the orders to call.

    An unpaid card order gets no pick-up mail: while its payment window is open, its customer
    is asked (once) to pay to keep it; after, it expires and its place goes back.
    """
    now = now or utcnow()
    lock_week(week.id)
    told = Told()
    for order in orders_to_tell(week):
        told.add(order, notify_slot(order))  # a phone order without an address is called
    for order in unpaid_card_orders(week, now):
        if mail_customer(order, "order_pay_to_keep"):  # once per order (a one-time mail)
            told.asked_to_pay.append(order)
    week.schedule_published_at = now
    db.session.flush()
    return told


def publication(week, now=None):
    """What publishing now would send, without sending it: a Told, for the confirmation page."""
    told = Told()
    for order in orders_to_tell(week):
        told.add(order, order.email)
    told.asked_to_pay = [
        order for order in unpaid_card_orders(week, now) if order.email and not _asked_to_pay(order)
    ]
    return told


def _asked_to_pay(order):
    """Has the order had its one-time "pay to keep it" mail (the check mail_customer makes)?"""
    subject = _LazySubject(MAIL_SUBJECTS["order_pay_to_keep"], order.number)
    return _already_queued(order, subject)


def unpaid_card_orders(week, now=None):
    """The week's card orders still waiting for their payment, within their payment window."""
    return db.session.scalars(
        select(Order)
        .options(*MAIL_LOADS)
        .where(
            Order.week_id == week.id,
            Order.status == "pending_payment",
            Order.hold_expires_at > (now or utcnow()),
        )
        .order_by(Order.id)
    ).all()


def notify_slot(order, changed=False):
    """Tell the customer where and when to collect, with an .ics invitation; the mail queued,
    None when the order has no e-mail address (staff call them).

    changed: the slot they knew moved (new day or time), said first in the mail.
    """
    from .calendar import order_calendar

    if order.status not in COLLECTIBLE_STATUSES:
        return None  # an unpaid card order: nothing to collect until it is paid
    mail = mail_customer(
        order,
        "pickup_schedule",
        attachments=[
            (f"retrait-{order.number}.ics", "text/calendar", order_calendar(order).decode())
        ],
        changed=changed,
    )
    order.notified_slot_id = order.slot_id
    return mail


def retime_slot(slot, day, starts_at, ends_at, actor=None):
    """Move a slot to another day or time; every customer booked in it is told (new .ics).

    Returns a Told (the orders mailed, and those to call: no e-mail address). Raises SlotError
    when another slot of the point already starts then, or the times are backwards.
    """
    if ends_at <= starts_at:
        raise SlotError(_("La fin du créneau doit suivre son début."))
    if (slot.day, slot.starts_at, slot.ends_at) == (day, starts_at, ends_at):
        return Told()
    taken = db.session.scalar(
        select(PickupSlot.id).where(
            PickupSlot.week_id == slot.week_id,
            PickupSlot.point_id == slot.point_id,
            PickupSlot.day == day,
            PickupSlot.starts_at == starts_at,
            PickupSlot.id != slot.id,
        )
    )
    if taken is not None:
        raise SlotError(_("Ce point a déjà un créneau ce jour-là à cette heure."))
    lock_week(slot.week_id)  # its orders are then written (rule 9)
    before = _slot_text(slot)
    slot.day, slot.starts_at, slot.ends_at = day, starts_at, ends_at
    db.session.flush()
    orders = db.session.scalars(
        select(Order)
        .options(*MAIL_LOADS)
        .where(Order.slot_id == slot.id, Order.status.in_(COLLECTIBLE_STATUSES))
        .order_by(Order.id)
    ).all()
    told = Told()
    for order in orders:
        record(order, actor, "slot_retimed", before=before, slot=_slot_text(slot))
        told.add(order, notify_slot(order, changed=True))
    return told


def send_reminders(day):
    """Remind the customers collecting on `day` (once each); returns how many were mailed."""
    orders = db.session.scalars(
        select(Order)
        .join(Order.slot)
        .options(*MAIL_LOADS)
        .where(
            PickupSlot.day == day,
            Order.status.in_(COLLECTIBLE_STATUSES),
            Order.reminded_at.is_(None),
        )
    ).all()
    for order in orders:
        mail_customer(order, "pickup_reminder")
        order.reminded_at = utcnow()
    db.session.flush()
    return len(orders)


def tomorrow_in_shop_zone(now=None):
    return shop_today(now) + timedelta(days=1)


def _slot_text(slot):
    return f"{slot.day.isoformat()} {slot.starts_at:%H:%M}"
