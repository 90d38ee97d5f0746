"""Ordering: basket, checkout, the customer's order page, staff moves, outbox mails.

Service-level tests call boutique.ordering.services directly; HTTP tests go through the pages
the way a customer does. DESIGN rules 1-8 are checked where they apply: no oversell, integer
cents, frozen prices, no order after the deadline, nothing lost when mail is down, a clear
message and an unchanged database for bad input, everyone sees only what is theirs.
"""

import re
import secrets
from datetime import date, time, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, update

from boutique.extensions import db
from boutique.models import (
    Offer,
    Order,
    OrderEvent,
    OrderLine,
    OutboxMessage,
    PickupPoint,
    PickupSlot,
    SalesWeek,
    utcnow,
)
from boutique.ordering.services import (
    Contact,
    OrderError,
    cancel_order,
    change_quantities,
    confirm_order,
    expire_holds,
    lower_quantities,
    place_order,
    reserve_stock,
)
from boutique.outbox import send_due
from boutique.pickup.services import reserve_place
from tests.conftest import TEST_PASSWORD, page_text

NUMBER = re.compile(r"S\d{2}-\d{3}")
TOKEN_INPUT = re.compile(r'<input[^>]*name="checkout_token"[^>]*value="([A-Za-z0-9_-]{20,64})"')
CONTACT = {"name": "Camille Martin", "email": "camille@exemple.fr", "phone": "06 12 34 56 78"}
ORDER_BUTTON = re.compile(r"<button[^>]*data-order-button[^>]*>([^<]*)</button>")


# --- Fixtures and helpers -------------------------------------------------------------------------


@pytest.fixture
def make_slot(app):
    """A pick-up slot in a week, at a new point (or the one given)."""

    def make(
        week,
        *,
        capacity=10,
        booked=0,
        closed=False,
        point=None,
        name="Portail de la pépinière",
        address="12 chemin des Jardins, Avignon",
        for_individual=True,
        for_restaurant=True,
        for_amap=True,
        active=True,
        day=None,
        starts_at=time(9, 0),
        ends_at=time(12, 0),
    ):
        if point is None:
            point = PickupPoint(
                name=name,
                address=address,
                for_individual=for_individual,
                for_restaurant=for_restaurant,
                for_amap=for_amap,
                active=active,
            )
            db.session.add(point)
        slot = PickupSlot(
            week=week,
            point=point,
            day=day or date.fromisoformat(week.pickup_dates[0]),
            starts_at=starts_at,
            ends_at=ends_at,
            capacity=capacity,
            booked=booked,
            closed=closed,
        )
        db.session.add(slot)
        db.session.commit()
        return slot

    return make


