"""A checkout strangers cannot abuse (issue 10, part 4).

Limits on placing orders per connection and per email, a cap on orders nobody has paid for
yet (pay on pick-up) unless the account's email is verified, also when the order is changed
from its page, a limit on unpaid card orders held at once, order-page changes limited and
their mails spaced out, the address hash kept on each storefront order, and staff cancelling
a burst of orders at once.
"""

import re
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from boutique.extensions import db
from boutique.models import (
    CardPayment,
    Offer,
    Order,
    OrderEvent,
    OutboxMessage,
    PickupSlot,
    utcnow,
)
from boutique.ordering.services import (
    Contact,
    OrderError,
    OrderFilters,
    PaymentRefused,
    cancel_orders,
    change_quantities,
    may_refund_card,
    place_order,
    staff_orders,
)
from boutique.ratelimit import address_hash
from tests import test_ordering
from tests.conftest import TEST_PASSWORD, page_text
from tests.test_ordering import (
    CONTACT,
    add,
    checkout,
    count,
    follow,
    fresh,
    order_form,
    place,
    state,
    submit,
)

# The ordering tests' shop (tomatoes, unlimited basil at 3,00 €, geraniums) and its slot.
make_slot, shop = test_ordering.make_slot, test_ordering.shop

# The shop fixture's basil costs 3,00 € and is unlimited: 50 make the default cap of 150 €.
AT_THE_CAP, ABOVE_THE_CAP = 50, 51


@pytest.fixture
def roomy(shop):
    """The shop with a slot big enough for a flood of orders."""
    slot = fresh(shop.slot)
    slot.capacity = 200
    db.session.commit()
    return shop


def limited_app(make_app, **limits):
    """An app with rate limits on and a fresh memory storage (the limiter is shared)."""
    config = {"ORDER_RATE_LIMIT": "1000 per hour", "ORDER_EMAIL_RATE_LIMIT": "1000 per hour"}
    config.update(limits)
    return make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://", **config)


GUEST_IP = "198.51.100.7"


def commander(client, form, ip=GUEST_IP):
    """Press "Commander" from this address: the checkout page's form, posted."""
    return client.post("/commande", data=form, environ_base={"REMOTE_ADDR": ip})


def order_from(client, shop, ip=GUEST_IP, email=None, quantity=1, method="on_pickup"):
    """Basket, checkout page and "Commander" from one address; the answer to "Commander"."""
    assert add(client, shop.basil, quantity).status_code == 302
    form = order_form(client, shop.slot, email=email or CONTACT["email"], payment_method=method)
    return commander(client, form, ip)


def placed(response):
    return response.status_code == 302 and (
        "/commande/suivi/" in response.location or "/paiement/" in response.location
    )


