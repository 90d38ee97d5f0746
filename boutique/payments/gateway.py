"""The Stripe gateway: this is the only module that talks to Stripe.

Everything else in the shop calls `StripeGateway` with plain values (amounts in cents, order
numbers, intent ids) and gets plain values back; a Stripe exception never leaves this module,
it becomes a `PaymentGatewayError` with a short code the caller can act on.

Card payments are authorised when the order is placed (capture_method "manual") and captured
for what is actually handed over at pick-up, so the captured amount may be lower than the
authorised one.
"""

import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import stripe
from flask import current_app

from ..links import public_url

CURRENCY = "eur"
# Seconds before a call to Stripe gives up; a customer is waiting on the other side.
DEFAULT_TIMEOUT = 10
# A page view's side questions (see page_gateway) wait less, and rest after a failure.
DEFAULT_PAGE_TIMEOUT = 3
DEFAULT_PAGE_PAUSE = 60
PAGE_PAUSE_KEY = "boutique.stripe_page_pause"
# Errors worth trying again later: Stripe unreachable, overloaded or failing on its side (and
# keys refused or missing, the shop's to fix: Stripe's retries deliver the event once fixed).
RETRY_LATER_CODES = frozenset(
    {"unreachable", "rate_limited", "provider_error", "authentication", "not_configured"}
)


class PaymentGatewayError(Exception):
    """Stripe refused a request or could not be reached.

    `code` is "card_declined", "unreachable", "invalid_request", "authentication", or Stripe's
    own error code when it gives one; `message` is safe to log (never a card number).
    """

    def __init__(self, message, code):
        super().__init__(message)
        self.message = message
        self.code = code

    @property
    def missing(self):
        """Stripe does not know the object: a permanent answer, not an outage."""
        return self.code == "resource_missing"

    @property
    def retry_later(self):
        """Asking again later may work (network, rate limit, Stripe's own 5xx, keys)."""
        return self.code in RETRY_LATER_CODES


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
    # The order the shop asked for (the intent's metadata), to check the event is ours.
    order_number: str = ""


@dataclass(frozen=True)
class SessionState:
    """What Stripe says about a Checkout Session: "open", "complete" or "expired".

    `intent_id` is None until the customer tries a card on the page.
    """

    id: str
    status: str
    intent_id: str | None
    expires_at: datetime | None


@dataclass(frozen=True)
class ChargeState:
    id: str
    intent_id: str


@dataclass(frozen=True)
class CheckoutRequest:
    """What the shop asks a hosted payment page for: one order, one amount, held not taken."""

    order_id: int
    order_number: str
    amount_cents: int
    email: str
    locale: str
    success_url: str
    cancel_url: str
    expires_at: datetime


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
    if isinstance(error, stripe.InvalidRequestError) and (
        error.code == "resource_missing" or error.http_status == 404
    ):
        return PaymentGatewayError("Objet inconnu du service de paiement.", "resource_missing")
    if isinstance(error, stripe.InvalidRequestError):
        return PaymentGatewayError(
            error.user_message or "Le service de paiement a refusé la demande.",
            error.code or "invalid_request",
        )
    if isinstance(error, stripe.RateLimitError):
        return PaymentGatewayError("Le service de paiement est surchargé.", "rate_limited")
    if (error.http_status or 500) >= 500:
        return PaymentGatewayError("Le service de paiement a rencontré une erreur.", "provider_error")
    return PaymentGatewayError(
        "Le service de paiement a rencontré une erreur.", error.code or "provider_error"
    )


def _state(intent):
    metadata = getattr(intent, "metadata", None)
    return IntentState(
        id=intent.id,
        status=intent.status,
        amount=intent.amount,
        amount_received=getattr(intent, "amount_received", None),
        order_number=getattr(metadata, "order_number", "") if metadata else "",
    )


