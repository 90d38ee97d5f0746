"""Security: headers on every response, CSRF and access checks over the whole URL map,
everyone sees only what is theirs, and input that looks like an attack is just text."""

import re

import pytest
from sqlalchemy import func, select

from boutique.models import Invoice, User
from boutique.security import CONTENT_SECURITY_POLICY
from tests.conftest import TEST_PASSWORD, page_text

# The signed Stripe webhook is the one state-changing route without a CSRF token.
CSRF_EXEMPT = {"payments.stripe_webhook"}


def urls(app, method):
    """Every rule accepting `method`, built with id 1 for each argument."""
    for rule in app.url_map.iter_rules():
        if method in rule.methods and rule.endpoint != "static":
            yield rule, rule.build({arg: 1 for arg in rule.arguments}, append_unknown=False)[1]


# --- Headers -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/compte/connexion", "/pas-de-page", "/static/css/style.css"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)

    csp = response.headers["Content-Security-Policy"]
    assert csp == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "script-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP in development


def test_production_adds_hsts_and_secure_cookies(monkeypatch, make_app):
    from config import EXAMPLE_BANK, ProductionConfig

    for name, value in (
        ("SECRET_KEY", "p" * 40),
        ("STRIPE_SECRET_KEY", "sk_live_x"),
        ("STRIPE_WEBHOOK_SECRET", "whsec_x"),
        ("PUBLIC_URL", "https://boutique.lapepiniere.example"),
        ("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/15"),
        *EXAMPLE_BANK.items(),
    ):
        monkeypatch.setattr(ProductionConfig, name, value)
    app = make_app("production")
    response = app.test_client().get(
        "/compte/connexion", base_url="https://boutique.lapepiniere.example"
    )

    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_no_template_carries_inline_script_or_style(app):
    """What the policy forbids must not be in the pages (mail and PDF templates aside)."""
    from pathlib import Path

    root = Path(app.root_path).parent / "templates"
    offenders = []
    for path in root.rglob("*.html"):
        relative = path.relative_to(root).as_posix()
        if relative.startswith("email/") or relative.endswith(("_pdf.html", "invoice_pdf.html")):
            continue
        text = path.read_text(encoding="utf-8")
        # A script file of the shop's own (<script src=…>) is what the policy allows.
        inline = r"<script(?![^>]*\ssrc=)|<style|\sstyle=|\son[a-z]+=|javascript:"
        if re.search(inline, text, re.IGNORECASE):
            offenders.append(relative)
    assert offenders == []


# --- CSRF and staff access over the URL map ------------------------------------------------------


def test_every_state_changing_route_refuses_a_post_without_csrf(app, staff, login, client):
    app.config["WTF_CSRF_ENABLED"] = True
    # Logged in as staff, so that no route stops at "log in first".
    with client.session_transaction() as session:
        session["_user_id"] = str(staff.id)
        session["_fresh"] = True
    checked = []
    for rule, url in urls(app, "POST"):
        response = client.post(url, data={"anything": "x"})
        checked.append(rule.endpoint)
        if rule.endpoint in CSRF_EXEMPT:
            assert response.status_code == 400, rule.endpoint  # no valid signature
            assert response.get_json() == {"error": "bad signature"}
        else:
            assert response.status_code == 400, (rule.endpoint, response.status_code)
            assert "Formulaire expiré" in page_text(response), rule.endpoint
    assert len(checked) >= 40
    assert db_users() == 1  # nothing was created


def db_users():
    from boutique.extensions import db

    return db.session.scalar(select(func.count(User.id)))


def staff_routes(app):
    """(endpoint, method, url) of every staff route."""
    return [
        (rule.endpoint, method, url)
        for method in ("GET", "POST")
        for rule, url in urls(app, method)
        if url.startswith("/gestion")
    ]


def test_every_staff_route_sends_anonymous_visitors_to_login(app, client):
    routes = staff_routes(app)
    assert len(routes) >= 50
    for endpoint, method, url in routes:
        response = client.open(url, method=method)
        assert response.status_code == 302, (endpoint, method, response.status_code)
        assert "/compte/connexion" in response.location, endpoint


