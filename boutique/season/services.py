"""The season's figures, each table in one or two grouped queries (aggregates in SQL, a
constant number of statements whatever the number of weeks, orders and products).

Amounts are excluding VAT (HT), in integer cents, computed the way each order's own totals
are (boutique/pricing.py): per order and VAT rate, an individual's VAT-included amount is
converted once, net = gross × 10,000 / (10,000 + rate in basis points) rounded half up to
the cent; professionals' amounts are already HT. The season's figure is the sum of these
per-order, per-rate nets, so a hand count from the invoices matches it to the cent.

Weeks, sold units, sold-out offers and the waiting list are those of history.py.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..formatting import cents_to_input
from ..models import (
    Invoice,
    Offer,
    Order,
    OrderLine,
    Payment,
    Product,
    SeasonCharge,
    WaitlistEntry,
)
from ..pricing import BASIS
from ..spreadsheet import csv_text
from ..timezones import local_to_utc, shop_today
from .history import LIMITED_OFFER, SOLD_OUT_OFFER, SOLD_STATUSES, history_weeks

KINDS = ("individual", "restaurant", "amap")
KIND_LABELS = {
    "individual": _l("Particuliers"),
    "restaurant": _l("Restaurants"),
    "amap": _l("AMAP"),
}
METHOD_LABELS = {
    "card": _l("Carte en ligne"),
    "on_pickup": _l("Au retrait"),
    "invoice": _l("Facture (virement)"),
}
FIRST_YEAR, LAST_YEAR = 2000, 2999
MAX_RANGE_DAYS = 3 * 366
EARLIEST_COUNT = LEFT_OVER_COUNT = 10


class SeasonError(ValueError):
    """A season that cannot be shown; the message is for staff."""


# --- The season chooser -------------------------------------------------------------------------


@dataclass(frozen=True)
class Season:
    """Days from `first` to `last` included (Paris): a calendar year or a range of dates.

    `year` is the calendar year the funders' figures are for (a range's first day's).
    """

    first: date
    last: date
    year: int
    is_year: bool

    @property
    def args(self):
        """The query string that chooses this season again (links, CSV, charts)."""
        if self.is_year:
            return {"annee": str(self.year)}
        return {"du": self.first.isoformat(), "au": self.last.isoformat()}

    @property
    def bounds(self):
        """The season in UTC: [start, end)."""
        start = local_to_utc(datetime.combine(self.first, time.min))
        end = local_to_utc(datetime.combine(self.last + timedelta(days=1), time.min))
        return start, end


def year_season(year):
    return Season(date(year, 1, 1), date(year, 12, 31), year, True)


def default_season():
    """The current calendar year in Paris."""
    return year_season(shop_today().year)


def _parse_year(text):
    text = (text or "").strip()
    if re.fullmatch(r"[0-9]{4}", text) and FIRST_YEAR <= int(text) <= LAST_YEAR:
        return int(text)
    if not text:
        raise SeasonError(
            _("Indiquez une année de %(first)d à %(last)d.", first=FIRST_YEAR, last=LAST_YEAR)
        )
    raise SeasonError(
        _(
            "Année « %(text)s » non reconnue : indiquez une année de %(first)d à %(last)d "
            "(par exemple 2026).",
            text=text[:20],
            first=FIRST_YEAR,
            last=LAST_YEAR,
        )
    )


def _parse_day(text):
    text = (text or "").strip()
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        raise SeasonError(
            _("Date « %(text)s » non reconnue : écrivez-la 2026-03-01.", text=text[:20])
        ) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise SeasonError(_("Date « %(text)s » hors des années connues.", text=text))
    return day


def parse_season(args):
    """The season a query string asks for (`annee`, or `du` and `au`); SeasonError otherwise.

    Nothing asked: the current calendar year.
    """
    first, last = args.get("du"), args.get("au")
    if first is not None or last is not None:
        if not (first or "").strip() or not (last or "").strip():
            raise SeasonError(_("Indiquez les deux dates de la période (du… au…)."))
        first, last = _parse_day(first), _parse_day(last)
        if last < first:
            raise SeasonError(_("La période doit finir après son début."))
        if (last - first).days > MAX_RANGE_DAYS:
            raise SeasonError(_("Choisissez une période de trois ans au plus."))
        return Season(first, last, first.year, False)
    if args.get("annee") is not None:
        return year_season(_parse_year(args.get("annee")))
    return default_season()


# --- Figures --------------------------------------------------------------------------------------


def season_weeks(first, last):
    """The sales weeks of a period: those whose pick-up week's Thursday falls in it.

    The ISO rule: each week belongs to exactly one calendar year (2025 is ISO weeks 1 to 52,
    the week of Monday 29 December 2025 is week 1 of 2026), and two periods side by side
    never count a week twice.
    """
    return [
        week
        for week in history_weeks(first, last)
        if first <= week.monday + timedelta(days=3) <= last
    ]


def percent_tenths(part, whole):
    """part / whole in tenths of a percent, rounded half up (None when whole is 0)."""
    if not whole:
        return None
    return (2000 * part + whole) // (2 * whole)


def week_name(week, years):
    """S14, or 2026-S14 when the season spans ISO years."""
    return f"{week.year}-S{week.week:02d}" if len(years) > 1 else f"S{week.week:02d}"


@dataclass
class WeekRow:
    week: object  # HistoryWeek
    name: str
    sales: dict = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    orders: int = 0
    offered: int = 0
    sold: int = 0
    sold_out_products: int = 0
    no_shows: int = 0
    cancellations: int = 0

    @property
    def total_cents(self):
        return sum(self.sales.values())

    @property
    def sell_through(self):
        return percent_tenths(self.sold, self.offered)


@dataclass
class ProductRow:
    id: int
    name: str
    unit: str
    offered: int = 0  # units offered with a limit
    sold: int = 0  # units sold on those offers
    sold_all: int = 0  # units sold on every offer, limited or not
    weeks_offered: int = 0
    sold_out_weeks: list = field(default_factory=list)  # HistoryWeek, in order

    @property
    def left_over(self):
        return max(0, self.offered - self.sold)

    @property
    def sell_through(self):
        return percent_tenths(self.sold, self.offered)

    @property
    def sold_unlimited(self):
        """Units sold in the weeks it was offered without a limit (no sell-through there)."""
        return self.sold_all - self.sold

    @property
    def first_sold_out(self):
        return self.sold_out_weeks[0] if self.sold_out_weeks else None


def _charged_no_show():
    """SQL: a no-show the customer was charged for all the same — an invoice that credit
    notes did not cancel whole (a note for a lowered line leaves the rest owed), or money
    taken (card captured, cash) that was not all paid back. Its lines count as they stand."""
    credited = aliased(Invoice)
    credit = (
        select(func.coalesce(func.sum(credited.gross_cents), 0))
        .where(credited.credit_note_of_id == Invoice.id)
        .scalar_subquery()
    )
    invoiced = exists().where(
        Invoice.order_id == Order.id, Invoice.kind == "invoice", Invoice.gross_cents > credit
    )
    paid = (
        select(func.coalesce(func.sum(Payment.amount_cents), 0))
        .where(Payment.order_id == Order.id)
        .scalar_subquery()
    )
    return and_(Order.status == "no_show", or_(invoiced, paid > 0))


def _order_rates(week_ids, charged_no_shows=False):
    """(source, net, gross): one row per sold order and VAT rate, joined to its order, with
    its HT and TTC amounts; with charged_no_shows, the no-shows that were charged too.

    The conversion is the orders' own (pricing.compute_totals), in integers: rounded half up.
    The lines are grouped by order and rate alone (a narrow key), the order's week, kind and
    payment method joined afterwards.
    """
    rate = OrderLine.vat_rate_bp
    per_rate = (
        select(
            OrderLine.order_id,
            rate.label("rate"),
            func.sum(OrderLine.unit_price_cents * OrderLine.quantity).label("amount"),
        )
        .join(Order, OrderLine.order_id == Order.id)
        .where(
            Order.week_id.in_(week_ids),
            or_(Order.status.in_(SOLD_STATUSES), _charged_no_show())
            if charged_no_shows
            else Order.status.in_(SOLD_STATUSES),
        )
        .group_by(OrderLine.order_id, rate)
        # Lines lowered to 0 by staff (a crop failed) sold nothing: an order left with none
        # is not counted among the week's orders.
        .having(func.sum(OrderLine.quantity) > 0)
        .subquery("per_rate")
    )
    source = per_rate.join(Order, Order.id == per_rate.c.order_id)
    amount, rate = per_rate.c.amount, per_rate.c.rate
    net = case(
        (
            Order.prices_include_vat,
            (2 * amount * BASIS + BASIS + rate) // (2 * (BASIS + rate)),
        ),
        else_=amount,
    )
    gross = case(
        (Order.prices_include_vat, amount),
        else_=amount + (2 * amount * rate + BASIS) // (2 * BASIS),
    )
    return source, net, gross


class SeasonFigures:
    """What the dashboard shows for a season; each table computed on first use."""

    def __init__(self, season):
        self.season = season
        self.weeks = season_weeks(season.first, season.last)
        self.week_ids = [week.id for week in self.weeks]
        years = {week.year for week in self.weeks}
        self.rows = {week.id: WeekRow(week, week_name(week, years)) for week in self.weeks}
        self._done = set()

    def _once(self, name):
        if name in self._done:
            return False
        self._done.add(name)
        return bool(self.week_ids)

    # Sales per week and kind, HT -------------------------------------------------------------

    def _sales(self):
        """[(week id, kind, method, orders, HT, TTC)] of sold orders: one statement for the
        weekly sales and the payment methods."""
        if self._once("sales"):
            source, net, gross = _order_rates(self.week_ids)
            self._sales_rows = [
                (row.week_id, row.kind, row.method, int(row.orders), int(row.net or 0),
                 int(row.gross or 0))
                for row in db.session.execute(
                    select(
                        Order.week_id,
                        Order.customer_kind.label("kind"),
                        Order.payment_method.label("method"),
                        func.count(func.distinct(Order.id)).label("orders"),
                        func.sum(net).label("net"),
                        func.sum(gross).label("gross"),
                    )
                    .select_from(source)
                    .group_by(Order.week_id, Order.customer_kind, Order.payment_method)
                )
            ]  # fmt: skip
            for week_id, kind, _method, orders, net_cents, _gross in self._sales_rows:
                week = self.rows[week_id]
                week.sales[kind] += net_cents
                week.orders += orders
        return getattr(self, "_sales_rows", [])

    def weekly(self):
        """Rows per week: sales HT per kind and order count."""
        self._sales()
        return list(self.rows.values())

    def sales_total(self):
        rows = self.weekly()
        return {
            "kinds": {kind: sum(r.sales[kind] for r in rows) for kind in KINDS},
            "total": sum(r.total_cents for r in rows),
            "orders": sum(r.orders for r in rows),
        }

    # Orders that ended without a sale --------------------------------------------------------

    def lost_orders(self):
        """Rows per week with no-shows and cancellations counted (one statement)."""
        if self._once("lost"):
            for row in db.session.execute(
                select(Order.week_id, Order.status, func.count().label("n"))
                .where(Order.week_id.in_(self.week_ids), Order.status.in_(("no_show", "cancelled")))
                .group_by(Order.week_id, Order.status)
            ):
                week = self.rows[row.week_id]
                if row.status == "no_show":
                    week.no_shows = int(row.n)
                else:
                    week.cancellations = int(row.n)
        return list(self.rows.values())

    # Payment methods -------------------------------------------------------------------------

    def payment_methods(self):
        """[(method, orders, HT cents, TTC cents)] of sold orders."""
        found = {}
        for _week, _kind, method, orders, net, gross in self._sales():
            total = found.get(method, (0, 0, 0))
            found[method] = (total[0] + orders, total[1] + net, total[2] + gross)
        return [(method, *found[method]) for method in METHOD_LABELS if method in found]

    # Sell-through ------------------------------------------------------------------------------

    def _sold(self):
        """{(product id, week id): (units sold on offers with a limit, all units sold)}: one
        statement for the sell-through per product and per week."""
        if self._once("sold"):
            # Grouped by offer alone (a narrow key); an offer is one product in one week.
            per_offer = (
                select(OrderLine.offer_id, func.sum(OrderLine.quantity).label("units"))
                .join(Order, OrderLine.order_id == Order.id)
                .where(Order.week_id.in_(self.week_ids), Order.status.in_(SOLD_STATUSES))
                .group_by(OrderLine.offer_id)
                .subquery("per_offer")
            )
            self._sold_cells = {}
            for row in db.session.execute(
                select(
                    Offer.product_id,
                    Offer.week_id,
                    LIMITED_OFFER.label("limited"),
                    per_offer.c.units,
                ).join(per_offer, per_offer.c.offer_id == Offer.id)
            ):
                units = int(row.units or 0)
                self._sold_cells[(row.product_id, row.week_id)] = (
                    units if row.limited else 0,
                    units,
                )
        return getattr(self, "_sold_cells", {})

    def products(self):
        """{product id: ProductRow} for products offered in the season (three statements)."""
        if not self._once("products"):
            return getattr(self, "_products", {})
        products = {}
        for row in db.session.execute(
            select(
                Product.id,
                Product.name,
                Product.variety,
                Product.unit_label,
                func.sum(case((LIMITED_OFFER, Offer.quantity_available), else_=0)).label("offered"),
                func.sum(case((Offer.offered, 1), else_=0)).label("weeks"),
            )
            .join(Offer, Offer.product_id == Product.id)
            .where(Offer.week_id.in_(self.week_ids))
            .group_by(Product.id, Product.name, Product.variety, Product.unit_label)
        ):
            name = f"{row.name} {row.variety}".strip()
            products[row.id] = ProductRow(
                row.id, name, row.unit_label, int(row.offered or 0), weeks_offered=int(row.weeks)
            )
        for (product_id, _week_id), (sold, sold_all) in self._sold().items():
            if product_id in products:
                products[product_id].sold += sold
                products[product_id].sold_all += sold_all
        # Sold out: a limit, and every unit reserved (history.py); a few rows per product.
        order = {week.id: n for n, week in enumerate(self.weeks)}
        for row in db.session.execute(
            select(Offer.product_id, Offer.week_id).where(
                Offer.week_id.in_(self.week_ids), SOLD_OUT_OFFER
            )
        ):
            products[row.product_id].sold_out_weeks.append(self.rows[row.week_id].week)
        for product in products.values():
            product.sold_out_weeks.sort(key=lambda week: order[week.id])
        self._products = dict(sorted(products.items(), key=lambda item: item[1].name.lower()))
        return self._products

    def weekly_sell_through(self):
        """Rows per week with units offered (with a limit), sold, and products sold out."""
        if self._once("weekly_sell_through"):
            for row in db.session.execute(
                select(
                    Offer.week_id,
                    func.sum(case((LIMITED_OFFER, Offer.quantity_available), else_=0)).label(
                        "offered"
                    ),
                    func.sum(case((SOLD_OUT_OFFER, 1), else_=0)).label("sold_out"),
                )
                .where(Offer.week_id.in_(self.week_ids))
                .group_by(Offer.week_id)
            ):
                self.rows[row.week_id].offered = int(row.offered or 0)
                self.rows[row.week_id].sold_out_products = int(row.sold_out or 0)
            for (_product_id, week_id), (sold, _sold_all) in self._sold().items():
                self.rows[week_id].sold += sold
        return list(self.rows.values())

    def overall_sell_through(self):
        rows = self.weekly_sell_through()
        return percent_tenths(sum(r.sold for r in rows), sum(r.offered for r in rows))

    def product_weekly(self, product_id):
        """[(WeekRow-like dict)] for one product: offered (None: no limit), sold, sold out."""
        if not self.week_ids:
            return []
        cells = {
            week_id: {"week": row.week, "name": row.name, "offered": None, "on_offer": False,
                      "limited": False, "sold": 0, "sold_out": False}
            for week_id, row in self.rows.items()
        }  # fmt: skip
        for row in db.session.execute(
            select(
                Offer.week_id,
                Offer.offered,
                Offer.quantity_available,
                Offer.quantity_reserved,
            ).where(Offer.week_id.in_(self.week_ids), Offer.product_id == product_id)
        ):
            cell = cells[row.week_id]
            cell["on_offer"] = row.offered
            cell["limited"] = row.offered and row.quantity_available is not None
            cell["offered"] = row.quantity_available if row.offered else 0
            cell["sold_out"] = cell["limited"] and row.quantity_reserved >= row.quantity_available
        for row in db.session.execute(
            # Through the product's offers (indexed), not the lines' product (not indexed).
            select(Offer.week_id, func.sum(OrderLine.quantity).label("sold"))
            .join(OrderLine, OrderLine.offer_id == Offer.id)
            .join(Order, OrderLine.order_id == Order.id)
            .where(
                Offer.week_id.in_(self.week_ids),
                Offer.product_id == product_id,
                Order.status.in_(SOLD_STATUSES),
            )
            .group_by(Offer.week_id)
        ):
            cells[row.week_id]["sold"] = int(row.sold or 0)
        for cell in cells.values():
            limited = cell["limited"] and cell["offered"]
            cell["sell_through"] = (
                percent_tenths(cell["sold"], cell["offered"]) if limited else None
            )
        return list(cells.values())

    def earliest_sold_out(self):
        """Products that sold out, the earliest first week first (then the most weeks)."""
        order = {week.id: n for n, week in enumerate(self.weeks)}
        rows = [p for p in self.products().values() if p.sold_out_weeks]
        rows.sort(key=lambda p: (order[p.first_sold_out.id], -len(p.sold_out_weeks), p.name))
        return rows[:EARLIEST_COUNT]

    def left_over(self):
        """Products with the most units offered and not sold (units with a limit)."""
        rows = [p for p in self.products().values() if p.left_over > 0]
        rows.sort(key=lambda p: (-p.left_over, p.name))
        return rows[:LEFT_OVER_COUNT]

    # Unmet demand ------------------------------------------------------------------------------

    def waiting_list(self):
        """[(product id, name, waiting now, units now, signed up in the season, units)]."""
        start, end = self.season.bounds
        units = func.coalesce(WaitlistEntry.quantity, 1)
        waiting = WaitlistEntry.ended_at.is_(None)
        in_season = and_(WaitlistEntry.created_at >= start, WaitlistEntry.created_at < end)
        rows = db.session.execute(
            select(
                Product.id,
                Product.name,
                Product.variety,
                func.sum(case((waiting, 1), else_=0)).label("now"),
                func.sum(case((waiting, units), else_=0)).label("now_units"),
                func.sum(case((in_season, 1), else_=0)).label("season"),
                func.sum(case((in_season, units), else_=0)).label("season_units"),
            )
            .join(WaitlistEntry, WaitlistEntry.product_id == Product.id)
            .where(waiting | in_season)
            .group_by(Product.id, Product.name, Product.variety)
        ).all()
        table = [
            {
                "id": row.id,
                "name": f"{row.name} {row.variety}".strip(),
                "now": int(row.now or 0),
                "now_units": int(row.now_units or 0),
                "season": int(row.season or 0),
                "season_units": int(row.season_units or 0),
            }
            for row in rows
        ]
        table.sort(key=lambda r: (-r["season_units"], -r["now_units"], r["name"].lower()))
        return table


# --- The funders' share ------------------------------------------------------------------------


def year_sales_cents(year):
    """The calendar year's sales HT, as the books have them: the orders sold, and the
    no-shows the customer was charged for all the same (invoiced, or paid and kept)."""
    weeks = season_weeks(date(year, 1, 1), date(year, 12, 31))
    if not weeks:
        return 0
    source, net, _gross = _order_rates([week.id for week in weeks], charged_no_shows=True)
    return int(db.session.scalar(select(func.coalesce(func.sum(net), 0)).select_from(source)) or 0)


def charges(year):
    return db.session.scalars(
        select(SeasonCharge).where(SeasonCharge.year == year).order_by(SeasonCharge.label)
    ).all()


@dataclass(frozen=True)
class FundersShare:
    year: int
    sales_cents: int
    charges_cents: int
    cap_percent: int

    @property
    def share(self):
        """Sales ÷ charges, in tenths of a percent (None without charges)."""
        return percent_tenths(self.sales_cents, self.charges_cents)

    @property
    def cap_cents(self):
        """The most sales the cap allows: charges × cap, rounded down to the cent."""
        return self.charges_cents * self.cap_percent // 100

    @property
    def room_cents(self):
        return self.cap_cents - self.sales_cents

    @property
    def over_cap(self):
        return self.charges_cents > 0 and self.sales_cents > self.cap_cents


def funders_share(year, lines=None):
    lines = charges(year) if lines is None else lines
    return FundersShare(
        year,
        year_sales_cents(year),
        sum(line.amount_cents for line in lines),
        int(current_app.config["INSERTION_SALES_CAP_PERCENT"]),
    )


# --- Charges typed in by staff --------------------------------------------------------------


class ChargeError(ValueError):
    """A charge line that cannot be saved; the message is for staff."""


def _check_label(year, label, charge_id=None):
    label = " ".join((label or "").split())
    if not label:
        raise ChargeError(_("Indiquez le libellé de la charge."))
    # Compared in Python: SQLite's lower() leaves « É » as it is, PostgreSQL's does not.
    others = db.session.scalars(
        select(SeasonCharge.label).where(
            SeasonCharge.year == year, SeasonCharge.id != (charge_id or 0)
        )
    )
    if label.casefold() in {other.casefold() for other in others}:
        raise _label_taken(year, label)
    return label


def _label_taken(year, label):
    return ChargeError(
        _("Une charge « %(label)s » existe déjà pour %(year)d.", label=label, year=year)
    )


def _write_charge(charge, **values):
    """Set the line's values in a savepoint; ChargeError when another request gave its label
    to another line of the year since _check_label looked (the unique constraint)."""
    year, label = values.get("year", charge.year), values["label"]
    try:
        with db.session.begin_nested():
            for name, value in values.items():
                setattr(charge, name, value)
            db.session.add(charge)
    except IntegrityError:
        raise _label_taken(year, label) from None
    except StaleDataError:  # removed by another request since this one read it
        raise ChargeError(_("Cette charge vient d'être retirée : rechargez la page.")) from None
    return charge


def add_charge(year, label, amount_cents, user):
    """Add a charge line to a year (a label used once per year)."""
    label = _check_label(year, label)
    return _write_charge(
        SeasonCharge(), year=year, label=label, amount_cents=amount_cents, updated_by=user
    )


def change_charge(charge, label, amount_cents, user):
    """Change a charge line's label and amount."""
    label = _check_label(charge.year, label, charge.id)
    return _write_charge(charge, label=label, amount_cents=amount_cents, updated_by=user)


