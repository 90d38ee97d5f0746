"""Real parallel buyers (DESIGN rule 1: no oversell, ever).

Each thread pushes its own app context, so it has its own database session and connection,
on the test database (a SQLite file, or PostgreSQL when TEST_DATABASE_URL is set). A barrier
releases them together at the point where they compete.
"""

import re
import secrets
import threading
import time
import traceback
from datetime import date
from datetime import time as clock

import pytest
from sqlalchemy import event, func, select

from boutique.extensions import db
from boutique.models import Offer, Order, OutboxMessage, PickupPoint, PickupSlot, SalesWeek
from boutique.ordering.services import Contact, OrderError, place_order
from tests.conftest import page_text

TOKEN_INPUT = re.compile(r'<input[^>]*name="checkout_token"[^>]*value="([A-Za-z0-9_-]{20,64})"')
BARRIER_TIMEOUT = 60


@pytest.fixture
def race_app(app, make_app):
    """The same shop with a pool big enough for every buyer to hold its own connection."""
    return make_app(
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 40, "max_overflow": 0, "pool_timeout": 60}
    )


@pytest.fixture
def stall(make_product, make_week):
    """One product this week, and a slot; returns a function setting stock and capacity."""

    def make(quantity_available, capacity, name="Tomate"):
        product = make_product(name=name, variety="Cœur de bœuf", price_individual_cents=250)
        week = make_week(offers=[(product, {"quantity_available": quantity_available})])
        point = PickupPoint(name="Portail de la pépinière", address="Chemin des Jardins")
        slot = PickupSlot(
            week=week,
            point=point,
            day=date.fromisoformat(week.pickup_dates[0]),
            starts_at=clock(9),
            ends_at=clock(12),
            capacity=capacity,
            booked=0,
        )
        db.session.add_all([point, slot])
        db.session.commit()
        offer = db.session.scalar(select(Offer).where(Offer.week_id == week.id))
        return week.id, offer.id, slot.id

    return make


def run_together(count, work):
    """Run work(index, barrier) in `count` threads; returns (results, errors, seconds)."""
    barrier = threading.Barrier(count, timeout=BARRIER_TIMEOUT)
    results, errors = [None] * count, []

    def runner(index):
        try:
            results[index] = work(index, barrier)
        except BaseException:  # any exception is a failure of the test, reported below
            errors.append(traceback.format_exc())
            barrier.abort()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=3 * BARRIER_TIMEOUT)
    elapsed = time.perf_counter() - started
    assert not any(thread.is_alive() for thread in threads), "a buyer is stuck"
    return results, errors, elapsed


def totals(offer_id, slot_id):
    db.session.expire_all()
    offer = db.session.get(Offer, offer_id)
    slot = db.session.get(PickupSlot, slot_id)
    orders = db.session.scalars(select(Order)).all()
    return offer, slot, orders


def service_buyer(race_app, week_id, offer_id, slot_id):
    """A buyer calling place_order in its own app context; 'placed' or the refusal message."""

    def buy(index, barrier):
        with race_app.app_context():
            week = db.session.get(SalesWeek, week_id)  # own session, own connection
            barrier.wait()
            try:
                place_order(
                    week=week,
                    items={offer_id: 1},
                    slot_id=slot_id,
                    payment_method="on_pickup",
                    contact=Contact(f"Client {index}", f"client{index}@exemple.fr", "0600000000"),
                    kind="individual",
                    checkout_token=secrets.token_urlsafe(24),
                )
                db.session.commit()
            except OrderError as refusal:
                db.session.rollback()
                return str(refusal)
            return "placed"

    return buy


def test_thirty_buyers_race_for_the_last_ten_units(race_app, stall):
    week_id, offer_id, slot_id = stall(quantity_available=10, capacity=100)
    results, errors, seconds = run_together(30, service_buyer(race_app, week_id, offer_id, slot_id))
    print(f"\n30 buyers for 10 units: {seconds:.2f} s")
    assert errors == []
    refusals = [r for r in results if r != "placed"]
    assert results.count("placed") == 10 and len(refusals) == 20
    assert all(r.startswith("Il ne reste pas assez de « Tomate Cœur de bœuf »") for r in refusals)
    offer, slot, orders = totals(offer_id, slot_id)
    assert offer.quantity_reserved == offer.quantity_available == 10
    assert slot.booked == 10
    assert len(orders) == 10
    assert len({order.number for order in orders}) == 10
    assert sorted(int(order.number[-3:]) for order in orders) == list(range(1, 11))
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 10


def test_twenty_buyers_race_for_the_last_five_places_of_a_slot(race_app, stall):
    week_id, offer_id, slot_id = stall(quantity_available=None, capacity=5, name="Basilic")
    results, errors, seconds = run_together(20, service_buyer(race_app, week_id, offer_id, slot_id))
    print(f"\n20 buyers for 5 places: {seconds:.2f} s")
    assert errors == []
    refusals = [r for r in results if r != "placed"]
    assert results.count("placed") == 5 and len(refusals) == 15
    assert set(refusals) == {"Ce créneau vient d'être complet : choisissez-en un autre."}
    offer, slot, orders = totals(offer_id, slot_id)
    assert slot.booked == slot.capacity == 5
    assert len(orders) == 5
    assert offer.quantity_reserved == 5  # the refused buyers' units went back


