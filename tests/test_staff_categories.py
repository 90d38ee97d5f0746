"""Categories managed by staff in the browser (issue 12, part 1): a new install creates its own,
renames, orders and removes them; the storefront follows at once."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from boutique.extensions import db
from boutique.models import Category, Product, SalesWeek
from tests.browser import ARTIFACTS, log_in, serious_violations
from tests.conftest import TEST_PASSWORD, page_text

URL = "/gestion/categories"


def category_url(category, action=""):
    return f"{URL}/{category.id}{'/' + action if action else ''}"


def categories():
    """(name, slug, position) of every category, in storefront order."""
    db.session.expire_all()
    return [
        (c.name, c.slug, c.position)
        for c in db.session.scalars(select(Category).order_by(Category.position, Category.name))
    ]


def storefront_sections(client):
    """The category headings of the storefront's home page, in order."""
    page = page_text(client.get("/"))
    return re.findall(r'<h2 id="cat-[^"]*">([^<]*)</h2>', page)


def week_version(week):
    db.session.expire_all()
    return db.session.get(SalesWeek, week.id).version


@pytest.fixture
def shelves(make_category):
    """Three categories as the demo has them, positions 1 to 3."""
    return [
        make_category("Plants potagers", "plants-potagers", 1),
        make_category("Aromatiques", "aromatiques", 2),
        make_category("Fleurs", "fleurs", 3),
    ]


@pytest.fixture
def shop(shelves, make_product, make_week):
    """An open week offering a tomato and a basil, and the shelves."""
    plants, herbs, _flowers = shelves
    tomato = make_product(name="Tomate", variety="Cerise", category=plants)
    basil = make_product(name="Basilic", variety="Grand vert", category=herbs)
    week = make_week(offers=[tomato, basil])
    return {"week": week, "tomato": tomato, "basil": basil, "shelves": shelves}


# --- The page -----------------------------------------------------------------------------------


def test_the_page_lists_categories_in_order_with_their_product_count(
    staff_client, shelves, make_product
):
    plants, herbs, flowers = shelves
    make_product(name="Tomate", category=plants)
    make_product(name="Courgette", category=plants, active=False)
    make_product(name="Thym", category=herbs)

    response = staff_client.get(URL)

    assert response.status_code == 200
    page = page_text(response)
    rows = re.findall(
        r'<tr id="categorie-\d+">.*?<th scope="row">(.*?)\s*<span.*?<td class="num">(\d+)</td>',
        page,
        re.S,
    )
    assert rows == [("Plants potagers", "2"), ("Aromatiques", "1"), ("Fleurs", "0")]
    assert 'href="/gestion/categories"' in page  # in the staff navigation


def test_staff_create_a_category_last_with_a_slug_without_accents(staff_client, shelves):
    response = staff_client.post(URL, data={"name": "  Légumes   d'été "})

    assert response.status_code == 302
    assert categories()[-1] == ("Légumes d'été", "legumes-d-ete", 4)
    page = page_text(staff_client.get(URL))
    assert "Catégorie « Légumes d'été » créée." in page
    assert "legumes-d-ete" in page


def test_an_empty_name_is_refused_and_nothing_is_created(staff_client, shelves):
    for name in ("", "   "):
        response = staff_client.post(URL, data={"name": name})
        assert response.status_code == 422
        assert "Indiquez le nom de la catégorie." in page_text(response)
    assert len(categories()) == 3


def test_a_name_without_a_letter_or_digit_is_refused(staff_client, shelves):
    response = staff_client.post(URL, data={"name": "🌱 !!"})

    assert response.status_code == 422
    assert "au moins une lettre ou un chiffre" in page_text(response)
    assert len(categories()) == 3


def test_a_duplicate_name_is_refused_whatever_its_case(staff_client, shelves):
    response = staff_client.post(URL, data={"name": "fleurs"})

    assert response.status_code == 422
    assert "La catégorie « Fleurs » existe déjà." in page_text(response)
    assert len(categories()) == 3


