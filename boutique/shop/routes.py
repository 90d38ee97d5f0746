from flask import (
    Response,
    abort,
    current_app,
    g,
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
from ..basket import services as basket
from ..catalog.search import normalise_query, search_offers
from ..catalog.services import categories
from ..extensions import db
from ..models import Product, SalesWeek
from ..pricing import viewer_price_kind
from ..waitlist.routes import waitlist_context
from ..weeks.services import (
    next_week,
    storefront_offer,
    storefront_week,
    storefront_week_summary,
    storefront_weeks,
    week_offers,
)
from . import bp, cache


@bp.get("/")
def home():
    # Not logged in, no basket, no message: the same page as for any such visitor.
    plain = not (
        current_user.is_authenticated
        or (session.get("basket") or {}).get("items")
        or session.get("_flashes")
    )
    if plain:
        fast = _cached_page_for_a_plain_visitor()
        if fast is not None:
            return fast
    category, search = catalog_filters()
    # The page's links back to itself: the same for every address that finds this cached page.
    g.page_path = url_for("shop.home", categorie=category, q=search)
    week = storefront_week()
    # The next opening is only shown when no week is open: no query for it during the rush.
    upcoming = next_week() if week is None or not week.is_open() else None
    kind = viewer_price_kind()
    if week is None:
        return _home_page(week, upcoming, kind, grid="")
    token = generate_csrf()
    key = _page_key(week, upcoming, kind)
    parts = cache.fetch(("page", *key)) if plain else None
    if parts is None:
        page = _home_page(week, upcoming, kind, grid=cache.GRID_MARKER)
        body = cache.page_body(page, _catalog_grid(key, week, kind, token), token)
        if plain:
            cache.store(("page", *key), body, token)
    else:
        body = cache.join(parts, token)
    return Response(body, mimetype="text/html")


def _cached_page_for_a_plain_visitor():
    """The rush: an open week, a visitor without session data, the page already rendered.

    One autocommit read of the week's version, no ORM session; None when anything else applies.
    """
    summary = storefront_week_summary()
    if summary is None or SalesWeek.phase(summary) != "open":
        return None
    parts = cache.fetch(("page", *_page_key(summary, None, "individual")))
    if parts is None:
        return None
    return Response(cache.join(parts, generate_csrf()), mimetype="text/html")


def catalog_filters():
    """The catalog's filters in the address, normalised: (category, search), None when empty.

    The page depends on these only: any other parameter (utm=…, a random one) is ignored and
    finds the same cached page, so that no query string can force a new render.
    """
    category = request.args.get("categorie", "").strip()[:80] or None
    return category, normalise_query(request.args.get("q", ""))


def _page_key(week, upcoming, kind):
    """Everything the page shows of the week (a staff edit of its dates or name changes it).

    `week` is the ORM week or the summary row: the same attributes, the same key.
    """
    return (
        week.id,
        week.version,
        week.label,
        week.opens_at,
        week.closes_at,
        tuple(week.pickup_dates),
        SalesWeek.phase(week) == "open",
        (upcoming.id, upcoming.opens_at) if upcoming else None,
        kind,
        str(get_locale()),
        *catalog_filters(),
    )


def _home_page(week, upcoming, kind, grid):
    # Empty, or the fixed marker where the grid goes: nothing from a visitor.
    grid = Markup(grid)  # noqa: S704  # nosec B704
    return render_template(
        "shop/home.html",
        week=week,
        upcoming=upcoming,
        catalog_grid=grid,
        price_kind=kind,
        **basket.bar(session, week, kind),
    )


def _catalog_grid(key, week, kind, token):
    """The filters and product grid, in pieces, from the cache while the week's version holds.

    Category changes (staff's categories page, catalog.categories) bump the versions of the
    published weeks and of those showing the category's products, as product edits do.
    """
    parts = cache.fetch(key)
    if parts is None:
        category, search = catalog_filters()
        offers, suggestion = search_offers(week_offers(week, category), search)
        grid = render_template(
            "shop/_catalog_grid.html",
            week=week,
            offers=offers,
            suggestion=suggestion,
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
    # Not offered this week (or sold out): the page says so and offers "Prévenez-moi".
    product = offer.product if offer is not None else db.get_or_404(Product, product_id)
    if not product.active:
        abort(404)
    return render_template(
        "shop/product.html",
        week=week,
        upcoming=upcoming,
        offer=offer,
        product=product,
        price_kind=viewer_price_kind(),
        **waitlist_context(product, offer, week),
        **basket.bar(session, week, viewer_price_kind()),
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
