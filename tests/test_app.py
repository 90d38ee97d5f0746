import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from boutique import create_app
from boutique.demo_data import LAST_WEEK_ONLY, PRODUCTS
from boutique.extensions import db
from boutique.models import Offer, Product, SalesWeek, User
from config import EXAMPLE_BANK, ProductionConfig
from tests.conftest import page_text


def test_production_refuses_the_default_secret_key(monkeypatch):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "dev-only-not-secret")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "short")
    with pytest.raises(RuntimeError, match="too short"):
        create_app("production")


def test_production_refuses_to_start_without_stripe_keys_or_with_the_demo_page(monkeypatch):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "x" * 40)
    with pytest.raises(RuntimeError, match="STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET"):
        create_app("production")
    monkeypatch.setattr(ProductionConfig, "STRIPE_SECRET_KEY", "sk_live_x")
    with pytest.raises(RuntimeError, match="STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET"):
        create_app("production")
    monkeypatch.setattr(ProductionConfig, "STRIPE_WEBHOOK_SECRET", "whsec_x")
    monkeypatch.setattr(ProductionConfig, "PAYMENT_DEMO", True)
    with pytest.raises(RuntimeError, match="demo payment page"):
        create_app("production")


def test_production_starts_with_a_real_secret_and_secure_cookies(monkeypatch, make_app):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "x" * 40)
    monkeypatch.setattr(ProductionConfig, "STRIPE_SECRET_KEY", "sk_live_x")
    monkeypatch.setattr(ProductionConfig, "STRIPE_WEBHOOK_SECRET", "whsec_x")
    monkeypatch.setattr(ProductionConfig, "PUBLIC_URL", "https://boutique.lapepiniere.example")
    monkeypatch.setattr(ProductionConfig, "RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/15")
    for name, value in EXAMPLE_BANK.items():
        monkeypatch.setattr(ProductionConfig, name, value)
    app = make_app("production")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    client = app.test_client()
    assert (
        client.get("/healthz", base_url="https://boutique.lapepiniere.example").status_code == 200
    )