@pytest.fixture
def shop(make_category, make_product, make_week, make_slot):
    """This week: tomatoes (20, 12 per order max), basil (unlimited), geraniums at 20 % (4)."""
    plants = make_category("Plants potagers", "plants-potagers", 1)
    flowers = make_category("Fleurs", "fleurs", 3)
    tomato = make_product(
        name="Tomate",
        variety="Cœur de bœuf",
        category=plants,
        unit_label="godet 8 cm",
        vat_rate_bp=550,
        price_individual_cents=250,
        price_restaurant_cents=190,
        price_amap_cents=180,
    )
    basil = make_product(
        name="Basilic",
        variety="Grand vert",
        category=plants,
        unit_label="godet 10 cm",
        vat_rate_bp=550,
        price_individual_cents=300,
        price_restaurant_cents=220,
        price_amap_cents=210,
    )
    geranium = make_product(
        name="Géranium",
        variety="Lierre rouge",
        category=flowers,
        unit_label="pot 12 cm",
        vat_rate_bp=2000,
        price_individual_cents=500,
        price_restaurant_cents=400,
        price_amap_cents=380,
    )
    week = make_week(
        label="Semaine 48",
        offers=[
            (tomato, {"quantity_available": 20, "max_per_order": 12}),
            (basil, {"quantity_available": None}),
            (geranium, {"quantity_available": 4}),
        ],
    )
    offers = {
        offer.product_id: offer
        for offer in db.session.scalars(select(Offer).where(Offer.week_id == week.id))
    }
    slot = make_slot(week, capacity=10)
    return SimpleNamespace(
        week=week,
        slot=slot,
        tomato=offers[tomato.id],
        basil=offers[basil.id],
        geranium=offers[geranium.id],
    )


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def fresh(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def rows(*columns):
    return [tuple(row) for row in db.session.execute(select(*columns).order_by(columns[0]))]


def state():
    """What a refused request must leave as it was."""
    db.session.expire_all()
    return {
        "orders": count(Order),
        "lines": count(OrderLine),
        "events": count(OrderEvent),
        "outbox": count(OutboxMessage),
        "reserved": rows(Offer.id, Offer.quantity_reserved),
        "booked": rows(PickupSlot.id, PickupSlot.booked),
        "counters": rows(SalesWeek.id, SalesWeek.order_counter, SalesWeek.version),
    }


def close_week(week):
    """The order deadline has passed."""
    week = fresh(week)
    week.opens_at = utcnow() - timedelta(days=3)
    week.closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()


def add(client, offer, quantity=1, next_url="/panier"):
    offer_id = offer if isinstance(offer, (int, str)) else offer.id
    return client.post(
        "/panier/ajouter",
        data={"offer_id": str(offer_id), "quantity": str(quantity), "next": next_url},
    )


def basket_items(client):
    """{offer_id: quantity} as stored in the visitor's session."""
    with client.session_transaction() as session:
        items = (session.get("basket") or {}).get("items") or {}
    return {int(key): value for key, value in items.items()}


def has_amount(page, amount):
    """The amount stands on its own in the page ("5,00 €" is not found inside "15,00 €")."""
    return re.search(r"(?<![\d,])" + re.escape(amount), page) is not None


def follow(client, response):
    """The page a redirect leads to, as text (with its flash messages)."""
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return page_text(client.get(response.location))


def form_data(slot, token, /, **overrides):
    """What "Commander" sends: contact, slot, payment on pick-up, terms accepted, the page's
    checkout token; an override of None leaves that field out."""
    data = {
        **CONTACT,
        "slot": str(slot.id),
        "payment_method": "on_pickup",
        "accept_terms": "y",
        "note": "",
        "checkout_token": token,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def order_form(client, slot, /, **overrides):
    """The checkout page (GET /commande) read for its token: the form "Commander" sends."""
    response = client.get("/commande")
    assert response.status_code == 200, response.location
    match = TOKEN_INPUT.search(response.get_data(as_text=True))
    assert match, "the checkout page carries a checkout token"
    return form_data(slot, match.group(1), **overrides)


def order_button(page):
    """What the checkout page's order button says (it states the obligation to pay)."""
    return ORDER_BUTTON.search(page).group(1).strip()


def submit(client, form):
    """"Commander": the whole form, posted to /commande (posted twice: one order)."""
    return client.post("/commande", data=form)


def checkout(client, slot, items, /, **form):
    """Basket, then the checkout page: returns the form "Commander" sends (order_form)."""
    for offer, quantity in items:
        response = add(client, offer, quantity)
        assert response.status_code == 302
    return order_form(client, slot, **form)


def place(week, items, slot, *, kind="individual", customer=None, payment_method="on_pickup", **kw):
    """Place an order through the service and commit, as the checkout view does."""
    order = place_order(
        week=week,
        items={offer.id: quantity for offer, quantity in items},
        slot_id=slot.id,
        payment_method=payment_method,
        contact=kw.pop("contact", Contact(**CONTACT)),
        kind=kind,
        customer=customer,
        checkout_token=secrets.token_urlsafe(24),
        **kw,
    )
    db.session.commit()
    return order


def mail_text(mailbox, message):
    return mailbox.body(message).replace("\u202f", " ").replace("\u00a0", " ")


def deliver(mailbox):
    """Deliver what the outbox holds; returns the messages received so far."""
    send_due()
    return mailbox.messages


# --- Basket ---------------------------------------------------------------------------------------


def test_add_from_catalog_then_basket_shows_lines_vat_per_rate_and_total(client, shop):
    response = add(client, shop.tomato, 3, next_url="/")
    assert response.location == f"/#offre-{shop.tomato.id}"  # back at the product's place
    assert "« Tomate Cœur de bœuf » ajouté au panier." in follow(client, response)
    add(client, shop.geranium, 1)
    assert basket_items(client) == {shop.tomato.id: 3, shop.geranium.id: 1}

    page = page_text(client.get("/panier"))
    assert "Tomate Cœur de bœuf" in page and "godet 8 cm" in page
    assert "Géranium Lierre rouge" in page and "pot 12 cm" in page
    assert "Prix unitaire TTC" in page
    assert has_amount(page, "2,50 €") and has_amount(page, "7,50 €") and has_amount(page, "5,00 €")
    # 7,50 € incl. 5.5 % = 7,11 € + 0,39 €; 5,00 € incl. 20 % = 4,17 € + 0,83 €.
    assert "Dont TVA 5,5 % (sur 7,11 € HT)" in page and "0,39 €" in page
    assert "Dont TVA 20 % (sur 4,17 € HT)" in page and "0,83 €" in page
    assert "Total TTC" in page and "12,50 €" in page
    assert "Total HT" not in page


def test_adding_again_adds_to_the_quantity(client, shop):
    add(client, shop.tomato, 2)
    add(client, shop.tomato, 3)
    assert basket_items(client) == {shop.tomato.id: 5}


def test_change_quantities_and_remove_a_line(client, shop):
    add(client, shop.tomato, 2)
    add(client, shop.basil, 1)
    response = client.post(
        "/panier", data={f"qty-{shop.tomato.id}": "5", f"qty-{shop.basil.id}": "2"}
    )
    assert "Panier mis à jour." in follow(client, response)
    assert basket_items(client) == {shop.tomato.id: 5, shop.basil.id: 2}

    response = client.post(
        "/panier",
        data={
            f"qty-{shop.tomato.id}": "5",
            f"qty-{shop.basil.id}": "2",
            f"remove-{shop.basil.id}": "1",
        },
    )
    page = follow(client, response)
    assert basket_items(client) == {shop.tomato.id: 5}
    assert "Basilic" not in page and "12,50 €" in page


def test_approved_restaurant_sees_prices_excluding_vat(client, shop, make_user, login):
    login(make_user(kind="restaurant"))
    add(client, shop.tomato, 10)
    page = page_text(client.get("/panier"))
    assert "Prix unitaire HT" in page
    assert "1,90 €" in page and "19,00 €" in page and "2,50 €" not in page
    # 19,00 € excl. VAT at 5.5 % = 1,045 € -> 1,05 € (half up).
    assert "TVA 5,5 % sur 19,00 €" in page and "1,05 €" in page
    assert "Total HT" in page and "Total TTC" in page and "20,05 €" in page


def test_pending_restaurant_sees_individual_prices(client, shop, make_user, login):
    login(make_user(kind="restaurant", pro_status="pending"))
    add(client, shop.tomato, 2)
    page = page_text(client.get("/panier"))
    assert "Prix unitaire TTC" in page and "2,50 €" in page and "1,90 €" not in page


@pytest.mark.parametrize("quantity", ["0", "-1", "abc", "", "1.5", "2e3", "9999999"])
def test_adding_a_bad_quantity_is_refused_clearly(client, shop, quantity):
    add(client, shop.tomato, 2)
    response = add(client, shop.tomato, quantity)
    assert "Indiquez une quantité d'au moins 1." in follow(client, response)
    assert basket_items(client) == {shop.tomato.id: 2}


def test_adding_above_the_maximum_per_order_is_refused(client, shop):
    response = add(client, shop.tomato, 13)
    assert "« Tomate Cœur de bœuf » : 12 au plus par commande." in follow(client, response)
    assert basket_items(client) == {}
    add(client, shop.tomato, 10)
    response = add(client, shop.tomato, 3)  # 13 in all
    assert "12 au plus par commande" in follow(client, response)
    assert basket_items(client) == {shop.tomato.id: 10}


def test_adding_above_the_remaining_stock_is_refused(client, shop):
    response = add(client, shop.geranium, 5)
    assert "« Géranium Lierre rouge » : il n'en reste que 4." in follow(client, response)
    assert basket_items(client) == {}

    fresh(shop.geranium).quantity_reserved = 4
    db.session.commit()
    response = add(client, shop.geranium, 1)
    assert "« Géranium Lierre rouge » est épuisé." in follow(client, response)
    assert basket_items(client) == {}


# Another week, weeks ago (weeks never take orders at the same time).
PAST = timedelta(days=-60)


def test_adding_an_offer_of_another_week_is_refused(client, shop, make_product, make_week):
    other = make_week(
        label="Semaine 40", status="draft", opens_in=PAST, offers=[make_product(name="Courge")]
    )
    other_offer = db.session.scalar(select(Offer).where(Offer.week_id == other.id))
    for offer_id in (other_offer.id, 999_999, "abc"):
        response = add(client, offer_id, 1)
        assert "Ce produit n'est pas proposé cette semaine." in follow(client, response)
    assert basket_items(client) == {}


@pytest.mark.parametrize(
    ("offer_name", "quantity", "message"),
    [
        ("tomato", "-1", "Quantité invalide pour « Tomate Cœur de bœuf »."),
        ("tomato", "abc", "Quantité invalide pour « Tomate Cœur de bœuf »."),
        ("tomato", "", "Quantité invalide pour « Tomate Cœur de bœuf »."),
        ("tomato", "9999999", "Quantité invalide pour « Tomate Cœur de bœuf »."),
        ("tomato", "13", "« Tomate Cœur de bœuf » : 12 au plus par commande."),
        ("geranium", "5", "« Géranium Lierre rouge » : il n'en reste que 4."),
    ],
)
def test_changing_to_a_bad_quantity_is_refused_clearly(client, shop, offer_name, quantity, message):
    offer = getattr(shop, offer_name)
    add(client, offer, 2)
    response = client.post("/panier", data={f"qty-{offer.id}": quantity})
    page = follow(client, response)
    assert message in page
    assert "Panier mis à jour." not in page
    assert basket_items(client) == {offer.id: 2}


def test_basket_is_closed_when_orders_are_closed(client, shop):
    close_week(shop.week)
    response = add(client, shop.tomato, 1)
    assert "Les commandes sont fermées pour le moment." in follow(client, response)
    assert basket_items(client) == {}


def test_basket_survives_login(client, shop, make_user, login):
    add(client, shop.tomato, 3)
    add(client, shop.basil, 1)
    login(make_user())
    assert basket_items(client) == {shop.tomato.id: 3, shop.basil.id: 1}
    page = page_text(client.get("/panier"))
    assert "Tomate Cœur de bœuf" in page and "Basilic Grand vert" in page and "10,50 €" in page


# --- Checkout as a guest --------------------------------------------------------------------------


def test_guest_checkout_places_the_order_and_mails_it(client, shop, mailbox):
    before = state()
    add(client, shop.tomato, 3)
    add(client, shop.geranium, 1)
    # One page: the lines, the total, the slot (the only one, chosen already) and the button
    # saying what the customer commits to.
    checkout_page = client.get("/commande")
    page = page_text(checkout_page)
    assert "Tomate Cœur de bœuf" in page and "Géranium Lierre rouge" in page
    assert "Portail de la pépinière" in page and "de 09:00 à 12:00" in page
    assert has_amount(page, "7,50 €") and has_amount(page, "12,50 €")
    assert order_button(page) == "Commander et payer 12,50 €"  # a guest pays by card first
    assert "Voir le récapitulatif" not in page
    assert re.search(rf'<input[^>]*value="{shop.slot.id}"[^>]*checked', page)
    token = TOKEN_INPUT.search(checkout_page.get_data(as_text=True)).group(1)
    assert state() == before  # nothing reserved before "Commander"

    response = submit(client, form_data(shop.slot, token, note="Je passerai vers 10 h."))
    assert response.status_code == 302
    order = db.session.scalar(select(Order))
    assert response.location == f"/commande/suivi/{order.access_token}"
    assert NUMBER.fullmatch(order.number)
    # The week's number is the ISO week of its first pick-up day (not of its deadline).
    first_pickup = date.fromisoformat(shop.week.pickup_dates[0])
    assert order.number == f"S{first_pickup.isocalendar().week:02d}-001"
    assert order.status == "placed" and order.customer_id is None
    assert order.customer_kind == "individual" and order.prices_include_vat
    assert order.payment_method == "on_pickup" and order.slot_id == shop.slot.id
    assert order.checkout_token == token
    assert (order.contact_name, order.email, order.phone) == tuple(CONTACT.values())
    assert order.note == "Je passerai vers 10 h."
    assert [(line.product_name, line.quantity, line.unit_price_cents) for line in order.lines] == [
        ("Tomate Cœur de bœuf", 3, 250),
        ("Géranium Lierre rouge", 1, 500),
    ]
    assert [event.action for event in order.events] == ["placed"]

    page = follow(client, response)
    assert f"Merci ! Votre commande {order.number} est enregistrée." in page
    assert f"Commande {order.number}" in page

    assert fresh(shop.tomato).quantity_reserved == 3
    assert fresh(shop.geranium).quantity_reserved == 1
    assert fresh(shop.basil).quantity_reserved == 0
    assert fresh(shop.slot).booked == 1
    assert basket_items(client) == {}
    assert "Votre panier est vide." in page_text(client.get("/panier"))

    # The mail is in the outbox, sent once the response has gone (the server closes it).
    outbox = db.session.scalars(select(OutboxMessage)).all()
    assert [(row.recipient, row.order_id) for row in outbox] == [("camille@exemple.fr", order.id)]
    response.close()
    assert len(mailbox.messages) == 1
    message = mailbox.messages[0]
    assert message["Subject"] == f"Commande {order.number} reçue"
    assert message["To"] == "camille@exemple.fr"
    body = mail_text(mailbox, message)
    assert "Bonjour Camille Martin," in body
    assert "3 × Tomate Cœur de bœuf (godet 8 cm) : 7,50 €" in body
    assert "Total TTC : 12,50 €" in body
    assert f"/commande/suivi/{order.access_token}" in body
    assert fresh(outbox[0]).sent_at is not None
    assert send_due() == (0, 0)
    assert len(mailbox.messages) == 1


def test_order_mail_is_delivered_by_send_due(client, shop, mailbox):
    form = checkout(client, shop.slot, [(shop.basil, 2)])
    submit(client, form)  # the test client does not close the response
    order = db.session.scalar(select(Order))
    messages = deliver(mailbox)
    assert [m["Subject"] for m in messages] == [f"Commande {order.number} reçue"]
    assert send_due() == (0, 0) and len(mailbox.messages) == 1


def test_order_numbers_follow_each_other_in_the_week(client, shop):
    first = place(shop.week, [(shop.basil, 1)], shop.slot)
    second = place(shop.week, [(shop.basil, 1)], shop.slot)
    week = f"S{date.fromisoformat(shop.week.pickup_dates[0]).isocalendar().week:02d}"
    assert (first.number, second.number) == (f"{week}-001", f"{week}-002")


def test_double_click_on_commander_makes_one_order(client, shop):
    form = checkout(client, shop.slot, [(shop.tomato, 2)])
    first = submit(client, form)
    second = submit(client, form)
    assert first.status_code == second.status_code == 302
    assert first.location == second.location
    assert "/commande/suivi/" in first.location
    assert count(Order) == 1 and count(OutboxMessage) == 1
    assert fresh(shop.tomato).quantity_reserved == 2
    assert fresh(shop.slot).booked == 1
    assert "Commande S" in follow(client, second)


def test_commander_without_a_valid_token_places_nothing(client, shop):
    checkout(client, shop.slot, [(shop.tomato, 2)])
    before = state()
    for token in (None, "short", "x" * 20 + "<'>"):
        response = submit(client, form_data(shop.slot, token))  # None: no token at all
        assert response.status_code == 200
        page = page_text(response)
        assert "Vérifiez votre commande, puis cliquez de nouveau sur le bouton." in page
        assert "point à corriger" not in page  # nothing the customer can see is wrong
    assert state() == before
    # The page carries a new token: "Commander" again places the order.
    fresh_token = TOKEN_INPUT.search(response.get_data(as_text=True)).group(1)
    assert submit(client, form_data(shop.slot, fresh_token)).status_code == 302
    assert state() != before


# --- Checkout refusals: a clear message and nothing changed (rule 7) -------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"accept_terms": None}, "Acceptez les conditions générales de vente pour commander."),
        ({"email": "pas-une-adresse"}, "Adresse e-mail invalide."),
        ({"phone": "appelez-moi"}, "Numéro de téléphone invalide."),
        ({"slot": None}, "Choisissez un créneau de retrait."),
        ({"payment_method": "bitcoin"}, "N'est pas un choix valide."),
    ],
)
def test_checkout_form_errors_are_explained(client, shop, overrides, message):
    add(client, shop.tomato, 2)
    before = state()
    response = submit(client, order_form(client, shop.slot, **overrides))
    assert response.status_code == 200
    page = page_text(response)
    assert "1 point à corriger" in page and message in page  # the error summary at the top
    if "payment_method" not in overrides:  # the button follows the method chosen
        assert order_button(page) == "Commander avec obligation de paiement au retrait"
    with client.session_transaction() as session:
        assert "checkout" not in session
    assert state() == before


