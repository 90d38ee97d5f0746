"""A visitor on a phone finds a sold-out plant, asks to be told when it is back, and gets the
confirmation with the unsubscribe link; keyboard only for the form (issue 16, waiting list).
Screenshots at 390 px go to test-artifacts/."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from boutique.extensions import db
from boutique.models import WaitlistEntry
from tests.browser import (
    ARTIFACTS,
    assert_fits_a_phone,
    card,
    grid_row,
    log_in,
    serious_violations,
)

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1366, "height": 900}


def test_a_visitor_signs_up_on_a_sold_out_plant_on_a_phone(
    browser, live_server, make_product, make_week
):
    tomato = make_product(name="Tomate", variety="Cœur de bœuf")
    leek = make_product(name="Poireau", variety="Bleu de Solaise", unit_label="botte")
    make_product(name="Basilic", variety="Grand vert")  # not offered this week
    make_week(
        label="Semaine 49",
        offers=[(tomato, {"quantity_available": 3, "quantity_reserved": 3}), leek],
    )
    context = browser.new_context(
        base_url=live_server, locale="fr-FR", timezone_id="Europe/Paris", viewport=PHONE
    )
    page = context.new_page()
    try:
        page.goto("/")
        sold_out = card(page, "Tomate")
        expect(sold_out.get_by_text("Épuisé")).to_be_visible()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "waitlist-catalog-390.png"), full_page=True)
        page.get_by_role("link", name=re.compile("Un produit manque cette semaine")).click()
        expect(page.get_by_role("heading", name="Pas proposés cette semaine")).to_be_visible()
        expect(page.get_by_role("link", name="Basilic Grand vert")).to_be_visible()
        assert_fits_a_phone(page, PHONE["width"])
        assert serious_violations(page) == []
        page.screenshot(path=str(ARTIFACTS / "waitlist-not-offered-390.png"), full_page=True)
        page.go_back()
        sold_out = card(page, "Tomate")
        sold_out.get_by_role("link", name=re.compile("Prévenez-moi")).click()
        expect(page.get_by_role("heading", name="Prévenez-moi")).to_be_visible()
        expect(
            page.get_by_text("Un seul e-mail quand ce produit est de nouveau disponible")
        ).to_be_visible()
        assert_fits_a_phone(page, PHONE["width"])
        assert serious_violations(page) == []
        page.screenshot(path=str(ARTIFACTS / "waitlist-product-390.png"), full_page=True)

        # The keyboard only: a wrong address first, then the right one.
        email = page.get_by_label("Votre adresse e-mail")
        email.focus()
        page.keyboard.type("lea@")
        page.keyboard.press("Enter")
        expect(page.get_by_text("Adresse e-mail invalide.")).to_be_visible()
        expect(page.get_by_label("Votre adresse e-mail")).to_have_attribute("aria-invalid", "true")
        assert serious_violations(page) == []
        page.get_by_label("Votre adresse e-mail").fill("")
        page.get_by_label("Votre adresse e-mail").focus()
        page.keyboard.type("lea@exemple.fr")
        page.keyboard.press("Tab")
        expect(page.get_by_label("Quantité souhaitée (facultatif)")).to_be_focused()
        page.keyboard.type("6")
        page.keyboard.press("Tab")
        expect(page.get_by_role("button", name=re.compile("Me prévenir"))).to_be_focused()
        page.keyboard.press("Enter")

        expect(page.get_by_role("heading", name="Vous êtes sur la liste")).to_be_visible()
        expect(page.get_by_text("Un seul e-mail à lea@exemple.fr")).to_be_visible()
        expect(page.get_by_text("Quantité souhaitée : 6")).to_be_visible()
        entry = db.session.scalar(select(WaitlistEntry))
        expect(page.get_by_role("link", name="Se désinscrire")).to_have_attribute(
            "href", f"/prevenez-moi/desinscription/{entry.token}"
        )
        assert (entry.email, entry.quantity, entry.product_id) == ("lea@exemple.fr", 6, tomato.id)
        assert_fits_a_phone(page, PHONE["width"])
        assert serious_violations(page) == []
        page.screenshot(path=str(ARTIFACTS / "waitlist-confirmation-390.png"), full_page=True)

        page.get_by_role("link", name="Se désinscrire").click()
        expect(page.get_by_text("lea@exemple.fr attend « Tomate")).to_be_visible()
        assert serious_violations(page) == []
        page.get_by_role("button", name="Ne plus me prévenir").click()
        expect(page.get_by_role("heading", name="Désinscription faite")).to_be_visible()
        db.session.refresh(entry)
        assert entry.end_reason == "unsubscribed"
    finally:
        context.close()


def test_staff_see_who_waits_in_the_weeks_grid(
    browser, live_server, make_product, make_week, staff, client
):
    tomato = make_product(name="Tomate", variety="Cœur de bœuf")
    week = make_week(offers=[(tomato, {"quantity_available": 3, "quantity_reserved": 3})])
    for email, quantity in (("lea@exemple.fr", "4"), ("marc@exemple.fr", "")):
        client.post(
            f"/prevenez-moi/produit/{tomato.id}",
            data={"email": email, "quantity": quantity, "csrf_token": csrf_of(client, tomato)},
        )
    context = browser.new_context(
        base_url=live_server, locale="fr-FR", timezone_id="Europe/Paris", viewport=WIDE
    )
    page = context.new_page()
    try:
        log_in(page, staff.email)
        page.goto(f"/gestion/semaines/{week.id}")
        row = grid_row(page, "Tomate Cœur de bœuf")
        expect(row.locator("td.waiting")).to_have_text(re.compile(r"2 pers\. · 5 unités"))
        expect(page.get_by_role("columnheader", name="En attente (Prévenez-moi)")).to_be_visible()
        assert serious_violations(page) == []
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "waitlist-staff-grid-1366.png"), full_page=True)
    finally:
        context.close()


def csrf_of(client, product):
    """The form's token from the product page, as a browser would send it."""
    html = client.get(f"/produit/{product.id}").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
