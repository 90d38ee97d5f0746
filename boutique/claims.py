"""Rows that workers take one at a time (mails to send, PDFs to render).

A worker claims a row for a while before working on it, in one guarded UPDATE committed at
once: two workers never take the same row, and a worker that dies lets it go when the claim
runs out.
"""

from datetime import timedelta

from sqlalchemy import or_, update

from .extensions import db


def claim(model, row_id, finished, seconds, now):
    """Take the row for `seconds` unless `finished` (a column) is set or another worker holds
    it; commits. True when this worker has it."""
    result = db.session.execute(
        update(model)
        .where(
            model.id == row_id,
            finished.is_(None),
            or_(model.claimed_until.is_(None), model.claimed_until < now),
        )
        .values(claimed_until=now + timedelta(seconds=seconds))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1
