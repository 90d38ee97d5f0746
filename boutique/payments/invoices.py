"""Invoices and credit notes: frozen snapshots with gap-free yearly numbers.

An invoice is issued when staff confirm an order paid by invoice; it never changes afterwards
(only its payment is recorded). A later lowering or cancellation issues a credit note for the
difference. Numbers come from a counter row updated in the invoice's own transaction, so a
rolled-back transaction gives its number back and the series has no gap.
"""

from datetime import timedelta

from flask import current_app, render_template
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload

from ..extensions import db
from ..formatting import format_cents
from ..models import Invoice, InvoiceCounter, Payment, utcnow
from ..order_log import SYSTEM, record
from ..pdf import render_pdf
from ..pricing import compute_totals, vat_exempt
from ..timezones import shop_today
from . import facturx

PREFIXES = {"invoice": "FA", "credit_note": "AV"}
MAX_REFERENCE = 120
FILTERS = ("a_payer", "en_retard", "payees")


class InvoiceError(ValueError):
    """The invoice cannot be issued or changed; the message is for staff."""


# --- Numbering ----------------------------------------------------------------------------------


def next_sequence(kind, year):
    """Take the next number of a kind of document for a year, in the caller's transaction.

    The UPDATE locks the counter row until commit, so concurrent issuers queue up; the first
    document of a year inserts the row, and a racing insert falls back to the UPDATE.
    """
    bump = (
        update(InvoiceCounter)
        .where(InvoiceCounter.kind == kind, InvoiceCounter.year == year)
        .values(last=InvoiceCounter.last + 1)
        .returning(InvoiceCounter.last)
        .execution_options(synchronize_session=False)
    )
    sequence = db.session.execute(bump).scalar_one_or_none()
    if sequence is not None:
        return sequence
    try:
        with db.session.begin_nested():
            db.session.execute(insert(InvoiceCounter).values(kind=kind, year=year, last=1))
    except IntegrityError:
        return db.session.execute(bump).scalar_one()
    return 1


def _numbered(document, now):
    document.year = shop_today(now).year
    document.sequence = next_sequence(document.kind, document.year)
    document.number = f"{PREFIXES[document.kind]}-{document.year}-{document.sequence:04d}"
    return document


# --- Snapshots ----------------------------------------------------------------------------------


def _seller(lines):
    """The seller's block. The VAT details follow the lines, not today's mode: lines frozen
    with VAT (ordered before the shop went VAT-free) are invoiced with the VAT number; lines
    at 0 % in VAT-free mode with the exemption mention."""
    config = current_app.config
    charges_vat = any(line["vat_rate_bp"] for line in lines)
    vat_free = vat_exempt() and not charges_vat
    vat_number = "" if vat_free else (config["SELLER_VAT_NUMBER"] or "").strip()
    return {
        "seller_name": config["SELLER_NAME"],
        "seller_address": config["SELLER_ADDRESS"],
        "seller_siret": config["SELLER_SIRET"],
        "seller_vat_number": vat_number,
        "seller_vat_exemption": "" if vat_number else (config["SELLER_VAT_EXEMPTION"] or ""),
        "late_payment_rate": config["LATE_PAYMENT_RATE"],
        "recovery_indemnity_cents": int(config["RECOVERY_INDEMNITY_EUROS"]) * 100,
    }


def _bank():
    config = current_app.config
    return {
        "seller_iban": " ".join((config["BANK_IBAN"] or "").split()),
        "seller_bic": (config["BANK_BIC"] or "").strip(),
        "seller_account_holder": (config["BANK_ACCOUNT_HOLDER"] or "").strip(),
    }


def _buyer(order):
    customer = order.customer
    if order.billing_name:  # an individual who asked for an invoice, made out as they said
        return {"buyer_name": order.billing_name, "buyer_address": order.billing_address}
    if customer is None:
        return {"buyer_name": order.contact_name}
    organisation = customer.organisation or ""
    name = order.contact_name
    if organisation and name.startswith(f"{organisation} (") and name.endswith(")"):
        name = name[len(organisation) + 2 : -1]  # "Le Bistrot (Paul Roux)": the person
    return {
        "buyer_name": name,
        "buyer_organisation": organisation,
        "buyer_address": customer.address or "",
        "buyer_postcode": customer.postcode or "",
        "buyer_city": customer.city or "",
        "buyer_siren": (customer.siret or "")[:9],
    }


