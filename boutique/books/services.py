"""The sales journal, the VAT report and the FEC export, read from the frozen documents.

Every invoice and credit note (negative) of the period, and a receipt for each collected order
of an individual that has no invoice (paid at the gate or by card; its number is the order's).
Amounts are integer cents; a document's figures are its own frozen by_rate, so the journal
matches the invoices to the cent.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..formatting import cents_to_input
from ..models import Invoice, Order
from ..pricing import compute_totals
from ..spreadsheet import csv_text
from ..timezones import local_to_utc, shop_today

GATE_METHODS = ("cash", "cheque", "card_terminal")
METHOD_LABELS = {
    "invoice": _l("virement"),
    "card": _l("carte en ligne"),
    "on_pickup": _l("au retrait"),
    "cash": _l("espèces"),
    "cheque": _l("chèque"),
    "card_terminal": _l("carte (TPE)"),
}
KIND_LABELS = {
    "invoice": _l("Facture"),
    "credit_note": _l("Avoir"),
    "receipt": _l("Ticket"),
}
FEC_COLUMNS = (
    "JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib",
    "CompAuxNum", "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit",
    "EcritureLet", "DateLet", "ValidDate", "Montantdevise", "Idevise",
)  # fmt: skip


class BooksError(ValueError):
    """A period or an export that cannot be made; the message is for staff."""


# --- Periods ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Days from `first` to `last` included (Paris), a day, a month or a year."""

    first: date
    last: date
    text: str

    @property
    def bounds(self):
        """The period in UTC: [start, end)."""
        start = local_to_utc(datetime.combine(self.first, time.min))
        end = local_to_utc(datetime.combine(self.last + timedelta(days=1), time.min))
        return start, end


def parse_period(text):
    """ "2026-05-12" (a day), "2026-05" (a month) or "2026" (a year); BooksError otherwise."""
    text = (text or "").strip()
    invalid = _(
        "Période « %(text)s » non reconnue : indiquez un jour (2026-05-12), un mois (2026-05) "
        "ou une année (2026).",
        text=text[:20],
    )
    match = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", text)
    if not match:
        raise BooksError(invalid)
    year, month, day = (int(part) if part else None for part in match.groups())
    if year < 2000 or year > 2999:  # the shop's own years: no date arithmetic overflow
        raise BooksError(invalid)
    try:
        if day is not None:
            first = last = date(year, month, day)
        elif month is not None:
            first = date(year, month, 1)
            last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        else:
            first, last = date(year, 1, 1), date(year, 12, 31)
    except ValueError:
        raise BooksError(invalid) from None
    return Period(first, last, text)


def current_month():
    return shop_today().strftime("%Y-%m")


# --- The journal --------------------------------------------------------------------------------


@dataclass
class JournalRow:
    kind: str  # "invoice", "credit_note", "receipt"
    number: str
    day: date
    customer: str
    customer_account: str  # auxiliary account ("C00012"), "" for a walk-in individual
    order_number: str
    payment: str
    # {rate_bp: (net_cents, vat_cents)}, negative on a credit note
    by_rate: dict = field(default_factory=dict)

    @property
    def net_cents(self):
        return sum(net for net, _vat in self.by_rate.values())

    @property
    def vat_cents(self):
        return sum(vat for _net, vat in self.by_rate.values())

    @property
    def gross_cents(self):
        return self.net_cents + self.vat_cents


def _aux_account(order):
    return f"C{order.customer_id:05d}" if order is not None and order.customer_id else ""


def _document_row(document):
    sign = -1 if document.is_credit_note else 1
    return JournalRow(
        kind=document.kind,
        number=document.number,
        day=shop_today(document.issued_at),
        customer=document.buyer_organisation or document.buyer_name,
        customer_account=_aux_account(document.order),
        order_number=document.order.number if document.order else "",
        payment=document.payment_method,
        by_rate={
            r["rate_bp"]: (sign * r["net_cents"], sign * r["vat_cents"]) for r in document.by_rate
        },
    )


def _receipt_method(order):
    if order.payment_method != "on_pickup":
        return order.payment_method
    taken = {}
    for payment in order.payments:
        if payment.method in GATE_METHODS:
            taken[payment.method] = taken.get(payment.method, 0) + payment.amount_cents
    methods = [method for method in GATE_METHODS if taken.get(method, 0) > 0]
    return "+".join(methods) or "on_pickup"


