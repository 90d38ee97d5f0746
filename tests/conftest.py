"""Fixtures: a real database (SQLite file, or PostgreSQL when TEST_DATABASE_URL is set),
a real SMTP server, and factories for the shop's objects."""

import html
import os
import re
import socket
import threading
import uuid
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from boutique import create_app
from boutique.extensions import db
from boutique.models import Category, Offer, OutboxMessage, Product, SalesWeek, User, utcnow

TEST_PASSWORD = "graines-de-courge-42"


def page_text(response):
    """The page as a person reads it: entities decoded, no-break spaces as plain spaces."""
    text = html.unescape(response.get_data(as_text=True))
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def page_words(response):
    """The page's words, tags taken out and spaces squashed: 'Espèces 14,40 €'."""
    return " ".join(re.sub(r"<[^>]+>", " ", page_text(response)).split())


def squash(text):
    """Text without any whitespace: PDF text extraction spaces words at will."""
    return "".join(text.split())


def pdf_words(data):
    """A PDF's text (bytes in), squashed."""
    import io

    from pypdf import PdfReader

    return squash("".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A fresh database for the whole run, dropped at the end."""
    admin_url = os.environ.get("TEST_DATABASE_URL")
    if not admin_url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
        return
    name = f"boutique_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def migrated(database_url):
    """Build the schema once, through the migrations (the way production gets it)."""
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=database_url)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


class Mailbox:
    """Collects what the SMTP server receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def body(self, message, subtype="plain"):
        part = message.get_body(preferencelist=(subtype,))
        return part.get_content() if part else ""


def add_mail(**fields):
    """An outbox row due now (a test mail unless fields say otherwise), committed."""
    values = {
        "recipient": "camille@exemple.fr",
        "subject": "Essai",
        "body_text": "Bonjour",
        "body_html": "<p>Bonjour</p>",
        "next_attempt_at": utcnow(),
        "attachments": [],
    }
    row = OutboxMessage(**(values | fields))
    db.session.add(row)
    db.session.commit()
    return row


def place_shop_order(shop, name, items, slot, customer=None, status=None, phone=""):
    """`name`'s order of {shop key: quantity} at shop["slots"][slot], committed: a guest's paid
    at pick-up, or a professional customer's on invoice; then given `status` and `phone`."""
    from boutique.ordering.services import Contact, place_order

    placed = place_order(
        week=shop["week"],
        items={shop[key]: quantity for key, quantity in items.items()},
        slot_id=shop["slots"][slot].id,
        payment_method="invoice" if customer else "on_pickup",
        contact=Contact(customer.organisation if customer else name, f"{name}@exemple.fr", ""),
        kind="restaurant" if customer else "individual",
        customer=customer,
        checkout_token=f"token-{name}",
    )
    if phone:
        placed.phone = phone
    if status:
        placed.status = status
    db.session.commit()
    return placed


def start_outbox_worker(database_url, smtp_port, *args, config="development", **settings):
    """The real `flask outbox worker` in its own process, as systemd runs it."""
    import subprocess
    import sys
    from pathlib import Path

    env = {
        **os.environ,
        "FLASK_APP": "boutique",
        "FLASK_CONFIG": config,
        "DATABASE_URL": database_url,
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "OUTBOX_POLL_SECONDS": "1",
        **settings,
    }
    flask = Path(sys.executable).parent / "flask"
    return subprocess.Popen(  # noqa: S603  (our own venv script, fixed arguments)
        [str(flask), "outbox", "worker", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


class Blackhole:
    """A server that accepts connections and never says a word (a hung SMTP, Redis, Stripe)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                connection, _address = self.sock.accept()
            except OSError:
                return
            self.connections.append(connection)

    def close(self):
        self.sock.close()
        self.thread.join(5)
        for connection in self.connections:
            connection.close()


@pytest.fixture
def blackhole():
    server = Blackhole()
    yield server
    server.close()


@pytest.fixture(scope="session")
def smtp_server():
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller
    controller.stop()


@pytest.fixture
def mailbox(smtp_server):
    smtp_server.handler.messages.clear()
    return smtp_server.handler


class FreshContextClient(FlaskClient):
    """Give each request its own app context, as in production.

    The tests hold an app context for their own queries; without this, requests would
    share its `g` (logged-in user, locale) and its database session.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def app(migrated, smtp_server, tmp_path):
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=migrated,
        UPLOAD_FOLDER=str(tmp_path / "uploads"),
        DOCUMENT_CACHE_FOLDER=str(tmp_path / "document-cache"),
        MAIL_PORT=smtp_server.port,
    )
    app.test_client_class = FreshContextClient
    with app.app_context():
        yield app
        db.session.remove()
        clean_tables()
        db.engine.dispose()


def clean_tables():
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def make_app(migrated, smtp_server):
    """Another app on the test database, with config overrides; its connections are closed."""
    apps = []

    def make(config_name="testing", **overrides):
        overrides.setdefault("SQLALCHEMY_DATABASE_URI", migrated)
        overrides.setdefault("MAIL_PORT", smtp_server.port)
        other = create_app(config_name, **overrides)
        other.test_client_class = FreshContextClient
        apps.append(other)
        return other

    yield make
    for other in apps:
        with other.app_context():
            db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def meanwhile(app):
    """meanwhile(table, statement, verb="INSERT"): just before this request first writes to
    the table (verb "INSERT", "DELETE", or "write": an INSERT or an UPDATE), another
    connection runs the statement and commits, as a second staff member's request would."""
    listeners = []

    def arrange(table, statement, verb="INSERT"):
        verbs = {"write": ("INSERT INTO", "UPDATE"), "DELETE": ("DELETE FROM",)}.get(
            verb, ("INSERT INTO",)
        )
        done = []

        def before(_conn, _cursor, sql, *_args):
            if not done and any(sql.startswith(f"{v} {table}") for v in verbs):
                done.append(True)
                with db.engine.connect() as other:
                    other.execute(statement)
                    other.commit()

        event.listen(db.engine, "before_cursor_execute", before)
        listeners.append(before)

    yield arrange
    for before in listeners:
        event.remove(db.engine, "before_cursor_execute", before)


@pytest.fixture
def count_queries(app):
    """Use as a context manager: `with count_queries() as queries: ...; len(queries)`."""
    from contextlib import contextmanager

    @contextmanager
    def counter():
        statements = []

        def record(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(db.engine, "before_cursor_execute", record)

    return counter


# --- Factories --------------------------------------------------------------------------------


@pytest.fixture
def make_category(app):
    def make(name="Plants potagers", slug=None, position=1):
        category = db.session.scalar(db.select(Category).filter_by(name=name))
        if category is None:
            category = Category(
                name=name, slug=slug or name.lower().replace(" ", "-"), position=position
            )
            db.session.add(category)
            db.session.commit()
        return category

    return make


@pytest.fixture
def make_product(app, make_category):
    counter = iter(range(1, 100_000))

    def make(**overrides):
        category = overrides.pop("category", None) or make_category()
        values = {
            "name": f"Tomate {next(counter)}",
            "variety": "Cœur de bœuf",
            "unit_label": "godet 8 cm",
            "vat_rate_bp": 550,
            "price_individual_cents": 250,
            "price_restaurant_cents": 190,
            "price_amap_cents": 180,
            "description": "Grosse tomate charnue.",
        }
        values.update(overrides)
        product = Product(category=category, **values)
        db.session.add(product)
        db.session.commit()
        return product

    return make


@pytest.fixture
def make_week(app):
    def make(
        label="Semaine 48",
        status="published",
        opens_in=timedelta(days=-1),
        duration=timedelta(days=3),
        offers=(),
        pickup_dates=None,
    ):
        """offers: products, or (product, {offer fields}) pairs."""
        opens_at = utcnow() + opens_in
        week = SalesWeek(
            label=label,
            opens_at=opens_at,
            closes_at=opens_at + duration,
            pickup_dates=pickup_dates
            or [(opens_at + duration + timedelta(days=1)).date().isoformat()],
            status=status,
            published_at=utcnow() if status == "published" else None,
        )
        db.session.add(week)
        for item in offers:
            product, fields = item if isinstance(item, tuple) else (item, {})
            fields = {"quantity_available": 20, "quantity_reserved": 0, **fields}
            db.session.add(Offer(week=week, product=product, **fields))
        db.session.commit()
        return week

    return make


@pytest.fixture
def make_pickup_slot(app):
    """A pick-up slot of a week at a new point, the day after the week's order deadline."""
    from datetime import time

    from boutique.models import PickupPoint, PickupSlot

    def make(week, capacity=10, name="Portail", address="Chemin des Jardins"):
        slot = PickupSlot(
            week=week,
            point=PickupPoint(name=name, address=address),
            day=week.closes_at.date() + timedelta(days=1),
            starts_at=time(16),
            ends_at=time(18),
            capacity=capacity,
            booked=0,
        )
        db.session.add(slot)
        db.session.commit()
        return slot

    return make


@pytest.fixture
def make_user(app):
    counter = iter(range(1, 100_000))

    def make(kind="individual", role="customer", pro_status=None, email=None, **overrides):
        number = next(counter)
        values = {
            "email": email or f"client{number}@exemple.fr",
            "role": role,
            "kind": None if role != "customer" else kind,
            "first_name": "Camille",
            "last_name": "Martin",
            # An account as most are: its owner followed the link mailed at registration.
            # Pass email_verified_at=None for one that has not yet.
            "email_verified_at": utcnow(),
        }
        if kind in ("restaurant", "amap") and role == "customer":
            values.update(
                organisation=f"Établissement {number}",
                siret="73282932000074",
                pro_status=pro_status or "approved",
                address="1 rue Haute",
                postcode="84000",
                city="Avignon",
            )
        values.update(overrides)
        user = User(**values)
        user.set_password(TEST_PASSWORD)
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def login(client):
    def do_login(user, password=TEST_PASSWORD):
        response = client.post(
            "/compte/connexion", data={"email": user.email, "password": password}
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    return do_login


@pytest.fixture
def staff(make_user):
    return make_user(role="staff", email="equipe@lapepiniere.example")


@pytest.fixture
def staff_client(client, staff, login):
    login(staff)
    return client


@pytest.fixture
def admin(make_user):
    return make_user(role="admin", email="direction@lapepiniere.example")


@pytest.fixture
def admin_client(client, admin, login):
    login(admin)
    return client


# --- A live server for the browser ------------------------------------------------------------


@pytest.fixture
def live_server(app):
    """The app served over HTTP in a thread, sharing the test database."""
    from werkzeug.serving import make_server

    app.config.update(WTF_CSRF_ENABLED=True)
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    # Request threads are joined at the end (server_close): one still answering when the app's
    # engine is disposed would hand its connection back to a pool nobody closes, and the
    # garbage collector's "deleted while still open" warning would fail a later test.
    server.daemon_threads = False
    address = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_URL"] = address  # links in mails and payment returns lead back here
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield address
    server.shutdown()
    thread.join()
    server.server_close()


# --- Chromium -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    """One Debian Chromium for the whole run (Playwright's own download cannot work here)."""
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, request):
    """A fresh French-speaking browser tab on the live server (relative URLs work)."""
    from tests.browser import ARTIFACTS

    context = browser.new_context(base_url=live_server, locale="fr-FR", timezone_id="Europe/Paris")
    context.set_default_timeout(10_000)
    page = context.new_page()
    failures_before = request.session.testsfailed
    yield page
    # The call phase's report is already counted when fixtures are torn down.
    if request.session.testsfailed > failures_before:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.name)
        try:
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
            (ARTIFACTS / f"{name}.html").write_text(page.content(), encoding="utf-8")
        except Exception as error:  # never hide the real failure behind this one
            print(f"Could not save the page of {name}: {error}")
    context.close()


# --- A fake Stripe ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def localstripe():
    """A localstripe server (test-only, GPL) for the whole run; yields its base URL."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    script = Path(sys.executable).parent / "localstripe"
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 (our own venv script, fixed arguments)
        [str(script), "--port", str(port), "--from-scratch"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            if process.poll() is not None:
                pytest.fail(f"localstripe exited with code {process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"localstripe did not answer on port {port} within 15 s")
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def stripe_gateway(app, localstripe):
    """A StripeGateway on an emptied localstripe, configured through the app's config."""
    import urllib.request

    from boutique.payments.gateway import StripeGateway

    url = f"{localstripe}/_config/data"  # always http://127.0.0.1:<port>
    request = urllib.request.Request(url, method="DELETE")  # noqa: S310
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        assert response.status == 200
    app.config.update(STRIPE_SECRET_KEY="sk_test_12345", STRIPE_API_BASE=localstripe)
    return StripeGateway.from_app(app)


@pytest.fixture
def todays_orders(make_product, make_week):
    """Two orders paid on pick-up (Léa Durand, Marc Petit), to collect today at the nursery gate,
    in a slot open all day: {name: order number}."""
    from datetime import time

    from boutique.models import Offer, PickupPoint, PickupSlot
    from boutique.ordering.services import Contact, place_order
    from boutique.timezones import shop_today

    tomato = make_product(name="Tomate", variety="Cœur de bœuf", price_individual_cents=250)
    leek = make_product(
        name="Poireau",
        variety="Bleu de Solaise",
        unit_label="plaque de 40 mottes",
        price_individual_cents=1450,
    )
    week = make_week(offers=[tomato, leek])
    gate = PickupPoint(name="Portail de la pépinière", address="Chemin des Jardins, Avignon")
    slot = PickupSlot(
        week=week,
        point=gate,
        day=shop_today(),
        starts_at=time(0, 1),
        ends_at=time(23, 59),
        capacity=10,
        booked=0,
    )
    db.session.add_all([gate, slot])
    db.session.commit()
    offers = {o.product_id: o.id for o in db.session.scalars(db.select(Offer))}
    numbers = {}
    for name, tomatoes in (("Léa Durand", 3), ("Marc Petit", 1)):
        order = place_order(
            week=week,
            items={offers[tomato.id]: tomatoes, offers[leek.id]: 1},
            slot_id=slot.id,
            payment_method="on_pickup",
            contact=Contact(name, f"{name.split()[0].lower()}@exemple.fr", "06 11 22 33 44"),
            kind="individual",
            checkout_token=f"token-{tomatoes}",
        )
        numbers[name] = order.number
    db.session.commit()
    return numbers


# --- Standing weekly orders ---------------------------------------------------------------------


@pytest.fixture
def standing_nursery(make_product, make_week, make_user):
    """A draft week opening tomorrow with tomatoes (10 left, 6 per order at most), leeks
    (unlimited), a point with a Friday 16:00 slot of 5 places; a restaurant paying on invoice."""

    from datetime import time

    from boutique.models import PickupPoint, PickupSlot, SlotTemplate
    from boutique.standing.services import week_monday

    class Nursery:
        pass

    n = Nursery()
    n.tomato = make_product(name="Tomate", variety="Cœur de bœuf")
    n.leek = make_product(name="Poireau", variety="Bleu de Solaise", unit_label="botte")
    n.basil = make_product(name="Basilic", variety="Grand vert")
    n.week = make_week(
        status="draft",
        opens_in=timedelta(days=1),
        offers=[
            (n.tomato, {"quantity_available": 10, "max_per_order": 6}),
            (n.leek, {"quantity_available": None}),
        ],
    )
    n.monday = week_monday(n.week)
    friday = n.monday + timedelta(days=4)
    n.week.pickup_dates = [friday.isoformat()]
    n.point = PickupPoint(name="Portail de la pépinière", address="Chemin des Jardins")
    n.point.templates.append(
        SlotTemplate(weekday=4, starts_at=time(16), ends_at=time(18), capacity=5)
    )
    n.slot = PickupSlot(
        week=n.week,
        point=n.point,
        day=friday,
        starts_at=time(16),
        ends_at=time(18),
        capacity=5,
        booked=0,
    )
    db.session.add_all([n.point, n.slot])
    db.session.commit()
    n.restaurant = make_user(kind="restaurant", email="chef@bistrot.fr", organisation="Le Bistrot")
    return n


@pytest.fixture
def make_standing(standing_nursery):
    """A standing order (defaults: the restaurant, 4 tomatoes and 2 leeks, Friday 16:00,
    on invoice, every week from the week's Monday), committed."""
    from datetime import time

    from boutique.models import StandingOrder, StandingOrderLine

    def make(customer=None, lines=None, **fields):
        values = {
            "customer": customer or standing_nursery.restaurant,
            "point": standing_nursery.point,
            "weekday": 4,
            "starts_at": time(16),
            "payment_method": "invoice",
            "every_weeks": 1,
            "start_monday": standing_nursery.monday,
            "skip_mondays": [],
        }
        values.update(fields)
        standing = StandingOrder(**values)
        for product, quantity in lines or [
            (standing_nursery.tomato, 4),
            (standing_nursery.leek, 2),
        ]:
            standing.lines.append(StandingOrderLine(product=product, quantity=quantity))
        db.session.add(standing)
        db.session.commit()
        return standing

    return make