def visible_text(response):
    """The page's text without its tags, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", page_text(response)).split())


def basil_reserved(shop):
    db.session.expire_all()
    return db.session.get(Offer, shop.basil.id).quantity_reserved


# --- Rate limits ----------------------------------------------------------------------------------


def test_the_51st_guest_order_from_one_connection_gets_the_429_page(make_app, roomy):
    limited = limited_app(make_app, ORDER_RATE_LIMIT="50 per hour")
    client = limited.test_client()
    for number in range(50):
        response = order_from(client, roomy, email=f"client{number}@exemple.fr")
        assert placed(response), (number, response.status_code, response.location)
    before = state()

    response = order_from(client, roomy, email="client50@exemple.fr")

    assert response.status_code == 429
    page = page_text(response)
    assert "Trop de commandes depuis cette connexion" in page
    assert "votre commande n'a pas été enregistrée et rien n'a été réservé" in page
    assert re.search(r"Réessayez dans \d+ minutes", page)
    assert "appelez-nous" in page
    assert response.headers["Retry-After"]
    assert state() == before
    assert count(Order) == 50 and basil_reserved(roomy) == 50


def set_booked(slot, booked):
    slot = fresh(slot)
    slot.booked = booked
    db.session.commit()


def test_refused_baskets_do_not_burn_the_quota(make_app, roomy):
    limited = limited_app(make_app, ORDER_RATE_LIMIT="2 per hour")
    client = limited.test_client()
    add(client, roomy.basil, 1)
    form = order_form(client, roomy.slot)
    set_booked(roomy.slot, 200)  # the slot fills up between the page and "Commander"
    for _ in range(3):
        response = commander(client, form)
        assert response.status_code == 200
        assert "Ce créneau est complet : choisissez-en un autre." in page_text(response)
    set_booked(roomy.slot, 0)

    assert placed(commander(client, form))
    assert placed(order_from(client, roomy))
    assert order_from(client, roomy).status_code == 429
    assert count(Order) == 2


def test_one_email_is_limited_across_connections(make_app, roomy):
    limited = limited_app(make_app, ORDER_EMAIL_RATE_LIMIT="2 per hour")
    addresses = ("203.0.113.1", "198.51.100.2", "192.0.2.3")
    # The same mailbox, however it is written.
    emails = ("cible@exemple.fr", "Cible@Exemple.FR", "cible+3@exemple.fr")
    responses = [
        order_from(limited.test_client(), roomy, ip=ip, email=email)
        for ip, email in zip(addresses, emails, strict=True)
    ]

    assert [placed(r) for r in responses] == [True, True, False]
    assert responses[2].status_code == 429
    page = page_text(responses[2])
    assert "Trop de commandes pour cette adresse e-mail" in page
    assert "rien n'a été réservé" in page
    assert count(Order) == 2 and basil_reserved(roomy) == 2
    # Another address from the last connection is not held back.
    assert placed(order_from(limited.test_client(), roomy, ip=addresses[2], email="autre@exemple.fr"))


def test_ipv6_addresses_of_one_network_share_a_limit(make_app, roomy):
    limited = limited_app(make_app, ORDER_RATE_LIMIT="2 per hour")
    client = limited.test_client()
    same_network = ("2001:db8:1:2::1", "2001:db8:1:2:abcd::7", "2001:db8:1:2:ffff:ffff:ffff:fffe")

    assert placed(order_from(client, roomy, ip=same_network[0], email="a@exemple.fr"))
    assert placed(order_from(client, roomy, ip=same_network[1], email="b@exemple.fr"))
    refused = order_from(client, roomy, ip=same_network[2], email="c@exemple.fr")

    assert refused.status_code == 429
    assert "Trop de commandes depuis cette connexion" in page_text(refused)
    assert placed(order_from(client, roomy, ip="2001:db8:1:3::1", email="d@exemple.fr"))
    assert count(Order) == 3


def test_staff_phone_orders_are_not_limited(make_app, roomy, staff):
    limited = limited_app(make_app, ORDER_RATE_LIMIT="1 per hour", ORDER_EMAIL_RATE_LIMIT="1 per hour")
    guest = limited.test_client()
    assert placed(order_from(guest, roomy, ip="127.0.0.1"))
    assert order_from(guest, roomy, ip="127.0.0.1").status_code == 429

    desk = limited.test_client()  # the same address, the same customer's email
    response = desk.post("/compte/connexion", data={"email": staff.email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    for number in range(3):
        response = desk.post(
            "/gestion/commandes/nouvelle",
            data={
                "name": "Camille Martin",
                "email": CONTACT["email"],
                "payment_method": "on_pickup",
                "slot": str(roomy.slot.id),
                f"qty-{roomy.basil.id}": "60",  # above the cap too: staff know their customer
                "checkout_token": f"phone-order-{number:04d}-abcdefghij",
            },
        )
        assert response.status_code == 302, page_text(response)[-2000:]
    assert count(Order) == 4


# --- The cap on unpaid orders ---------------------------------------------------------------------


def test_over_the_cap_unpaid_guest_order_is_refused_in_the_form(client, shop):
    before = state()
    add(client, shop.basil, ABOVE_THE_CAP)
    page = page_text(client.get("/commande"))
    assert "Votre commande dépasse 150,00 € : payez-la par carte bancaire." in page

    response = submit(client, order_form(client, shop.slot, payment_method="on_pickup"))

    assert response.status_code == 200
    page = page_text(response)
    assert (
        "Sans compte, le paiement au retrait est possible jusqu'à 150,00 € et cette commande "
        "fait 153,00 €. Payez par carte bancaire, ou connectez-vous" in page
    )
    with client.session_transaction() as session:
        assert "checkout" not in session
    assert state() == before


def test_over_the_cap_unpaid_guest_order_is_refused_by_the_server(client, shop):
    """The page was shown for a small basket; the basket grew (another tab) before
    "Commander": the post is checked against the basket as it is."""
    form = checkout(client, shop.slot, [(shop.basil, 2)])
    add(client, shop.basil, ABOVE_THE_CAP - 2)
    before = state()

    response = submit(client, form)

    assert response.status_code == 200
    page = page_text(response)
    assert "le paiement au retrait est possible jusqu'à 150,00 € et cette commande fait 153,00 €" in page
    assert state() == before
    assert basil_reserved(shop) == 0 and fresh(shop.slot).booked == 0


def test_the_service_refuses_an_over_the_cap_unpaid_order_and_keeps_nothing(shop, make_user):
    unverified = make_user(email_verified_at=None)
    before = state()
    for customer in (None, unverified):
        with pytest.raises(PaymentRefused, match=r"150,00\s€"):
            place_order(
                week=shop.week,
                items={shop.basil.id: ABOVE_THE_CAP},
                slot_id=shop.slot.id,
                payment_method="on_pickup",
                contact=Contact(**CONTACT),
                kind="individual",
                customer=customer,
                checkout_token=secrets.token_urlsafe(24),
            )
        db.session.rollback()
    assert state() == before


def test_the_cap_itself_may_be_paid_on_pickup(app, client, shop):
    over = app.test_client()
    add(over, shop.basil, ABOVE_THE_CAP)
    assert submit(over, order_form(over, shop.slot)).status_code == 200  # refused: 153,00 €

    form = checkout(client, shop.slot, [(shop.basil, AT_THE_CAP)])  # 150,00 €

    assert placed(submit(client, form))
    assert db.session.scalar(select(Order.payment_method)) == "on_pickup"


def test_a_verified_account_orders_above_the_cap_on_pickup(client, shop, make_user, login):
    customer = make_user(email_verified_at=None)
    login(customer)
    add(client, shop.basil, 60)
    form = order_form(client, shop.slot)
    assert submit(client, form).status_code == 200  # refused until verified
    customer = fresh(customer)
    customer.email_verified_at = utcnow()  # the owner followed the link
    db.session.commit()

    assert "vérifiez d'abord" not in page_text(client.get("/commande"))
    assert placed(submit(client, form))  # the same page, "Commander" again
    order = db.session.scalar(select(Order))
    assert order.payment_method == "on_pickup" and order.status == "placed"
    assert order.customer_id == customer.id and basil_reserved(shop) == 60


def test_an_unverified_account_is_told_to_verify_its_email(client, shop, make_user, login):
    login(make_user(email_verified_at=None))
    add(client, shop.basil, ABOVE_THE_CAP)
    page = page_text(client.get("/commande"))
    assert "vérifiez d'abord votre adresse e-mail" in page
    assert 'href="/compte/profil"' in client.get("/commande").get_data(as_text=True)

    response = submit(client, order_form(client, shop.slot, payment_method="on_pickup"))

    assert response.status_code == 200
    assert "Tant que votre adresse e-mail n'est pas vérifiée" in page_text(response)
    assert count(Order) == 0


def test_a_card_order_above_the_cap_goes_through(client, shop):
    add(client, shop.basil, 60)
    form = order_form(client, shop.slot, payment_method="on_pickup")
    assert submit(client, form).status_code == 200  # refused above the cap

    response = submit(client, {**form, "payment_method": "card"})  # the same page, by card

    assert response.status_code == 302 and "/paiement/demo/" in response.location
    order = db.session.scalar(select(Order))
    assert order.payment_method == "card" and order.status == "pending_payment"
    assert basil_reserved(shop) == 60


def test_invoice_needs_a_verified_email(client, shop, make_user, login):
    restaurant = make_user(kind="restaurant", email_verified_at=None)
    login(restaurant)
    add(client, shop.tomato, 2)
    before = state()

    response = submit(client, order_form(client, shop.slot, payment_method="invoice"))

    assert response.status_code == 200
    assert "Le paiement sur facture demande une adresse e-mail vérifiée" in page_text(response)
    with pytest.raises(PaymentRefused, match="adresse e-mail vérifiée"):
        place_order(
            week=shop.week,
            items={shop.tomato.id: 2},
            slot_id=shop.slot.id,
            payment_method="invoice",
            contact=Contact(**CONTACT),
            kind="restaurant",
            customer=restaurant,
            checkout_token=secrets.token_urlsafe(24),
        )
    db.session.rollback()
    assert state() == before


# --- The cap on the order page: a small unpaid order cannot be raised ---------------------------


def change(client, order, quantity, ip=GUEST_IP):
    """The order page's "Enregistrer les quantités" for an order of one line."""
    (line,) = fresh(order).lines
    return client.post(
        f"/commande/suivi/{order.access_token}/modifier",
        data={f"qty-{line.id}": str(quantity)},
        environ_base={"REMOTE_ADDR": ip},
    )


