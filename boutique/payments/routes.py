"""The customer's way to the payment page, Stripe's webhook and the demo payment page."""

import logging
import secrets

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ..extensions import csrf, db
from ..models import DemoIntent, utcnow
from ..ordering.services import expire_holds, order_for_page
from ..pricing import order_totals
from ..transactions import retried
from . import bp, card
from .gateway import DemoGateway, PaymentGatewayError, gateway_for, verify_webhook
from .steps import payment_redirect, settle_after

log = logging.getLogger(__name__)


@bp.post("/commande/suivi/<token>/payer")
def pay(token):
    order = order_for_page(token)
    if order is None:
        abort(404)
    expire_holds(week_id=order.week_id)
    db.session.commit()
    return payment_redirect(order) or redirect(
        url_for("ordering.order_page", token=order.access_token)
    )


@bp.post("/paiement/stripe/webhook")
@csrf.exempt  # verified by Stripe's signature instead
@retried  # a conflict with checkout or staff on the same week: the event is applied again whole
def stripe_webhook():
    try:
        event = verify_webhook(
            request.get_data(),
            request.headers.get("Stripe-Signature"),
            current_app.config["STRIPE_WEBHOOK_SECRET"],
        )
    except PaymentGatewayError:
        return jsonify(error="bad signature"), 400
    try:
        result = card.handle_event(event, gateway_for())
        db.session.commit()
    except PaymentGatewayError as error:
        db.session.rollback()
        if error.retry_later:  # Stripe unreachable, overloaded or failing: it sends it again
            log.warning("webhook %s not applied: %s", event.get("id"), error.code)
            return jsonify(error=error.code), 503
        # A permanent refusal: asking Stripe again in an hour gets the same answer.
        log.error("webhook %s refused by Stripe: %s", event.get("id"), error.code)
        return jsonify(outcome="refused", error=error.code), 200
    except IntegrityError:  # the same event, handled by a concurrent request
        db.session.rollback()
        return jsonify(outcome="duplicate"), 200
    if result.order_id is not None:
        _settle_order(result.order_id)
    return jsonify(outcome=result.outcome), 200


def _settle_order(order_id):
    from ..models import Order

    order = db.session.get(Order, order_id)
    if order is not None:
        settle_after(order)


# --- Demo payment page (no Stripe keys: development and demonstrations) ---------------------------


def _demo_or_404(session_id):
    if not isinstance(_gateway_or_none(), DemoGateway) or len(session_id) > 64:
        abort(404)
    payment = card.card_for_demo_session(session_id)
    intent = db.session.scalar(
        db.select(DemoIntent).where(DemoIntent.session_id == session_id)
    )
    if payment is None or intent is None:
        abort(404)
    return payment, intent


def _gateway_or_none():
    try:
        return gateway_for()
    except PaymentGatewayError:
        return None


def _demo_pay(intent, session_id, accepted):
    """What Stripe's page and webhook do, in one step: the card answers, the event arrives."""
    intent.status = "requires_capture" if accepted else "requires_payment_method"
    if accepted:
        kind, obj = "checkout.session.completed", {"id": session_id, "payment_intent": intent.id}
    else:
        kind, obj = "payment_intent.payment_failed", {"id": intent.id}
    event = {"id": f"evt_demo_{secrets.token_hex(12)}", "type": kind, "data": {"object": obj}}
    card.handle_event(event, DemoGateway())
    db.session.commit()


@bp.route("/paiement/demo/<session_id>", methods=["GET", "POST"])
def demo_checkout(session_id):
    payment, intent = _demo_or_404(session_id)
    order = payment.order
    open_ = (
        intent.status == "requires_payment_method"
        and intent.expires_at > utcnow()
        and order.status == "pending_payment"
    )
    if request.method == "POST":
        action = request.form.get("action")
        if action == "abandon":
            return redirect(intent.cancel_url)
        if open_ and action in ("pay", "decline"):
            _demo_pay(intent, session_id, action == "pay")
            if action == "pay":
                _settle_order(order.id)
                return redirect(intent.success_url)
            flash(_("Paiement refusé (démonstration). Essayez à nouveau."), "error")
        return redirect(url_for("payments.demo_checkout", session_id=session_id))
    return render_template(
        "payments/demo_checkout.html",
        open=open_,
        order=order,
        payment=payment,
        intent=intent,
        totals=order_totals(order),
    )
