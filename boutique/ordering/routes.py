from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..downloads import download
from ..extensions import db, limiter
from ..forms import line_quantities
from ..models import Invoice
from ..payments import invoices
from ..payments.card import money_message, money_message_if_cancelled
from ..payments.steps import record_return, settle_after
from ..pickup.calendar import order_calendar
from ..pricing import order_totals
from ..ratelimit import breach_page
from ..transactions import retried
from ..weeks.services import storefront_week
from . import bp
from .services import (
    OrderError,
    can_customer_cancel,
    can_customer_change,
    cancel_order,
    change_quantities,
    customer_orders,
    expire_holds,
    order_change_mail_minutes,
    order_for_page,
    other_payment_methods,
    switch_payment,
)


def _order_or_404(token):
    order = order_for_page(token)
    if order is None:
        abort(404)
    return order


def _forget_the_basket_once_paid(order):
    """The basket of a card order stays until the card is authorised: leaving the payment
    page, the customer still has it. Once this order is paid it goes; if the order lapsed or
    was cancelled instead, the basket stays for another try."""
    if session.get("paying_order") != order.id or order.status == "pending_payment":
        return
    session.pop("paying_order")
    if order.status not in ("expired", "cancelled"):
        # basket.services.clear: not imported here, the basket package imports ordering
        session.pop("basket", None)


def _week_open():
    week = storefront_week()
    return week is not None and week.is_open()


def _actor():
    return current_user if current_user.is_authenticated else None


@bp.get("/commande/suivi/<token>")
@retried  # expiring a lapsed hold writes stock
def order_page(token):
    order = _order_or_404(token)
    returning = request.args.get("paiement")
    if returning == "retour":  # back from the payment page: ask Stripe, not only the webhook
        returning = record_return(order)
        order = _order_or_404(token)
    elif returning == "abandon":
        returning = "abandoned"
    # "waiting": Stripe just said nothing yet (or did not answer): no second wait for it.
    if (
        order.status == "pending_payment"
        and returning != "waiting"
        and expire_holds(week_id=order.week_id)
    ):
        db.session.commit()
        order = _order_or_404(token)
    _forget_the_basket_once_paid(order)
    return render_template(
        "ordering/order.html",
        order=order,
        totals=order_totals(order),
        can_change=can_customer_change(order),
        can_cancel=can_customer_cancel(order),
        other_methods=other_payment_methods(order),
        documents=invoices.order_documents(order),
        transfer_due_cents=invoices.transfer_due_cents(order),
        invoice_form=invoices.may_request_invoice(order),
        money=money_message(order, returning),
    )


@bp.post("/commande/suivi/<token>/facture")
@retried
def ask_invoice(token):
    """An individual asks for an invoice made out to a name and an address."""
    order = _order_or_404(token)
    try:
        invoice = invoices.request_invoice(
            order, request.form.get("billing_name"), request.form.get("billing_address")
        )
        db.session.commit()
    except invoices.InvoiceError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        if invoice is not None:
            flash(_("Votre facture %(number)s est prête.", number=invoice.number), "success")
        else:
            flash(_("Votre facture sera émise à la confirmation de la commande."), "success")
    return redirect(url_for("ordering.order_page", token=token) + "#invoices-title")


@bp.get("/commande/suivi/<token>/factures/<int:invoice_id>.pdf")
def download_invoice(token, invoice_id):
    """One of this order's invoices or credit notes; any other id is not found."""
    order = _order_or_404(token)
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None or invoice.order_id != order.id:
        abort(404)
    return download(invoices.invoice_pdf(invoice), invoices.pdf_filename(invoice))


@bp.get("/commande/suivi/<token>/agenda.ics")
def download_calendar(token):
    """The pick-up slot as an event for the customer's calendar."""
    order = _order_or_404(token)
    if order.slot is None:
        abort(404)
    return download(order_calendar(order), f"retrait-{order.number}.ics")