def test_a_name_that_would_share_the_address_of_another_is_refused(staff_client, shelves):
    response = staff_client.post(URL, data={"name": "Aromatiqués"})

    assert response.status_code == 422
    page = page_text(response)
    assert "« Aromatiqués » est trop proche de la catégorie « Aromatiques »" in page
    assert "« aromatiques »" in page
    assert len(categories()) == 3


def test_a_too_long_name_is_refused(staff_client, shelves):
    response = staff_client.post(URL, data={"name": "x" * 81})

    assert response.status_code == 422
    assert "80 caractères au plus." in page_text(response)
    assert len(categories()) == 3


# --- Rename ---------------------------------------------------------------------------------------


def test_renaming_moves_the_slug_and_the_storefront_shows_it_at_once(app, staff_client, shop):
    visitor = app.test_client()
    assert storefront_sections(visitor) == ["Plants potagers", "Aromatiques"]  # now cached
    herbs = shop["shelves"][1]
    form = page_text(staff_client.get(category_url(herbs)))
    assert 'value="Aromatiques"' in form

    response = staff_client.post(category_url(herbs), data={"name": "Herbes aromatiques"})

    assert response.status_code == 302
    assert ("Herbes aromatiques", "herbes-aromatiques", 2) in categories()
    assert storefront_sections(visitor) == ["Plants potagers", "Herbes aromatiques"]
    assert "Basilic" in page_text(visitor.get("/?categorie=herbes-aromatiques"))
    page = page_text(staff_client.get(URL))
    assert "Catégorie « Aromatiques » renommée « Herbes aromatiques »." in page


def test_renaming_onto_another_categorys_address_is_refused_and_changes_nothing(staff_client, shop):
    herbs = shop["shelves"][1]
    week = shop["week"]
    before = week_version(week)

    response = staff_client.post(category_url(herbs), data={"name": "FLEURS"})

    assert response.status_code == 422
    page = page_text(response)
    assert "La catégorie « Fleurs » existe déjà." in page
    assert "Renommer « Aromatiques »" in page
    assert ("Aromatiques", "aromatiques", 2) in categories()
    assert week_version(week) == before


def test_changing_only_the_case_keeps_the_slug(staff_client, shelves):
    response = staff_client.post(category_url(shelves[2]), data={"name": "FLEURS"})

    assert response.status_code == 302
    assert ("FLEURS", "fleurs", 3) in categories()


def test_renaming_an_unknown_category_is_a_404(staff_client):
    assert staff_client.get(f"{URL}/999999").status_code == 404


# --- Order ----------------------------------------------------------------------------------------


def test_moving_up_and_down_reorders_the_storefront(app, staff_client, shop):
    visitor = app.test_client()
    plants, herbs, flowers = shop["shelves"]
    assert storefront_sections(visitor) == ["Plants potagers", "Aromatiques"]

    staff_client.post(category_url(herbs, "deplacer"), data={"direction": "up"})

    assert [c[0] for c in categories()] == ["Aromatiques", "Plants potagers", "Fleurs"]
    assert [c[2] for c in categories()] == [1, 2, 3]
    assert storefront_sections(visitor) == ["Aromatiques", "Plants potagers"]
    assert "« Aromatiques » monte d'un rang." in page_text(staff_client.get(URL))

    staff_client.post(category_url(herbs, "deplacer"), data={"direction": "down"})
    staff_client.post(category_url(herbs, "deplacer"), data={"direction": "down"})
    assert [c[0] for c in categories()] == ["Plants potagers", "Fleurs", "Aromatiques"]
    assert storefront_sections(visitor) == ["Plants potagers", "Aromatiques"]


def test_moving_past_an_end_changes_nothing(staff_client, shelves):
    response = staff_client.post(
        category_url(shelves[0], "deplacer"), data={"direction": "up"}, follow_redirects=True
    )

    assert "« Plants potagers » est déjà à cette extrémité de la liste." in page_text(response)
    assert [c[0] for c in categories()] == ["Plants potagers", "Aromatiques", "Fleurs"]


