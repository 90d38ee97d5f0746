"""Group orders under real concurrency (DESIGN rule 1): members racing each other and the
public for the last trays, and the coordinator closing while members are still ordering.

Threads with their own app context, session and connection; SQLite, or PostgreSQL when
TEST_DATABASE_URL is set.
"""

import secrets
from datetime import timedelta

import pytest
from sqlalchemy import select

from boutique.extensions import db
from boutique.groups import services as groups
from boutique.models import GroupMember, GroupMemberLine, GroupOrder, Offer, Order, User
from tests.test_concurrency import run_together, service_buyer


@pytest.fixture
def race_app(app, make_app):
    return make_app(
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 40, "max_overflow": 0, "pool_timeout": 60}
    )


@pytest.fixture
def last_trays(make_product, make_week, make_pickup_slot, make_user):
    """3 trays of tomatoes left, an open group order and a public slot."""
    tomato = make_product(name="Tomate", variety="Marmande")
    week = make_week(offers=[(tomato, {"quantity_available": 3})])
    slot = make_pickup_slot(week, capacity=100)
    coordinator = make_user(kind="amap", organisation="AMAP des Tilleuls")
    group = groups.open_group(
        coordinator,
        week=week,
        slot_id=slot.id,
        members_deadline=week.closes_at - timedelta(hours=1),
        payment_method="invoice",
    )
    db.session.commit()
    offer = db.session.scalar(select(Offer).where(Offer.week_id == week.id))
    return week.id, offer.id, slot.id, group.token, group.id


def member_over_http(race_app, token, offer_id):
    def join(index, barrier):
        client = race_app.test_client()
        data = {
            "form_token": secrets.token_urlsafe(24),
            "name": f"Membre {index}",
            "email": f"membre{index}@exemple.fr",
            f"qty-{offer_id}": "1",
        }
        barrier.wait()
        response = client.post(f"/groupe/{token}", data=data)
        if response.status_code == 302:
            return "member"
        assert response.status_code == 200, response.status_code
        assert "Il ne reste pas assez de « Tomate Marmande »" in response.get_data(as_text=True)
        return "refused"

    return join


def test_members_and_public_buyers_race_for_the_last_three_trays(race_app, last_trays):
    week_id, offer_id, slot_id, token, _ = last_trays
    as_member = member_over_http(race_app, token, offer_id)
    as_buyer = service_buyer(race_app, week_id, offer_id, slot_id)
    results, errors, seconds = run_together(
        16, lambda index, barrier: (as_member if index % 2 else as_buyer)(index, barrier)
    )
    print(f"\n8 members and 8 buyers for 3 trays: {seconds:.2f} s")
    assert errors == []
    winners = [r for r in results if r in ("member", "placed")]
    assert len(winners) == 3 and len(results) - len(winners) == 13
    db.session.expire_all()
    assert db.session.get(Offer, offer_id).quantity_reserved == 3
    members = db.session.scalars(select(GroupMember)).all()
    lines = db.session.scalars(select(GroupMemberLine)).all()
    orders = db.session.scalars(select(Order)).all()
    assert len(members) == results.count("member") == len(lines)
    assert len(orders) == results.count("placed")
    assert sorted(m.number for m in members) == list(range(1, len(members) + 1))


def test_closing_while_members_order_leaves_nobody_half_in(race_app, last_trays):
    """The coordinator closes as members send their parts: each part is either in the
    AMAP's order or refused with a message, and the stock adds up."""
    week_id, offer_id, slot_id, token, group_id = last_trays
    as_member = member_over_http(race_app, token, offer_id)

    def close(index, barrier):
        with race_app.app_context():
            group = db.session.get(GroupOrder, group_id)
            coordinator = db.session.get(User, group.coordinator_id)
            barrier.wait()
            groups.close_group(group, actor=coordinator)
            db.session.commit()
            return "closed"

    def work(index, barrier):
        if index == 0:
            return close(index, barrier)
        try:
            return as_member(index, barrier)
        except AssertionError:
            return "closed-refused"

    results, errors, _ = run_together(6, work)
    assert errors == []
    db.session.expire_all()
    group = db.session.get(GroupOrder, group_id)
    members = db.session.scalars(select(GroupMember)).all()
    reserved = db.session.get(Offer, offer_id).quantity_reserved
    if group.order is None:  # closed before anyone got in
        assert members == [] and reserved == 0 and group.status == "cancelled"
    else:
        assert sum(line.quantity for line in group.order.lines) == len(members) == reserved
        assert all(line.order_line_id for m in members for line in m.lines)
