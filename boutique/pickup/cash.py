"""The day's cash at a pick-up point (caisse du jour): what the gate took by cash, cheque and
card terminal, what is still due, the no-shows; closed once by a team member, then frozen.

Attribution: a payment taken at the gate (cash, cheque, card terminal) counts in the cash of its
order's slot, that slot's day and point, whenever it was recorded. A customer who pays a day
late, or collects early, is in the cash of the day the order was for; once that day is closed,
such a payment shows beside the frozen figures as a correction ("après clôture"), never in them.
Card payments made online and transfers are not the gate's money and are left out.
"""

from dataclasses import dataclass
from datetime import date

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, selectinload

from ..books.cash_journal import record_closing
from ..extensions import db
from ..models import CashClosing, Order, Payment, PickupPoint, PickupSlot, utcnow
from ..pricing import order_totals
from ..timezones import shop_today
from .handover import DAY_STATUSES, PICKUP_PAYMENT_METHODS, TO_HAND_OVER

GATE_METHODS = PICKUP_PAYMENT_METHODS  # ("cash", "cheque", "card_terminal")
MAX_NOTE_LENGTH = 1000


class CashError(ValueError):
    """The cash cannot be closed; the message is for the team member."""


@dataclass(frozen=True)
class CashRow:
    """One order of the day at the point: what it costs, what the gate took and how, what is left."""

    order: Order
    total_cents: int
    taken: tuple  # ((method, cents), ...) in GATE_METHODS order, only methods used
    due_cents: int

    @property
    def taken_cents(self):
        return sum(cents for _method, cents in self.taken)


@dataclass
class CashDay:
    """A day's cash at a point: live figures, and the closing's frozen ones once closed."""

    day: date
    point: PickupPoint
    rows: list
    payments: list  # the gate's payments for the day's orders, in id order
    live: dict
    closing: CashClosing | None

    @property
    def figures(self):
        """What the page shows as the day's totals: frozen once closed."""
        return self.closing.totals if self.closing else self.live

    @property
    def corrections(self):
        """Payments recorded for the day and point that the closing did not count."""
        if self.closing is None:
            return []
        counted = set(self.closing.totals.get("payment_ids", ()))
        return [payment for payment in self.payments if payment.id not in counted]

    @property
    def corrections_by_method(self):
        return _by_method(self.corrections)

    @property
    def difference_cents(self):
        """Cash counted in the till minus cash recorded, at closing (None if not counted)."""
        if self.closing is None or self.closing.counted_cash_cents is None:
            return None
        return self.closing.counted_cash_cents - self.closing.totals["cash"]


def _by_method(payments):
    return {
        method: sum(p.amount_cents for p in payments if p.method == method)
        for method in GATE_METHODS
    }


def _day_orders(day, point_id):
    """The orders of the day's slots at the point that the cash speaks of, in three queries:
    those to hand over or settled at the gate, and any other the gate took money for."""
    paid_at_gate = select(Payment.order_id).where(Payment.method.in_(GATE_METHODS))
    query = (
        select(Order)
        .join(Order.slot)
        .options(
            contains_eager(Order.slot),
            selectinload(Order.lines),
            selectinload(Order.payments).selectinload(Payment.recorded_by),
            selectinload(Order.card),
        )
        .where(
            PickupSlot.day == day,
            PickupSlot.point_id == point_id,
            or_(Order.status.in_(DAY_STATUSES), Order.id.in_(paid_at_gate)),
        )
        .order_by(
            PickupSlot.starts_at, PickupSlot.id, func.lower(Order.contact_name), Order.number
        )
    )
    return db.session.scalars(query).unique().all()


def _row(order):
    by_method = _by_method([p for p in order.payments if p.method in GATE_METHODS])
    return CashRow(
        order=order,
        total_cents=order_totals(order).gross_cents,
        taken=tuple((method, cents) for method, cents in by_method.items() if cents),
        due_cents=order.amount_due_cents,
    )


def _gate_payments(rows):
    return sorted(
        (p for row in rows for p in row.order.payments if p.method in GATE_METHODS),
        key=lambda payment: payment.id,
    )