def test_migrations_match_the_models(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_unknown_page_is_a_french_404(client):
    response = client.get("/pas-de-page-ici")
    assert response.status_code == 404
    assert "Page introuvable" in page_text(response)
    assert '<html lang="fr">' in page_text(response)


def test_wrong_method_is_explained(client):
    response = client.get("/compte/deconnexion")
    assert response.status_code == 405
    assert "ne s'utilise pas ainsi" in page_text(response)


def test_server_error_page_is_french_and_rolls_back(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom():
        db.session.add(User(email="fantome@exemple.fr", password_hash="x"))
        db.session.flush()
        raise RuntimeError("boom")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert "Une erreur est survenue" in page_text(response)
    assert db.session.scalar(select(User).filter_by(email="fantome@exemple.fr")) is None


@pytest.fixture
def csrf_app(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app


def test_forms_without_csrf_token_are_refused_and_change_nothing(
    csrf_app, make_user, make_week, make_product, login
):
    client = csrf_app.test_client()
    staff = make_user(role="staff")
    week = make_week(status="draft", offers=[make_product()])
    response = client.post(
        "/compte/connexion", data={"email": staff.email, "password": "graines-de-courge-42"}
    )
    assert response.status_code == 400
    assert "Formulaire expiré" in page_text(response)

    response = client.post(
        "/compte/inscription",
        data={
            "kind": "individual",
            "email": "x@exemple.fr",
            "password": "abc-defgh-123",
            "confirm": "abc-defgh-123",
            "first_name": "X",
            "last_name": "Y",
        },
    )
    assert response.status_code == 400
    assert db.session.scalar(select(User).filter_by(email="x@exemple.fr")) is None

    response = client.post(f"/gestion/semaines/{week.id}/publier")
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(SalesWeek, week.id).status == "draft"


def test_demo_data_loads_a_realistic_nursery(runner):
    result = runner.invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    assert "admin@lapepiniere.example" in result.output
    assert db.session.scalar(select(func.count()).select_from(Product)) == len(PRODUCTS)
    categories = {p.category.slug for p in db.session.scalars(select(Product))}
    assert categories == {"plants-potagers", "aromatiques", "fleurs", "legumes"}
    weeks = db.session.scalars(
        select(SalesWeek).where(SalesWeek.status == "published").order_by(SalesWeek.opens_at)
    ).all()  # the history's weeks are archived (tests/test_demo_history.py)
    assert [w.phase() for w in weeks] == ["closed", "open"]
    this_week = select(func.count()).select_from(Offer).where(Offer.week_id == weeks[1].id)
    assert db.session.scalar(this_week) == len(PRODUCTS) - len(LAST_WEEK_ONLY)
    kinds = {(u.role, u.kind, u.pro_status) for u in db.session.scalars(select(User))}
    assert ("admin", None, None) in kinds
    assert ("staff", None, None) in kinds and ("gate", None, None) in kinds
    assert ("customer", "individual", None) in kinds
    assert ("customer", "restaurant", "approved") in kinds
    assert ("customer", "amap", "approved") in kinds
    assert ("customer", "restaurant", "pending") in kinds

    again = runner.invoke(args=["demo-data", "--if-empty"])
    assert again.exit_code == 0 and "already has products" in again.output
    assert runner.invoke(args=["demo-data"]).exit_code != 0


def test_demo_sirets_are_valid():
    from boutique.account.services import siret_is_valid
    from boutique.demo import DEMO_CUSTOMERS

    assert all(siret_is_valid(c["siret"]) for c in DEMO_CUSTOMERS if "siret" in c)


def test_demo_storefront_shows_products_and_a_sold_out_tray(client, runner):
    runner.invoke(args=["demo-data"])
    page = page_text(client.get("/"))
    assert "Épuisé" in page
    assert "Tomate" in page and "Basilic" in page


def test_demo_weeks_pick_up_after_the_order_deadline(runner):
    runner.invoke(args=["demo-data"])
    for week in db.session.scalars(select(SalesWeek)):
        assert min(week.pickup_dates) > week.closes_at.date().isoformat()


@pytest.mark.parametrize("text", ["²", "١٢", "1e400", "9" * 40, "-0", " 12 "])
def test_odd_numbers_never_crash_the_parsers(text):
    from boutique.formatting import parse_count, parse_euros

    assert parse_count(text) in (None, 12)
    try:
        cents = parse_euros(text)
    except ValueError:
        return
    assert isinstance(cents, int)


@pytest.mark.parametrize(
    "text", ["1e3", "1E2", "1_000", "+5", "١٢", "１２", "2,5,0", "--1", "0x10"]
)
def test_an_amount_is_only_what_people_type_for_one(text):
    """Decimal would take '1e3' for 1 000 € and '1_000' for 1 000 €: a typo saved silently."""
    from boutique.formatting import parse_euros

    with pytest.raises(ValueError):
        parse_euros(text)


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("2,50", 250),
        ("2.5", 250),
        ("1 234,50 €", 123450),
        ("12.", 1200),
        (",5", 50),
        ("1\u202f234,50\u00a0€", 123450),  # as the shop's own pages write it (copied back)
    ],
)
def test_amounts_as_people_type_them(text, cents):
    from boutique.formatting import parse_euros

    assert parse_euros(text) == cents


@pytest.mark.parametrize(
    ("cents", "text"),
    [(250, "2,50"), (5, "0,05"), (0, "0,00"), (-150, "-1,50"), (-5, "-0,05"), (None, "")],
)
def test_cents_are_written_the_french_way_and_read_back(cents, text):
    """One writer for form fields, CSV and the FEC: a refund (-1,50) is not -2,50."""
    from boutique.formatting import cents_to_input, parse_euros

    assert cents_to_input(cents) == text
    if cents is not None and cents >= 0:
        assert parse_euros(text) == cents


def test_odd_digits_in_forms_get_a_message_not_a_500(staff_client, make_product):
    response = staff_client.post(
        "/gestion/produits/nouveau",
        data={
            "name": "Tomate",
            "category_id": "1",
            "unit_label": "godet",
            "vat_rate_bp": "550",
            "price_individual_cents": "1e400",
            "price_restaurant_cents": "²",
            "price_amap_cents": "1",
        },
    )
    assert response.status_code == 200
    assert "Montant invalide" in page_text(response)


def test_behind_one_trusted_proxy_the_forwarded_scheme_is_used_never_the_host(make_app):
    from flask import url_for

    app = make_app(TRUSTED_PROXIES=1)

    @app.get("/where")
    def where():
        return url_for("shop.home", _external=True)

    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "boutique.lapepiniere.example"}
    assert app.test_client().get("/where", headers=headers).text == "https://localhost/"
    # Without a trusted proxy, nobody can pretend to be one.
    untrusting = make_app()

    @untrusting.get("/where")
    def where_untrusted():
        return url_for("shop.home", _external=True)

    assert untrusting.test_client().get("/where", headers=headers).text == "http://localhost/"


def test_a_downloads_name_outside_ascii_is_sent_as_headers_can_carry_it(app):
    """The data export is named after the shop (« la-pépinière »; a SHOP_NAME with ’ too):
    headers must stay Latin-1 (gunicorn refuses others), the browser still gets the name."""
    from werkzeug.http import parse_options_header

    from boutique.downloads import download

    name = "mes-données-la-pépinière’s-2026-11-30.zip"
    header = download(b"PK", name).headers["Content-Disposition"]
    header.encode("latin-1")  # raises if not
    assert parse_options_header(header) == ("attachment", {"filename": name})
    plain = download(b"a;b", "ventes-2026.csv")
    assert plain.headers["Content-Disposition"] == "attachment; filename=ventes-2026.csv"
    assert plain.mimetype == "text/csv"
    assert download(b"%PDF", "facture.pdf").headers["Content-Disposition"].startswith("inline;")
