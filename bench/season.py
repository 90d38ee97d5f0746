"""The season dashboard on a long history: 3 seasons of 52 weeks, 300 products, 15,000 orders.

Builds the history with bulk inserts (a throwaway SQLite file, or PostgreSQL when
TEST_DATABASE_URL is set), logs in as staff and times GET /gestion/saison and its chart SVGs
(median and max over RUNS requests, after one warm-up) with the number of SQL statements of
each. The page's target is under 300 ms.

`python bench/season.py --keep sqlite:////tmp/season.sqlite` leaves the history in that
database (migrated first) to look at it with `flask run`.
"""

import random
import statistics
import sys
import time as timer
import uuid
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import event, insert, select
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.catalog import PRODUCTION, database  # noqa: E402
from boutique import create_app  # noqa: E402
from boutique.extensions import db  # noqa: E402
from boutique.models import (  # noqa: E402
    Category,
    Offer,
    Order,
    OrderLine,
    Product,
    SalesWeek,
    SeasonCharge,
    User,
    WaitlistEntry,
)

YEARS, WEEKS, PRODUCTS, ORDERS, CUSTOMERS, WAITING = (2024, 2025, 2026), 52, 300, 15_000, 400, 3_000
RUNS = 10
TARGET = 0.3  # seconds, the year's page (issue 16)
PASSWORD = "bench-password-42"  # noqa: S105
STATUSES = ["collected"] * 80 + ["confirmed"] * 5 + ["cancelled"] * 7 + ["no_show"] * 5
STATUSES += ["expired"] * 3
CHARTS = (
    "ventes",
    "ecoulement-semaines",
    "ecoulement",
    "invendus",
    "absences",
    "paiements",
    "attente",
    "financeurs",
)


def _week_rows():
    rows = []
    for year in YEARS:
        for number in range(1, WEEKS + 1):
            friday = date.fromisocalendar(year, number, 5)
            closes = datetime.combine(friday - timedelta(days=2), time(12), UTC)
            rows.append(
                {
                    "label": f"Semaine {number}",
                    "opens_at": closes - timedelta(days=5),
                    "closes_at": closes,
                    "pickup_dates": [friday.isoformat()],
                    "status": "archived",
                    "version": 1,
                    "order_counter": 0,
                    "created_at": closes - timedelta(days=6),
                }
            )
    return rows


def seed(rng):
    """The history, in a few bulk statements; returns nothing (the database holds it)."""
    session = db.session
    category = Category(name="Plants", slug="plants", position=1)
    staff = User(email="equipe@bench.example", role="staff", first_name="Équipe")
    staff.set_password(PASSWORD)
    session.add_all([category, staff])
    session.flush()
    session.execute(
        insert(Product),
        [
            {
                "name": f"Plant {i:03d}",
                "variety": f"Variété {i % 17}",
                "category_id": category.id,
                "unit_label": "godet 8 cm",
                "vat_rate_bp": (550, 550, 1000, 2000)[i % 4],
                "price_individual_cents": 200 + 7 * (i % 50),
                "price_restaurant_cents": 150 + 5 * (i % 50),
                "price_amap_cents": 140 + 5 * (i % 50),
                "description": "",
            }
            for i in range(PRODUCTS)
        ],
    )
    products = session.execute(
        select(Product.id, Product.name, Product.unit_label, Product.vat_rate_bp).order_by(
            Product.id
        )
    ).all()
    session.execute(insert(SalesWeek), _week_rows())
    weeks = session.execute(select(SalesWeek.id, SalesWeek.closes_at).order_by(SalesWeek.id)).all()
    # Each product is offered 20 weeks of each year, from a week of its own; most with a limit.
    offers = {}
    for n, week in enumerate(weeks):
        number = n % WEEKS
        for i, product in enumerate(products):
            if (number - i * 7) % WEEKS < 20:
                limited = i % 5 != 0
                offers[(week.id, product.id)] = {
                    "week_id": week.id,
                    "product_id": product.id,
                    "offered": True,
                    "quantity_available": rng.randint(10, 60) if limited else None,
                    "quantity_reserved": 0,
                }
    kinds = ("individual",) * 6 + ("restaurant",) * 3 + ("amap",)
    session.execute(
        insert(User),
        [
            {
                "email": f"client{i}@bench.example",
                "password_hash": "x",
                "role": "customer",
                "kind": kinds[i % len(kinds)],
                "first_name": "Client",
                "last_name": str(i),
            }
            for i in range(CUSTOMERS)
        ],
    )
    customers = session.execute(
        select(User.id, User.kind, User.email).where(User.role == "customer")
    ).all()
    by_week = {}
    for (week_id, _product_id), offer in offers.items():
        by_week.setdefault(week_id, []).append(offer)
    order_rows, line_rows = [], []
    for n in range(ORDERS):
        week = weeks[n % len(weeks)]
        customer = customers[rng.randrange(len(customers))]
        kind = customer.kind
        status = rng.choice(STATUSES)
        method = rng.choice(
            ("card", "on_pickup") if kind == "individual" else ("invoice", "on_pickup")
        )
        order_rows.append(
            {
                "number": f"S{n % WEEKS + 1:02d}-{n // len(weeks) + 1:03d}",
                "week_id": week.id,
                "customer_id": customer.id,
                "customer_kind": kind,
                "contact_name": "Client",
                "email": customer.email,
                "payment_method": method,
                "status": status,
                "prices_include_vat": kind == "individual",
                "checkout_token": uuid.uuid4().hex,
                "access_token": uuid.uuid4().hex,
                "created_at": week.closes_at - timedelta(days=1),
            }
        )
        for offer in rng.sample(by_week[week.id], 4):
            quantity = rng.randint(1, 6)
            if offer["quantity_available"] is not None:
                left = offer["quantity_available"] - offer["quantity_reserved"]
                quantity = min(quantity, left)
                if quantity <= 0:
                    continue
            if status not in ("cancelled", "expired"):
                offer["quantity_reserved"] += quantity
            line_rows.append((n, offer, quantity))
    session.execute(insert(Offer), list(offers.values()))
    offer_ids = {
        (row.week_id, row.product_id): row.id
        for row in session.execute(select(Offer.id, Offer.week_id, Offer.product_id))
    }
    session.execute(insert(Order), order_rows)
    order_ids = [row.id for row in session.execute(select(Order.id).order_by(Order.id))]
    product_of = {product.id: product for product in products}
    prices = {"individual": 250, "restaurant": 190, "amap": 180}
    session.execute(
        insert(OrderLine),
        [
            {
                "order_id": order_ids[n],
                "offer_id": offer_ids[(offer["week_id"], offer["product_id"])],
                "product_id": offer["product_id"],
                "product_name": product_of[offer["product_id"]].name,
                "unit_label": product_of[offer["product_id"]].unit_label,
                "unit_price_cents": prices[order_rows[n]["customer_kind"]] + n % 7,
                "vat_rate_bp": product_of[offer["product_id"]].vat_rate_bp,
                "quantity_ordered": quantity,
                "quantity": quantity,
            }
            for n, offer, quantity in line_rows
        ],
    )
    session.execute(
        insert(WaitlistEntry),
        [
            {
                "product_id": products[rng.randrange(PRODUCTS)].id,
                "email": f"attente{i}@bench.example",
                "quantity": rng.choice((None, 1, 2, 5)),
                "locale": "fr",
                "token": uuid.uuid4().hex,
                "week_id": weeks[i % len(weeks)].id,
                "created_at": weeks[i % len(weeks)].closes_at - timedelta(days=2),
                "ended_at": None if i % 3 else weeks[i % len(weeks)].closes_at,
                "end_reason": "" if i % 3 else "notified",
            }
            for i in range(WAITING)
        ],
    )
    for year in YEARS:
        for label, amount in (("Salaires", 18_000_000), ("Serres et intrants", 2_400_000)):
            session.add(SeasonCharge(year=year, label=label, amount_cents=amount))
    session.commit()
    return len(offers), len(line_rows)