def test_a_move_numbers_positions_again_when_they_were_equal(staff_client, make_category):
    first = make_category("Bulbes", "bulbes", 0)
    make_category("Arbustes", "arbustes", 0)

    staff_client.post(category_url(first, "deplacer"), data={"direction": "up"})

    assert categories() == [("Bulbes", "bulbes", 1), ("Arbustes", "arbustes", 2)]


def test_a_move_in_an_unknown_direction_is_refused(staff_client, shelves):
    response = staff_client.post(category_url(shelves[1], "deplacer"), data={"direction": "left"})

    assert response.status_code == 400
    assert [c[2] for c in categories()] == [1, 2, 3]


# --- Delete ---------------------------------------------------------------------------------------


def test_an_empty_category_is_deleted(staff_client, shelves):
    response = staff_client.post(category_url(shelves[2], "supprimer"), follow_redirects=True)

    assert "Catégorie « Fleurs » supprimée." in page_text(response)
    assert [c[0] for c in categories()] == ["Plants potagers", "Aromatiques"]


def test_a_category_in_use_is_kept_with_the_number_of_products_using_it(
    staff_client, shelves, make_product
):
    plants = shelves[0]
    make_product(name="Tomate", category=plants)
    make_product(name="Courgette", category=plants, active=False)

    response = staff_client.post(category_url(plants, "supprimer"), follow_redirects=True)

    page = page_text(response)
    assert (
        "La catégorie « Plants potagers » n'est pas supprimée : 2 produits l'utilisent "
        "(les produits désactivés comptent)." in page
    )
    assert len(categories()) == 3
    assert (
        db.session.scalar(
            select(func.count()).select_from(Product).where(Product.category_id == plants.id)
        )
        == 2
    )


def test_a_category_with_one_product_says_one(staff_client, shelves, make_product):
    make_product(name="Thym", category=shelves[1])

    response = staff_client.post(category_url(shelves[1], "supprimer"), follow_redirects=True)

    assert "1 produit l'utilise" in page_text(response)


# --- The storefront's cache -----------------------------------------------------------------------


def test_every_change_bumps_the_published_weeks_and_those_showing_its_products(
    staff_client, shop, make_week
):
    week = shop["week"]
    draft = make_week(label="Semaine 52", status="draft", offers=[shop["basil"]])
    unrelated_draft = make_week(label="Semaine 53", status="draft")
    herbs, flowers = shop["shelves"][1], shop["shelves"][2]
    start = {w.id: week_version(w) for w in (week, draft, unrelated_draft)}

    def bumped():
        return {w.id: week_version(w) - start[w.id] for w in (week, draft, unrelated_draft)}

    staff_client.post(URL, data={"name": "Bulbes"})  # the published week's filter lists it
    assert bumped() == {week.id: 1, draft.id: 0, unrelated_draft.id: 0}
    staff_client.post(category_url(herbs), data={"name": "Herbes"})  # the basil's weeks too
    assert bumped() == {week.id: 2, draft.id: 1, unrelated_draft.id: 0}
    staff_client.post(category_url(flowers, "deplacer"), data={"direction": "up"})
    assert bumped()[week.id] == 3
    staff_client.post(category_url(flowers, "supprimer"))
    assert bumped()[week.id] == 4


# --- Who may ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["customer", "gate"])
def test_customers_and_the_gate_get_403(client, make_user, login, shelves, role):
    user = make_user(kind="individual") if role == "customer" else make_user(role="gate")
    login(user)
    herbs = shelves[1]

    assert client.get(URL).status_code == 403
    assert client.post(URL, data={"name": "Bulbes"}).status_code == 403
    assert client.get(category_url(herbs)).status_code == 403
    assert client.post(category_url(herbs), data={"name": "Herbes"}).status_code == 403
    assert client.post(category_url(herbs, "deplacer"), data={"direction": "up"}).status_code == 403
    assert client.post(category_url(herbs, "supprimer")).status_code == 403
    assert len(categories()) == 3 and ("Aromatiques", "aromatiques", 2) in categories()


