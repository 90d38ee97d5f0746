"""AMAP group orders: members order on a secret link, the AMAP gets one order."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .accounts import User
from .base import UTCDateTime, utcnow
from .catalog import Offer, SalesWeek
from .orders import Order, OrderLine, PickupSlot

GROUP_STATUSES = ("open", "closed", "cancelled")
# How a member paid the coordinator (the AMAP's own small ledger, not the shop's money).
MEMBER_PAYMENT_METHODS = ("cash", "cheque", "transfer")


class GroupOrder(db.Model):
    """An AMAP's group order for one sales week.

    While `open`, members order on the secret link (`token`) until `members_deadline`; their
    lines reserve stock at once. Its pick-up place is reserved at opening. When it closes
    (deadline or coordinator), it becomes one order of the AMAP (`order`), whose lines are the
    members' lines added up; each member line keeps a link to its order line.
    """

    __tablename__ = "group_order"

    id: Mapped[int] = mapped_column(primary_key=True)
    week_id: Mapped[int] = mapped_column(ForeignKey("sales_week.id"), index=True)
    coordinator_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("pickup_slot.id"))
    # Where a delivery round brings it (the AMAP's distribution place); "" at a pick-up point.
    delivery_address: Mapped[str] = mapped_column(String(255), default="")
    members_deadline: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    message: Mapped[str] = mapped_column(Text, default="")
    payment_method: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    # Secret part of the members' link.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    # Drawn when the opening form is shown: the same form sent twice finds this group.
    form_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("customer_order.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the members were reminded of their deadline (once).
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Members' bags are numbered 1, 2, 3… in the order they joined.
    member_counter: Mapped[int] = mapped_column(Integer, default=0)

    week: Mapped[SalesWeek] = relationship()
    coordinator: Mapped[User] = relationship()
    slot: Mapped[PickupSlot] = relationship()
    order: Mapped[Order | None] = relationship()
    members: Mapped[list["GroupMember"]] = relationship(
        back_populates="group", order_by="GroupMember.number", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed', 'cancelled')", name="status"),
        CheckConstraint("payment_method IN ('on_pickup', 'invoice')", name="payment"),
    )

    @property
    def active_members(self):
        return [member for member in self.members if member.cancelled_at is None]


class GroupMember(db.Model):
    """One member's part of a group order: no account, a secret link of their own."""

    __tablename__ = "group_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("group_order.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(160))
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    locale: Mapped[str] = mapped_column(String(5), default="fr")
    # Secret part of the member's own link (drawn by the shop).
    token: Mapped[str] = mapped_column(String(64), unique=True)
    # Drawn when the link's form is shown: the same form sent twice finds this member.
    form_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The coordinator's ledger: how and when this member paid the AMAP.
    paid_method: Mapped[str | None] = mapped_column(String(16))
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    group: Mapped[GroupOrder] = relationship(back_populates="members")
    lines: Mapped[list["GroupMemberLine"]] = relationship(
        back_populates="member", order_by="GroupMemberLine.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("group_id", "number"),
        CheckConstraint(
            "paid_method IS NULL OR paid_method IN ('cash', 'cheque', 'transfer')",
            name="paid_method",
        ),
    )


class GroupMemberLine(db.Model):
    """What a member asked for: price (the AMAP's, excluding VAT) and VAT frozen when ordered.

    `quantity` is what goes in their bag (lowered when a crop fails); `order_line` is set when
    the group order becomes the AMAP's order.
    """

    __tablename__ = "group_member_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("group_member.id"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    product_name: Mapped[str] = mapped_column(String(245))
    unit_label: Mapped[str] = mapped_column(String(60))
    unit_price_cents: Mapped[int] = mapped_column(Integer)
    vat_rate_bp: Mapped[int] = mapped_column(Integer)
    quantity_ordered: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_line.id"), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[GroupMember] = relationship(back_populates="lines")
    offer: Mapped[Offer] = relationship()
    order_line: Mapped[OrderLine | None] = relationship()

    __table_args__ = (
        UniqueConstraint("member_id", "offer_id"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        CheckConstraint("quantity_ordered > 0", name="quantity_ordered_positive"),
        CheckConstraint("quantity <= quantity_ordered", name="quantity_not_above_ordered"),
    )
