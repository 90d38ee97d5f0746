"""/healthz: what the load balancer and the monitoring need to know, whatever is down.

It answers within about 100 ms: each side service is asked with a short timeout of its own
(a Redis that accepts and never answers costs PROBE_SECONDS, not the limiter's second).

The HTTP status is 503 only when the database is down: then no page can work, and the load
balancer should stop sending this server requests. Down means it refused, or its probe has
waited for an answer longer than DATABASE_DOWN_SECONDS; a probe merely slower than
DATABASE_PROBE_SECONDS is "slow", 200 and degraded (a busy server's threads, seen at a load of
9 on two cores, are not a dead database, and taking busy servers out makes the others busier).

Every other problem is "degraded" with 200: rate-limit storage, document cache and mail server
are shared by all the servers, so taking them all out of rotation would close a shop that still
sells (limits fall back to memory, documents are rendered at each request, mails wait in the
outbox). Undelivered mails are counted but degrade nothing: they are staff's to deal with, on
/gestion/mails.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from flask import current_app, jsonify
from limits.storage import storage_from_string
from sqlalchemy import text

from .extensions import db, limiter
from .outbox import backlog
from .pickup.document_cache import CacheUnavailable, check_writable

PROBE_SECONDS = 0.04
# A mail due for longer than this is waiting for a worker that does not run.
OUTBOX_LATE_SECONDS = 600

# SELECT 1 answers in a millisecond or two: how long a health check waits for it.
DATABASE_PROBE_SECONDS = 0.08
# A probe still without an answer after this long: the database is down (503).
DATABASE_DOWN_SECONDS = 1.0

# One thread per thing probed at most: the database and the limiter's storage.
_executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="healthz")
_pending = {}  # a probe still running in _executor, by what it probes: never two at once
_started = {}  # when that probe was submitted (time.monotonic())
_pending_lock = threading.Lock()


def healthz():
    # The database is asked in the probe thread while the request thread asks the rest: a
    # server that accepts and never answers costs DATABASE_PROBE_SECONDS, not a connect timeout.
    app = current_app._get_current_object()
    database = _submit(("database", id(app)), _database_probe(app))
    rate_limit_storage, document_cache = _rate_limit_storage(), _document_cache()
    database, outbox = _database_and_outbox(_database_state(database, ("database", id(app))))
    report = {
        "database": database,
        "rate_limit_storage": rate_limit_storage,
        "document_cache": document_cache,
        "outbox": outbox,
    }
    if database == "error":
        return jsonify(status="error", **report), 503
    late = outbox.get("oldest_due_seconds", 0) > OUTBOX_LATE_SECONDS or "error" in outbox
    degraded = (
        database == "slow"
        or report["rate_limit_storage"] not in ("ok", "disabled")
        or report["document_cache"] != "ok"
        or late
    )
    return jsonify(status="degraded" if degraded else "ok", **report), 200


def _database_probe(app):
    def probe():
        with app.app_context():
            try:
                db.session.execute(text("SELECT 1"))
            except Exception:  # any driver error means the database is not usable
                return False
            finally:
                db.session.remove()
            return True

    return probe


def _database_state(future, key):
    """ok; slow (no answer yet, for less than DATABASE_DOWN_SECONDS, or a late yes); error."""
    if _answer(future, DATABASE_PROBE_SECONDS):
        return "ok"
    if future.done():  # it refused, or said yes just after the wait
        return "slow" if future.result() else "error"
    waiting = _waiting_since(key)
    return "slow" if waiting is not None and waiting < DATABASE_DOWN_SECONDS else "error"


def _database_and_outbox(state):
    if state != "ok":
        return state, {"error": "database slow" if state == "slow" else "database"}
    try:
        if db.engine.dialect.name == "postgresql":
            # Only this transaction: a slow count answers "error", never a slow health check.
            db.session.execute(text("SET LOCAL statement_timeout = 80"))
        outbox = backlog()
    except Exception:  # reported, not raised: the database itself answered
        db.session.rollback()
        current_app.logger.exception("Health check: the outbox backlog could not be read")
        outbox = {"error": "query"}
    db.session.rollback()  # read-only
    return "ok", outbox


def _rate_limit_storage():
    """The limiter's storage: ok, error (refused, or silent for PROBE_SECONDS) or disabled."""
    config = current_app.config
    if not config.get("RATELIMIT_ENABLED", True):
        return "disabled"
    uri = config.get("RATELIMIT_STORAGE_URI") or "memory://"
    if uri.startswith("memory://"):
        return "ok"
    if uri.split("://", 1)[0].split("+", 1)[0] in ("redis", "rediss", "valkey", "valkeys"):
        return "ok" if _redis_probe(uri).check() else "error"
    return _in_thread(limiter.storage)  # other storages: their own timeouts, waited on briefly


def _redis_probe(uri):
    """A storage on the limiter's Redis with short timeouts, made once per app."""
    probe = current_app.extensions.get("healthz_rate_limit_probe")
    if probe is None:
        options = dict(current_app.config.get("RATELIMIT_STORAGE_OPTIONS") or {})
        options.update(socket_connect_timeout=PROBE_SECONDS, socket_timeout=PROBE_SECONDS)
        probe = storage_from_string(uri, **options)
        current_app.extensions["healthz_rate_limit_probe"] = probe
    return probe


def _in_thread(storage):
    future = _submit(id(storage), storage.check)
    return "ok" if _answer(future, PROBE_SECONDS) else "error"


def _submit(key, probe):
    """Run `probe` in the probe threads, unless the last one for `key` still waits for an answer
    (a silent server then costs one thread, however often /healthz is asked)."""
    with _pending_lock:
        future = _pending.get(key)
        if future is None or future.done():
            future = _pending[key] = _executor.submit(probe)
            _started[key] = time.monotonic()
    return future


def _waiting_since(key):
    """Seconds since the probe for `key` was submitted; None when there is none."""
    with _pending_lock:
        started = _started.get(key)
    return None if started is None else time.monotonic() - started


def _answer(future, seconds):
    """The probe's answer (true when it worked) if it comes within `seconds`, else False."""
    try:
        return bool(future.result(timeout=seconds))
    except FutureTimeout:
        return False


def _document_cache():
    try:
        check_writable()
    except CacheUnavailable:
        return "not_writable"
    return "ok"
