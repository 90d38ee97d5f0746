"""Catalog page benchmark: the storefront with 300 offered products, in process.

The first request renders the product grid; the later ones reuse it (the week's version has
not moved), which is what visitors get between two stock changes.

Run with `make bench`. Uses a throwaway SQLite file, or PostgreSQL when TEST_DATABASE_URL
is set (a database is created and dropped). Prints latency percentiles and SQL queries per page.
"""

import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from boutique import create_app  # noqa: E402
from boutique.extensions import db  # noqa: E402
from boutique.models import Category, Offer, Product, SalesWeek, utcnow  # noqa: E402
from config import EXAMPLE_BANK  # noqa: E402

PRODUCTS = 300
REQUESTS = 300
SEARCHES = 30


# Production configuration as the benches run it: a real-looking secret and Stripe keys that
# are never used (no bench pays by card), a public address and shared rate-limit storage
# (Redis on 127.0.0.1:6379), since production refuses to start without them. The benches'
# clients reach the shop as localhost or 127.0.0.1: trusted host names besides the public one.
PRODUCTION = {
    "SECRET_KEY": "b" * 40,
    "STRIPE_SECRET_KEY": "sk_test_bench_never_called",
    "STRIPE_WEBHOOK_SECRET": "whsec_bench_never_called",
    "PUBLIC_URL": "https://boutique.bench.example",
    "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0"),
    "TRUSTED_HOSTS": ["localhost", "127.0.0.1"],
    **EXAMPLE_BANK,
}


def database():
    admin_url = os.environ.get("TEST_DATABASE_URL")
    if not admin_url:
        path = Path(tempfile.mkdtemp()) / "bench.sqlite"
        return f"sqlite:///{path}", lambda: None
    name = f"boutique_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop


def seed():
    from datetime import timedelta

    categories = [Category(name=f"Catégorie {i}", slug=f"cat-{i}", position=i) for i in range(4)]
    db.session.add_all(categories)
    week = SalesWeek(
        label="Semaine de test",
        opens_at=utcnow() - timedelta(days=1),
        closes_at=utcnow() + timedelta(days=2),
        pickup_dates=[(utcnow() + timedelta(days=3)).date().isoformat()],
        status="published",
    )
    db.session.add(week)
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
        db.session.add(product)
        db.session.add(
            Offer(week=week, product=product, quantity_available=50, quantity_reserved=i % 50)
        )
    db.session.commit()


def main():
    url, drop = database()
    try:
        app = create_app("production", **PRODUCTION, SQLALCHEMY_DATABASE_URI=url)
        with app.app_context():
            upgrade()
            seed()
            engine = db.engine
        client = app.test_client()
        queries = []
        event.listen(engine, "before_cursor_execute", lambda *args: queries.append(1))
        start = time.perf_counter()
        client.get("/")  # renders the grid: the first visitor after every stock change pays it
        first = (time.perf_counter() - start) * 1000
        first_queries = len(queries)
        queries.clear()
        timings = []
        for _ in range(REQUESTS):
            start = time.perf_counter()
            response = client.get("/")
            timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        per_page = len(queries) / REQUESTS
        timings.sort()
        p50 = statistics.median(timings)
        p95 = timings[int(len(timings) * 0.95) - 1]
        backend = make_url(url).get_backend_name()
        print(f"catalog page, {PRODUCTS} products, {backend}, {REQUESTS} requests in process:")
        print(
            f"  p50 {p50:.1f} ms  p95 {p95:.1f} ms  {1000 / statistics.mean(timings):.0f} pages/s"
        )
        print(f"  first request (grid rendered): {first:.0f} ms, {first_queries} SQL queries")
        print(f"  SQL queries per page: {per_page:.1f}")
        print(f"  page size: {len(response.data) // 1024} KiB")
        # A search nobody made yet: the week's 300 offers matched in Python (catalog/search.py)
        # and the result grid rendered; then the same search again, from the cache.
        searches = [f"plants {i} variete" for i in range(SEARCHES)]
        first_search, cached_search = [], []
        for query in searches:
            for into in (first_search, cached_search):
                start = time.perf_counter()
                response = client.get("/", query_string={"q": query})
                into.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200
        start = time.perf_counter()
        missed = client.get("/", query_string={"q": "plante variiete"})  # a typo: a suggestion
        missed_ms = (time.perf_counter() - start) * 1000
        assert "Vouliez-vous dire" in missed.get_data(as_text=True)
        print(
            f"  a new search: p50 {statistics.median(first_search):.1f} ms "
            f"(the same again, cached: {statistics.median(cached_search):.1f} ms); "
            f"no result and a suggestion: {missed_ms:.0f} ms"
        )
        with app.app_context():
            db.engine.dispose()
    finally:
        drop()


if __name__ == "__main__":
    main()