def measure(client, url, statements):
    """Median and max wall time, median CPU time of this process (the wall time of a busy
    machine counts other processes' turns; SQLite's work is in this process), statements."""
    timings, cpu, counts = [], [], []
    client.get(url)  # warm up: templates compiled, connection opened
    for _run in range(RUNS):
        statements.clear()
        started, started_cpu = timer.perf_counter(), timer.process_time()
        response = client.get(url)
        timings.append(timer.perf_counter() - started)
        cpu.append(timer.process_time() - started_cpu)
        counts.append(len(statements))
        assert response.status_code == 200, (url, response.status_code)
    median = statistics.median
    return median(timings), max(timings), median(cpu), max(counts), len(response.data)


def main():
    keep = sys.argv[2] if len(sys.argv) > 2 and sys.argv[1] == "--keep" else None
    rng = random.Random(16)  # noqa: S311  (benchmark data, not secrets)
    url, drop = (keep, lambda: None) if keep else database()
    try:
        app = create_app(
            "production",
            **PRODUCTION,
            SQLALCHEMY_DATABASE_URI=url,
            # The bench logs in through the test client: plain HTTP, no form token, no limit.
            SESSION_COOKIE_SECURE=False,
            WTF_CSRF_ENABLED=False,
            RATELIMIT_ENABLED=False,
        )
        with app.app_context():
            upgrade()
            started = timer.perf_counter()
            offers, lines = seed(rng)
            seeded = timer.perf_counter() - started
            engine = db.engine
        backend = make_url(url).get_backend_name()
        print(
            f"season dashboard, {backend}: {len(YEARS)} seasons of {WEEKS} weeks, {PRODUCTS} "
            f"products, {offers} offers, {ORDERS} orders, {lines} lines "
            f"(seeded in {seeded:.1f} s); median / max of {RUNS} requests in process"
        )
        if keep:
            print(f"  kept in {url}; staff login equipe@bench.example / {PASSWORD}")
            return
        client = app.test_client()
        response = client.post(
            "/compte/connexion", data={"email": "equipe@bench.example", "password": PASSWORD}
        )
        assert response.status_code == 302, "login failed"
        statements = []
        event.listen(engine, "before_cursor_execute", lambda *args: statements.append(1))
        year = YEARS[-1]
        pages = [
            (f"page, year {year}", f"/gestion/saison/?annee={year}"),
            ("page, 3 seasons", f"/gestion/saison/?du={YEARS[0]}-01-01&au={year}-12-31"),
            ("page, one product's weeks", f"/gestion/saison/?annee={year}&produit=1"),
        ]
        pages += [
            (f"chart {name}", f"/gestion/saison/graphique-{name}.svg?annee={year}")
            for name in CHARTS
        ]
        pages.append(("CSV sell-through", f"/gestion/saison/ecoulement.csv?annee={year}"))
        for name, address in pages:
            median, worst, cpu, count, size = measure(client, address, statements)
            print(
                f"  {name:28} {median * 1000:6.0f} ms median, {worst * 1000:6.0f} ms max, "
                f"{cpu * 1000:6.0f} ms CPU, {count:3d} statements, {size // 1024} KiB",
                flush=True,
            )
            if address == pages[0][1]:
                verdict = "under" if median < TARGET else "OVER"
                print(f"  (the year's page, median: {verdict} the {TARGET * 1000:.0f} ms target)")
        with app.app_context():
            db.engine.dispose()
    finally:
        if not keep:
            drop()


if __name__ == "__main__":
    main()
