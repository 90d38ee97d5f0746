from datetime import date
from functools import partial

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from werkzeug.datastructures import FileStorage

from ..auth import admin_required, recent_login_required, staff_required
from ..catalog import services as catalog
from ..catalog.photos import PhotoError, delete_photo, save_photo
from ..downloads import download
from ..extensions import db
from ..formatting import format_iso_date
from ..models import Product, SalesWeek
from ..passports import services as passports
from ..pickup.services import create_slots_from_templates
from ..standing.services import engaged_demand, placement_summary
from ..timezones import local_to_utc, shop_today, utc_to_local_naive
from ..transactions import retried
from ..waitlist.services import waiting_counts
from ..waitlist.sweep import sweep_after_change
from ..weeks import services as weeks
from . import bp
from .forms import GridForm, ImportForm, ProductForm, WeekForm

PHOTO_ERRORS = {
    "too_big": _l("La photo dépasse 5 Mo."),
    "format": _l("Ce fichier n'est pas une image JPEG, PNG ou WebP."),
    "too_many_pixels": _l("Image trop grande : 40 millions de pixels au plus."),
}


# --- Products -------------------------------------------------------------------------------


@bp.get("/produits")
@staff_required
def products():
    return render_template(
        "staff/products.html",
        products=catalog.all_products(),
        has_categories=bool(catalog.categories()),
    )


@bp.route("/produits/nouveau", methods=["GET", "POST"])
@bp.route("/produits/<int:product_id>", methods=["GET", "POST"])
@staff_required
@retried
def edit_product(product_id=None):
    product = db.get_or_404(Product, product_id) if product_id else None
    form = ProductForm(obj=product, product=product, categories=catalog.categories())
    if form.validate_on_submit():
        new_photo = None
        # Without an upload, the field still holds the current photo's key (from obj=).
        if isinstance(form.photo.data, FileStorage):
            try:
                new_photo = save_photo(form.photo.data.stream)
            except PhotoError as error:
                form.photo.errors.append(str(PHOTO_ERRORS[str(error)]))
        if not form.photo.errors:
            try:
                saved = catalog.save_product(product or Product(), form.data)
            except catalog.ProductError as error:  # its category was just deleted
                db.session.rollback()
                if new_photo:
                    delete_photo(new_photo)
                form.category_id.errors.append(str(error))
                form.offer_categories(catalog.categories())
            else:
                old_photo = saved.photo
                if new_photo:
                    saved.photo = new_photo
                db.session.commit()
                if new_photo and old_photo:
                    delete_photo(old_photo)
                flash(_("Produit « %(name)s » enregistré.", name=saved.full_name), "success")
                return redirect(url_for("staff.products"))
    return render_template("staff/product_form.html", form=form, product=product)


@bp.post("/produits/<int:product_id>/activation")
@staff_required
@retried
def toggle_product(product_id):
    product = db.get_or_404(Product, product_id)
    catalog.set_active(product, not product.active)
    db.session.commit()
    if product.active:
        flash(_("« %(name)s » est réactivé.", name=product.full_name), "success")
    else:
        flash(_("« %(name)s » est désactivé.", name=product.full_name), "info")
    return redirect(url_for("staff.products"))


@bp.get("/produits/export.csv")
@staff_required
def export_products():
    return download(catalog.export_csv(), f"catalogue-{shop_today().isoformat()}.csv")


@bp.route("/produits/import", methods=["GET", "POST"])
@admin_required  # one file changes the whole catalog
@recent_login_required
@retried
def import_products():
    form = ImportForm()
    errors = []
    if form.validate_on_submit():
        try:
            created, updated = catalog.import_csv(form.file.data.read())
        except catalog.CsvImportError as error:
            db.session.rollback()
            errors = error.errors
        else:
            db.session.commit()
            flash(
                _(
                    "Import terminé : %(created)d produits créés, %(updated)d mis à jour.",
                    created=created,
                    updated=updated,
                ),
                "success",
            )
            return redirect(url_for("staff.products"))
    status = 422 if errors else 200
    return render_template("staff/import.html", form=form, errors=errors), status


# --- Weeks ----------------------------------------------------------------------------------


@bp.get("/semaines")
@staff_required
def week_list():
    return render_template("staff/weeks.html", weeks=weeks.all_weeks())


def _week_form_data(week_values):
    dates = week_values["pickup_dates"] + [None, None, None]
    return {
        "label": week_values["label"],
        "opens_at": utc_to_local_naive(week_values["opens_at"]),
        "closes_at": utc_to_local_naive(week_values["closes_at"]),
        "pickup_date_1": date.fromisoformat(dates[0]) if dates[0] else None,
        "pickup_date_2": date.fromisoformat(dates[1]) if dates[1] else None,
        "pickup_date_3": date.fromisoformat(dates[2]) if dates[2] else None,
    }


def _flash_week_saved(week, typed_label, slot_count):
    flash(_("Semaine « %(label)s » enregistrée.", label=week.label), "success")
    if week.label != typed_label:
        flash(
            _(
                "Nom corrigé en « %(label)s » : une semaine porte le numéro de son premier jour "
                "de retrait (%(day)s), comme ses commandes et ses documents.",
                label=week.label,
                day=format_iso_date(week.pickup_dates[0]),
            ),
            "info",
        )
    if slot_count is not None:
        flash(
            ngettext(
                "%(num)d créneau de retrait créé depuis les modèles.",
                "%(num)d créneaux de retrait créés depuis les modèles.",
                slot_count,
            ),
            "info",
        )


