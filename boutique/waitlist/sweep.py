"""The waiting list's sweep as its own unit of work: the outbox worker's round, `flask
waitlist notify`, and staff pages right after they committed a change of stock or offers."""

from flask import current_app

from ..extensions import db
from ..transactions import retried
from .services import notify_back_in_stock


@retried
def sweep():
    """Mail the entries whose product is back, end them, commit; how many were mailed."""
    mailed = notify_back_in_stock()
    db.session.commit()
    return mailed


def sweep_after_change():
    """The sweep after a staff change was committed, or in the worker's round; a failure never
    fails their page nor the round (the worker's next round mails what this one could not)."""
    try:
        return sweep()
    except Exception:  # a mail that cannot be written as much as a database error
        db.session.rollback()
        current_app.logger.exception("Waiting list: the sweep after a change failed")
        return 0