def test_a_guest_cannot_raise_an_unpaid_order_above_the_cap_from_its_page(client, shop):
    order = place(shop.week, [(shop.basil, 1)], shop.slot)  # 3,00 € paid on pick-up
    before = state()

    response = change(client, order, 10_000)

    page = follow(client, response)
    assert (
        "Votre commande n'est pas modifiée : sans compte, une commande payée au retrait peut "
        "aller jusqu'à 150,00 € et ces quantités la porteraient à 30 000,00 €." in page
    )
    assert state() == before
    assert [line.quantity for line in fresh(order).lines] == [1]
    assert basil_reserved(shop) == 1

    # Up to the cap is fine, and lowering always is.
    assert "Votre commande est modifiée." in follow(client, change(client, order, AT_THE_CAP))
    assert "n'est pas modifiée" in follow(client, change(client, order, ABOVE_THE_CAP))
    assert basil_reserved(shop) == AT_THE_CAP
    follow(client, change(client, order, 2))
    assert basil_reserved(shop) == 2


def test_an_unverified_account_cannot_raise_its_unpaid_order_until_verified(shop, make_user):
    customer = make_user(email_verified_at=None)
    order = place(shop.week, [(shop.basil, 1)], shop.slot, customer=customer)
    (line,) = order.lines
    before = state()

    with pytest.raises(PaymentRefused, match="tant que votre adresse e-mail n'est pas vérifiée"):
        change_quantities(fresh(order), {line.id: ABOVE_THE_CAP}, actor=customer)
    db.session.rollback()
    assert state() == before

    customer = fresh(customer)
    customer.email_verified_at = utcnow()
    db.session.commit()
    assert change_quantities(fresh(order), {line.id: ABOVE_THE_CAP}, actor=customer)
    db.session.commit()
    assert basil_reserved(shop) == ABOVE_THE_CAP