def _line(line_id, name, unit, quantity, unit_price_cents, vat_rate_bp):
    return {
        "line_id": line_id,
        "name": name,
        "unit": unit,
        "quantity": quantity,
        "unit_price_cents": unit_price_cents,
        "vat_rate_bp": vat_rate_bp,
        "total_cents": unit_price_cents * quantity,
    }


def _by_rate_json(totals):
    return [
        {
            "rate_bp": r.rate_bp,
            "net_cents": r.net_cents,
            "vat_cents": r.vat_cents,
            "gross_cents": r.gross_cents,
        }
        for r in totals.by_rate
    ]


def _set_totals(document, by_rate):
    document.by_rate = by_rate
    document.net_cents = sum(r["net_cents"] for r in by_rate)
    document.vat_cents = sum(r["vat_cents"] for r in by_rate)
    document.gross_cents = sum(r["gross_cents"] for r in by_rate)


def _totals_of_lines(lines, prices_include_vat=False):
    totals = compute_totals(
        ((li["unit_price_cents"], li["quantity"], li["vat_rate_bp"]) for li in lines),
        prices_include_vat,
    )
    return _by_rate_json(totals)


def _sale_date(order, now):
    if order.slot is not None:
        return order.slot.day
    return shop_today(order.confirmed_at or now)


# --- Reading ------------------------------------------------------------------------------------


def order_invoice(order):
    """The order's invoice (not its credit notes), or None."""
    return db.session.scalar(
        select(Invoice).where(Invoice.order_id == order.id, Invoice.kind == "invoice")
    )


def order_documents(order):
    """The order's invoice and credit notes, oldest first."""
    return db.session.scalars(
        select(Invoice).where(Invoice.order_id == order.id).order_by(Invoice.id)
    ).all()


def documents_by_order(order_ids):
    """{order id: [invoice, credit notes…]} for these orders, in one query."""
    documents = {}
    if order_ids:
        for invoice in db.session.scalars(
            select(Invoice).where(Invoice.order_id.in_(order_ids)).order_by(Invoice.id)
        ):
            documents.setdefault(invoice.order_id, []).append(invoice)
    return documents


def credit_notes_of(invoice):
    return db.session.scalars(
        select(Invoice).where(Invoice.credit_note_of_id == invoice.id).order_by(Invoice.id)
    ).all()


def _credited_sum():
    credit = aliased(Invoice)
    return (
        select(func.coalesce(func.sum(credit.gross_cents), 0))
        .where(credit.credit_note_of_id == Invoice.id)
        .correlate(Invoice)
        .scalar_subquery()
    )


def balance_cents(invoice):
    """What is still to pay on an invoice: its total less its credit notes."""
    if invoice.is_credit_note:
        return 0
    return invoice.gross_cents - sum(note.gross_cents for note in credit_notes_of(invoice))


def transfer_due_cents(order):
    """What the customer still has to pay by transfer for this order's invoice (credit notes
    deducted); 0 when nothing: paid, fully credited, or not paid by transfer."""
    invoice = order_invoice(order)
    if invoice is None or invoice.payment_method != "invoice" or invoice.is_paid:
        return 0
    return max(balance_cents(invoice), 0)


def invoice_list(status="", today=None, limit=None, offset=0):
    """Documents for the staff list, newest first, as (invoice, balance) pairs; one query.

    status: "" (every document), "a_payer", "en_retard" or "payees" (invoices only).
    limit, offset: one page of them (the list grows by hundreds each season).
    """
    credited = _credited_sum()
    balance = (Invoice.gross_cents - credited).label("balance")
    query = (
        select(Invoice, balance)
        .options(joinedload(Invoice.order), joinedload(Invoice.credit_note_of))
        .order_by(Invoice.issued_at.desc(), Invoice.id.desc())
    )
    if status in ("a_payer", "en_retard"):
        query = query.where(
            Invoice.kind == "invoice", Invoice.paid_at.is_(None), Invoice.gross_cents > credited
        )
    if status == "en_retard":
        query = query.where(Invoice.due_date < (today or shop_today()))
    if status == "payees":
        query = query.where(Invoice.kind == "invoice", Invoice.paid_at.is_not(None))
    if limit is not None:
        query = query.limit(limit).offset(offset)
    return [(row.Invoice, row.balance) for row in db.session.execute(query)]