def order_form(client, offer_id, slot_id, index, quantity=1):
    """Basket, then the checkout page (its checkout token): returns the form "Commander"
    sends, filled in."""
    response = client.post(
        "/panier/ajouter", data={"offer_id": str(offer_id), "quantity": str(quantity)}
    )
    assert response.status_code == 302
    response = client.get("/commande")
    assert response.status_code == 200, response.location
    return {
        "name": f"Client {index}",
        "email": f"client{index}@exemple.fr",
        "phone": "06 00 00 00 00",
        "slot": str(slot_id),
        "payment_method": "on_pickup",
        "accept_terms": "y",
        "checkout_token": TOKEN_INPUT.search(response.get_data(as_text=True)).group(1),
    }


def submit(client, form):
    """"Commander": the whole form posted to /commande."""
    return client.post("/commande", data=form)


def test_thirty_customers_check_out_over_http_for_the_last_ten_units(race_app, stall):
    week_id, offer_id, slot_id = stall(quantity_available=10, capacity=100)

    def customer(index, barrier):
        client = race_app.test_client()
        form = order_form(client, offer_id, slot_id, index)
        barrier.wait()
        response = submit(client, form)
        if response.status_code != 302:
            return response.status_code, None, page_text(response)[-2000:]
        return 302, response.location, page_text(client.get(response.location))

    results, errors, seconds = run_together(30, customer)
    print(f"\n30 HTTP checkouts for 10 units: {seconds:.2f} s")
    assert errors == []
    assert {status for status, _, _ in results} == {302}, [r for r in results if r[0] != 302]
    placed = [r for r in results if r[1].startswith("/commande/suivi/")]
    refused = [r for r in results if r[1] == "/panier"]
    assert len(placed) == 10 and len(refused) == 20
    for _, _, page in placed:
        assert "Merci ! Votre commande S" in page
    for _, _, page in refused:  # refused as it reserved, or by the basket check just before
        assert (
            "Il ne reste pas assez de « Tomate Cœur de bœuf » pour votre commande" in page
            and "Votre panier est conservé" in page
        ) or (
            "Corrigez votre panier avant de commander." in page
            and "« Tomate Cœur de bœuf » est épuisé." in page
        ), page[-2000:]
    offer, slot, orders = totals(offer_id, slot_id)
    assert offer.quantity_reserved == offer.quantity_available == 10
    assert slot.booked == 10 and len(orders) == 10
    assert {f"/commande/suivi/{o.access_token}" for o in orders} == {r[1] for r in placed}


def twin_clients(race_app, offer_id, slot_id):
    """Two browser tabs of one visitor: the same session cookie, one checkout page."""
    first = race_app.test_client()
    form = order_form(first, offer_id, slot_id, 0)
    second = race_app.test_client()
    second.set_cookie("session", first.get_cookie("session").value)
    return [first, second], form


def test_parallel_double_click_makes_one_order(race_app, stall):
    week_id, offer_id, slot_id = stall(quantity_available=20, capacity=10)
    clients, form = twin_clients(race_app, offer_id, slot_id)

    def click(index, barrier):
        barrier.wait()
        response = submit(clients[index], form)
        return response.status_code, response.location

    results, errors, _ = run_together(2, click)
    assert errors == []
    offer, slot, orders = totals(offer_id, slot_id)
    assert len(orders) == 1
    assert results == [(302, f"/commande/suivi/{orders[0].access_token}")] * 2
    assert offer.quantity_reserved == 1 and slot.booked == 1


def test_double_click_on_the_last_unit_shows_the_order_not_an_error(race_app, stall):
    """The second click checks for an order with its token before the first one commits, then
    waits for the first click's lock. Whatever it finds then, the customer must land on their
    order, not on "someone took the last ones"."""
    week_id, offer_id, slot_id = stall(quantity_available=1, capacity=10)
    clients, form = twin_clients(race_app, offer_id, slot_id)
    with race_app.app_context():
        engine = db.engine
    lock, token_checks, both_checked = threading.Lock(), [], threading.Event()
    inserting = []

    def after_execute(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and re.search(
            r"WHERE customer_order\.checkout_token", statement
        ):
            with lock:
                token_checks.append(threading.get_ident())
                if len(token_checks) >= 2:
                    both_checked.set()

    def before_execute(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO CUSTOMER_ORDER"):
            with lock:
                first = not inserting
                inserting.append(threading.get_ident())
            if first:  # hold the first order (and its stock) until the other click has looked
                both_checked.wait(timeout=10)

    event.listen(engine, "after_cursor_execute", after_execute)
    event.listen(engine, "before_cursor_execute", before_execute)
    try:

        def click(index, barrier):
            barrier.wait()
            response = submit(clients[index], form)
            page = page_text(clients[index].get(response.location))
            return response.status_code, response.location, page

        results, errors, _ = run_together(2, click)
    finally:
        event.remove(engine, "after_cursor_execute", after_execute)
        event.remove(engine, "before_cursor_execute", before_execute)
    assert errors == []
    assert both_checked.is_set(), "the two clicks did not overlap"
    offer, slot, orders = totals(offer_id, slot_id)
    assert len(orders) == 1 and offer.quantity_reserved == 1 and slot.booked == 1
    order_page = f"/commande/suivi/{orders[0].access_token}"
    flashes = [re.findall(r'<p class="flash[^"]*">([^<]*)</p>', page) for _, _, page in results]
    assert [(status, location) for status, location, _ in results] == [(302, order_page)] * 2, (
        flashes
    )
