"""The order's state changes that more than one feature makes: stock and places taken and given
back, the order's row locked and re-read, and the moves a card payment causes (paid, expired,
revived).

Ordering, payments and the pick-up gate import this module; it imports only the models, the
order history (`order_log`), the pick-up places and the lock order (`transactions`), so the
imports run one way: features → order_states → order_log → models.
"""

from sqlalchemy import or_, select, update
from sqlalchemy.orm import selectinload

from .extensions import db
from .models import Offer, Order, SalesWeek, utcnow
from .order_log import SYSTEM, mail_customer, record
from .pickup.services import release_place, reserve_place
from .transactions import lock_week

# --- Stock and places (DESIGN rule 1) ------------------------------------------------------------


def reserve_stock(offer_id, quantity):
    """Reserve units of an offer if enough remain; True on success. One guarded statement."""
    result = db.session.execute(
        update(Offer)
        .where(
            Offer.id == offer_id,
            Offer.offered.is_(True),
            or_(
                Offer.quantity_available.is_(None),
                Offer.quantity_reserved + quantity <= Offer.quantity_available,
            ),
        )
        .values(quantity_reserved=Offer.quantity_reserved + quantity)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def release_stock(offer_id, quantity):
    if quantity <= 0:
        return
    db.session.execute(
        update(Offer)
        .where(Offer.id == offer_id)
        .values(quantity_reserved=Offer.quantity_reserved - quantity)
        .execution_options(synchronize_session=False)
    )


def bump_week_version(week_id):
    db.session.execute(
        update(SalesWeek)
        .where(SalesWeek.id == week_id)
        .values(version=SalesWeek.version + 1)
        .execution_options(synchronize_session=False)
    )


# --- The order's row and the moves a card payment causes ------------------------------------------


def lock_order(order, statuses):
    """Take the order's week, then the order's row, and re-read it: False if its status moved on.

    The week comes first (the lock order of boutique/transactions.py, rule 9). A second request
    for the same order waits for the first one (a row lock on PostgreSQL, the write lock on
    SQLite), then sees what it did: a double click cannot release stock twice or mail twice.
    """
    lock_week(order.week_id)
    result = db.session.execute(
        update(Order)
        .where(Order.id == order.id, Order.status.in_(statuses))
        .values(status=Order.status)
        .execution_options(synchronize_session=False)
    )
    # The order and its lines as they are now, in two statements whatever the number of lines.
    db.session.execute(
        select(Order)
        .options(selectinload(Order.lines))
        .where(Order.id == order.id)
        .execution_options(populate_existing=True)
    )
    return result.rowcount == 1


def mark_paid_by_card(order, amount_cents):
    """The card is authorised: the order is placed and keeps its stock and slot."""
    if not lock_order(order, ("pending_payment",)):
        return False
    order.status = "placed"
    order.hold_expires_at = None
    db.session.flush()
    record(order, None, "card_authorised", amount_cents=amount_cents)
    mail_customer(order, "order_received")
    return True


def release_order(order):
    for line in order.lines:
        release_stock(line.offer_id, line.quantity)
    if order.slot_id:
        release_place(order.slot_id)
    bump_week_version(order.week_id)


def expire_order(order, reason="payment_not_received", notify=True):
    """A card order not paid in time: its stock and slot go back on sale.

    notify=False: no mail (the customer just placed the order that replaces it).
    A payment that still arrives for it is given back (payments.card._place_or_give_back).
    """
    if not lock_order(order, ("pending_payment",)):
        return False
    release_order(order)
    order.status = "expired"
    order.cancelled_at = utcnow()
    if order.card is not None and order.card.status == "authorised":
        order.card.settle_due = True
    db.session.flush()
    record(order, SYSTEM, "expired", cause=reason)
    if notify:
        mail_customer(order, "order_expired")
    return True


def revive_order(order, now=None):
    """Take an expired card order's stock and slot again (it was paid after all), or nothing.

    The same guarded statements as a new order (rule 1), in the same order; False, leaving
    everything as it was, when a line or the slot is gone or the week no longer takes orders.
    """
    if not order.week.is_open(now or utcnow()) or not lock_order(order, ("expired",)):
        return False
    taken = []
    for line in sorted(order.lines, key=lambda line: line.offer_id):
        if line.quantity and not reserve_stock(line.offer_id, line.quantity):
            break
        taken.append(line)
    else:
        if order.slot_id is None or reserve_place(order.slot_id):
            order.status = "placed"
            order.cancelled_at = None
            order.hold_expires_at = None
            bump_week_version(order.week_id)
            db.session.flush()
            record(order, SYSTEM, "revived_after_payment")
            return True
    for line in taken:  # undo, in this transaction, what was taken before the failure
        release_stock(line.offer_id, line.quantity)
    return False
