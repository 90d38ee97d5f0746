"""Real-browser tests: Chromium drives the app served by `live_server` (CSRF enabled).

Run only these with `pytest -m browser`. On failure, a screenshot and the page's HTML are
saved in test-artifacts/ under the test's name.
"""

import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from boutique.extensions import db
from boutique.models import Offer, SalesWeek
from tests.browser import (
    ARTIFACTS,
    PARIS,
    card,
    euros,
    grid_row,
    local_input,
    log_in,
    serious_violations,
    wait_for_images,
)

pytestmark = pytest.mark.browser


# --- Tests ------------------------------------------------------------------------------------


def test_visitor_sees_the_weeks_products_in_french_and_searches(
    page, make_category, make_product, make_week
):
    vegetables = make_category("Plants potagers", position=1)
    herbs = make_category("Aromatiques", position=2)
    tomato = make_product(
        name="Tomate",
        variety="Cœur de bœuf",
        category=vegetables,
        unit_label="godet 8 cm",
        price_individual_cents=250,
    )
    courgette = make_product(
        name="Courgette",
        variety="Gold Rush",
        category=vegetables,
        unit_label="plaque de 4 mottes",
        price_individual_cents=1290,
    )
    pepper = make_product(
        name="Poivron",
        variety="Doux d'Espagne",
        category=vegetables,
        unit_label="godet 10 cm",
        price_individual_cents=310,
    )
    basil = make_product(
        name="Basilic",
        variety="Grand vert",
        category=herbs,
        unit_label="godet 9 cm",
        price_individual_cents=320,
        description="Très parfumé, à planter après les Saints de glace.",
    )
    thyme = make_product(
        name="Thym",
        variety="Commun",
        category=herbs,
        unit_label="godet 8 cm",
        price_individual_cents=295,
    )
    aubergine = make_product(name="Aubergine", variety="Violette", category=vegetables)
    make_week(
        label="Semaine 48",
        offers=[
            (tomato, {"quantity_available": 30, "quantity_reserved": 4}),
            (courgette, {"quantity_available": None}),
            (pepper, {"quantity_available": 5, "quantity_reserved": 5}),
            basil,
            (thyme, {"price_individual_cents": 275}),
            (aubergine, {"offered": False}),
        ],
    )

    page.goto("/")

    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("h1")).to_have_text("Semaine 48")
    expect(page.locator(".week-banner")).to_contain_text("Commandes ouvertes jusqu'au")
    expect(page.get_by_role("heading", level=2)).to_have_text(["Plants potagers", "Aromatiques"])
    cards = page.locator(".product-card")
    expect(cards).to_have_count(5)
    expect(card(page, "Aubergine")).to_have_count(0)

    expected = {
        "Tomate": ("Cœur de bœuf", "godet 8 cm", "2,50 €", "26 disponibles"),
        "Courgette": ("Gold Rush", "plaque de 4 mottes", "12,90 €", "Disponible"),
        "Poivron": ("Doux d'Espagne", "godet 10 cm", "3,10 €", "Épuisé"),
        "Basilic": ("Grand vert", "godet 9 cm", "3,20 €", "20 disponibles"),
        "Thym": ("Commun", "godet 8 cm", "2,75 €", "20 disponibles"),  # the week's own price
    }
    for name, (variety, unit, price, stock) in expected.items():
        item = card(page, name)
        expect(item).to_be_visible()
        expect(item.locator(".variety")).to_have_text(variety)
        expect(item.locator(".unit")).to_have_text(unit)
        expect(item.locator(".price")).to_have_text(euros(price))
        expect(item.locator(".tax")).to_have_text("TTC")
        expect(item.locator(".card-foot")).to_contain_text(stock)
    sold_out = card(page, "Poivron")
    expect(sold_out).to_have_class(re.compile(r"\bis-soldout\b"))
    expect(sold_out.locator(".badge-soldout")).to_be_visible()

    # Search.
    page.get_by_label("Rechercher un produit").fill("basilic")
    page.get_by_label("Rechercher un produit").press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]q=basilic\b"))
    expect(cards).to_have_count(1)
    expect(card(page, "Basilic")).to_be_visible()
    expect(page.get_by_label("Rechercher un produit")).to_have_value("basilic")

    page.get_by_role("link", name="Effacer la recherche").click()
    expect(cards).to_have_count(5)

    # Category filter: a chip, no submit.
    chips = page.get_by_role("navigation", name="Catégories")
    chips.get_by_role("link", name="Aromatiques").click()
    expect(page).to_have_url(re.compile(r"[?&]categorie=aromatiques\b"))
    expect(cards).to_have_count(2)
    expect(card(page, "Basilic")).to_be_visible()
    expect(card(page, "Thym")).to_be_visible()
    expect(card(page, "Tomate")).to_have_count(0)
    expect(chips.get_by_role("link", name="Aromatiques")).to_have_attribute("aria-current", "page")

    # Product page, through the card.
    card(page, "Basilic").get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/produit/{basil.id}$"))
    expect(page.locator("h1")).to_have_text("Basilic Grand vert")
    expect(page.locator(".product-info .unit")).to_have_text("godet 9 cm")
    expect(page.locator(".price-line .price")).to_have_text(euros("3,20 €"))
    expect(page.locator(".description")).to_have_text(
        "Très parfumé, à planter après les Saints de glace."
    )
    expect(page.locator(".breadcrumb")).to_contain_text("Aromatiques")
    expect(page.locator(".product-info")).to_contain_text("Dont TVA 5,5")