def _receipt_row(order):
    totals = compute_totals(
        (
            (line.unit_price_cents, line.quantity, line.vat_rate_bp)
            for line in order.lines
            if line.quantity > 0
        ),
        prices_include_vat=True,
    )
    day = shop_today(order.collected_at)
    return JournalRow(
        kind="receipt",
        # Order numbers start again each year (S49-001): the year makes the receipt's unique.
        number=f"{day.year}-{order.number}",
        day=day,
        customer=order.contact_name,
        customer_account=_aux_account(order),
        order_number=order.number,
        payment=_receipt_method(order),
        by_rate={r.rate_bp: (r.net_cents, r.vat_cents) for r in totals.by_rate},
    )


def journal(period):
    """The period's journal rows, by date then number, in three queries."""
    start, end = period.bounds
    documents = db.session.scalars(
        select(Invoice)
        .options(joinedload(Invoice.order))
        .where(Invoice.issued_at >= start, Invoice.issued_at < end)
    ).all()
    invoiced = exists().where(Invoice.order_id == Order.id)
    receipts = db.session.scalars(
        select(Order)
        .options(selectinload(Order.lines), selectinload(Order.payments))
        .where(
            Order.status == "collected",
            Order.prices_include_vat.is_(True),
            Order.payment_method.in_(("on_pickup", "card")),
            Order.collected_at >= start,
            Order.collected_at < end,
            ~invoiced,
        )
    ).all()
    rows = [_document_row(document) for document in documents]
    rows += [row for row in map(_receipt_row, receipts) if row.by_rate]
    rows.sort(key=lambda row: (row.day, row.kind == "receipt", row.number))
    return rows


def _rates(rows):
    return sorted({rate for row in rows for rate in row.by_rate})


class Amount(int):
    """Cents written as a French decimal in CSV: a number of ours, never a formula, so the
    spreadsheet cell stays a number (csv_text only guards text cells)."""

    def __str__(self):
        return cents_to_input(int(self))


def rate_label(rate_bp):
    return f"{rate_bp / 100:g}".replace(".", ",") + " %"


def method_label(method):
    return " + ".join(str(METHOD_LABELS.get(part, part)) for part in method.split("+"))


def journal_csv(rows):
    """The journal as CSV: one line per document, columns per VAT rate, a total line."""
    rates = _rates(rows)
    header = [_("Type"), _("Numéro"), _("Date"), _("Client"), _("Compte client"), _("Commande")]
    for rate in rates:
        header += [
            _("HT %(rate)s", rate=rate_label(rate)),
            _("TVA %(rate)s", rate=rate_label(rate)),
        ]
    header += [_("Total HT"), _("Total TVA"), _("Total TTC"), _("Paiement")]
    out = []
    for row in rows:
        line = [
            str(KIND_LABELS[row.kind]),
            row.number,
            row.day.isoformat(),
            row.customer,
            row.customer_account,
            row.order_number,
        ]
        for rate in rates:
            net, vat = row.by_rate.get(rate, (0, 0))
            line += [Amount(net), Amount(vat)]
        line += [Amount(row.net_cents), Amount(row.vat_cents), Amount(row.gross_cents)]
        out.append([*line, method_label(row.payment)])
    total = [_("Total"), "", "", "", "", ""]
    for rate in rates:
        total += [
            Amount(sum(row.by_rate.get(rate, (0, 0))[0] for row in rows)),
            Amount(sum(row.by_rate.get(rate, (0, 0))[1] for row in rows)),
        ]
    total += [
        Amount(sum(row.net_cents for row in rows)),
        Amount(sum(row.vat_cents for row in rows)),
        Amount(sum(row.gross_cents for row in rows)),
        "",
    ]
    out.append(total)
    return csv_text(header, out)


# --- The VAT report -----------------------------------------------------------------------------


@dataclass(frozen=True)
class VatLine:
    month: str
    rate_bp: int
    net_cents: int
    vat_cents: int
    gross_cents: int
    documents: int