def test_individual_cannot_choose_invoice(client, shop):
    add(client, shop.tomato, 2)
    page = page_text(client.get("/commande"))
    assert "Paiement au retrait" in page and "Sur facture" not in page
    response = submit(client, order_form(client, shop.slot, payment_method="invoice"))
    assert response.status_code == 200
    assert "N'est pas un choix valide." in page_text(response)
    with client.session_transaction() as session:
        assert "checkout" not in session
    with pytest.raises(OrderError, match="moyen de paiement n'est pas proposé"):
        place_order(
            week=shop.week,
            items={shop.tomato.id: 2},
            slot_id=shop.slot.id,
            payment_method="invoice",
            contact=Contact(**CONTACT),
            kind="individual",
            checkout_token=secrets.token_urlsafe(24),
        )
    db.session.rollback()
    assert count(Order) == 0


def test_full_slot_is_refused_in_the_form(client, shop, make_slot):
    full = make_slot(shop.week, capacity=2, booked=2, name="Local en ville")
    add(client, shop.tomato, 2)
    page = page_text(client.get("/commande"))
    assert "complet" in page
    before = state()
    response = submit(client, order_form(client, full))
    assert response.status_code == 200
    assert "Ce créneau est complet : choisissez-en un autre." in page_text(response)
    assert state() == before