def test_a_phone_order_above_the_cap_may_still_be_lowered_from_its_page(client, shop, staff):
    order = place(shop.week, [(shop.basil, 60)], shop.slot, entered_by=staff)  # 180,00 €

    assert "Votre commande est modifiée." in follow(client, change(client, order, 55))
    assert "n'est pas modifiée" in follow(client, change(client, order, 56))
    assert basil_reserved(shop) == 55


# --- Unpaid card orders: one per email, a few per connection ---------------------------------------


def card_order_from(client, shop, email, ip=GUEST_IP, quantity=1):
    return order_from(client, shop, ip=ip, email=email, quantity=quantity, method="card")


def order_by_email(email):
    db.session.expire_all()
    return db.session.scalars(select(Order).where(Order.email == email).order_by(Order.id)).all()


def test_a_new_card_order_releases_the_unpaid_one_of_the_same_mailbox(app, shop, staff_client):
    first = card_order_from(app.test_client(), shop, "cible@exemple.fr", quantity=4)
    assert placed(first) and basil_reserved(shop) == 4 and fresh(shop.slot).booked == 1
    db.session.execute(delete(OutboxMessage))
    db.session.commit()

    # The same mailbox, written otherwise, from the same connection.
    second = card_order_from(app.test_client(), shop, "Cible+2@Exemple.fr")

    assert placed(second)
    [earlier] = order_by_email("cible@exemple.fr")
    [newer] = order_by_email("cible+2@exemple.fr")
    assert earlier.status == "expired" and newer.status == "pending_payment"
    assert basil_reserved(shop) == 1 and fresh(shop.slot).booked == 1
    assert earlier.events[-1].action == "expired"
    assert earlier.events[-1].details == {"cause": "replaced_by_new_order"}
    assert newer.events[0].details["replaces"] == [earlier.number]
    assert count(OutboxMessage) == 0  # no mail: its owner is the one ordering again
    page = page_text(app.test_client().get(f"/commande/suivi/{earlier.access_token}"))
    assert "une nouvelle commande par carte a été passée avec la même adresse e-mail" in page
    history = page_text(staff_client.get(f"/gestion/commandes/{earlier.id}"))
    assert "commande libérée sans être payée" in history
    history = page_text(staff_client.get(f"/gestion/commandes/{newer.id}"))
    assert f"Remplace la commande non payée {earlier.number}" in history