def _totals(rows, payments):
    """The figures a closing freezes (amounts in cents, and the payments it counted)."""
    statuses = [row.order.status for row in rows]
    collected_due = [r for r in rows if r.order.status == "collected" and r.due_cents]
    waiting = [r for r in rows if r.order.status in TO_HAND_OVER]
    no_shows = [r for r in rows if r.order.status == "no_show"]
    totals = _by_method(payments)
    totals.update(
        taken=sum(totals.values()),
        orders=len(rows),
        collected=statuses.count("collected"),
        collected_due_count=len(collected_due),
        collected_due=sum(r.due_cents for r in collected_due),
        waiting_count=len(waiting),
        waiting_due=sum(r.due_cents for r in waiting),
        no_shows=len(no_shows),
        no_show_due=sum(r.due_cents for r in no_shows),
        payment_ids=[payment.id for payment in payments],
    )
    totals["due"] = totals["collected_due"] + totals["waiting_due"]
    return totals


def day_totals(day, point_id):
    """The day's live figures at a point (what closing it now would freeze)."""
    rows = [_row(order) for order in _day_orders(day, point_id)]
    return _totals(rows, _gate_payments(rows))


def closing_of(day, point_id):
    return db.session.scalar(
        select(CashClosing)
        .options(selectinload(CashClosing.closed_by))
        .where(CashClosing.day == day, CashClosing.point_id == point_id)
    )


def cash_day(day, point):
    """Everything the cash page shows for a day and a point."""
    rows = [_row(order) for order in _day_orders(day, point.id)]
    payments = _gate_payments(rows)
    return CashDay(
        day=day,
        point=point,
        rows=rows,
        payments=payments,
        live=_totals(rows, payments),
        closing=closing_of(day, point.id),
    )


def day_points(day):
    """The points with pick-up slots on the day, in the shop's order, with their closing state.

    [(point, closed)], in one query.
    """
    closed = (
        select(CashClosing.id)
        .where(CashClosing.day == day, CashClosing.point_id == PickupPoint.id)
        .exists()
    )
    query = (
        select(PickupPoint, closed)
        .where(
            PickupPoint.id.in_(select(PickupSlot.point_id).where(PickupSlot.day == day))
        )
        .order_by(PickupPoint.position, PickupPoint.name, PickupPoint.id)
    )
    return [(point, bool(is_closed)) for point, is_closed in db.session.execute(query)]


def _already_closed(day, point):
    return _(
        "La caisse du %(day)s (%(point)s) est déjà close : rien n'a changé.",
        day=format_date(day, "full"),
        point=point.name,
    )


def close_day(day, point, staff, counted_cash_cents, note, now=None):
    """Freeze the day's figures at the point, with the cash counted in the till (optional).

    Once per day and point: a second closing is refused (CashError), even one that reaches
    the database at the same moment as the first.
    """
    now = now or utcnow()
    if day > shop_today(now):
        raise CashError(
            _(
                "La caisse du %(day)s ne peut être close qu'à partir de ce jour-là.",
                day=format_date(day, "full"),
            )
        )
    if counted_cash_cents is not None and counted_cash_cents < 0:
        raise CashError(_("Le montant ne peut pas être négatif."))
    # Closings of one point queue up here: the second one then finds the first.
    db.session.execute(
        update(PickupPoint)
        .where(PickupPoint.id == point.id)
        .values(position=PickupPoint.position)
        .execution_options(synchronize_session=False)
    )
    if closing_of(day, point.id) is not None:
        raise CashError(_already_closed(day, point))
    if db.session.scalar(
        select(PickupSlot.id).where(PickupSlot.day == day, PickupSlot.point_id == point.id).limit(1)
    ) is None:
        raise CashError(
            _(
                "Pas de retrait à %(point)s le %(day)s : aucune caisse à clore.",
                point=point.name,
                day=format_date(day, "full"),
            )
        )
    closing = CashClosing(
        day=day,
        point_id=point.id,
        closed_at=now,
        closed_by=staff,
        closed_by_label=staff.email,
        totals=day_totals(day, point.id),
        counted_cash_cents=counted_cash_cents,
        note=(note or "").strip()[:MAX_NOTE_LENGTH],
    )
    try:
        with db.session.begin_nested():
            db.session.add(closing)
    except IntegrityError:  # closed by another request between the check and the insert
        raise CashError(_already_closed(day, point)) from None
    record_closing(closing, point, staff)
    return closing
