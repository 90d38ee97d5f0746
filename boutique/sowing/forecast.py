"""The demand forecast: pure functions over a plain history (no database, no Flask), so that
tests give known answers and the backtest can replay the past week by week.

A history is the shop's sales weeks (their Mondays) and, per product, what happened in each:
units sold, sold out or not, units asked for on the waiting list. A sales week without an
observation for a product: the product was not offered that week (demand 0, unless people
asked for it on the waiting list).

The forecast of a product for a sales week, from the data strictly before an origin week:
1. the same weeks last season (the same ISO week and its two neighbours, averaged),
   with a sold-out week's demand raised above its sales (waiting list, and an uplift);
2. times the recent trend: the last weeks this season against the same weeks last season,
   shrunk towards 1 for small volumes and clamped;
3. a product without a last season (new, or a history too short) gets its recent average.
"""

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Observation:
    """A product in one sales week: units sold, sold out (every unit offered was taken),
    units asked for on the waiting list; offered False when it was not on sale."""

    sold: int = 0
    sold_out: bool = False
    waiting: int = 0
    offered: bool = True


@dataclass
class History:
    """weeks: the Mondays of the shop's sales weeks; products: {product id: {Monday: Observation}}."""

    weeks: set = field(default_factory=set)
    products: dict = field(default_factory=dict)

    def add(self, product_id, monday, observation):
        self.weeks.add(monday)
        self.products.setdefault(product_id, {})[monday] = observation


@dataclass(frozen=True)
class Method:
    """The forecast's settings; the backtest tries others."""

    # Weights of last season's week before, same week, week after (a plain average: the
    # backtest on the demo history found it better than 1-2-1).
    smoothing: tuple = (1, 1, 1)
    # Sales weeks this season compared with last season for the trend.
    recent_weeks: int = 8
    # Units added to both sides of the trend's ratio: small volumes barely move it.
    trend_prior: float = 48.0
    trend_min: float = 0.8
    trend_max: float = 1.25
    # A sold-out week: people who left without signing up the waiting list, in % of sales.
    sold_out_uplift: float = 0.05
    # How far (in weeks either side of the same week) a product must have been on sale last
    # season for the shop to know its season; otherwise the recent average is used.
    season_reach: int = 13


METHOD = Method()


@dataclass(frozen=True)
class Forecast:
    """A week's forecast: value (units, not rounded), how it was made, its parts."""

    value: float
    source: str  # "season", "recent" or "none"
    base: float = 0.0
    trend: float = 1.0

    @property
    def units(self):
        return round_units(self.value)


def round_units(value):
    """Half a plant up: 10.5 → 11 (round() would give 10)."""
    return int(math.floor(value + 0.5))


def monday_of(day):
    return day - timedelta(days=day.weekday())


def weeks_in_iso_year(year):
    return date(year, 12, 28).isocalendar().week


def same_week_last_year(monday):
    """The Monday of the same ISO week a year before (week 53 → last year's week 52)."""
    iso = monday.isocalendar()
    week = min(iso.week, weeks_in_iso_year(iso.year - 1))
    return date.fromisocalendar(iso.year - 1, week, 1)


def demand(observation, method=METHOD):
    """The demand a week shows: its sales, raised when it sold out (sales are then a floor)."""
    if observation is None:
        return 0.0
    if observation.offered and observation.sold_out:
        return observation.sold * (1 + method.sold_out_uplift) + observation.waiting
    if not observation.offered:
        return float(observation.waiting)
    return float(observation.sold)


def actual_demand(observation):
    """What the backtest compares forecasts with: units sold, plus the waiting list's units
    of a week when the product was sold out or not offered (demand the stock did not meet)."""
    if observation is None:
        return 0
    if observation.offered and not observation.sold_out:
        return observation.sold
    return observation.sold + observation.waiting


def _observed(history, product_id, monday, origin):
    """(shop had a sale that week, the product's observation or None), data before origin."""
    if monday >= origin or monday not in history.weeks:
        return False, None
    return True, history.products.get(product_id, {}).get(monday)


def seasonal_base(history, product_id, target, origin, method=METHOD):
    """Last season's demand around the target week (its neighbours weighted as the method
    says), None if the shop had no sale in any of those weeks."""
    middle = same_week_last_year(target)
    total = weights = 0.0
    for offset, weight in zip((-1, 0, 1), method.smoothing, strict=True):
        held, observation = _observed(history, product_id, middle + offset * WEEK, origin)
        if held:
            total += weight * demand(observation, method)
            weights += weight
    return total / weights if weights else None


def _recent_weeks(history, origin, method):
    """The shop's last `recent_weeks` sales weeks before origin, oldest first."""
    return sorted(m for m in history.weeks if m < origin)[-method.recent_weeks :]


def trend(history, product_id, origin, method=METHOD):
    """The product's recent sales weeks this season against the same weeks last season (both
    offered), shrunk towards 1 by the prior (small volumes barely move it), and clamped."""
    recent = _recent_weeks(history, origin, method)
    weeks = history.products.get(product_id, {})
    now = before = 0.0
    for monday in recent:
        this_year, last_year = weeks.get(monday), weeks.get(same_week_last_year(monday))
        if this_year is None or last_year is None:
            continue
        if this_year.offered and last_year.offered:
            now += demand(this_year, method)
            before += demand(last_year, method)
    ratio = (now + method.trend_prior) / (before + method.trend_prior)
    return min(method.trend_max, max(method.trend_min, ratio))


def recent_average(history, product_id, origin, method=METHOD):
    """The average demand of the shop's last sales weeks in which the product was offered,
    None if it was offered in none of them."""
    weeks = history.products.get(product_id, {})
    recent = _recent_weeks(history, origin, method)
    offered = [m for m in recent if m in weeks and weeks[m].offered]
    if not offered:
        return None
    return sum(demand(weeks[m], method) for m in offered) / len(offered)


def knows_last_season(history, product_id, target, origin, method=METHOD):
    """The product was on sale before the end of the season's reach around the same week
    last year: its absence then means no demand, not "not in the catalog yet"."""
    weeks = history.products.get(product_id, {})
    limit = min(origin, same_week_last_year(target) + method.season_reach * WEEK)
    return any(m < limit and obs.offered for m, obs in weeks.items())


def closed_last_year(history, target, origin):
    """The shop held no sale in the same week last year, though it sold before and after it
    (a winter break, its first and last weeks too): it will likely be closed again."""
    middle = same_week_last_year(target)
    if middle in history.weeks:
        return False
    return any(m < middle for m in history.weeks) and any(
        middle < m < origin for m in history.weeks
    )


def forecast(history, product_id, target, origin, method=METHOD):
    """The product's demand in the sales week of Monday `target`, from the weeks before `origin`."""
    if knows_last_season(history, product_id, target, origin, method):
        if closed_last_year(history, target, origin):
            return Forecast(0.0, "closed")
        base = seasonal_base(history, product_id, target, origin, method)
        if base is not None:
            factor = trend(history, product_id, origin, method)
            return Forecast(base * factor, "season", base, factor)
    average = recent_average(history, product_id, origin, method)
    if average is None:
        return Forecast(0.0, "none")
    return Forecast(average, "recent", average)


def naive_forecast(history, product_id, target):
    """The naive forecast the method must beat: the same ISO week last year's actual demand
    (0 when the product was not offered then), None if the shop held no sale that week."""
    monday = same_week_last_year(target)
    if monday not in history.weeks:
        return None
    return actual_demand(history.products.get(product_id, {}).get(monday))