def vat_report(rows):
    """Per month and rate: the base, the VAT collected and the total (credit notes deducted)."""
    sums = {}
    for row in rows:
        month = row.day.strftime("%Y-%m")
        for rate, (net, vat) in row.by_rate.items():
            entry = sums.setdefault((month, rate), [0, 0, 0])
            entry[0] += net
            entry[1] += vat
            entry[2] += 1
    return [
        VatLine(month, rate, net, vat, net + vat, count)
        for (month, rate), (net, vat, count) in sorted(sums.items())
    ]


def vat_report_csv(lines):
    header = [_("Mois"), _("Taux de TVA"), _("Base HT"), _("TVA collectée"), _("Total TTC"),
              _("Pièces")]  # fmt: skip
    out = [
        [
            line.month,
            rate_label(line.rate_bp),
            Amount(line.net_cents),
            Amount(line.vat_cents),
            Amount(line.gross_cents),
            line.documents,
        ]  # fmt: skip
        for line in lines
    ]
    out.append([
        _("Total"), "", Amount(sum(line.net_cents for line in lines)),
        Amount(sum(line.vat_cents for line in lines)),
        Amount(sum(line.gross_cents for line in lines)), "",
    ])  # fmt: skip
    return csv_text(header, out)


# --- The FEC ------------------------------------------------------------------------------------


def _account(setting, rate):
    accounts = current_app.config[setting]
    account = accounts.get(rate) or accounts.get(str(rate))
    if not account:
        raise BooksError(
            _(
                "Aucun compte n'est configuré pour le taux %(rate)s (%(setting)s).",
                rate=rate_label(rate),
                setting=setting,
            )
        )
    return str(account)


def _fec_text(value):
    """A free-text field: no pipe, no line break (they would split the record)."""
    return " ".join(str(value or "").replace("|", "/").split())


def _mover(movements):
    def move(account, label, amount, aux="", aux_label="", *, debit_side):
        if amount == 0:
            return
        debit = amount if debit_side else 0
        credit = 0 if debit_side else amount
        if amount < 0:  # a credit note: the entry reversed
            debit, credit = -credit, -debit
        movements.append((account, label, aux, aux_label, debit, credit))

    return move


def fec_entries(rows):
    """Each row as a balanced entry: [(account, label, aux, aux_label, debit, credit)].

    Sales: debit the customer with the total, credit sales and VAT per rate. A credit note
    (negative amounts) is the same entry reversed.
    """
    customers = current_app.config["ACCOUNT_CUSTOMERS"]
    entries = []
    for row in rows:
        movements = []
        move = _mover(movements)

        move(customers, _("Clients"), row.gross_cents, row.customer_account,
             row.customer if row.customer_account else "", debit_side=True)  # fmt: skip
        for rate in sorted(row.by_rate):
            net, vat = row.by_rate[rate]
            move(_account("ACCOUNT_SALES", rate),
                 _("Ventes TVA %(rate)s", rate=rate_label(rate)), net, debit_side=False)  # fmt: skip
            if vat:
                move(_account("ACCOUNT_VAT", rate),
                     _("TVA collectée %(rate)s", rate=rate_label(rate)), vat, debit_side=False)  # fmt: skip
        entries.append((row, movements))
    return entries


def fec_text(rows):
    """The FEC file: the A47 A-1 columns, pipe-separated, one line per account movement."""
    config = current_app.config
    code, label = config["FEC_JOURNAL_CODE"], config["FEC_JOURNAL_LABEL"]
    lines = ["|".join(FEC_COLUMNS)]
    for row, movements in fec_entries(rows):
        # The entry's number is its document's (FA-2026-0001, AV-…, 2026-S49-001): the same in
        # every export, so monthly files put together never repeat one.
        number = row.number
        day = row.day.strftime("%Y%m%d")
        text = _fec_text(f"{KIND_LABELS[row.kind]} {row.number} {row.customer}")
        for account, account_label, aux, aux_label, debit, credit in movements:
            lines.append("|".join([
                code, _fec_text(label), number, day, account, _fec_text(account_label),
                aux, _fec_text(aux_label), row.number, day, text, cents_to_input(debit), cents_to_input(credit),
                "", "", day, "", "",
            ]))  # fmt: skip
    return "\r\n".join(lines) + "\r\n"


def fec_filename(period):
    """SIREN + "FEC" + closing date (the period's last day), as the administration names it."""
    siren = (current_app.config["SELLER_SIRET"] or "")[:9]
    return f"{siren}FEC{period.last.strftime('%Y%m%d')}.txt"
