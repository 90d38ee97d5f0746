"""The sowing plan: pure arithmetic from a week's forecast and the product's crop data.

For each sales week: cells to sow = ⌈forecast × cells per unit sold ÷ (1 − loss)⌉ (a
"plaque de 12 mottes" sold whole is 12 cells, a godet one), as whole trays and the cells left
over (167 cells in trays of 40 are 4 trays and 7 cells), seeds = cells × seeds per cell, sown
`weeks_to_ready` weeks before the sales week. Cells the team recorded as sown for that sales
week are taken off: the plan asks for what is left (nothing when the forecast moved by 10 % or
less since), and a lot sown is no longer late. A week's trays to prepare count the cells left over
of every crop sown in the same tray size together: growers sow several small lots in rows of one
tray, so 12 cells of parsley and 20 of sage are one tray of 77, not two. Integer arithmetic
throughout, so that 10 plants at 10 % loss are 12 cells on every machine.
"""

from dataclasses import dataclass, field

from .forecast import WEEK

# A lot sown for its forecast is not asked again when the forecast then moves by this much or
# less (12 cells sown, 13 wanted a week later: the losses' margin covers one).
SOWN_MARGIN_PERCENT = 10


def ceil_div(a, b):
    return -(-a // b)


def units_to_sow(forecast, loss_percent):
    """Cells to sow so that `forecast` plants are left after `loss_percent` % losses."""
    return ceil_div(forecast * 100, 100 - loss_percent)


def in_sowing_window(iso_week, sow_from, sow_to):
    """ISO week between from and to included; a window may wrap over the new year (48 → 6).

    Week 53 (some years have one, 2026 does) is in a window that holds week 52: a window
    "to the end of the year" is written 40 → 52 by whoever thinks of the usual year.
    """
    if iso_week == 53 and in_sowing_window(52, sow_from, sow_to):
        return True
    if sow_from <= sow_to:
        return sow_from <= iso_week <= sow_to
    return iso_week >= sow_from or iso_week <= sow_to


class _Trays:
    """Whole trays and the cells left over, from `units` and `tray_size`."""

    @property
    def full_trays(self):
        return self.units // self.tray_size

    @property
    def extra_cells(self):
        """Cells beyond the whole trays: a part of a tray, shared with other lots."""
        return self.units % self.tray_size


@dataclass(frozen=True)
class Sowing(_Trays):
    """What is left to sow for one product and one sales week (`units` cells; `sown` cells of
    the lot are already in trays)."""

    product_id: int
    sales_monday: object
    sowing_monday: object
    forecast: int
    units: int
    tray_size: int
    seeds: int
    outside_window: bool
    late: bool
    sown: int = 0


@dataclass(frozen=True)
class LateLots(_Trays):
    """A product's late sowings put together: in the greenhouse they are sown at once, as one
    lot, for the sales weeks they were meant for."""

    product_id: int
    sowings: tuple

    late = True

    @property
    def units(self):
        return sum(s.units for s in self.sowings)

    @property
    def seeds(self):
        return sum(s.seeds for s in self.sowings)

    @property
    def forecast(self):
        return sum(s.forecast for s in self.sowings)

    @property
    def sown(self):
        return sum(s.sown for s in self.sowings)

    @property
    def tray_size(self):
        return self.sowings[0].tray_size

    @property
    def outside_window(self):
        return any(s.outside_window for s in self.sowings)

    @property
    def sales_weeks(self):
        """The ISO week numbers of the sales they were meant for."""
        return [s.sales_monday.isocalendar().week for s in self.sowings]

    @property
    def sowing_monday(self):
        """When the first of them should have been sown."""
        return min(s.sowing_monday for s in self.sowings)


def late_lots(late):
    """[LateLots] per product, in the order the products first come in `late`."""
    by_product = {}
    for item in late:
        by_product.setdefault(item.product_id, []).append(item)
    return [LateLots(pid, tuple(items)) for pid, items in by_product.items()]


@dataclass
class SowingWeek:
    monday: object
    sowings: list = field(default_factory=list)

    @property
    def iso(self):
        return self.monday.isocalendar()

    @property
    def trays(self):
        """Trays to prepare: whole ones, and the lots' leftover cells pooled per tray size."""
        leftovers = {}
        for s in self.sowings:
            leftovers[s.tray_size] = leftovers.get(s.tray_size, 0) + s.extra_cells
        return sum(s.full_trays for s in self.sowings) + sum(
            ceil_div(cells, size) for size, cells in leftovers.items()
        )


def sowing(product_id, crop, sales_monday, forecast, this_monday, sown=0):
    """What is left to sow for a sales week's forecast (whole plants) once `sown` cells are in
    trays, None when nothing is.

    crop: anything with weeks_to_ready, loss_percent, units_per_tray, cells_per_unit,
    seeds_per_unit, sow_from_week and sow_to_week (a CropPlan).
    """
    if forecast <= 0:
        return None
    needed = units_to_sow(forecast * (crop.cells_per_unit or 1), crop.loss_percent)
    units = needed - min(sown, needed)
    if not units or (sown and units * 100 <= needed * SOWN_MARGIN_PERCENT):
        return None  # sown; or sown but for a forecast moved since by a few plants
    sowing_monday = sales_monday - crop.weeks_to_ready * WEEK
    return Sowing(
        product_id=product_id,
        sales_monday=sales_monday,
        sowing_monday=sowing_monday,
        forecast=forecast,
        units=units,
        tray_size=crop.units_per_tray,
        seeds=units * crop.seeds_per_unit,
        outside_window=not in_sowing_window(
            sowing_monday.isocalendar().week, crop.sow_from_week, crop.sow_to_week
        ),
        late=sowing_monday < this_monday,
        sown=min(sown, needed),
    )


def build_plan(crops, forecasts, this_monday, order=None, sown=None, until=None):
    """[SowingWeek] in date order from {product id: crop} and {product id: {sales Monday:
    units}}; products without crop data are left out (the caller lists them).

    order: product ids in the order rows are shown within a week (default: by id).
    sown: {(product id, sales Monday): cells already sown}.
    until: the last sowing Monday to plan (late sowings are always kept).
    """
    sown = sown or {}
    rank = {pid: i for i, pid in enumerate(order or sorted(crops))}
    weeks = {}
    for product_id, by_week in forecasts.items():
        crop = crops.get(product_id)
        if crop is None:
            continue
        for sales_monday, units in by_week.items():
            item = sowing(
                product_id,
                crop,
                sales_monday,
                units,
                this_monday,
                sown.get((product_id, sales_monday), 0),
            )
            if item is not None and (until is None or item.sowing_monday <= until):
                weeks.setdefault(item.sowing_monday, SowingWeek(item.sowing_monday))
                weeks[item.sowing_monday].sowings.append(item)
    for week in weeks.values():
        week.sowings.sort(key=lambda s: (rank.get(s.product_id, len(rank)), s.sales_monday))
    return [weeks[monday] for monday in sorted(weeks)]
