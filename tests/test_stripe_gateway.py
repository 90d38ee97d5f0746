"""The Stripe gateway against a real localstripe server, through the real `stripe` library."""

import time

import pytest
import stripe

from boutique.payments.gateway import PaymentGatewayError, StripeGateway
from tests.conftest import free_port


def authorise(gateway, amount_cents=1000, order_number="S48-017"):
    state = gateway.authorise(amount_cents, order_number, "pm_card_visa")
    assert state.status == "requires_capture"
    return state


def charge_of(gateway, intent_id):
    """The intent's charge, read with the raw client (localstripe expands it)."""
    return gateway.client.v1.payment_intents.retrieve(intent_id).latest_charge


def test_authorise_holds_the_amount_for_the_order(stripe_gateway):
    state = stripe_gateway.authorise(2450, "S48-017", "pm_card_visa")

    assert state.id.startswith("pi_")
    assert state.status == "requires_capture"
    assert state.amount == 2450
    intent = stripe_gateway.client.v1.payment_intents.retrieve(state.id)
    assert intent.currency == "eur"
    assert intent.capture_method == "manual"
    assert intent.metadata.order_number == "S48-017"
    assert charge_of(stripe_gateway, state.id).captured is False


def test_full_capture_succeeds(stripe_gateway):
    intent = authorise(stripe_gateway, 1000)

    state = stripe_gateway.capture(intent.id, 1000, idempotency_key=f"capture-{intent.id}")

    assert state.status == "succeeded"
    assert state.amount == 1000
    charge = charge_of(stripe_gateway, intent.id)
    assert charge.captured is True
    assert charge.amount_refunded == 0


def test_partial_capture_releases_the_rest(stripe_gateway):
    intent = authorise(stripe_gateway, 1000)

    state = stripe_gateway.capture(intent.id, 700, idempotency_key=f"capture-{intent.id}")

    assert state.status == "succeeded"
    charge = charge_of(stripe_gateway, intent.id)
    assert charge.captured is True
    # localstripe shows the uncaptured rest as a refund on the charge.
    assert charge.amount - charge.amount_refunded == 700


def test_cancel_releases_the_authorisation(stripe_gateway):
    intent = authorise(stripe_gateway)

    state = stripe_gateway.cancel(intent.id)

    assert state.status == "canceled"
    assert stripe_gateway.retrieve(intent.id).status == "canceled"


def test_partial_refund_after_capture(stripe_gateway):
    intent = authorise(stripe_gateway, 1000)
    stripe_gateway.capture(intent.id, 1000, idempotency_key=f"capture-{intent.id}")

    refund = stripe_gateway.refund(intent.id, 400, idempotency_key=f"refund-{intent.id}-1")

    assert refund.id.startswith("re_")
    assert refund.status == "succeeded"
    assert refund.amount == 400
    assert charge_of(stripe_gateway, intent.id).amount_refunded == 400
    assert stripe_gateway.retrieve(intent.id).status == "succeeded"


def test_retrieve_follows_the_intent_through_its_states(stripe_gateway):
    intent = authorise(stripe_gateway, 1500)
    assert stripe_gateway.retrieve(intent.id).status == "requires_capture"

    stripe_gateway.capture(intent.id, 1200, idempotency_key=f"capture-{intent.id}")

    state = stripe_gateway.retrieve(intent.id)
    assert (state.id, state.status, state.amount) == (intent.id, "succeeded", 1500)
    # Stripe reports the captured amount; localstripe has no amount_received field.
    assert state.amount_received in (None, 1200)


def test_declined_card_is_a_gateway_error(stripe_gateway):
    with pytest.raises(PaymentGatewayError) as caught:
        stripe_gateway.authorise(1000, "S48-018", "pm_card_chargeCustomerFail")

    error = caught.value
    assert error.code == "card_declined"
    assert error.message
    assert not isinstance(error, stripe.StripeError)
    assert error.__cause__ is None and error.__suppress_context__


def test_unknown_intent_is_a_gateway_error(stripe_gateway):
    with pytest.raises(PaymentGatewayError) as caught:
        stripe_gateway.retrieve("pi_doesnotexist")

    assert caught.value.code
    assert not isinstance(caught.value, stripe.StripeError)


def test_unreachable_stripe_fails_fast(app):
    closed_port = free_port()  # bound then released: nothing listens there
    app.config.update(
        STRIPE_SECRET_KEY="sk_test_12345", STRIPE_API_BASE=f"http://127.0.0.1:{closed_port}"
    )
    gateway = StripeGateway.from_app(app)

    started = time.monotonic()
    with pytest.raises(PaymentGatewayError) as caught:
        gateway.authorise(1000, "S48-019", "pm_card_visa")

    assert caught.value.code == "unreachable"
    assert time.monotonic() - started < 3


def test_gateway_needs_a_secret_key(app):
    app.config.update(STRIPE_SECRET_KEY="")

    with pytest.raises(PaymentGatewayError) as caught:
        StripeGateway.from_app(app)

    assert caught.value.code == "not_configured"


def test_checkout_session_is_a_seam(stripe_gateway, monkeypatch):
    # localstripe has no Checkout Sessions: its 404 comes back as a gateway error...
    with pytest.raises(PaymentGatewayError):
        stripe_gateway.create_checkout_session({"mode": "payment"})

    # ...and tests replace this one call.
    calls = []

    def fake_create(params, options=None):
        calls.append((params, options))
        return stripe.StripeObject.construct_from(
            {"id": "cs_test_1", "url": "https://checkout.example/cs_test_1"}, "sk_test_12345"
        )

    monkeypatch.setattr(stripe_gateway.client.v1.checkout.sessions, "create", fake_create)

    session = stripe_gateway.create_checkout_session(
        {"mode": "payment"}, idempotency_key="checkout-S48-020"
    )

    assert session == ("cs_test_1", "https://checkout.example/cs_test_1")
    assert calls == [({"mode": "payment"}, {"idempotency_key": "checkout-S48-020"})]
