"""A restaurant turns a past order into a standing weekly order on a phone, and sees it in
"Mon compte"; staff see what it will take in the week's grid and on their standing orders
page (issue 14). Screenshots at 390 px go to test-artifacts/."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from boutique.extensions import db
from boutique.models import Offer, StandingOrder, utcnow
from boutique.ordering.services import Contact, place_order
from tests.browser import ARTIFACTS, assert_fits_a_phone, log_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def past_order(standing_nursery):
    """The restaurant's order of this week: 4 tomatoes and 2 leeks, Friday 16:00, invoice."""
    n = standing_nursery
    n.week.status = "published"
    n.week.opens_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    offers = {o.product_id: o.id for o in db.session.scalars(select(Offer))}
    order = place_order(
        week=n.week,
        items={offers[n.tomato.id]: 4, offers[n.leek.id]: 2},
        slot_id=n.slot.id,
        payment_method="invoice",
        contact=Contact("Le Bistrot", n.restaurant.email, "04 90 00 00 00"),
        kind="restaurant",
        customer=n.restaurant,
        checkout_token="bistrot-1",
    )
    db.session.commit()
    return order


def test_a_restaurant_makes_a_standing_order_from_a_past_order(
    browser, live_server, past_order, standing_nursery, staff
):
    context = browser.new_context(
        base_url=live_server, locale="fr-FR", timezone_id="Europe/Paris", viewport=PHONE
    )
    page = context.new_page()
    try:
        log_in(page, standing_nursery.restaurant.email)
        page.goto(f"/commande/suivi/{past_order.access_token}")
        page.get_by_role("link", name="Commander la même chose chaque semaine").click()
        expect(page.locator("h1")).to_have_text("Nouvelle commande récurrente")
        expect(page.get_by_label("Tomate Cœur de bœuf")).to_have_value("4")
        expect(page.get_by_label("Poireau Bleu de Solaise")).to_have_value("2")
        expect(
            page.get_by_text("la carte demande votre présence à chaque paiement")
        ).to_be_visible()
        page.get_by_label("Une semaine sur deux").check()
        page.get_by_role("button", name="Enregistrer la commande récurrente").click()
        expect(page.locator(".flash-success")).to_contain_text(
            "commande récurrente est enregistrée"
        )
        card = page.locator(".standing-card")
        expect(card).to_contain_text("Une semaine sur deux")
        expect(card).to_contain_text("4 × Tomate Cœur de bœuf")
        expect(card).to_contain_text(f"Semaine {standing_nursery.week.iso_week.week}")
        assert_fits_a_phone(page, PHONE["width"])
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "standing-customer-390.png"), full_page=True)
    finally:
        context.close()
    standing = db.session.scalar(select(StandingOrder))
    assert standing.every_weeks == 2 and standing.payment_method == "invoice"

    context = browser.new_context(
        base_url=live_server, locale="fr-FR", timezone_id="Europe/Paris", viewport=PHONE
    )
    page = context.new_page()
    try:
        log_in(page, staff.email)
        page.goto(f"/gestion/semaines/{standing_nursery.week.id}")
        row = page.locator(f"#row-{standing_nursery.tomato.id}")
        expect(row.locator("td.engaged")).to_contain_text("4")
        page.goto("/gestion/commandes-recurrentes")
        expect(page.locator(f"#standing-{standing.id}")).to_contain_text("Le Bistrot")
        page.get_by_label("Raison (envoyée au client)").fill("Deux factures impayées")
        page.get_by_role("button", name="Suspendre").click()
        expect(page.locator(".flash-success")).to_contain_text("suspendue")
        expect(page.locator(f"#standing-{standing.id}")).to_contain_text("Deux factures impayées")
        page.screenshot(path=str(ARTIFACTS / "standing-staff-390.png"), full_page=True)
    finally:
        context.close()
