"""The sowing plan's rules over the database: the history as forecast.py reads it, crop data,
staff overrides, and the plan of the coming weeks. Services flush, never commit."""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..formatting import parse_count
from ..models import Category, CropPlan, ForecastOverride, Product, SownLot
from ..season.history import history_weeks, product_weeks
from .forecast import WEEK, History, Observation, forecast, monday_of
from .plan import build_plan, late_lots

HORIZON_WEEKS = 26
# Last season's same weeks (52, and a week either side), and the season before it: whether a
# product was in the catalog then tells "out of season" from "new" (forecast.knows_last_season).
HISTORY_WEEKS = 110
MAX_UNITS = 1_000_000
MAX_CELLS = 10_000_000


class SowingError(Exception):
    """Input staff must correct; the message is for them."""


def this_monday(today):
    return monday_of(today)


def coming_mondays(monday, horizon=HORIZON_WEEKS):
    """The Mondays of the next `horizon` sales weeks after the week of `monday`."""
    return [monday + k * WEEK for k in range(1, horizon + 1)]


def load_history(first, last):
    """The sales history between two dates as forecast.History: a few grouped queries.

    Two sales weeks in the same ISO week (an extra sale) add up.
    """
    weeks = history_weeks(first, last)
    mondays = {week.id: week.monday for week in weeks}
    history = History(weeks=set(mondays.values()))
    for (product_id, week_id), cell in product_weeks(mondays).items():
        monday = mondays.get(week_id)
        if monday is None:
            continue
        seen = history.products.get(product_id, {}).get(monday)
        observation = Observation(
            sold=cell.sold, sold_out=cell.sold_out, waiting=cell.waiting, offered=cell.offered
        )
        if seen is not None:
            observation = Observation(
                sold=seen.sold + observation.sold,
                sold_out=seen.sold_out or observation.sold_out,
                waiting=seen.waiting + observation.waiting,
                offered=seen.offered or observation.offered,
            )
        history.add(product_id, monday, observation)
    return history


def history_before(monday):
    """The history the forecast of the weeks after `monday` needs (its week excluded)."""
    return load_history(monday - HISTORY_WEEKS * WEEK, monday - timedelta(days=1))


# --- Crop data ----------------------------------------------------------------------------------


def products_with_crops():
    """[(product, crop plan or None)] of active products, in catalog order: one query."""
    rows = db.session.execute(
        select(Product, CropPlan)
        .join(Category, Product.category_id == Category.id)
        .outerjoin(CropPlan, CropPlan.product_id == Product.id)
        .where(Product.active)
        .order_by(Category.position, Category.name, Product.name, Product.variety)
    ).all()
    return [(row.Product, row.CropPlan) for row in rows]


def crop_of(product):
    return db.session.scalar(select(CropPlan).where(CropPlan.product_id == product.id))


CROP_FIELDS = (
    "weeks_to_ready",
    "loss_percent",
    "units_per_tray",
    "cells_per_unit",
    "seeds_per_unit",
    "sow_from_week",
    "sow_to_week",
    "note",
)


def save_crop(product, **values):
    """Create or change the product's crop data (values already checked by the form).

    Two staff saving a product's first crop data at the same moment: the product has one row
    (a unique constraint), the later save changes the row the other one just wrote.
    """
    crop = crop_of(product)
    if crop is None:
        try:
            with db.session.begin_nested():
                crop = CropPlan(product=product, **{name: values[name] for name in CROP_FIELDS})
                db.session.add(crop)
        except IntegrityError:  # written by another request since crop_of() found none
            crop = crop_of(product)
    for name in CROP_FIELDS:
        setattr(crop, name, values[name])
    db.session.flush()
    return crop


# --- Forecasts and overrides --------------------------------------------------------------------


@dataclass(frozen=True)
class WeekForecast:
    monday: object
    computed: object  # forecast.Forecast
    override: int | None

    @property
    def units(self):
        return self.computed.units if self.override is None else self.override

    @property
    def iso(self):
        return self.monday.isocalendar()