def test_a_post_without_its_form_token_is_refused_and_changes_nothing(app, staff_client, shelves):
    app.config["WTF_CSRF_ENABLED"] = True
    herbs, flowers = shelves[1], shelves[2]

    for url, data in (
        (URL, {"name": "Bulbes"}),
        (category_url(herbs), {"name": "Herbes"}),
        (category_url(herbs, "deplacer"), {"direction": "up"}),
        (category_url(flowers, "supprimer"), {}),
    ):
        response = staff_client.post(url, data=data)
        assert response.status_code == 400, url
        assert "Formulaire expiré" in page_text(response)
    assert categories() == [
        ("Plants potagers", "plants-potagers", 1),
        ("Aromatiques", "aromatiques", 2),
        ("Fleurs", "fleurs", 3),
    ]


# --- Two members of staff at once ---------------------------------------------------------------------


def staff_clients(app, staff, count):
    clients = []
    for _index in range(count):
        client = app.test_client()
        response = client.post(
            "/compte/connexion", data={"email": staff.email, "password": TEST_PASSWORD}
        )
        assert response.status_code == 302
        clients.append(client)
    return clients


@pytest.mark.parametrize("published", [False, True])
def test_moves_at_the_same_moment_keep_one_category_per_place(
    app, staff, make_category, make_week, published
):
    from tests.test_concurrency import run_together

    if published:
        make_week()  # then the week's row serialises them too
    shelves = [make_category(f"Rayon {n}", f"rayon-{n}", n) for n in range(1, 7)]
    clients = staff_clients(app, staff, 4)
    moving = [shelves[1], shelves[2], shelves[4], shelves[5]]

    def work(index, barrier):
        with app.app_context():
            barrier.wait()
            url = category_url(moving[index], "deplacer")
            return clients[index].post(url, data={"direction": "up"}).status_code

    results, errors, _seconds = run_together(4, work)

    assert errors == [] and results == [302] * 4
    assert sorted(c[2] for c in categories()) == [1, 2, 3, 4, 5, 6]


def test_deleting_a_category_while_a_product_is_saved_into_it_loses_nothing(
    app, staff, make_category
):
    from tests.test_concurrency import run_together

    for round_ in range(3):
        bulbs = make_category(f"Bulbes {round_}", f"bulbes-{round_}", 1)
        bulbs_id = bulbs.id
        clients = staff_clients(app, staff, 2)
        product = {
            "category_id": str(bulbs.id),
            "name": f"Tulipe {round_}",
            "unit_label": "sachet de 10",
            "vat_rate_bp": "550",
            "price_individual_cents": "4,50",
            "price_restaurant_cents": "3,80",
            "price_amap_cents": "3,60",
        }

        def work(index, barrier, bulbs=bulbs, clients=clients, product=product):
            with app.app_context():
                barrier.wait()
                if index == 0:
                    return clients[0].post(category_url(bulbs, "supprimer")).status_code
                return clients[1].post("/gestion/produits/nouveau", data=product).status_code

        results, errors, _seconds = run_together(2, work)

        assert errors == []
        db.session.expire_all()
        kept = db.session.get(Category, bulbs_id)
        saved = db.session.scalar(select(Product).where(Product.name == f"Tulipe {round_}"))
        if kept is None:  # deleted first: the product form was shown again, nothing saved
            assert saved is None and results == [302, 200]
        else:  # saved first: the deletion was refused
            assert saved.category_id == bulbs_id and results == [302, 302]


def test_a_product_is_not_saved_into_a_category_that_is_gone(app, shelves):
    from boutique.catalog import services as catalog

    data = {
        "name": "Tulipe",
        "variety": "",
        "category_id": 999_999,
        "unit_label": "sachet",
        "vat_rate_bp": 550,
        "price_individual_cents": 450,
        "price_restaurant_cents": 380,
        "price_amap_cents": 360,
        "description": "",
    }
    with pytest.raises(catalog.ProductError, match="Cette catégorie vient d'être supprimée"):
        catalog.save_product(Product(), data)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Product)) == 0