def verify_webhook(payload, signature_header, secret, tolerance=300):
    """The event (a dict) if `payload` is signed with `secret` within `tolerance` seconds.

    Raises PaymentGatewayError("bad_signature") otherwise: unsigned, forged or stale.
    """
    if not secret:
        raise PaymentGatewayError("STRIPE_WEBHOOK_SECRET n'est pas configurée.", "bad_signature")
    try:
        text = payload.decode("utf-8")
        stripe.WebhookSignature.verify_header(text, signature_header or "", secret, tolerance)
        event = json.loads(text)
    except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError):
        raise PaymentGatewayError("Signature du webhook invalide.", "bad_signature") from None
    if not isinstance(event, dict):
        raise PaymentGatewayError("Événement mal formé.", "bad_signature")
    return event  # its shape is checked where it is used (card.handle_event)


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
        return cls(
            config.get("STRIPE_SECRET_KEY"),
            api_base=config.get("STRIPE_API_BASE"),
            timeout=config.get("STRIPE_TIMEOUT", DEFAULT_TIMEOUT),
        )

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

    def charge(self, charge_id):
        """Which PaymentIntent a charge belongs to."""
        charge = self._call(self.client.v1.charges.retrieve, charge_id)
        intent = charge.payment_intent
        return ChargeState(
            id=charge.id,
            intent_id=intent if isinstance(intent, str) else getattr(intent, "id", ""),
        )

    def refunds(self, intent_id):
        """Every refund of the intent, oldest first."""
        listed = self._call(
            self.client.v1.refunds.list, params={"payment_intent": intent_id, "limit": 100}
        )
        refunds = sorted(listed.data, key=lambda refund: (refund.created, refund.id))
        return [RefundResult(id=r.id, status=r.status, amount=r.amount) for r in refunds]

    # --- Checkout Sessions ------------------------------------------------------------------

    def start_checkout(self, request: CheckoutRequest):
        """Open a hosted Checkout page that authorises (not captures) the order's amount."""
        metadata = {"order_id": str(request.order_id), "order_number": request.order_number}
        params = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": CURRENCY,
                        "unit_amount": request.amount_cents,
                        "product_data": {"name": f"Commande {request.order_number}"},
                    },
                }
            ],
            "payment_intent_data": {"capture_method": "manual", "metadata": metadata},
            "client_reference_id": str(request.order_id),
            "customer_email": request.email,
            "locale": request.locale if request.locale in ("fr", "en") else "auto",
            "expires_at": int(request.expires_at.timestamp()),
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "metadata": metadata,
        }
        # A new hold (a retry after Stripe could not be reached) is a new request.
        key = f"checkout-{request.order_id}-{int(request.expires_at.timestamp())}"
        return self.create_checkout_session(params, idempotency_key=key)

    def create_checkout_session(self, params, idempotency_key=None):
        """Create a Checkout Session from ready-made `params`; returns (id, url).

        localstripe has no Checkout Sessions: tests replace this one call.
        """
        options = {"idempotency_key": idempotency_key} if idempotency_key else {}
        session = self._call(
            self.client.v1.checkout.sessions.create, params=params, options=options
        )
        return session.id, session.url

    def checkout_session(self, session_id):
        """What Stripe says of a Checkout Session (its status, its PaymentIntent once tried)."""
        session = self._call(self.retrieve_checkout_session, session_id)
        intent = getattr(session, "payment_intent", None)
        expires_at = getattr(session, "expires_at", None)
        return SessionState(
            id=session.id,
            status=session.status,
            intent_id=intent if isinstance(intent, str) or intent is None else intent.id,
            expires_at=datetime.fromtimestamp(expires_at, UTC) if expires_at else None,
        )

    def retrieve_checkout_session(self, session_id):
        """Stripe's Checkout Session object. localstripe has none: tests replace this one call."""
        return self.client.v1.checkout.sessions.retrieve(session_id)