def remove_charge(charge):
    db.session.delete(charge)
    db.session.flush()


# --- CSV ------------------------------------------------------------------------------------------


def percent_text(tenths):
    return "" if tenths is None else f"{tenths // 10},{tenths % 10}"


def weeks_text(weeks):
    return ", ".join(f"S{week.week:02d}" for week in weeks)


def table_csv(name, figures, product_id=None):
    """The CSV of one of the dashboard's tables (None: no such table)."""
    header, rows = TABLES[name](figures, product_id)
    return csv_text(header, rows)


def _sales_csv(figures, _product_id):
    header = [
        _("Semaine"), _("Lundi"),
        *(_("%(kind)s HT (€)", kind=KIND_LABELS[kind]) for kind in KINDS),
        _("Total HT (€)"), _("Commandes"),
    ]  # fmt: skip
    rows = [
        [r.name, r.week.monday.isoformat(), *(cents_to_input(r.sales[k]) for k in KINDS),
         cents_to_input(r.total_cents), r.orders]
        for r in figures.weekly()
    ]  # fmt: skip
    return header, rows


def _sell_through_csv(figures, _product_id):
    header = [
        _("Produit"), _("Unité"), _("Unités proposées (avec limite)"), _("Unités vendues"),
        _("Écoulement (%)"), _("Unités vendues sans limite"), _("Semaines proposées"),
        _("Semaines épuisées"),
    ]  # fmt: skip
    rows = [
        [p.name, p.unit, p.offered, p.sold, percent_text(p.sell_through), p.sold_unlimited,
         p.weeks_offered, weeks_text(p.sold_out_weeks)]
        for p in figures.products().values()
    ]  # fmt: skip
    return header, rows


