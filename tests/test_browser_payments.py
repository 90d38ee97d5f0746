"""The order page's money sentence in Chromium at a phone's width: one state, one wording."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from boutique.extensions import db
from boutique.models import CardPayment, Order, utcnow
from boutique.ordering.services import Contact, place_order
from tests.browser import ARTIFACTS
from tests.conftest import free_port
from tests.test_browser import serious_violations

pytestmark = pytest.mark.browser


@pytest.fixture
def card_order(make_product, make_week, make_pickup_slot):
    """A guest's card order (4 × 2,50 €), its payment page opened."""
    tomato = make_product(name="Tomate", variety="Cerise", price_individual_cents=250)
    week = make_week(offers=[tomato])
    slot = make_pickup_slot(week, capacity=5, address="12 chemin des Jardins, Avignon")
    order = place_order(
        week=week,
        items={week.offers[0].id: 4},
        slot_id=slot.id,
        payment_method="card",
        contact=Contact("Camille Martin", "camille@exemple.fr"),
        kind="individual",
        checkout_token="browser-payments",
    )
    db.session.add(CardPayment(order=order, amount_requested_cents=1000, session_id="cs_phone"))
    db.session.commit()
    return order


def in_state(order, status, card_status):
    order = db.session.get(Order, order.id)
    order.status = status
    order.card.status = card_status
    order.card.intent_id = "pi_phone"
    order.card.amount_authorised_cents = 1000
    order.card.authorised_at = utcnow() - timedelta(minutes=40)
    if status in ("cancelled", "expired"):
        order.hold_expires_at = None
    db.session.commit()
    return order


def shoot(page, path, name):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(path)
    money = page.locator("[data-money]")
    expect(money).to_have_count(1)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"order-money-{name}-phone.png"), full_page=True)
    scroll_width, inner_width = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width, f"horizontal scroll at 390 px: {scroll_width}"
    assert serious_violations(page) == []
    return money


def test_the_order_page_says_one_thing_about_money_on_a_phone(app, page, card_order):
    # Back from the payment page while Stripe cannot be reached: wait, no pay button.
    app.config.update(
        STRIPE_SECRET_KEY="sk_test_12345", STRIPE_API_BASE=f"http://127.0.0.1:{free_port()}"
    )
    token = card_order.access_token
    money = shoot(page, f"/commande/suivi/{token}?paiement=retour", "waiting")
    expect(money).to_contain_text("Nous attendons la réponse de votre banque")
    expect(page.get_by_role("button", name="Payer 10,00 € par carte")).to_have_count(0)
    expect(page.get_by_text("Paiement à effectuer")).to_have_count(0)

    # Confirmed while the capture did not get through: no "when the team confirms".
    in_state(card_order, "confirmed", "authorised")
    money = shoot(page, f"/commande/suivi/{token}", "capture-pending")
    expect(money).to_contain_text("Commande confirmée : 10,00 € vont être débités sur votre carte")
    expect(page.locator("main")).not_to_contain_text("quand l'équipe confirmera")

    # Paid after the hold lapsed, its stock gone: cancelled, the authorisation released.
    in_state(card_order, "expired", "cancelled")
    money = shoot(page, f"/commande/suivi/{token}", "late-released")
    expect(money).to_contain_text("arrivé après la fin de la réservation")
    expect(page.locator("main")).not_to_contain_text("pas été reçu à temps")
