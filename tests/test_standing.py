"""Standing weekly orders (issue 14): placing them when a week opens, idempotent, capped,
skips and pauses honoured, short lines reported and mailed; the customer's pages."""

from datetime import time, timedelta

import pytest
from sqlalchemy import func, select, update

from boutique.extensions import db
from boutique.models import (
    Offer,
    Order,
    OrderEvent,
    OutboxMessage,
    PickupSlot,
    StandingPlacement,
    utcnow,
)
from boutique.outbox import send_due
from boutique.standing.services import engaged_demand, place_standing_orders
from boutique.weeks.services import publish_week
from tests.conftest import page_words


def offer_of(week, product):
    db.session.expire_all()
    return db.session.scalar(
        select(Offer).where(Offer.week_id == week.id, Offer.product_id == product.id)
    )


def publish(week):
    placements = publish_week(week)
    db.session.commit()
    return placements


# --- Placing -------------------------------------------------------------------------------


def test_publishing_places_the_standing_order_before_the_public(
    standing_nursery, make_standing, mailbox
):
    standing = make_standing()
    placements = publish(standing_nursery.week)
    assert len(placements) == 1
    order = db.session.scalar(select(Order))
    assert order.status == "placed" and order.customer_id == standing_nursery.restaurant.id
    assert order.number.startswith(f"S{standing_nursery.week.iso_week.week:02d}-")
    assert order.customer_kind == "restaurant" and order.payment_method == "invoice"
    assert {line.product_name: line.quantity for line in order.lines} == {
        "Tomate Cœur de bœuf": 4,
        "Poireau Bleu de Solaise": 2,
    }
    assert order.lines[0].unit_price_cents in (190,)  # the restaurant's price, frozen
    assert order.slot_id == standing_nursery.slot.id
    assert offer_of(standing_nursery.week, standing_nursery.tomato).quantity_reserved == 4
    event = db.session.scalar(select(OrderEvent).where(OrderEvent.order_id == order.id))
    assert event.action == "standing_placed" and event.details["standing_id"] == standing.id
    # Published and placed in one unit of work: the week opens with the order in it.
    assert standing_nursery.week.status == "published" and standing_nursery.week.opens_at > utcnow()
    send_due()
    (mail,) = mailbox.messages
    assert mail["To"] == "chef@bistrot.fr"
    assert "commande récurrente" in mail["Subject"]
    body = mailbox.body(mail)
    assert order.number in body and "/commande/suivi/" in body
    assert f"/compte/commandes-recurrentes/{standing.id}" in body


def test_placing_twice_places_nothing_twice(standing_nursery, make_standing, runner, mailbox):
    make_standing()
    publish(standing_nursery.week)
    assert place_standing_orders(standing_nursery.week) == []
    db.session.commit()
    result = runner.invoke(args=["standing", "place", str(standing_nursery.week.id)])
    assert result.exit_code == 0, result.output
    assert "0 standing orders placed" in result.output
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1
    assert db.session.scalar(select(func.count()).select_from(StandingPlacement)) == 1
    assert offer_of(standing_nursery.week, standing_nursery.tomato).quantity_reserved == 4
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_the_cli_places_a_standing_order_made_after_publishing(
    standing_nursery, make_standing, runner
):
    publish(standing_nursery.week)
    make_standing()
    result = runner.invoke(args=["standing", "place", standing_nursery.week.label])
    assert result.exit_code == 0, result.output
    assert "1 standing orders placed" in result.output
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1
    assert runner.invoke(args=["standing", "place", "Semaine 99"]).exit_code == 2


def test_lines_are_capped_by_stock_and_the_per_order_maximum_oldest_first(
    standing_nursery, make_standing, make_user, mailbox
):
    first = make_standing(
        lines=[(standing_nursery.tomato, 8), (standing_nursery.leek, 1)]
    )  # max 6 per order
    second = make_standing(
        customer=make_user(kind="restaurant"), lines=[(standing_nursery.tomato, 6)]
    )
    publish(standing_nursery.week)
    placements = {p.standing_id: p for p in db.session.scalars(select(StandingPlacement)).all()}
    assert placements[first.id].report == [
        {"product": "Tomate Cœur de bœuf", "asked": 8, "placed": 6, "reason": "max_per_order"}
    ]
    assert placements[second.id].report == [
        {"product": "Tomate Cœur de bœuf", "asked": 6, "placed": 4, "reason": "stock"}
    ]
    tomato = offer_of(standing_nursery.week, standing_nursery.tomato)
    assert tomato.quantity_reserved == tomato.quantity_available == 10
    send_due()
    bodies = {m["To"]: mailbox.body(m) for m in mailbox.messages}
    assert (
        "Tomate Cœur de bœuf : 6 sur 8 (au plus 6 par commande cette semaine)"
        in bodies["chef@bistrot.fr"]
    )
    assert (
        "Tomate Cœur de bœuf : 4 sur 6 (pas assez en stock cette semaine)"
        in bodies[second.customer.email]
    )