def _weekly_sell_through_csv(figures, _product_id):
    header = [
        _("Semaine"), _("Lundi"), _("Unités proposées (avec limite)"), _("Unités vendues"),
        _("Écoulement (%)"), _("Produits épuisés"),
    ]  # fmt: skip
    rows = [
        [r.name, r.week.monday.isoformat(), r.offered, r.sold, percent_text(r.sell_through),
         r.sold_out_products]
        for r in figures.weekly_sell_through()
    ]  # fmt: skip
    return header, rows


def _product_weekly_csv(figures, product_id):
    header = [
        _("Semaine"), _("Lundi"), _("Unités proposées"), _("Unités vendues"),
        _("Écoulement (%)"), _("Épuisé"),
    ]  # fmt: skip
    rows = []
    for cell in figures.product_weekly(product_id) if product_id else []:
        offered = (
            ""
            if not cell["on_offer"]
            else (cell["offered"] if cell["limited"] else _("sans limite"))
        )
        rows.append([cell["name"], cell["week"].monday.isoformat(), offered, cell["sold"],
                     percent_text(cell["sell_through"]), _("oui") if cell["sold_out"] else ""])  # fmt: skip
    return header, rows


def _earliest_csv(figures, _product_id):
    header = [_("Produit"), _("Première semaine épuisée"), _("Semaines épuisées"), _("Nombre")]
    rows = [
        [p.name, f"S{p.first_sold_out.week:02d}", weeks_text(p.sold_out_weeks),
         len(p.sold_out_weeks)]
        for p in figures.earliest_sold_out()
    ]  # fmt: skip
    return header, rows


