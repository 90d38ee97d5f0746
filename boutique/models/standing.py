"""Standing weekly orders: the same order placed for a customer week after week."""

from datetime import date, datetime, time

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .accounts import User
from .base import UTCDateTime, utcnow
from .catalog import Product, SalesWeek
from .orders import Order, PickupPoint


class StandingOrder(db.Model):
    """Products and quantities a customer wants every week (or every two weeks).

    Weeks are named by the Monday of their ISO week (SalesWeek.iso_week): `start_monday`,
    `end_monday` (last week included), `skip_mondays` (ISO dates), `paused_until` (the last
    paused week's Monday). The slot is a preference: a point, and a weekday and start time
    matched against each week's slots.
    """

    __tablename__ = "standing_order"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("pickup_point.id"))
    weekday: Mapped[int | None] = mapped_column(Integer)
    starts_at: Mapped[time | None] = mapped_column(Time)
    payment_method: Mapped[str] = mapped_column(String(16))
    every_weeks: Mapped[int] = mapped_column(Integer, default=1)
    start_monday: Mapped[date] = mapped_column(Date)
    end_monday: Mapped[date | None] = mapped_column(Date)
    skip_mondays: Mapped[list] = mapped_column(JSON, default=list)
    paused_until: Mapped[date | None] = mapped_column(Date)
    # Paused by staff (e.g. unpaid invoices) until they resume it; the reason is shown.
    staff_paused: Mapped[bool] = mapped_column(default=False)
    staff_pause_reason: Mapped[str] = mapped_column(Text, default="")
    # Stopped by its customer (kept for its history).
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")
    # Drawn when the new standing order form is shown: the same form sent twice finds this one.
    form_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    customer: Mapped[User] = relationship()
    point: Mapped[PickupPoint] = relationship()
    lines: Mapped[list["StandingOrderLine"]] = relationship(
        back_populates="standing", order_by="StandingOrderLine.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint("payment_method IN ('on_pickup', 'invoice')", name="payment"),
        CheckConstraint("every_weeks IN (1, 2)", name="every_weeks"),
        CheckConstraint("weekday IS NULL OR weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("end_monday IS NULL OR end_monday >= start_monday", name="end_after_start"),
    )


class StandingOrderLine(db.Model):
    __tablename__ = "standing_order_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    standing_id: Mapped[int] = mapped_column(ForeignKey("standing_order.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    quantity: Mapped[int] = mapped_column(Integer)

    standing: Mapped[StandingOrder] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()

    __table_args__ = (
        UniqueConstraint("standing_id", "product_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )


class StandingPlacement(db.Model):
    """What placing a standing order in a week did: once per standing order and week.

    The unique key makes placing idempotent. `order` is None when nothing could be placed;
    `report` lists the lines placed short or skipped, with why:
    [{"product": name, "asked": 6, "placed": 4, "reason": "stock" | "max_per_order" |
    "not_offered"}].
    """

    __tablename__ = "standing_placement"

    id: Mapped[int] = mapped_column(primary_key=True)
    standing_id: Mapped[int] = mapped_column(ForeignKey("standing_order.id"), index=True)
    week_id: Mapped[int] = mapped_column(ForeignKey("sales_week.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("customer_order.id"))
    report: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    standing: Mapped[StandingOrder] = relationship()
    week: Mapped[SalesWeek] = relationship()
    order: Mapped[Order | None] = relationship()

    __table_args__ = (UniqueConstraint("standing_id", "week_id"),)

    @property
    def short(self):
        return bool(self.report)
