"""AMAP group orders: a coordinator opens one, members order on its link, it becomes one order."""

import re
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import select

from boutique.extensions import db
from boutique.groups import services as groups
from boutique.models import (
    GroupMember,
    GroupMemberLine,
    GroupOrder,
    Invoice,
    Offer,
    Order,
    PickupSlot,
    utcnow,
)
from boutique.ordering.services import confirm_order, lower_quantities
from boutique.outbox import send_due
from boutique.timezones import utc_to_local_naive
from tests.conftest import page_text, page_words, pdf_words, squash


@pytest.fixture
def week_for_amap(make_product, make_week, make_pickup_slot):
    """An open week with three products (tomatoes: 5 left) and a slot at the gate."""
    tomato = make_product(name="Tomate", variety="Marmande", price_amap_cents=200)
    basil = make_product(name="Basilic", variety="Grand vert", price_amap_cents=150)
    leek = make_product(name="Poireau", variety="Bleu de Solaise", price_amap_cents=100)
    week = make_week(
        offers=[(tomato, {"quantity_available": 5}), basil, (leek, {"max_per_order": 10})]
    )
    slot = make_pickup_slot(week)
    offers = {
        o.product.name: o for o in db.session.scalars(select(Offer).filter_by(week_id=week.id))
    }
    return week, slot, offers


@pytest.fixture
def coordinator(make_user):
    return make_user(kind="amap", organisation="AMAP des Tilleuls", email="coord@amap.fr")


@pytest.fixture
def group(week_for_amap, coordinator):
    week, slot, _ = week_for_amap
    opened = groups.open_group(
        coordinator,
        week=week,
        slot_id=slot.id,
        members_deadline=week.closes_at - timedelta(hours=2),
        payment_method="invoice",
        message="Distribution jeudi à la salle des fêtes.",
    )
    db.session.commit()
    return opened


def join(client, group, offers, quantities, name="Léa Petit", email="lea@exemple.fr", phone=""):
    data = {
        "form_token": secrets.token_urlsafe(24),
        "name": name,
        "email": email,
        "phone": phone,
    }
    for product, quantity in quantities.items():
        data[f"qty-{offers[product].id}"] = str(quantity)
    return client.post(f"/groupe/{group.token}", data=data)


def fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def reserved(offer):
    return db.session.scalar(select(Offer.quantity_reserved).where(Offer.id == offer.id))


def test_coordinator_opens_a_group_order_from_the_form(client, login, coordinator, week_for_amap):
    week, slot, _ = week_for_amap
    login(coordinator)
    page = page_text(client.get("/amap/commandes-groupees/nouvelle"))
    assert "Ouvrir une commande groupée" in page
    deadline = utc_to_local_naive(week.closes_at - timedelta(hours=3))
    response = client.post(
        "/amap/commandes-groupees/nouvelle",
        data={
            "form_token": secrets.token_urlsafe(24),
            "slot": slot.id,
            "members_deadline": deadline.strftime("%Y-%m-%dT%H:%M"),
            "payment_method": "invoice",
            "message": "Apportez vos sacs.",
        },
    )
    assert response.status_code == 302
    group = db.session.scalar(select(GroupOrder))
    page = page_text(client.get(response.headers["Location"]))
    assert f"http://localhost/groupe/{group.token}" in client.get(
        response.headers["Location"]
    ).get_data(as_text=True)
    assert "Lien à partager avec vos membres" in page
    assert fresh(PickupSlot, slot.id).booked == 1  # its place is held
    qr = client.get(f"/amap/commandes-groupees/{group.id}/qr.png")
    assert qr.mimetype == "image/png" and qr.data.startswith(b"\x89PNG")