def _left_over_csv(figures, _product_id):
    header = [_("Produit"), _("Unités proposées (avec limite)"), _("Unités vendues"),
              _("Unités restées")]  # fmt: skip
    rows = [[p.name, p.offered, p.sold, p.left_over] for p in figures.left_over()]
    return header, rows


def _lost_csv(figures, _product_id):
    header = [_("Semaine"), _("Lundi"), _("Non venus"), _("Annulations")]
    rows = [
        [r.name, r.week.monday.isoformat(), r.no_shows, r.cancellations]
        for r in figures.lost_orders()
    ]
    return header, rows


def _methods_csv(figures, _product_id):
    header = [_("Moyen de paiement"), _("Commandes"), _("Montant HT (€)"), _("Montant TTC (€)")]
    rows = [
        [str(METHOD_LABELS[method]), orders, cents_to_input(net), cents_to_input(gross)]
        for method, orders, net, gross in figures.payment_methods()
    ]
    return header, rows


def _waiting_csv(figures, _product_id):
    header = [
        _("Produit"), _("En attente maintenant"), _("Unités en attente"),
        _("Inscriptions sur la période"), _("Unités demandées sur la période"),
    ]  # fmt: skip
    rows = [
        [r["name"], r["now"], r["now_units"], r["season"], r["season_units"]]
        for r in figures.waiting_list()
    ]
    return header, rows


