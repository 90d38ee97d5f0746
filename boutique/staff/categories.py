"""Staff pages for the catalog's categories: list, create, rename, reorder, delete."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ..auth import staff_required
from ..catalog import categories as rules
from ..extensions import db
from ..models import Category
from ..transactions import retried
from . import bp
from .category_forms import CategoryForm, DeleteForm, MoveForm


@bp.get("/categories")
@staff_required
def categories():
    return _list_page(CategoryForm(formdata=None), 200)


@bp.post("/categories")
@staff_required
@retried
def create_category():
    form = CategoryForm()
    if form.validate():
        try:
            category = rules.create_category(form.name.data, form.name_en.data)
        except rules.CategoryError as error:
            db.session.rollback()
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Catégorie « %(name)s » créée.", name=category.name), "success")
            return redirect(url_for("staff.categories", _anchor=f"categorie-{category.id}"))
    return _list_page(form, 422)


@bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
@staff_required
@retried
def rename_category(category_id):
    category = db.get_or_404(Category, category_id)
    form = CategoryForm(obj=category)
    if form.validate_on_submit():
        before = category.name
        try:
            renamed = rules.rename_category(category, form.name.data, form.name_en.data)
        except rules.CategoryError as error:
            db.session.rollback()
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            if renamed and category.name == before:  # the English name only
                flash(_("Catégorie « %(name)s » enregistrée.", name=category.name), "success")
            elif renamed:
                flash(
                    _(
                        "Catégorie « %(before)s » renommée « %(name)s ».",
                        before=before,
                        name=category.name,
                    ),
                    "success",
                )
            else:
                flash(_("Le nom n'a pas changé."), "info")
            return redirect(url_for("staff.categories", _anchor=f"categorie-{category.id}"))
    status = 422 if form.errors else 200
    # After a refusal, the page still says which category (the session's copy was rolled back).
    category = db.get_or_404(Category, category_id)
    return render_template("staff/category_form.html", form=form, category=category), status


@bp.post("/categories/<int:category_id>/deplacer")
@staff_required
@retried
def move_category(category_id):
    category = db.get_or_404(Category, category_id)
    form = MoveForm()
    if not form.validate():
        abort(400)
    try:
        moved = rules.move_category(category, form.step)
    except rules.CategoryError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("staff.categories"))
    db.session.commit()
    if not moved:
        flash(_("« %(name)s » est déjà à cette extrémité de la liste.", name=category.name), "info")
    elif form.direction.data == "up":
        flash(_("« %(name)s » monte d'un rang.", name=category.name), "success")
    else:
        flash(_("« %(name)s » descend d'un rang.", name=category.name), "success")
    return redirect(url_for("staff.categories", _anchor=f"categorie-{category.id}"))


@bp.post("/categories/<int:category_id>/supprimer")
@staff_required
@retried
def delete_category(category_id):
    category = db.get_or_404(Category, category_id)
    if not DeleteForm().validate():
        abort(400)
    name = category.name
    try:
        rules.delete_category(category)
    except rules.CategoryError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("staff.categories", _anchor=f"categorie-{category_id}"))
    db.session.commit()
    flash(_("Catégorie « %(name)s » supprimée.", name=name), "success")
    return redirect(url_for("staff.categories"))


def _list_page(form, status):
    rows = rules.category_rows()
    return render_template(
        "staff/categories.html",
        rows=rows,
        form=form,
        move_form=MoveForm(formdata=None),
        delete_form=DeleteForm(formdata=None),
    ), status