def test_a_deadline_after_the_weeks_is_refused_and_nothing_is_held(
    client, login, coordinator, week_for_amap
):
    week, slot, _ = week_for_amap
    login(coordinator)
    late = utc_to_local_naive(week.closes_at + timedelta(hours=1))
    page = page_text(
        client.post(
            "/amap/commandes-groupees/nouvelle",
            data={
                "form_token": secrets.token_urlsafe(24),
                "slot": slot.id,
                "members_deadline": late.strftime("%Y-%m-%dT%H:%M"),
                "payment_method": "invoice",
            },
        )
    )
    assert "La date limite des membres ne peut pas dépasser celle de la semaine." in page
    assert db.session.scalar(select(GroupOrder)) is None
    assert fresh(PickupSlot, slot.id).booked == 0


def test_only_an_approved_amap_opens_group_orders(client, login, make_user, week_for_amap):
    login(make_user(kind="restaurant"))
    assert client.get("/amap/commandes-groupees").status_code == 404
    client.post("/compte/deconnexion")
    login(make_user(kind="amap", pro_status="pending"))
    response = client.get("/amap/commandes-groupees/nouvelle")
    assert response.status_code == 302 and "/compte" in response.headers["Location"]


def test_members_order_without_an_account_and_stock_is_reserved_at_once(
    client, group, week_for_amap, mailbox
):
    _, _, offers = week_for_amap
    page = page_text(client.get(f"/groupe/{group.token}"))
    assert "Commande groupée de AMAP des Tilleuls" in page
    assert "Distribution jeudi à la salle des fêtes." in page
    # AMAP price 2,00 € excl. VAT at 5.5 %: members see 2,11 € incl. VAT
    assert "2,11 €" in page
    response = join(client, group, offers, {"Tomate": 2, "Basilic": 1})
    assert response.status_code == 302
    member = db.session.scalar(select(GroupMember))
    assert response.headers["Location"].endswith(f"/groupe/part/{member.token}")
    assert reserved(offers["Tomate"]) == 2 and reserved(offers["Basilic"]) == 1
    page = page_text(client.get(response.headers["Location"]))
    assert "Sac n° 1, au nom de Léa Petit." in page
    assert "Total TTC : 5,80 €" in page  # 2 × 2,11 + 1,58 (rounded per rate)
    send_due()
    (mail,) = mailbox.messages
    assert mail["To"] == "lea@exemple.fr"
    assert "Votre part de la commande groupée AMAP des Tilleuls" in mail["Subject"]
    assert f"/groupe/part/{member.token}" in mail.get_body(("plain",)).get_content()


def test_a_member_needs_a_name_and_an_email_or_a_phone(client, group, week_for_amap):
    _, _, offers = week_for_amap
    page = page_text(join(client, group, offers, {"Tomate": 1}, name="", email="", phone=""))
    assert "Indiquez votre nom." in page
    assert "Indiquez une adresse e-mail ou un téléphone." in page
    page = page_text(join(client, group, offers, {}, phone="06 12 34 56 78"))
    assert "Indiquez au moins un produit." in page
    assert db.session.scalar(select(GroupMember)) is None
    assert reserved(offers["Tomate"]) == 0


def test_a_quantity_over_what_is_left_is_refused_and_changes_nothing(client, group, week_for_amap):
    _, _, offers = week_for_amap
    page = page_text(join(client, group, offers, {"Tomate": 6, "Basilic": 2}))
    assert "Il ne reste pas assez de « Tomate Marmande » (encore 5 disponibles)" in page
    assert db.session.scalar(select(GroupMember)) is None
    assert reserved(offers["Basilic"]) == 0
    page = page_text(join(client, group, offers, {"Poireau": 11}))
    assert "« Poireau Bleu de Solaise » : 10 au plus par part." in page
    page = page_text(join(client, group, offers, {"Poireau": "deux"}))
    assert "Indiquez des quantités en nombres entiers." in page