class DemoGateway:
    """Stands in for Stripe when no keys are configured (development, demonstrations).

    Its "hosted page" is the shop's own demo payment page; its intents are `DemoIntent` rows
    written in the caller's transaction. No money moves. Production refuses it (config.py).
    """

    is_demo = True

    def _intent(self, intent_id):
        from ..extensions import db
        from ..models import DemoIntent

        intent = db.session.get(DemoIntent, intent_id)
        if intent is None:
            raise PaymentGatewayError("Paiement inconnu.", "resource_missing")
        return intent

    @staticmethod
    def _state(intent):
        return IntentState(
            id=intent.id,
            status=intent.status,
            amount=intent.amount,
            amount_received=intent.amount_received,
            order_number=intent.order_number,
        )

    def start_checkout(self, request: CheckoutRequest):
        from ..extensions import db
        from ..models import DemoIntent

        token = secrets.token_urlsafe(16)
        intent = DemoIntent(
            id=f"demo_pi_{token}",
            session_id=f"demo_cs_{token}",
            order_number=request.order_number,
            amount=request.amount_cents,
            success_url=request.success_url,
            cancel_url=request.cancel_url,
            expires_at=request.expires_at,
        )
        db.session.add(intent)
        db.session.flush()
        url = public_url("payments.demo_checkout", session_id=intent.session_id)
        return intent.session_id, url

    def retrieve(self, intent_id):
        return self._state(self._intent(intent_id))

    def checkout_session(self, session_id):
        from ..extensions import db
        from ..models import DemoIntent, utcnow

        intent = db.session.scalar(db.select(DemoIntent).where(DemoIntent.session_id == session_id))
        if intent is None:
            raise PaymentGatewayError("Paiement inconnu.", "resource_missing")
        if intent.status in ("requires_capture", "succeeded"):
            status = "complete"
        elif intent.status == "canceled" or intent.expires_at <= utcnow():
            status = "expired"
        else:
            status = "open"
        return SessionState(
            id=session_id, status=status, intent_id=intent.id, expires_at=intent.expires_at
        )

    def capture(self, intent_id, amount_cents, idempotency_key):
        intent = self._intent(intent_id)
        if intent.status == "succeeded":
            return self._state(intent)
        if intent.status != "requires_capture":
            raise PaymentGatewayError("Ce paiement ne peut pas être débité.", "invalid_state")
        if amount_cents > intent.amount:
            raise PaymentGatewayError(
                "Montant supérieur à l'autorisation.", "amount_too_large"
            )
        intent.status, intent.amount_received = "succeeded", amount_cents
        return self._state(intent)

    def cancel(self, intent_id):
        intent = self._intent(intent_id)
        if intent.status == "succeeded":
            raise PaymentGatewayError("Ce paiement est déjà débité.", "invalid_state")
        intent.status = "canceled"
        return self._state(intent)

    def refund(self, intent_id, amount_cents, idempotency_key):
        intent = self._intent(intent_id)
        if amount_cents > intent.amount_received - intent.amount_refunded:
            raise PaymentGatewayError("Remboursement supérieur au montant débité.", "invalid_amount")
        intent.amount_refunded += amount_cents
        return RefundResult(
            id=f"demo_re_{intent.id[8:]}_{intent.amount_refunded}",
            status="succeeded",
            amount=amount_cents,
        )

    def charge(self, charge_id):
        intent = self._intent(charge_id.removeprefix("demo_ch_"))
        return ChargeState(id=charge_id, intent_id=intent.id)

    def refunds(self, intent_id):
        """The demo keeps a running total; the shop records its own refunds as it makes them."""
        return []


def gateway_for(app=None):
    """Stripe when a secret key is configured; otherwise the demo gateway if allowed."""
    config = (app or current_app).config
    if config.get("STRIPE_SECRET_KEY"):
        return StripeGateway.from_app(app)
    if config.get("PAYMENT_DEMO"):
        return DemoGateway()
    raise PaymentGatewayError("Le paiement par carte n'est pas configuré.", "not_configured")


def page_gateway(app=None, resting=True):
    """The gateway for a page view's own questions to Stripe, or None while they rest.

    Such a question gives up after STRIPE_PAGE_TIMEOUT seconds. Side questions, the ones the
    customer did not come for (are lapsed card holds paid after all: the lazy expiry), rest for
    STRIPE_PAGE_PAUSE seconds in this process once Stripe failed to answer one
    (`page_question_failed`): a hung Stripe costs one short wait, not one per page; the cron
    command and Stripe's webhook catch up meanwhile. resting=False is for the question the
    customer is waiting for (what happened on the payment page): asked at each visit.
    """
    app = app or current_app._get_current_object()
    if resting and time.monotonic() < app.extensions.get(PAGE_PAUSE_KEY, 0.0):
        return None
    config = app.config
    if config.get("STRIPE_SECRET_KEY"):
        return StripeGateway(
            config["STRIPE_SECRET_KEY"],
            api_base=config.get("STRIPE_API_BASE"),
            timeout=config.get("STRIPE_PAGE_TIMEOUT", DEFAULT_PAGE_TIMEOUT),
        )
    return gateway_for(app)


def page_question_failed(app=None):
    """Stripe did not answer a page view's side question: rest them for STRIPE_PAGE_PAUSE s."""
    app = app or current_app._get_current_object()
    pause = app.config.get("STRIPE_PAGE_PAUSE", DEFAULT_PAGE_PAUSE)
    app.extensions[PAGE_PAUSE_KEY] = time.monotonic() + pause
