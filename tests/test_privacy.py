"""Personal data (RGPD): « Mes données » (export, deletion), staff handling a request, the purge."""

import io
import json
import zipfile
from datetime import date, time, timedelta

import pytest
from sqlalchemy import select

from boutique.extensions import db
from boutique.models import (
    AccountEvent,
    GroupMember,
    GroupOrder,
    Invoice,
    Offer,
    Order,
    OutboxMessage,
    PickupPoint,
    PickupSlot,
    StandingOrder,
    User,
    utcnow,
)
from boutique.ordering.services import Contact, confirm_order, place_order
from boutique.outbox import send_due
from tests.conftest import TEST_PASSWORD, page_text, pdf_words

MY_DATA = "/compte/mes-donnees"


@pytest.fixture
def shop(make_product, make_week, make_user):
    tomato = make_product(name="Tomate", variety="Cerise", price_restaurant_cents=190)
    week = make_week(offers=[(tomato, {"quantity_available": None})])
    gate = PickupPoint(name="Portail", address="Chemin des Jardins")
    slot = PickupSlot(
        week=week,
        point=gate,
        day=date(2026, 12, 4),
        starts_at=time(16),
        ends_at=time(18),
        capacity=50,
        booked=0,
    )
    db.session.add_all([gate, slot])
    db.session.commit()
    offer = db.session.scalar(select(Offer))
    restaurant = make_user(
        kind="restaurant",
        organisation="Le Jardin Gourmand",
        email="chef@jardin.fr",
        phone="06 12 34 56 78",
    )
    return {"week": week, "offer": offer, "slot": slot, "gate": gate, "restaurant": restaurant}


def order_for(shop, customer, method="invoice", note="Sonnez deux fois", checkout="t1", **contact):
    order = place_order(
        week=shop["week"],
        items={shop["offer"].id: 6},
        slot_id=shop["slot"].id,
        payment_method=method,
        contact=Contact(
            contact.get(
                "name", f"{customer.organisation} (Camille Martin)" if customer else "Léa Durand"
            ),
            contact.get("email", customer.email if customer else "lea@exemple.fr"),
            contact.get("phone", "06 12 34 56 78"),
        ),
        kind=customer.price_kind if customer else "individual",
        customer=customer,
        checkout_token=checkout,
    )
    order.note = note
    db.session.commit()
    return order


def invoiced_and_collected(shop, staff, customer):
    order = order_for(shop, customer)
    confirm_order(order, staff)
    order.status = "collected"
    db.session.commit()
    return order


def fresh(model, row_id):
    db.session.expire_all()
    return db.session.get(model, row_id)


def events(user_id):
    db.session.expire_all()
    return db.session.scalars(
        select(AccountEvent).where(AccountEvent.user_id == user_id).order_by(AccountEvent.id)
    ).all()


def unzip(response):
    assert response.status_code == 200, page_text(response)
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    return zipfile.ZipFile(io.BytesIO(response.data))


# --- Export --------------------------------------------------------------------------------------


def test_my_data_zip_holds_my_account_orders_invoice_pdf_and_history(client, login, shop, staff):
    customer = shop["restaurant"]
    order = invoiced_and_collected(shop, staff, customer)
    invoice = db.session.scalar(select(Invoice).where(Invoice.order_id == order.id))
    db.session.add(
        StandingOrder(
            customer=customer,
            point=shop["gate"],
            payment_method="invoice",
            start_monday=date(2026, 11, 30),
        )
    )
    db.session.commit()
    login(customer)

    page = page_text(client.get(MY_DATA))
    assert "Télécharger mes données (ZIP)" in page and "Supprimer définitivement mon compte" in page
    archive = unzip(client.post(f"{MY_DATA}/export"))

    assert sorted(archive.namelist()) == sorted(
        [
            "LISEZMOI.txt",
            "compte.json",
            "commandes.json",
            "commandes.csv",
            f"factures/{invoice.number}.pdf",
            "historique.json",
            "abonnements.json",
            "commandes-groupees.json",
            "alertes.json",
        ]
    )
    account = json.loads(archive.read("compte.json"))
    assert account["email"] == "chef@jardin.fr"
    assert account["phone"] == "06 12 34 56 78"
    assert account["organisation"] == "Le Jardin Gourmand"
    assert "password_hash" not in account and "session_version" not in account
    [exported] = json.loads(archive.read("commandes.json"))
    assert exported["number"] == order.number and exported["note"] == "Sonnez deux fois"
    assert exported["lines"][0]["product"].startswith("Tomate")
    assert exported["lines"][0]["quantity"] == 6
    assert exported["pickup"]["point"] == "Portail"
    assert exported["documents"] == [f"factures/{invoice.number}.pdf"]
    csv_lines = archive.read("commandes.csv").decode("utf-8-sig").splitlines()
    assert csv_lines[0].startswith("commande;semaine;")
    assert csv_lines[1].startswith(f"{order.number};")
    assert invoice.number in pdf_words(archive.read(f"factures/{invoice.number}.pdf"))
    [standing] = json.loads(archive.read("abonnements.json"))
    assert standing["point"] == "Portail"
    assert [e.action for e in events(customer.id)] == ["privacy_export"]
    assert events(customer.id)[0].actor_label == "client"
    assert events(customer.id)[0].details == {"channel": "web"}


