"""The card steps a view takes after committing its own unit of work: open Stripe's payment
page, record what Stripe says on the way back, capture, release or refund.

They call Stripe, so they run after the order's move is committed (no row is locked while Stripe
answers) and commit what Stripe answered as a second unit of work; this is why they live here,
shared by the checkout, order, payment and staff views, and not in a service (services never
commit).
"""

import logging

from flask import flash, redirect
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..formatting import format_when
from ..links import public_url
from . import card
from .gateway import PaymentGatewayError, gateway_for, page_gateway, page_question_failed

log = logging.getLogger(__name__)


def payment_redirect(order):
    """Send the customer to the payment page of a pending card order.

    Runs after the order is committed (the Stripe call must not hold its row). Returns None,
    with a message flashed, when the page cannot be opened: the order stays pending.
    """
    page = public_url("ordering.order_page", token=order.access_token)
    try:
        url = card.start_checkout(
            order,
            gateway_for(),
            success_url=f"{page}?paiement=retour",
            cancel_url=f"{page}?paiement=abandon",
        )
        db.session.commit()
    except card.CardError as error:
        db.session.rollback()
        flash(str(error), "error")
        return None
    except PaymentGatewayError as error:
        db.session.rollback()
        log.warning("checkout session for %s failed: %s", order.number, error.code)
        flash(
            _(
                "Le paiement par carte est momentanément indisponible. Votre commande "
                "%(number)s reste réservée jusqu'au %(time)s : réessayez depuis cette page.",
                number=order.number,
                time=format_when(order.hold_expires_at),
            ),
            "error",
        )
        return None
    return redirect(url)


def record_return(order):
    """Back from the payment page: ask Stripe what happened and record it (DESIGN rule 5).

    The webhook may come before or after: whichever is first records the authorisation, the
    other finds it done. Stripe is asked before anything is written. Returns "paid",
    "unpaid", "waiting" (Stripe has no answer yet or cannot be reached) or None.
    """
    payment = order.card
    if order.status != "pending_payment" or payment is None or not payment.session_id:
        return None
    try:  # what the customer waits for: asked even while side questions rest
        answer = card.ask_stripe(payment, page_gateway(resting=False))
    except PaymentGatewayError as error:
        log.warning("return from the payment page of %s: Stripe said %s", order.number, error.code)
        if error.retry_later:
            page_question_failed()
        return "waiting"
    if card.verdict(answer) == "paid":
        try:
            card.record_answer(payment, answer)
            db.session.commit()
        except IntegrityError:  # the webhook recorded the same payment at the same moment
            db.session.rollback()
        settle_after(order)  # the order ran out meanwhile and could not be taken back
        return "paid"
    if card.payment_in_progress(answer):
        return "waiting"
    return "unpaid"  # Stripe sends the customer back here only after paying: not this time


def settle_after(order, retry=False):
    """After an order's move is committed: the Stripe call it needs (capture, cancel, refund).

    A second unit of work on purpose: the order's row is not locked while Stripe answers.
    Returns the outcome, or None when there was nothing to do. `retry`: staff asked again.
    """
    payment = order.card
    if payment is None or not (payment.settle_due or retry):
        return None
    try:
        outcome = card.settle(payment, gateway_for())
        db.session.commit()
    except PaymentGatewayError:
        db.session.rollback()
        return "failed"
    except IntegrityError:  # capture-due recorded the same capture at the same moment
        db.session.rollback()
        return "nothing"
    return outcome
