"""Issue 13's proof: a guest's order on a phone and a restaurant's reorder, counted as a
person would.

A tap is a press on a button, link, radio, checkbox or Enter; typing into a field counts as a
field. The guest searches "tomate", adds two plants, pays on pick-up; the restaurant orders
last week's order again, capped by what is left. Printed with -s.
"""

import re
from datetime import time

import pytest
from playwright.sync_api import expect

from boutique.extensions import db
from boutique.legal.services import terms_version
from boutique.models import Order, PickupPoint, PickupSlot
from tests.browser import ARTIFACTS, card
from tests.test_quick_order import two_weeks  # noqa: F401  (a fixture)

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


class Person:
    """Counts taps, fields and full page loads of one visitor."""

    def __init__(self, page, touch=True):
        self.page, self.touch, self.taps, self.fields, self.loads = page, touch, 0, 0, 0
        page.on("load", self._loaded)

    def _loaded(self, _page):
        self.loads += 1

    def tap(self, locator):
        self.taps += 1
        if self.touch:
            locator.tap()
        else:
            locator.click()  # a desktop: a click is the tap

    def enter(self, locator):
        self.taps += 1
        locator.press("Enter")

    def type(self, locator, text):
        self.fields += 1
        locator.fill(text)


@pytest.fixture
def tomatoes(make_category, make_product, make_week):
    plants = make_category("Plants potagers", "plants-potagers", 1)
    herbs = make_category("Aromatiques", "aromatiques", 2)
    products = [
        make_product(name="Tomate", variety=variety, category=plants)
        for variety in ("Ananas", "Cerise", "Cœur de bœuf", "Marmande", "Noire de Crimée")
    ]
    products += [make_product(name=f"Salade {n}", category=plants) for n in range(8)]
    products += [make_product(name="Basilic", variety="Grand vert", category=herbs)]
    week = make_week(offers=products)
    point = PickupPoint(name="Portail de la pépinière", address="Chemin des Jardins")
    day = week.closes_at.date()
    for start in (9, 16):
        db.session.add(
            PickupSlot(week=week, point=point, day=day, starts_at=time(start),
                       ends_at=time(start + 2), capacity=20)
        )
    db.session.commit()
    return week


def test_a_guest_orders_two_tomato_plants_in_ten_taps_and_four_page_loads(
    browser, live_server, tomatoes
):
    context = browser.new_context(
        base_url=live_server, locale="fr-FR", viewport=PHONE, has_touch=True, is_mobile=True
    )
    page = context.new_page()
    person = Person(page)
    page.goto("/")

    search = page.get_by_role("searchbox", name="Rechercher un produit")
    person.type(search, "tomates")
    person.enter(search)
    expect(page.locator(".product-card")).to_have_count(5)
    for variety in ("Cœur de bœuf", "Marmande"):
        item = card(page, "Tomate").filter(has_text=variety)
        with page.expect_response(re.compile(r"/panier/ajouter$")):
            person.tap(item.get_by_role("button", name=re.compile("Ajouter")))
        expect(page.locator(".basket-status")).to_contain_text(variety)
        box = item.bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]  # still on screen

    person.tap(page.locator("#basket-bar").get_by_role("link", name="Commander"))
    person.type(page.get_by_label("Nom et prénom"), "Léa Durand")
    person.type(page.get_by_label("Adresse e-mail"), "lea@exemple.fr")
    person.type(page.get_by_label("Téléphone"), "06 11 22 33 44")
    person.tap(page.get_by_label(re.compile(r"de 16:00 à 18:00")))
    person.tap(page.get_by_label(re.compile("Paiement au retrait")))
    person.tap(page.get_by_label("J'accepte les conditions générales de vente"))
    button = page.get_by_role("button", name="Commander avec obligation de paiement au retrait")
    person.tap(button)
    expect(page.locator(".flash-success")).to_contain_text("Merci ! Votre commande")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "guest-order-done-phone.png"))
    context.close()

    print(f"\nGuest order on a phone: {person.taps} taps, {person.fields} fields, "
          f"{person.loads} page loads")
    assert person.taps <= 10 and person.loads <= 4
    order = db.session.query(Order).one()
    assert order.payment_method == "on_pickup" and len(order.lines) == 2


def test_a_restaurant_reorders_last_weeks_order_in_four_actions(
    app, browser, live_server, two_weeks  # noqa: F811  (the fixture)
):
    """Logged in already (a remembered session), on a desktop: from the shop to the order."""
    from tests.browser import log_in

    chef = two_weeks["chef"]
    chef.terms_version = terms_version()  # accepted with its first order
    db.session.commit()
    context = browser.new_context(
        base_url=live_server, locale="fr-FR", viewport={"width": 1366, "height": 900}
    )
    page = context.new_page()
    log_in(page, chef.email)
    page.goto("/")
    person = Person(page, touch=False)

    person.tap(page.get_by_role("link", name="Mes commandes"))
    person.tap(page.get_by_role("link", name="Recommander comme la dernière fois"))
    expect(page.locator(".notice")).to_contain_text("« Tomate Cerise » : 10 demandés, 6 possibles.")
    person.tap(page.get_by_role("button", name="Commander ces quantités"))
    expect(page.get_by_label(re.compile("de 16:00 à 18:00"))).to_be_checked()  # as last time
    person.tap(
        page.get_by_role("button", name="Commander avec obligation de paiement sur facture")
    )
    expect(page.locator(".flash-success")).to_contain_text("Merci ! Votre commande")
    page.screenshot(path=str(ARTIFACTS / "restaurant-reorder-done.png"))
    context.close()

    print(f"\nRestaurant's reorder: {person.taps} actions, {person.fields} fields, "
          f"{person.loads} page loads")
    assert person.taps <= 4 and person.fields == 0
    order = db.session.scalars(
        db.select(Order).where(Order.customer_id == chef.id).order_by(Order.id.desc())
    ).first()
    assert order.payment_method == "invoice"
    assert sorted((line.product_name, line.quantity) for line in order.lines) == [
        ("Basilic Grand vert", 2), ("Tomate Cerise", 6)
    ]