def test_someone_else_typing_the_address_releases_nothing(app, shop):
    first = card_order_from(app.test_client(), shop, "cible@exemple.fr", quantity=4)
    assert placed(first) and basil_reserved(shop) == 4
    # From another connection, the victim's address: the victim's payment is left alone.
    second = card_order_from(app.test_client(), shop, "cible@exemple.fr", ip="192.0.2.50")
    assert placed(second)
    statuses = [order.status for order in order_by_email("cible@exemple.fr")]
    assert statuses == ["pending_payment", "pending_payment"]
    assert basil_reserved(shop) == 5


def test_the_demo_page_of_a_replaced_order_takes_no_payment(app, shop):
    guest = app.test_client()
    first = card_order_from(guest, shop, "cible@exemple.fr")
    assert placed(card_order_from(app.test_client(), shop, "cible@exemple.fr"))

    guest.post(first.location, data={"action": "pay"})

    [earlier, newer] = order_by_email("cible@exemple.fr")
    assert earlier.status == "expired" and earlier.card.status == "open"
    assert newer.status == "pending_payment"


def test_one_connection_holds_at_most_three_unpaid_card_orders(app, roomy, make_user):
    # Four visitors behind one connection (each its own basket: a card order's basket stays
    # until the order is paid).
    for number in range(3):
        order = card_order_from(app.test_client(), roomy, f"client{number}@exemple.fr", quantity=5)
        assert placed(order)
    assert basil_reserved(roomy) == 15
    before = state()

    flood = app.test_client()
    refused = card_order_from(flood, roomy, "client3@exemple.fr", quantity=5)

    assert refused.status_code == 302 and refused.location.endswith("/commande")
    page = page_text(flood.get(refused.location))
    assert (
        "3 commandes par carte passées depuis cette connexion internet attendent déjà leur "
        "paiement : c'est le maximum à la fois." in page
    )
    assert "payer au retrait (jusqu'à 150,00 €)" in page
    assert state() == before
    # The basket is kept: paying on pick-up goes through, and so do other connections.
    assert placed(commander(flood, order_form(flood, roomy.slot, email="client3@exemple.fr")))
    assert basil_reserved(roomy) == 20
    assert placed(card_order_from(app.test_client(), roomy, "voisin@exemple.fr", ip="192.0.2.9"))
    # A verified account behind the same address is not counted.
    verified = app.test_client()
    customer = make_user(email="verifiee@exemple.fr")
    assert verified.post(
        "/compte/connexion", data={"email": customer.email, "password": TEST_PASSWORD}
    ).status_code == 302
    assert placed(card_order_from(verified, roomy, customer.email))
    # Once the oldest hold runs out, the connection may hold a new one.
    oldest = order_by_email("client0@exemple.fr")[0]
    oldest.hold_expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert placed(card_order_from(flood, roomy, "client3@exemple.fr"))


def test_the_hold_limit_setting_is_read_and_0_turns_it_off(app, roomy):
    app.config["PENDING_CARD_HOLDS_PER_CONNECTION"] = 1
    flood = app.test_client()
    assert placed(card_order_from(flood, roomy, "a@exemple.fr"))
    assert not placed(card_order_from(flood, roomy, "b@exemple.fr"))
    # The same mailbox replaces its own order instead of being refused.
    assert placed(card_order_from(flood, roomy, "A+1@exemple.fr"))
    app.config["PENDING_CARD_HOLDS_PER_CONNECTION"] = 0
    assert placed(card_order_from(flood, roomy, "b@exemple.fr"))
    assert placed(card_order_from(flood, roomy, "c@exemple.fr"))


def test_staff_card_orders_replace_nothing_and_are_not_counted(roomy, staff):
    guest = place(roomy.week, [(roomy.basil, 2)], roomy.slot, payment_method="card", ip_hash="x")
    for _ in range(4):
        place(
            roomy.week,
            [(roomy.basil, 1)],
            roomy.slot,
            payment_method="card",
            entered_by=staff,
            ip_hash="x",
        )
    assert fresh(guest).status == "pending_payment"
    assert db.session.scalar(select(db.func.count()).where(Order.status == "pending_payment")) == 5