def test_slot_filled_as_commander_is_clicked_is_refused_and_nothing_is_kept(
    client, shop, monkeypatch
):
    """The form found the slot open; another customer takes its last place before this order
    reaches it: back to the form, the slot to choose again, the stock reserved released."""
    form = checkout(client, shop.slot, [(shop.tomato, 2), (shop.basil, 1)])
    slot_id, capacity = shop.slot.id, shop.slot.capacity

    def another_customer_takes_the_last_place(**kwargs):  # after the form's checks
        result = expire_holds(**kwargs)
        db.session.execute(
            update(PickupSlot).where(PickupSlot.id == slot_id).values(booked=capacity)
        )
        db.session.commit()
        return result

    monkeypatch.setattr(
        "boutique.checkout.routes.expire_holds", another_customer_takes_the_last_place
    )
    before = state()
    response = submit(client, form)
    monkeypatch.undo()
    assert response.location == "/commande"
    page = follow(client, response)
    assert "Ce créneau vient d'être complet : choisissez-en un autre." in page
    assert not re.search(r'<input[^>]*name="slot"[^>]*checked', page)  # to choose again
    assert "Camille Martin" in page  # the rest of the form as it was
    after = state()
    assert after["booked"] == [(slot_id, capacity)]  # the other customer's place only
    assert {**after, "booked": before["booked"]} == before  # the stock reserved was released
    assert basket_items(client) == {shop.tomato.id: 2, shop.basil.id: 1}


def test_closed_slot_is_refused(client, shop, make_slot):
    closed = make_slot(shop.week, closed=True, name="Marché du samedi")
    add(client, shop.tomato, 2)
    response = submit(client, order_form(client, closed))
    assert response.status_code == 200 and "choisissez-en un autre" in page_text(response)

    form = checkout(client, shop.slot, [])  # the page was shown with the slot open
    fresh(shop.slot).closed = True
    db.session.commit()
    before = state()
    response = submit(client, form)
    assert response.status_code == 200
    assert "Ce créneau est fermé : choisissez-en un autre." in page_text(response)
    assert state() == before


def test_slot_of_another_week_is_refused(client, shop, make_week, make_slot, make_product):
    other_week = make_week(
        label="Semaine 40", status="draft", opens_in=PAST, offers=[make_product()]
    )
    other_slot = make_slot(other_week, name="Ancien créneau")
    add(client, shop.tomato, 2)
    response = submit(client, order_form(client, other_slot))
    assert response.status_code == 200
    assert "Choisissez un créneau dans la liste." in page_text(response)

    before = state()  # and the service refuses it too, whatever the form let through
    with pytest.raises(OrderError, match="Ce créneau n'existe pas pour cette semaine."):
        place(shop.week, [(shop.tomato, 2)], other_slot)
    db.session.rollback()
    assert state() == before


def test_point_not_open_to_the_customers_kind_is_refused(client, shop, make_slot):
    restaurants_only = make_slot(
        shop.week, name="Tournée des restaurants", for_individual=False, for_amap=False
    )
    add(client, shop.tomato, 2)
    assert "Tournée des restaurants" not in page_text(client.get("/commande"))
    response = submit(client, order_form(client, restaurants_only))
    assert response.status_code == 200
    assert "Choisissez un créneau dans la liste." in page_text(response)

    before = state()  # and the service refuses it too, whatever the form let through
    with pytest.raises(OrderError, match="n'est pas ouvert à votre type de compte."):
        place(shop.week, [(shop.tomato, 2)], restaurants_only)
    db.session.rollback()
    assert state() == before


def test_order_after_the_deadline_is_refused_on_the_server(client, shop):
    form = checkout(client, shop.slot, [(shop.tomato, 2)])  # the page was open in time
    close_week(shop.week)
    before = state()
    response = submit(client, form)
    assert response.location == "/panier"
    assert "Les commandes sont fermées pour le moment." in follow(client, response)
    assert state() == before


