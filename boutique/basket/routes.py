from flask import flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..account.routes import safe_next
from ..formatting import parse_count
from ..ordering.services import last_order, offers_by_id
from ..pricing import viewer_price_kind
from ..weeks.services import storefront_weeks, week_offers
from . import bp
from . import services as basket


def open_week_or_none():
    week, _upcoming = storefront_weeks()
    return week if week is not None and week.is_open() else None


def _wants_json():
    """The shop's own script (static/js/basket.js) asks for JSON; a plain form gets pages."""
    return request.accept_mimetypes.best == "application/json"


def _added(week, message, category, offer=None):
    """The answer to an add: JSON for the script (the message, the count and the basket bar),
    else back to the page, at the product's place in the list."""
    if _wants_json():
        context = basket.bar(session, week, viewer_price_kind())
        bar = render_template("basket/_bar.html", **context)
        status = 200 if category == "success" else 422
        count = len(context["bar_lines"])
        return jsonify(ok=status == 200, message=message, count=count, bar=bar), status
    flash(message, category)
    back = safe_next(request.form.get("next")) or url_for("basket.show")
    if offer is not None and request.form.get("next") and "#" not in back:
        back += f"#offre-{offer.id}"
    return redirect(back)


@bp.post("/panier/ajouter")
def add():
    week = open_week_or_none()
    if week is None:
        return _added(None, _("Les commandes sont fermées pour le moment."), "error")
    offer_id, quantity = (
        parse_count(request.form.get("offer_id")),
        parse_count(request.form.get("quantity")),
    )
    offer = offers_by_id(week, [offer_id]).get(offer_id) if offer_id else None
    if offer is None:
        return _added(week, _("Ce produit n'est pas proposé cette semaine."), "error")
    if not quantity:
        return _added(week, _("Indiquez une quantité d'au moins 1."), "error", offer)
    items = basket.read(session, week)
    problem = basket.set_quantity(session, week, offer, items.get(offer.id, 0) + quantity)
    if problem:
        return _added(week, problem, "error", offer)
    message = _("« %(name)s » ajouté au panier.", name=offer.product.full_name)
    return _added(week, message, "success", offer)


@bp.get("/panier")
def show():
    week = open_week_or_none()
    kind = viewer_price_kind()
    lines = basket.lines(week, basket.read(session, week), kind)
    return render_template(
        "basket/show.html",
        week=week,
        lines=lines,
        totals=basket.totals(lines, kind),
        price_kind=kind,
    )


@bp.post("/panier")
def update():
    week = open_week_or_none()
    if week is None:
        flash(_("Les commandes sont fermées pour le moment."), "error")
        return redirect(url_for("basket.show"))
    items = basket.read(session, week)
    offers = offers_by_id(week, list(items))
    problems = []
    for offer_id, offer in offers.items():
        if f"remove-{offer_id}" in request.form:
            basket.set_quantity(session, week, offer, 0)
            continue
        quantity = parse_count(request.form.get(f"qty-{offer_id}"))
        if quantity is None:
            problems.append(_("Quantité invalide pour « %(name)s ».", name=offer.product.full_name))
            continue
        problem = basket.set_quantity(session, week, offer, quantity)
        if problem:
            problems.append(problem)
    for problem in problems:
        flash(problem, "error")
    if not problems:
        flash(_("Panier mis à jour."), "success")
    return redirect(url_for("basket.show"))


@bp.route("/commande/rapide", methods=["GET", "POST"])
@login_required
def quick():
    """The week's offers in one table with quantity fields, filled from the last order
    (?reprendre=derniere) or the basket; "Commander ces quantités" goes to the checkout."""
    week = open_week_or_none()
    if week is None:
        flash(_("Les commandes sont fermées pour le moment."), "error")
        return redirect(url_for("shop.home"))
    offers = week_offers(week)
    previous = None
    if request.method == "POST":
        typed = basket.typed_quantities(offers, request.form)
        problems = basket.replace_with(session, week, typed)
        if not problems:
            return redirect(url_for("checkout.start"))
        for problem in problems:
            flash(problem, "error")
        lines, status = basket.typed_lines(typed), 422
    else:
        if request.args.get("reprendre") == "derniere":
            previous = last_order(current_user)
        wanted = basket.wanted_before(offers, session, week, previous)
        lines, status = basket.quick_lines(offers, wanted), 200
    return render_template(
        "basket/quick.html",
        week=week,
        lines=lines,
        previous=previous,
        price_kind=viewer_price_kind(),
    ), status
