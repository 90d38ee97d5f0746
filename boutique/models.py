"""Database models. Money is integer cents; datetimes are timezone-aware UTC."""

from datetime import UTC, datetime

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db


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


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="customer")
    # Customer kind; None for staff accounts.
    kind: Mapped[str | None] = mapped_column(String(16))
    # For restaurants and AMAPs: pending until staff approve, then approved or refused.
    pro_status: Mapped[str | None] = mapped_column(String(16), index=True)
    first_name: Mapped[str] = mapped_column(String(80), default="")
    last_name: Mapped[str] = mapped_column(String(80), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    organisation: Mapped[str] = mapped_column(String(160), default="")
    siret: Mapped[str | None] = mapped_column(String(14))
    address: Mapped[str] = mapped_column(String(255), default="")
    postcode: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    locale: Mapped[str] = mapped_column(String(5), default="fr")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint("role IN ('customer', 'staff', 'admin')", name="role"),
        CheckConstraint(
            "kind IS NULL OR kind IN ('individual', 'restaurant', 'amap')", name="kind"
        ),
    )

    def set_password(self, password):
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)

    @property
    def is_staff(self):
        return self.role in ("staff", "admin")

    @property
    def is_professional(self):
        return self.kind in PRO_KINDS

    @property
    def is_approved_professional(self):
        return self.is_professional and self.pro_status == "approved"

    @property
    def price_kind(self):
        """The price list this account sees: professional prices only once approved."""
        return self.kind if self.is_approved_professional else "individual"

    @property
    def display_name(self):
        full = f"{self.first_name} {self.last_name}".strip()
        if self.is_professional and self.organisation:
            return self.organisation
        return full or self.email


class Category(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Product(db.Model):
    """Prices: individual price includes VAT; professional prices exclude it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    variety: Mapped[str] = mapped_column(String(120), default="")
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)
    unit_label: Mapped[str] = mapped_column(String(60))
    vat_rate_bp: Mapped[int] = mapped_column(Integer)
    price_individual_cents: Mapped[int] = mapped_column(Integer)
    price_restaurant_cents: Mapped[int] = mapped_column(Integer)
    price_amap_cents: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")
    photo: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    category: Mapped[Category] = relationship()

    __table_args__ = (
        UniqueConstraint("name", "variety"),
        CheckConstraint("vat_rate_bp IN (550, 1000, 2000)", name="vat_rate"),
        CheckConstraint(
            "price_individual_cents >= 0 AND price_restaurant_cents >= 0 AND price_amap_cents >= 0",
            name="prices_not_negative",
        ),
    )

    @property
    def full_name(self):
        return f"{self.name} {self.variety}".strip()

    def price_cents(self, kind):
        return getattr(self, f"price_{kind}_cents")


class SalesWeek(db.Model):
    """A weekly order cycle. Open or closed follows the clock; status says if it is public."""

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(80))
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # ISO dates ("2026-12-02") of the pick-up days.
    pickup_dates: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped by every change of what the storefront shows for this week.
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    offers: Mapped[list["Offer"]] = relationship(back_populates="week")

    __table_args__ = (
        CheckConstraint("status IN ('draft', 'published', 'archived')", name="status"),
        CheckConstraint("closes_at > opens_at", name="closes_after_opening"),
    )

    def phase(self, now=None):
        """draft, upcoming, open, closed or archived, as of now."""
        now = now or utcnow()
        if self.status != "published":
            return self.status
        if now < self.opens_at:
            return "upcoming"
        if now < self.closes_at:
            return "open"
        return "closed"

    def is_open(self, now=None):
        return self.phase(now) == "open"


class Offer(db.Model):
    """A product offered in a week. quantity_available None means unlimited."""

    id: Mapped[int] = mapped_column(primary_key=True)
    week_id: Mapped[int] = mapped_column(ForeignKey("sales_week.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    offered: Mapped[bool] = mapped_column(default=True)
    quantity_available: Mapped[int | None] = mapped_column(Integer)
    quantity_reserved: Mapped[int] = mapped_column(Integer, default=0)
    max_per_order: Mapped[int | None] = mapped_column(Integer)
    price_individual_cents: Mapped[int | None] = mapped_column(Integer)
    price_restaurant_cents: Mapped[int | None] = mapped_column(Integer)
    price_amap_cents: Mapped[int | None] = mapped_column(Integer)

    week: Mapped[SalesWeek] = relationship(back_populates="offers")
    product: Mapped[Product] = relationship()

    __table_args__ = (
        UniqueConstraint("week_id", "product_id"),
        CheckConstraint("quantity_reserved >= 0", name="reserved_not_negative"),
        CheckConstraint(
            "quantity_available IS NULL OR quantity_reserved <= quantity_available",
            name="no_oversell",
        ),
        CheckConstraint("max_per_order IS NULL OR max_per_order > 0", name="max_per_order"),
    )

    def price_cents(self, kind):
        override = getattr(self, f"price_{kind}_cents")
        return self.product.price_cents(kind) if override is None else override

    @property
    def remaining(self):
        if self.quantity_available is None:
            return None
        return self.quantity_available - self.quantity_reserved

    @property
    def sold_out(self):
        return self.remaining is not None and self.remaining <= 0
