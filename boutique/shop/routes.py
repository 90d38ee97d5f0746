from flask import (
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from ..account.routes import safe_next
from ..catalog.services import categories
from ..extensions import db
from ..weeks.services import (
    next_week,
    storefront_offer,
    storefront_week,
    storefront_weeks,
    week_offers,
)
from . import bp, cache


def viewer_price_kind():
    return current_user.price_kind if current_user.is_authenticated else "individual"


@bp.get("/")
def home():
    week = storefront_week()  # the one query of a cached catalog page
    # The next opening is only shown when no week is open: no query for it during the rush.
    upcoming = next_week() if week is None or not week.is_open() else None
    kind = viewer_price_kind()
    page = render_template(
        "shop/home.html",
        week=week,
        upcoming=upcoming,
        catalog_grid=Markup(cache.GRID_MARKER),  # noqa: S704  # nosec B704 (a fixed marker)
        price_kind=kind,
    )
    if week is None:
        return page.replace(cache.GRID_MARKER, "")
    token = generate_csrf()
    return Response(
        cache.page_body(page, _catalog_grid(week, kind, token), token), mimetype="text/html"
    )


def _catalog_grid(week, kind, token):
    """The filters and product grid, in pieces, from the cache while the week's version holds.

    Categories only change with demo data (no screen edits them): whatever changes them must
    bump the weeks' versions, as product edits do.
    """
    key = (
        week.id,
        week.version,
        week.label,
        week.opens_at,
        week.is_open(),
        kind,
        str(get_locale()),
        request.full_path,
    )
    parts = cache.fetch(key)
    if parts is None:
        category = request.args.get("categorie", "").strip()[:80] or None
        search = request.args.get("q", "").strip()[:80] or None
        grid = render_template(
            "shop/_catalog_grid.html",
            week=week,
            offers=week_offers(week, category, search),
            categories=categories(),
            selected_category=category,
            search=search or "",
            price_kind=kind,
        )
        parts = cache.store(key, grid, token)
    return parts


@bp.get("/produit/<int:product_id>")
def product(product_id):
    week, upcoming = storefront_weeks()
    offer = storefront_offer(week, product_id) if week else None
    if offer is None:
        abort(404)
    return render_template(
        "shop/product.html",
        week=week,
        upcoming=upcoming,
        offer=offer,
        product=offer.product,
        price_kind=viewer_price_kind(),
    )


@bp.get("/media/<path:filename>")
def media(filename):
    return send_from_directory(current_app.config["UPLOAD_FOLDER"], filename, max_age=86400)


@bp.post("/langue")
def set_language():
    lang = request.form.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.locale = lang
            db.session.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("shop.home"))