def test_service_refuses_an_order_after_the_deadline(shop):
    week = fresh(shop.week)
    with pytest.raises(OrderError, match="Les commandes de cette semaine sont fermées."):
        place(week, [(shop.tomato, 1)], shop.slot, now=week.closes_at + timedelta(seconds=1))
    db.session.rollback()
    with pytest.raises(OrderError, match="fermées"):
        place(week, [(shop.tomato, 1)], shop.slot, now=week.closes_at)  # the deadline itself
    db.session.rollback()
    assert count(Order) == 0 and fresh(shop.tomato).quantity_reserved == 0


def test_staff_may_enter_an_order_after_the_deadline(shop, staff):
    week = fresh(shop.week)
    later = week.closes_at + timedelta(hours=2)
    with pytest.raises(OrderError):
        place(week, [(shop.tomato, 1)], shop.slot, now=later, entered_by=staff)
    db.session.rollback()
    order = place(
        week, [(shop.tomato, 1)], shop.slot, now=later, entered_by=staff, bypass_deadline=True
    )
    assert order.after_deadline and order.entered_by_id == staff.id
    assert [(e.action, e.actor_label) for e in order.events] == [("entered_by_staff", staff.email)]


def test_tampered_offer_of_another_week_is_refused(client, shop, make_week, make_product):
    other = make_week(
        label="Semaine 40", status="draft", opens_in=PAST, offers=[make_product(name="Courge")]
    )
    other_offer = db.session.scalar(select(Offer).where(Offer.week_id == other.id))
    form = checkout(client, shop.slot, [(shop.tomato, 2)])
    with client.session_transaction() as session:
        session["basket"] = {
            "week": shop.week.id,
            "items": {str(shop.tomato.id): 2, str(other_offer.id): 1},
        }
    before = state()
    response = submit(client, form)
    assert "Un produit de votre panier n'est plus proposé cette semaine." in follow(
        client, response
    )
    assert state() == before

    with pytest.raises(OrderError, match="n'est plus proposé cette semaine"):
        place(shop.week, [(other_offer, 1)], shop.slot)
    db.session.rollback()
    assert state() == before


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        (0, "Quantité invalide pour « Tomate Cœur de bœuf »."),
        (-3, "Quantité invalide pour « Tomate Cœur de bœuf »."),
        ("2", "Quantité invalide pour « Tomate Cœur de bœuf »."),
        (2.0, "Quantité invalide pour « Tomate Cœur de bœuf »."),
        (13, "« Tomate Cœur de bœuf » : 12 au plus par commande."),
        (10_001, "Quantité invalide pour « Tomate Cœur de bœuf »."),
    ],
)
def test_service_refuses_bad_quantities(shop, quantity, message):
    before = state()
    with pytest.raises(OrderError) as refused:
        place(shop.week, [(shop.basil, 1), (shop.tomato, quantity)], shop.slot)
    db.session.rollback()
    assert str(refused.value) == message
    assert state() == before


def test_service_refuses_more_than_the_stock_and_keeps_nothing(shop):
    fresh(shop.tomato).quantity_reserved = 15
    db.session.commit()
    before = state()
    # Basil (lower id) is reserved first, then tomatoes fail: the basil goes back too.
    with pytest.raises(OrderError, match="Il ne reste pas assez de « Tomate Cœur de bœuf »"):
        place(shop.week, [(shop.basil, 4), (shop.tomato, 6)], shop.slot)
    db.session.rollback()
    assert state() == before


def test_basket_tampered_beyond_the_stock_must_be_corrected_first(client, shop):
    form = checkout(client, shop.slot, [(shop.geranium, 2)])
    with client.session_transaction() as session:
        session["basket"] = {"week": shop.week.id, "items": {str(shop.geranium.id): 9}}
    before = state()
    response = submit(client, form)
    assert response.location == "/panier"
    page = follow(client, response)
    assert "Corrigez votre panier avant de commander." in page
    assert "il n'en reste que 4" in page
    assert state() == before
    response = client.get("/commande")
    assert response.location == "/panier"
    assert "Corrigez votre panier avant de commander." in follow(client, response)


def test_a_basket_refused_by_commander_keeps_what_was_typed(client, shop):
    """The last pots went while the page was open: "Commander" sends the customer to the
    basket, and the form comes back as it was typed."""
    form = checkout(client, shop.slot, [(shop.geranium, 2), (shop.basil, 1)])
    form["note"] = "Je passerai vers 10 h."
    place(shop.week, [(shop.geranium, 4)], shop.slot)  # another customer takes them
    before = state()
    response = submit(client, form)
    assert response.location == "/panier"
    assert "« Géranium Lierre rouge » est épuisé." in follow(client, response)
    assert state() == before
    client.post("/panier", data={f"qty-{shop.geranium.id}": "2", f"remove-{shop.geranium.id}": "1"})
    page = page_text(client.get("/commande"))
    for typed in CONTACT.values():
        assert f'value="{typed}"' in page
    assert "Je passerai vers 10 h.</textarea>" in page
    assert re.search(rf'<input[^>]*value="{shop.slot.id}"[^>]*checked', page)


def test_empty_basket_cannot_check_out(client, shop):
    response = client.get("/commande")
    assert response.status_code == 302
    assert "Votre panier est vide." in follow(client, response)
    with pytest.raises(OrderError, match="Votre panier est vide."):
        place(shop.week, [], shop.slot)
    db.session.rollback()


# --- Professionals --------------------------------------------------------------------------------


def test_pending_restaurant_cannot_check_out_nor_pay_by_invoice(client, shop, make_user, login):
    pending = make_user(kind="restaurant", pro_status="pending")
    login(pending)
    add(client, shop.tomato, 2)
    before = state()
    response = client.get("/commande")
    assert response.status_code == 403
    assert "Votre compte professionnel attend sa validation" in page_text(response)
    token = secrets.token_urlsafe(24)  # as a page opened before would send it
    response = submit(client, form_data(shop.slot, token, payment_method="invoice"))
    assert response.status_code == 403
    with client.session_transaction() as session:
        assert "checkout" not in session
    for kind, method in (("restaurant", "invoice"), ("restaurant", "on_pickup")):
        with pytest.raises(OrderError):
            place(
                shop.week,
                [(shop.tomato, 2)],
                shop.slot,
                kind=kind,
                customer=pending,
                payment_method=method,
            )
        db.session.rollback()
    with pytest.raises(OrderError, match="moyen de paiement"):
        place(shop.week, [(shop.tomato, 2)], shop.slot, customer=pending, payment_method="invoice")
    db.session.rollback()
    assert state() == before


