"""Staff at the counter, phone in hand: the day's pick-ups, an order's handover card
(opened from the list or from the QR code on its label), taking the money and handing over,
no-show, and at the end of the day the cash of each point (caisse du jour).

The gate role uses these pages too, and only these: it sees the order number, the first name
and initial, the items, the amount to collect and the slot — no email, phone, address or note.
"""

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user

from ..auth import gate_required, staff_required
from ..extensions import db
from ..formatting import format_cents, format_when, parse_id
from ..models import Payment, PickupPoint
from ..pickup import cash, handover
from ..pickup.services import points
from ..pricing import order_totals
from ..timezones import shop_today
from ..transactions import retried
from . import bp
from .handover_forms import (
    PAYMENT_KIND_LABELS,
    CancelPaymentForm,
    CashClosingForm,
    CollectForm,
    PayAndCollectForm,
    PaymentForm,
)

short_name = bp.app_template_filter("short_name")(handover.short_name)


def _shows_contact():
    """Staff see the customer's contact; the gate (maybe the workshop's own workers) does not."""
    return current_user.is_staff


def _name(order):
    return order.contact_name if _shows_contact() else short_name(order.contact_name)


def _sentence(text):
    """One full stop at the end, also after a name shortened to "Camille M."."""
    return text[:-1] if text.endswith("..") else text


