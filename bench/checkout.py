"""Checkout under contention: N concurrent buyers place orders through the real service.

Each buyer is a thread with its own database connection and transaction, placing orders of
1-3 products from a small hot catalog until it is sold out. Prints orders/s and the units
oversold, which must be 0. PostgreSQL when TEST_DATABASE_URL is set, SQLite otherwise.
"""

import random
import secrets
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from datetime import time as clock
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import func, select
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
    PickupPoint,
    PickupSlot,
    Product,
    SalesWeek,
    utcnow,
)
from boutique.ordering.services import Contact, OrderError, place_order  # noqa: E402

BUYERS = 16
OFFERS = 10
STOCK = 60  # per offer: 600 units in all, sold out during the run


def seed():
    category = Category(name="Plants", slug="plants", position=1)
    week = SalesWeek(
        label="Semaine de test",
        opens_at=utcnow() - timedelta(days=1),
        closes_at=utcnow() + timedelta(days=2),
        pickup_dates=[(utcnow() + timedelta(days=3)).date().isoformat()],
        status="published",
    )
    point = PickupPoint(name="Portail", address="Chemin des Jardins")
    slot = PickupSlot(
        week=week,
        point=point,
        day=date.today(),
        starts_at=clock(16),
        ends_at=clock(19),
        capacity=100_000,
        booked=0,
    )
    db.session.add_all([category, week, point, slot])
    for i in range(OFFERS):
        product = Product(
            name=f"Plant {i}",
            variety="",
            category=category,
            unit_label="godet 8 cm",
            vat_rate_bp=550,
            price_individual_cents=250,
            price_restaurant_cents=190,
            price_amap_cents=180,
        )
        db.session.add(
            Offer(week=week, product=product, quantity_available=STOCK, quantity_reserved=0)
        )
    db.session.commit()
    return week.id, slot.id


def buyer(app, week_id, slot_id, offer_ids, barrier, results):
    rng = random.Random()  # noqa: S311  (shopping choices, not secrets)
    placed = refused = 0
    with app.app_context():
        week = db.session.get(SalesWeek, week_id)
        barrier.wait()
        while True:
            # Like a customer, pick among what the catalog still shows as available.
            left = dict(
                db.session.execute(
                    select(Offer.id, Offer.quantity_available - Offer.quantity_reserved).where(
                        Offer.week_id == week_id, Offer.quantity_reserved < Offer.quantity_available
                    )
                ).all()
            )
            db.session.commit()
            if not left:
                break
            chosen = rng.sample(sorted(left), min(len(left), rng.randint(1, 3)))
            items = {oid: min(left[oid], rng.randint(1, 3)) for oid in chosen}
            try:
                place_order(
                    week=week,
                    items=items,
                    slot_id=slot_id,
                    payment_method="on_pickup",
                    contact=Contact("Client", "client@exemple.fr"),
                    kind="individual",
                    checkout_token=secrets.token_urlsafe(16),
                )
                db.session.commit()
                placed += 1
            except OrderError:
                db.session.rollback()  # someone took the last units first
                refused += 1
            week = db.session.get(SalesWeek, week_id)
        db.session.remove()
    results.append((placed, refused))


def main():
    url, drop = database()
    try:
        app = create_app(
            "production",
            **PRODUCTION,
            SQLALCHEMY_DATABASE_URI=url,
            SQLALCHEMY_ENGINE_OPTIONS={"pool_size": BUYERS + 4},
            MAIL_BACKEND="file",
            MAIL_FILE_DIR=tempfile.mkdtemp(),
        )
        with app.app_context():
            upgrade()
            week_id, slot_id = seed()
            offer_ids = list(db.session.scalars(select(Offer.id)))
        barrier, results = threading.Barrier(BUYERS + 1), []
        threads = [
            threading.Thread(
                target=buyer, args=(app, week_id, slot_id, offer_ids, barrier, results)
            )
            for _ in range(BUYERS)
        ]
        for thread in threads:
            thread.start()
        barrier.wait()
        start = time.perf_counter()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - start
        with app.app_context():
            orders = db.session.scalar(select(func.count()).select_from(Order))
            sold = db.session.scalar(select(func.sum(OrderLine.quantity))) or 0
            offers = db.session.scalars(select(Offer)).all()
            oversold = sum(max(0, o.quantity_reserved - o.quantity_available) for o in offers)
            reserved = sum(o.quantity_reserved for o in offers)
            db.engine.dispose()
        refused = sum(r for _, r in results)
        backend = make_url(url).get_backend_name()
        print(
            f"checkout under contention, {backend}, {BUYERS} concurrent buyers, "
            f"{OFFERS} products x {STOCK} units:"
        )
        print(
            f"  {orders} orders in {elapsed:.2f} s = {orders / elapsed:.0f} orders/s "
            f"({refused} refused: the units went to a faster buyer)"
        )
        print(f"  units sold {sold}, reserved {reserved}, available {OFFERS * STOCK}")
        print(f"  oversold units: {oversold}")
        if oversold or sold != reserved:
            raise SystemExit("OVERSOLD: the no-oversell rule is broken")
    finally:
        drop()


if __name__ == "__main__":
    main()
