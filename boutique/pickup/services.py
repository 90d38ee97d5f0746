"""Pick-up points and slots: copying templates into a week, resizing, closing."""

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import case, select, update
from sqlalchemy.orm import contains_eager, selectinload

from ..extensions import db
from ..models import PickupPoint, PickupSlot, SlotTemplate
from ..transactions import lock_week


class SlotError(ValueError):
    """A rule refused the change; the message is for the user."""


def points(active_only=False):
    query = select(PickupPoint).options(selectinload(PickupPoint.templates))
    if active_only:
        query = query.where(PickupPoint.active.is_(True))
    return db.session.scalars(query.order_by(PickupPoint.position, PickupPoint.name)).all()


def week_slots(week, kind=None):
    """The week's slots with their point, in time order; only points open to `kind` if given."""
    query = (
        select(PickupSlot)
        .join(PickupSlot.point)
        .options(contains_eager(PickupSlot.point))
        .where(PickupSlot.week_id == week.id)
        .order_by(PickupPoint.position, PickupPoint.name, PickupSlot.day, PickupSlot.starts_at)
    )
    if kind is not None:
        query = query.where(PickupPoint.active.is_(True), getattr(PickupPoint, f"for_{kind}"))
    return db.session.scalars(query).all()


def create_slots_from_templates(week):
    """Add a slot for each template whose weekday is one of the week's pick-up days.

    Slots that already exist (same point, day and start) are left alone; returns the count added.
    """
    existing = {
        (slot.point_id, slot.day, slot.starts_at)
        for slot in db.session.scalars(select(PickupSlot).where(PickupSlot.week_id == week.id))
    }
    days = [date.fromisoformat(d) for d in week.pickup_dates]
    added = 0
    for point in points(active_only=True):
        for template in point.templates:
            for day in days:
                key = (point.id, day, template.starts_at)
                if day.weekday() != template.weekday or key in existing:
                    continue
                db.session.add(
                    PickupSlot(
                        week=week,
                        point=point,
                        day=day,
                        starts_at=template.starts_at,
                        ends_at=template.ends_at,
                        capacity=template.capacity,
                        booked=0,
                    )
                )
                existing.add(key)
                added += 1
    db.session.flush()
    return added


def add_slot(week, point, day, starts_at, ends_at, capacity):
    if ends_at <= starts_at:
        raise SlotError(_("La fin du créneau doit suivre son début."))
    slot = PickupSlot(
        week=week,
        point=point,
        day=day,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        booked=0,
    )
    db.session.add(slot)
    db.session.flush()
    return slot


def resize_slot(slot, capacity):
    """Change a slot's capacity; never below the orders already booked in it."""
    lock_week(slot.week_id)  # rule 9
    result = db.session.execute(
        update(PickupSlot)
        .where(PickupSlot.id == slot.id, PickupSlot.booked <= capacity)
        .values(capacity=capacity)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(slot)
    if result.rowcount != 1:
        raise SlotError(
            _(
                "%(booked)d commandes sont déjà prévues sur ce créneau : "
                "la capacité ne peut pas descendre à %(capacity)d.",
                booked=slot.booked,
                capacity=capacity,
            )
        )


def reserve_place(slot_id):
    """Take one place in a slot if it is open and has room; True on success (rule 1)."""
    return reserve_places(slot_id, 1)


def reserve_places(slot_id, count):
    """Take `count` places in an open slot if they all fit; True on success. One statement."""
    result = db.session.execute(
        update(PickupSlot)
        .where(
            PickupSlot.id == slot_id,
            PickupSlot.closed.is_(False),
            PickupSlot.booked + count <= PickupSlot.capacity,
        )
        .values(booked=PickupSlot.booked + count)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def release_place(slot_id):
    release_places(slot_id, 1)


def release_places(slot_id, count):
    """Give back `count` places of a slot (never below zero). One statement."""
    db.session.execute(
        update(PickupSlot)
        .where(PickupSlot.id == slot_id, PickupSlot.booked > 0)
        .values(booked=case((PickupSlot.booked > count, PickupSlot.booked - count), else_=0))
        .execution_options(synchronize_session=False)
    )


def save_point(point, data):
    for name in (
        "name",
        "address",
        "instructions",
        "instructions_en",
        "for_individual",
        "for_restaurant",
        "for_amap",
        "is_delivery",
        "active",
        "position",
    ):
        if name in data:
            setattr(point, name, data[name])
    if point.id is None:
        db.session.add(point)
    db.session.flush()
    return point


def add_template(point, weekday, starts_at, ends_at, capacity):
    if ends_at <= starts_at:
        raise SlotError(_("La fin du créneau doit suivre son début."))
    template = SlotTemplate(
        point=point, weekday=weekday, starts_at=starts_at, ends_at=ends_at, capacity=capacity
    )
    db.session.add(template)
    db.session.flush()
    return template


def delete_template(template):
    """Week slots are copies of templates, not links: they stay as they are."""
    db.session.delete(template)
    db.session.flush()


def slots_by_point(slots):
    """[(point, [slots])] keeping the slots' order (points by position, then time)."""
    groups = []
    for slot in slots:
        if not groups or groups[-1][0].id != slot.point_id:
            groups.append((slot.point, []))
        groups[-1][1].append(slot)
    return groups
