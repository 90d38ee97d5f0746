from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ..account.routes import safe_next
from ..formatting import parse_count
from ..ordering.services import offers_by_id
from ..shop.routes import viewer_price_kind
from ..weeks.services import storefront_weeks
from . import bp
from . import services as basket


def open_week_or_none():
    week, _upcoming = storefront_weeks()
    return week if week is not None and week.is_open() else None


@bp.post("/panier/ajouter")
def add():
    week = open_week_or_none()
    back = safe_next(request.form.get("next")) or url_for("basket.show")
    if week is None:
        flash(_("Les commandes sont fermées pour le moment."), "error")
        return redirect(back)
    offer_id, quantity = (
        parse_count(request.form.get("offer_id")),
        parse_count(request.form.get("quantity")),
    )
    offer = offers_by_id(week, [offer_id]).get(offer_id) if offer_id else None
    if offer is None:
        flash(_("Ce produit n'est pas proposé cette semaine."), "error")
        return redirect(back)
    if not quantity:
        flash(_("Indiquez une quantité d'au moins 1."), "error")
        return redirect(back)
    items = basket.read(session, week)
    problem = basket.set_quantity(session, week, offer, items.get(offer.id, 0) + quantity)
    if problem:
        flash(problem, "error")
    else:
        flash(_("« %(name)s » ajouté au panier.", name=offer.product.full_name), "success")
    return redirect(back)


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