def test_the_export_asks_again_for_the_password_after_a_while(client, login, make_user):
    login(make_user())
    with client.session_transaction() as session:
        session["login_at"] = 0
    response = client.post(f"{MY_DATA}/export")
    assert response.status_code == 302 and "/compte/confirmer" in response.location


# --- Deletion ------------------------------------------------------------------------------------


def test_deleting_my_account_erases_me_keeps_invoices_ends_sessions_and_mails_me(
    app, client, login, shop, staff, mailbox
):
    customer = shop["restaurant"]
    order = invoiced_and_collected(shop, staff, customer)
    invoice = db.session.scalar(select(Invoice).where(Invoice.order_id == order.id))
    invoice_before = (
        invoice.number,
        invoice.buyer_name,
        invoice.buyer_organisation,
        invoice.buyer_siren,
    )
    standing = StandingOrder(
        customer=customer,
        point=shop["gate"],
        payment_method="invoice",
        start_monday=date(2026, 11, 30),
    )
    db.session.add(standing)
    db.session.commit()
    other_device = app.test_client()
    other_device.post(
        "/compte/connexion", data={"email": customer.email, "password": TEST_PASSWORD}
    )
    assert other_device.get("/compte/profil").status_code == 200
    login(customer)
    send_due()
    mailbox.messages.clear()

    response = client.post(
        f"{MY_DATA}/suppression", data={"password": TEST_PASSWORD}, follow_redirects=True
    )
    assert "Votre compte est supprimé" in page_text(response)

    user = fresh(User, customer.id)
    assert user.email == f"deleted-{user.id}@invalid"
    assert (user.first_name, user.last_name, user.phone, user.address, user.city) == (
        "",
        "",
        "",
        "",
        "",
    )
    assert user.active is False and user.deleted_at is not None
    assert not user.check_password(TEST_PASSWORD)
    kept = fresh(Order, order.id)
    assert kept.anonymised_at is not None and kept.lines
    assert (kept.email, kept.phone, kept.note, kept.billing_name) == ("", "", "", "")
    assert kept.contact_name == "Le Jardin Gourmand"  # a business's name, for the register
    invoice = fresh(Invoice, invoice.id)
    assert (
        invoice.number,
        invoice.buyer_name,
        invoice.buyer_organisation,
        invoice.buyer_siren,
    ) == invoice_before
    assert fresh(StandingOrder, standing.id).ended_at is not None
    [event] = events(customer.id)
    assert (event.action, event.actor_label, event.details) == (
        "account_deleted",
        "client",
        {"channel": "web"},
    )

    # Every session is over, on this device and the other; the password opens nothing.
    assert client.get("/compte/profil").status_code == 302
    assert other_device.get("/compte/profil").status_code == 302
    response = client.post(
        "/compte/connexion", data={"email": "chef@jardin.fr", "password": TEST_PASSWORD}
    )
    assert "Adresse e-mail ou mot de passe incorrect" in page_text(response)

    send_due()
    [mail] = mailbox.messages
    assert mail["To"] == "chef@jardin.fr"
    assert "supprimé" in mail["Subject"]
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "factures déjà émises sont conservées dix ans" in body
    assert db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.recipient == "chef@jardin.fr")
    ).sent_at


