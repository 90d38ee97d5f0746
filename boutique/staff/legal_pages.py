"""Staff: the legal pages, each written in Markdown and saved as a new version."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth import staff_required
from ..extensions import db
from ..legal import services as legal
from ..legal.defaults import TITLES
from ..legal.forms import LegalPageForm
from ..models.legal import LEGAL_SLUGS
from ..transactions import retried
from . import bp


def _known(slug):
    if slug not in LEGAL_SLUGS:
        abort(404)
    return slug


@bp.get("/pages-legales")
@staff_required
def legal_pages():
    pages = legal.current_pages()
    return render_template(
        "staff/legal_pages.html",
        slugs=LEGAL_SLUGS,
        titles=TITLES,
        pages=pages,
        to_fill={slug: legal.placeholders(page.body) for slug, page in pages.items()},
    )


@bp.route("/pages-legales/<slug>", methods=["GET", "POST"])
@staff_required
@retried
def edit_legal_page(slug):
    page = legal.page_or_default(_known(slug))
    form = LegalPageForm(obj=page, base_version=page.version)
    preview = None
    if form.validate_on_submit():
        if form.preview.data:
            preview = legal.render_markdown(form.body.data)
        else:
            try:
                saved = legal.save_version(
                    slug, form.title.data, form.body.data, current_user, form.base_version.data
                )
            except legal.LegalPageError as error:
                db.session.rollback()
                form.body.errors.append(str(error))
                # Read, then saved again: the newer version is knowingly replaced.
                form.base_version.data = legal.current_page(slug).version
            else:
                db.session.commit()
                if saved is None:
                    flash(_("Rien n'a changé : pas de nouvelle version."), "info")
                else:
                    flash(
                        _(
                            "« %(title)s » : version %(version)d enregistrée et publiée.",
                            title=saved.title,
                            version=saved.version,
                        ),
                        "success",
                    )
                return redirect(url_for("staff.edit_legal_page", slug=slug))
    db.session.commit()  # a first edit loads the default as version 1
    status = 422 if form.errors else 200
    return render_template(
        "staff/legal_page_form.html",
        form=form,
        page=legal.current_page(slug),
        versions=legal.history(slug),
        preview=preview,
        left=legal.placeholders(form.body.data),
    ), status


@bp.get("/pages-legales/<slug>/versions/<int:number>")
@staff_required
def legal_page_version(slug, number):
    page = legal.version_of(_known(slug), number)
    if page is None:
        abort(404)
    return render_template("staff/legal_page_version.html", page=page, html=legal.rendered(page))
