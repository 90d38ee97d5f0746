"""A group order's documents: the distribution sheet, the bags' labels, the members' CSV."""

from flask import render_template
from flask_babel import gettext as _

from .. import pdf as pdf_writer
from ..downloads import download
from ..formatting import cents_to_input
from ..links import public_root
from ..spreadsheet import csv_text
from ..weeks.services import file_stem
from .bags import gross_cents, member_totals
from .services import PAID_LABELS


def _bags(group):
    """Each active member's bag: the member, their lines with something in, their amount."""
    bags = []
    for member in group.active_members:
        lines = [line for line in member.lines if line.quantity]
        if lines:  # a part lowered to nothing has no bag
            bags.append((member, lines, member_totals(member)))
    return bags


def _name(group, kind):
    return f"{kind}-{file_stem(group.week)}-groupe-{group.id}"


def _line_gross(line):
    return gross_cents(line.unit_price_cents, line.vat_rate_bp, line.quantity)


def _pdf(group, template, kind):
    html = render_template(
        template,
        group=group,
        bags=_bags(group),
        compute_gross=_line_gross,
        paid_labels=PAID_LABELS,
    )
    return download(
        pdf_writer.render_pdf(html, base_url=public_root()), f"{_name(group, kind)}.pdf"
    )


def distribution_pdf_response(group):
    """One block per member: items, amount with VAT, paid or not, a box to sign."""
    return _pdf(group, "groups/distribution.html", "distribution")


def labels_pdf_response(group):
    """One label per member's bag (3 × 8 labels of 70 × 37 mm per A4 sheet)."""
    return _pdf(group, "groups/labels.html", "etiquettes-sacs")


def members_csv(group):
    header = [
        _("Sac"),
        _("Membre"),
        _("E-mail"),
        _("Téléphone"),
        _("Produit"),
        _("Unité"),
        _("Quantité"),
        _("Total TTC du membre (€)"),
        _("Payé"),
    ]
    rows = []
    for member, lines, totals in _bags(group):
        paid = str(PAID_LABELS[member.paid_method]) if member.paid_method else ""
        for line in lines:
            rows.append(
                [
                    member.number,
                    member.name,
                    member.email,
                    member.phone,
                    line.product_name,
                    line.unit_label,
                    line.quantity,
                    cents_to_input(totals.gross_cents),
                    paid,
                ]
            )
    return csv_text(header, rows)


def members_csv_response(group):
    return download(members_csv(group), f"{_name(group, 'parts')}.csv")