def test_deletion_is_refused_while_an_order_is_open_and_lists_it(client, login, shop):
    customer = shop["restaurant"]
    order = order_for(shop, customer)
    login(customer)
    page = page_text(client.get(MY_DATA))
    assert order.number in page and "ne peut pas être supprimé" in page
    assert "Supprimer définitivement mon compte" not in page

    response = client.post(f"{MY_DATA}/suppression", data={"password": TEST_PASSWORD})
    assert response.status_code == 409
    assert "commandes en cours" in page_text(response) and order.number in page_text(response)
    user = fresh(User, customer.id)
    assert user.email == "chef@jardin.fr" and user.active and user.deleted_at is None
    assert fresh(Order, order.id).anonymised_at is None
    assert events(customer.id) == []


def test_a_wrong_password_deletes_nothing(client, login, make_user):
    customer = make_user(email="lea@exemple.fr")
    login(customer)
    response = client.post(f"{MY_DATA}/suppression", data={"password": "pas le bon"})
    assert response.status_code == 422
    assert "Mot de passe incorrect : votre compte n'est pas supprimé." in page_text(response)
    response = client.post(f"{MY_DATA}/suppression", data={"password": ""})
    assert "Tapez votre mot de passe" in page_text(response)
    assert fresh(User, customer.id).email == "lea@exemple.fr"
    assert client.get("/compte/profil").status_code == 200


# --- Staff ---------------------------------------------------------------------------------------


def test_the_customer_page_is_for_staff_and_exports_are_for_admins(
    client, login, make_user, staff, admin
):
    customer = make_user(email="lea@exemple.fr", first_name="Léa", last_name="Durand")
    url = f"/gestion/clients/{customer.id}"
    login(make_user())
    assert client.get(url).status_code == 403
    assert client.post(f"{url}/export").status_code == 403
    client.post("/compte/deconnexion")

    login(staff)
    page = page_text(client.get(url))
    assert "Léa Durand" in page and "lea@exemple.fr" in page
    assert "Exporter ses données" not in page and "Un administrateur exporte" in page
    assert "Léa Durand" in page_text(client.get("/gestion/clients", query_string={"q": "durand"}))
    assert client.post(f"{url}/export").status_code == 403
    assert client.post(f"{url}/suppression", data={"channel": "phone"}).status_code == 403
    client.post("/compte/deconnexion")

    login(admin)
    assert "Exporter ses données" in page_text(client.get(url))
    archive = unzip(client.post(f"{url}/export"))
    assert json.loads(archive.read("compte.json"))["email"] == "lea@exemple.fr"
    [event] = events(customer.id)
    assert (event.action, event.actor_id, event.actor_label) == (
        "privacy_export",
        admin.id,
        "équipe direction@lapepiniere.example",
    )
    with client.session_transaction() as session:
        session["login_at"] = 0
    response = client.post(f"{url}/export")
    assert response.status_code == 302 and "/compte/confirmer" in response.location


def test_an_admin_deletes_an_account_on_request_by_phone(admin_client, admin, make_user, mailbox):
    customer = make_user(email="lea@exemple.fr", phone="06 00 00 00 00")
    url = f"/gestion/clients/{customer.id}"
    response = admin_client.post(f"{url}/suppression", data={"channel": "pigeon"})
    assert response.status_code == 422
    assert "Indiquez comment la demande a été faite." in page_text(response)
    assert fresh(User, customer.id).deleted_at is None

    response = admin_client.post(
        f"{url}/suppression",
        data={"channel": "phone", "note": "appel du 30/11"},
        follow_redirects=True,
    )
    page = page_text(response)
    assert "Compte supprimé" in page and "lea@exemple.fr" not in page
    assert "demande par téléphone" in page and "équipe direction@lapepiniere.example" in page
    assert fresh(User, customer.id).email == f"deleted-{customer.id}@invalid"
    [event] = events(customer.id)
    assert event.actor_id == admin.id
    assert event.details == {"channel": "phone", "note": "appel du 30/11"}
    send_due()
    [mail] = [m for m in mailbox.messages if m["To"] == "lea@exemple.fr"]
    assert (
        "Comme vous nous l'avez demandé" in mail.get_body(preferencelist=("plain",)).get_content()
    )


def test_staff_accounts_hold_a_login_a_name_and_a_role_only(app):
    from boutique.staff.account_forms import NewAccountForm

    with app.test_request_context():
        fields = {name for name in NewAccountForm()._fields if name != "csrf_token"}
    assert fields == {"email", "first_name", "last_name", "role"}


# --- Purge ---------------------------------------------------------------------------------------


