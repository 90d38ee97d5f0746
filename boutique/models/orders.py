"""Pick-up points and slots, orders and their lines, payments, history and mail outbox."""

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
from .base import CUSTOMER_KINDS, UTCDateTime, utcnow
from .catalog import Offer, SalesWeek

PAYMENT_METHODS = ("on_pickup", "invoice", "card")
ORDER_STATUSES = (
    "pending_payment",
    "placed",
    "confirmed",
    "ready",
    "collected",
    "cancelled",
    "expired",
    "no_show",
)
OPEN_STATUSES = ("pending_payment", "placed", "confirmed", "ready")
# Orders a customer can come and collect: an unpaid card order is not one (DESIGN: pending
# payment holds stock and a place, but is left out of the schedule, its mails and lists).
COLLECTIBLE_STATUSES = ("placed", "confirmed", "ready")


class PickupPoint(db.Model):
    """Where orders are collected; which customer kinds may use it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(255), default="")
    instructions: Mapped[str] = mapped_column(Text, default="")
    instructions_en: Mapped[str] = mapped_column(Text, default="")
    for_individual: Mapped[bool] = mapped_column(default=True)
    for_restaurant: Mapped[bool] = mapped_column(default=True)
    for_amap: Mapped[bool] = mapped_column(default=True)
    # A delivery round rather than a place where customers come.
    is_delivery: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    templates: Mapped[list["SlotTemplate"]] = relationship(
        back_populates="point", order_by="(SlotTemplate.weekday, SlotTemplate.starts_at)"
    )

    def allows(self, kind):
        return bool(getattr(self, f"for_{kind}", False))

    @property
    def allowed_kinds(self):
        return [kind for kind in CUSTOMER_KINDS if self.allows(kind)]


class SlotTemplate(db.Model):
    """A weekly slot of a point, copied into each new week (weekday 0 = Monday)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("pickup_point.id"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[time] = mapped_column(Time)
    ends_at: Mapped[time] = mapped_column(Time)
    capacity: Mapped[int] = mapped_column(Integer)

    point: Mapped[PickupPoint] = relationship(back_populates="templates")

    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("capacity > 0", name="capacity"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )


class PickupSlot(db.Model):
    """A time window at a point in a week; capacity counts orders."""

    id: Mapped[int] = mapped_column(primary_key=True)
    week_id: Mapped[int] = mapped_column(ForeignKey("sales_week.id"), index=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("pickup_point.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    starts_at: Mapped[time] = mapped_column(Time)
    ends_at: Mapped[time] = mapped_column(Time)
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[bool] = mapped_column(default=False)

    week: Mapped[SalesWeek] = relationship()
    point: Mapped[PickupPoint] = relationship()

    __table_args__ = (
        UniqueConstraint("week_id", "point_id", "day", "starts_at"),
        CheckConstraint("booked >= 0", name="booked_not_negative"),
        CheckConstraint("booked <= capacity", name="no_overbooking"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    @property
    def remaining(self):
        return self.capacity - self.booked

    @property
    def full(self):
        return self.booked >= self.capacity


class Order(db.Model):
    """A customer's order for one week and one slot. Totals come from the lines."""

    __tablename__ = "customer_order"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Short human number, unique within the week: S48-017.
    number: Mapped[str] = mapped_column(String(20))
    week_id: Mapped[int] = mapped_column(ForeignKey("sales_week.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    customer_kind: Mapped[str] = mapped_column(String(16))
    # Contact as given at checkout (guests have no account).
    contact_name: Mapped[str] = mapped_column(String(160))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(30), default="")
    locale: Mapped[str] = mapped_column(String(5), default="fr")
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("pickup_slot.id"), index=True)
    payment_method: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(20), index=True)
    # Individuals' prices include VAT; professionals' exclude it.
    prices_include_vat: Mapped[bool] = mapped_column(default=True)
    note: Mapped[str] = mapped_column(Text, default="")
    # An individual who asked for an invoice: the name and address it is made out to.
    billing_name: Mapped[str] = mapped_column(String(160), default="")
    billing_address: Mapped[str] = mapped_column(String(255), default="")
    # The version of the terms of sale the customer accepted with this order ("" for orders
    # entered by staff, and before versions were kept).
    terms_version: Mapped[str] = mapped_column(String(20), default="")
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    after_deadline: Mapped[bool] = mapped_column(default=False)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    # Set once per checkout page: a second click on "Commander" finds the first order.
    checkout_token: Mapped[str] = mapped_column(String(64), unique=True)
    # Secret part of the order page's address (guests have no login).
    access_token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Where the customer would rather collect, for orders the schedule places (phone orders).
    preferred_point_id: Mapped[int | None] = mapped_column(ForeignKey("pickup_point.id"))
    preferred_day: Mapped[date | None] = mapped_column(Date)
    # The slot the customer was last told about (schedule mail), to tell them of a move.
    notified_slot_id: Mapped[int | None] = mapped_column(ForeignKey("pickup_slot.id"))
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    collected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    collected_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # A card order holds its stock and slot until then (pending_payment); later it expires.
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Keyed hash of the address the order came from (never the address itself): staff can
    # find and cancel a burst of orders from one place.
    ip_hash: Mapped[str | None] = mapped_column(String(32), index=True)
    # When its contact data and note were erased (privacy purge, or its customer's deletion).
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    week: Mapped[SalesWeek] = relationship()
    customer: Mapped[User | None] = relationship(foreign_keys=[customer_id])
    entered_by: Mapped[User | None] = relationship(foreign_keys=[entered_by_id])
    slot: Mapped[PickupSlot | None] = relationship(foreign_keys=[slot_id])
    preferred_point: Mapped[PickupPoint | None] = relationship()
    collected_by: Mapped[User | None] = relationship(foreign_keys=[collected_by_id])
    payments: Mapped[list["Payment"]] = relationship(
        back_populates="order", order_by="Payment.id", cascade="all, delete-orphan"
    )
    lines: Mapped[list["OrderLine"]] = relationship(
        back_populates="order", order_by="OrderLine.id", cascade="all, delete-orphan"
    )
    events: Mapped[list["OrderEvent"]] = relationship(
        back_populates="order", order_by="OrderEvent.id", cascade="all, delete-orphan"
    )
    card: Mapped["CardPayment | None"] = relationship(  # noqa: F821 (models/payments.py)
        back_populates="order", cascade="all, delete-orphan", uselist=False
    )

    __table_args__ = (
        UniqueConstraint("week_id", "number"),
        CheckConstraint(
            "status IN ('pending_payment', 'placed', 'confirmed', 'ready', 'collected', "
            "'cancelled', 'expired', 'no_show')",
            name="status",
        ),
        CheckConstraint("payment_method IN ('on_pickup', 'invoice', 'card')", name="payment"),
        CheckConstraint(
            "customer_kind IN ('individual', 'restaurant', 'amap')", name="customer_kind"
        ),
    )

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES

    @property
    def item_count(self):
        return sum(line.quantity for line in self.lines)

    @property
    def amount_due_cents(self):
        """What is left to collect at pick-up (invoices are paid by transfer, not at pick-up)."""
        from ..pricing import amount_due_cents, order_totals

        if self.payment_method == "invoice" or self.status in ("cancelled", "expired"):
            return 0  # without reading the lines
        return amount_due_cents(
            self.payment_method,
            self.status,
            self.card is not None and self.card.status == "authorised",
            order_totals(self).gross_cents,
            sum(payment.amount_cents for payment in self.payments),
        )


class OrderLine(db.Model):
    """Name, unit, price and VAT are frozen when the order is placed."""

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    product_name: Mapped[str] = mapped_column(String(245))
    unit_label: Mapped[str] = mapped_column(String(60))
    unit_price_cents: Mapped[int] = mapped_column(Integer)
    vat_rate_bp: Mapped[int] = mapped_column(Integer)
    # What the customer asked for, and what will be handed over (staff may lower it).
    quantity_ordered: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)

    order: Mapped[Order] = relationship(back_populates="lines")
    offer: Mapped[Offer] = relationship()

    __table_args__ = (
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        CheckConstraint("quantity_ordered > 0", name="quantity_ordered_positive"),
        CheckConstraint("unit_price_cents >= 0", name="price_not_negative"),
    )

    @property
    def total_cents(self):
        return self.unit_price_cents * self.quantity


PAYMENT_KINDS = ("cash", "cheque", "card_terminal", "card", "transfer")


class Payment(db.Model):
    """Money received for an order, or given back (a refund is a row with a negative amount).

    Card captures and refunds carry Stripe's id in `reference`; on pick-up payments and
    transfers are recorded by staff.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), index=True)
    method: Mapped[str] = mapped_column(String(16))
    amount_cents: Mapped[int] = mapped_column(Integer)
    # A provider's id (PaymentIntent, refund): the same capture or refund is never recorded twice.
    reference: Mapped[str | None] = mapped_column(String(255), unique=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order] = relationship(back_populates="payments")
    recorded_by: Mapped[User | None] = relationship()

    __table_args__ = (
        CheckConstraint("amount_cents <> 0", name="amount_not_zero"),
        CheckConstraint(
            "method IN ('cash', 'cheque', 'card_terminal', 'card', 'transfer')", name="method"
        ),
    )

    @property
    def is_refund(self):
        return self.amount_cents < 0


class CashClosing(db.Model):
    """The day's cash count of a pick-up point, closed by a staff member: a frozen record.

    `totals` is what the shop recorded when it was closed ({"cash", "cheque", "card_terminal",
    "due", "orders", "collected", "no_shows"}, amounts in cents); `counted_cash_cents` what the
    staff member counted in the till. Money recorded for the day afterwards is shown as a
    correction beside it, never written into it.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    point_id: Mapped[int] = mapped_column(ForeignKey("pickup_point.id"))
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    closed_by_label: Mapped[str] = mapped_column(String(254))
    totals: Mapped[dict] = mapped_column(JSON, default=dict)
    counted_cash_cents: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")

    point: Mapped[PickupPoint] = relationship()
    closed_by: Mapped[User | None] = relationship()

    __table_args__ = (UniqueConstraint("day", "point_id"),)  # one closing per day and point


class OrderEvent(db.Model):
    """The audit log of an order: who did what, when."""

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # "client", "équipe <email>", "système": kept even if the account goes.
    actor_label: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(40))
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    order: Mapped[Order] = relationship(back_populates="events")


class OutboxMessage(db.Model):
    """An email written in the same transaction as what it tells; sent afterwards."""

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(255))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("customer_order.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # A sender claims a message until this time, so two senders never send it twice.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    # [{"filename", "content_type", "content"}]: text attachments such as .ics invitations.
    attachments: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    # Undeliverable ("non distribué"): refused for good, or still failing after the last try.
    # Listed for staff until they send it again or mark it as dealt with (dismissed_at).
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    dismissed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DocumentJob(db.Model):
    """A pick-up PDF to render in the background (the worker), asked for by staff or a schedule.

    One row per document address and language; asking again for a rendered one starts it over.
    """

    __tablename__ = "document_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The document's address with its query (…/documents/emargement?format=pdf&jour=…).
    path: Mapped[str] = mapped_column(String(500))
    locale: Mapped[str] = mapped_column(String(10), default="fr")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A worker claims a job until this time, so two workers never render it together.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (UniqueConstraint("path", "locale"),)
