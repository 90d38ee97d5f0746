from flask import (
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
from ..weeks.services import storefront_offer, storefront_weeks, week_offers
from . import bp, cache


def viewer_price_kind():
    return current_user.price_kind if current_user.is_authenticated else "individual"


@bp.get("/")
def home():
    week, upcoming = storefront_weeks()
    category = request.args.get("categorie", "").strip()[:80] or None
    search = request.args.get("q", "").strip()[:80] or None
    kind = viewer_price_kind()
    all_categories = categories()
    grid = _catalog_grid(week, category, search, kind, all_categories) if week else ""
    return render_template(
        "shop/home.html",
        week=week,
        upcoming=upcoming,
        # Rendered by our own autoescaped template (_catalog_grid.html), kept as is.
        catalog_grid=Markup(grid),  # noqa: S704  # nosec B704
        categories=all_categories,
        selected_category=category,
        search=search or "",
        price_kind=kind,
    )


def _catalog_grid(week, category, search, kind, all_categories):
    """The product grid, from the cache while the week's version is the same."""
    key = (
        week.id,
        week.version,
        week.label,
        week.opens_at,
        week.is_open(),
        kind,
        str(get_locale()),
        request.full_path,
        tuple((c.id, c.slug, c.name, c.position) for c in all_categories),
    )
    token = generate_csrf()
    grid = cache.fetch(key, token)
    if grid is None:
        grid = render_template(
            "shop/_catalog_grid.html",
            week=week,
            offers=week_offers(week, category, search),
            price_kind=kind,
        )
        cache.store(key, grid, token)
    return grid


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
