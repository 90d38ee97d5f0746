"""Card payments through Stripe: the authorisation of an order and the webhook events seen."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .orders import Order

# open: the customer is on the payment page; failed: the card was refused (they may try again);
# authorised: the amount is held on the card; captured: taken; cancelled: released.
CARD_STATUSES = ("open", "failed", "authorised", "captured", "cancelled")


class CardPayment(db.Model):
    """The card side of an order: its Checkout Session, PaymentIntent and amounts.

    What was actually captured and refunded is in `Payment` rows; this row says where the
    authorisation stands and whether the shop still owes Stripe a call (`settle_due`).
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), unique=True)
    session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    session_url: Mapped[str] = mapped_column(Text, default="")
    intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    # What the order asked Stripe for, and what Stripe says it holds on the card.
    amount_requested_cents: Mapped[int] = mapped_column(Integer)
    amount_authorised_cents: Mapped[int | None] = mapped_column(Integer)
    authorised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The order moved (confirmed, lowered, cancelled) and Stripe has not been told yet.
    settle_due: Mapped[bool] = mapped_column(default=False, index=True)
    # For staff: an amount that does not match, a capture that failed, an expired authorisation.
    problem: Mapped[str] = mapped_column(Text, default="")
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    order: Mapped[Order] = relationship(back_populates="card")

    __table_args__ = (
        CheckConstraint(
            "status IN ('open', 'failed', 'authorised', 'captured', 'cancelled')", name="status"
        ),
        CheckConstraint("amount_requested_cents > 0", name="amount_requested_positive"),
    )


class WebhookEvent(db.Model):
    """A Stripe event already handled: stored with its effect, so it is handled once."""

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(80))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("customer_order.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outcome: Mapped[str] = mapped_column(String(80), default="")


class DemoIntent(db.Model):
    """The demo gateway's stand-in for a PaymentIntent (development only, no money moves)."""

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[str] = mapped_column(String(64), unique=True)
    order_number: Mapped[str] = mapped_column(String(20))
    amount: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(32), default="requires_payment_method")
    amount_received: Mapped[int] = mapped_column(Integer, default=0)
    amount_refunded: Mapped[int] = mapped_column(Integer, default=0)
    success_url: Mapped[str] = mapped_column(Text)
    cancel_url: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