def test_pending_restaurant_cannot_order_with_a_page_opened_as_a_guest(
    client, shop, make_user, login
):
    """The checkout page was opened as a guest; logging in as a pending restaurant in another
    tab must not let its "Commander" through."""
    form = checkout(client, shop.slot, [(shop.tomato, 2)])
    login(make_user(kind="restaurant", pro_status="pending"))
    before = state()
    response = submit(client, form)
    assert response.status_code == 403
    assert state() == before


def test_approved_restaurant_orders_on_invoice_at_prices_excluding_vat(
    client, shop, make_user, login, make_slot
):
    restaurant = make_user(kind="restaurant", organisation="Le Bistrot des Halles")
    round_ = make_slot(shop.week, name="Tournée des restaurants", for_individual=False)
    login(restaurant)
    add(client, shop.tomato, 10)
    add(client, shop.geranium, 2)
    page = page_text(client.get("/commande"))
    assert "Sur facture" in page and "Tournée des restaurants" in page
    assert "Le Bistrot des Halles" in page  # prefilled contact
    assert order_button(page) == "Commander avec obligation de paiement sur facture"
    form = checkout(client, round_, [], payment_method="invoice")
    response = submit(client, form)
    order = db.session.scalar(select(Order))
    assert response.location == f"/commande/suivi/{order.access_token}"
    assert order.customer_id == restaurant.id
    assert order.customer_kind == "restaurant" and order.payment_method == "invoice"
    assert order.prices_include_vat is False
    assert [
        (line.product_name, line.unit_price_cents, line.vat_rate_bp) for line in order.lines
    ] == [
        ("Tomate Cœur de bœuf", 190, 550),
        ("Géranium Lierre rouge", 400, 2000),
    ]
    page = follow(client, response)
    assert "Prix unitaire HT" in page and "Sur facture" in page
    # 19,00 € + 8,00 € excl. VAT; VAT 1,05 € + 1,60 €; 29,65 € incl. VAT.
    assert "Total HT" in page and "27,00 €" in page
    assert "TVA 5,5 % sur 19,00 €" in page and "TVA 20 % sur 8,00 €" in page
    assert "29,65 €" in page


def test_offer_price_override_is_used_and_frozen_on_the_line(shop, make_user):
    restaurant = make_user(kind="restaurant")
    offer = fresh(shop.tomato)
    offer.price_restaurant_cents = 170
    db.session.commit()
    order = place(
        shop.week,
        [(shop.tomato, 4)],
        shop.slot,
        kind="restaurant",
        customer=restaurant,
        payment_method="invoice",
    )
    assert order.lines[0].unit_price_cents == 170
    offer = fresh(shop.tomato)
    offer.price_restaurant_cents = 210
    offer.product.price_restaurant_cents = 230
    db.session.commit()
    assert fresh(order).lines[0].unit_price_cents == 170  # rule 3


# --- The customer's order page --------------------------------------------------------------------


def test_order_page_shows_lines_totals_point_and_slot(client, shop):
    order = place(shop.week, [(shop.tomato, 4), (shop.geranium, 1)], shop.slot, note="Merci !")
    response = client.get(f"/commande/suivi/{order.access_token}")
    assert response.status_code == 200
    page = page_text(response)
    assert f"Commande {order.number}" in page and "Reçue" in page
    assert "Tomate Cœur de bœuf" in page and "godet 8 cm" in page and "10,00 €" in page
    assert "Géranium Lierre rouge" in page and has_amount(page, "5,00 €")
    assert "Dont TVA 5,5 %" in page and "Dont TVA 20 %" in page
    assert "Total TTC" in page and "15,00 €" in page
    assert "Portail de la pépinière" in page and "12 chemin des Jardins, Avignon" in page
    assert "de 09:00 à 12:00" in page
    assert "Paiement au retrait" in page and "Merci !" in page
    assert "Enregistrer les quantités" in page and "Annuler ma commande" in page


def test_prices_stay_frozen_on_the_order_page(client, shop):
    order = place(shop.week, [(shop.tomato, 2)], shop.slot)
    fresh(shop.tomato).product.price_individual_cents = 990
    db.session.commit()
    page = page_text(client.get(f"/commande/suivi/{order.access_token}"))
    assert "2,50 €" in page and "5,00 €" in page and "9,90 €" not in page


def test_customer_changes_a_quantity_before_the_deadline(client, shop, mailbox):
    order = place(shop.week, [(shop.tomato, 2), (shop.basil, 1)], shop.slot)
    deliver(mailbox)
    tomato_line, basil_line = order.lines
    response = client.post(
        f"/commande/suivi/{order.access_token}/modifier",
        data={f"qty-{tomato_line.id}": "5", f"qty-{basil_line.id}": "1"},
    )
    assert response.location == f"/commande/suivi/{order.access_token}"
    page = follow(client, response)
    assert "Votre commande est modifiée." in page and "12,50 €" in page and "15,50 €" in page
    order = fresh(order)
    assert [(line.quantity, line.quantity_ordered) for line in order.lines] == [(5, 5), (1, 1)]
    assert fresh(shop.tomato).quantity_reserved == 5
    assert fresh(shop.slot).booked == 1
    event = order.events[-1]
    assert event.action == "changed_by_customer" and event.actor_label == "client"
    assert event.details == {"lines": {"Tomate Cœur de bœuf": [2, 5]}}
    messages = deliver(mailbox)
    assert messages[-1]["Subject"] == f"Commande {order.number} modifiée"
    assert "Total TTC : 15,50 €" in mail_text(mailbox, messages[-1])

    # 0 removes a line.
    response = client.post(
        f"/commande/suivi/{order.access_token}/modifier",
        data={f"qty-{tomato_line.id}": "3", f"qty-{basil_line.id}": "0"},
    )
    follow(client, response)
    order = fresh(order)
    assert [(line.product_name, line.quantity) for line in order.lines] == [
        ("Tomate Cœur de bœuf", 3)
    ]
    assert fresh(shop.tomato).quantity_reserved == 3


@pytest.mark.parametrize(
    ("tomato", "basil", "message"),
    [
        ("-1", "1", "Quantité invalide pour « Tomate Cœur de bœuf »."),
        ("abc", "1", "Quantité invalide pour « Tomate Cœur de bœuf »."),
        ("", "1", "Quantité invalide pour « Tomate Cœur de bœuf »."),
        ("13", "1", "« Tomate Cœur de bœuf » : 12 au plus par commande."),
        ("0", "0", "Pour tout retirer, annulez la commande."),
        ("1", "99999", "Quantité invalide pour « Basilic Grand vert »."),
    ],
)
def test_customer_change_refused_with_a_clear_message(client, shop, tomato, basil, message):
    order = place(shop.week, [(shop.tomato, 2), (shop.basil, 1)], shop.slot)
    tomato_line, basil_line = order.lines
    before = state()
    response = client.post(
        f"/commande/suivi/{order.access_token}/modifier",
        data={f"qty-{tomato_line.id}": tomato, f"qty-{basil_line.id}": basil},
    )
    assert message in follow(client, response)
    assert state() == before
    assert [line.quantity for line in fresh(order).lines] == [2, 1]


