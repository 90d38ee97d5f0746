"""Units of work that meet others: the one lock order, and the one place a unit is retried.

DESIGN rule 9. Every transaction that writes a week's stock or places (an offer's
quantity_available or quantity_reserved, a slot's booked or capacity, the week's order counter
or version) takes rows in this order, and only in this order:

    1. the week's row (lock_week; several weeks: lock_weeks, by id), before reading anything
       it will check;
    2. orders, by id (ordering.services.lock_order takes the order's week first);
    3. offers, by id;
    4. pick-up slots, by id.

The week comes first because checkout must write it anyway (its order counter): it serialises
the writers of one week's stock without costing concurrency, and nothing a writer reads after
taking it (what is reserved, what is booked) can change before its commit. So the grid's
"déjà réservés" check sees what the database will check (ck_offer_no_oversell), and a checkout
never holds an offer that the grid waits for while waiting for the week the grid holds. Behind
the week, two writers of the same week never overlap; steps 2-4 keep rows of one kind in id
order for the writers of different weeks (a bulk cancel, a product shown in several weeks).
Writes that touch one order and no stock (the handover at the gate) take only its row.

A unit of work that still meets a deadlock, a serialization failure or SQLite's "database is
locked" is rolled back and run again whole by @retried, at most RETRY_TRIES times in all.
"""

import copy
import random
import sqlite3
import time
import weakref
from functools import wraps

from flask import current_app, g, has_app_context, has_request_context, session
from sqlalchemy import event, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from .extensions import db
from .models import SalesWeek

RETRY_TRIES = 3
# PostgreSQL: serialization_failure, deadlock_detected.
RETRY_SQLSTATES = {"40001", "40P01"}

# The weeks each open transaction already holds (taking a row twice costs a statement).
_held_weeks = weakref.WeakKeyDictionary()


def lock_week(week_id):
    """Take a week's row first (rule 9) and return it as it is now, refreshed in the session."""
    transaction = db.session().get_transaction()
    if transaction is not None and week_id in _held_weeks.get(transaction, ()):
        return db.session.get(SalesWeek, week_id)
    week = db.session.scalars(
        update(SalesWeek)
        .where(SalesWeek.id == week_id)
        .values(version=SalesWeek.version)  # a write: the row lock (SQLite: the write lock)
        .returning(SalesWeek),
        execution_options={"populate_existing": True},
    ).one_or_none()
    _held_weeks.setdefault(db.session().get_transaction(), set()).add(week_id)
    return week


def lock_weeks(week_ids):
    """Take several weeks' rows, in id order."""
    for week_id in sorted(set(week_ids)):
        lock_week(week_id)


def is_conflict(error):
    """Did the database give up on this transaction because of another one (retry it)?"""
    if not isinstance(error, OperationalError):
        return False
    original = error.orig
    if getattr(original, "sqlstate", None) in RETRY_SQLSTATES:
        return True
    return isinstance(original, sqlite3.OperationalError) and "locked" in str(original)


@event.listens_for(Session, "after_commit")
def _note_commit(session):
    # A savepoint released inside the unit of work (begin_nested) fires this too, while the
    # outer transaction goes on: only the outer commit makes running the view again unsafe.
    if has_app_context() and not session.in_nested_transaction():
        g._unit_of_work_committed = True


def retried(view):
    """Run a view (or a flask command) again, whole, when the database gave up on it for a
    conflict with another transaction; at most RETRY_TRIES times in all.

    The session is rolled back and what the attempt put in the visitor's session (flashed
    messages, basket) and in `g` is forgotten before the next try. Once something was
    committed, the error goes up as it is: running the view again would do that part twice.
    """

    @wraps(view)
    def wrapped(*args, **kwargs):
        # A unit of work run inside one that has committed (the waiting list's sweep after a
        # staff page saved) must leave it knowing so, even when it fails and rolls back.
        if g.get("_unit_of_work_committed"):
            try:
                return _run(*args, **kwargs)
            finally:
                g._unit_of_work_committed = True
        return _run(*args, **kwargs)

    def _run(*args, **kwargs):
        saved_session = copy.deepcopy(dict(session)) if has_request_context() else None
        saved_g = set(vars(g))
        for attempt in range(1, RETRY_TRIES + 1):
            g._unit_of_work_committed = False
            try:
                return view(*args, **kwargs)
            except OperationalError as error:
                if (
                    attempt == RETRY_TRIES
                    or not is_conflict(error)
                    or g.get("_unit_of_work_committed")
                ):
                    raise
                db.session.rollback()
                current_app.logger.warning(
                    "%s: %s, trying again (%d/%d)",
                    view.__qualname__,
                    str(error.orig).splitlines()[0],
                    attempt + 1,
                    RETRY_TRIES,
                )
                for name in set(vars(g)) - saved_g:
                    delattr(g, name)
                if saved_session is not None:
                    session.clear()
                    session.update(copy.deepcopy(saved_session))
                # Let the transaction that won finish first. A jitter, not a secret: the
                # standard generator is the right tool.
                time.sleep(random.uniform(0.01, 0.05) * attempt)  # noqa: S311  # nosec B311
        raise AssertionError("unreachable")

    return wrapped