# --- A new install ----------------------------------------------------------------------------------


def test_a_fresh_install_creates_a_category_then_a_product_through_the_pages(staff_client):
    assert categories() == []
    for url in ("/gestion/produits", "/gestion/produits/nouveau"):
        page = page_text(staff_client.get(url))
        assert "Créez d'abord une catégorie" in page, url
        assert 'href="/gestion/categories"' in page
    assert "Aucune catégorie" in page_text(staff_client.get(URL))

    assert staff_client.post(URL, data={"name": "Plants potagers"}).status_code == 302
    category = db.session.scalar(select(Category))
    form = page_text(staff_client.get("/gestion/produits/nouveau"))
    assert "Créez d'abord une catégorie" not in form
    assert f'<option value="{category.id}">Plants potagers</option>' in form
    response = staff_client.post(
        "/gestion/produits/nouveau",
        data={
            "category_id": str(category.id),
            "name": "Tomate",
            "variety": "Cerise",
            "unit_label": "godet 8 cm",
            "vat_rate_bp": "550",
            "price_individual_cents": "2,50",
            "price_restaurant_cents": "1,90",
            "price_amap_cents": "1,80",
        },
    )

    assert response.status_code == 302
    product = db.session.scalar(select(Product))
    assert (product.full_name, product.category_id) == ("Tomate Cerise", category.id)
    page = page_text(staff_client.get("/gestion/produits"))
    assert "Créez d'abord une catégorie" not in page and "Tomate Cerise" in page


# --- In Chromium ------------------------------------------------------------------------------------


@pytest.mark.browser
def test_staff_create_order_and_use_categories_in_chromium(page, staff):
    log_in(page, staff.email)
    page.goto("/gestion/produits/nouveau")
    expect(page.locator(".no-category")).to_contain_text("Aucune catégorie")
    page.get_by_role("link", name="Créez d'abord une catégorie").click()
    expect(page.locator("h1")).to_have_text("Catégories")

    for name in ("Plants potagers", "Aromatiques"):
        page.get_by_label("Nom de la catégorie").fill(name)
        page.get_by_role("button", name="Créer la catégorie").click()
        expect(page.locator(".flash-success")).to_contain_text(f"Catégorie « {name} » créée.")
    rows = page.locator("table.categories tbody th")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Plants potagers")

    page.get_by_role("button", name="Monter Aromatiques").click()
    expect(page.locator(".flash-success")).to_contain_text("« Aromatiques » monte d'un rang.")
    expect(rows.first).to_contain_text("Aromatiques")
    expect(rows.nth(1)).to_contain_text("Plants potagers")
    assert serious_violations(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "staff-categories.png"), full_page=True)

    page.get_by_role("link", name="Produits", exact=True).click()
    expect(page.locator(".no-category")).to_have_count(0)
    page.get_by_role("link", name="Nouveau produit").click()
    expect(page.locator("#category_id option")).to_have_text(["Aromatiques", "Plants potagers"])
    page.get_by_label("Nom", exact=True).fill("Basilic")
    page.get_by_label("Variété").fill("Grand vert")
    page.get_by_label("Catégorie").select_option(label="Aromatiques")
    page.get_by_label("Unité de vente").fill("godet 8 cm")
    page.get_by_label("Prix particulier TTC (€)").fill("2,50")
    page.get_by_label("Prix restaurant HT (€)").fill("1,90")
    page.get_by_label("Prix AMAP HT (€)").fill("1,80")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".flash-success")).to_contain_text(
        "Produit « Basilic Grand vert » enregistré."
    )

    db.session.expire_all()
    product = db.session.scalar(select(Product))
    assert product.category.name == "Aromatiques"
    assert [c[0] for c in categories()] == ["Aromatiques", "Plants potagers"]
    page.goto(URL)
    expect(page.locator(f"#categorie-{product.category_id} td.num").nth(1)).to_have_text("1")
