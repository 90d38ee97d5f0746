"""The gate's payments journal that cannot be rewritten (CashJournalEntry).

Each payment taken or taken back at the gate and each closing of the day's cash appends an
entry, in the same unit of work, carrying the hash of the previous entry: sha256 of the
previous hash followed by the canonical JSON of what the entry says. Editing, deleting or
inserting an entry afterwards breaks the chain, and `flask books verify` names where.

Appends are serialised so that two payments taken at once never chain to the same entry:
PostgreSQL takes a transaction-scoped advisory lock before reading the last entry (in READ
COMMITTED the next statement sees what the previous holder committed); SQLite takes its
database write lock with a write statement first. The unique entry_hash refuses a copy.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC

from sqlalchemy import select, text, update

from ..extensions import db
from ..models import CashJournalEntry, Order, utcnow

GENESIS = "0" * 64
# pg_advisory_xact_lock key: "CASHJRNL" as a number, distinct from any other lock of the shop.
ADVISORY_KEY = 0x434153484A524E4C


def _iso(moment):
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(entry, order_number):
    """What an entry says, as the exact bytes hashed (ids of its rows included, not its own)."""
    fields = {
        "kind": entry.kind,
        "created_at": _iso(entry.created_at),
        "order": order_number or "",
        "payment_id": entry.payment_id,
        "closing_id": entry.closing_id,
        "amount_cents": entry.amount_cents,
        "method": entry.method or "",
        "details": entry.details or {},
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(previous_hash, entry, order_number):
    payload = previous_hash + canonical(entry, order_number)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _take_lock():
    bind = db.session.get_bind()
    if bind.dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_KEY})
    else:  # SQLite: a write statement takes the database's write lock until the commit
        db.session.execute(
            update(CashJournalEntry)
            .where(CashJournalEntry.id == -1)
            .values(kind=CashJournalEntry.kind)
            .execution_options(synchronize_session=False)
        )


def append(
    kind,
    *,
    amount_cents=0,
    method="",
    order=None,
    payment=None,
    closing=None,
    details=None,
    now=None,
):
    """Append an entry chained to the last one, in the caller's unit of work (flush only)."""
    _take_lock()
    previous = db.session.scalar(
        select(CashJournalEntry.entry_hash).order_by(CashJournalEntry.id.desc()).limit(1)
    )
    # Microseconds are kept by both databases; the value hashed is the value stored.
    entry = CashJournalEntry(
        created_at=now or utcnow(),
        kind=kind,
        order_id=order.id if order is not None else None,
        payment_id=payment.id if payment is not None else None,
        closing_id=closing.id if closing is not None else None,
        amount_cents=amount_cents,
        method=method or "",
        details=details or {},
        previous_hash=previous or GENESIS,
    )
    entry.entry_hash = entry_hash(
        entry.previous_hash, entry, order.number if order is not None else ""
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def _staff_label(user):
    return user.email if user is not None else ""


def _place(order):
    slot = order.slot
    if slot is None:
        return {}
    return {"day": slot.day.isoformat(), "point": slot.point.name if slot.point else ""}


def record_gate_payment(payment, staff):
    """The journal entry of a payment taken at the gate, or taken back (negative amount)."""
    order = payment.order
    kind = "payment" if payment.amount_cents > 0 else "payment_taken_back"
    details = {"order": order.number, "by": _staff_label(staff), **_place(order)}
    if payment.reference:
        details["reference"] = payment.reference
    return append(
        kind,
        amount_cents=payment.amount_cents,
        method=payment.method,
        order=order,
        payment=payment,
        details=details,
        now=payment.created_at,
    )


def record_closing(closing, point, staff):
    """The journal entry of a day's cash closing: the frozen figures as counted."""
    totals = closing.totals or {}
    details = {
        "day": closing.day.isoformat(),
        "point": point.name,
        "by": _staff_label(staff),
        "cash": totals.get("cash", 0),
        "cheque": totals.get("cheque", 0),
        "card_terminal": totals.get("card_terminal", 0),
        "payment_ids": list(totals.get("payment_ids", [])),
        "counted_cash_cents": closing.counted_cash_cents,
    }
    return append(
        "closing",
        amount_cents=totals.get("taken", 0),
        closing=closing,
        details=details,
        now=closing.closed_at,
    )


@dataclass(frozen=True)
class Verdict:
    checked: int
    broken_id: int | None = None
    reason: str = ""

    @property
    def ok(self):
        return self.broken_id is None


def verify():
    """Walk the chain in id order; the first entry whose links or hash do not hold, if any."""
    query = (
        select(CashJournalEntry, Order.number)
        .outerjoin(Order, Order.id == CashJournalEntry.order_id)
        .order_by(CashJournalEntry.id)
        .execution_options(yield_per=500)
    )
    previous = GENESIS
    checked = 0
    result = db.session.execute(query)
    try:  # read in batches (a server-side cursor on PostgreSQL), closed even when it stops early
        for entry, order_number in result:
            if entry.previous_hash != previous:
                return Verdict(checked, entry.id, "previous_hash")
            if entry_hash(previous, entry, order_number) != entry.entry_hash:
                return Verdict(checked, entry.id, "entry_hash")
            previous = entry.entry_hash
            checked += 1
    finally:
        result.close()
    return Verdict(checked)