def test_customer_cannot_raise_beyond_the_stock(client, shop):
    order = place(shop.week, [(shop.geranium, 1)], shop.slot)
    (line,) = order.lines
    before = state()
    response = client.post(
        f"/commande/suivi/{order.access_token}/modifier", data={f"qty-{line.id}": "5"}
    )
    assert "Il ne reste pas assez de « Géranium Lierre rouge » (encore 3 disponibles)." in follow(
        client, response
    )
    assert state() == before


def test_customer_cancels_and_stock_and_slot_go_back(client, shop, mailbox):
    order = place(shop.week, [(shop.tomato, 4), (shop.geranium, 2)], shop.slot)
    assert fresh(shop.slot).booked == 1 and fresh(shop.geranium).quantity_reserved == 2
    response = client.post(f"/commande/suivi/{order.access_token}/annuler")
    page = follow(client, response)
    assert "Votre commande est annulée." in page and "Cette commande est annulée." in page
    assert "Annuler ma commande" not in page
    order = fresh(order)
    assert order.status == "cancelled" and order.cancelled_at is not None
    assert order.cancel_reason == "Annulée par le client"
    assert order.events[-1].action == "cancelled"
    assert fresh(shop.tomato).quantity_reserved == 0
    assert fresh(shop.geranium).quantity_reserved == 0
    assert fresh(shop.slot).booked == 0
    subjects = [m["Subject"] for m in deliver(mailbox)]
    assert subjects == [f"Commande {order.number} reçue", f"Commande {order.number} annulée"]

    before = state()
    response = client.post(f"/commande/suivi/{order.access_token}/annuler")
    assert "ne peut plus être annulée" in follow(client, response)
    assert state() == before


def test_after_the_deadline_the_customer_can_no_longer_change_or_cancel(client, shop):
    order = place(shop.week, [(shop.tomato, 2)], shop.slot)
    (line,) = order.lines
    close_week(shop.week)
    before = state()
    page = page_text(client.get(f"/commande/suivi/{order.access_token}"))
    assert "Enregistrer les quantités" not in page and "Annuler ma commande" not in page
    response = client.post(
        f"/commande/suivi/{order.access_token}/modifier", data={f"qty-{line.id}": "5"}
    )
    assert "Cette commande ne peut plus être modifiée en ligne." in follow(client, response)
    response = client.post(f"/commande/suivi/{order.access_token}/annuler")
    assert "ne peut plus être annulée en ligne" in follow(client, response)
    assert state() == before
    assert fresh(order).status == "placed"
    with pytest.raises(OrderError, match="ne peut plus être modifiée"):
        change_quantities(fresh(order), {line.id: 3})
    db.session.rollback()


def test_confirmed_order_can_no_longer_be_changed_by_the_customer(client, shop, staff):
    order = place(shop.week, [(shop.tomato, 2)], shop.slot)
    confirm_order(order, staff)
    db.session.commit()
    (line,) = order.lines
    before = state()
    response = client.post(
        f"/commande/suivi/{order.access_token}/modifier", data={f"qty-{line.id}": "5"}
    )
    assert "ne peut plus être modifiée en ligne" in follow(client, response)
    assert state() == before


# --- Staff moves (services) -----------------------------------------------------------------------


def test_confirm_order_tells_the_customer(shop, staff, mailbox):
    order = place(shop.week, [(shop.tomato, 2)], shop.slot)
    confirm_order(order, staff)
    db.session.commit()
    order = fresh(order)
    assert order.status == "confirmed" and order.confirmed_at is not None
    event = order.events[-1]
    assert (event.action, event.actor_id, event.actor_label) == ("confirmed", staff.id, staff.email)
    assert event.details == {"total_cents": 500}
    subjects = [m["Subject"] for m in deliver(mailbox)]
    assert subjects[-1] == f"Commande {order.number} confirmée"
    with pytest.raises(OrderError, match="n'est pas en attente de confirmation"):
        confirm_order(order, staff)
    db.session.rollback()


def test_lower_quantities_releases_stock_and_mails_the_new_total(shop, staff, mailbox):
    order = place(shop.week, [(shop.tomato, 4), (shop.geranium, 2)], shop.slot)
    confirm_order(order, staff)
    db.session.commit()
    tomato_line, geranium_line = order.lines
    assert lower_quantities(order, {tomato_line.id: 1, geranium_line.id: 2}, staff) is True
    db.session.commit()
    order = fresh(order)
    assert [(line.quantity_ordered, line.quantity) for line in order.lines] == [(4, 1), (2, 2)]
    assert fresh(shop.tomato).quantity_reserved == 1
    assert fresh(shop.geranium).quantity_reserved == 2
    event = order.events[-1]
    assert event.action == "lowered_by_staff"
    assert event.details == {"lines": {"Tomate Cœur de bœuf": [4, 1]}}
    message = deliver(mailbox)[-1]
    assert message["Subject"] == f"Commande {order.number} modifiée"
    body = mail_text(mailbox, message)
    assert "1 × Tomate Cœur de bœuf (godet 8 cm) : 2,50 € [commandé : 4]" in body
    assert "Total TTC : 12,50 €" in body  # 2,50 € + 10,00 €
    assert lower_quantities(order, {tomato_line.id: 1}, staff) is False  # nothing to do


def test_lower_quantities_refuses_to_raise(shop, staff):
    order = place(shop.week, [(shop.tomato, 2)], shop.slot)
    (line,) = order.lines
    before = state()
    for quantity in (3, -1):
        with pytest.raises(OrderError, match="la quantité peut seulement baisser"):
            lower_quantities(fresh(order), {line.id: quantity}, staff)
        db.session.rollback()
    with pytest.raises(OrderError, match="Ligne de commande inconnue."):
        lower_quantities(fresh(order), {line.id + 1000: 1}, staff)
    db.session.rollback()
    assert state() == before