# --- Order-page changes: limited per connection, one mail per window ------------------------------


def outbox_subjects():
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage.subject).order_by(OutboxMessage.id)).all()


def last_mail():
    """The last mail queued: (subject, text with plain spaces)."""
    db.session.expire_all()
    message = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    return message.subject, message.body_text.replace("\u202f", " ").replace("\u00a0", " ")


def test_forty_changes_to_one_order_send_one_mail_then_one_per_window(client, shop):
    order = place(shop.week, [(shop.basil, 1)], shop.slot)
    db.session.execute(delete(OutboxMessage))
    db.session.commit()
    changed = f"Commande {order.number} modifiée"

    first = follow(client, change(client, order, 2))
    assert "Votre commande est modifiée." in first and "pas de nouvel e-mail" not in first
    for quantity in range(3, 42):
        page = follow(client, change(client, order, quantity))
    assert "Vous avez reçu un e-mail de modification il y a moins de 10 minutes" in page
    assert "cette page montre son contenu à jour" in page and "123,00 €" in page

    assert outbox_subjects() == [changed]
    events = [e for e in fresh(order).events if e.action == "changed_by_customer"]
    assert len(events) == 40
    assert [bool(e.details.get("mail_skipped")) for e in events] == [False] + [True] * 39
    assert basil_reserved(shop) == 41

    # Ten minutes later the next change mails again, with the order as it now is.
    for event in events:
        event.at = event.at - timedelta(minutes=11)
    db.session.commit()
    follow(client, change(client, order, 40))
    assert outbox_subjects() == [changed, changed]
    assert "Total TTC : 120,00 €" in last_mail()[1]


def test_the_confirmation_mail_tells_the_final_state_after_quiet_changes(client, shop, staff):
    from boutique.ordering.services import confirm_order

    order = place(shop.week, [(shop.basil, 1)], shop.slot)
    follow(client, change(client, order, 2))
    follow(client, change(client, order, 7))  # no mail of its own
    confirm_order(fresh(order), staff)
    db.session.commit()

    subject, text = last_mail()
    assert subject == f"Commande {order.number} confirmée"
    assert "Total TTC : 21,00 €" in text


def test_order_page_changes_are_limited_per_connection(make_app, shop):
    limited = limited_app(make_app, ORDER_CHANGE_RATE_LIMIT="3 per hour")
    order = place(shop.week, [(shop.basil, 1)], shop.slot)
    client = limited.test_client()
    for quantity in (2, 3, 4):
        assert change(client, order, quantity).status_code == 302
    before = state()

    response = change(client, order, 5)

    assert response.status_code == 429
    page = visible_text(response)
    assert "Trop de modifications depuis cette connexion" in page
    assert "ce changement n'a pas été enregistré" in page
    assert re.search(r"Réessayez dans \d+ minutes", page)
    assert f'href="/commande/suivi/{order.access_token}"' in page_text(response)
    assert state() == before
    # Another connection is not held back.
    assert change(client, order, 5, ip="192.0.2.77").status_code == 302
    assert basil_reserved(shop) == 5


# --- The address hash -----------------------------------------------------------------------------


def test_storefront_orders_keep_a_hash_of_their_network_not_the_address(client, shop):
    order_from(client, shop, ip="2001:db8:5:6::1")
    order = db.session.scalar(select(Order))

    assert order.ip_hash == address_hash("2001:db8:5:6:ffff::2")  # same /64
    assert order.ip_hash != address_hash("2001:db8:5:7::1")
    assert "2001:db8" not in repr(db.session.execute(select(Order.__table__)).all())


# --- Staff: cancelling a burst --------------------------------------------------------------------


@pytest.fixture
def burst(app, roomy):
    """Three guest orders from one connection (one by card, authorised), one from elsewhere."""
    flood = app.test_client()
    orders = [order_from(flood, roomy, ip="203.0.113.66", quantity=q) for q in (4, 6)]
    card = order_from(flood, roomy, ip="203.0.113.66", quantity=5, method="card")
    flood.post(card.location, data={"action": "pay"})  # the demo payment page
    neighbour = order_from(app.test_client(), roomy, ip="198.51.100.9", email="voisin@exemple.fr")
    assert all(placed(r) for r in [*orders, card, neighbour])
    numbers = db.session.scalars(select(Order.number).order_by(Order.id)).all()
    db.session.execute(delete(OutboxMessage))  # only the cancellation mails matter here
    db.session.commit()
    return numbers


