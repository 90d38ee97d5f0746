"""The staff dashboard opens on what waits for someone (issue 12, part 9)."""

from datetime import time, timedelta

from sqlalchemy import update

from boutique.extensions import db
from boutique.models import Invoice, PickupPoint, PickupSlot
from boutique.ordering.services import Contact, confirm_order, place_order
from boutique.timezones import shop_today
from tests.conftest import add_mail, page_text


def test_an_empty_shop_has_nothing_to_do(staff_client):
    page = page_text(staff_client.get("/gestion/"))
    assert "À faire" in page and "Rien en attente" in page


def test_each_waiting_thing_is_a_link_to_where_it_is_done(
    app, staff, admin_client, make_product, make_week, make_user
):
    today = shop_today()
    basil = make_product(name="Basilic")
    week = make_week(offers=[(basil, {"quantity_available": None})])
    gate = PickupPoint(name="Portail", address="Chemin des Jardins")
    slots = [
        PickupSlot(week=week, point=gate, day=day, starts_at=time(16), ends_at=time(18), capacity=9)
        for day in (today, today + timedelta(days=1))
    ]
    db.session.add_all([gate, *slots])
    db.session.commit()
    offer = week.offers[0]

    def order(name, slot, kind="individual", customer=None, method="on_pickup"):
        placed = place_order(
            week=week,
            items={offer.id: 1},
            slot_id=slot.id,
            payment_method=method,
            contact=Contact(name, f"{name}@exemple.fr"),
            kind=kind,
            customer=customer,
            checkout_token=f"dash-{name}",
            entered_by=staff,
            bypass_deadline=True,
        )
        db.session.commit()
        return placed

    order("alice", slots[0])
    order("bruno", slots[0])
    chef = make_user(kind="restaurant")
    late = order("chef", slots[1], kind="restaurant", customer=chef, method="invoice")
    confirm_order(late, staff)
    db.session.commit()
    db.session.execute(update(Invoice).values(due_date=today - timedelta(days=1)))  # a month on
    invoice = db.session.query(Invoice).one()
    make_user(kind="amap", pro_status="pending")
    add_mail(failed_at=invoice.issued_at, attempts=12)
    db.session.commit()

    response = admin_client.get("/gestion/")
    page, html = page_text(response), response.get_data(as_text=True)

    assert f"2 commandes à confirmer ({week.label})" in page
    assert f'href="/gestion/commandes?semaine={week.id}&amp;statut=placed"' in html
    assert "2 retraits aujourd'hui" in page and "1 retrait demain" in page
    assert f'href="/gestion/retrait?jour={today.isoformat()}"' in html
    assert "1 facture en retard de paiement" in page
    assert 'href="/gestion/factures?statut=en_retard"' in html
    assert "1 mail n'a pas pu être distribué" in page
    assert "1 compte professionnel attend votre validation" in page
    assert "Rien en attente" not in page
