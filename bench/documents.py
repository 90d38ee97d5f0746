"""Pick-up documents benchmark: build each document for 2,000 orders spread over 40 slots.

Run with `make bench`. Each document is asked for through the staff's address, as a page
(HTML), a PDF and a CSV file; prints the time of the first request (the document cache is
empty: QR codes drawn, PDF laid out by WeasyPrint) and the best of the later ones (unchanged
content comes from the cache; HTML and CSV are built again each time), the SQL queries per
request and the PDF's pages. PostgreSQL when TEST_DATABASE_URL is set, SQLite otherwise.
"""

import io
import random
import secrets
import sys
import tempfile
import time
from datetime import date, timedelta
from datetime import time as clock
from pathlib import Path

from flask_migrate import upgrade
from pypdf import PdfReader
from sqlalchemy import event
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
    Payment,
    PickupPoint,
    PickupSlot,
    Product,
    SalesWeek,
    User,
    utcnow,
)
from boutique.pickup import document_jobs  # noqa: E402

ORDERS = 2_000
SLOTS = 40  # 4 points (one a delivery round) x 2 days x 5 time windows
PRODUCTS = 60
RUNS = {"html": 3, "pdf": 2, "csv": 3}
PASSWORD = "bench-password-42"  # noqa: S105
DAYS = (date(2026, 12, 4), date(2026, 12, 5))


