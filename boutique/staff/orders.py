"""Staff: the week's orders, confirming, lowering, cancelling, and phone orders."""

import secrets
from dataclasses import dataclass, field

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError, OperationalError

from ..account.services import search_customers
from ..auth import ask_for_password, login_is_recent, recent_login_required, staff_required
from ..extensions import db
from ..formatting import format_cents, parse_count, parse_id
from ..forms import line_quantities
from ..groups.bags import LOWERING_RULE, group_of_order, member_totals
from ..models import Order, SalesWeek, User
from ..ordering import services as ordering
from ..payments import card
from ..payments.invoices import InvoiceError, order_documents
from ..payments.steps import settle_after
from ..pickup.services import points, week_slots
from ..pricing import order_totals
from ..transactions import retried
from ..weeks.services import all_weeks, latest_week, storefront_week
from . import bp
from .order_forms import CancelForm, OrderFilterForm, StaffOrderForm


def slot_label(slot):
    return (
        f"{slot.point.name} — {format_date(slot.day, 'EEE d MMM')} "
        f"{slot.starts_at:%H:%M}–{slot.ends_at:%H:%M} ({slot.booked}/{slot.capacity})"
    )


def mails_text(mailed, to_call=()):
    """What staff read once customers were told: the mails sent, then whom to call (orders
    without an e-mail address), e.g. "3 e-mails envoyés. À appeler (pas d'e-mail) : …"."""
    if mailed:
        text = ngettext("%(num)d e-mail envoyé.", "%(num)d e-mails envoyés.", len(mailed))
    else:
        text = _("Aucun e-mail à envoyer.")
    return f"{text} {calls_text(to_call)}" if to_call else text


def calls_text(orders):
    """The orders staff must call, with what they need to do it: number, name, phone."""
    return ngettext(
        "À appeler (pas d'e-mail) : %(orders)s.",
        "%(num)d à appeler (pas d'e-mail) : %(orders)s.",
        len(orders),
        orders=", ".join(
            " ".join(part for part in (order.number, order.contact_name, order.phone) if part)
            for order in orders
        ),
    )


def _week_from_args():
    week_id = parse_id(request.args.get("semaine"))
    if week_id is not None:
        return db.get_or_404(SalesWeek, week_id)
    return storefront_week() or latest_week()


@bp.get("/commandes")
@staff_required
def orders():
    week = _week_from_args()
    if week is None:
        flash(_("Créez d'abord une semaine de vente."), "info")
        return redirect(url_for("staff.week_list"))
    slots = week_slots(week)
    siblings = _siblings_from_args()
    form = OrderFilterForm(request.args, points=points(), slots=slots, slot_label=slot_label)
    form.validate()
    filters = ordering.OrderFilters(
        status=form.statut.data if not form.statut.errors else "",
        point_id=parse_id(form.point.data),
        slot_id=parse_id(form.creneau.data),
        kind=form.type.data if not form.type.errors else "",
        payment_method=form.paiement.data if not form.paiement.errors else "",
        search=form.q.data or "",
        **siblings.filters,
    )
    week_orders = ordering.staff_orders(week, filters)
    return render_template(
        "staff/orders.html",
        week=week,
        form=form,
        orders=week_orders,
        totals={order.id: order_totals(order) for order in week_orders},
        weeks=all_weeks(),
        siblings=siblings,
        select_all=request.args.get("tout") == "1",
        cancel_form=CancelForm(),
    )


@dataclass(frozen=True)
class Siblings:
    """?meme=email|connexion|heure&comme=<order id>: the orders like that one."""

    reference: Order | None = None
    same: str = ""
    filters: dict = field(default_factory=dict)


def _siblings_from_args():
    same, reference_id = request.args.get("meme", ""), parse_id(request.args.get("comme"))
    if same not in ordering.SIBLING_KINDS or reference_id is None:
        return Siblings()
    reference = db.session.get(Order, reference_id)
    if reference is None:
        return Siblings()
    return Siblings(reference, same, ordering.sibling_filters(reference, same))


