"""The public legal pages, at readable French addresses, each the version shown now."""

from flask import render_template

from ..extensions import db
from ..transactions import retried
from . import bp
from . import services as legal


@retried
def show(slug):
    page = legal.page_or_default(slug)
    db.session.commit()  # a first view loads the default: kept for the next visitor
    return render_template("legal/page.html", page=page, html=legal.rendered(page))


for _slug, _path in legal.PATHS.items():
    bp.add_url_rule(_path, "page", show, defaults={"slug": _slug}, methods=["GET"])