def test_every_staff_route_refuses_customers(app, client, make_user, login):
    login(make_user(kind="restaurant"))
    for endpoint, method, url in staff_routes(app):
        response = client.open(url, method=method)
        assert response.status_code == 403, (endpoint, method, response.status_code)


# --- Customers see only what is theirs -----------------------------------------------------------


@pytest.fixture
def two_customers(make_user, make_product, make_week, make_pickup_slot, staff):
    from boutique.extensions import db
    from boutique.ordering.services import Contact, confirm_order, place_order

    week = make_week(offers=[make_product(name="Tomate")])
    slot = make_pickup_slot(week)
    orders = {}
    for name in ("alice", "bruno"):
        customer = make_user(kind="restaurant", email=f"{name}@exemple.fr")
        order = place_order(
            week=week,
            items={week.offers[0].id: 2},
            slot_id=slot.id,
            payment_method="invoice",
            contact=Contact(name.title(), customer.email),
            kind="restaurant",
            customer=customer,
            checkout_token=f"token-{name}",
        )
        db.session.commit()
        confirm_order(order, staff)
        db.session.commit()
        orders[name] = (customer, order)
    return orders


def test_customer_a_cannot_read_customer_bs_order_invoice_or_label_link(
    client, login, two_customers
):
    from boutique.extensions import db
    from boutique.pickup.handover import handover_token

    alice, alice_order = two_customers["alice"]
    _bruno, bruno_order = two_customers["bruno"]
    bruno_invoice = db.session.scalar(select(Invoice).where(Invoice.order_id == bruno_order.id))
    login(alice)

    mine = page_text(client.get("/compte/commandes"))
    assert alice_order.number in mine and bruno_order.number not in mine
    # Bruno's invoice through Alice's own order link, and guessed links: not found.
    assert (
        client.get(
            f"/commande/suivi/{alice_order.access_token}/factures/{bruno_invoice.id}.pdf"
        ).status_code
        == 404
    )
    assert client.get(f"/commande/suivi/{'x' * 32}").status_code == 404
    assert client.get(f"/commande/suivi/{bruno_order.access_token[:-1]}A").status_code == 404
    # The label's QR link is for staff only.
    response = client.get(f"/gestion/retrait/{handover_token(bruno_order)}")
    assert response.status_code == 403
    assert bruno_order.contact_name not in page_text(response)


# --- Attack-looking input is just text ------------------------------------------------------------


def test_script_and_sql_in_search_and_names_are_shown_escaped(client, make_product, make_week):
    from boutique.extensions import db
    from boutique.models import Product

    make_week(offers=[make_product(name="<script>alert(1)</script>", variety="'; DROP--")])

    catalog = client.get("/?q=<script>alert(2)</script>").get_data(as_text=True)
    listing = client.get("/").get_data(as_text=True)
    sql = client.get("/?q=' OR 1=1 --")

    # Raw HTML (page_text would unescape): no tag from the input, only its escaped text.
    assert "<script>" not in catalog and "<script>" not in listing
    assert 'value="script alert 2 script"' in catalog  # the search keeps the words only
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listing
    # The SQL fragment is a search like any other: it matches nothing and breaks nothing.
    assert sql.status_code == 200
    assert "Aucun produit ne correspond à votre recherche." in page_text(sql)
    assert db.session.scalar(select(Product.variety)) == "'; DROP--"


def test_login_next_cannot_send_anyone_to_another_site(client, make_user):
    user = make_user()
    for target in (
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
    ):
        response = client.post(
            f"/compte/connexion?next={target}",
            data={"email": user.email, "password": TEST_PASSWORD},
        )
        assert response.status_code == 302
        assert response.location == "/", target
        client.post("/compte/deconnexion")


def test_nul_characters_get_a_clear_refusal_not_a_server_error(client):
    """PostgreSQL refuses NUL in text; the shop refuses it first, for every form and address."""
    response = client.post("/compte/connexion", data={"email": "a\x00@exemple.fr", "password": "x"})

    assert response.status_code == 400
    assert "mal formée. Rien n'a été enregistré." in page_text(response)
    assert client.get("/?q=tomate\x00").status_code == 400
    assert client.get("/commande/suivi/abc%00def").status_code == 400
    assert db_users() == 0
