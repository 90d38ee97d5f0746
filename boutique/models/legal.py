"""Legal pages written by staff (Markdown), and the gate's cash journal that cannot be rewritten."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .accounts import User
from .base import UTCDateTime, utcnow

LEGAL_SLUGS = ("mentions-legales", "cgv", "confidentialite", "accessibilite", "histoire")


class LegalPage(db.Model):
    """One version of a legal page (mentions légales, CGV, privacy, accessibility, story).

    Saving a page adds a version; the highest version of a slug is the one shown. An order
    records the CGV version its customer accepted (Order.terms_version).
    """

    __tablename__ = "legal_page"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(160))
    # Markdown as typed by staff; rendered, then sanitised, when shown.
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    author: Mapped[User | None] = relationship()

    __table_args__ = (UniqueConstraint("slug", "version"),)


class CashJournalEntry(db.Model):
    """An entry of the gate's payments journal: each payment taken (or taken back) at the gate
    and each closing of the day's cash, appended with the hash of the previous entry, so that
    an entry edited afterwards breaks the chain (`flask books verify`)."""

    __tablename__ = "cash_journal_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # "payment", "payment_taken_back", "closing"
    kind: Mapped[str] = mapped_column(String(24))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("customer_order.id"))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"))
    closing_id: Mapped[int | None] = mapped_column(ForeignKey("cash_closing.id"))
    amount_cents: Mapped[int] = mapped_column(Integer, default=0)
    method: Mapped[str] = mapped_column(String(16), default="")
    # What the entry says, as hashed (numbers, day, point, who): canonical JSON.
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    previous_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)