def test_the_same_form_sent_twice_makes_one_member(client, group, week_for_amap):
    _, _, offers = week_for_amap
    data = {
        "form_token": secrets.token_urlsafe(24),
        "name": "Léa",
        "email": "lea@exemple.fr",
        f"qty-{offers['Tomate'].id}": "1",
    }
    first = client.post(f"/groupe/{group.token}", data=data)
    second = client.post(f"/groupe/{group.token}", data=data)
    assert first.headers["Location"] == second.headers["Location"]
    assert len(db.session.scalars(select(GroupMember)).all()) == 1
    assert reserved(offers["Tomate"]) == 1


def test_a_member_changes_then_cancels_their_part(client, group, week_for_amap, mailbox):
    _, _, offers = week_for_amap
    location = join(client, group, offers, {"Tomate": 2}).headers["Location"]
    token = location.rsplit("/", 1)[1]
    response = client.post(
        f"/groupe/part/{token}",
        data={f"qty-{offers['Tomate'].id}": "1", f"qty-{offers['Basilic'].id}": "3"},
    )
    assert "Votre part est modifiée." in page_text(client.get(response.headers["Location"]))
    assert reserved(offers["Tomate"]) == 1 and reserved(offers["Basilic"]) == 3
    client.post(f"/groupe/part/{token}/annuler")
    page = page_text(client.get(location))
    assert "Votre part est annulée : vous ne devez rien." in page
    assert reserved(offers["Tomate"]) == 0 and reserved(offers["Basilic"]) == 0
    send_due()
    assert [m["Subject"] for m in mailbox.messages][-1].endswith("est annulée")


def test_after_the_members_deadline_the_link_refuses_and_the_group_closes(
    client, group, week_for_amap, mailbox
):
    _, _, offers = week_for_amap
    location = join(client, group, offers, {"Tomate": 2}).headers["Location"]
    token = location.rsplit("/", 1)[1]
    group.members_deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    page = page_text(client.get(f"/groupe/{group.token}"))
    assert "La commande groupée est close" in page
    page = page_text(join(client, group, offers, {"Tomate": 1}, name="Tard"))
    assert "La commande groupée est close" in page
    response = client.post(f"/groupe/part/{token}", data={f"qty-{offers['Tomate'].id}": "5"})
    assert "les parts ne peuvent plus être ajoutées ni modifiées" in page_text(
        client.get(response.headers["Location"])
    )
    order = db.session.scalar(select(Order))
    assert order.customer_kind == "amap" and order.status == "placed"
    assert [(line.product_name, line.quantity) for line in order.lines] == [("Tomate Marmande", 2)]
    assert reserved(offers["Tomate"]) == 2  # the member's units became the order's
    send_due()
    subjects = [m["Subject"] for m in mailbox.messages]
    assert f"Commande groupée {order.number} : close, voici le récapitulatif" in subjects


def test_closing_adds_up_members_and_the_coordinator_page_shows_the_ledger(
    client, login, coordinator, group, week_for_amap, mailbox
):
    _, slot, offers = week_for_amap
    join(client, group, offers, {"Tomate": 2, "Basilic": 1}, name="Léa")
    join(
        client,
        group,
        offers,
        {"Tomate": 1, "Poireau": 4},
        name="Marc",
        email="",
        phone="0612345678",
    )
    login(coordinator)
    page = page_text(client.get(f"/amap/commandes-groupees/{group.id}"))
    assert "Sac 1 — Léa" in page and "Sac 2 — Marc" in page
    marc = db.session.scalar(select(GroupMember).filter_by(name="Marc"))
    client.post(
        f"/amap/commandes-groupees/{group.id}/parts/{marc.id}/paiement", data={"method": "cheque"}
    )
    page = page_text(client.get(f"/amap/commandes-groupees/{group.id}"))
    # Léa 5,80 € and Marc 2,11 + 4,22 = 6,33 €; Marc paid
    assert (
        "Total des parts : 12,13 € TTC — reçu des membres : 6,33 € — reste à recevoir : 5,80 €."
        in page
    )
    response = client.post(f"/amap/commandes-groupees/{group.id}/cloturer")
    assert "la commande S" in page_text(client.get(response.headers["Location"]))
    order = db.session.scalar(select(Order))
    assert {line.product_name: line.quantity for line in order.lines} == {
        "Basilic Grand vert": 1,
        "Poireau Bleu de Solaise": 4,
        "Tomate Marmande": 3,
    }
    assert order.slot_id == slot.id
    assert fresh(PickupSlot, slot.id).booked == 1  # the place held at opening
    assert all(line.order_line_id for line in db.session.scalars(select(GroupMemberLine)))
    # closing twice does nothing more
    client.post(f"/amap/commandes-groupees/{group.id}/cloturer")
    assert len(db.session.scalars(select(Order)).all()) == 1
    # the coordinator's order page does not let them change lines members own
    page = page_text(client.get(f"/commande/suivi/{order.access_token}"))
    assert "Enregistrer les quantités" not in page