def overdue_invoices(today=None):
    """Unpaid invoices whose due date has passed and that credit notes do not cancel."""
    return [invoice for invoice, _balance in invoice_list("en_retard", today)]


def is_overdue(invoice, balance, today=None):
    return (
        not invoice.is_credit_note
        and not invoice.is_paid
        and balance > 0
        and invoice.due_date < (today or shop_today())
    )


# --- Issuing ------------------------------------------------------------------------------------


def needs_invoice(order):
    """Every professional sale gets its invoice (whatever the payment method), and an
    individual's when they asked for one."""
    return order.payment_method == "invoice" or not order.prices_include_vat or bool(
        order.billing_name
    )


def issue_invoice(order, now=None):
    """Issue the invoice of a confirmed order from its current lines; None if nothing to bill
    or the order needs none (needs_invoice).

    The payment it asks for follows the order's: a transfer to the shop's account with the
    invoice number as reference, at pick-up, or by card (marked paid once captured:
    settle_from_payments).
    """
    if not needs_invoice(order):
        return None
    if order.payment_method == "invoice" and order.prices_include_vat:
        # Payment by invoice is for approved professionals, priced excluding VAT.
        raise InvoiceError(_("Une facture demande des prix hors taxes (compte professionnel)."))
    if order_invoice(order) is not None:
        raise InvoiceError(_("La commande %(number)s a déjà sa facture.", number=order.number))
    lines = [
        _line(
            line.id,
            line.product_name,
            line.unit_label,
            line.quantity,
            line.unit_price_cents,
            line.vat_rate_bp,
        )
        for line in order.lines
        if line.quantity > 0
    ]
    if not lines:
        return None
    now = now or utcnow()
    sale_date = _sale_date(order, now)
    if order.payment_method == "invoice":
        due_date = shop_today(now) + timedelta(days=current_app.config["INVOICE_DUE_DAYS"])
    else:  # paid at pick-up, or by the card captured at confirmation
        due_date = max(sale_date, shop_today(now))
    invoice = Invoice(
        kind="invoice",
        order=order,
        issued_at=now,
        sale_date=sale_date,
        due_date=due_date,
        lines=lines,
        payment_method=order.payment_method,
        prices_include_vat=order.prices_include_vat,
        **_buyer(order),
        **_seller(lines),
        **(_bank() if order.payment_method == "invoice" else {}),
    )
    _set_totals(invoice, _totals_of_lines(lines, order.prices_include_vat))
    _numbered(invoice, now)
    db.session.add(invoice)
    db.session.flush()
    settle_from_payments(order, now)  # a card captured before, or a payment taken at the gate
    return invoice


def may_request_invoice(order):
    """Can the customer ask for an invoice on the order page (an individual, not yet asked)?"""
    return (
        not needs_invoice(order)
        and order.status in ("placed", "confirmed", "ready", "collected", "no_show")
        and order_invoice(order) is None
    )


def request_invoice(order, name, address, now=None):
    """An individual asks for an invoice made out to `name` at `address`.

    Issued at once when the order is already confirmed (or later), else at confirmation.
    Returns the invoice when one was issued now.
    """
    name, address = " ".join((name or "").split()), " ".join((address or "").split())
    if not name or not address:
        raise InvoiceError(_("Indiquez le nom et l'adresse à porter sur la facture."))
    if len(name) > 160 or len(address) > 255:
        raise InvoiceError(_("Le nom ou l'adresse est trop long."))
    if order.status in ("cancelled", "expired", "pending_payment"):
        raise InvoiceError(_("Cette commande ne peut pas avoir de facture."))
    if order_invoice(order) is not None:
        raise InvoiceError(_("La commande %(number)s a déjà sa facture.", number=order.number))
    order.billing_name, order.billing_address = name, address
    invoice = None
    if order.status in ("confirmed", "ready", "collected", "no_show"):
        invoice = issue_invoice(order, now)
    record(order, None, "invoice_requested", **({"document": invoice.number} if invoice else {}))
    db.session.flush()
    return invoice


