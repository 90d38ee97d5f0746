"""The catalog and the weekly sale: categories, products, sales weeks, offers."""

from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow


class Category(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    # Shown to English readers when staff give it; the French name otherwise.
    name_en: Mapped[str] = mapped_column(String(80), default="")
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Product(db.Model):
    """Prices: individual price includes VAT; professional prices exclude it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    variety: Mapped[str] = mapped_column(String(120), default="")
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)
    unit_label: Mapped[str] = mapped_column(String(60))
    unit_label_en: Mapped[str] = mapped_column(String(60), default="")
    vat_rate_bp: Mapped[int] = mapped_column(Integer)
    price_individual_cents: Mapped[int] = mapped_column(Integer)
    price_restaurant_cents: Mapped[int] = mapped_column(Integer)
    price_amap_cents: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")
    photo: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)
    # A plant for planting (seedlings, pot herbs) travels with a plant passport (Regulation (EU)
    # 2016/2031); cut vegetables do not. Its botanical name (genus and species) is part A.
    plant_for_planting: Mapped[bool] = mapped_column(default=False, server_default="0")
    botanical_name: Mapped[str] = mapped_column(String(160), default="", server_default="")
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


class IsoWeek(NamedTuple):
    """An ISO 8601 week: 2027-01-01 is in week 53 of ISO year 2026."""

    year: int
    week: int


class SalesWeek(db.Model):
    """A weekly order cycle. Open or closed follows the clock; status says if it is public.

    Its number (the shop's "Semaine 49", order numbers S49-017, document names 2026-S49) is
    the ISO week of its first pick-up day: see iso_week.
    """

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
    # When staff last published the pick-up schedule (customers were mailed).
    schedule_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Last order sequence number given in this week (S48-017 is the 17th).
    order_counter: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
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

    @staticmethod
    def iso_week_of(pickup_dates, closes_at=None):
        """The week's number: the ISO week (and ISO year) of its first pick-up day.

        Pick-up days are ISO strings or dates. Days that straddle two ISO weeks (Saturday and
        Monday) take the first day's week. A week without pick-up days yet (saving one
        refuses that) takes its order deadline's day.
        """
        days = [d if isinstance(d, date) else date.fromisoformat(d) for d in pickup_dates]
        if not days:
            days = [closes_at.date()]
        iso = min(days).isocalendar()
        return IsoWeek(iso.year, iso.week)

    @property
    def iso_week(self):
        return self.iso_week_of(self.pickup_dates or (), self.closes_at)


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
    # The plant passport's traceability code (part C) for this week's lot: staff may type the
    # lot code of their sowing register; empty means the one derived from week and product.
    traceability_code: Mapped[str] = mapped_column(String(40), default="", server_default="")

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