def _day_from_args(point_id=None, upcoming=True):
    """The day asked for (jour=YYYY-MM-DD). Without one: today, or with `upcoming` the next
    pick-up day with orders (today if today has some, today if none is ahead)."""
    today = shop_today()
    raw = (request.args.get("jour") or "").strip()
    if not raw:
        return (handover.pickup_day_from(today, point_id) if upcoming else None) or today, None
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
    point_id = parse_id(request.args.get("point"))
    day, notice = _day_from_args(point_id)
    search = (request.args.get("q") or "").strip()[:80]
    orders = handover.day_orders(
        day, point_id=point_id, search=search, full_search=_shows_contact()
    )
    previous_day, next_day = handover.pickup_days_around(day, point_id)
    return render_template(
        "staff/handover/day.html",
        day=day,
        today=shop_today(),
        previous_day=previous_day,
        next_day=next_day,
        notice=notice,
        orders=orders,
        groups=handover.by_slot(orders),
        due={order.id: order.amount_due_cents for order in orders},
        points=points(),
        point_id=point_id,
        cash_points=cash.day_points(day),
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
    return render_template(
        "staff/handover/order.html",
        order=order,
        due=due,
        total=order_totals(order).gross_cents,
        form=PayAndCollectForm(formdata=None, amount=due or None),
        early_day=handover.pickup_day_ahead(order),
        method_labels=PAYMENT_KIND_LABELS,
        can_no_show=handover.can_mark_no_show(order),
        no_show_from=handover.no_show_allowed_from(order),
        to_hand_over=handover.TO_HAND_OVER,
        payable=handover.PAYABLE,
        shows_contact=_shows_contact(),
        cancelled_ids=handover.cancelled_payment_ids(order),
        cancel_form=CancelPaymentForm(formdata=None),
    )


def _back_to_card(order):
    return redirect(url_for("staff.handover_card", order_id=order.id))


@bp.post("/retrait/paiement/<int:payment_id>/annuler")
@staff_required
@retried
def cancel_gate_payment(payment_id):
    """Staff take back a payment recorded by mistake at the gate (a new, negative entry)."""
    payment = db.session.get(Payment, payment_id)
    if payment is None:
        abort(404)
    order = payment.order
    form = CancelPaymentForm()
    if not form.validate():
        _form_errors(form)
        return _back_to_card(order)
    try:
        handover.cancel_payment(payment, current_user, form.reason.data)
        db.session.commit()
    except handover.HandoverError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _back_to_card(order)
    flash(
        _(
            "Paiement de %(amount)s (%(method)s) annulé sur la commande %(number)s ; "
            "enregistrez le bon s'il y a lieu.",
            amount=format_cents(payment.amount_cents),
            method=PAYMENT_KIND_LABELS[payment.method],
            number=order.number,
        ),
        "info",
    )
    return _back_to_card(order)


def _already_collected(order):
    flash(
        _(
            "La commande %(number)s était déjà remise (%(when)s) : rien n'a changé.",
            number=order.number,
            when=format_when(order.collected_at),
        ),
        "info",
    )


def _form_errors(form):
    flash(" ".join(str(error) for errors in form.errors.values() for error in errors), "error")


@bp.post("/retrait/commande/<int:order_id>/remis")
@gate_required
@retried
def handover_collect(order_id):
    order = _order_or_404(order_id)
    form = CollectForm()
    if not form.validate():
        _form_errors(form)
        return _back_to_card(order)
    try:
        changed = handover.mark_collected(
            order,
            current_user,
            confirm_early=form.confirm_early.data,
            confirm_due_cents=form.confirmed_due_cents,
        )
        db.session.commit()
    except handover.HandoverError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _back_to_card(order)
    due = order.amount_due_cents
    if not changed:
        _already_collected(order)
    elif due:
        flash(
            _(
                "Commande %(number)s remise à %(name)s sans encaisser : %(due)s restent dus.",
                number=order.number,
                name=_name(order),
                due=format_cents(due),
            ),
            "info",
        )
    else:
        flash(
            _sentence(
                _("Commande %(number)s remise à %(name)s.", number=order.number, name=_name(order))
            ),
            "success",
        )
    return _back_to_card(order)


@bp.post("/retrait/commande/<int:order_id>/encaisser-et-remettre")
@gate_required
@retried
def handover_pay_collect(order_id):
    order = _order_or_404(order_id)
    form = PayAndCollectForm()
    if not form.validate():
        _form_errors(form)
        return _back_to_card(order)
    try:
        payment = handover.pay_and_collect(
            order,
            current_user,
            form.method.data,
            form.amount.data,
            confirm_early=form.confirm_early.data,
        )
        db.session.commit()
    except handover.HandoverError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _back_to_card(order)
    if payment is None:
        _already_collected(order)
    else:
        flash(
            _sentence(
                _(
                    "Commande %(number)s : %(amount)s encaissés (%(method)s), remise à %(name)s.",
                    number=order.number,
                    amount=format_cents(payment.amount_cents),
                    method=PAYMENT_KIND_LABELS[payment.method],
                    name=_name(order),
                )
            ),
            "success",
        )
    return _back_to_card(order)


@bp.post("/retrait/commande/<int:order_id>/paiement")
@gate_required
def handover_pay(order_id):
    order = _order_or_404(order_id)
    form = PaymentForm()
    if not form.validate():
        _form_errors(form)
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


# --- The day's cash at a point ---------------------------------------------------------------------


def _cash_place():
    """(day, point, notice): the day asked for (today without one) and the point asked for,
    else the day's only point; point is None when there is a choice to make or it is unknown."""
    day, notice = _day_from_args(upcoming=False)
    raw_point = request.args.get("point")
    if raw_point is None:
        day_points = cash.day_points(day)
        return day, (day_points[0][0] if len(day_points) == 1 else None), notice
    point_id = parse_id(raw_point)
    point = db.session.get(PickupPoint, point_id) if point_id else None
    return day, point, notice if point else _("Point de retrait inconnu.")


@bp.get("/retrait/caisse")
@gate_required
def handover_cash():
    day, point, notice = _cash_place()
    if point is None:
        page = render_template(
            "staff/handover/cash_points.html",
            day=day,
            notice=notice,
            day_points=cash.day_points(day),
        )
        return page, 404 if "point" in request.args else 200
    return render_template(
        "staff/handover/cash.html",
        cash_day=cash.cash_day(day, point),
        form=CashClosingForm(formdata=None),
        today=shop_today(),
        notice=notice,
        method_labels=PAYMENT_KIND_LABELS,
        shows_contact=_shows_contact(),
    )


@bp.post("/retrait/caisse/cloture")
@gate_required
@retried
def handover_cash_close():
    day, point, notice = _cash_place()
    if point is None:
        flash(notice or _("Choisissez le point de retrait."), "error")
        return redirect(url_for("staff.handover_cash", jour=day.isoformat()))
    back = redirect(url_for("staff.handover_cash", jour=day.isoformat(), point=point.id))
    form = CashClosingForm()
    if not form.validate():
        _form_errors(form)
        return back
    try:
        cash.close_day(day, point, current_user, form.counted_cash.data, form.note.data)
        db.session.commit()
    except cash.CashError as error:
        db.session.rollback()
        flash(str(error), "error")
        return back
    flash(
        _("Caisse du %(day)s close (%(point)s).", day=format_date(day, "full"), point=point.name),
        "success",
    )
    return back
