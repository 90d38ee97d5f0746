"""/healthz: what the load balancer and the monitoring need to know, whatever is down.

It answers within about 100 ms: each side service is asked with a short timeout of its own
(a Redis that accepts and never answers costs PROBE_SECONDS, not the limiter's second).

The HTTP status is 503 only when the database is down: then no page can work, and the load
balancer should stop sending this server requests. Every other problem is "degraded" with
200: rate-limit storage, document cache and mail server are shared by all the servers, so
taking them all out of rotation would close a shop that still sells (limits fall back to
memory, documents are rendered at each request, mails wait in the outbox). Undelivered mails
are counted but degrade nothing: they are staff's to deal with, on /gestion/mails.
"""

import threading
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

_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="healthz")
_pending = {}  # a probe still running in _executor, by storage: never two at once
_pending_lock = threading.Lock()


def healthz():
    database, outbox = _database_and_outbox()
    report = {
        "database": database,
        "rate_limit_storage": _rate_limit_storage(),
        "document_cache": _document_cache(),
        "outbox": outbox,
    }
    if database != "ok":
        return jsonify(status="error", **report), 503
    late = outbox.get("oldest_due_seconds", 0) > OUTBOX_LATE_SECONDS or "error" in outbox
    degraded = (
        report["rate_limit_storage"] not in ("ok", "disabled")
        or report["document_cache"] != "ok"
        or late
    )
    return jsonify(status="degraded" if degraded else "ok", **report), 200


def _database_and_outbox():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any driver error means the database is not usable
        db.session.rollback()
        return "error", {"error": "database"}
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
    with _pending_lock:
        future = _pending.get(id(storage))
        if future is None or future.done():
            future = _pending[id(storage)] = _executor.submit(storage.check)
    try:
        return "ok" if future.result(timeout=PROBE_SECONDS) else "error"
    except FutureTimeout:
        return "error"


def _document_cache():
    try:
        check_writable()
    except CacheUnavailable:
        return "not_writable"
    return "ok"
