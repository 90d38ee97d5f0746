"""Standing orders: place 500 of them (5 lines each, 150 customers) when a week is published.

Prints the time and the number of queries of publishing the week, which places every
standing order due in the same unit of work (SQLite, or PostgreSQL when TEST_DATABASE_URL is
set), and checks that no offer is oversold.
"""

import random
import sys
import time as timer
from datetime import date, time, timedelta
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.catalog import PRODUCTION, database  # noqa: E402
from boutique import create_app  # noqa: E402
from boutique.extensions import db  # noqa: E402
from boutique.models import (  # noqa: E402
    Category,
    Offer,
    Order,
    PickupPoint,
    PickupSlot,
    Product,
    SalesWeek,
    StandingOrder,
    StandingOrderLine,
    User,
    utcnow,
)
from boutique.weeks.services import publish_week  # noqa: E402

STANDING, CUSTOMERS, PRODUCTS, LINES = 500, 150, 40, 5
FRIDAY = date(2026, 12, 4)
MONDAY = FRIDAY - timedelta(days=4)


def seed(rng):
    category = Category(name="Plants", slug="plants", position=1)
    products = [
        Product(
            name=f"Plant {i}",
            variety="",
            category=category,
            unit_label="godet",
            vat_rate_bp=550,
            price_individual_cents=250,
            price_restaurant_cents=190,
            price_amap_cents=180,
        )
        for i in range(PRODUCTS)
    ]
    week = SalesWeek(
        label="Semaine 49",
        opens_at=utcnow() + timedelta(hours=1),
        closes_at=utcnow() + timedelta(days=3),
        pickup_dates=[FRIDAY.isoformat()],
        status="draft",
    )
    db.session.add_all([category, week, *products])
    # Some products short: the oldest standing orders get them, the others are capped.
    for i, product in enumerate(products):
        db.session.add(
            Offer(
                week=week,
                product=product,
                quantity_available=None if i % 4 == 0 else rng.randint(200, 1500),
                quantity_reserved=0,
                max_per_order=None if i % 5 else 20,
            )
        )
    points = [PickupPoint(name=f"Point {i}", address="") for i in range(4)]
    db.session.add_all(points)
    for point in points:
        for hour in (9, 14, 17):
            db.session.add(
                PickupSlot(
                    week=week,
                    point=point,
                    day=FRIDAY,
                    starts_at=time(hour),
                    ends_at=time(hour + 2),
                    capacity=60,
                    booked=0,
                )
            )
    kinds = ("restaurant", "amap", "individual")
    customers = []
    for i in range(CUSTOMERS):
        kind = kinds[i % 3]
        customers.append(
            User(
                email=f"client{i}@exemple.fr",
                password_hash="x",  # noqa: S106  # nosec B106 - no login in the benchmark
                role="customer",
                kind=kind,
                pro_status="approved" if kind != "individual" else None,
                organisation=f"Client {i}",
                email_verified_at=utcnow(),
            )
        )
    db.session.add_all(customers)
    db.session.flush()
    for i in range(STANDING):
        customer = customers[i % CUSTOMERS]
        standing = StandingOrder(
            customer=customer,
            point=points[i % 4],
            weekday=4,
            starts_at=time((9, 14, 17)[i % 3]),
            payment_method="on_pickup" if customer.kind == "individual" else "invoice",
            every_weeks=1,
            start_monday=MONDAY - timedelta(days=7 * (i % 3)),
            skip_mondays=[],
            created_at=utcnow() - timedelta(minutes=STANDING - i),
        )
        for product in rng.sample(products, LINES):
            standing.lines.append(StandingOrderLine(product=product, quantity=rng.randint(1, 30)))
        db.session.add(standing)
    db.session.commit()
    return week.id


def main():
    rng = random.Random(49)  # noqa: S311  (benchmark data, not secrets)
    url, drop = database()
    try:
        app = create_app("production", **PRODUCTION, SQLALCHEMY_DATABASE_URI=url)
        with app.app_context():
            upgrade()
            week_id = seed(rng)
            db.session.remove()
            queries = []
            event.listen(db.engine, "before_cursor_execute", lambda *args: queries.append(1))
            started = timer.perf_counter()
            placements = publish_week(db.session.get(SalesWeek, week_id))
            db.session.commit()
            elapsed = timer.perf_counter() - started
            placed = sum(1 for p in placements if p.order_id)
            short = sum(1 for p in placements if p.order_id and p.report)
            over = db.session.scalar(
                select(func.count())
                .select_from(Offer)
                .where(Offer.quantity_reserved > Offer.quantity_available)
            )
            orders = db.session.scalar(select(func.count()).select_from(Order))
            db.engine.dispose()
        backend = make_url(url).get_backend_name()
        print(f"standing orders: {STANDING} of {LINES} lines, {CUSTOMERS} customers")
        print(
            f"  publish_week() on {backend}: {elapsed:.2f} s, {len(queries)} queries "
            f"({len(queries) / STANDING:.1f} per standing order), {placed} placed "
            f"({short} short), {orders} orders, oversold offers: {over}"
        )
    finally:
        drop()


if __name__ == "__main__":
    main()
