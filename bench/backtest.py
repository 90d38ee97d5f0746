"""Backtest of the sowing plan's demand forecast on the demo history (issue 16).

Loads the demo nursery and its two seasons of sales into a temporary database (SQLite, or
PostgreSQL when TEST_DATABASE_URL is set), reads the history the way the plan does, then
forecasts each week of the last season from the data strictly before it, and prints the
weighted absolute percentage error (WAPE) next to the naive forecast (same week last year),
per product category and in total; then the same at 8 weeks ahead, a sowing's usual lead.
Figures, not pass/fail, except that the method must beat the naive forecast in total.
"""

import pickle  # noqa: S403  (our own file, for trying settings)
import sys
import time as timer
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.catalog import PRODUCTION, database  # noqa: E402
from boutique import create_app  # noqa: E402
from boutique.extensions import db  # noqa: E402
from boutique.models import Category, Product  # noqa: E402
from boutique.sowing import backtest  # noqa: E402
from boutique.sowing.forecast import WEEK, monday_of  # noqa: E402
from boutique.sowing.services import load_history  # noqa: E402

# A fixed day, so that the demo history (anchored on "now") and the figures are the same each run.
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def load_demo():
    from boutique.demo import load_demo_data

    load_demo_data("bench-demo-password-16", now=NOW)
    db.session.commit()


def main():
    url, drop = database()
    try:
        app = create_app("production", **PRODUCTION, SQLALCHEMY_DATABASE_URI=url)
        with app.app_context():
            upgrade()
            started = timer.perf_counter()
            load_demo()
            loaded = timer.perf_counter() - started
            groups = {
                row.id: row.name
                for row in db.session.execute(
                    select(Product.id, Category.name).join(
                        Category, Product.category_id == Category.id
                    )
                )
            }
            # The demo's own last week (a few orders) and this week (open) are not history.
            last_monday = monday_of(NOW.date()) - WEEK
            history = load_history(date(2000, 1, 3), last_monday - timedelta(days=1))
            if len(sys.argv) > 1:  # keep the history for trying other settings
                Path(sys.argv[1]).write_bytes(pickle.dumps(history))
            db.engine.dispose()
        weeks = backtest.season_weeks(history)
        if not weeks:
            print("sowing backtest: the demo has no sales history")
            return
        first, last = weeks[0].isocalendar(), weeks[-1].isocalendar()
        span = f"{first.year}-S{first.week:02d} … {last.year}-S{last.week:02d}"
        print(
            f"sowing forecast backtest: demo history of {len(history.weeks)} weeks "
            f"(loaded in {loaded:.1f} s), {len(groups)} products, season {span}"
        )
        print("  WAPE = Σ|forecast − actual| / Σ actual; actual = units sold + waiting-list units")
        print("  of sold-out or unoffered weeks; naive = the same ISO week last year")
        totals = {}
        for lead, title in (
            (0, "  each week from the data strictly before it:"),
            (8, "  each week from the data 8 weeks before it (a sowing's lead time):"),
        ):
            scores = backtest.backtest(history, groups, weeks, lead=lead)
            totals[lead] = scores[None]
            print("\n".join(backtest.report(scores, title)))
        if any(score.method_error >= score.naive_error for score in totals.values()):
            print("  the method does NOT beat the naive forecast")
            sys.exit(1)
    finally:
        drop()


if __name__ == "__main__":
    main()