def test_staff_lower_a_product_latest_parts_first_and_everyone_is_told(
    client, staff, group, week_for_amap, mailbox
):
    _, _, offers = week_for_amap
    join(client, group, offers, {"Tomate": 2}, name="Léa", email="lea@exemple.fr")
    join(client, group, offers, {"Tomate": 2}, name="Marc", email="marc@exemple.fr")
    order = groups.close_group(db.session.get(GroupOrder, group.id))
    db.session.commit()
    send_due()
    mailbox.messages.clear()
    (line,) = order.lines
    lower_quantities(order, {line.id: 1}, staff)  # 3 tomatoes fail: Marc (latest) loses 2, Léa 1
    confirm_order(order, staff)
    db.session.commit()
    parts = {m.name: m.lines[0].quantity for m in db.session.scalars(select(GroupMember))}
    assert parts == {"Léa": 1, "Marc": 0}
    send_due()
    by_recipient = {
        m["To"]: m
        for m in mailbox.messages
        if "modifiée" in m["Subject"] or "baissées" in m["Subject"]
    }
    assert set(by_recipient) == {"lea@exemple.fr", "marc@exemple.fr", "coord@amap.fr"}
    marc_mail = by_recipient["marc@exemple.fr"].get_body(("plain",)).get_content()
    assert "Tomate Marmande : 2 → 0" in marc_mail
    coordinator_mail = by_recipient["coord@amap.fr"].get_body(("plain",)).get_content()
    assert "Sac 2, Marc : Tomate Marmande : 2 → 0" in coordinator_mail
    assert "Sac 1, Léa : Tomate Marmande : 2 → 1" in coordinator_mail
    assert reserved(offers["Tomate"]) == 1


def test_an_empty_group_closes_without_an_order_and_frees_its_place(group, week_for_amap, mailbox):
    _, slot, _ = week_for_amap
    assert groups.close_group(group) is None
    db.session.commit()
    assert fresh(GroupOrder, group.id).status == "cancelled"
    assert fresh(PickupSlot, slot.id).booked == 0
    send_due()
    assert "close sans aucune part" in mailbox.messages[-1]["Subject"]


def test_members_are_reminded_once_the_day_before_their_deadline(
    client, group, week_for_amap, mailbox
):
    _, _, offers = week_for_amap
    join(client, group, offers, {"Tomate": 1}, name="Léa")
    join(client, group, offers, {"Basilic": 1}, name="Sans mail", email="", phone="0600000000")
    soon = group.members_deadline - timedelta(hours=20)
    assert groups.remind_members(now=group.members_deadline - timedelta(hours=30)) == 0
    assert groups.remind_members(now=soon) == 1
    assert groups.remind_members(now=soon) == 0
    db.session.commit()
    send_due()
    reminders = [m for m in mailbox.messages if "dernier jour" in m["Subject"]]
    assert [m["To"] for m in reminders] == ["lea@exemple.fr"]


