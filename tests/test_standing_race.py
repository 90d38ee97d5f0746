"""Standing placement racing public buyers and another placement, with real threads
(SQLite file, or PostgreSQL with TEST_DATABASE_URL): nothing oversold, nothing half-written,
each standing order placed once (issue 14)."""

import secrets
from datetime import time, timedelta

import pytest
from sqlalchemy import func, select

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
from boutique.ordering.services import Contact, OrderError, place_order
from boutique.standing.services import place_standing_orders, week_monday
from tests.test_concurrency import run_together


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

    def work(index, barrier):
        with race_app.app_context():
            week = db.session.get(SalesWeek, week_id)
            barrier.wait()
            if index == 0:
                placements = place_standing_orders(week)
                db.session.commit()
                return len(placements)
            try:
                place_order(
                    week=week,
                    items={offer_id: 1},
                    slot_id=slot_id,
                    payment_method="on_pickup",
                    contact=Contact(f"Client {index}", f"public{index}@exemple.fr", "0600000000"),
                    kind="individual",
                    checkout_token=secrets.token_urlsafe(24),
                )
                db.session.commit()
            except OrderError:
                db.session.rollback()
                return "refused"
            return "placed"

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
