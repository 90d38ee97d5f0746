"""Shared column types and constants of the models."""

from datetime import UTC, datetime

from sqlalchemy import (
    DateTime,
    TypeDecorator,
)


def utcnow():
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Store aware datetimes as UTC; give them back aware, SQLite included."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


CUSTOMER_KINDS = ("individual", "restaurant", "amap")
PRO_KINDS = ("restaurant", "amap")
ROLES = ("customer", "staff", "admin")
# VAT rates in basis points: 5.5 % (plants, vegetables), 10 %, 20 % (flowers, pots...).
VAT_RATES = (550, 1000, 2000)