def overrides_for(product_ids, mondays):
    """{(product id, Monday): quantity} of the staff figures for those weeks: one query."""
    if not product_ids or not mondays:
        return {}
    by_iso = {(m.isocalendar().year, m.isocalendar().week): m for m in mondays}
    rows = db.session.scalars(
        select(ForecastOverride).where(
            ForecastOverride.product_id.in_(list(product_ids)),
            ForecastOverride.iso_year.in_({year for year, _week in by_iso}),
        )
    )
    found = {}
    for row in rows:
        monday = by_iso.get((row.iso_year, row.iso_week))
        if monday is not None:
            found[(row.product_id, monday)] = row.quantity
    return found


def forecast_reach(crop, horizon=HORIZON_WEEKS):
    """How many sales weeks a product's forecast covers: as far as its sowings of the plan's
    `horizon` weeks are for (a 30-week crop sown next week sells in 31 weeks)."""
    return horizon + (crop.weeks_to_ready - 1 if crop is not None else 0)


def product_forecasts(product_ids, today, horizon=HORIZON_WEEKS, history=None, reach=None):
    """{product id: [WeekForecast]} for the coming weeks, computed from the history before this
    week, with staff overrides. reach: {product id: weeks} to forecast instead of `horizon`."""
    monday = this_monday(today)
    history = history if history is not None else history_before(monday)
    reach = reach or {}
    targets = coming_mondays(monday, max([horizon, *reach.values()]))
    overrides = overrides_for(product_ids, targets)
    return {
        product_id: [
            WeekForecast(
                target,
                forecast(history, product_id, target, monday),
                overrides.get((product_id, target)),
            )
            for target in targets[: reach.get(product_id, horizon)]
        ]
        for product_id in product_ids
    }


def parse_overrides(formdata, mondays):
    """{Monday: quantity or None} from the form's w-<yyyy>-<ww> fields (a week without its
    field is left as it is; an empty field clears it); SowingError when a figure is not a
    whole number between 0 and a million (the message names the week)."""
    from flask_babel import gettext as _

    values = {}
    for monday in mondays:
        iso = monday.isocalendar()
        name = f"w-{iso.year}-{iso.week:02d}"
        if name not in formdata:
            continue
        raw = (formdata.get(name) or "").strip()
        if not raw:
            values[monday] = None
            continue
        quantity = parse_count(raw, max_digits=7)
        if quantity is None or quantity > MAX_UNITS:
            raise SowingError(
                _(
                    "Semaine %(week)d : « %(value)s » n'est pas un nombre de plants "
                    "(un nombre entier de 0 à 1 000 000, ou vide pour la prévision calculée).",
                    week=iso.week,
                    value=raw[:20],
                )
            )
        values[monday] = quantity
    return values


def _write_override(product_id, iso_year, iso_week, quantity, user_id):
    """Set one week's staff figure in SQL, whatever another request wrote or cleared since
    this one read them (one row per product and week: a unique constraint)."""
    key = (
        ForecastOverride.product_id == product_id,
        ForecastOverride.iso_year == iso_year,
        ForecastOverride.iso_week == iso_week,
    )
    if quantity is None:
        db.session.execute(delete(ForecastOverride).where(*key))
        return
    values = {"quantity": quantity, "set_by_id": user_id}
    if db.session.execute(update(ForecastOverride).where(*key).values(**values)).rowcount:
        return
    try:
        with db.session.begin_nested():
            db.session.execute(
                insert(ForecastOverride).values(
                    product_id=product_id, iso_year=iso_year, iso_week=iso_week, **values
                )
            )
    except IntegrityError:  # inserted by another request since the update found no row
        db.session.execute(update(ForecastOverride).where(*key).values(**values))


def save_overrides(product, values, user):
    """Set (or clear, for None) the staff figure of each week given; returns how many changed.

    Two staff saving the same product at once both succeed, the later one's figures kept.
    """
    mondays = list(values)
    current = {
        (row.iso_year, row.iso_week): row
        for row in db.session.scalars(
            select(ForecastOverride).where(ForecastOverride.product_id == product.id)
        )
    }
    changed = 0
    for monday in mondays:
        iso = monday.isocalendar()
        key, quantity = (iso.year, iso.week), values[monday]
        row = current.get(key)
        if (row.quantity if row is not None else None) == quantity:
            continue
        _write_override(product.id, iso.year, iso.week, quantity, user.id)
        changed += 1
    db.session.flush()
    return changed


