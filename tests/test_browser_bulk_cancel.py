"""Staff find a burst of orders from one connection in Chromium and cancel them together."""

import re
import secrets
from datetime import date, time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from boutique.extensions import db
from boutique.models import Offer, Order, OutboxMessage, PickupPoint, PickupSlot
from boutique.ordering.services import Contact, place_order
from boutique.ratelimit import address_hash
from tests.browser import ARTIFACTS, log_in, serious_violations

pytestmark = pytest.mark.browser


@pytest.fixture
def burst(make_category, make_product, make_week):
    """Three guest orders from one connection within minutes, and a neighbour's order."""
    plants = make_category("Plants potagers", "plants-potagers", 1)
    tomato = make_product(name="Tomate", variety="Cœur de bœuf", category=plants)
    week = make_week(offers=[(tomato, {"quantity_available": 40})])
    slot = PickupSlot(
        week=week,
        point=PickupPoint(name="Portail de la pépinière", address="Chemin des Jardins"),
        day=date(2026, 12, 4),
        starts_at=time(16),
        ends_at=time(18),
        capacity=10,
        booked=0,
    )
    db.session.add(slot)
    db.session.commit()
    offer = db.session.scalar(select(Offer))
    orders = []
    for name, email, quantity, ip in (
        ("Bot Un", "bot1@jetable.example", 9, "203.0.113.66"),
        ("Bot Deux", "bot2@jetable.example", 9, "203.0.113.66"),
        ("Bot Trois", "bot3@jetable.example", 9, "203.0.113.66"),
        ("Léa Durand", "lea@exemple.fr", 2, "198.51.100.9"),
    ):
        orders.append(
            place_order(
                week=week,
                items={offer.id: quantity},
                slot_id=slot.id,
                payment_method="on_pickup",
                contact=Contact(name, email, "0600000000"),
                kind="individual",
                checkout_token=secrets.token_urlsafe(24),
                ip_hash=address_hash(ip),
            )
        )
    db.session.commit()
    return {"orders": orders, "offer": offer, "slot": slot}


def test_staff_cancel_a_burst_from_one_connection(page, burst, staff):
    bots, lea = burst["orders"][:3], burst["orders"][3]
    log_in(page, staff.email)
    page.goto("/gestion/commandes")
    expect(page.locator("table.orders tbody tr")).to_have_count(4)

    row = page.locator("table.orders tbody tr").filter(has_text=bots[0].number)
    row.get_by_role("link", name=re.compile("même connexion")).click()
    expect(page.locator(".sibling-filter")).to_contain_text("même connexion internet")
    expect(page.locator("table.orders tbody tr")).to_have_count(3)
    expect(page.locator("table.orders")).not_to_contain_text(lea.number)

    page.get_by_role("link", name="Tout sélectionner").click()  # no script: a link
    for order in bots:
        expect(page.get_by_label(f"Sélectionner {order.number}")).to_be_checked()
    page.get_by_label("Motif de l'annulation (envoyé au client)").fill(
        "Commandes en rafale depuis une même connexion : appelez-nous pour commander."
    )
    assert serious_violations(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "bulk-cancel-list.png"), full_page=True)

    page.get_by_role("button", name="Annuler la sélection").click()
    expect(page.locator("h1")).to_have_text("Annuler ces 3 commandes ?")
    expect(page.locator(".release-stock")).to_contain_text("+27")
    expect(page.locator(".release-places")).to_contain_text("3 places libérées")
    assert serious_violations(page) == []
    page.screenshot(path=str(ARTIFACTS / "bulk-cancel-confirm.png"), full_page=True)
    db.session.expire_all()
    assert db.session.get(Offer, burst["offer"].id).quantity_reserved == 29  # nothing yet

    page.get_by_role("button", name="Oui, annuler ces 3 commandes").click()
    expect(page.locator(".flash-info")).to_contain_text("3 commandes annulées")
    expect(page.locator("table.orders tbody tr")).to_have_count(3)  # still filtered

    db.session.expire_all()
    statuses = {o.number: o.status for o in db.session.scalars(select(Order))}
    assert [statuses[o.number] for o in bots] == ["cancelled"] * 3
    assert statuses[lea.number] == "placed"
    assert db.session.get(Offer, burst["offer"].id).quantity_reserved == 2
    assert db.session.get(PickupSlot, burst["slot"].id).booked == 1
    cancelled_mails = db.session.scalars(
        select(OutboxMessage.recipient).where(OutboxMessage.subject.contains("annulée"))
    ).all()
    assert sorted(cancelled_mails) == [f"bot{n}@jetable.example" for n in (1, 2, 3)]
