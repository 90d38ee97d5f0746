"""Load benchmark: the shop served by gunicorn in production configuration, loaded by wrk.

Run with `make bench` (installs Debian's wrk if it is missing). Seeds a realistic load (300
products offered this week, 200 customers, 5,000 orders of past weeks and 200 of this week),
starts gunicorn (2 workers x 4 threads, the 2-core machine), then loads each page with wrk
from a separate process: 8 connections for 10 s each (the catalog and the ceiling three times
each, in alternation, their medians reported). Prints requests/s and p50/p95 latency
per page, the SQL queries per page (counted in process), and as the last line the ratio of the
catalog's throughput to the ceiling: the same server returning the catalog's bytes from memory.
PostgreSQL when TEST_DATABASE_URL is set, SQLite otherwise.
"""

import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from datetime import time as clock
from datetime import timedelta
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import event
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.catalog import PRODUCTION, database  # noqa: E402
from bench.catalog import seed as seed_catalog  # noqa: E402
from boutique import create_app  # noqa: E402
from boutique.extensions import db  # noqa: E402
from boutique.models import (  # noqa: E402
    Offer,
    Order,
    OrderLine,
    PickupPoint,
    PickupSlot,
    SalesWeek,
    User,
    utcnow,
)

CUSTOMERS = 200
PAST_ORDERS = 5_000
WEEK_ORDERS = 200
CONNECTIONS = 8
SECONDS = 10
# The catalog and its ceiling are measured in alternation, ROUNDS times: the ratio compares
# their medians, so that a passing slowdown of the machine does not decide it.
ROUNDS = 3
PASSWORD = "bench-password-42"  # noqa: S105
LUA = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format("RESULT %d %d %.3f %.3f %d\\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, errors))
end
"""


def seed():
    """The catalog's 300 products this week, customers, and orders past and present."""
    rng = random.Random(6)  # noqa: S311  (test data)
    seed_catalog()
    week = db.session.scalar(db.select(SalesWeek))
    offers = db.session.scalars(db.select(Offer).where(Offer.week_id == week.id)).all()
    past = SalesWeek(
        label="Semaine passée",
        opens_at=utcnow() - timedelta(days=9),
        closes_at=utcnow() - timedelta(days=6),
        pickup_dates=[(utcnow() - timedelta(days=5)).date().isoformat()],
        status="archived",
    )
    staff = User(email="equipe@bench.example", role="staff", first_name="É", last_name="Q")
    staff.set_password(PASSWORD)
    customers = []
    for n in range(CUSTOMERS):
        customer = User(email=f"client{n}@bench.example", role="customer", kind="individual")
        customer.password_hash = staff.password_hash  # hashing 200 passwords is not the point
        customers.append(customer)
    point = PickupPoint(name="Portail", address="Chemin des Jardins")
    slots = [
        PickupSlot(
            week=week,
            point=point,
            day=(utcnow() + timedelta(days=3)).date(),
            starts_at=clock(9 + n),
            ends_at=clock(10 + n),
            capacity=100,
            booked=0,
        )
        for n in range(4)
    ]
    db.session.add_all([past, staff, point, *customers, *slots])
    db.session.flush()
    for n in range(PAST_ORDERS + WEEK_ORDERS):
        current = n >= PAST_ORDERS
        customer = customers[n % CUSTOMERS]
        slot = slots[n % 4] if current else None
        order = Order(
            number=f"S{n:06d}",
            week=week if current else past,
            customer=customer,
            customer_kind="individual",
            contact_name=f"Client {n % CUSTOMERS}",
            email=customer.email,
            phone="06 00 00 00 00",
            slot=slot,
            payment_method="on_pickup",
            status="placed" if current else "collected",
            checkout_token=f"bench-{n}",
            access_token=f"bench-access-{n}",
        )
        if slot is not None:
            slot.booked += 1
        for offer in rng.sample(offers, 3):
            order.lines.append(
                OrderLine(
                    offer_id=offer.id,
                    product_id=offer.product_id,
                    product_name=offer.product.full_name,
                    unit_label=offer.product.unit_label,
                    unit_price_cents=offer.product.price_individual_cents,
                    vat_rate_bp=550,
                    quantity_ordered=1,
                    quantity=1,
                )
            )
        db.session.add(order)
    db.session.commit()
    return week.id, offers[0].product_id


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port, process, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn exited with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    sys.exit("gunicorn did not start")


def http(base, method, path, cookie="", body=None):
    """One request with the standard library: (status, headers, body text)."""
    import http.client

    connection = http.client.HTTPConnection(*base.removeprefix("http://").split(":"))
    headers = {"Cookie": cookie} if cookie else {}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        body = urllib.parse.urlencode(body)
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    return response.status, response.getheaders(), response.read().decode("utf-8", "replace")


def session_cookie(headers, cookie=""):
    for name, value in headers:
        if name.lower() == "set-cookie" and value.startswith("session="):
            return value.split(";")[0]
    return cookie


def csrf_token(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def log_in(base, email):
    status, headers, html = http(base, "GET", "/compte/connexion")
    cookie = session_cookie(headers)
    status, headers, _ = http(
        base,
        "POST",
        "/compte/connexion",
        cookie,
        {"csrf_token": csrf_token(html), "email": email, "password": PASSWORD},
    )
    assert status == 302, f"login failed: {status}"
    return session_cookie(headers, cookie)


def wrk(url, script, cookie="", body=None, seconds=SECONDS):
    """Run wrk on one address; returns (requests/s, p50 ms, p95 ms, errors)."""
    lua = LUA
    if body is not None:
        lua = (
            f'wrk.method = "POST"\nwrk.body = "{urllib.parse.urlencode(body)}"\n'
            'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n' + lua
        )
    if cookie:
        lua = f'wrk.headers["Cookie"] = "{cookie}"\n' + lua
    script.write_text(lua)
    result = subprocess.run(  # noqa: S603  (fixed arguments)
        [
            shutil.which("wrk"),
            "-t2",
            f"-c{CONNECTIONS}",
            f"-d{seconds}s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(line for line in result.stdout.splitlines() if line.startswith("RESULT"))
    requests, duration_us, p50, p95, errors = line.split()[1:]
    return int(requests) / (int(duration_us) / 1e6), float(p50), float(p95), int(errors)


def count_queries(settings, pages):
    """SQL queries per page, counted in process for the same requests (second of two)."""
    app = create_app(
        "production",
        **settings,
        WTF_CSRF_ENABLED=False,
        SESSION_COOKIE_SECURE=False,
        RATELIMIT_ENABLED=False,
    )
    visitor, staff = app.test_client(), app.test_client()
    staff.post("/compte/connexion", data={"email": "equipe@bench.example", "password": PASSWORD})
    queries = []
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", lambda *args: queries.append(1))
    counts = {}
    for name, (who, method, path, data) in pages.items():
        client = staff if who == "staff" else visitor
        client.open(path, method=method, data=data)  # warm: caches, pooled connection
        queries.clear()
        client.open(path, method=method, data=data)
        counts[name] = len(queries)
    with app.app_context():
        db.engine.dispose()
    return counts


def main():
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk (make bench does it)")
    url, drop = database()
    cache = tempfile.mkdtemp()
    try:
        settings = {
            **PRODUCTION,
            "SQLALCHEMY_DATABASE_URI": url,
            "DOCUMENT_CACHE_FOLDER": cache,
            "MAIL_BACKEND": "file",
            "MAIL_FILE_DIR": tempfile.mkdtemp(),
        }
        app = create_app("production", **settings)
        with app.app_context():
            upgrade()
            week_id, product_id = seed()
            engine = db.engine
        backend = make_url(str(engine.url)).get_backend_name()
        port = free_port()
        env = {
            **os.environ,
            "FLASK_CONFIG": "production",
            "DATABASE_URL": url,
            "SECRET_KEY": PRODUCTION["SECRET_KEY"],
            "STRIPE_SECRET_KEY": PRODUCTION["STRIPE_SECRET_KEY"],
            "STRIPE_WEBHOOK_SECRET": PRODUCTION["STRIPE_WEBHOOK_SECRET"],
            "PUBLIC_URL": PRODUCTION["PUBLIC_URL"],
            "RATELIMIT_STORAGE_URI": PRODUCTION["RATELIMIT_STORAGE_URI"],
            "TRUSTED_HOSTS": ",".join(PRODUCTION["TRUSTED_HOSTS"]),
            **{name: PRODUCTION[name] for name in ("BANK_IBAN", "BANK_BIC", "BANK_ACCOUNT_HOLDER")},
            "DOCUMENT_CACHE_FOLDER": cache,
            "MAIL_BACKEND": "file",
            "MAIL_FILE_DIR": tempfile.mkdtemp(),
            "AUTH_RATE_LIMIT": "1000 per minute",
        }
        server = subprocess.Popen(  # noqa: S603  (our own venv, fixed arguments)
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "--workers", "2",
                "--threads", "4",
                "--worker-class", "gthread",
                "--bind", f"127.0.0.1:{port}",
                "--log-level", "warning",
                "bench.wsgi:application",
            ],
            cwd=ROOT,
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for(port, server)
            run(settings, backend, base, week_id, product_id)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        with app.app_context():
            db.engine.dispose()
    finally:
        drop()


def run(settings, backend, base, week_id, product_id):
    customer = log_in(base, "client0@bench.example")
    staff = log_in(base, "equipe@bench.example")
    _, headers, html = http(base, "GET", "/", customer)
    customer = session_cookie(headers, customer)
    offer_id = re.search(r'name="offer_id" value="(\d+)"', html).group(1)
    add = {"offer_id": offer_id, "quantity": "1"}
    orders = f"/gestion/commandes?semaine={week_id}"
    pickup_list = f"/gestion/semaines/{week_id}/documents/emargement"
    # name: (who, method, path, form)
    pages = {
        "catalog page": ("visitor", "GET", "/", None),
        "product page": ("visitor", "GET", f"/produit/{product_id}", None),
        "add to basket": ("customer", "POST", "/panier/ajouter", add),
        "staff orders (200)": ("staff", "GET", orders, None),
        "pick-up list (200)": ("staff", "GET", pickup_list, None),
    }
    cookies = {"visitor": "", "customer": customer, "staff": staff}
    # The ceiling must serve the very page the catalog serves (same size, give or take tokens).
    catalog_size = len(http(base, "GET", "/")[2])
    ceiling_size = len(http(base, "GET", "/__ceiling__")[2])
    assert abs(catalog_size - ceiling_size) < 1000, (catalog_size, ceiling_size)
    print(
        f"HTTP, gunicorn 2 workers x 4 threads, production config, {backend}; wrk "
        f"{CONNECTIONS} connections x {SECONDS} s per page:",
        flush=True,
    )
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "bench.lua"
        rounds = {"catalog page": [], "ceiling (catalog bytes)": []}
        for _ in range(ROUNDS):
            rounds["catalog page"].append(wrk(base + "/", script))
            rounds["ceiling (catalog bytes)"].append(wrk(base + "/__ceiling__", script))
        for name, measures in rounds.items():
            results[name] = sorted(measures)[len(measures) // 2]  # the median by rate
        for name, (who, _method, path, form) in pages.items():
            if name in results:
                continue
            if form is not None:
                form = {**form, "csrf_token": csrf_token(html)}
            results[name] = wrk(base + path, script, cookies[who], form)
    queries = count_queries(settings, pages)
    for name in [*pages, "ceiling (catalog bytes)"]:
        rate, p50, p95, errors = results[name]
        sql = f"  {queries[name]} SQL queries" if name in queries else ""
        print(
            f"  {name:24} {rate:8.0f} req/s  p50 {p50:6.1f} ms  p95 {p95:6.1f} ms"
            f"  errors {errors}{sql}"
        )
    ratio = results["catalog page"][0] / results["ceiling (catalog bytes)"][0]
    print(f"catalog/ceiling ratio: {ratio:.2f}")


if __name__ == "__main__":
    main()