@bp.post("/commandes/confirmer")
@staff_required
@retried
def confirm_orders():
    ids = [i for i in map(parse_id, request.form.getlist("order_ids")) if i is not None]
    back = request.form.get("back") or ""
    if not ids:
        flash(_("Cochez au moins une commande."), "error")
    else:
        try:
            confirmed, skipped = ordering.confirm_orders(ids, current_user)
            db.session.commit()
        except (ordering.OrderError, InvoiceError) as error:  # nothing is confirmed
            db.session.rollback()
            flash(str(error), "error")
            return redirect(url_for("staff.orders"))
        _settle_cards(ids)
        if confirmed:
            flash(_("Commandes confirmées : %(numbers)s.", numbers=", ".join(confirmed)), "success")
        if skipped:
            flash(
                _(
                    "Déjà traitées, laissées telles quelles : %(numbers)s.",
                    numbers=", ".join(skipped),
                ),
                "info",
            )
    target = url_for("staff.orders") + (back if back.startswith("?") else "")
    return redirect(target)


def _order_or_404(order_id):
    order = ordering.order_for_staff(order_id)
    if order is None:
        abort(404)
    return order


def _refund_needs_password(order):
    """Money going back to a card (a refund) needs a recent login."""
    return ordering.may_refund_card(order) and not login_is_recent()


@bp.get("/commandes/<int:order_id>")
@staff_required
def order(order_id):
    order = _order_or_404(order_id)
    return render_template(
        "staff/order.html",
        order=order,
        totals=order_totals(order),
        problem_text=card.problem_text,
        cancel_form=CancelForm(),
        documents=order_documents(order),
        group=group_of_order(order) if order.customer_kind == "amap" else None,
        lowering_rule=LOWERING_RULE,
        member_totals=member_totals,
    )


@bp.post("/commandes/<int:order_id>/confirmer")
@staff_required
@retried
def confirm_order(order_id):
    order = _order_or_404(order_id)
    try:
        ordering.confirm_order(order, current_user)
        db.session.commit()
        flash(_("Commande %(number)s confirmée.", number=order.number), "success")
    except (ordering.OrderError, InvoiceError) as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        _flash_settlement(order)
    return redirect(url_for("staff.order", order_id=order_id))


@bp.post("/commandes/<int:order_id>/quantites")
@staff_required
@retried
def lower_quantities(order_id):
    order = _order_or_404(order_id)
    if _refund_needs_password(order):
        return ask_for_password()
    try:
        quantities = line_quantities(order.lines, request.form)
        changed = ordering.lower_quantities(order, quantities, current_user)
        db.session.commit()
    except ValueError as error:  # OrderError included
        db.session.rollback()
        flash(str(error), "error")
    else:
        if changed:
            if order.email:
                flash(_("Quantités enregistrées ; le client est prévenu par e-mail."), "success")
            else:  # a phone order without an address: no mail went, staff call
                flash(f"{_('Quantités enregistrées.')} {calls_text([order])}", "success")
            _flash_settlement(order)
    return redirect(url_for("staff.order", order_id=order_id))


@bp.post("/commandes/<int:order_id>/annuler")
@staff_required
@retried
def cancel_order(order_id):
    order = _order_or_404(order_id)
    if _refund_needs_password(order):
        return ask_for_password()
    form = CancelForm()
    if not form.validate_on_submit():
        flash(_("Indiquez le motif de l'annulation."), "error")
        return redirect(url_for("staff.order", order_id=order_id))
    try:
        ordering.cancel_order(order, current_user, reason=form.reason.data)
        db.session.commit()
        flash(_("Commande %(number)s annulée.", number=order.number), "info")
    except (ordering.OrderError, InvoiceError) as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        _flash_settlement(order)
    return redirect(url_for("staff.order", order_id=order_id))


