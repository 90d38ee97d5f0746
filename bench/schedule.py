"""Schedule generation: place 5,000 orders in 200 slots.

Prints the time of the pure assignment and of `generate_schedule` on the database (SQLite, or
PostgreSQL when TEST_DATABASE_URL is set), and checks that no slot is overfilled.
"""

import random
import sys
import time as timer
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import func, insert, select
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.catalog import PRODUCTION, database  # noqa: E402
from boutique import create_app  # noqa: E402
from boutique.extensions import db  # noqa: E402
from boutique.models import (  # noqa: E402
    CUSTOMER_KINDS,
    Order,
    PickupPoint,
    PickupSlot,
    SalesWeek,
    utcnow,
)
from boutique.pickup.schedule import OrderSpec, SlotSpec, assign, generate_schedule  # noqa: E402

ORDERS, SLOTS, POINTS = 5_000, 200, 10
MONDAY = date(2026, 11, 30)


def specs(rng):
    slots = [
        SlotSpec(
            i,
            i % POINTS,
            MONDAY + timedelta(days=(i // POINTS) % 3),
            time(7 + (i // POINTS) // 3),
            30,
            0,
            frozenset(rng.sample(CUSTOMER_KINDS, rng.randint(1, 3))),
        )
        for i in range(SLOTS)
    ]
    start = datetime(2026, 11, 23, tzinfo=UTC)
    orders = [
        OrderSpec(
            i,
            rng.choice(CUSTOMER_KINDS),
            start + timedelta(seconds=i),
            rng.choice([None, rng.randrange(POINTS)]),
            rng.choice([None, MONDAY + timedelta(days=rng.randrange(3))]),
        )
        for i in range(ORDERS)
    ]
    return slots, orders


def seed(rng):
    week = SalesWeek(
        label="Semaine de test",
        opens_at=utcnow() - timedelta(days=1),
        closes_at=utcnow() + timedelta(days=2),
        pickup_dates=[MONDAY.isoformat()],
        status="published",
    )
    points = [PickupPoint(name=f"Point {i}", address="", position=i) for i in range(POINTS)]
    db.session.add(week)
    db.session.add_all(points)
    db.session.flush()
    db.session.add_all(
        PickupSlot(
            week_id=week.id,
            point_id=points[i % POINTS].id,
            day=MONDAY + timedelta(days=(i // POINTS) % 3),
            starts_at=time(7 + (i // POINTS) // 3),
            ends_at=time(8 + (i // POINTS) // 3),
            capacity=30,
            booked=0,
        )
        for i in range(SLOTS)
    )
    start = utcnow()
    db.session.execute(
        insert(Order),
        [
            {
                "number": f"S48-{i:05d}",
                "week_id": week.id,
                "customer_kind": "individual",
                "contact_name": f"Client {i}",
                "email": "c@exemple.fr",
                "payment_method": "on_pickup",
                "status": "placed",
                "checkout_token": f"t{i}",
                "access_token": f"a{i}",
                "created_at": start + timedelta(seconds=i),
                "preferred_point_id": rng.choice([None, points[rng.randrange(POINTS)].id]),
            }
            for i in range(ORDERS)
        ],
    )
    db.session.commit()
    return week.id


def main():
    rng = random.Random(48)  # noqa: S311  (benchmark data, not secrets)
    slots, orders = specs(rng)
    started = timer.perf_counter()
    result = assign(slots, orders)
    pure = timer.perf_counter() - started
    print(f"schedule: {ORDERS} orders, {SLOTS} slots of 30 places")
    print(
        f"  assign() alone: {pure:.2f} s, {len(result.placed)} placed, "
        f"{len(result.unplaced)} reported"
    )
    url, drop = database()
    try:
        app = create_app("production", **PRODUCTION, SQLALCHEMY_DATABASE_URI=url)
        with app.app_context():
            upgrade()
            week_id = seed(rng)
            started = timer.perf_counter()
            result = generate_schedule(db.session.get(SalesWeek, week_id))
            db.session.commit()
            elapsed = timer.perf_counter() - started
            over = db.session.scalar(
                select(func.count())
                .select_from(PickupSlot)
                .where(PickupSlot.booked > PickupSlot.capacity)
            )
            db.engine.dispose()
        backend = make_url(url).get_backend_name()
        print(
            f"  generate_schedule() on {backend}: {elapsed:.2f} s, {len(result.placed)} placed, "
            f"{len(result.unplaced)} reported, overfilled slots: {over}"
        )
    finally:
        drop()


if __name__ == "__main__":
    main()
