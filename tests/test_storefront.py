from datetime import timedelta

import pytest

from boutique.extensions import db
from tests.conftest import page_text


@pytest.fixture
def nursery(make_category, make_product, make_week):
    plants = make_category("Plants potagers", "plants-potagers", 1)
    herbs = make_category("Aromatiques", "aromatiques", 2)
    tomato = make_product(
        name="Tomate",
        variety="Noire de Crimée",
        category=plants,
        unit_label="godet 8 cm",
        price_individual_cents=280,
    )
    leeks = make_product(
        name="Poireau",
        variety="Bleu de Solaise",
        category=plants,
        unit_label="plaque de 40 mottes",
        price_individual_cents=1450,
    )
    basil = make_product(
        name="Basilic",
        variety="Grand vert",
        category=herbs,
        unit_label="godet 10 cm",
        price_individual_cents=300,
        description="Feuilles parfumées, à pincer souvent.",
    )
    hidden = make_product(name="Origan", variety="", category=herbs)
    week = make_week(
        label="Semaine 48",
        offers=[
            (tomato, {"quantity_available": 30, "quantity_reserved": 12}),
            (leeks, {"quantity_available": 5, "quantity_reserved": 5}),
            (basil, {"quantity_available": None}),
        ],
    )
    return {"tomato": tomato, "leeks": leeks, "basil": basil, "hidden": hidden, "week": week}


def test_home_lists_the_weeks_products_in_french(client, nursery):
    response = client.get("/")
    page = page_text(response)
    assert response.status_code == 200
    assert '<html lang="fr">' in page
    assert "Semaine 48" in page and "Commandes ouvertes jusqu'au" in page
    assert "Tomate" in page and "Noire de Crimée" in page and "godet 8 cm" in page
    assert "2,80 €" in page and "TTC" in page
    assert "18 disponibles" in page
    assert "plaque de 40 mottes" in page and "Épuisé" in page
    assert "Origan" not in page  # not offered this week
    assert page.index("Plants potagers") < page.index("Aromatiques")


def test_search_and_category_filter(client, nursery):
    page = page_text(client.get("/?q=basil"))
    assert "Basilic" in page and "Tomate" not in page
    page = page_text(client.get("/?q=crimée"))
    assert "Tomate" in page and "Basilic" not in page
    page = page_text(client.get("/?categorie=aromatiques"))
    assert "Basilic" in page and "Poireau" not in page
    page = page_text(client.get("/?q=artichaut"))
    assert "Aucun produit ne correspond à votre recherche." in page


def test_search_with_markup_or_sql_is_shown_escaped_and_harmless(client, nursery):
    response = client.get("/?q=<script>alert(1)</script>' OR 1=1 --")
    raw = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<script>" not in raw and "alert(1)" not in raw  # kept as its words only
    assert "Aucun produit ne correspond" in page_text(response)


def test_a_search_of_punctuation_only_shows_the_whole_catalog(client, nursery):
    page = page_text(client.get("/?q=%25"))
    assert "Tomate" in page and "Basilic" in page and "Aucun produit" not in page


def test_product_page_shows_description_unit_and_stock(client, nursery):
    basil = nursery["basil"]
    page = page_text(client.get(f"/produit/{basil.id}"))
    assert "Feuilles parfumées, à pincer souvent." in page
    assert "godet 10 cm" in page and "3,00 €" in page and "Disponible" in page
    assert "Dont TVA 5,5 %" in page


def test_product_not_offered_this_week_says_so_and_offers_prevenez_moi(client, nursery):
    response = client.get(f"/produit/{nursery['hidden'].id}")
    assert response.status_code == 200
    page = page_text(response)
    assert "Ce produit n'est pas proposé cette semaine." in page and "Me prévenir" in page
    assert 'name="offer_id"' not in page  # nothing to put in the basket
    assert client.get("/produit/999999").status_code == 404
    assert "Page introuvable" in page_text(client.get("/produit/999999"))


def test_deactivated_product_leaves_the_storefront(client, nursery):
    nursery["basil"].active = False
    db.session.commit()
    assert "Basilic" not in page_text(client.get("/"))
    assert client.get(f"/produit/{nursery['basil'].id}").status_code == 404


def test_closed_week_says_when_the_next_one_opens_and_shows_what_was_offered(
    client, make_product, make_week
):
    tomato = make_product(name="Tomate", variety="Cerise")
    make_week(
        label="Semaine 47", opens_in=timedelta(days=-6), duration=timedelta(days=3), offers=[tomato]
    )
    make_week(label="Semaine 49", opens_in=timedelta(days=2), offers=[tomato])
    page = page_text(client.get("/"))
    assert "Les commandes sont fermées" in page
    assert "Prochaine ouverture :" in page
    assert "Semaine 47" in page and "Tomate" in page
    assert "Les commandes de cette semaine sont fermées." in page_text(
        client.get(f"/produit/{tomato.id}")
    )


def test_no_week_at_all(client, make_week, make_product):
    make_week(status="draft", offers=[make_product(name="Courgette")])
    page = page_text(client.get("/"))
    assert "Aucune vente n'est encore annoncée" in page
    assert "Courgette" not in page


def test_approved_professional_sees_prices_excluding_vat(client, nursery, make_user, login):
    login(make_user(kind="amap"))
    page = page_text(client.get("/"))
    assert "1,80 €" in page and "HT" in page and "2,80 €" not in page
    assert "Vous voyez les prix professionnels, hors taxes (HT)." in page
    page = page_text(client.get(f"/produit/{nursery['basil'].id}"))
    assert "TVA 5,5 % en sus." in page


