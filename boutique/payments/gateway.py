"""The Stripe gateway: this is the only module that talks to Stripe.

Everything else in the shop calls `StripeGateway` with plain values (amounts in cents, order
numbers, intent ids) and gets plain values back; a Stripe exception never leaves this module,
it becomes a `PaymentGatewayError` with a short code the caller can act on.

Card payments are authorised when the order is placed (capture_method "manual") and captured
for what is actually handed over at pick-up, so the captured amount may be lower than the
authorised one.
"""

from dataclasses import dataclass

import stripe
from flask import current_app

CURRENCY = "eur"
# Seconds before a call to Stripe gives up; a customer is waiting on the other side.
DEFAULT_TIMEOUT = 20


class PaymentGatewayError(Exception):
    """Stripe refused a request or could not be reached.

    `code` is "card_declined", "unreachable", "invalid_request", "authentication", or Stripe's
    own error code when it gives one; `message` is safe to log (never a card number).
    """

    def __init__(self, message, code):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class IntentState:
    """What Stripe says about a PaymentIntent.

    `amount_received` is the captured amount when the provider reports it (Stripe does;
    localstripe has no such field and leaves it None).
    """

    id: str
    status: str
    amount: int
    amount_received: int | None = None


@dataclass(frozen=True)
class RefundResult:
    id: str
    status: str
    amount: int


def _translate(error):
    """A PaymentGatewayError for a Stripe exception."""
    if isinstance(error, stripe.CardError):
        return PaymentGatewayError(
            error.user_message or "La carte a été refusée.", error.code or "card_declined"
        )
    if isinstance(error, stripe.APIConnectionError):
        return PaymentGatewayError("Le service de paiement ne répond pas.", "unreachable")
    if isinstance(error, stripe.AuthenticationError):
        return PaymentGatewayError("La clé du service de paiement est refusée.", "authentication")
    if isinstance(error, stripe.InvalidRequestError):
        return PaymentGatewayError(
            error.user_message or "Le service de paiement a refusé la demande.",
            error.code or "invalid_request",
        )
    if isinstance(error, stripe.RateLimitError):
        return PaymentGatewayError("Le service de paiement est surchargé.", "rate_limited")
    return PaymentGatewayError(
        "Le service de paiement a rencontré une erreur.", error.code or "provider_error"
    )


def _state(intent):
    return IntentState(
        id=intent.id,
        status=intent.status,
        amount=intent.amount,
        amount_received=getattr(intent, "amount_received", None),
    )


class StripeGateway:
    """Authorise, capture, cancel and refund card payments through Stripe."""

    def __init__(self, secret_key, api_base=None, timeout=DEFAULT_TIMEOUT, max_network_retries=0):
        if not secret_key:
            raise PaymentGatewayError("STRIPE_SECRET_KEY n'est pas configurée.", "not_configured")
        self.client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base} if api_base else None,
            max_network_retries=max_network_retries,
            http_client=stripe.RequestsClient(timeout=timeout),
        )

    @classmethod
    def from_app(cls, app=None):
        config = (app or current_app).config
        return cls(config.get("STRIPE_SECRET_KEY"), api_base=config.get("STRIPE_API_BASE"))

    def _call(self, method, *args, **kwargs):
        try:
            return method(*args, **kwargs)
        except stripe.StripeError as error:
            raise _translate(error) from None

    # --- PaymentIntents ---------------------------------------------------------------------

    def authorise(self, amount_cents, order_number, payment_method):
        """Hold `amount_cents` on the card; the state is "requires_capture" when it worked."""
        intent = self._call(
            self.client.v1.payment_intents.create,
            params={
                "amount": amount_cents,
                "currency": CURRENCY,
                "capture_method": "manual",
                "payment_method": payment_method,
                "confirm": True,
                "metadata": {"order_number": order_number},
            },
        )
        return _state(intent)

    def retrieve(self, intent_id):
        return _state(self._call(self.client.v1.payment_intents.retrieve, intent_id))

    def capture(self, intent_id, amount_cents, idempotency_key):
        """Take `amount_cents` (at most the authorised amount); the rest is released."""
        intent = self._call(
            self.client.v1.payment_intents.capture,
            intent_id,
            params={"amount_to_capture": amount_cents},
            options={"idempotency_key": idempotency_key},
        )
        return _state(intent)

    def cancel(self, intent_id):
        """Release an authorisation that will not be captured."""
        return _state(self._call(self.client.v1.payment_intents.cancel, intent_id))

    def refund(self, intent_id, amount_cents, idempotency_key):
        """Give back `amount_cents` of a captured payment."""
        refund = self._call(
            self.client.v1.refunds.create,
            params={"payment_intent": intent_id, "amount": amount_cents},
            options={"idempotency_key": idempotency_key},
        )
        return RefundResult(id=refund.id, status=refund.status, amount=refund.amount)

    # --- Checkout Sessions ------------------------------------------------------------------

    def create_checkout_session(self, params, idempotency_key=None):
        """Create a Checkout Session from ready-made `params`; returns (id, url).

        localstripe has no Checkout Sessions: tests replace this one call.
        """
        options = {"idempotency_key": idempotency_key} if idempotency_key else {}
        session = self._call(
            self.client.v1.checkout.sessions.create, params=params, options=options
        )
        return session.id, session.url
