"""The storefront's details (issue 13, part 9): what a customer reads on cards and orders."""

from datetime import timedelta

from boutique.extensions import db
from boutique.ordering.services import Contact, place_order
from tests.conftest import page_words


def test_cards_say_how_few_are_left_and_the_per_order_maximum(client, make_product, make_week):
    make_week(
        offers=[
            (make_product(name="Tomate", variety="Cerise"), {"quantity_available": 3}),
            (
                make_product(name="Basilic", variety="Grand vert"),
                {"quantity_available": 40, "max_per_order": 5},
            ),
        ]
    )
    page = page_words(client.get("/"))
    assert "Plus que 3" in page and "3 disponibles" not in page
    assert "40 disponibles" in page and "5 au plus par commande" in page


def test_a_closed_week_shows_no_stock_and_says_when_the_next_opens(
    client, make_product, make_week
):
    make_week(
        label="Semaine 48",
        opens_in=timedelta(days=-5),
        duration=timedelta(days=2),
        offers=[(make_product(name="Tomate"), {"quantity_available": 36, "max_per_order": 5})],
    )
    make_week(label="Semaine 49", status="published", opens_in=timedelta(days=2))
    page = page_words(client.get("/"))
    assert "Les commandes sont fermées" in page and "Prochaine ouverture" in page
    assert "disponible" not in page and "au plus par commande" not in page


def test_my_orders_give_the_pick_up_day_the_total_and_the_state(
    client, make_user, login, make_product, make_week, make_pickup_slot
):
    alice = make_user(email="alice@exemple.fr")
    tomato = make_product(name="Tomate", variety="Cerise", price_individual_cents=250)
    week = make_week(offers=[tomato])
    slot = make_pickup_slot(week)
    order = place_order(
        week=week,
        items={week.offers[0].id: 4},
        slot_id=slot.id,
        payment_method="on_pickup",
        contact=Contact("Alice Martin", alice.email, "06 11 22 33 44"),
        kind="individual",
        customer=alice,
        checkout_token="token-my-orders-total",
    )
    db.session.commit()
    login(alice)
    page = page_words(client.get("/compte/commandes"))
    assert f"{order.number} " in page and "10,00 €" in page and "Reçue" in page
    day = slot.day
    assert str(day.day) in page and "Portail" in page
    assert "Commande Retrait Total État Factures" in page  # the columns
