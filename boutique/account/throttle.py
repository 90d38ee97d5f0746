"""Password attempts counted per account, from anywhere (the per-address limit misses a botnet).

Each attempt is counted before the password is checked, in one atomic step, so a burst of
parallel guesses cannot overshoot the limit; a success clears the count. The counter lives
in the rate limiter's storage (Redis in production). Unknown addresses are counted like known
ones, so a lock reveals nothing. When the storage is unreachable, the error is logged and the
login goes on: a Redis outage must not lock everybody out.
"""

import hashlib
import time

from flask import current_app
from limits import parse

from ..extensions import limiter

NAMESPACE = "login-failures"


def _limit():
    return parse(current_app.config["LOGIN_ACCOUNT_LIMIT"])


def _key(email):
    return hashlib.sha256(email.encode()).hexdigest()[:32]


def _guarded(action, default):
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return default
    try:
        return action()
    except Exception:  # any storage failure: log it, never turn it into a 500
        current_app.logger.exception("Login throttle storage unavailable")
        return default


def count_attempt(email):
    """Count one password attempt on this account; False when the account is locked."""
    return _guarded(lambda: limiter.limiter.hit(_limit(), NAMESPACE, _key(email)), True)


def clear(email):
    """Forget the failures (the owner proved who they are through the mailed link)."""
    _guarded(lambda: limiter.limiter.clear(_limit(), NAMESPACE, _key(email)), None)


def minutes_left(email):
    def reset_in():
        reset_at, _remaining = limiter.limiter.get_window_stats(_limit(), NAMESPACE, _key(email))
        return reset_at

    reset_at = _guarded(reset_in, None)
    if reset_at is None:
        return _limit().get_expiry() // 60
    return max(1, int((reset_at - time.time()) // 60) + 1)