def test_documents_list_each_members_bag(client, login, coordinator, group, week_for_amap):
    _, _, offers = week_for_amap
    join(client, group, offers, {"Tomate": 2, "Basilic": 1}, name="Léa")
    join(client, group, offers, {"Poireau": 3}, name="Marc", email="", phone="0612345678")
    login(coordinator)
    sheet = client.get(f"/amap/commandes-groupees/{group.id}/distribution.pdf")
    assert sheet.mimetype == "application/pdf"
    words = pdf_words(sheet.data)
    assert squash("Sac 1 — Léa") in words and squash("Sac 2 — Marc 0612345678") in words
    assert squash("Tomate Marmande godet 8 cm 2 4,22 €") in words
    assert squash("À payer à l'AMAP 5,80 €") in words
    assert squash("À payer à l'AMAP 3,17 €") in words
    labels = pdf_words(client.get(f"/amap/commandes-groupees/{group.id}/etiquettes.pdf").data)
    assert squash("Sac 2 Marc AMAP des Tilleuls") in labels
    csv_text = client.get(f"/amap/commandes-groupees/{group.id}/parts.csv").get_data(as_text=True)
    assert re.search(r"2;Marc;;0612345678;Poireau Bleu de Solaise;godet 8 cm;3;3,17;", csv_text)


def test_someone_elses_group_is_not_found(client, login, make_user, group):
    login(make_user(kind="amap"))
    assert client.get(f"/amap/commandes-groupees/{group.id}").status_code == 404
    assert client.post(f"/amap/commandes-groupees/{group.id}/cloturer").status_code == 404
    assert client.get("/groupe/not-a-real-token").status_code == 404
    assert fresh(GroupOrder, group.id).status == "open"


def test_the_commands_close_due_groups_and_remind_members(
    client, runner, group, week_for_amap, mailbox
):
    _, _, offers = week_for_amap
    join(client, group, offers, {"Tomate": 1}, name="Léa")
    group.members_deadline = utcnow() + timedelta(hours=3)
    db.session.commit()
    assert "1 reminders queued." in runner.invoke(args=["groups", "remind"]).output
    assert "0 reminders queued." in runner.invoke(args=["groups", "remind"]).output
    assert "0 group orders closed." in runner.invoke(args=["groups", "close-due"]).output
    group.members_deadline = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert "1 group orders closed." in runner.invoke(args=["groups", "close-due"]).output
    assert "0 group orders closed." in runner.invoke(args=["groups", "close-due"]).output
    order = db.session.scalar(select(Order))
    assert order.lines[0].quantity == 1


def test_staff_see_the_bags_on_the_order_and_the_preparation_list(
    client, login, staff, group, week_for_amap
):
    _, _, offers = week_for_amap
    join(client, group, offers, {"Tomate": 2, "Basilic": 1}, name="Léa")
    join(client, group, offers, {"Poireau": 3}, name="Marc", email="", phone="0612345678")
    order = groups.close_group(group)
    db.session.commit()
    login(staff)
    page = page_words(client.get(f"/gestion/commandes/{order.id}"))
    assert "Commande groupée : 2 sacs" in page
    assert "Sac 1, Léa : 2 × Tomate Marmande, 1 × Basilic Grand vert — 5,80 € TTC" in page
    assert "Sac 2, Marc : 3 × Poireau Bleu de Solaise — 3,17 € TTC" in page
    sheet = client.get(f"/gestion/commandes-groupees/{group.id}/distribution.pdf")
    assert squash("Sac 2 — Marc") in pdf_words(sheet.data)
    week = order.week
    preparation = page_words(
        client.get(f"/gestion/semaines/{week.id}/documents/preparation?format=html")
    )
    assert "Commande groupée : 2 sacs" in preparation
    assert "Sac 1, Léa : 2 × Tomate Marmande, 1 × Basilic Grand vert" in preparation


def test_the_coordinator_pages_are_not_for_staff_nor_strangers(client, login, make_user, group):
    login(make_user(kind="individual"))
    assert client.get(f"/gestion/commandes-groupees/{group.id}/distribution.pdf").status_code == 403
    assert client.get(f"/amap/commandes-groupees/{group.id}/parts.csv").status_code == 404


