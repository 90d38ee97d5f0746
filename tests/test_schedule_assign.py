"""The assignment of orders to pick-up slots, as a pure function, with random inputs."""

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from boutique.models import CUSTOMER_KINDS
from boutique.pickup.schedule import ALL_FULL, NO_SLOT_FOR_KIND, OrderSpec, SlotSpec, assign

MONDAY = date(2026, 11, 30)
T0 = datetime(2026, 11, 23, 8, tzinfo=UTC)

kinds = st.sampled_from(CUSTOMER_KINDS)


@st.composite
def scenarios(draw):
    points = draw(
        st.lists(st.frozensets(kinds, min_size=1), min_size=1, max_size=4)
    )  # each point: the kinds it accepts
    slots = []
    for slot_id in range(1, draw(st.integers(1, 12)) + 1):
        point_id = draw(st.integers(0, len(points) - 1))
        capacity = draw(st.integers(1, 6))
        slots.append(
            SlotSpec(
                id=slot_id,
                point_id=point_id,
                day=MONDAY + timedelta(days=draw(st.integers(0, 2))),
                starts_at=time(draw(st.sampled_from([9, 12, 16]))),
                capacity=capacity,
                booked=draw(st.integers(0, capacity)),
                kinds=points[point_id],
                open=draw(st.booleans()) or draw(st.booleans()),
            )
        )
    orders = [
        OrderSpec(
            id=order_id,
            kind=draw(kinds),
            created_at=T0 + timedelta(minutes=draw(st.integers(0, 50))),
            preferred_point_id=draw(st.none() | st.integers(0, len(points) - 1)),
            preferred_day=draw(st.none() | st.just(MONDAY + timedelta(days=1))),
        )
        for order_id in range(1, draw(st.integers(0, 40)) + 1)
    ]
    return slots, orders


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_assignment_properties(scenario):
    slots, orders = scenario
    result = assign(slots, orders)
    by_id = {slot.id: slot for slot in slots}

    # Every order is placed once or reported, never both, never dropped.
    assert set(result.placed) | set(result.unplaced) == {o.id for o in orders}
    assert not set(result.placed) & set(result.unplaced)
    # Never above a capacity; only open slots of a point that accepts the customer's kind.
    for slot in slots:
        placed_here = sum(1 for s in result.placed.values() if s == slot.id)
        assert slot.booked + placed_here <= slot.capacity
    kind_of = {o.id: o.kind for o in orders}
    for order_id, slot_id in result.placed.items():
        assert by_id[slot_id].open and kind_of[order_id] in by_id[slot_id].kinds
    # A reason is true: no open slot for the kind, or none left with room.
    for order_id, reason in result.unplaced.items():
        possible = [s for s in slots if s.open and kind_of[order_id] in s.kinds]
        if reason == NO_SLOT_FOR_KIND:
            assert possible == []
        else:
            assert reason == ALL_FULL and possible
            used = {s: sum(1 for v in result.placed.values() if v == s) for s in by_id}
            assert all(s.booked + used[s.id] >= s.capacity for s in possible)
    # Same input, same output, whatever the order the lists come in.
    again = assign(list(reversed(slots)), list(reversed(orders)))
    assert again.placed == result.placed and again.unplaced == result.unplaced


def slot(slot_id, point_id=1, day=MONDAY, hour=16, capacity=10, booked=0, kinds=CUSTOMER_KINDS):
    return SlotSpec(slot_id, point_id, day, time(hour), capacity, booked, frozenset(kinds))


def order(order_id, kind="individual", minutes=0, point=None, day=None):
    return OrderSpec(order_id, kind, T0 + timedelta(minutes=minutes), point, day)


def test_preferred_point_then_day_then_least_loaded():
    slots = [
        slot(1, point_id=1, capacity=10, booked=5),
        slot(2, point_id=1, capacity=10, booked=1),
        slot(3, point_id=2, day=MONDAY + timedelta(days=1), capacity=10, booked=9),
        slot(4, point_id=2, capacity=10, booked=0),
    ]
    result = assign(
        slots,
        [order(1), order(2, point=2), order(3, point=2, day=MONDAY + timedelta(days=1))],
    )
    assert result.placed == {1: 4, 2: 4, 3: 3}


def test_first_come_first_served_when_places_run_out():
    result = assign(
        [slot(1, capacity=2)], [order(3, minutes=1), order(2, minutes=2), order(1, minutes=5)]
    )
    assert result.placed == {3: 1, 2: 1}
    assert result.unplaced == {1: ALL_FULL}


def test_points_only_take_the_kinds_they_allow():
    result = assign(
        [slot(1, kinds=("restaurant",)), slot(2, point_id=2, kinds=("individual",))],
        [order(1, kind="amap"), order(2, kind="restaurant"), order(3)],
    )
    assert result.placed == {2: 1, 3: 2}
    assert result.unplaced == {1: NO_SLOT_FOR_KIND}


def test_closed_slots_take_nothing():
    closed = SlotSpec(1, 1, MONDAY, time(9), 10, 0, frozenset(CUSTOMER_KINDS), open=False)
    assert assign([closed], [order(1)]).unplaced == {1: NO_SLOT_FOR_KIND}