def test_staff_cancel_with_a_reason(shop, staff, mailbox):
    order = place(shop.week, [(shop.tomato, 3)], shop.slot)
    confirm_order(order, staff)
    db.session.commit()
    cancel_order(order, actor=staff, reason="  Gel de la nuit : plus de tomates.  ")
    db.session.commit()
    order = fresh(order)
    assert order.status == "cancelled"
    assert order.cancel_reason == "Gel de la nuit : plus de tomates."
    event = order.events[-1]
    assert (event.action, event.actor_label) == ("cancelled", staff.email)
    assert event.details == {"reason": "Gel de la nuit : plus de tomates."}
    assert fresh(shop.tomato).quantity_reserved == 0
    assert fresh(shop.slot).booked == 0
    message = deliver(mailbox)[-1]
    assert message["Subject"] == f"Commande {order.number} annulée"
    assert "Motif : Gel de la nuit : plus de tomates." in mail_text(mailbox, message)
    with pytest.raises(OrderError, match="ne peut plus être annulée"):
        cancel_order(order, actor=staff)
    db.session.rollback()
    assert fresh(shop.tomato).quantity_reserved == 0  # not released twice
    assert fresh(shop.slot).booked == 0


def test_guarded_reservations_refuse_what_is_not_there(shop, make_slot):
    assert reserve_stock(shop.geranium.id, 4) is True
    assert reserve_stock(shop.geranium.id, 1) is False
    assert reserve_stock(shop.basil.id, 10_000) is True  # unlimited
    small = make_slot(shop.week, capacity=1, name="Petit créneau")
    assert reserve_place(small.id) is True
    assert reserve_place(small.id) is False
    db.session.commit()
    assert fresh(shop.geranium).quantity_reserved == 4
    assert fresh(small).booked == 1


# --- Outbox (rule 6) ------------------------------------------------------------------------------


def test_order_succeeds_when_the_mail_server_is_down_and_mail_goes_later(
    app, client, shop, mailbox, smtp_server
):
    app.config["MAIL_PORT"] = 1  # nothing listens there
    form = checkout(client, shop.slot, [(shop.tomato, 2)])
    started = utcnow()
    response = submit(client, form)
    order = db.session.scalar(select(Order))
    assert response.location == f"/commande/suivi/{order.access_token}"
    response.close()  # the server closes the response: delivery is tried, and fails
    (row,) = db.session.scalars(select(OutboxMessage)).all()
    assert row.sent_at is None and row.attempts == 1 and row.last_error
    assert row.next_attempt_at > utcnow()
    assert row.next_attempt_at > started + timedelta(seconds=30)
    assert row.claimed_until is None
    assert mailbox.messages == []
    assert f"Commande {order.number}" in follow(client, response)  # the customer sees it

    assert send_due() == (0, 0)  # not due yet
    app.config["MAIL_PORT"] = smtp_server.port
    assert send_due(now=utcnow() + timedelta(minutes=2)) == (1, 0)
    assert [m["Subject"] for m in mailbox.messages] == [f"Commande {order.number} reçue"]
    row = fresh(row)
    assert row.sent_at is not None and row.attempts == 2
    assert send_due(now=utcnow() + timedelta(hours=1)) == (0, 0)
    assert len(mailbox.messages) == 1


# --- My orders and access (rule 8) ----------------------------------------------------------------


def test_my_orders_lists_only_the_customers_orders(app, client, shop, make_user, login):
    alice = make_user(email="alice@exemple.fr")
    bob = make_user(email="bob@exemple.fr")
    login(alice)
    form = checkout(client, shop.slot, [(shop.tomato, 2)], email="alice@exemple.fr")
    submit(client, form)
    alice_order = db.session.scalar(select(Order).where(Order.customer_id == alice.id))
    bob_order = place(
        shop.week,
        [(shop.basil, 1)],
        shop.slot,
        customer=bob,
        contact=Contact("Bob", "bob@exemple.fr", "0600000000"),
    )
    guest_order = place(shop.week, [(shop.basil, 1)], shop.slot)

    page = page_text(client.get("/compte/commandes"))
    assert "Mes commandes" in page
    assert alice_order.number in page and alice_order.access_token in page
    assert bob_order.number not in page and bob_order.access_token not in page
    assert guest_order.number not in page

    other = app.test_client()
    response = other.post("/compte/connexion", data={"email": bob.email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    page = page_text(other.get("/compte/commandes"))
    assert bob_order.number in page and alice_order.number not in page


def test_my_orders_needs_a_login(client):
    response = client.get("/compte/commandes")
    assert response.status_code == 302 and "/compte/connexion" in response.location


def test_unknown_order_token_is_a_404(client, shop):
    place(shop.week, [(shop.tomato, 1)], shop.slot)
    for token in ("inconnu", secrets.token_urlsafe(24), "x" * 200):
        response = client.get(f"/commande/suivi/{token}")
        assert response.status_code == 404
        assert client.post(f"/commande/suivi/{token}/annuler").status_code == 404
        assert client.post(f"/commande/suivi/{token}/modifier").status_code == 404


def test_english_speaking_guest_gets_pages_and_mails_in_english(client, shop, mailbox):
    client.post("/langue", data={"lang": "en"})
    form = checkout(client, shop.slot, [(shop.tomato, 2)])
    response = submit(client, form)
    page = follow(client, response)
    order = db.session.scalar(select(Order))
    assert order.locale == "en"
    assert f"Thank you! Your order {order.number}" in page
    message = deliver(mailbox)[0]
    assert message["Subject"] == f"Order {order.number} received"
    body = mail_text(mailbox, message)
    assert "Hello Camille Martin," in body and "Total incl. VAT" in body
    assert "Bonjour" not in body and "Total TTC" not in body


def test_a_second_cancel_with_a_stale_page_releases_nothing_twice(client, shop, make_app):
    order = place(shop.week, [(shop.tomato, 3)], shop.slot)
    stale = db.session.get(Order, order.id)  # what the first page showed: still "placed"
    other = make_app()  # another request, its own session, cancels first
    with other.app_context():
        from boutique.ordering.services import cancel_order as cancel_elsewhere

        cancel_elsewhere(db.session.get(Order, order.id), reason="Annulée")
        db.session.commit()
    with pytest.raises(OrderError, match="ne peut plus être annulée"):
        cancel_order(stale, reason="Encore")
    db.session.rollback()
    assert fresh(shop.tomato).quantity_reserved == 0
    assert fresh(shop.slot).booked == 0
    assert [e.action for e in fresh(order).events].count("cancelled") == 1


def test_a_second_confirm_with_a_stale_page_mails_once(client, shop, make_app, staff):
    order = place(shop.week, [(shop.tomato, 1)], shop.slot)
    stale = db.session.get(Order, order.id)
    other = make_app()
    with other.app_context():
        from boutique.models import User as Account
        from boutique.ordering.services import confirm_order as confirm_elsewhere

        confirm_elsewhere(db.session.get(Order, order.id), db.session.get(Account, staff.id))
        db.session.commit()
    with pytest.raises(OrderError, match="pas en attente de confirmation"):
        confirm_order(stale, staff)
    db.session.rollback()
    subjects = [m.subject for m in db.session.scalars(select(OutboxMessage))]
    assert subjects.count(f"Commande {order.number} confirmée") == 1