def settle_from_payments(order, now=None):
    """Mark the order's invoice paid once the payments recorded for the order (a card
    captured, cash, cheque or card terminal at the gate) cover what it still bills."""
    invoice = order_invoice(order)
    if invoice is None or invoice.is_paid or invoice.payment_method == "invoice":
        return False  # a transfer is recorded by staff, with the bank's reference (mark_paid)
    paid = db.session.scalar(
        select(func.coalesce(func.sum(Payment.amount_cents), 0)).where(
            Payment.order_id == order.id
        )
    )
    balance = balance_cents(invoice)
    if balance <= 0 or paid < balance:
        return False
    invoice.paid_at = now or utcnow()
    invoice.payment_reference = order.number
    record(order, SYSTEM, "invoice_settled", number=invoice.number, amount_cents=balance)
    db.session.flush()
    return True


def credit_note_for_change(order, actor=None, now=None):
    """Credit what the invoice bills beyond what the order now holds; None if nothing.

    A lowering credits the removed quantities; a cancellation credits all that is left.
    The invoice itself is never touched.
    """
    invoice = order_invoice(order)
    if invoice is None:
        return None
    previous = credit_notes_of(invoice)
    credited = {}
    for note in previous:
        for line in note.lines:
            credited[line["line_id"]] = credited.get(line["line_id"], 0) + line["quantity"]
    cancelled = order.status in ("cancelled", "expired")
    current = {} if cancelled else {line.id: line.quantity for line in order.lines}
    lines = []
    for billed in invoice.lines:
        still_billed = billed["quantity"] - credited.get(billed["line_id"], 0)
        removed = still_billed - current.get(billed["line_id"], 0)
        if removed > 0:
            lines.append(
                _line(
                    billed["line_id"],
                    billed["name"],
                    billed["unit"],
                    removed,
                    billed["unit_price_cents"],
                    billed["vat_rate_bp"],
                )
            )
    if not lines:
        return None
    now = now or utcnow()
    note = Invoice(
        kind="credit_note",
        order=order,
        credit_note_of=invoice,
        issued_at=now,
        sale_date=invoice.sale_date,
        due_date=None,
        lines=lines,
        **{key: getattr(invoice, key) for key in _SNAPSHOT_FROM_INVOICE},
    )
    # A cancellation credits exactly what is left, so the invoice and its notes add up to zero.
    _set_totals(
        note,
        _remaining_by_rate(invoice, previous)
        if cancelled
        else _totals_of_lines(lines, invoice.prices_include_vat),
    )
    _numbered(note, now)
    db.session.add(note)
    db.session.flush()
    return note


# A credit note repeats its invoice: the same buyer, and the same seller block (a note on an
# invoice issued with VAT keeps the VAT number even if the shop has since gone VAT-free).
_SNAPSHOT_FROM_INVOICE = (
    "payment_method",
    "prices_include_vat",
    "seller_name",
    "seller_address",
    "seller_siret",
    "seller_vat_number",
    "seller_vat_exemption",
    "late_payment_rate",
    "recovery_indemnity_cents",
    "buyer_name",
    "buyer_organisation",
    "buyer_address",
    "buyer_postcode",
    "buyer_city",
    "buyer_siren",
)


def _remaining_by_rate(invoice, notes):
    remaining = {r["rate_bp"]: dict(r) for r in invoice.by_rate}
    for note in notes:
        for r in note.by_rate:
            left = remaining[r["rate_bp"]]
            for key in ("net_cents", "vat_cents", "gross_cents"):
                left[key] -= r[key]
    return [r for _rate, r in sorted(remaining.items()) if r["gross_cents"] > 0]


# --- Payment ------------------------------------------------------------------------------------


