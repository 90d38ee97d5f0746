"""Staff: invoices and credit notes — the list, recording a transfer, the PDF."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth import staff_required
from ..downloads import download
from ..extensions import db
from ..formatting import parse_count
from ..models import Invoice
from ..payments import invoices
from ..payments.forms import MarkPaidForm
from . import bp

# Two seasons of a nursery's professionals: some 700 documents; a page of the newest first.
INVOICES_PER_PAGE = 100


@bp.get("/factures")
@staff_required
def invoice_list():
    status = request.args.get("statut") or ""
    if status and status not in invoices.FILTERS:
        flash(_("Filtre inconnu : toutes les factures sont affichées."), "info")
        status = ""
    today = invoices.shop_today()
    page = parse_count(request.args.get("page")) or 1
    rows = invoices.invoice_list(
        status, today, limit=INVOICES_PER_PAGE + 1, offset=(page - 1) * INVOICES_PER_PAGE
    )
    return render_template(
        "staff/invoices.html",
        rows=rows[:INVOICES_PER_PAGE],
        page=page,
        more=len(rows) > INVOICES_PER_PAGE,
        status=status,
        today=today,
        is_overdue=invoices.is_overdue,
        form=MarkPaidForm(),
    )


@bp.post("/factures/<int:invoice_id>/payee")
@staff_required
def mark_invoice_paid(invoice_id):
    invoice = db.get_or_404(Invoice, invoice_id)
    form = MarkPaidForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
    else:
        try:
            invoices.mark_paid(invoice, current_user, form.reference.data)
            db.session.commit()
            flash(_("Facture %(number)s marquée payée.", number=invoice.number), "success")
        except invoices.InvoiceError as error:
            db.session.rollback()
            flash(str(error), "error")
    back = request.form.get("back") or ""
    return redirect(url_for("staff.invoice_list") + (back if back.startswith("?") else ""))


@bp.get("/factures/<int:invoice_id>.pdf")
@staff_required
def invoice_pdf(invoice_id):
    invoice = db.get_or_404(Invoice, invoice_id)
    return _pdf_response(invoice)


def _pdf_response(invoice):
    return download(invoices.invoice_pdf(invoice), invoices.pdf_filename(invoice))
