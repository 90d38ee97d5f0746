"""Staff at the counter, phone in hand: the day's pick-ups, an order's handover card
(opened from the list or from the QR code on its label), handing over, payment, no-show.

The gate role uses these pages too, and only these: it sees the order number, the first name
and initial, the items, the amount to collect and the slot — no email, phone, address or note.
"""

from datetime import date, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth import gate_required
from ..extensions import db
from ..formatting import format_cents, format_when, parse_id
from ..pickup import handover
from ..pickup.services import points
from ..pricing import order_totals
from ..timezones import shop_today
from . import bp
from .handover_forms import PAYMENT_KIND_LABELS, PaymentForm

short_name = bp.app_template_filter("short_name")(handover.short_name)


def _shows_contact():
    """Staff see the customer's contact; the gate (maybe the workshop's own workers) does not."""
    return current_user.is_staff


def _name(order):
    return order.contact_name if _shows_contact() else short_name(order.contact_name)


def _day_from_args():
    """The day asked for (jour=YYYY-MM-DD), else today in the shop's time zone."""
    today = shop_today()
    raw = (request.args.get("jour") or "").strip()
    if not raw:
        return today, None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        day = None
    # Far-off years would only break the previous/next day links.
    if day is None or not 2000 <= day.year <= 2100:
        return today, _("Date invalide : voici les retraits d'aujourd'hui.")
    return day, None


@bp.get("/retrait")
@gate_required
def handover_day():
    day, notice = _day_from_args()
    point_id = parse_id(request.args.get("point"))
    search = (request.args.get("q") or "").strip()[:80]
    orders = handover.day_orders(
        day, point_id=point_id, search=search, full_search=_shows_contact()
    )
    return render_template(
        "staff/handover/day.html",
        day=day,
        today=shop_today(),
        previous_day=day - timedelta(days=1),
        next_day=day + timedelta(days=1),
        notice=notice,
        orders=orders,
        groups=handover.by_slot(orders),
        due={order.id: order.amount_due_cents for order in orders},
        points=points(),
        point_id=point_id,
        search=search,
        shows_contact=_shows_contact(),
    )


@bp.get("/retrait/<token>")
@gate_required
def handover_order(token):
    """The QR code on the label: staff land on the order's handover card."""
    try:
        order = handover.order_from_handover_token(token)
    except handover.HandoverError as error:
        return render_template("staff/handover/invalid_link.html", message=str(error)), 404
    return redirect(url_for("staff.handover_card", order_id=order.id))


def _order_or_404(order_id):
    order = handover.order_for_handover(order_id)
    if order is None:
        abort(404)
    return order


@bp.get("/retrait/commande/<int:order_id>")
@gate_required
def handover_card(order_id):
    order = _order_or_404(order_id)
    due = order.amount_due_cents
    form = PaymentForm(formdata=None, amount=due or None)
    return render_template(
        "staff/handover/order.html",
        order=order,
        due=due,
        total=order_totals(order).gross_cents,
        form=form,
        method_labels=PAYMENT_KIND_LABELS,
        can_no_show=handover.can_mark_no_show(order),
        no_show_from=handover.no_show_allowed_from(order),
        to_hand_over=handover.TO_HAND_OVER,
        payable=handover.PAYABLE,
        shows_contact=_shows_contact(),
    )


def _back_to_card(order):
    return redirect(url_for("staff.handover_card", order_id=order.id))


@bp.post("/retrait/commande/<int:order_id>/remis")
@gate_required
def handover_collect(order_id):
    order = _order_or_404(order_id)
    try:
        changed = handover.mark_collected(order, current_user)
        db.session.commit()
    except handover.HandoverError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _back_to_card(order)
    if changed:
        flash(
            _(
                "Commande %(number)s remise à %(name)s.",
                number=order.number,
                name=_name(order),
            ),
            "success",
        )
    else:
        flash(
            _(
                "La commande %(number)s était déjà remise (%(when)s) : rien n'a changé.",
                number=order.number,
                when=format_when(order.collected_at),
            ),
            "info",
        )
    return _back_to_card(order)


@bp.post("/retrait/commande/<int:order_id>/paiement")
@gate_required
def handover_pay(order_id):
    order = _order_or_404(order_id)
    form = PaymentForm()
    if not form.validate():
        flash(" ".join(str(error) for errors in form.errors.values() for error in errors), "error")
        return _back_to_card(order)
    try:
        payment = handover.record_payment(order, current_user, form.method.data, form.amount.data)
        db.session.commit()
    except handover.HandoverError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash(
            _(
                "Paiement enregistré : %(amount)s (%(method)s). Reste à payer : %(due)s.",
                amount=format_cents(payment.amount_cents),
                method=PAYMENT_KIND_LABELS[payment.method],
                due=format_cents(order.amount_due_cents),
            ),
            "success",
        )
    return _back_to_card(order)


@bp.post("/retrait/commande/<int:order_id>/absent")
@gate_required
def handover_no_show(order_id):
    order = _order_or_404(order_id)
    try:
        handover.mark_no_show(order, current_user)
        db.session.commit()
    except handover.HandoverError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash(_("Commande %(number)s notée absente (non retirée).", number=order.number), "info")
    return _back_to_card(order)