@bp.route("/semaines/nouvelle", methods=["GET", "POST"])
@bp.route("/semaines/<int:week_id>/modifier", methods=["GET", "POST"])
@staff_required
@retried
def edit_week(week_id=None):
    week = db.get_or_404(SalesWeek, week_id) if week_id else None
    if request.method == "GET":
        values = weeks.suggest_next_week() if week is None else weeks.week_values(week)
        form = WeekForm(data=_week_form_data(values))
    else:
        form = WeekForm()
    if form.validate_on_submit():
        try:
            week = weeks.save_week(
                week or SalesWeek(),
                label=form.label.data,
                opens_at=local_to_utc(form.opens_at.data),
                closes_at=local_to_utc(form.closes_at.data),
                pickup_dates=form.pickup_dates(),
            )
        except weeks.WeekError as error:
            db.session.rollback()
            return render_template(
                "staff/week_form.html", form=form, week=week, error=str(error)
            ), 422
        slot_count = create_slots_from_templates(week) if week_id is None else None
        db.session.commit()
        _flash_week_saved(week, form.label.data.strip(), slot_count)
        return redirect(url_for("staff.week", week_id=week.id))
    return render_template("staff/week_form.html", form=form, week=week)


@bp.route("/semaines/<int:week_id>", methods=["GET", "POST"])
@staff_required
@retried
def week(week_id):
    """The week's grid: every active product, offered or not, in one form."""
    week = db.get_or_404(SalesWeek, week_id)
    products = weeks.grid_products()
    offers = weeks.offers_by_product(week)
    row_errors = {}
    if request.method == "POST":
        form = GridForm()
        product_ids = form.product_ids()
        if product_ids is None:
            abort(400)
        if form.validate():
            rows = {pid: row.form.values() for pid, row in zip(product_ids, form.rows, strict=True)}
            row_errors = weeks.save_grid(week, rows)
            if not row_errors:
                db.session.commit()
                flash(_("Disponibilités enregistrées."), "success")
                _tell_waiting(sweep_after_change())
                return redirect(url_for("staff.week", week_id=week.id))
        db.session.rollback()
        status = 422
    else:
        form = GridForm(data={"rows": [_grid_row(p, offers.get(p.id)) for p in products]})
        status = 200
    by_id = {p.id: p for p in products}
    return render_template(
        "staff/week.html",
        week=week,
        form=form,
        products=by_id,
        offers=offers,
        row_errors=row_errors,
        previous=weeks.previous_week(week),
        demand=engaged_demand(week),
        waiting=waiting_counts(),
        default_code=partial(passports.default_code, week.iso_week),
    ), status


def _tell_waiting(mailed):
    """Say how many customers the change just told (the waiting list's one mail each)."""
    if mailed:
        flash(
            ngettext(
                "%(num)d personne qui attendait un produit de retour est prévenue par e-mail.",
                "%(num)d personnes qui attendaient un produit de retour sont prévenues par e-mail.",
                mailed,
            ),
            "info",
        )


def _grid_row(product, offer):
    row = {"product_id": str(product.id), "offered": False, "unlimited": False}
    if offer is not None:
        row.update(
            offered=offer.offered,
            unlimited=offer.quantity_available is None,
            quantity=offer.quantity_available,
            max_per_order=offer.max_per_order,
            price_individual_cents=offer.price_individual_cents,
            price_restaurant_cents=offer.price_restaurant_cents,
            price_amap_cents=offer.price_amap_cents,
            traceability_code=offer.traceability_code,
        )
    return row


@bp.post("/semaines/<int:week_id>/copier")
@staff_required
@retried
def copy_previous_week(week_id):
    week = db.get_or_404(SalesWeek, week_id)
    source = weeks.previous_week(week)
    if source is None:
        flash(_("Il n'y a pas de semaine précédente à copier."), "error")
    else:
        count = weeks.copy_offers(week, source)
        db.session.commit()
        _tell_waiting(sweep_after_change())
        flash(
            ngettext(
                "%(num)d disponibilité copiée depuis « %(label)s ». Vérifiez les quantités.",
                "%(num)d disponibilités copiées depuis « %(label)s ». Vérifiez les quantités.",
                count,
                label=source.label,
            ),
            "success",
        )
    return redirect(url_for("staff.week", week_id=week.id))


@bp.post("/semaines/<int:week_id>/publier")
@staff_required
@retried
def publish_week(week_id):
    week = db.get_or_404(SalesWeek, week_id)
    try:
        placements = weeks.publish_week(week)
    except weeks.WeekError as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("Semaine « %(label)s » publiée.", label=week.label), "success")
        _tell_waiting(sweep_after_change())
        if placements:
            placed, short, empty = placement_summary(placements)
            flash(
                _(
                    "Commandes récurrentes passées : %(placed)d (dont %(short)d incomplètes), "
                    "%(empty)d sans rien à passer.",
                    placed=placed,
                    short=short,
                    empty=empty,
                ),
                "info",
            )
    return redirect(url_for("staff.week", week_id=week.id))


@bp.post("/semaines/<int:week_id>/retirer")
@staff_required
@retried
def unpublish_week(week_id):
    week = db.get_or_404(SalesWeek, week_id)
    try:
        weeks.unpublish_week(week)
    except weeks.WeekError as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("Semaine « %(label)s » repassée en brouillon.", label=week.label), "info")
    return redirect(url_for("staff.week", week_id=week.id))