def test_staff_copy_last_week_edit_the_grid_and_publish(
    page, staff, make_category, make_product, make_week
):
    vegetables = make_category("Plants potagers", position=1)
    herbs = make_category("Aromatiques", position=2)
    tomato = make_product(name="Tomate", variety="Cœur de bœuf", category=vegetables)
    leek = make_product(
        name="Poireau",
        variety="Bleu de Solaise",
        category=vegetables,
        unit_label="botte de 50 plants",
    )
    chives = make_product(name="Ciboulette", variety="", category=herbs)
    make_product(name="Persil", variety="Géant d'Italie", category=herbs)
    make_week(
        label="Semaine passée",
        opens_in=timedelta(days=-10),
        duration=timedelta(days=3),
        offers=[
            (tomato, {"quantity_available": 20, "quantity_reserved": 7}),
            (leek, {"quantity_available": 8}),
            (chives, {"quantity_available": None}),
        ],
    )
    staff_email = staff.email

    log_in(page, staff_email)

    # A new draft week, opened an hour ago, so that it is open as soon as it is published.
    page.goto("/gestion/semaines/nouvelle")
    suggested = page.get_by_label("Nom de la semaine").input_value()
    assert re.fullmatch(r"Semaine \d+", suggested), suggested
    now = datetime.now(PARIS).replace(second=0, microsecond=0)
    closes = now + timedelta(days=3)
    pickup = (closes + timedelta(days=1)).date()
    page.fill("#opens_at", local_input(now - timedelta(hours=1)))
    page.fill("#closes_at", local_input(closes))
    page.fill("#pickup_date_1", pickup.isoformat())
    # The name takes the first pick-up day's ISO week (corrected if that day is in another).
    label = f"Semaine {pickup.isocalendar().week}"
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".flash-success")).to_have_text(f"Semaine « {label} » enregistrée.")
    expect(page).to_have_url(re.compile(r"/gestion/semaines/\d+$"))
    week_url = page.url
    expect(page.locator(".week-head .badge")).to_have_text("Brouillon")

    # Copy last week's availabilities.
    page.get_by_role("button", name="Copier les disponibilités de « Semaine passée »").click()
    expect(page.locator(".flash-success")).to_have_text(
        "3 disponibilités copiées depuis « Semaine passée ». Vérifiez les quantités."
    )
    leek_row = grid_row(page, "Poireau Bleu de Solaise")
    expect(leek_row.locator("input[name$='-offered']")).to_be_checked()
    expect(leek_row.locator("input[name$='-quantity']")).to_have_value("8")
    tomato_row = grid_row(page, "Tomate Cœur de bœuf")
    expect(tomato_row.locator("input[name$='-quantity']")).to_have_value("20")
    expect(tomato_row.locator("td.reserved")).to_have_text("0")  # reservations are not copied
    expect(grid_row(page, "Ciboulette").locator("input[name$='-unlimited']")).to_be_checked()
    expect(grid_row(page, "Persil").locator("input[name$='-offered']")).not_to_be_checked()

    # A negative quantity: refused, and nothing at all is saved.
    parsley_row = grid_row(page, "Persil Géant d'Italie")
    parsley_row.locator("input[name$='-offered']").check()
    parsley_row.locator("input[name$='-unlimited']").check()
    leek_row.locator("input[name$='-quantity']").fill("-3")
    page.get_by_role("button", name="Enregistrer les disponibilités").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Rien n'a été enregistré : corrigez les lignes signalées."
    )
    expect(leek_row).to_have_class(re.compile(r"\bhas-error\b"))
    expect(leek_row.locator(".error")).to_have_text("Quantité entre 0 et 1 000 000.")
    expect(leek_row.locator("input[name$='-quantity']")).to_have_value("-3")
    page.goto(week_url)
    expect(leek_row.locator("input[name$='-quantity']")).to_have_value("8")
    expect(parsley_row.locator("input[name$='-offered']")).not_to_be_checked()
    expect(page.locator(".has-error")).to_have_count(0)

    # The real edit: 12 leeks, and parsley offered without limit.
    leek_row.locator("input[name$='-quantity']").fill("12")
    parsley_row.locator("input[name$='-offered']").check()
    parsley_row.locator("input[name$='-unlimited']").check()
    page.get_by_role("button", name="Enregistrer les disponibilités").click()
    expect(page.locator(".flash-success")).to_have_text("Disponibilités enregistrées.")
    expect(leek_row.locator("input[name$='-quantity']")).to_have_value("12")
    expect(parsley_row.locator("input[name$='-offered']")).to_be_checked()
    expect(parsley_row.locator("input[name$='-unlimited']")).to_be_checked()

    page.get_by_role("button", name="Publier la semaine").click()
    expect(page.locator(".flash-success")).to_have_text(f"Semaine « {label} » publiée.")
    expect(page.locator(".week-head .badge")).to_have_text("Ouverte")
    expect(page.get_by_role("button", name="Repasser en brouillon")).to_be_visible()

    # The storefront now shows the new week.
    page.goto("/")
    expect(page.locator("h1")).to_have_text(label)
    expect(page.locator(".product-card")).to_have_count(4)
    expect(card(page, "Poireau").locator(".stock")).to_have_text("12 disponibles")
    expect(card(page, "Tomate").locator(".stock")).to_have_text("20 disponibles")
    expect(card(page, "Persil").locator(".stock")).to_have_text("Disponible")
    expect(card(page, "Ciboulette").locator(".stock")).to_have_text("Disponible")

    db.session.expire_all()
    offers = {
        offer.product.name: offer
        for offer in db.session.scalars(
            db.select(Offer).join(Offer.week).where(SalesWeek.label == label)
        )
    }
    assert {name: o.quantity_available for name, o in offers.items()} == {
        "Tomate": 20,
        "Poireau": 12,
        "Ciboulette": None,
        "Persil": None,
    }


