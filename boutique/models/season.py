"""The season: crop data and forecast overrides for the sowing plan, the waiting list for
sold-out plants, and the year's charges the funders compare sales with."""

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .accounts import User
from .base import UTCDateTime, utcnow
from .catalog import Product, SalesWeek


class CropPlan(db.Model):
    """How a product is grown: from sowing to sale-ready, what is lost, how it is sown.

    Sowing weeks are ISO week numbers, from `sow_from_week` to `sow_to_week` included; a range
    may wrap over the new year (48 → 6).
    """

    __tablename__ = "crop_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), unique=True)
    weeks_to_ready: Mapped[int] = mapped_column(Integer)
    # Germination failures and culls, in percent of the cells sown.
    loss_percent: Mapped[int] = mapped_column(Integer, default=0)
    # Cells per tray (a "plaque de 77 mottes" is 77), and seeds sown per cell.
    units_per_tray: Mapped[int] = mapped_column(Integer)
    seeds_per_unit: Mapped[int] = mapped_column(Integer, default=1)
    # Cells in one unit the shop sells: 1 for a godet, 12 for a "plaque de 12 mottes" sold
    # whole (the forecast counts units sold, the greenhouse sows cells).
    cells_per_unit: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    sow_from_week: Mapped[int] = mapped_column(Integer, default=1)
    sow_to_week: Mapped[int] = mapped_column(Integer, default=53)
    note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    product: Mapped[Product] = relationship()

    __table_args__ = (
        CheckConstraint("weeks_to_ready BETWEEN 1 AND 52", name="weeks_to_ready"),
        CheckConstraint("loss_percent BETWEEN 0 AND 90", name="loss_percent"),
        CheckConstraint("units_per_tray > 0", name="units_per_tray"),
        CheckConstraint("seeds_per_unit > 0", name="seeds_per_unit"),
        CheckConstraint("cells_per_unit > 0", name="cells_per_unit"),
        CheckConstraint(
            "sow_from_week BETWEEN 1 AND 53 AND sow_to_week BETWEEN 1 AND 53", name="sow_weeks"
        ),
    )


class ForecastOverride(db.Model):
    """A staff figure that replaces the forecast of a product for one sales week (ISO week)."""

    __tablename__ = "forecast_override"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    iso_year: Mapped[int] = mapped_column(Integer)
    iso_week: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    product: Mapped[Product] = relationship()
    set_by: Mapped[User | None] = relationship()

    __table_args__ = (
        UniqueConstraint("product_id", "iso_year", "iso_week"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        CheckConstraint("iso_week BETWEEN 1 AND 53", name="iso_week"),
    )


class SownLot(db.Model):
    """Cells the greenhouse team sowed for a product's sales week (ISO), one row per « Semé »:
    the plan asks only for what is left to sow (the rows of the week added up), a lot sown is
    not "late" the weeks after, and a tap made by mistake is taken back alone."""

    __tablename__ = "sown_lot"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    iso_year: Mapped[int] = mapped_column(Integer)
    iso_week: Mapped[int] = mapped_column(Integer)
    cells: Mapped[int] = mapped_column(Integer)
    sown_on: Mapped[date] = mapped_column(Date, index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    product: Mapped[Product] = relationship()
    recorded_by: Mapped[User | None] = relationship()

    __table_args__ = (
        Index("ix_sown_lot_week", "product_id", "iso_year", "iso_week"),
        CheckConstraint("cells > 0", name="cells_positive"),
        CheckConstraint("iso_week BETWEEN 1 AND 53", name="iso_week"),
    )


WAITLIST_END_REASONS = ("notified", "unsubscribed", "retired", "erased")


class WaitlistEntry(db.Model):
    """"Prévenez-moi": someone waiting for a product to be back (one mail, then it ends).

    One waiting entry per address and product at a time (a partial unique index); an ended
    entry is kept, with why it ended, as demand the stock did not meet.
    """

    __tablename__ = "waitlist_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    quantity: Mapped[int | None] = mapped_column(Integer)
    locale: Mapped[str] = mapped_column(String(5), default="fr")
    # The unsubscribe link's secret (and nothing else: it does not log in).
    token: Mapped[str] = mapped_column(String(64), unique=True)
    # The sales week the customer was looking at when they signed up (unmet demand that week).
    week_id: Mapped[int | None] = mapped_column(ForeignKey("sales_week.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The week whose offer the mail announced.
    notified_week_id: Mapped[int | None] = mapped_column(ForeignKey("sales_week.id"))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    end_reason: Mapped[str] = mapped_column(String(16), default="")
    ip_hash: Mapped[str | None] = mapped_column(String(32), index=True)

    product: Mapped[Product] = relationship()
    customer: Mapped[User | None] = relationship()
    week: Mapped[SalesWeek | None] = relationship(foreign_keys=[week_id])
    notified_week: Mapped[SalesWeek | None] = relationship(foreign_keys=[notified_week_id])

    __table_args__ = (
        CheckConstraint("quantity IS NULL OR quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "end_reason IN ('', 'notified', 'unsubscribed', 'retired', 'erased')",
            name="end_reason",
        ),
        Index(
            "uq_waitlist_entry_waiting",
            "product_id",
            "email",
            unique=True,
            sqlite_where=sql_text("ended_at IS NULL"),
            postgresql_where=sql_text("ended_at IS NULL"),
        ),
    )

    @property
    def waiting(self):
        return self.ended_at is None


class SeasonCharge(db.Model):
    """A line of the association's charges for a calendar year, typed in by staff.

    The funders compare the shop's sales with them (insertion workshops' commercial share).
    """

    __tablename__ = "season_charge"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    label: Mapped[str] = mapped_column(String(120))
    amount_cents: Mapped[int] = mapped_column(Integer)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    updated_by: Mapped[User | None] = relationship()

    __table_args__ = (
        UniqueConstraint("year", "label"),
        CheckConstraint("amount_cents >= 0", name="amount_not_negative"),
    )
