"""Standing placement racing public buyers and another placement, with real threads
(SQLite file, or PostgreSQL with TEST_DATABASE_URL): nothing oversold, nothing half-written,
each standing order placed once (issue 14)."""

import re
import threading
from datetime import time, timedelta

import pytest
from sqlalchemy import event, func, select

from boutique.extensions import db
from boutique.models import (
    Offer,
    Order,
    OrderLine,
    PickupPoint,
    PickupSlot,
    SalesWeek,
    StandingOrder,
    StandingOrderLine,
    StandingPlacement,
)
from boutique.standing.services import place_standing_orders, week_monday
from tests.conftest import TEST_PASSWORD
from tests.test_concurrency import run_together, service_buyer
from tests.test_standing_pages import FORM_TOKEN, form_data


@pytest.fixture
def race_app(app, make_app):
    """The same shop with a pool big enough for every thread to hold its own connection."""
    return make_app(
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 20, "max_overflow": 0, "pool_timeout": 60}
    )


def open_week_with_standing_orders(make_product, make_week, make_user, count, each):
    product = make_product(name="Tomate", variety="Cœur de bœuf")
    week = make_week(offers=[(product, {"quantity_available": 10})])
    point = PickupPoint(name="Portail", address="Chemin des Jardins")
    slot = PickupSlot(
        week=week,
        point=point,
        day=week.closes_at.date() + timedelta(days=1),
        starts_at=time(9),
        ends_at=time(12),
        capacity=200,
        booked=0,
    )
    db.session.add_all([point, slot])
    for _ in range(count):
        standing = StandingOrder(
            customer=make_user(kind="restaurant"),
            point=point,
            payment_method="invoice",
            every_weeks=1,
            start_monday=week_monday(week),
            skip_mondays=[],
        )
        standing.lines.append(StandingOrderLine(product=product, quantity=each))
        db.session.add(standing)
    db.session.commit()
    offer = db.session.scalar(select(Offer).where(Offer.week_id == week.id))
    return week.id, offer.id, slot.id


def check_nothing_oversold_nor_half_written(offer_id):
    db.session.expire_all()
    offer = db.session.get(Offer, offer_id)
    in_lines = db.session.scalar(select(func.coalesce(func.sum(OrderLine.quantity), 0)))
    assert offer.quantity_reserved == in_lines <= offer.quantity_available
    placed = db.session.scalars(select(StandingPlacement)).all()
    assert all(p.order is None or p.order.lines for p in placed)
    assert db.session.scalar(select(func.count()).select_from(Order).where(~Order.lines.any())) == 0
    return offer, placed


def test_standing_placement_and_public_buyers_race_for_the_last_units(
    race_app, make_product, make_week, make_user
):
    week_id, offer_id, slot_id = open_week_with_standing_orders(
        make_product, make_week, make_user, count=4, each=2
    )

    buy = service_buyer(race_app, week_id, offer_id, slot_id)

    def work(index, barrier):
        if index:  # a public buyer
            return buy(index, barrier)
        with race_app.app_context():
            week = db.session.get(SalesWeek, week_id)
            barrier.wait()
            placements = place_standing_orders(week)
            db.session.commit()
            return len(placements)

    results, errors, _seconds = run_together(12, work)
    assert errors == []
    offer, placements = check_nothing_oversold_nor_half_written(offer_id)
    assert results[0] == 4 and len(placements) == 4
    public = results[1:].count("placed")
    standing_units = sum(line.quantity for p in placements if p.order for line in p.order.lines)
    assert public + standing_units == offer.quantity_reserved == 10
    # Whoever came first, every unit a standing order did not get is reported as stock.
    for placement in placements:
        got = sum(line.quantity for line in placement.order.lines) if placement.order else 0
        if got < 2:
            assert placement.report[0]["reason"] == "stock"


def test_two_placements_at_once_place_each_standing_order_once(
    race_app, make_product, make_week, make_user
):
    week_id, offer_id, _slot_id = open_week_with_standing_orders(
        make_product, make_week, make_user, count=3, each=2
    )

    def work(index, barrier):
        with race_app.app_context():
            week = db.session.get(SalesWeek, week_id)
            barrier.wait()
            placements = place_standing_orders(week)
            db.session.commit()
            return len(placements)

    results, errors, _seconds = run_together(2, work)
    assert errors == []
    assert sorted(results) == [0, 3]
    offer, placements = check_nothing_oversold_nor_half_written(offer_id)
    assert len(placements) == 3 and offer.quantity_reserved == 6
    assert db.session.scalar(select(func.count()).select_from(Order)) == 3


def test_the_same_standing_order_form_sent_twice_at_once_makes_one(race_app, standing_nursery):
    """Two tabs (one session) send one form together; both look for its token before either
    writes, so the second insert meets the unique token and finds the first (rule 10)."""
    first = race_app.test_client()
    response = first.post(
        "/compte/connexion",
        data={"email": standing_nursery.restaurant.email, "password": TEST_PASSWORD},
    )
    assert response.status_code == 302
    page = first.get("/compte/commandes-recurrentes/nouvelle").get_data(as_text=True)
    form = form_data(standing_nursery, form_token=FORM_TOKEN.search(page).group(1))
    second = race_app.test_client()
    second.set_cookie("session", first.get_cookie("session").value)
    clients = [first, second]
    with race_app.app_context():
        engine = db.engine
    lock, token_checks, both_checked, inserting = threading.Lock(), [], threading.Event(), []

    def after_execute(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and re.search(
            r"WHERE standing_order\.form_token", statement
        ):
            with lock:
                token_checks.append(threading.get_ident())
                if len(token_checks) >= 2:
                    both_checked.set()

    def before_execute(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO STANDING_ORDER "):
            with lock:
                hold = not inserting
                inserting.append(threading.get_ident())
            if hold:  # the first insert waits until the other click has looked too
                both_checked.wait(timeout=10)

    def click(index, barrier):
        barrier.wait()
        response = clients[index].post("/compte/commandes-recurrentes/nouvelle", data=form)
        return response.status_code, response.location

    event.listen(engine, "after_cursor_execute", after_execute)
    event.listen(engine, "before_cursor_execute", before_execute)
    try:
        results, errors, _seconds = run_together(2, click)
    finally:
        event.remove(engine, "after_cursor_execute", after_execute)
        event.remove(engine, "before_cursor_execute", before_execute)
    assert errors == []
    assert both_checked.is_set(), "the two clicks did not overlap"
    standings = db.session.scalars(select(StandingOrder)).all()
    assert len(standings) == 1
    assert len(db.session.scalars(select(StandingOrderLine)).all()) == 2
    assert results == [(302, f"/compte/commandes-recurrentes/#standing-{standings[0].id}")] * 2
