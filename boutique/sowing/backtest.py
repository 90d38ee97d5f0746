"""Backtest of the demand forecast: replay a season week by week, each week forecast from the
data strictly before it (or `lead` weeks before it, as a sowing needs), and compare with what
happened, next to the naive forecast (the same week last year).

The error is the weighted absolute percentage error, WAPE = Σ|forecast − actual| ÷ Σ actual,
over every product and sales week of the season. "Actual" is forecast.actual_demand: units
sold, plus the waiting list's units of the weeks the product was sold out or not offered.
Forecasts are compared in whole plants, as the plan uses them.
"""

from collections import defaultdict
from dataclasses import dataclass

from .forecast import METHOD, WEEK, actual_demand, forecast, naive_forecast


@dataclass
class Score:
    actual: int = 0
    method_error: float = 0.0
    naive_error: float = 0.0

    @property
    def method_wape(self):
        return self.method_error / self.actual if self.actual else None

    @property
    def naive_wape(self):
        return self.naive_error / self.actual if self.actual else None


def season_weeks(history):
    """The Mondays of the last ISO year in the history (the season the backtest replays)."""
    if not history.weeks:
        return []
    year = max(history.weeks).isocalendar().year
    return sorted(m for m in history.weeks if m.isocalendar().year == year)


def backtest(history, groups, targets=None, lead=0, method=METHOD):
    """{group: Score} and the total under None, for the products in `groups`
    ({product id: group name}) over the target weeks (default: the last season)."""
    targets = season_weeks(history) if targets is None else targets
    scores = defaultdict(Score)
    for product_id, group in groups.items():
        observations = history.products.get(product_id, {})
        for target in targets:
            actual = actual_demand(observations.get(target))
            origin = target - lead * WEEK
            predicted = forecast(history, product_id, target, origin, method).units
            naive = naive_forecast(history, product_id, target) or 0
            for key in (group, None):
                score = scores[key]
                score.actual += actual
                score.method_error += abs(predicted - actual)
                score.naive_error += abs(naive - actual)
    return dict(scores)


def report(scores, title):
    """Lines of text: WAPE of the method and of the naive forecast, per group then in total."""
    lines = [title]
    width = max([len(str(k)) for k in scores if k is not None] + [12])
    rows = sorted((k for k in scores if k is not None), key=str) + [None]
    for key in rows:
        score = scores[key]
        if not score.actual:
            continue
        name = "total" if key is None else key
        better = "better" if score.method_error < score.naive_error else "WORSE"
        lines.append(
            f"  {name:<{width}}  method WAPE {score.method_wape:6.1%}   "
            f"naive WAPE {score.naive_wape:6.1%}   ({score.actual} units, {better})"
        )
    return lines