def orders_by_number():
    db.session.expire_all()
    return {order.number: order for order in db.session.scalars(select(Order))}


def test_staff_filter_the_orders_of_one_connection_and_cancel_them(staff_client, roomy, burst, staff):
    first = orders_by_number()[burst[0]]
    assert basil_reserved(roomy) == 16 and fresh(roomy.slot).booked == 4

    listing = page_text(
        staff_client.get(f"/gestion/commandes?semaine={roomy.week.id}&meme=connexion&comme={first.id}")
    )
    assert "Commandes passées depuis la même connexion internet que" in listing
    assert "3 commandes" in listing
    assert all(number in listing for number in burst[:3]) and burst[3] not in listing

    ids = [orders_by_number()[number].id for number in burst[:3]]
    before = state()
    review = staff_client.post(
        "/gestion/commandes/annuler/verifier",
        data={"order_ids": ids, "reason": "Commandes en rafale depuis une même connexion"},
    )
    assert review.status_code == 200
    page = visible_text(review)
    assert "Annuler ces 3 commandes ?" in page and "Rien n'est encore annulé" in page
    assert "Basilic Grand vert (godet 10 cm) : +15" in page
    assert "3 places libérées" in page
    assert state() == before  # the review changes nothing

    response = staff_client.post(
        "/gestion/commandes/annuler",
        data={"order_ids": ids, "reason": "Commandes en rafale depuis une même connexion"},
    )
    assert response.status_code == 302
    flashed = page_text(staff_client.get(response.location))
    assert f"3 commandes annulées : {', '.join(burst[:3])}." in flashed
    assert "Autorisation de la carte libérée" in flashed

    orders = orders_by_number()
    for number in burst[:3]:
        order = orders[number]
        assert order.status == "cancelled"
        assert order.cancel_reason == "Commandes en rafale depuis une même connexion"
        [event] = [event for event in order.events if event.action == "cancelled"]
        assert event.actor_label == staff.email and event.at is not None
        assert event.details["reason"] == "Commandes en rafale depuis une même connexion"
    assert orders[burst[2]].card.status == "cancelled"  # the authorisation was released
    assert orders[burst[3]].status == "placed"
    assert basil_reserved(roomy) == 1 and fresh(roomy.slot).booked == 1
    mails = db.session.scalars(select(OutboxMessage.subject)).all()
    assert sorted(mails) == sorted(f"Commande {number} annulée" for number in burst[:3])


def test_same_email_and_same_hour_filters(staff_client, roomy, burst):
    orders = orders_by_number()
    earlier = orders[burst[3]]
    earlier.created_at = earlier.created_at - timedelta(hours=3)
    db.session.commit()
    week = roomy.week.id

    same_email = page_text(
        staff_client.get(f"/gestion/commandes?semaine={week}&meme=email&comme={orders[burst[3]].id}")
    )
    assert "même adresse e-mail que" in same_email and "voisin@exemple.fr" in same_email
    assert burst[3] in same_email and not any(n in same_email for n in burst[:3])

    same_hour = page_text(
        staff_client.get(f"/gestion/commandes?semaine={week}&meme=heure&comme={orders[burst[0]].id}")
    )
    assert "moins d'une heure avant ou après" in same_hour
    assert all(n in same_hour for n in burst[:3]) and burst[3] not in same_hour

    select_all = staff_client.get(
        f"/gestion/commandes?semaine={week}&meme=heure&comme={orders[burst[0]].id}&tout=1"
    ).get_data(as_text=True)
    assert select_all.count("checked>") == 3
    assert "Tout désélectionner" in select_all