def test_a_product_no_longer_sold_is_skipped_and_reported(standing_nursery, make_standing, mailbox):
    standing = make_standing(lines=[(standing_nursery.basil, 3), (standing_nursery.leek, 2)])
    publish(standing_nursery.week)
    placement = db.session.scalar(select(StandingPlacement))
    assert placement.report == [
        {"product": "Basilic Grand vert", "asked": 3, "placed": 0, "reason": "not_offered"}
    ]
    assert [line.product_name for line in placement.order.lines] == ["Poireau Bleu de Solaise"]
    assert placement.standing_id == standing.id
    send_due()
    assert "Basilic Grand vert : 0 sur 3 (pas proposé cette semaine)" in mailbox.body(
        mailbox.messages[0]
    )


def test_nothing_placeable_writes_a_placement_without_order_and_mails(
    standing_nursery, make_standing, mailbox
):
    make_standing(lines=[(standing_nursery.basil, 3)])
    publish(standing_nursery.week)
    placement = db.session.scalar(select(StandingPlacement))
    assert placement.order is None and placement.report[0]["reason"] == "not_offered"
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0
    send_due()
    (mail,) = mailbox.messages
    assert "n'a pas pu être passée" in mail["Subject"]
    assert "Basilic Grand vert : 0 sur 3" in mailbox.body(mail)


@pytest.mark.parametrize(
    "fields",
    [
        {"skip_mondays": ["MONDAY"]},
        {"paused_until": "MONDAY"},
        {"staff_paused": True, "staff_pause_reason": "Factures impayées"},
        {"end_monday": "MONDAY-1W", "start_monday": "MONDAY-3W"},
        {"every_weeks": 2, "start_monday": "MONDAY-1W"},
        {"start_monday": "MONDAY+1W"},
        {"ended_at": "NOW"},
    ],
    ids=[
        "skipped",
        "paused",
        "staff-paused",
        "ended-before",
        "odd-week",
        "starts-later",
        "stopped",
    ],
)
def test_weeks_not_due_are_not_placed(standing_nursery, make_standing, fields):
    def value(text):
        if text == "NOW":
            return utcnow()
        if isinstance(text, str) and text.startswith("MONDAY"):
            shift = {"": 0, "-1W": -7, "-3W": -21, "+1W": 7}[text[6:]]
            return standing_nursery.monday + timedelta(days=shift)
        return text

    values = {
        k: ([value(x) for x in v] if isinstance(v, list) else value(v)) for k, v in fields.items()
    }
    if "skip_mondays" in values:
        values["skip_mondays"] = [d.isoformat() for d in values["skip_mondays"]]
    make_standing(**values)
    assert engaged_demand(standing_nursery.week) == {}
    assert publish(standing_nursery.week) == []
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0


def test_every_two_weeks_is_placed_on_its_weeks(standing_nursery, make_standing):
    make_standing(every_weeks=2, start_monday=standing_nursery.monday - timedelta(days=14))
    assert len(publish(standing_nursery.week)) == 1


def test_a_full_slot_falls_back_to_another_of_the_point_then_to_none(
    standing_nursery, make_standing, make_user
):
    standing_nursery.slot.capacity = 1
    other = PickupSlot(
        week=standing_nursery.week,
        point=standing_nursery.point,
        day=standing_nursery.slot.day,
        starts_at=time(9),
        ends_at=time(11),
        capacity=1,
        booked=0,
    )
    db.session.add(other)
    db.session.commit()
    for _ in range(3):
        make_standing(customer=make_user(kind="restaurant"), lines=[(standing_nursery.leek, 1)])
    publish(standing_nursery.week)
    orders = db.session.scalars(select(Order).order_by(Order.id)).all()
    assert [o.slot_id for o in orders] == [standing_nursery.slot.id, other.id, None]
    assert orders[2].preferred_point_id == standing_nursery.point.id
    assert orders[2].preferred_day == standing_nursery.slot.day


