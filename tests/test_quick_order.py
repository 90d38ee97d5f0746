"""A restaurant's weekly order in a few actions (issue 13, part 8): the quick order filled
from the last order and capped by what is left, the slot as last time, the terms accepted
once per version, the phone kept on the profile."""

import re
from datetime import time, timedelta

import pytest
from sqlalchemy import select

from boutique.extensions import db
from boutique.legal.services import save_version
from boutique.models import Order, PickupPoint, PickupSlot, User
from boutique.ordering.services import Contact, place_order
from tests.conftest import page_words
from tests.test_ordering import TOKEN_INPUT


def basket_items(client):
    with client.session_transaction() as session:
        return (session.get("basket") or {}).get("items") or {}


@pytest.fixture
def two_weeks(make_product, make_week, make_user):
    """Last week the restaurant took 10 tomatoes and 4 basil, Thursday 16:00 at the gate;
    this week 6 tomatoes are left and basil is 2 at most per order."""
    tomato = make_product(name="Tomate", variety="Cerise", price_restaurant_cents=190)
    basil = make_product(name="Basilic", variety="Grand vert", price_restaurant_cents=240)
    leek = make_product(name="Poireau", variety="Bleu de Solaise")
    chef = make_user(kind="restaurant", email="chef@bistrot.fr", phone="")
    point = PickupPoint(name="Portail", address="Chemin des Jardins")
    last = make_week(label="Semaine 48", opens_in=timedelta(days=-9), duration=timedelta(days=2),
                     offers=[tomato, basil])
    this = make_week(label="Semaine 49", offers=[
        (tomato, {"quantity_available": 6}),
        (basil, {"quantity_available": 30, "max_per_order": 2}),
        leek,
    ])
    slots = {}
    for week in (last, this):
        day = week.closes_at.date() + timedelta(days=1)
        while day.weekday() != 3:  # Thursday
            day += timedelta(days=1)
        for start in (9, 16):
            slot = PickupSlot(week=week, point=point, day=day, starts_at=time(start),
                              ends_at=time(start + 2), capacity=20)
            db.session.add(slot)
            slots[(week.label, start)] = slot
    db.session.commit()
    offers = {o.product.name: o for o in last.offers}
    previous = place_order(
        week=last,
        items={offers["Tomate"].id: 10, offers["Basilic"].id: 4},
        slot_id=slots[("Semaine 48", 16)].id,
        payment_method="invoice",
        contact=Contact("Établissement (Camille Martin)", chef.email, "04 90 11 22 33"),
        kind="restaurant",
        customer=chef,
        checkout_token="token-last-week-order-0001",
        now=last.opens_at + timedelta(hours=1),
    )
    db.session.commit()
    return {"chef": chef, "previous": previous, "this": this,
            "slot16": slots[("Semaine 49", 16)], "offers": {o.product.name: o for o in this.offers}}


def test_reorder_fills_last_weeks_quantities_capped_by_what_is_left(client, login, two_weeks):
    login(two_weeks["chef"])
    page = page_words(client.get("/commande/rapide?reprendre=derniere"))
    assert f"Les quantités de votre commande {two_weeks['previous'].number}" in page
    assert "2 quantités réduites à ce qui reste" in page
    assert "« Tomate Cerise » : 10 demandés, 6 possibles." in page
    assert "« Basilic Grand vert » : 4 demandés, 2 possibles." in page
    offers = two_weeks["offers"]
    raw = client.get("/commande/rapide?reprendre=derniere").get_data(as_text=True)
    for name, value in (("Tomate", "6"), ("Basilic", "2"), ("Poireau", "")):
        field = re.search(rf'<input[^>]*name="qty-{offers[name].id}"[^>]*>', raw).group(0)
        assert f'value="{value}"' in field, name

    response = client.post("/commande/rapide", data={
        f"qty-{offers['Tomate'].id}": "6", f"qty-{offers['Basilic'].id}": "2",
        f"qty-{offers['Poireau'].id}": "",
    })
    assert response.status_code == 302 and response.location == "/commande"
    assert basket_items(client) == {str(offers["Tomate"].id): 6, str(offers["Basilic"].id): 2}


def test_bad_quick_quantities_are_refused_and_leave_the_basket(client, login, two_weeks):
    login(two_weeks["chef"])
    offers = two_weeks["offers"]
    for data, message in (
        ({f"qty-{offers['Tomate'].id}": "abc"}, "Quantité invalide pour « Tomate Cerise »."),
        ({f"qty-{offers['Tomate'].id}": "9"}, "il n'en reste que 6"),
        ({f"qty-{offers['Basilic'].id}": "5"}, "« Basilic Grand vert » : 2 au plus par commande."),
    ):
        response = client.post("/commande/rapide", data=data)
        assert response.status_code == 422 and message in page_words(response)
        assert basket_items(client) == {}


def test_the_quick_order_needs_an_account(client, two_weeks):
    response = client.get("/commande/rapide")
    assert response.status_code == 302 and "/compte/connexion" in response.location


def test_the_checkout_remembers_the_slot_the_terms_and_saves_the_phone(app, client, login, two_weeks):
    chef, offers = two_weeks["chef"], two_weeks["offers"]
    chef.terms_version = ""
    db.session.commit()
    login(chef)
    client.post("/commande/rapide", data={f"qty-{offers['Tomate'].id}": "3"})
    raw = client.get("/commande").get_data(as_text=True)
    slot16 = two_weeks["slot16"]
    assert re.search(rf'<input[^>]*value="{slot16.id}"[^>]*checked', raw)  # as last time
    assert 'name="accept_terms"' in raw  # not accepted yet
    token = TOKEN_INPUT.search(raw).group(1)
    form = {"checkout_token": token, "name": "Le Bistrot (Paul Roux)", "email": chef.email,
            "phone": "04 90 99 88 77", "slot": str(slot16.id), "payment_method": "invoice",
            "accept_terms": "y"}
    response = client.post("/commande", data=form)
    assert response.status_code == 302 and "/commande/suivi/" in response.location
    db.session.expire_all()
    order = db.session.scalars(select(Order).order_by(Order.id.desc())).first()
    assert order.terms_version == "1"  # the CGV's default, loaded as version 1
    chef = db.session.get(User, chef.id)
    assert chef.terms_version == "1" and chef.phone == "04 90 99 88 77"

    # Next week: the terms are not asked again, the phone comes from the profile.
    client.post("/commande/rapide", data={f"qty-{offers['Basilic'].id}": "1"})
    page = client.get("/commande")
    raw = page.get_data(as_text=True)
    assert 'name="accept_terms"' not in raw
    assert "Vous avez déjà accepté ces conditions générales de vente" in page_words(page)
    assert 'value="04 90 99 88 77"' in raw
    form.pop("accept_terms")
    form["checkout_token"] = TOKEN_INPUT.search(raw).group(1)
    assert client.post("/commande", data=form).status_code == 302

    # New terms: asked again.
    save_version("cgv", "Conditions générales de vente", "Nouvelles conditions.", None, 1)
    db.session.commit()
    client.post("/commande/rapide", data={f"qty-{offers['Poireau'].id}": "1"})
    assert 'name="accept_terms"' in client.get("/commande").get_data(as_text=True)
