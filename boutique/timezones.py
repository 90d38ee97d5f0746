"""The shop works in Europe/Paris; the database in UTC."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def shop_zone():
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def shop_today(now=None):
    """The date in Paris (now, or at the aware datetime `now`)."""
    return (now or datetime.now(UTC)).astimezone(shop_zone()).date()


def local_to_utc(naive):
    """A wall-clock time typed by staff (Paris) as an aware UTC datetime."""
    return naive.replace(tzinfo=shop_zone()).astimezone(UTC)


def utc_to_local_naive(aware):
    """For datetime-local inputs: Paris wall-clock time without tzinfo."""
    return aware.astimezone(shop_zone()).replace(tzinfo=None)