# --- The plan -----------------------------------------------------------------------------------


@dataclass
class Plan:
    monday: object  # this week's Monday
    weeks: list  # [plan.SowingWeek]
    products: dict  # {product id: Product}
    crops: dict  # {product id: CropPlan}
    missing: list  # active products without crop data

    @property
    def this_week(self):
        return next((w.sowings for w in self.weeks if w.monday == self.monday), [])

    @property
    def late(self):
        return [s for w in self.weeks if w.monday < self.monday for s in w.sowings]

    @property
    def late_lots(self):
        """The late sowings per product, for the greenhouse's view (one card each)."""
        return late_lots(self.late)

    @property
    def ahead(self):
        return [w for w in self.weeks if w.monday > self.monday]


def sowing_plan(today, horizon=HORIZON_WEEKS):
    """What to sow in this week and the `horizon` - 1 after it, and what is late: each product's
    forecast reaches as far as its sowings of those weeks are for (its weeks to sale-ready past
    the horizon), less the cells already sown."""
    rows = products_with_crops()
    products = {product.id: product for product, _crop in rows}
    crops = {product.id: crop for product, crop in rows if crop is not None}
    monday = this_monday(today)
    forecasts = product_forecasts(
        list(crops),
        today,
        horizon,
        reach={pid: forecast_reach(crop, horizon) for pid, crop in crops.items()},
    )
    mondays = {w.monday for weeks in forecasts.values() for w in weeks}
    weeks = build_plan(
        crops,
        {pid: {w.monday: w.units for w in rows} for pid, rows in forecasts.items()},
        monday,
        order=[product.id for product, _crop in rows],
        sown=sown_for(list(crops), mondays),
        until=monday + (horizon - 1) * WEEK,
    )
    missing = [product for product, crop in rows if crop is None]
    return Plan(monday, weeks, products, crops, missing)


# --- What was sown ------------------------------------------------------------------------------


def _iso(monday):
    iso = monday.isocalendar()
    return iso.year, iso.week


def sown_for(product_ids, mondays):
    """{(product id, sales Monday): cells sown} for those sales weeks: one query."""
    if not product_ids or not mondays:
        return {}
    by_iso = {_iso(monday): monday for monday in mondays}
    rows = db.session.execute(
        select(SownLot.product_id, SownLot.iso_year, SownLot.iso_week, func.sum(SownLot.cells))
        .where(
            SownLot.product_id.in_(list(product_ids)),
            SownLot.iso_year.in_({year for year, _week in by_iso}),
        )
        .group_by(SownLot.product_id, SownLot.iso_year, SownLot.iso_week)
    )
    found = {}
    for product_id, year, week, cells in rows:
        monday = by_iso.get((year, week))
        if monday is not None:
            found[(product_id, monday)] = int(cells)
    return found


@dataclass(frozen=True)
class Lot:
    """A « Semé » form's lot: the cells sown now for a product's sales week, and the cells
    its card said were sown before (what the tap was made against)."""

    product_id: int
    sales_monday: object
    cells: int
    sown_before: int


def parse_lots(values):
    """[Lot] from the form's lot fields ("<product id>:<ISO year>:<ISO week>:<cells>:<cells
    sown before>"); SowingError when one is not."""
    from flask_babel import gettext as _

    lots = []
    for value in values:
        parts = [parse_count(part, max_digits=9) for part in str(value).split(":")]
        if len(parts) != 5 or None in parts or not 0 < parts[3] <= MAX_CELLS:
            raise SowingError(_("Ce semis n'est pas reconnu : rechargez la page."))
        product_id, year, week, cells, before = parts
        try:
            monday = date.fromisocalendar(year, week, 1)
        except ValueError:
            raise SowingError(_("Ce semis n'est pas reconnu : rechargez la page.")) from None
        lots.append(Lot(product_id, monday, cells, before))
    if not lots:
        raise SowingError(_("Ce semis n'est pas reconnu : rechargez la page."))
    known = set(
        db.session.scalars(
            select(CropPlan.product_id).where(
                CropPlan.product_id.in_({lot.product_id for lot in lots})
            )
        )
    )
    if any(lot.product_id not in known for lot in lots):
        raise SowingError(_("Ce produit n'a pas de données de culture : rechargez la page."))
    return lots