def _funders_csv(figures, _product_id):
    year = figures.season.year
    lines = charges(year)
    share = funders_share(year, lines)
    header = [_("Année"), _("Poste"), _("Montant (€)")]
    rows = [[year, line.label, cents_to_input(line.amount_cents)] for line in lines]
    rows += [
        [year, _("Total des charges"), cents_to_input(share.charges_cents)],
        [year, _("Ventes HT de l'année"), cents_to_input(share.sales_cents)],
        [year, _("Part des charges couverte par les ventes (%)"), percent_text(share.share)],
        [year, _("Plafond des ventes (%)"), share.cap_percent],
        [year, _("Ventes HT permises par le plafond"), cents_to_input(share.cap_cents)],
    ]
    return header, rows


TABLES = {
    "ventes": _sales_csv,
    "ecoulement": _sell_through_csv,
    "ecoulement-semaines": _weekly_sell_through_csv,
    "ecoulement-produit": _product_weekly_csv,
    "epuises": _earliest_csv,
    "invendus": _left_over_csv,
    "absences": _lost_csv,
    "paiements": _methods_csv,
    "attente": _waiting_csv,
    "financeurs": _funders_csv,
}


def percent_label(tenths):
    """Tenths of a percent as the page shows them: 87,5 % (a dash when there is nothing)."""
    from babel.numbers import get_decimal_symbol
    from flask_babel import get_locale

    if tenths is None:
        return "—"
    # A few hundred a page: the locale's decimal sign, without babel's full number format.
    return f"{tenths // 10}{get_decimal_symbol(get_locale())}{tenths % 10}\u00a0%"
