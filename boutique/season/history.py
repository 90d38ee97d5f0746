"""The sales history the season dashboard and the sowing plan both read, in a few grouped
queries whatever its length (aggregates in SQL, never one query per week or product).

What counts:
- a week of the history is a published or archived sales week, named by the ISO week of its
  first pick-up day (`SalesWeek.iso_week`);
- units **sold** are the quantities (after staff changes) of orders in SOLD_STATUSES: placed,
  confirmed, ready or collected. Cancelled and expired orders and unpaid card orders are not
  sales; no-shows are counted apart (the plants were held, then not taken);
- an offer is **sold out** when it had a limit and every unit was reserved;
- **unmet demand** is the waiting list: entries signed up while the product was sold out or not
  offered, with their quantity (1 when none was given).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, func, select

from ..extensions import db
from ..models import Offer, Order, OrderLine, SalesWeek, WaitlistEntry

SOLD_STATUSES = ("placed", "confirmed", "ready", "collected")
# An offer with a limit, and one of those with every unit reserved (sold out), in SQL.
LIMITED_OFFER = and_(Offer.offered, Offer.quantity_available.is_not(None))
SOLD_OUT_OFFER = and_(LIMITED_OFFER, Offer.quantity_reserved >= Offer.quantity_available)


@dataclass(frozen=True)
class HistoryWeek:
    id: int
    year: int  # ISO year
    week: int  # ISO week
    monday: date
    label: str


@dataclass
class ProductWeek:
    """One product in one week: offered (None: no limit), reserved, sold, sold out, waiting."""

    offered: bool = False
    available: int | None = None
    reserved: int = 0
    sold: int = 0
    sold_out: bool = False
    waiting: int = 0  # units asked for on the waiting list while the week was on


EARLIEST_DEADLINE = timedelta(days=92)


def _midnight(day):
    return datetime.combine(day, time.min, UTC)


def history_weeks(first, last):
    """The published or archived weeks whose ISO Monday is between two dates, in order."""
    # A deadline comes before its pick-up days, usually in the week before, sometimes weeks
    # before (orders closed before a Christmas break): weeks whose deadline is up to a quarter
    # earlier are read, then kept by the exact ISO week of their pick-up days (a few hundred
    # rows at most, one query). The deadline is a UTC datetime: the margins are compared as
    # midnights in UTC.
    rows = db.session.execute(
        select(SalesWeek.id, SalesWeek.label, SalesWeek.pickup_dates, SalesWeek.closes_at)
        .where(
            SalesWeek.status.in_(("published", "archived")),
            SalesWeek.closes_at >= _midnight(first - EARLIEST_DEADLINE),
            SalesWeek.closes_at < _midnight(last + timedelta(days=15)),
        )
        .order_by(SalesWeek.closes_at, SalesWeek.id)
    ).all()
    weeks = []
    for row in rows:
        iso = SalesWeek.iso_week_of(row.pickup_dates or (), row.closes_at)
        monday = date.fromisocalendar(iso.year, iso.week, 1)
        if first - timedelta(days=6) <= monday <= last:
            weeks.append(HistoryWeek(row.id, iso.year, iso.week, monday, row.label))
    return weeks


def product_weeks(week_ids):
    """{(product_id, week_id): ProductWeek} for the weeks given: three grouped queries."""
    table = defaultdict(ProductWeek)
    if not week_ids:
        return table
    week_ids = list(week_ids)
    for row in db.session.execute(
        select(
            Offer.product_id,
            Offer.week_id,
            Offer.offered,
            Offer.quantity_available,
            Offer.quantity_reserved,
        ).where(Offer.week_id.in_(week_ids))
    ):
        cell = table[(row.product_id, row.week_id)]
        cell.offered = row.offered
        cell.available = row.quantity_available
        cell.reserved = row.quantity_reserved
        cell.sold_out = (
            row.offered
            and row.quantity_available is not None
            and row.quantity_reserved >= row.quantity_available
        )
    for row in db.session.execute(
        select(OrderLine.product_id, Order.week_id, func.sum(OrderLine.quantity).label("units"))
        .join(Order, OrderLine.order_id == Order.id)
        .where(Order.week_id.in_(week_ids), Order.status.in_(SOLD_STATUSES))
        .group_by(OrderLine.product_id, Order.week_id)
    ):
        table[(row.product_id, row.week_id)].sold = int(row.units or 0)
    for row in db.session.execute(
        select(
            WaitlistEntry.product_id,
            WaitlistEntry.week_id,
            func.sum(func.coalesce(WaitlistEntry.quantity, 1)).label("units"),
        )
        .where(WaitlistEntry.week_id.in_(week_ids))
        .group_by(WaitlistEntry.product_id, WaitlistEntry.week_id)
    ):
        table[(row.product_id, row.week_id)].waiting = int(row.units or 0)
    return table
