"""Staff place and publish the week's schedule in Chromium, then open the pick-up list."""

import re
from datetime import datetime, time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from boutique.extensions import db
from boutique.models import Offer, Order, OutboxMessage, PickupPoint, PickupSlot
from boutique.ordering.services import Contact, place_order
from tests.browser import PARIS, log_in, serious_violations

pytestmark = pytest.mark.browser


@pytest.fixture
def phone_orders(make_product, make_week, staff):
    """Two phone orders without a slot, and one gate slot today."""
    tomato = make_product(name="Tomate", variety="Cœur de bœuf", price_individual_cents=250)
    week = make_week(label="Semaine 49", offers=[tomato])
    gate = PickupPoint(name="Portail de la pépinière", address="Chemin des Jardins, Avignon")
    db.session.add_all(
        [
            gate,
            PickupSlot(
                week=week,
                point=gate,
                day=datetime.now(PARIS).date(),
                starts_at=time(16),
                ends_at=time(18),
                capacity=10,
                booked=0,
            ),
        ]
    )
    db.session.commit()
    offer = db.session.scalar(select(Offer))
    for index, name in enumerate(("Léa Durand", "Marc Petit")):
        place_order(
            week=week,
            items={offer.id: index + 1},
            slot_id=None,
            payment_method="on_pickup",
            contact=Contact(name, f"client{index}@exemple.fr", "06 11 22 33 44"),
            kind="individual",
            checkout_token=f"phone-{index}",
            entered_by=staff,
        )
    db.session.commit()
    return week


def test_staff_generate_publish_and_print_the_pick_up_list(page, staff, phone_orders):
    log_in(page, staff.email)
    page.goto(f"/gestion/semaines/{phone_orders.id}")
    page.get_by_role("link", name="Planning des retraits").click()
    expect(page.locator("#waiting-title + div")).to_contain_text("Léa Durand")

    page.get_by_role("button", name="Placer les commandes sans créneau").click()
    expect(page.locator(".flash-success")).to_contain_text("2 commandes placées.")
    expect(page.locator("main")).to_contain_text("Toutes les commandes ont un créneau.")
    expect(page.locator(".schedule-point")).to_contain_text("2 / 10 commandes")
    assert serious_violations(page) == []

    page.get_by_role("link", name="Publier le planning…").click()
    expect(page.locator("main")).to_contain_text("2 commandes seront annoncées par e-mail")
    assert serious_violations(page) == []
    page.get_by_role("button", name="Publier et envoyer 2 e-mails").click()
    expect(page.locator(".flash-success")).to_have_text(
        "Planning publié : 2 e-mails envoyés."
    )
    subjects = {m.subject for m in db.session.scalars(select(OutboxMessage))}
    numbers = [o.number for o in db.session.scalars(select(Order).order_by(Order.id))]
    assert {f"Retrait de votre commande {n}" for n in numbers} <= subjects

    page.goto(f"/gestion/semaines/{phone_orders.id}/documents")
    page.get_by_role("link", name=re.compile("émargement", re.I)).first.click()
    table = page.locator("table").first
    expect(table).to_contain_text("Léa Durand")
    expect(table).to_contain_text("Marc Petit")
    expect(page.locator("main")).to_contain_text(re.compile(r"7,50\s€"))  # 1 + 2 trays × 2,50