def seed():
    """A week with 40 slots and 2,000 orders (plus cancelled ones that must not show)."""
    rng = random.Random(48)  # noqa: S311  (test data, not secrets)
    categories = [Category(name=f"Catégorie {i}", slug=f"cat-{i}", position=i) for i in range(4)]
    week = SalesWeek(
        label="Semaine de test",
        opens_at=utcnow() - timedelta(days=1),
        closes_at=utcnow() + timedelta(days=2),
        pickup_dates=[day.isoformat() for day in DAYS],
        status="published",
    )
    db.session.add_all([*categories, week])
    offers = []
    for i in range(PRODUCTS):
        product = Product(
            name=f"Plant {i}",
            variety=f"Variété {i}",
            category=categories[i % 4],
            unit_label="godet 8 cm",
            vat_rate_bp=550,
            price_individual_cents=250 + i,
            price_restaurant_cents=190,
            price_amap_cents=180,
        )
        offers.append(Offer(week=week, product=product, quantity_reserved=0))
    db.session.add_all(offers)
    points = [
        PickupPoint(name=f"Point {i}", address=f"{i} chemin des Jardins", position=i)
        for i in range(3)
    ]
    points.append(PickupPoint(name="Tournée des restaurants", is_delivery=True, position=3))
    slots = [
        PickupSlot(
            week=week,
            point=point,
            day=day,
            starts_at=clock(8 + 2 * hour),
            ends_at=clock(9 + 2 * hour),
            capacity=ORDERS,
            booked=0,
        )
        for point in points
        for day in DAYS
        for hour in range(5)
    ]
    assert len(slots) == SLOTS
    # An admin: the CSV files, which carry customers' details, are theirs.
    staff = User(email="equipe@bench.example", role="admin")
    staff.set_password(PASSWORD)
    chefs = []
    for i in range(20):
        chef = User(
            email=f"chef{i}@bench.example",
            role="customer",
            kind="restaurant",
            pro_status="approved",
            organisation=f"Restaurant {i}",
            address=f"{i} rue Haute",
            postcode="84000",
            city="Avignon",
            password_hash="!",  # noqa: S106  (no hash matches: this account never logs in)
        )
        chefs.append(chef)
    db.session.add_all([*points, *slots, staff, *chefs])
    db.session.flush()
    for n in range(ORDERS + ORDERS // 20):
        slot = slots[n % SLOTS]
        pro = slot.point.is_delivery
        order = Order(
            number=f"S49-{n + 1:03d}",
            week=week,
            customer=chefs[n % len(chefs)] if pro else None,
            customer_kind="restaurant" if pro else "individual",
            contact_name=f"Client {n}",
            email=f"client{n}@bench.example",
            phone="06 12 34 56 78",
            slot=slot,
            payment_method="invoice" if pro else "on_pickup",
            # One in 21 is cancelled: the documents must leave it out.
            status="cancelled" if n >= ORDERS else rng.choice(("placed", "confirmed", "ready")),
            prices_include_vat=not pro,
            checkout_token=secrets.token_urlsafe(16),
            access_token=secrets.token_urlsafe(16),
        )
        for offer in rng.sample(offers, rng.randint(1, 5)):
            quantity = rng.randint(1, 12)
            order.lines.append(
                OrderLine(
                    offer=offer,
                    product_id=offer.product.id,
                    product_name=offer.product.full_name,
                    unit_label=offer.product.unit_label,
                    unit_price_cents=offer.product.price_individual_cents,
                    vat_rate_bp=550,
                    quantity_ordered=quantity,
                    quantity=quantity,
                )
            )
        if not pro and n % 5 == 0:
            order.payments.append(Payment(method="cash", amount_cents=100))
        db.session.add(order)
    db.session.commit()
    return week.id, points[0].id, points[3].id


WORKER = {}  # address -> seconds the worker took to render its PDF


def measure(app, client, url, fmt, queries):
    """First and best later time in seconds, SQL queries and a size (PDF pages, else KiB).

    The first request builds the document (cold cache). A PDF's first request answers at once
    with the printable page ("en préparation", 202) while the worker renders it, as in
    production; the worker's time is printed apart. Later requests reuse what did not change.
    """
    timings = []
    for run in range(RUNS[fmt]):
        queries.clear()
        start = time.perf_counter()
        response = client.get(f"{url}format={fmt}")
        timings.append(time.perf_counter() - start)
        if fmt == "pdf" and run == 0:
            from boutique.staff.documents import render_job  # after create_app (blueprints)

            assert response.status_code == 202, (url, response.status_code)
            with app.app_context():
                start = time.perf_counter()
                assert document_jobs.run_due(render_job) == 1
                WORKER[url] = time.perf_counter() - start
            continue
        assert response.status_code == 200, (url, fmt, response.status_code)
    if fmt == "pdf":
        size = f"{len(PdfReader(io.BytesIO(response.data)).pages)} pages"
    else:
        size = f"{len(response.data) // 1024} KiB"
    return timings[0], min(timings[1:]), len(queries), size


def main():
    url, drop = database()
    try:
        app = create_app(
            "production",
            **PRODUCTION,
            SQLALCHEMY_DATABASE_URI=url,
            MAIL_BACKEND="file",
            MAIL_FILE_DIR=tempfile.mkdtemp(),
            DOCUMENT_CACHE_FOLDER=tempfile.mkdtemp(),
            # The bench logs in through the test client: plain HTTP, no form token, no limit.
            SESSION_COOKIE_SECURE=False,
            WTF_CSRF_ENABLED=False,
            RATELIMIT_ENABLED=False,
        )
        with app.app_context():
            upgrade()
            week_id, point_id, round_id = seed()
            engine = db.engine
        client = app.test_client()
        response = client.post(
            "/compte/connexion", data={"email": "equipe@bench.example", "password": PASSWORD}
        )
        assert response.status_code == 302, "login failed"
        queries = []
        event.listen(engine, "before_cursor_execute", lambda *args: queries.append(1))
        base = f"/gestion/semaines/{week_id}/documents"
        documents = [
            ("preparation list, week", f"{base}/preparation?"),
            ("order labels, week", f"{base}/etiquettes?"),
            ("pick-up list, all points", f"{base}/emargement?"),
            ("pick-up list, one point", f"{base}/emargement?point={point_id}&"),
            ("delivery round", f"{base}/tournee?point={round_id}&"),
        ]
        backend = make_url(url).get_backend_name()
        print(
            f"pick-up documents, {ORDERS} orders over {SLOTS} slots, {backend}, "
            "requests in process (first request / later ones, SQL queries, size):"
        )
        for name, address in documents:
            figures = []
            for fmt in ("html", "csv", "pdf"):
                cold, warm, count, size = measure(app, client, address, fmt, queries)
                figures.append(f"{fmt} {cold * 1000:6.0f} / {warm * 1000:5.0f} ms ({count} q, {size})")
            figures.append(f"worker renders the pdf in {WORKER[address]:.1f} s")
            print(f"  {name:25} " + "  ".join(figures), flush=True)
        with app.app_context():
            db.engine.dispose()
    finally:
        drop()


if __name__ == "__main__":
    main()
