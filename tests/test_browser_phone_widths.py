"""Every customer page fits a 320 px phone (issue 13, part 5): no sideways scrolling, and no
amount clipped or pushed off the screen, at 320 and 390 px, in Chromium."""

import re

import pytest
from playwright.sync_api import expect

from boutique.extensions import db
from boutique.ordering.services import Contact, place_order
from tests.browser import ARTIFACTS, add_to_basket, log_in

pytestmark = pytest.mark.browser

# Amounts a customer reads: prices, totals and table figures.
AMOUNTS = ".price, td.num, th.num, .total, .basket-bar summary strong, tfoot td, tfoot th"


def overflows(page, width):
    """What does not fit: the page's own width, and each amount cut or off the screen."""
    return page.evaluate(
        """([width, selector]) => {
            const problems = [];
            const doc = document.documentElement;
            if (doc.scrollWidth > doc.clientWidth) problems.push('page ' + doc.scrollWidth);
            for (const el of document.querySelectorAll(selector)) {
                const box = el.getBoundingClientRect();
                let hidden = false;  // inside a visually hidden box (a table head read aloud)
                for (let up = el; up; up = up.parentElement)
                    if (up.getBoundingClientRect().width <= 1) hidden = true;
                if (!box.width || hidden) continue;
                if (el.scrollWidth > el.clientWidth + 1 || box.left < 0 || box.right > width + 0.5)
                    problems.push(el.outerHTML.slice(0, 90) + ' ' + Math.round(box.right));
            }
            return problems;
        }""",
        [width, AMOUNTS],
    )


@pytest.fixture
def shop_week(make_product, make_week, make_pickup_slot, make_user):
    products = [
        make_product(name="Poireau", variety="Bleu de Solaise", unit_label="plaque de 40 mottes",
                     price_individual_cents=1450),
        make_product(name="Tomate", variety="Cœur de bœuf", price_individual_cents=250),
        make_product(name="Courgette", variety="Verte des maraîchers", price_individual_cents=260),
    ]
    week = make_week(offers=products)
    slot = make_pickup_slot(week, name="Portail de la pépinière", address="Chemin des Jardins")
    customer = make_user(email="lea@exemple.fr", first_name="Léa", last_name="Durand")
    order = place_order(
        week=week,
        items={offer.id: 12 for offer in week.offers},
        slot_id=slot.id,
        payment_method="on_pickup",
        contact=Contact("Léa Durand", customer.email, "06 11 22 33 44"),
        kind="individual",
        customer=customer,
        checkout_token="token-phone-widths-0001",
    )
    db.session.commit()
    return {"week": week, "order": order, "customer": customer, "product": products[0]}


@pytest.mark.parametrize("width", [320, 390])
def test_every_customer_page_fits_the_phone(browser, live_server, shop_week, width):
    context = browser.new_context(
        base_url=live_server, locale="fr-FR", viewport={"width": width, "height": 740},
        is_mobile=True, has_touch=True,
    )
    page = context.new_page()
    pages = {
        "catalogue": "/",
        "recherche": "/?q=tomate",
        "produit": f"/produit/{shop_week['product'].id}",
        "cgv": "/conditions-generales-de-vente",
        "connexion": "/compte/connexion",
        "inscription": "/compte/inscription",
        "commande": f"/commande/suivi/{shop_week['order'].access_token}",
    }
    problems = {}
    for name, path in pages.items():
        page.goto(path)
        problems[name] = overflows(page, width)

    page.goto("/")
    for name in ("Poireau", "Tomate", "Courgette"):
        add_to_basket(page, name, 5)
    problems["barre du panier"] = overflows(page, width)
    for name, path in (("panier", "/panier"), ("caisse", "/commande")):
        page.goto(path)
        problems[name] = overflows(page, width)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)

    log_in(page, "lea@exemple.fr")
    for name, path in (("mes commandes", "/compte/commandes"), ("profil", "/compte/profil")):
        page.goto(path)
        problems[name] = overflows(page, width)
    expect(page.locator("h1")).to_have_text(re.compile("Mon compte|Mon profil|Profil"))
    context.close()
    found = {name: found for name, found in problems.items() if found}
    assert found == {}, "\n".join(f"{name}: {items}" for name, items in found.items())
