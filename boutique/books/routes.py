"""Staff: the books — the period's VAT report on the page, the journal and FEC downloads."""

from flask import flash, redirect, render_template, request, url_for

from ..auth import admin_required, recent_login_required, staff_required
from ..downloads import download
from . import bp, services


def _period_or_none():
    try:
        return services.parse_period(request.args.get("periode") or services.current_month())
    except services.BooksError as error:
        flash(str(error), "error")
        return None


@bp.get("/")
@staff_required
def books():
    period = _period_or_none()
    if period is None:
        return redirect(url_for("books.books"))
    rows = services.journal(period)
    return render_template(
        "books/index.html",
        period=period,
        rows=rows,
        vat_lines=services.vat_report(rows),
        counts={kind: sum(row.kind == kind for row in rows) for kind in services.KIND_LABELS},
    )


@bp.get("/journal-<periode>.csv")
@admin_required
@recent_login_required
def journal_csv(periode):
    """The sales journal names customers: for admins (exports of personal data)."""
    try:
        period = services.parse_period(periode)
    except services.BooksError as error:
        flash(str(error), "error")
        return redirect(url_for("books.books"))
    body = services.journal_csv(services.journal(period))
    return download(body, f"journal-ventes-{period.text}.csv")


@bp.get("/tva-<periode>.csv")
@staff_required
def vat_csv(periode):
    try:
        period = services.parse_period(periode)
    except services.BooksError as error:
        flash(str(error), "error")
        return redirect(url_for("books.books"))
    body = services.vat_report_csv(services.vat_report(services.journal(period)))
    return download(body, f"tva-{period.text}.csv")


@bp.get("/fec-<periode>.txt")
@admin_required
@recent_login_required
def fec(periode):
    try:
        period = services.parse_period(periode)
        body = services.fec_text(services.journal(period))
    except services.BooksError as error:
        flash(str(error), "error")
        return redirect(url_for("books.books", periode=periode if len(periode) <= 10 else None))
    return download(body, services.fec_filename(period), mimetype="text/plain; charset=utf-8")
