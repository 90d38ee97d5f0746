"""Staff: the season at a glance; each chart an SVG of its own, each table a CSV."""

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth import staff_required
from ..downloads import download
from ..extensions import db
from ..formatting import parse_id
from ..models import Product, SeasonCharge
from . import bp, charts, services
from .forms import ChargeForm, RemoveChargeForm

# The chart's SVG is its own document: its inline <style> and nothing else.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"
CHARTS = {
    "ventes": lambda f, p, n: charts.sales(f.weekly(), n),
    "ecoulement": lambda f, p, n: charts.product_sell_through(f.products(), n),
    "ecoulement-semaines": lambda f, p, n: charts.weekly_sell_through(f.weekly_sell_through(), n),
    "ecoulement-produit": lambda f, p, n: charts.product_weekly(
        f.product_weekly(p) if p else [], n
    ),
    "invendus": lambda f, p, n: charts.left_over(f.left_over(), n),
    "absences": lambda f, p, n: charts.lost_orders(f.lost_orders(), n),
    "paiements": lambda f, p, n: charts.payment_methods(f.payment_methods(), n),
    "attente": lambda f, p, n: charts.waiting_list(f.waiting_list(), n),
    "financeurs": lambda f, p, n: charts.funders(services.funders_share(f.season.year), n),
}


@bp.after_request
def keep_out_of_caches(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _season(quiet=False):
    """The season the query string chooses; a bad one is told and the current year shown."""
    try:
        return services.parse_season(request.args)
    except services.SeasonError as error:
        if not quiet:
            flash(str(error), "error")
        return services.default_season()


def _product(quiet=False):
    """The product of the per-week view (?produit=), or None."""
    text = request.args.get("produit")
    if not text:
        return None
    product = db.session.get(Product, parse_id(text) or 0)
    if product is None and not quiet:
        flash(_("Produit « %(text)s » inconnu.", text=text[:20]), "error")
    return product


@bp.get("/")
@staff_required
def dashboard():
    season = _season()
    product = _product()
    figures = services.SeasonFigures(season)
    lines = services.charges(season.year)
    return render_template(
        "season/dashboard.html",
        season=season,
        figures=figures,
        product=product,
        product_weeks=figures.product_weekly(product.id) if product else [],
        top_offered=charts.top_offered(figures.products()),
        charge_lines=lines,
        share=services.funders_share(season.year, lines),
        charge_form=ChargeForm(formdata=None),
        charge_forms={line.id: ChargeForm(obj=line, formdata=None) for line in lines},
        remove_form=RemoveChargeForm(),
        percent=services.percent_label,
        kinds=services.KINDS,
        kind_labels=services.KIND_LABELS,
        method_labels=services.METHOD_LABELS,
    )


@bp.get("/graphique-<name>.svg")
@staff_required
def chart(name):
    if name not in CHARTS:
        abort(404)
    season, product = _season(quiet=True), _product(quiet=True)
    figures = services.SeasonFigures(season)
    # ?taille=etroit: the phone's drawing (the page's <picture> asks for it below 40rem).
    narrow = request.args.get("taille") == "etroit"
    svg = CHARTS[name](figures, product.id if product else None, narrow)
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = SVG_POLICY
    return response


@bp.get("/<name>.csv")
@staff_required
def table_csv(name):
    if name not in services.TABLES:
        abort(404)
    try:
        season = services.parse_season(request.args)
    except services.SeasonError as error:
        flash(str(error), "error")
        return redirect(url_for("season.dashboard"))
    product = _product(quiet=True)
    body = services.table_csv(name, services.SeasonFigures(season), product and product.id)
    period = str(season.year) if season.is_year else f"{season.first}_{season.last}"
    suffix = f"-{product.id}" if name == "ecoulement-produit" and product else ""
    return download(body, f"saison-{name}{suffix}-{period}.csv")


# --- The year's charges ---------------------------------------------------------------------------


def _back(season):
    return redirect(url_for("season.dashboard", **season.args, _anchor="financeurs"))


def _form_errors(form):
    for errors in form.errors.values():
        for error in errors:
            flash(str(error), "error")


@bp.post("/charges")
@staff_required
def add_charge():
    try:  # the year the line is for: never another one than the page's
        season = services.parse_season(request.args)
    except services.SeasonError as error:
        flash(str(error), "error")
        return redirect(url_for("season.dashboard", _anchor="financeurs"))
    return _save_charge(
        season,
        lambda label, cents: services.add_charge(season.year, label, cents, current_user),
        lambda: _("Charge ajoutée à l'année %(year)d.", year=season.year),
    )


def _charge_season(charge):
    """The page a charge's form goes back to: the one it was sent from, or, when its query is
    not understood, the charge's own year (the line has its year; the query only says where
    staff were)."""
    try:
        return services.parse_season(request.args)
    except services.SeasonError:
        return services.year_season(charge.year)


@bp.post("/charges/<int:charge_id>")
@staff_required
def change_charge(charge_id):
    charge = db.get_or_404(SeasonCharge, charge_id)
    return _save_charge(
        _charge_season(charge),
        lambda label, cents: services.change_charge(charge, label, cents, current_user),
        lambda: _("Charge « %(label)s » enregistrée.", label=charge.label),
    )


def _save_charge(season, save, done):
    """The charge form checked, then save(label, cents) committed and done() flashed; what
    is wrong is told and nothing is saved."""
    form = ChargeForm()
    if not form.validate_on_submit():
        _form_errors(form)
        return _back(season)
    try:
        save(form.label.data, form.amount_cents.data)
    except services.ChargeError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _back(season)
    db.session.commit()
    flash(done(), "success")
    return _back(season)


@bp.post("/charges/<int:charge_id>/supprimer")
@staff_required
def remove_charge(charge_id):
    charge = db.get_or_404(SeasonCharge, charge_id)
    season = _charge_season(charge)
    if not RemoveChargeForm().validate_on_submit():
        flash(_("Le formulaire a expiré : recommencez."), "error")
        return _back(season)
    label = charge.label
    services.remove_charge(charge)
    db.session.commit()
    flash(_("Charge « %(label)s » retirée.", label=label), "success")
    return _back(season)