def test_english_is_available(client, nursery):
    response = client.post("/langue", data={"lang": "en", "next": "/?q=tomate"})
    assert response.headers["Location"] == "/?q=tomate"
    page = page_text(client.get("/"))
    assert '<html lang="en">' in page
    assert "Sold out" in page and "incl. VAT" in page
    client.post("/langue", data={"lang": "fr"})
    assert "Épuisé" in page_text(client.get("/"))


def test_language_switch_ignores_unknown_language_and_offsite_next(client, nursery):
    response = client.post("/langue", data={"lang": "xx", "next": "https://evil.example"})
    assert response.headers["Location"] == "/"
    assert '<html lang="fr">' in page_text(client.get("/"))


def test_catalog_page_runs_a_constant_number_of_queries(
    client, make_category, make_product, make_week, count_queries
):
    def catalog_queries(number_of_products, label):
        category = make_category(f"Catégorie {label}", f"cat-{label}", 1)
        products = [
            make_product(name=f"Plant {label} {i}", category=category)
            for i in range(number_of_products)
        ]
        week = make_week(label=label, offers=products)
        client.get("/")  # warm up: a new pooled connection may run set-up statements
        with count_queries() as queries:
            response = client.get("/")
        assert response.status_code == 200
        assert f"Plant {label} {number_of_products - 1}" in page_text(response)
        week.status = "archived"
        db.session.commit()
        return len(queries)

    small = catalog_queries(10, "petite")
    large = catalog_queries(200, "grande")
    assert small == large, (small, large)
    assert small <= 4


def test_healthz_says_when_the_database_is_down():
    from boutique import create_app

    broken = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite:////nonexistent/dir/x.db")
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "error" and response.json["database"] == "error"


# --- The catalog's product grid is rendered once per week version ---------------------------------


def catalog(client, **args):
    response = client.get("/", query_string=args)
    assert response.status_code == 200
    return page_text(response)


def test_the_grid_comes_from_the_cache_until_the_week_changes(
    client, nursery, count_queries, make_user, staff
):
    from boutique.ordering.services import Contact, place_order

    catalog(client)  # renders the grid
    with count_queries() as cached:
        page = catalog(client)
    assert "18 disponibles" in page
    assert not any("FROM offer" in q for q in cached)  # no offer read: the grid was kept

    # Someone orders 3 tomatoes: the week's version moves, the next visitor sees 15 left.
    from datetime import time, timedelta

    from boutique.models import PickupPoint, PickupSlot

    week = nursery["week"]
    slot = PickupSlot(
        week=week,
        point=PickupPoint(name="Portail"),
        day=week.closes_at.date() + timedelta(days=1),
        starts_at=time(16),
        ends_at=time(18),
        capacity=5,
        booked=0,
    )
    db.session.add(slot)
    db.session.commit()
    tomato_offer = next(o for o in week.offers if o.product_id == nursery["tomato"].id)
    before = catalog(client)
    place_order(
        week=week,
        items={tomato_offer.id: 3},
        slot_id=slot.id,
        payment_method="on_pickup",
        contact=Contact("Alice", "alice@exemple.fr"),
        kind="individual",
        checkout_token="token-cache",
    )
    db.session.commit()
    after = catalog(client)
    assert "18 disponibles" in before and "15 disponibles" in after

    # A product renamed by staff shows at once (its weeks' versions move too).
    nursery["basil"].name = "Basilic sacré"
    from boutique.catalog.services import bump_weeks_showing

    bump_weeks_showing([nursery["basil"].id])
    db.session.commit()
    assert "Basilic sacré" in catalog(client)


def test_each_visitor_gets_their_own_form_token_in_a_cached_grid(app, nursery):
    import re

    app.config["WTF_CSRF_ENABLED"] = True
    first, second = app.test_client(), app.test_client()
    tokens = []
    for visitor in (first, second):
        html = visitor.get("/").get_data(as_text=True)
        found = set(re.findall(r'name="csrf_token" value="([^"]+)"', html))
        assert len(found) == 1
        tokens.append(found.pop())
    assert tokens[0] != tokens[1]
    basil_offer = next(o for o in nursery["week"].offers if o.product_id == nursery["basil"].id)
    response = second.post(
        "/panier/ajouter",
        data={"csrf_token": tokens[1], "offer_id": basil_offer.id, "quantity": "1"},
        follow_redirects=True,
    )
    assert "ajouté au panier" in page_text(response)


def test_professionals_and_english_get_their_own_grid(client, nursery, make_user, login):
    french = catalog(client)
    client.post("/langue", data={"lang": "en"})
    english = catalog(client)
    login(make_user(kind="restaurant"))
    pro = catalog(client)

    assert "Ajouter" in french and "Add" in english
    assert "HT" in pro and "2,80" not in pro


def test_anonymous_visitors_share_a_cached_page_but_not_a_basket_or_messages(app, nursery):
    first, second = app.test_client(), app.test_client()
    basil_offer = next(o for o in nursery["week"].offers if o.product_id == nursery["basil"].id)
    first.get("/")
    first.post("/panier/ajouter", data={"offer_id": basil_offer.id, "quantity": "2"})

    with_basket = page_text(first.get("/"))  # the flash and the basket count are hers
    plain = page_text(second.get("/"))

    count = '<span class="count">(1)</span>'  # one line in her basket
    assert "ajouté au panier" in with_basket and count in with_basket
    assert "ajouté au panier" not in plain and count not in plain
    assert "Basilic" in plain and "Basilic" in with_basket


def test_a_new_closing_time_or_pick_up_day_shows_at_once(client, nursery):
    from datetime import date

    week = nursery["week"]
    catalog(client)
    week.closes_at = week.closes_at + timedelta(hours=5)
    week.pickup_dates = [date(2026, 12, 12).isoformat()]
    db.session.commit()

    assert "samedi 12 décembre 2026" in catalog(client)