def test_a_group_order_of_a_closed_week_is_refused(
    coordinator, make_product, make_week, make_pickup_slot
):
    week = make_week(
        opens_in=timedelta(days=-5), duration=timedelta(days=2), offers=[make_product()]
    )
    slot = make_pickup_slot(week)
    with pytest.raises(groups.GroupError, match="Les commandes de cette semaine sont fermées."):
        groups.open_group(
            coordinator,
            week=week,
            slot_id=slot.id,
            members_deadline=utcnow() + timedelta(hours=1),
            payment_method="invoice",
        )
    db.session.rollback()
    assert fresh(PickupSlot, slot.id).booked == 0


def test_a_delivery_needs_the_distribution_address(coordinator, week_for_amap):
    week, slot, _ = week_for_amap
    slot.point.is_delivery = True
    db.session.commit()
    values = dict(
        week=week,
        slot_id=slot.id,
        members_deadline=week.closes_at - timedelta(hours=1),
        payment_method="invoice",
    )
    with pytest.raises(groups.GroupError, match="Indiquez l'adresse de votre distribution"):
        groups.open_group(coordinator, **values)
    db.session.rollback()
    group = groups.open_group(coordinator, delivery_address="Salle des fêtes, Monteux", **values)
    db.session.commit()
    assert group.delivery_address == "Salle des fêtes, Monteux"


def test_confirming_the_amaps_order_makes_one_invoice_to_the_amap(
    client, staff, group, week_for_amap
):
    _, _, offers = week_for_amap
    join(client, group, offers, {"Tomate": 2}, name="Léa")
    join(client, group, offers, {"Basilic": 2}, name="Marc")
    order = groups.close_group(group)
    confirm_order(order, staff)
    db.session.commit()
    invoices = db.session.scalars(select(Invoice).where(Invoice.order_id == order.id)).all()
    assert len(invoices) == 1
    assert invoices[0].buyer_organisation == "AMAP des Tilleuls"
    assert invoices[0].gross_cents == 422 + 317  # 2 × 2,00 + 2 × 1,50, plus 5,5 %


def test_members_wait_for_the_week_to_open_to_everyone(
    client, login, coordinator, make_product, make_week, make_pickup_slot
):
    tomato = make_product(name="Tomate", variety="Marmande")
    week = make_week(opens_in=timedelta(days=1), offers=[(tomato, {"quantity_available": 5})])
    slot = make_pickup_slot(week)
    group = groups.open_group(
        coordinator,
        week=week,
        slot_id=slot.id,
        members_deadline=week.closes_at - timedelta(hours=1),
        payment_method="invoice",
    )
    db.session.commit()
    offers = {"Tomate": db.session.scalar(select(Offer))}
    page = page_text(client.get(f"/groupe/{group.token}"))
    assert "Les commandes de la semaine ouvrent le" in page
    page = page_text(join(client, group, offers, {"Tomate": 5}))
    assert "Les commandes de la semaine ouvrent le" in page
    assert db.session.scalar(select(GroupMember)) is None
    assert reserved(offers["Tomate"]) == 0
    login(coordinator)
    page = page_text(client.get(f"/amap/commandes-groupees/{group.id}"))
    assert "Lien à partager avec vos membres" in page
    assert "Vos membres pourront commander dès l'ouverture des commandes de la semaine" in page


def test_the_opening_form_sent_twice_opens_one_group(client, login, coordinator, week_for_amap):
    week, slot, _ = week_for_amap
    login(coordinator)
    data = {
        "form_token": secrets.token_urlsafe(24),
        "slot": slot.id,
        "members_deadline": utc_to_local_naive(week.closes_at - timedelta(hours=3)).strftime(
            "%Y-%m-%dT%H:%M"
        ),
        "payment_method": "invoice",
    }
    first = client.post("/amap/commandes-groupees/nouvelle", data=data)
    second = client.post("/amap/commandes-groupees/nouvelle", data=data)
    assert first.headers["Location"] == second.headers["Location"]
    assert len(db.session.scalars(select(GroupOrder)).all()) == 1
    assert fresh(PickupSlot, slot.id).booked == 1