def _checked_ids():
    """The ticked orders; anything that is not an id counts as an order that does not exist."""
    return [parse_id(raw) or 0 for raw in request.form.getlist("order_ids")]


def _list_url():
    back = request.form.get("back") or ""
    return url_for("staff.orders") + (back if back.startswith("?") else "")


def _back_to_list():
    return redirect(_list_url())


def _review_page(orders, form, status=200):
    return render_template(
        "staff/cancel_orders.html",
        orders=orders,
        totals={order.id: order_totals(order) for order in orders},
        release=ordering.release_of(orders),
        form=form,
        back=request.form.get("back") or "",
        slot_label=slot_label,
    ), status


@bp.post("/commandes/annuler/verifier")
@staff_required
def review_cancel_orders():
    """What "Annuler la sélection" would do: the orders, the stock and places that come back."""
    try:
        orders = ordering.orders_to_cancel(_checked_ids())
    except ordering.OrderError as error:
        flash(str(error), "error")
        return _back_to_list()
    form = CancelForm()
    form.validate()  # an empty reason is said here already, next to its field
    return _review_page(orders, form)


@bp.post("/commandes/annuler")
@staff_required
@retried
def cancel_orders():
    ids, form = _checked_ids(), CancelForm()
    try:
        orders = ordering.orders_to_cancel(ids)
        if not form.validate_on_submit():  # no reason: the same page again, nothing changed
            return _review_page(orders, form, 422)
        if any(_refund_needs_password(order) for order in orders):
            return redirect(url_for("account.confirm_password", next=_list_url()))
        numbers = ordering.cancel_orders(ids, current_user, form.reason.data)
        db.session.commit()
    except (ordering.OrderError, InvoiceError) as error:
        db.session.rollback()
        flash(str(error), "error")
        return _back_to_list()
    cancelled = ngettext(
        "%(num)d commande annulée : %(numbers)s.",
        "%(num)d commandes annulées : %(numbers)s.",
        len(numbers),
        numbers=", ".join(numbers),
    )
    # Each cancelled order's customer is mailed, unless the order has no e-mail address.
    mailed = [order for order in orders if order.email]
    to_call = [order for order in orders if not order.email]
    flash(f"{cancelled} {mails_text(mailed, to_call)}", "info")
    _settle_cards(ids)
    return _back_to_list()


@bp.post("/commandes/<int:order_id>/carte")
@staff_required
@recent_login_required  # may refund the card
def settle_card(order_id):
    """Retry the Stripe call an order's card still owes (capture, release or refund)."""
    order = _order_or_404(order_id)
    _flash_settlement(order, retry=True)
    return redirect(url_for("staff.order", order_id=order_id))


SETTLEMENT_MESSAGES = {
    "captured": (_l("Carte débitée de %(amount)s."), "success"),
    "cancelled": (_l("Autorisation de la carte libérée : rien n'est débité."), "info"),
    "refunded": (_l("Remboursement envoyé sur la carte du client."), "info"),
    "refused": (_l("Montant final supérieur à l'autorisation de la carte : rien n'est débité."), "error"),
    "failed": (_l("Stripe n'a pas répondu : le débit sera relancé (flask payments capture-due)."), "error"),
}


def _flash_settlement(order, retry=False):
    """Make the card follow the order (after its commit) and tell staff what happened."""
    outcome = settle_after(order, retry=retry)
    if outcome in SETTLEMENT_MESSAGES:
        message, category = SETTLEMENT_MESSAGES[outcome]
        flash(str(message) % {"amount": format_cents(card.card_net(order.card))}, category)


def _settle_cards(order_ids):
    for order in ordering.orders_with_card_due(order_ids):
        _flash_settlement(order)


