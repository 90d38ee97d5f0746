"""Pick-up PDFs rendered in the background, so that no request waits for WeasyPrint.

A week's pick-up list for 2,000 orders takes WeasyPrint about half a minute. In production
(DOCUMENTS_IN_BACKGROUND) a PDF that is not in the document cache yet is asked for here: the
request answers at once with the printable page and "en préparation", and the worker
(`flask outbox worker`, the process that already sends the mails) renders it into the cache.
The worker rather than a job queue on Redis: it is already running, its jobs are rows written in
the same transaction as what asks for them (like the mails), and two workers claim a job the way
they claim a mail, so nothing new has to be deployed or watched.
"""


from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..claims import claim
from ..extensions import db
from ..models import DocumentJob, utcnow

CLAIM_SECONDS = 300  # a whole week's PDF takes under a minute; a crashed worker's job comes back
MAX_ATTEMPTS = 3


def in_background():
    return current_app.config["DOCUMENTS_IN_BACKGROUND"]


def queue(path, locale):
    """Ask for the PDF at this address (with its query) in this language (the caller commits).

    Asking again for one being rendered changes nothing; for one rendered before (its content
    changed since) or given up, it starts over.
    """
    job = db.session.scalar(select(DocumentJob).filter_by(path=path, locale=locale))
    if job is None:
        try:
            with db.session.begin_nested():
                db.session.add(DocumentJob(path=path, locale=locale))
        except IntegrityError:  # another request asked for it at the same moment
            pass
    elif job.done_at is not None or job.attempts >= MAX_ATTEMPTS:
        job.done_at, job.attempts, job.last_error = None, 0, ""
        job.claimed_until = None
        job.requested_at = utcnow()
        db.session.flush()


def failed(path, locale):
    """The job's last error when it gave up, else None."""
    job = db.session.scalar(select(DocumentJob).filter_by(path=path, locale=locale))
    if job is not None and job.done_at is None and job.attempts >= MAX_ATTEMPTS:
        return job.last_error
    return None


def run_due(render, limit=5, stop=None):
    """Render the PDFs asked for, oldest first; render(path, locale) does one. Returns the count.

    Each job is committed on its own; a failure is logged and tried again (three times).
    """
    now = utcnow()
    due = db.session.scalars(
        select(DocumentJob.id)
        .where(DocumentJob.done_at.is_(None), DocumentJob.attempts < MAX_ATTEMPTS)
        .order_by(DocumentJob.requested_at)
        .limit(limit)
    ).all()
    db.session.commit()
    done = 0
    for job_id in due:
        if stop is not None and stop.is_set():
            break
        if not claim(DocumentJob, job_id, DocumentJob.done_at, CLAIM_SECONDS, now):
            continue  # another worker has it
        job = db.session.get(DocumentJob, job_id)
        path, locale = job.path, job.locale
        try:
            render(path, locale)
        except Exception as error:  # a broken document must not stop the others
            db.session.rollback()
            current_app.logger.exception("Document %s could not be rendered", path)
            job = db.session.get(DocumentJob, job_id)
            job.attempts += 1
            job.last_error = str(error)[:500]
            job.claimed_until = None
        else:
            job = db.session.get(DocumentJob, job_id)
            job.attempts += 1
            job.done_at = utcnow()
            job.last_error = ""
            done += 1
        db.session.commit()
    return done