def test_home_page_screenshots_phone_and_desktop(page, make_category, make_product, make_week):
    vegetables = make_category("Plants potagers", position=1)
    herbs = make_category("Aromatiques", position=2)
    products = [
        make_product(name="Tomate", variety="Cœur de bœuf", category=vegetables),
        make_product(
            name="Courge",
            variety="Butternut très longue à coureurs vigoureux",
            category=vegetables,
            unit_label="plaque de 40 mottes",
            price_individual_cents=1450,
        ),
        make_product(name="Salade", variety="Feuille de chêne blonde", category=vegetables),
        make_product(name="Basilic", variety="Grand vert", category=herbs),
        make_product(name="Menthe", variety="Marocaine", category=herbs),
    ]
    offers = [(product, {}) for product in products]
    offers[2] = (products[2], {"quantity_available": 6, "quantity_reserved": 6})
    make_week(label="Semaine 48", offers=offers)
    ARTIFACTS.mkdir(exist_ok=True)
    phone, desktop = ARTIFACTS / "home-phone.png", ARTIFACTS / "home-desktop.png"
    for path in (phone, desktop):
        path.unlink(missing_ok=True)

    page.set_viewport_size({"width": 375, "height": 812})
    page.goto("/")
    expect(page.locator(".product-card")).to_have_count(5)
    wait_for_images(page)
    page.screenshot(path=str(phone), full_page=True)
    scroll_width, inner_width = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width, f"horizontal scroll at 375 px: {scroll_width}"

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/")
    expect(page.locator(".product-card")).to_have_count(5)
    wait_for_images(page)
    page.screenshot(path=str(desktop), full_page=True)

    for path in (phone, desktop):
        assert path.is_file() and path.stat().st_size > 1000, path


