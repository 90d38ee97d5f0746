"""Staff: the sowing plan (page, "cette semaine" on a phone, PDF, CSV), crop data, forecasts."""

from datetime import timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from .. import pdf as pdf_writer
from ..auth import staff_required
from ..downloads import download
from ..extensions import db
from ..links import public_root
from ..models import Product, utcnow
from ..timezones import shop_today
from ..transactions import retried
from . import bp, services
from .forecast import METHOD, WEEK
from .forms import CropForm, OverrideForm

# The printed sheet: what is late, this week and the next three (the CSV has the whole plan).
SHEET_WEEKS = 4
# « Semé » taps listed with their « Annuler » on the greenhouse view: a mistake made on
# Friday is still there to take back on Monday.
UNDO_DAYS = timedelta(days=6)


def _file_stem(plan):
    iso = plan.monday.isocalendar()
    return f"plan-de-semis-{iso.year}-S{iso.week:02d}"


@bp.get("/")
@staff_required
def plan():
    return render_template("sowing/plan.html", plan=services.sowing_plan(shop_today()))


@bp.get("/cette-semaine")
@staff_required
def this_week():
    return _this_week_page()


def _this_week_page(status=200):
    plan = services.sowing_plan(shop_today())
    return render_template(
        "sowing/this_week.html",
        plan=plan,
        sown=services.sown_since(shop_today() - UNDO_DAYS),
        form=OverrideForm(),
    ), status


def _token_checked():
    """The greenhouse view's form came with its CSRF token; else the message is flashed."""
    if OverrideForm().validate_on_submit():
        return True
    flash(_("Le formulaire a expiré : rechargez la page et recommencez."), "error")
    return False


def _lots_posted():
    """The lots of the greenhouse view's form, or None (the message flashed)."""
    if not _token_checked():
        return None
    try:
        return services.parse_lots(request.form.getlist("lot"))
    except services.SowingError as error:
        flash(str(error), "error")
        return None


@bp.post("/seme")
@staff_required
@retried
def record_sown():
    """The greenhouse team sowed a card's lot(s): the plan stops asking for them."""
    lots = _lots_posted()
    if lots is None:
        return _this_week_page(400)
    cells, left = services.record_sown(lots, current_user, shop_today())
    db.session.commit()
    product = db.session.get(Product, lots[0].product_id)
    if left:  # the same tap twice, another phone's, or a page left open
        flash(
            _(
                "Ce semis de « %(name)s » avait déjà été noté, ou a changé depuis : voici la "
                "page à jour.",
                name=product.full_name,
            ),
            "info",
        )
    if not cells:
        return redirect(url_for("sowing.this_week"))
    flash(
        ngettext(
            "Noté : « %(name)s » semé, %(num)d motte.",
            "Noté : « %(name)s » semé, %(num)d mottes.",
            cells,
            name=product.full_name,
        ),
        "success",
    )
    return redirect(url_for("sowing.this_week"))


@bp.post("/seme/<int:record_id>/annuler")
@staff_required
@retried
def undo_sown(record_id):
    """A « Semé » tapped by mistake: the plan asks for its cells again."""
    if not _token_checked():
        return _this_week_page(400)
    record = services.undo_sown(record_id)
    db.session.commit()
    if record is None:
        flash(_("Ce semis était déjà annulé."), "info")
        return redirect(url_for("sowing.this_week"))
    product = db.session.get(Product, record.product_id)
    flash(
        _("Semis de « %(name)s » annulé : le plan le demande de nouveau.", name=product.full_name),
        "info",
    )
    return redirect(url_for("sowing.this_week"))


@bp.get("/plan-de-semis.pdf")
@staff_required
def plan_pdf():
    plan = services.sowing_plan(shop_today())
    last = plan.monday + (SHEET_WEEKS - 1) * WEEK
    html = render_template(
        "sowing/sheet_pdf.html",
        plan=plan,
        sheet_weeks=[w for w in plan.weeks if plan.monday <= w.monday <= last],
        sheet_count=SHEET_WEEKS,
        generated_at=utcnow(),
    )
    return download(pdf_writer.render_pdf(html, base_url=public_root()), f"{_file_stem(plan)}.pdf")


@bp.get("/plan-de-semis.csv")
@staff_required
def plan_csv():
    plan = services.sowing_plan(shop_today())
    return download(services.plan_csv(plan), f"{_file_stem(plan)}.csv")


@bp.get("/cultures")
@staff_required
def crops():
    return render_template("sowing/crops.html", rows=services.products_with_crops())


@bp.route("/cultures/<int:product_id>", methods=["GET", "POST"])
@staff_required
def edit_crop(product_id):
    product = db.get_or_404(Product, product_id)
    crop = services.crop_of(product)
    form = CropForm(obj=crop)
    if form.validate_on_submit():
        services.save_crop(product, **{name: form[name].data for name in services.CROP_FIELDS})
        db.session.commit()
        flash(
            _("Données de culture de « %(name)s » enregistrées.", name=product.full_name), "success"
        )
        return redirect(url_for("sowing.crops", _anchor=f"product-{product.id}"))
    if form.errors:
        flash(_("Corrigez les champs signalés : rien n'a été enregistré."), "error")
    return render_template("sowing/crop_form.html", form=form, product=product, crop=crop)


@bp.route("/prevision/<int:product_id>", methods=["GET", "POST"])
@staff_required
def product_forecast(product_id):
    product = db.get_or_404(Product, product_id)
    form = OverrideForm()
    today = shop_today()
    crop = services.crop_of(product)
    reach = services.forecast_reach(crop)
    status = 200
    if form.validate_on_submit():
        mondays = services.coming_mondays(services.this_monday(today), reach)
        try:
            values = services.parse_overrides(request.form, mondays)
        except services.SowingError as error:
            flash(str(error), "error")
            status = 400
        else:
            changed = services.save_overrides(product, values, current_user)
            db.session.commit()
            flash(
                ngettext(
                    "Prévisions de « %(name)s » enregistrées (%(num)d semaine modifiée).",
                    "Prévisions de « %(name)s » enregistrées (%(num)d semaines modifiées).",
                    changed,
                    name=product.full_name,
                ),
                "success",
            )
            return redirect(url_for("sowing.product_forecast", product_id=product.id))
    elif request.method == "POST":
        flash(_("Le formulaire a expiré : rechargez la page et recommencez."), "error")
        status = 400
    weeks = services.product_forecasts([product.id], today, reach)[product.id]
    return render_template(
        "sowing/forecast.html",
        product=product,
        crop=crop,
        weeks=weeks,
        form=form,
        submitted=request.form if status == 400 else None,
    ), status


@bp.context_processor
def sowing_settings():
    return {
        "method": METHOD,
        "horizon": services.HORIZON_WEEKS,
        "week_span": timedelta(days=6),
    }