def test_a_members_link_is_drawn_by_the_shop(client, group, week_for_amap):
    _, _, offers = week_for_amap
    chosen = "a" * 32
    data = {"form_token": chosen, "name": "Léa", "email": "lea@exemple.fr"}
    data[f"qty-{offers['Tomate'].id}"] = "1"
    response = client.post(f"/groupe/{group.token}", data=data)
    member = db.session.scalar(select(GroupMember))
    assert member.token != chosen and response.headers["Location"].endswith(member.token)
    assert client.get(f"/groupe/part/{chosen}").status_code == 404


def test_cancelling_the_amaps_order_cancels_the_group_and_tells_members(
    client, staff, group, week_for_amap, mailbox
):
    _, _, offers = week_for_amap
    location = join(client, group, offers, {"Tomate": 2}, name="Léa").headers["Location"]
    join(client, group, offers, {"Basilic": 1}, name="Sans mail", email="", phone="0600000000")
    order = groups.close_group(group)
    db.session.commit()
    send_due()
    mailbox.messages.clear()
    from boutique.ordering.services import cancel_order

    cancel_order(order, staff, reason="Gel de la serre")
    db.session.commit()
    assert fresh(GroupOrder, group.id).status == "cancelled"
    assert reserved(offers["Tomate"]) == 0
    page = page_text(client.get(location))
    assert "Cette commande groupée a été annulée : vous ne devez rien." in page
    send_due()
    member_mails = [m for m in mailbox.messages if m["To"] == "lea@exemple.fr"]
    assert [m["Subject"] for m in member_mails] == ["Commande groupée AMAP des Tilleuls annulée"]
    assert "Motif : Gel de la serre" in member_mails[0].get_body(("plain",)).get_content()


def test_a_member_is_told_when_the_coordinator_changes_their_part(
    client, login, coordinator, group, week_for_amap, mailbox
):
    _, _, offers = week_for_amap
    join(client, group, offers, {"Tomate": 3}, name="Léa")
    member = db.session.scalar(select(GroupMember))
    login(coordinator)
    client.post(
        f"/amap/commandes-groupees/{group.id}/parts/{member.id}",
        data={f"qty-{offers['Tomate'].id}": "1"},
    )
    assert reserved(offers["Tomate"]) == 1
    send_due()
    assert mailbox.messages[-1]["Subject"] == (
        "Commande groupée AMAP des Tilleuls : votre AMAP a modifié votre part"
    )


def test_the_coordinators_pages_cost_the_same_whatever_the_members(
    client, login, coordinator, group, week_for_amap, count_queries
):
    _, _, offers = week_for_amap
    login(coordinator)

    def cost():
        with count_queries() as queries:
            assert client.get(f"/amap/commandes-groupees/{group.id}").status_code == 200
            assert client.get(f"/amap/commandes-groupees/{group.id}/parts.csv").status_code == 200
        return len(queries)

    join(client, group, offers, {"Tomate": 1, "Basilic": 1}, name="Membre 1")
    few = cost()
    for n in range(2, 12):
        join(client, group, offers, {"Basilic": 1, "Poireau": 1}, name=f"Membre {n}")
    assert cost() == few


def test_a_group_closes_on_pick_up_payment_when_invoices_are_no_longer_allowed(
    app, client, group, week_for_amap
):
    _, _, offers = week_for_amap
    join(client, group, offers, {"Tomate": 1})
    app.config["INVOICE_PAYMENT"] = False
    order = groups.close_group(group)
    db.session.commit()
    assert order.payment_method == "on_pickup"
    assert [e.action for e in order.events] == ["group_closed", "payment_method_changed"]