def test_if_the_batched_guarded_statements_refuse_each_order_is_taken_alone(
    standing_nursery, make_standing, make_user, monkeypatch
):
    """The stock and places are taken for all the standing orders in one guarded statement
    per offer and per slot. If one ever refuses (a writer that did not take the week's lock),
    they are taken order by order, oldest first: never oversold, the others go without."""
    from boutique.standing import services

    read_stock = services._read_stock

    def stale(week):  # the memory of the week says more than the rows hold
        stock = read_stock(week)
        tomato = stock.offers[standing_nursery.tomato.id]
        stock.left[tomato.id] = 50
        stock.booked[standing_nursery.slot.id] = 0
        return stock

    monkeypatch.setattr(services, "_read_stock", stale)
    standing_nursery.slot.capacity = 2
    db.session.commit()
    customers = [make_user(kind="restaurant") for _ in range(3)]
    standings = [
        make_standing(customer=c, lines=[(standing_nursery.tomato, 6), (standing_nursery.leek, 1)])
        for c in customers
    ]
    db.session.execute(
        update(PickupSlot).where(PickupSlot.id == standing_nursery.slot.id).values(booked=1)
    )
    db.session.commit()
    publish(standing_nursery.week)
    placements = [
        db.session.scalar(select(StandingPlacement).where(StandingPlacement.standing_id == s.id))
        for s in standings
    ]
    orders = [placement.order for placement in placements]
    assert [[(line.product_name, line.quantity) for line in o.lines] for o in orders] == [
        [("Tomate Cœur de bœuf", 6), ("Poireau Bleu de Solaise", 1)],
        [("Poireau Bleu de Solaise", 1)],  # 4 tomatoes left, 6 asked: none taken
        [("Poireau Bleu de Solaise", 1)],
    ]
    assert placements[1].report == [
        {"product": "Tomate Cœur de bœuf", "asked": 6, "placed": 0, "reason": "stock"}
    ]
    tomato = offer_of(standing_nursery.week, standing_nursery.tomato)
    assert tomato.quantity_reserved == 6 <= tomato.quantity_available
    # One place was left in the slot: the oldest gets it, the others are placed without one.
    assert [o.slot_id for o in orders] == [standing_nursery.slot.id, None, None]
    assert orders[1].preferred_day == standing_nursery.slot.day
    assert db.session.get(PickupSlot, standing_nursery.slot.id).booked == 2


def test_an_invoice_no_longer_allowed_is_refused_and_reported(
    standing_nursery, make_standing, mailbox
):
    standing = make_standing()
    standing.customer.pro_status = "revoked"
    db.session.commit()
    publish(standing_nursery.week)
    placement = db.session.scalar(select(StandingPlacement))
    assert placement.order is None
    assert placement.report[0]["reason"] == "refused"
    assert "n'est plus proposé" in placement.report[0]["message"]
    assert offer_of(standing_nursery.week, standing_nursery.tomato).quantity_reserved == 0


def test_the_grid_shows_the_engaged_demand(standing_nursery, make_standing, staff_client):
    make_standing()
    assert engaged_demand(standing_nursery.week) == {
        standing_nursery.tomato.id: 4,
        standing_nursery.leek.id: 2,
    }
    response = staff_client.get(f"/gestion/semaines/{standing_nursery.week.id}")
    assert response.status_code == 200
    row = page_words(response).split("Tomate Cœur de bœuf", 1)[1]
    assert "récurrentes : 4" in row.split("Poireau")[0]
    publish(standing_nursery.week)
    assert engaged_demand(standing_nursery.week) == {}


def test_the_outbox_worker_places_a_standing_order_made_after_publishing(
    standing_nursery, make_standing, runner
):
    publish(standing_nursery.week)
    make_standing()
    result = runner.invoke(args=["outbox", "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "1 standing orders placed." in result.output
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1
    again = runner.invoke(args=["outbox", "worker", "--once"])
    assert "standing orders placed" not in again.output
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1
