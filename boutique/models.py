"""Database models. Money is integer cents; datetimes are timezone-aware UTC."""

from datetime import UTC, date, datetime, time

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
    event,
    inspect,
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


class PickupPoint(db.Model):
    """Where orders are collected; which customer kinds may use it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(255), default="")
    instructions: Mapped[str] = mapped_column(Text, default="")
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
    def active_lines(self):
        return [line for line in self.lines if line.quantity > 0]

    @property
    def item_count(self):
        return sum(line.quantity for line in self.lines)

    @property
    def amount_due_cents(self):
        """What is left to collect at pick-up (invoices are paid by transfer, not at pick-up)."""
        from .pricing import order_totals

        if self.payment_method == "invoice" or self.status in ("cancelled", "expired"):
            return 0
        paid = sum(payment.amount_cents for payment in self.payments)
        return max(0, order_totals(self).gross_cents - paid)


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
    """Money received for an order (on pick-up here; card and transfers come with payments)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), index=True)
    method: Mapped[str] = mapped_column(String(16))
    amount_cents: Mapped[int] = mapped_column(Integer)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order] = relationship(back_populates="payments")
    recorded_by: Mapped[User | None] = relationship()

    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint(
            "method IN ('cash', 'cheque', 'card_terminal', 'card', 'transfer')", name="method"
        ),
    )


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


INVOICE_KINDS = ("invoice", "credit_note")


class InvoiceCounter(db.Model):
    """The last number given per kind of document and year (gap-free numbering)."""

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Invoice(db.Model):
    """An invoice (FA-2026-0001) or a credit note (AV-2026-0001): a frozen legal document.

    Everything printed is a snapshot taken at issue; only the payment fields change later.
    Amounts are positive on both kinds: a credit note says how much is taken off its invoice.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), index=True)
    credit_note_of_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sale_date: Mapped[date] = mapped_column(Date)
    # None for credit notes: nothing to pay.
    due_date: Mapped[date | None] = mapped_column(Date, index=True)
    buyer_name: Mapped[str] = mapped_column(String(160))
    buyer_organisation: Mapped[str] = mapped_column(String(160), default="")
    buyer_address: Mapped[str] = mapped_column(String(255), default="")
    buyer_postcode: Mapped[str] = mapped_column(String(10), default="")
    buyer_city: Mapped[str] = mapped_column(String(100), default="")
    buyer_siren: Mapped[str] = mapped_column(String(9), default="")
    seller_name: Mapped[str] = mapped_column(String(160))
    seller_address: Mapped[str] = mapped_column(String(255))
    seller_siret: Mapped[str] = mapped_column(String(14))
    seller_vat_number: Mapped[str] = mapped_column(String(20), default="")
    seller_vat_exemption: Mapped[str] = mapped_column(String(160), default="")
    late_payment_rate: Mapped[str] = mapped_column(String(160), default="")
    recovery_indemnity_cents: Mapped[int] = mapped_column(Integer, default=0)
    # [{"line_id", "name", "unit", "quantity", "unit_price_cents", "vat_rate_bp", "total_cents"}]
    # with unit prices excluding VAT.
    lines: Mapped[list] = mapped_column(JSON, default=list)
    net_cents: Mapped[int] = mapped_column(Integer)
    vat_cents: Mapped[int] = mapped_column(Integer)
    gross_cents: Mapped[int] = mapped_column(Integer)
    # [{"rate_bp", "net_cents", "vat_cents", "gross_cents"}]
    by_rate: Mapped[list] = mapped_column(JSON, default=list)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    payment_reference: Mapped[str] = mapped_column(String(120), default="")

    order: Mapped[Order] = relationship()
    credit_note_of: Mapped["Invoice | None"] = relationship(remote_side=[id])
    paid_by: Mapped[User | None] = relationship()

    __table_args__ = (
        UniqueConstraint("kind", "year", "sequence"),
        CheckConstraint("kind IN ('invoice', 'credit_note')", name="kind"),
        CheckConstraint(
            "(kind = 'invoice') = (credit_note_of_id IS NULL)", name="credit_note_refers"
        ),
        CheckConstraint("net_cents >= 0 AND vat_cents >= 0", name="amounts_not_negative"),
    )

    # What may change after issue: the payment, nothing else.
    MUTABLE = frozenset({"paid_at", "paid_by_id", "paid_by", "payment_reference"})

    @property
    def is_credit_note(self):
        return self.kind == "credit_note"

    @property
    def is_paid(self):
        return self.paid_at is not None


@event.listens_for(Invoice, "before_update")
def _refuse_invoice_changes(mapper, connection, invoice):
    """An issued invoice is immutable: refuse any change but its payment."""
    state = inspect(invoice)
    changed = {
        attr.key
        for attr in state.attrs
        if attr.key not in Invoice.MUTABLE and attr.history.has_changes()
    }
    if changed:
        raise ValueError(f"invoice {invoice.number} is issued; cannot change {sorted(changed)}")


@event.listens_for(Invoice, "before_delete")
def _refuse_invoice_deletion(mapper, connection, invoice):
    raise ValueError(f"invoice {invoice.number} is issued; it cannot be deleted")