def test_main_pages_have_no_serious_accessibility_violations(
    page, admin, make_category, make_product, make_week, make_user
):
    """axe-core on every main page, for visitors, customers and staff; none breaks the CSP."""
    from datetime import time

    from boutique.models import PickupPoint, PickupSlot
    from boutique.ordering.services import Contact, place_order
    from boutique.timezones import shop_today

    herbs = make_category("Aromatiques", "aromatiques", 2)
    basil = make_product(name="Basilic", variety="Grand vert", category=herbs)
    sold_out = make_product(name="Persil", variety="Plat", category=herbs)
    week = make_week(offers=[basil, (sold_out, {"quantity_available": 3, "quantity_reserved": 3})])
    make_user(kind="restaurant", pro_status="pending")
    gate = PickupPoint(name="Portail", address="Chemin des Jardins, Avignon")
    slot = PickupSlot(
        week=week, point=gate, day=shop_today(), starts_at=time(0, 1), ends_at=time(23, 59),
        capacity=10, booked=0,
    )
    db.session.add_all([gate, slot])
    db.session.commit()
    customer = make_user(email="lea@exemple.fr")
    order = place_order(
        week=week,
        items={week.offers[0].id: 2},
        slot_id=slot.id,
        payment_method="on_pickup",
        contact=Contact("Léa Durand", customer.email, "06 11 22 33 44"),
        kind="individual",
        customer=customer,
        checkout_token="token-a11y",
    )
    db.session.commit()
    csp_errors = []
    page.on(
        "console",
        lambda message: csp_errors.append((page.url, message.text))
        if "Content Security Policy" in message.text
        else None,
    )
    found = {}

    def check(url, label=None):
        if url:
            page.goto(url)
        found[label or url] = serious_violations(page)

    for url in (
        "/",
        f"/produit/{basil.id}",
        "/compte/connexion",
        "/compte/inscription",
        "/compte/mot-de-passe-oublie",
        "/conditions-generales-de-vente",
        f"/commande/suivi/{order.access_token}",
        "/page-absente",
    ):
        check(url)
    # A form showing its errors: each message is tied to its field.
    page.goto("/compte/inscription")
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.locator("#email-error")).to_be_visible()
    check(None, "/compte/inscription (errors)")
    # The basket and the checkout steps, as a visitor with a product in the basket.
    page.goto(f"/produit/{basil.id}")
    with page.expect_response(re.compile(r"/panier/ajouter$")):  # the page posts it, stays
        page.get_by_role("button", name=re.compile("Ajouter")).first.click()
    check("/panier")
    check("/commande")
    page.get_by_role("button", name=re.compile("^Commander")).click()
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator("#error-summary")).to_be_focused()  # read first, then each link
    check(None, "/commande (errors)")
    # A customer's own pages.
    log_in(page, customer.email)
    check("/compte/commandes")
    check("/compte/profil")
    check("/commande/rapide?reprendre=derniere")
    check("/?q=basilique")  # no result, a suggestion
    page.context.clear_cookies()
    log_in(page, admin.email)
    for url in (
        "/gestion/",
        "/gestion/commandes",
        f"/gestion/commandes/{order.id}",
        "/gestion/commandes/nouvelle",
        "/gestion/produits",
        "/gestion/produits/nouveau",
        "/gestion/produits/import",
        f"/gestion/semaines/{week.id}",
        "/gestion/semaines/nouvelle",
        f"/gestion/semaines/{week.id}/creneaux",
        f"/gestion/semaines/{week.id}/planning",
        f"/gestion/semaines/{week.id}/documents",
        f"/gestion/semaines/{week.id}/documents/emargement",
        f"/gestion/semaines/{week.id}/documents/etiquettes",
        "/gestion/retrait",
        f"/gestion/retrait/commande/{order.id}",
        "/gestion/factures",
        "/gestion/points",
        "/gestion/professionnels",
        "/gestion/comptes",
    ):
        check(url)
    assert {url: v for url, v in found.items() if v} == {}
    assert csp_errors == []
    # The page language is French, and the printable documents got their stylesheet.
    assert page.locator("html").get_attribute("lang") == "fr"
    page.goto(f"/gestion/semaines/{week.id}/documents/etiquettes")
    assert page.locator(".doc").evaluate("e => getComputedStyle(e).backgroundColor") == (
        "rgb(255, 255, 255)"
    )