def test_same_email_filter_matches_the_mailbox_as_the_email_limit_does(staff_client, roomy):
    emails = {
        "cible@exemple.fr": True,
        "Cible@Exemple.FR": True,
        "cible+promo@exemple.fr": True,
        "cible2@exemple.fr": False,
        "autre+cible@exemple.fr": False,
        "cible@exemple.fr.example": False,
    }
    numbers = {}
    for email in emails:
        contact = Contact("Camille Martin", email)
        numbers[email] = place(roomy.week, [(roomy.basil, 1)], roomy.slot, contact=contact).number
    reference = db.session.scalar(select(Order).where(Order.number == numbers["cible+promo@exemple.fr"]))

    found = staff_orders(roomy.week, OrderFilters(email=reference.email))
    assert sorted(order.number for order in found) == sorted(
        numbers[email] for email, same in emails.items() if same
    )
    page = page_text(
        staff_client.get(f"/gestion/commandes?semaine={roomy.week.id}&meme=email&comme={reference.id}")
    )
    assert "3 commandes" in page
    # LIKE wildcards in an address are taken literally.
    a_b = place(roomy.week, [(roomy.basil, 1)], roomy.slot, contact=Contact("A", "a_b@exemple.fr"))
    place(roomy.week, [(roomy.basil, 1)], roomy.slot, contact=Contact("A", "axb+1@exemple.fr"))
    assert [o.number for o in staff_orders(roomy.week, OrderFilters(email=a_b.email))] == [a_b.number]


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("nothing ticked", "Cochez au moins une commande."),
        ("no reason", "Indiquez le motif de l'annulation."),
        ("already cancelled", "Déjà annulées ou terminées"),
        ("unknown id", "Certaines commandes cochées n'existent pas"),
        ("not an id", "Certaines commandes cochées n'existent pas"),
    ],
)
def test_bad_bulk_cancel_changes_nothing(staff_client, roomy, burst, case, message):
    orders = orders_by_number()
    ids = [orders[number].id for number in burst[:3]]
    reason = "Rafale"
    if case == "nothing ticked":
        ids = []
    elif case == "no reason":
        reason = "  "
    elif case == "already cancelled":
        staff_client.post(f"/gestion/commandes/{ids[1]}/annuler", data={"reason": "Doublon"})
        db.session.execute(delete(OutboxMessage))
        db.session.commit()
    elif case == "unknown id":
        ids.append(2_000_000)
    elif case == "not an id":
        ids.append("abc")
    before = state()

    response = staff_client.post(
        "/gestion/commandes/annuler",
        data={"order_ids": ids, "reason": reason, "back": f"?semaine={roomy.week.id}"},
        follow_redirects=True,
    )

    assert response.status_code in ((422,) if case == "no reason" else (200,))
    assert message in page_text(response)
    assert state() == before
    statuses = [o.status for n, o in sorted(orders_by_number().items()) if n in burst[:3]]
    assert statuses.count("cancelled") == (1 if case == "already cancelled" else 0)


def test_bulk_cancel_service_is_all_or_nothing(roomy, burst, staff):
    orders = orders_by_number()
    ids = [orders[number].id for number in burst]
    cancel_orders([ids[3]], staff, "Doublon")
    db.session.commit()
    before = state()
    with pytest.raises(OrderError, match=burst[3]):
        cancel_orders(ids, staff, "Rafale")
    db.session.rollback()
    assert state() == before
    assert count(OrderEvent) == before["events"]
    assert db.session.get(PickupSlot, roomy.slot.id).booked == 3


def test_bulk_cancel_refunding_a_captured_card_needs_a_recent_login(staff_client, roomy, burst):
    orders = orders_by_number()
    card = orders[burst[2]].card
    card.status = "captured"  # the team confirmed it: cancelling now refunds the card
    db.session.commit()
    with staff_client.session_transaction() as session:
        session["login_at"] = 0  # logged in long ago
    ids = [orders[number].id for number in burst[:3]]
    before = state()

    response = staff_client.post(
        "/gestion/commandes/annuler",
        data={"order_ids": ids, "reason": "Rafale", "back": f"?semaine={roomy.week.id}"},
    )

    assert response.status_code == 302
    assert response.location.startswith("/compte/confirmer?next=/gestion/commandes")
    assert state() == before
    assert [o.status for n, o in orders_by_number().items() if n in burst[:3]] == ["placed"] * 3


@pytest.mark.parametrize(
    ("status", "refunds"), [(None, False), ("open", False), ("authorised", False), ("captured", True)]
)
def test_the_refund_rule_is_the_services(shop, status, refunds):
    order = place(shop.week, [(shop.basil, 2)], shop.slot, payment_method="card")
    if status:
        db.session.add(CardPayment(order=order, amount_requested_cents=600, status=status))
        db.session.commit()
    assert may_refund_card(fresh(order)) is refunds