def order_change_limit():
    return current_app.config["ORDER_CHANGE_RATE_LIMIT"]


@bp.post("/commande/suivi/<token>/modifier")
# Per connection: a change may mail the order's address (at most once per window, per order).
@limiter.limit(
    order_change_limit, methods=["POST"], scope="order_change", on_breach=breach_page("change")
)
@retried
def change_order(token):
    order = _order_or_404(token)
    try:
        quantities = line_quantities(order.lines, request.form)
        changed = change_quantities(order, quantities, actor=_actor())
        db.session.commit()
    except ValueError as error:  # OrderError included
        db.session.rollback()
        flash(str(error), "error")
    else:
        if changed == "mailed":
            flash(_("Votre commande est modifiée."), "success")
        elif changed:
            flash(
                _(
                    "Votre commande est modifiée. Vous avez reçu un e-mail de modification il y "
                    "a moins de %(minutes)d minutes : pas de nouvel e-mail tout de suite, cette "
                    "page montre son contenu à jour et l'e-mail de confirmation le reprendra.",
                    minutes=order_change_mail_minutes(),
                ),
                "success",
            )
    return redirect(url_for("ordering.order_page", token=token))


@bp.get("/commande/suivi/<token>/annuler")
def confirm_cancel(token):
    """Ask before cancelling: what goes, what happens to the money. Changes nothing."""
    order = _order_or_404(token)
    can_cancel = can_customer_cancel(order)
    return render_template(
        "ordering/cancel.html",
        order=order,
        totals=order_totals(order),
        can_cancel=can_cancel,
        money=money_message_if_cancelled(order) if can_cancel else None,
    )


@bp.post("/commande/suivi/<token>/annuler")
@retried
def cancel(token):
    order = _order_or_404(token)
    if not can_customer_cancel(order):
        flash(_("Cette commande ne peut plus être annulée en ligne : contactez-nous."), "error")
        return redirect(url_for("ordering.order_page", token=token))
    try:
        cancel_order(order, actor=_actor(), reason=_("Annulée par le client"))
        db.session.commit()
    except OrderError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash(_("Votre commande est annulée."), "info")
        settle_after(order)
    return redirect(url_for("ordering.order_page", token=token))


@bp.post("/commande/suivi/<token>/autre-paiement")
@retried
def pay_another_way(token):
    """Left the card payment page: pay on pick-up (or by invoice) instead, if allowed."""
    order = _order_or_404(token)
    if order.status == "pending_payment":
        answer = record_return(order)  # Stripe first: a card payment made meanwhile wins
        if answer == "paid":
            flash(_("Votre paiement par carte vient d'être reçu : rien à changer."), "info")
            return redirect(url_for("ordering.order_page", token=token))
        if answer == "waiting":
            flash(
                _(
                    "Votre banque n'a pas encore répondu au paiement par carte : réessayez "
                    "dans quelques minutes."
                ),
                "error",
            )
            return redirect(url_for("ordering.order_page", token=token))
        order = _order_or_404(token)
    try:
        switch_payment(order, request.form.get("method", ""), actor=_actor())
        db.session.commit()
    except OrderError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        if order.payment_method == "on_pickup":
            text = _(
                "C'est noté : vous paierez au retrait. Votre commande %(number)s est "
                "enregistrée ; un e-mail vous le confirme.",
                number=order.number,
            )
        else:
            text = _(
                "C'est noté : vous paierez sur facture. Votre commande %(number)s est "
                "enregistrée ; un e-mail vous le confirme.",
                number=order.number,
            )
        flash(text, "success")
    return redirect(url_for("ordering.order_page", token=token))


@bp.get("/compte/commandes")
@login_required
def my_orders():
    orders = customer_orders(current_user)
    return render_template(
        "ordering/my_orders.html",
        orders=orders,
        totals={order.id: order_totals(order).gross_cents for order in orders},
        can_reorder=_week_open(),
        documents=invoices.documents_by_order([order.id for order in orders]),
    )
