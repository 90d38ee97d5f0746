"""Invoices and credit notes: numbered, then never changed."""

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .accounts import User
from .base import UTCDateTime, utcnow
from .orders import Order

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
    # How the order is paid ("invoice": by transfer to the account below; "on_pickup", "card").
    payment_method: Mapped[str] = mapped_column(String(16), default="invoice")
    # An individual's invoice: unit prices and line totals include VAT, as the order did.
    prices_include_vat: Mapped[bool] = mapped_column(default=False)
    seller_iban: Mapped[str] = mapped_column(String(42), default="")
    seller_bic: Mapped[str] = mapped_column(String(11), default="")
    seller_account_holder: Mapped[str] = mapped_column(String(160), default="")
    # [{"line_id", "name", "unit", "quantity", "unit_price_cents", "vat_rate_bp", "total_cents"}]
    # with unit prices excluding VAT (including it when prices_include_vat).
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