def mark_paid(invoice, staff, reference, now=None):
    """Record that an invoice was paid by transfer, with the bank's reference."""
    reference = (reference or "").strip()
    if invoice.is_credit_note:
        raise InvoiceError(_("Un avoir ne se paie pas."))
    if invoice.is_paid:
        raise InvoiceError(_("La facture %(number)s est déjà payée.", number=invoice.number))
    if not reference:
        raise InvoiceError(_("Indiquez la référence du virement."))
    if len(reference) > MAX_REFERENCE:
        raise InvoiceError(
            _("La référence est trop longue (%(max)d caractères au plus).", max=MAX_REFERENCE)
        )
    balance = balance_cents(invoice)
    if balance <= 0:
        raise InvoiceError(
            _("La facture %(number)s est soldée par ses avoirs.", number=invoice.number)
        )
    now = now or utcnow()
    # First write of the transaction, guarded: two clicks record one transfer.
    claimed = db.session.execute(
        update(Invoice)
        .where(Invoice.id == invoice.id, Invoice.paid_at.is_(None))
        .values(paid_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise InvoiceError(_("La facture %(number)s est déjà payée.", number=invoice.number))
    db.session.refresh(invoice)
    invoice.paid_by = staff
    invoice.payment_reference = reference
    db.session.add(
        Payment(
            order_id=invoice.order_id,
            method="transfer",
            amount_cents=balance,
            recorded_by=staff,
            created_at=now,
        )
    )

    record(
        invoice.order,
        staff,
        "invoice_paid",
        number=invoice.number,
        reference=reference,
        amount_cents=balance,
    )
    db.session.flush()


# --- PDF ----------------------------------------------------------------------------------------


def render_invoice_html(invoice):
    """The document's page, always in French (the legal language of the invoice)."""
    with force_locale("fr"):
        return render_template("payments/invoice_pdf.html", invoice=invoice)


def invoice_pdf(invoice):
    """The document as a PDF: from the frozen snapshot, so the same one every time.

    A professional's is Factur-X: a PDF/A-3 carrying its EN 16931 XML; an individual's
    stays a plain PDF.
    """
    html = render_invoice_html(invoice)
    if not facturx.is_facturx(invoice):
        return render_pdf(html, base_url=None)
    pdf = render_pdf(html, base_url=None, pdf_variant="pdf/a-3b")
    return facturx.embed(pdf, invoice_xml(invoice), invoice)


def invoice_xml(invoice):
    """The document's Factur-X XML, with its French legal mentions and payment terms."""
    with force_locale("fr"):
        return facturx.facturx_xml(invoice, _legal_notes(invoice), _payment_terms(invoice))


def _legal_notes(invoice):
    # UNTDID 4451 subjects: AAB (no discount), PMD (late payment), PMT (recovery indemnity).
    if invoice.is_credit_note:
        return []
    indemnity = invoice.recovery_indemnity_cents
    amount = f"{indemnity // 100} €" if indemnity % 100 == 0 else format_cents(indemnity)
    return [
        ("AAB", _("Pas d'escompte pour paiement anticipé.")),
        ("PMD", _("Pénalités de retard : %(rate)s.", rate=invoice.late_payment_rate)),
        (
            "PMT",
            _("Indemnité forfaitaire pour frais de recouvrement : %(amount)s.", amount=amount),
        ),
    ]


def _payment_terms(invoice):
    due = format_date(invoice.due_date, "long") if invoice.due_date else ""
    terms = {
        "invoice": _(
            "À payer par virement au plus tard le %(date)s, en indiquant la référence "
            "%(number)s.",
            date=due,
            number=invoice.number,
        ),
        "card": _(
            "Payée par carte bancaire : le montant est débité à la confirmation de la commande."
        ),
        "on_pickup": _(
            "À régler au retrait de la commande, le %(date)s (espèces, chèque ou carte).",
            date=due,
        ),
    }
    if invoice.is_credit_note:
        terms["credit_note"] = _(
            "Ce montant est déduit de la facture %(number)s.",
            number=invoice.credit_note_of.number,
        )
    return terms


def pdf_filename(invoice):
    return f"{invoice.number}.pdf"