@bp.route("/commandes/nouvelle", methods=["GET", "POST"])
@staff_required
@retried
def new_order():
    """A phone order entered for a customer; may be accepted after the deadline."""
    week = _week_from_args()
    if week is None:
        abort(404)
    offers = ordering.week_offers_for_staff(week)
    form = StaffOrderForm(slots=week_slots(week), points=points(), slot_label=slot_label)
    search = (request.args.get("q") or "").strip()[:80]
    try:
        chosen = _chosen_account(request.form.get("account") or request.args.get("compte"))
    except ordering.OrderError:
        chosen = None
    if chosen is not None:
        form.account.data = str(chosen.id)
    quantities, errors = _typed_quantities(offers)
    token = request.form.get("checkout_token") or ""
    existing = ordering.order_by_checkout_token(token) if token else None
    if existing is not None:  # the same form sent twice
        return redirect(url_for("staff.order", order_id=existing.id))
    if form.validate_on_submit() and not errors:
        try:
            customer, contact = _customer_and_contact(form)
            order = ordering.place_order(
                week=week,
                items=quantities,
                slot_id=form.slot.data or None,
                preferred_point_id=form.preferred_point.data or None,
                payment_method=form.payment_method.data,
                contact=contact,
                kind=customer.price_kind if customer else "individual",
                customer=customer,
                locale=customer.locale if customer else "fr",
                note=form.note.data or "",
                checkout_token=token or secrets.token_urlsafe(24),
                entered_by=current_user,
                bypass_deadline=form.after_deadline.data,
            )
            db.session.commit()
        except (IntegrityError, OperationalError):
            # The same form sent twice at once, or a commit whose answer was lost (rule 10):
            # show the order if it exists; a conflict finds none and is retried (@retried).
            db.session.rollback()
            existing = ordering.order_by_checkout_token(token)
            if existing is None:
                raise
            return redirect(url_for("staff.order", order_id=existing.id))
        except (ordering.OrderError, InvoiceError) as error:
            db.session.rollback()
            errors.append(str(error))
        else:
            flash(
                _(
                    "Commande %(number)s enregistrée pour %(name)s.",
                    number=order.number,
                    name=order.contact_name,
                ),
                "success",
            )
            return redirect(url_for("staff.order", order_id=order.id))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "staff/new_order.html",
        week=week,
        form=form,
        offers=offers,
        errors=errors,
        quantities=quantities,
        checkout_token=request.form.get("checkout_token") or secrets.token_urlsafe(24),
        search=search,
        found=search_customers(search) if search and chosen is None else [],
        chosen=chosen,
    ), status


def _typed_quantities(offers):
    quantities, errors = {}, []
    if request.method != "POST":
        return quantities, errors
    for offer in offers:
        raw = (request.form.get(f"qty-{offer.id}") or "").strip()
        if not raw:
            continue
        quantity = parse_count(raw)
        if quantity is None:
            errors.append(_("Quantité invalide pour « %(name)s ».", name=offer.product.full_name))
        elif quantity > 0:
            quantities[offer.id] = quantity
    return quantities, errors


def _chosen_account(value):
    """The customer account an id names (from the search), None for none; OrderError if gone."""
    account_id = parse_id(value)
    if account_id is None:
        return None
    customer = db.session.get(User, account_id)
    if customer is None or customer.role != "customer":
        raise ordering.OrderError(_("Ce compte client n'existe plus : cherchez-le à nouveau."))
    return customer


def _customer_and_contact(form):
    customer = _chosen_account(form.account.data)
    if customer is not None:
        name = form.name.data or customer.display_name
        return customer, ordering.Contact(name, customer.email, form.phone.data or customer.phone)
    name, email, phone = (form.name.data or "").strip(), form.email.data or "", form.phone.data
    if not name or not (email or phone):
        raise ordering.OrderError(
            _("Sans compte client, indiquez le nom du client et son téléphone (ou son e-mail).")
        )
    return None, ordering.Contact(name, email, phone or "")