def _lock_crops(product_ids):
    """Hold the products' crop rows until the commit (by id): « Semé » taps on one product run
    one after the other. A no-op UPDATE locks the rows on PostgreSQL and takes the write lock
    on SQLite."""
    for product_id in sorted(product_ids):
        db.session.execute(
            update(CropPlan)
            .where(CropPlan.product_id == product_id)
            .values(updated_at=CropPlan.updated_at)
        )


def record_sown(lots, user, today):
    """Record each lot's cells as sown today, unless its week's record changed since the card
    was shown (the same tap sent twice, another phone's tap, a page left open): that lot is
    left as it is. Returns (cells recorded, lots left)."""
    _lock_crops({lot.product_id for lot in lots})
    now = sown_for({lot.product_id for lot in lots}, {lot.sales_monday for lot in lots})
    recorded = left = 0
    for lot in lots:
        key = (lot.product_id, lot.sales_monday)
        if now.get(key, 0) != lot.sown_before:
            left += 1
            continue
        now[key] = lot.sown_before + lot.cells  # the same lot twice in one form counts once
        year, week = _iso(lot.sales_monday)
        db.session.add(
            SownLot(
                product_id=lot.product_id,
                iso_year=year,
                iso_week=week,
                cells=lot.cells,
                sown_on=today,
                recorded_by_id=user.id,
            )
        )
        recorded += lot.cells
    db.session.flush()
    return recorded, left


def undo_sown(record_id):
    """Take back one « Semé » (a tap made by mistake): the plan asks for its cells again.
    Returns the record taken back, None when it was already."""
    record = db.session.get(SownLot, record_id)
    if record is None:
        return None
    _lock_crops({record.product_id})
    if db.session.execute(delete(SownLot).where(SownLot.id == record_id)).rowcount == 0:
        return None  # taken back by another request meanwhile
    return record


def sown_since(day):
    """The « Semé » recorded from `day` on, with their product and who tapped, latest first."""
    return db.session.scalars(
        select(SownLot)
        .where(SownLot.sown_on >= day)
        .options(joinedload(SownLot.product), joinedload(SownLot.recorded_by))
        .order_by(SownLot.sown_on.desc(), SownLot.id.desc())
    ).all()


def plan_csv(plan):
    """The plan as CSV for a spreadsheet: one row per sowing."""
    from flask_babel import gettext as _

    from ..spreadsheet import csv_text

    header = [
        _("Semaine de semis"),
        _("Lundi du semis"),
        _("Produit"),
        _("Variété"),
        _("Semaine de vente"),
        _("Prévision (unités vendues)"),
        _("Unité vendue"),
        _("Mottes par unité"),
        _("Perte (%)"),
        _("Mottes à semer"),
        _("Plaques pleines"),
        _("Mottes en plus"),
        _("Mottes par plaque"),
        _("Graines"),
        _("Hors période de semis"),
        _("En retard"),
        _("Mottes déjà semées"),
    ]
    rows = []
    for week in plan.weeks:
        for s in week.sowings:
            product, crop = plan.products[s.product_id], plan.crops[s.product_id]
            sow, sale = s.sowing_monday.isocalendar(), s.sales_monday.isocalendar()
            rows.append(
                [
                    f"{sow.year}-S{sow.week:02d}",
                    s.sowing_monday.isoformat(),
                    product.name,
                    product.variety,
                    f"{sale.year}-S{sale.week:02d}",
                    s.forecast,
                    product.unit_label,
                    crop.cells_per_unit,
                    crop.loss_percent,
                    s.units,
                    s.full_trays,
                    s.extra_cells,
                    s.tray_size,
                    s.seeds,
                    _("oui") if s.outside_window else _("non"),
                    _("oui") if s.late else _("non"),
                    s.sown,
                ]
            )
    return csv_text(header, rows)