def purge(runner, *args):
    result = runner.invoke(args=["privacy", "purge", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_purge_erases_old_contact_data_and_mails_and_is_idempotent(
    app, runner, shop, make_user, staff
):
    app.config["PRIVACY_ORDER_DAYS"] = 365  # the default keeps three years (passport register)
    old_day = date.today() - timedelta(days=400)
    old_slot = PickupSlot(
        week=shop["week"],
        point=shop["gate"],
        day=old_day,
        starts_at=time(16),
        ends_at=time(18),
        capacity=50,
        booked=0,
    )
    db.session.add(old_slot)
    db.session.commit()
    old_guest = order_for(shop, None, method="on_pickup", checkout="g1")
    recent_guest = order_for(shop, None, method="on_pickup", checkout="g2")
    old_customer = order_for(shop, shop["restaurant"], checkout="r1")
    for order in (old_guest, old_customer):
        order.slot_id = old_slot.id
    long_ago = utcnow() - timedelta(days=400)
    db.session.add_all(
        [
            OutboxMessage(
                recipient="a@exemple.fr",
                subject="old",
                body_text="",
                body_html="",
                created_at=long_ago,
                sent_at=long_ago,
            ),
            OutboxMessage(
                recipient="b@exemple.fr",
                subject="new",
                body_text="",
                body_html="",
                sent_at=utcnow(),
            ),
            OutboxMessage(
                recipient="c@exemple.fr",
                subject="failed",
                body_text="",
                body_html="",
                created_at=long_ago,
                failed_at=long_ago,
                dismissed_at=long_ago,
            ),
            OutboxMessage(
                recipient="d@exemple.fr",
                subject="failed",
                body_text="",
                body_html="",
                created_at=long_ago,
                failed_at=long_ago,
            ),
        ]
    )
    group = GroupOrder(
        week=shop["week"],
        coordinator=make_user(kind="amap"),
        slot=shop["slot"],
        members_deadline=long_ago,
        payment_method="invoice",
        status="closed",
        token="grp",
        closed_at=long_ago,
        created_at=long_ago,
    )
    group.members.append(GroupMember(number=1, name="Paul", email="paul@exemple.fr", token="m1"))
    db.session.add(group)
    db.session.commit()

    output = purge(runner, "--dry-run")
    assert "Dry run: nothing changed" in output
    for line in (
        "1 guest orders",
        "1 orders: note",
        "1 sent mails",
        "1 undelivered",
        "1 group order members",
    ):
        assert line in output, output
    assert fresh(Order, old_guest.id).email == "lea@exemple.fr"

    old_link, recent_link = old_guest.access_token, recent_guest.access_token
    output = purge(runner)
    for line in (
        "1 guest orders",
        "1 orders: note",
        "1 sent mails",
        "1 undelivered",
        "1 group order members",
    ):
        assert line in output, output
    guest = fresh(Order, old_guest.id)
    assert (guest.contact_name, guest.email, guest.phone, guest.note) == ("", "", "", "")
    assert guest.anonymised_at is not None and guest.lines
    kept = fresh(Order, old_customer.id)
    assert kept.note == "" and kept.email == "chef@jardin.fr" and kept.anonymised_at is None
    assert fresh(Order, recent_guest.id).email == "lea@exemple.fr"
    assert fresh(Order, recent_guest.id).note == "Sonnez deux fois"
    left = db.session.scalars(
        select(OutboxMessage.recipient).where(OutboxMessage.subject != "")
    ).all()
    assert {"b@exemple.fr", "d@exemple.fr"} <= set(left)
    assert not {"a@exemple.fr", "c@exemple.fr"} & set(left)
    member = db.session.scalar(select(GroupMember))
    assert (member.name, member.email) == ("", "")
    # Their secret links expired with their contact data; a recent order's still works.
    assert guest.access_token != old_link and member.token != "m1"
    assert fresh(Order, recent_guest.id).access_token == recent_link

    output = purge(runner)
    counts = [line.split()[0] for line in output.splitlines()[1:]]
    assert counts == ["0"] * 7, output


def test_an_order_page_leads_staff_to_its_customer(staff_client, shop):
    order = order_for(shop, shop["restaurant"])
    html = staff_client.get(f"/gestion/commandes/{order.id}").get_data(as_text=True)
    assert "Fiche client" in html
    assert f'href="/gestion/clients/{shop["restaurant"].id}"' in html
