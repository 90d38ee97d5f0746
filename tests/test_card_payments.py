"""Card payments: authorised at checkout, captured for the final amount, refunded when it drops.

Stripe is localstripe (started by the `localstripe` fixture) reached through the real `stripe`
library. localstripe has no Checkout Sessions, so the one call that creates a session is
replaced; the rest is driven the way Stripe drives it: a PaymentIntent authorised with
`pm_card_visa`, then webhook events signed with the endpoint's secret.
"""

import json
import time
from datetime import timedelta

import pytest
import stripe
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from boutique.extensions import db
from boutique.models import (
    CardPayment,
    DemoIntent,
    Offer,
    Order,
    OrderEvent,
    OutboxMessage,
    Payment,
    PickupSlot,
    WebhookEvent,
    utcnow,
)
from boutique.ordering.services import (
    Contact,
    OrderError,
    cancel_order,
    confirm_order,
    lower_quantities,
    place_order,
)
from boutique.payments import card
from boutique.payments.gateway import StripeGateway, gateway_for
from boutique.pricing import order_totals
from tests.conftest import free_port, page_text
from tests.test_lock_order import conflicts  # noqa: F401  (a fixture)
from tests.test_ordering import checkout, submit

SECRET = "whsec_test_secret"
SESSION_URL = "https://checkout.stripe.test/c/pay/"


@pytest.fixture
def shop(make_product, make_week, make_pickup_slot):
    tomato = make_product(name="Tomate", variety="Cerise", price_individual_cents=250)
    basil = make_product(name="Basilic", variety="Grand vert", price_individual_cents=300)
    week = make_week(offers=[tomato, basil])
    slot = make_pickup_slot(week, capacity=5, address="12 chemin des Jardins, Avignon")
    offers = {o.product_id: o for o in db.session.scalars(select(Offer))}
    return {"week": week, "tomato": offers[tomato.id], "basil": offers[basil.id], "slot": slot}


# The Checkout Sessions "Stripe" holds in these tests (localstripe has none).
SESSIONS = []


@pytest.fixture
def sessions(monkeypatch):
    """Replace the two calls localstripe cannot answer; keep what the shop asked for.

    A session is "open" until `authorise_in_stripe` completes it with its PaymentIntent
    (what Stripe's page does); an id it never created is unknown, as Stripe answers.
    """
    SESSIONS.clear()

    def create_checkout_session(self, params, idempotency_key=None):
        session_id = f"cs_test_{len(SESSIONS) + 1}"
        SESSIONS.append(
            {
                "params": params,
                "idempotency_key": idempotency_key,
                "id": session_id,
                "status": "open",
                "payment_intent": None,
            }
        )
        return session_id, SESSION_URL + session_id

    def retrieve_checkout_session(self, session_id):
        self.client.v1.balance.retrieve()  # reach "Stripe" (down in some tests), as Stripe would
        for session in SESSIONS:
            if session["id"] == session_id:
                return stripe.checkout.Session.construct_from(
                    {
                        "id": session_id,
                        "object": "checkout.session",
                        "status": session["status"],
                        "payment_intent": session["payment_intent"],
                        "expires_at": session["params"]["expires_at"],
                    },
                    "sk_test_12345",
                )
        raise stripe.InvalidRequestError(
            f"No such checkout.session: '{session_id}'",
            "id",
            code="resource_missing",
            http_status=404,
        )

    monkeypatch.setattr(StripeGateway, "create_checkout_session", create_checkout_session)
    monkeypatch.setattr(StripeGateway, "retrieve_checkout_session", retrieve_checkout_session)
    return SESSIONS


def session_of(order):
    """The fake Stripe's session for the order (its last one)."""
    return next(
        s for s in reversed(SESSIONS) if s["params"]["metadata"]["order_id"] == str(order.id)
    )


@pytest.fixture
def stripe_shop(app, stripe_gateway, sessions, shop):
    app.config.update(STRIPE_WEBHOOK_SECRET=SECRET)
    return {**shop, "gateway": stripe_gateway, "sessions": sessions}


def place_card_order(shop, tomatoes=4, basil=2, reference="checkout-1", ip_hash=None):
    """A guest's card order, pending its payment (4 × 2,50 + 2 × 3,00 = 16,00 €)."""
    items = {shop["tomato"].id: tomatoes}
    if basil:
        items[shop["basil"].id] = basil
    order = place_order(
        week=shop["week"],
        items=items,
        slot_id=shop["slot"].id,
        payment_method="card",
        contact=Contact("Camille Martin", "camille@exemple.fr"),
        kind="individual",
        checkout_token=reference,
        ip_hash=ip_hash,
    )
    db.session.commit()
    return order


def open_session(app, order, gateway):
    with app.test_request_context():
        url = card.start_checkout(
            order, gateway, "https://shop.test/ok", "https://shop.test/cancel"
        )
    db.session.commit()
    return url


def authorise_in_stripe(gateway, order, amount=None, number=None):
    """What the customer does on Stripe's page: a manual-capture intent, authorised."""
    intent = gateway.client.v1.payment_intents.create(
        params={
            "amount": amount or order_totals(order).gross_cents,
            "currency": "eur",
            "capture_method": "manual",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "metadata": {"order_number": number or order.number, "order_id": str(order.id)},
        }
    )
    assert intent.status == "requires_capture"
    if number is None and any(s["params"]["metadata"]["order_id"] == str(order.id) for s in SESSIONS):
        session_of(order).update(status="complete", payment_intent=intent.id)
    return intent


def event(kind, obj, event_id=None):
    return {
        "id": event_id or f"evt_{kind.replace('.', '_')}_{obj['id']}",
        "object": "event",
        "type": kind,
        "data": {"object": obj},
    }


def post_event(client, payload, secret=SECRET, timestamp=None, header=None):
    body = json.dumps(payload)
    if header is None:
        header = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp)
    return client.post(
        "/paiement/stripe/webhook",
        data=body,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
    )


def authorised_order(app, client, stripe_shop, **kwargs):
    """A card order paid on Stripe's page: the session completed, the card authorised."""
    order = place_card_order(stripe_shop, **kwargs)
    open_session(app, order, stripe_shop["gateway"])
    intent = authorise_in_stripe(stripe_shop["gateway"], order)
    session_id = stripe_shop["sessions"][-1]["id"]
    response = post_event(
        client,
        event("checkout.session.completed", {"id": session_id, "payment_intent": intent.id}),
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return fresh(order), intent


def confirm_and_settle(order, staff, gateway):
    """Staff confirm, then the card follows (as the view does after its commit)."""
    confirm_order(order, staff)
    db.session.commit()
    outcome = card.settle(fresh(order).card, gateway)
    db.session.commit()
    return outcome


def fresh(order):
    db.session.expire_all()
    return db.session.get(Order, order.id)


def charge(gateway, intent_id):
    return gateway.client.v1.payment_intents.retrieve(intent_id).latest_charge


def card_payments(order):
    return db.session.scalars(
        select(Payment.amount_cents).where(Payment.order_id == order.id).order_by(Payment.id)
    ).all()


def mails_to(address, subject_part):
    return db.session.scalar(
        select(func.count(OutboxMessage.id)).where(
            OutboxMessage.recipient == address, OutboxMessage.subject.contains(subject_part)
        )
    )


# --- Checkout: the order waits for its payment, holding stock and slot ---------------------------


def test_card_order_holds_stock_and_opens_a_manual_capture_session(app, stripe_shop):
    before = utcnow()
    order = place_card_order(stripe_shop)

    assert order.status == "pending_payment"
    assert db.session.get(Offer, stripe_shop["tomato"].id).quantity_reserved == 4
    assert db.session.get(PickupSlot, stripe_shop["slot"].id).booked == 1
    assert order.hold_expires_at >= before + timedelta(minutes=30)
    assert mails_to("camille@exemple.fr", "reçue") == 0  # told once the card is authorised

    url = open_session(app, order, stripe_shop["gateway"])

    assert url == SESSION_URL + "cs_test_1"
    sent = stripe_shop["sessions"][0]
    params = sent["params"]
    assert params["payment_intent_data"]["capture_method"] == "manual"
    assert params["payment_intent_data"]["metadata"]["order_number"] == order.number
    assert params["line_items"][0]["price_data"]["unit_amount"] == 1600
    assert params["line_items"][0]["price_data"]["currency"] == "eur"
    assert params["expires_at"] - time.time() >= 30 * 60  # Stripe's minimum
    assert params["customer_email"] == "camille@exemple.fr"
    assert sent["idempotency_key"] == f"checkout-{order.id}-{params['expires_at']}"
    # Coming back to pay reuses the same page: no second session, no longer hold.
    assert open_session(app, fresh(order), stripe_shop["gateway"]) == url
    assert len(stripe_shop["sessions"]) == 1


def test_session_completed_authorises_the_order_after_re_reading_stripe(
    app, client, stripe_shop
):
    order, intent = authorised_order(app, client, stripe_shop)

    assert order.status == "placed"
    assert order.hold_expires_at is None
    assert order.card.status == "authorised"
    assert order.card.intent_id == intent.id
    assert order.card.amount_authorised_cents == 1600
    assert order.card.problem == ""
    assert card_payments(order) == []  # authorised, not taken
    assert mails_to("camille@exemple.fr", "reçue") == 1
    page = page_text(client.get(f"/commande/suivi/{order.access_token}"))
    assert "Carte autorisée pour 16,00" in page


def test_a_duplicate_event_changes_nothing(app, client, stripe_shop):
    order, intent = authorised_order(app, client, stripe_shop)
    payload = event("checkout.session.completed", {"id": "cs_test_1", "payment_intent": intent.id})
    events_before = db.session.scalar(select(func.count(OrderEvent.id)))

    response = post_event(client, payload)

    assert response.status_code == 200
    assert response.get_json() == {"outcome": "duplicate"}
    assert db.session.scalar(select(func.count(OrderEvent.id))) == events_before
    assert mails_to("camille@exemple.fr", "reçue") == 1


def test_events_out_of_order_end_in_the_same_state(app, client, stripe_shop):
    """The intent's event arrives before the session's; then an old 'failed' one arrives."""
    order = place_card_order(stripe_shop)
    open_session(app, order, stripe_shop["gateway"])
    intent = authorise_in_stripe(stripe_shop["gateway"], order)

    first = post_event(
        client, event("payment_intent.amount_capturable_updated", {"id": intent.id})
    )
    assert first.get_json()["outcome"] == "authorised"
    late = post_event(
        client, event("checkout.session.completed", {"id": "cs_test_1", "payment_intent": intent.id})
    )
    stale = post_event(client, event("payment_intent.payment_failed", {"id": intent.id}))

    assert late.get_json()["outcome"] == "unchanged"
    assert stale.get_json()["outcome"] == "unchanged"  # Stripe says requires_capture
    order = fresh(order)
    assert order.status == "placed"
    assert order.card.status == "authorised"
    assert order.card.intent_id == intent.id


def test_the_event_body_is_not_trusted(app, client, stripe_shop):
    """A signed event claiming 'succeeded' for 999 € moves nothing Stripe does not confirm."""
    order = place_card_order(stripe_shop)
    open_session(app, order, stripe_shop["gateway"])
    intent = authorise_in_stripe(stripe_shop["gateway"], order)

    post_event(
        client,
        event(
            "payment_intent.succeeded",
            {"id": intent.id, "status": "succeeded", "amount": 99900, "amount_received": 99900},
        ),
    )

    order = fresh(order)
    assert order.card.status == "authorised"  # what Stripe says: requires_capture
    assert order.card.amount_authorised_cents == 1600
    assert card_payments(order) == []


@pytest.mark.parametrize(
    "header",
    [
        "",  # unsigned
        "t=1,v1=0000",  # forged
        "wrong secret",
        "stale",
    ],
)
def test_bad_signatures_are_refused_and_change_nothing(app, client, stripe_shop, header):
    order = place_card_order(stripe_shop)
    open_session(app, order, stripe_shop["gateway"])
    intent = authorise_in_stripe(stripe_shop["gateway"], order)
    payload = event("checkout.session.completed", {"id": "cs_test_1", "payment_intent": intent.id})

    if header == "wrong secret":
        response = post_event(client, payload, secret="whsec_other")
    elif header == "stale":
        response = post_event(client, payload, timestamp=int(time.time()) - 3600)
    else:
        response = post_event(client, payload, header=header)

    assert response.status_code == 400
    assert fresh(order).status == "pending_payment"
    assert db.session.scalar(select(func.count(WebhookEvent.id))) == 0


def test_unknown_events_are_acknowledged_and_ignored(client, stripe_shop):
    response = post_event(client, event("customer.created", {"id": "cus_1"}))

    assert response.status_code == 200
    assert response.get_json() == {"outcome": "ignored"}
    assert db.session.scalar(select(func.count(WebhookEvent.id))) == 0


def test_an_intent_for_another_amount_is_flagged_and_never_captured_above_it(
    app, client, stripe_shop, staff
):
    order = place_card_order(stripe_shop)
    open_session(app, order, stripe_shop["gateway"])
    intent = authorise_in_stripe(stripe_shop["gateway"], order, amount=1000)
    post_event(
        client, event("checkout.session.completed", {"id": "cs_test_1", "payment_intent": intent.id})
    )
    order = fresh(order)
    assert order.card.problem == "amount_mismatch"

    confirm_order(order, staff)
    db.session.commit()
    outcome = card.settle(order.card, stripe_shop["gateway"])
    db.session.commit()

    assert outcome == "refused"
    assert fresh(order).card.status == "authorised"
    assert charge(stripe_shop["gateway"], intent.id).captured is False
    assert card_payments(order) == []


# --- Confirmation: the final amount is captured ---------------------------------------------------


def test_staff_confirm_a_lowered_order_and_the_final_amount_is_captured(
    app, client, stripe_shop, staff, login
):
    order, intent = authorised_order(app, client, stripe_shop)
    login(staff)
    quantities = {
        f"qty-{line.id}": "2" if line.product_name.startswith("Tomate") else str(line.quantity)
        for line in order.lines
    }
    client.post(f"/gestion/commandes/{order.id}/quantites", data=quantities)

    response = client.post(f"/gestion/commandes/{order.id}/confirmer", follow_redirects=True)

    assert "Carte débitée de 11,00" in page_text(response)
    order = fresh(order)
    assert order.status == "confirmed"
    assert order.card.status == "captured"
    assert card_payments(order) == [1100]
    stripe_charge = charge(stripe_shop["gateway"], intent.id)
    assert stripe_charge.captured is True
    assert stripe_charge.amount - stripe_charge.amount_refunded == 1100
    customer_page = page_text(client.get(f"/commande/suivi/{order.access_token}"))
    assert "Débité sur votre carte : 11,00" in customer_page


def test_a_double_click_on_confirm_captures_once(app, client, stripe_shop, staff):
    order, _intent = authorised_order(app, client, stripe_shop)
    confirm_and_settle(order, staff, stripe_shop["gateway"])

    with pytest.raises(OrderError):
        confirm_order(fresh(order), staff)
    db.session.rollback()
    # Even a repeated settle (cron and a click at once) records the capture once.
    assert card.settle(fresh(order).card, stripe_shop["gateway"]) == "nothing"
    db.session.commit()

    assert card_payments(order) == [1600]


def test_a_zero_total_cancels_the_authorisation(app, client, stripe_shop, staff):
    order, intent = authorised_order(app, client, stripe_shop)
    lower_quantities(order, {line.id: 0 for line in order.lines}, staff)
    confirm_order(fresh(order), staff)
    db.session.commit()

    assert card.settle(fresh(order).card, stripe_shop["gateway"]) == "cancelled"
    db.session.commit()

    assert fresh(order).card.status == "cancelled"
    assert stripe_shop["gateway"].retrieve(intent.id).status == "canceled"
    assert card_payments(order) == []


def test_lowering_after_capture_refunds_the_difference(app, client, stripe_shop, staff):
    order, intent = authorised_order(app, client, stripe_shop)
    confirm_and_settle(order, staff, stripe_shop["gateway"])
    basil = next(line for line in fresh(order).lines if line.product_name.startswith("Basilic"))

    lower_quantities(fresh(order), {basil.id: 0}, staff)
    db.session.commit()
    assert card.settle(fresh(order).card, stripe_shop["gateway"]) == "refunded"
    db.session.commit()

    assert card_payments(order) == [1600, -600]
    assert charge(stripe_shop["gateway"], intent.id).amount_refunded == 600
    assert fresh(order).amount_due_cents == 0


def test_cancelling_releases_an_authorisation_or_refunds_a_capture(
    app, client, stripe_shop, staff
):
    placed, placed_intent = authorised_order(app, client, stripe_shop, reference="a")
    cancel_order(placed, staff, reason="Gel")
    db.session.commit()
    assert card.settle(fresh(placed).card, stripe_shop["gateway"]) == "cancelled"
    db.session.commit()
    assert stripe_shop["gateway"].retrieve(placed_intent.id).status == "canceled"

    captured, captured_intent = authorised_order(app, client, stripe_shop, reference="b")
    confirm_order(captured, staff)
    db.session.commit()
    card.settle(fresh(captured).card, stripe_shop["gateway"])
    cancel_order(fresh(captured), staff, reason="Gel")
    db.session.commit()
    assert card.settle(fresh(captured).card, stripe_shop["gateway"]) == "refunded"
    db.session.commit()

    assert card_payments(captured) == [1600, -1600]
    assert charge(stripe_shop["gateway"], captured_intent.id).amount_refunded == 1600


def test_stripe_down_at_capture_keeps_the_order_confirmed_and_capture_due_retries(
    app, client, stripe_shop, staff, runner, localstripe
):
    order, intent = authorised_order(app, client, stripe_shop)
    app.config["STRIPE_API_BASE"] = f"http://127.0.0.1:{free_port()}"  # nobody listens

    confirm_order(order, staff)
    db.session.commit()
    assert card.settle(fresh(order).card, gateway_for(app)) == "failed"
    db.session.commit()

    order = fresh(order)
    assert order.status == "confirmed"
    assert order.card.settle_due is True
    assert order.card.problem == "capture_failed"
    assert "unreachable" in order.card.last_error

    app.config["STRIPE_API_BASE"] = localstripe
    result = runner.invoke(args=["payments", "capture-due"])

    assert result.exit_code == 0, result.output
    assert f"{order.number}: captured" in result.output
    order = fresh(order)
    assert order.card.status == "captured"
    assert order.card.problem == ""
    assert card_payments(order) == [1600]
    assert mails_to(staff.email, "Paiements par carte") == 1
    # Run again from cron: nothing left to do, nothing taken twice.
    again = runner.invoke(args=["payments", "capture-due"])
    assert "0 card payments handled" in again.output
    assert card_payments(order) == [1600]


def test_capture_due_captures_authorisations_about_to_lapse(app, client, stripe_shop, runner):
    order, intent = authorised_order(app, client, stripe_shop)
    order.card.authorised_at = utcnow() - timedelta(days=6, hours=1)
    db.session.commit()

    result = runner.invoke(args=["payments", "capture-due"])

    assert result.exit_code == 0, result.output
    order = fresh(order)
    assert order.status == "placed"  # staff still confirm; a lower amount will be refunded
    assert order.card.status == "captured"
    assert card_payments(order) == [1600]


def test_capture_due_runs_a_card_again_when_the_database_gives_up_on_it_for_a_conflict(
    app, client, stripe_shop, runner, conflicts  # noqa: F811
):
    order, intent = authorised_order(app, client, stripe_shop)
    order.card.authorised_at = utcnow() - timedelta(days=6, hours=1)
    db.session.commit()
    conflicts(r"\s*INSERT INTO payment ", times=2)  # after Stripe captured: twice, then it passes

    result = runner.invoke(args=["payments", "capture-due"])

    assert result.exit_code == 0, result.output
    assert f"{order.number}: captured" in result.output
    order = fresh(order)
    assert order.card.status == "captured"
    assert card_payments(order) == [1600]  # recorded once
    taken = charge(stripe_shop["gateway"], intent.id)
    assert taken.captured and taken.amount - taken.amount_refunded == 1600
    assert "1 card payments handled, 0 to retry" in result.output


def test_stripe_down_at_checkout_keeps_the_order_pending_and_the_basket(app, client, shop):
    stripe_shop = shop  # the real session call, to a port nobody listens on
    app.config.update(
        STRIPE_SECRET_KEY="sk_test_12345", STRIPE_API_BASE=f"http://127.0.0.1:{free_port()}"
    )
    form = checkout(client, stripe_shop["slot"], [(stripe_shop["tomato"], 2)], payment_method="card")

    response = client.post("/commande", data=form, follow_redirects=True)

    text = page_text(response)
    assert response.status_code == 200
    assert "momentanément indisponible" in text
    assert "Payer 5,00" in text
    order = db.session.scalar(select(Order))
    assert order.status == "pending_payment"
    assert "Tomate" in page_text(client.get("/panier"))  # the basket is kept


# --- Holds that run out --------------------------------------------------------------------------


def test_unpaid_orders_expire_and_give_their_stock_back(app, client, stripe_shop, runner):
    order = place_card_order(stripe_shop)
    order.hold_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()

    result = runner.invoke(args=["orders", "expire"])

    assert result.exit_code == 0, result.output
    assert order.number in result.output
    order = fresh(order)
    assert order.status == "expired"
    assert db.session.get(Offer, stripe_shop["tomato"].id).quantity_reserved == 0
    assert db.session.get(PickupSlot, stripe_shop["slot"].id).booked == 0
    assert mails_to("camille@exemple.fr", "non payée") == 1
    assert "pas été reçu à temps" in page_text(client.get(f"/commande/suivi/{order.access_token}"))
    assert runner.invoke(args=["orders", "expire"]).output.startswith("0 unpaid")


def test_an_expired_hold_is_released_lazily_when_the_order_page_is_opened(
    client, stripe_shop
):
    order = place_card_order(stripe_shop)
    order.hold_expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()

    page = page_text(client.get(f"/commande/suivi/{order.access_token}"))

    assert "pas été reçu à temps" in page
    assert db.session.get(Offer, stripe_shop["tomato"].id).quantity_reserved == 0


def lapsed_unpaid(app, client, stripe_shop, session_status="expired"):
    """A card order whose payment page Stripe closed unpaid, expired by the order page."""
    order = place_card_order(stripe_shop)
    open_session(app, order, stripe_shop["gateway"])
    session_of(order)["status"] = session_status
    order.hold_expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    client.get(f"/commande/suivi/{order.access_token}")  # expires it
    assert fresh(order).status == "expired"
    return fresh(order)


def test_a_late_payment_takes_the_expired_order_back_when_its_stock_is_still_there(
    app, client, stripe_shop
):
    """Stripe said unpaid, the hold lapsed, then the customer's payment went through after all:
    the stock is reserved again (guarded) and the authorisation kept."""
    order = lapsed_unpaid(app, client, stripe_shop)
    assert db.session.get(Offer, stripe_shop["tomato"].id).quantity_reserved == 0
    intent = authorise_in_stripe(stripe_shop["gateway"], order)

    response = post_event(
        client, event("checkout.session.completed", {"id": "cs_test_1", "payment_intent": intent.id})
    )

    assert response.get_json()["outcome"] == "authorised"
    order = fresh(order)
    assert order.status == "placed"
    assert order.card.status == "authorised"
    assert stripe_shop["gateway"].retrieve(intent.id).status == "requires_capture"
    assert db.session.get(Offer, stripe_shop["tomato"].id).quantity_reserved == 4
    assert db.session.get(PickupSlot, stripe_shop["slot"].id).booked == 1
    assert mails_to("camille@exemple.fr", "reçue") == 1
    actions = db.session.scalars(
        select(OrderEvent.action).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
    ).all()
    assert actions == ["placed", "expired", "revived_after_payment", "card_authorised"]
    page = page_text(client.get(f"/commande/suivi/{order.access_token}"))
    assert "Carte autorisée pour 16,00" in page
    assert "pas été reçu à temps" not in page


def test_a_late_payment_whose_stock_is_gone_is_released_and_the_customer_told(
    app, client, stripe_shop, staff, login
):
    order = lapsed_unpaid(app, client, stripe_shop)
    place_order(  # someone else takes every tomato meanwhile
        week=stripe_shop["week"],
        items={stripe_shop["tomato"].id: 20},
        slot_id=stripe_shop["slot"].id,
        payment_method="on_pickup",
        contact=Contact("Lou Durand", "lou@exemple.fr"),
        kind="individual",
        checkout_token="lou",
    )
    db.session.commit()
    intent = authorise_in_stripe(stripe_shop["gateway"], order)

    post_event(
        client, event("checkout.session.completed", {"id": "cs_test_1", "payment_intent": intent.id})
    )

    order = fresh(order)
    assert order.status == "expired"
    assert order.card.status == "cancelled"
    assert stripe_shop["gateway"].retrieve(intent.id).status == "canceled"
    assert db.session.get(Offer, stripe_shop["tomato"].id).quantity_reserved == 20
    assert db.session.get(Offer, stripe_shop["basil"].id).quantity_reserved == 0  # undone
    assert db.session.get(PickupSlot, stripe_shop["slot"].id).booked == 1
    assert mails_to("camille@exemple.fr", "arrivé trop tard") == 1
    actions = db.session.scalars(
        select(OrderEvent.action).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
    ).all()
    assert actions == ["placed", "expired", "card_paid_late", "card_released"]
    page = page_text(client.get(f"/commande/suivi/{order.access_token}"))
    assert "arrivé après la fin de la réservation" in page
    assert "l'autorisation de votre carte est libérée, rien n'a été débité" in page
    assert "pas été reçu à temps" not in page
    login(staff)
    staff_page = page_text(client.get(f"/gestion/commandes/{order.id}"))
    assert "paiement arrivé après l'expiration, produits plus disponibles" in staff_page


def test_a_payment_arriving_for_an_order_replaced_by_a_newer_one_is_released(
    app, client, stripe_shop
):
    """A guest's second card order releases the first (same email); paying the first's page
    afterwards takes nothing: the authorisation is released, the newer order is untouched."""
    order = place_card_order(stripe_shop, ip_hash="one-connection")
    open_session(app, order, stripe_shop["gateway"])
    newer = place_card_order(
        stripe_shop, tomatoes=1, basil=0, reference="checkout-2", ip_hash="one-connection"
    )
    assert fresh(order).status == "expired"
    intent = authorise_in_stripe(stripe_shop["gateway"], order)

    post_event(
        client, event("checkout.session.completed", {"id": "cs_test_1", "payment_intent": intent.id})
    )

    order = fresh(order)
    assert order.status == "expired" and order.card.status == "cancelled"
    assert stripe_shop["gateway"].retrieve(intent.id).status == "canceled"
    assert fresh(newer).status == "pending_payment"
    assert db.session.get(Offer, stripe_shop["tomato"].id).quantity_reserved == 1
    assert mails_to("camille@exemple.fr", "non payée") == 0


def test_session_expired_event_expires_the_order(app, client, stripe_shop):
    order = place_card_order(stripe_shop)
    open_session(app, order, stripe_shop["gateway"])
    expired = event("checkout.session.expired", {"id": "cs_test_1"}, event_id="evt_early")
    # Stripe says the page is still open: the event is not believed.
    assert post_event(client, expired).get_json()["outcome"] == "unchanged"
    assert fresh(order).status == "pending_payment"
    session_of(order)["status"] = "expired"

    response = post_event(client, event("checkout.session.expired", {"id": "cs_test_1"}))

    assert response.get_json()["outcome"] == "expired"
    assert fresh(order).status == "expired"
    assert db.session.get(Offer, stripe_shop["tomato"].id).quantity_reserved == 0


# --- Refunds made elsewhere, reconciliation ------------------------------------------------------


def test_a_refund_is_recorded_once_whether_the_webhook_or_the_shop_sees_it_first(
    app, client, stripe_shop, staff
):
    """The shop refunds after a lowered line; Stripe's charge.refunded arrives before the shop
    records it: one row, under Stripe's refund id, and nothing refunded twice."""
    order, intent = authorised_order(app, client, stripe_shop)
    confirm_and_settle(order, staff, stripe_shop["gateway"])
    basil = next(line for line in fresh(order).lines if line.product_name.startswith("Basilic"))
    lower_quantities(fresh(order), {basil.id: 0}, staff)
    db.session.commit()
    gateway = stripe_shop["gateway"]
    real_refund = gateway.refund

    def refund_then_webhook(intent_id, amount, idempotency_key):
        result = real_refund(intent_id, amount, idempotency_key)
        # Stripe's event is handled (in its own request and transaction) before settle writes.
        charge_id = charge(gateway, intent_id).id
        response = post_event(client, event("charge.refunded", {"id": charge_id}))
        assert response.get_json()["outcome"] == "refund_recorded"
        return result

    gateway.refund = refund_then_webhook
    order = fresh(order)
    try:
        outcome = card.settle(order.card, gateway)
        db.session.commit()
    except IntegrityError:  # the webhook's row won: the refund is recorded once
        db.session.rollback()
        outcome = "refunded"

    assert outcome == "refunded"
    assert card_payments(order) == [1600, -600]
    assert charge(gateway, intent.id).amount_refunded == 600
    assert card.settle(fresh(order).card, gateway) == "nothing"


def test_a_refund_made_in_the_stripe_dashboard_is_recorded_once(app, client, stripe_shop, staff):
    order, intent = authorised_order(app, client, stripe_shop)
    confirm_and_settle(order, staff, stripe_shop["gateway"])
    stripe_shop["gateway"].client.v1.refunds.create(
        params={"payment_intent": intent.id, "amount": 500}
    )
    charge_id = charge(stripe_shop["gateway"], intent.id).id

    post_event(client, event("charge.refunded", {"id": charge_id}, event_id="evt_r1"))
    post_event(client, event("charge.refunded", {"id": charge_id}, event_id="evt_r2"))

    assert card_payments(order) == [1600, -500]


def test_reconcile_reports_and_fixes_a_capture_made_outside_the_shop(
    app, client, stripe_shop, runner
):
    order, intent = authorised_order(app, client, stripe_shop)
    stripe_shop["gateway"].capture(intent.id, 1600, idempotency_key="dashboard")

    report = runner.invoke(args=["payments", "reconcile"])

    assert report.exit_code == 1
    assert f"{order.number}: statut boutique authorised, Stripe succeeded" in report.output
    assert fresh(order).card.status == "authorised"  # a report changes nothing

    fixed = runner.invoke(args=["payments", "reconcile", "--fix"])

    assert fixed.exit_code == 0, fixed.output
    order = fresh(order)
    assert order.card.status == "captured"
    assert card_payments(order) == [1600]
    assert runner.invoke(args=["payments", "reconcile"]).output.strip() == "0 differences found."


# --- The demo payment page (no Stripe keys) -------------------------------------------------------


def checkout_by_card(client, shop, quantity=2):
    """A guest's checkout by card, through the pages; returns the response to "Commander"."""
    form = checkout(client, shop["slot"], [(shop["tomato"], quantity)], payment_method="card")
    return submit(client, form)


def test_without_keys_card_payment_goes_to_a_labelled_demo_page(client, shop):
    response = checkout_by_card(client, shop)

    assert response.status_code == 302
    assert "/paiement/demo/demo_cs_" in response.headers["Location"]
    demo = page_text(client.get(response.headers["Location"]))
    assert "Mode démonstration" in demo
    assert "aucun argent n'est débité" in demo
    assert "Autoriser 5,00" in demo

    paid = client.post(response.headers["Location"], data={"action": "pay"})
    order_page = page_text(client.get(paid.headers["Location"]))

    order = db.session.scalar(select(Order))
    assert order.status == "placed"
    assert order.card.status == "authorised"
    assert "Carte autorisée pour 5,00" in order_page
    assert mails_to("camille@exemple.fr", "reçue") == 1


def test_a_declined_demo_card_can_try_again(client, shop):
    location = checkout_by_card(client, shop).headers["Location"]

    declined = client.post(location, data={"action": "decline"}, follow_redirects=True)

    assert "Paiement refusé" in page_text(declined)
    order = db.session.scalar(select(Order))
    assert order.status == "pending_payment"
    assert order.card.status == "failed"
    assert "Votre carte a été refusée" in page_text(client.get(f"/commande/suivi/{order.access_token}"))

    client.post(location, data={"action": "pay"})
    assert fresh(order).card.status == "authorised"


def test_the_demo_page_does_not_exist_when_stripe_is_configured(app, client, shop):
    location = checkout_by_card(client, shop).headers["Location"]
    app.config.update(STRIPE_SECRET_KEY="sk_test_12345")

    assert client.get(location).status_code == 404
    assert client.post(location, data={"action": "pay"}).status_code == 404
    assert db.session.scalar(select(DemoIntent.status)) == "requires_payment_method"


def test_demo_gateway_captures_at_confirmation(client, shop, staff):
    location = checkout_by_card(client, shop, quantity=3).headers["Location"]
    client.post(location, data={"action": "pay"})
    order = db.session.scalar(select(Order))

    confirm_order(order, staff)
    db.session.commit()
    assert card.settle(fresh(order).card, gateway_for()) == "captured"
    db.session.commit()

    assert card_payments(order) == [750]
    assert db.session.scalar(select(DemoIntent.amount_received)) == 750


def test_a_card_order_cannot_grow_beyond_what_the_card_holds(client, shop):
    location = checkout_by_card(client, shop).headers["Location"]
    client.post(location, data={"action": "pay"})
    order = db.session.scalar(select(Order))
    line = order.lines[0]

    response = client.post(
        f"/commande/suivi/{order.access_token}/modifier",
        data={f"qty-{line.id}": "3"},
        follow_redirects=True,
    )

    assert "Votre carte est autorisée pour 5,00" in page_text(response)
    assert fresh(order).lines[0].quantity == 2
    assert db.session.get(Offer, shop["tomato"].id).quantity_reserved == 2


def test_card_payments_are_listed_for_staff(client, shop, staff, login):
    location = checkout_by_card(client, shop).headers["Location"]
    client.post(location, data={"action": "pay"})
    order = db.session.scalar(select(Order))
    login(staff)

    page = page_text(client.get(f"/gestion/commandes/{order.id}"))

    assert "autorisée pour 5,00" in page
    assert order.card.intent_id in page
    assert db.session.scalar(select(func.count(CardPayment.id))) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"id": "evt_1", "type": "checkout.session.completed", "data": "x"},
        {"id": "evt_2", "type": "checkout.session.completed", "data": {"object": ["x"]}},
        {"id": "evt_3", "type": "checkout.session.completed", "data": {"object": {"id": {"a": 1}}}},
        {"id": "evt_4", "type": "checkout.session.completed", "data": {"object": {"id": 12}}},
        {"id": "evt_5", "type": "charge.refunded", "data": {"object": {}}},
        {"id": ["evt_6"], "type": "payment_intent.succeeded", "data": {"object": {"id": "pi_1"}}},
        {
            "id": "evt_7",
            "type": "checkout.session.completed",
            "data": {"object": {"id": "cs_test_1", "payment_intent": 5}},
        },
    ],
)
def test_malformed_events_are_acknowledged_and_change_nothing(client, stripe_shop, body):
    response = post_event(client, body)

    assert response.status_code == 200  # signed by Stripe: acknowledged, never retried
    assert response.get_json() == {"outcome": "malformed"}
    assert db.session.scalar(select(func.count(WebhookEvent.id))) == 0


def test_retrying_the_payment_page_later_holds_the_order_30_minutes_again(
    app, client, stripe_shop
):
    order = place_card_order(stripe_shop)
    # The first attempt failed (Stripe unreachable) and the customer comes back 20 minutes later.
    order.hold_expires_at = utcnow() + timedelta(minutes=16)
    db.session.commit()

    open_session(app, fresh(order), stripe_shop["gateway"])

    params = stripe_shop["sessions"][0]["params"]
    assert params["expires_at"] - time.time() >= 30 * 60
    assert fresh(order).hold_expires_at >= utcnow() + timedelta(minutes=31)


def test_a_captured_order_cannot_grow_beyond_what_was_taken(app, client, stripe_shop, runner):
    order, _intent = authorised_order(app, client, stripe_shop)
    order.card.authorised_at = utcnow() - timedelta(days=7)
    db.session.commit()
    runner.invoke(args=["payments", "capture-due"])  # captured before the week closed
    line = fresh(order).lines[0]

    response = client.post(
        f"/commande/suivi/{order.access_token}/modifier",
        data={f"qty-{other.id}": str(other.quantity + (other.id == line.id)) for other in fresh(order).lines},
        follow_redirects=True,
    )

    assert "Votre carte est autorisée pour 16,00" in page_text(response)
    assert card_payments(order) == [1600]
    assert fresh(order).amount_due_cents == 0


def test_card_payment_needs_stripes_minimum_amount(stripe_shop):
    cheap = stripe_shop["tomato"]
    cheap.product.price_individual_cents = 40
    db.session.commit()

    with pytest.raises(OrderError, match="au moins 0,50"):
        place_card_order(stripe_shop, tomatoes=1, basil=0)
    db.session.rollback()

    assert db.session.scalar(select(func.count(Order.id))) == 0


def test_the_demo_page_refuses_an_order_whose_hold_ran_out(client, shop):
    location = checkout_by_card(client, shop).headers["Location"]
    order = db.session.scalar(select(Order))
    order.hold_expires_at = utcnow() - timedelta(seconds=1)
    db.session.scalar(select(DemoIntent)).expires_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    client.get(f"/commande/suivi/{order.access_token}")  # expires it

    page = page_text(client.get(location))
    client.post(location, data={"action": "pay"})

    assert "n'attend plus de paiement" in page
    assert fresh(order).status == "expired"
    assert db.session.scalar(select(DemoIntent.status)) == "requires_payment_method"


def test_the_pick_up_list_collects_nothing_for_an_authorised_card(client, shop, staff):
    from boutique.pickup.documents import pickup_list
    from boutique.pickup.services import week_slots

    location = checkout_by_card(client, shop).headers["Location"]
    client.post(location, data={"action": "pay"})

    document = pickup_list(shop["week"], week_slots(shop["week"], "individual"))
    rows = [row for group in document.groups for row in group.orders]

    assert [(row.to_collect_cents, str(row.payment_state_label)) for row in rows] == [
        (0, "Carte autorisée, débitée à la confirmation")
    ]


# --- Payment truth from Stripe: the return from the payment page, expiry, unknown objects ------


def back_from_payment_page(client, order):
    return client.get(f"/commande/suivi/{order.access_token}?paiement=retour")


def test_returning_from_the_payment_page_records_the_authorisation_without_a_webhook(
    app, client, stripe_shop
):
    order = place_card_order(stripe_shop)
    open_session(app, order, stripe_shop["gateway"])
    intent = authorise_in_stripe(stripe_shop["gateway"], order)

    page = page_text(back_from_payment_page(client, order))

    order = fresh(order)
    assert order.status == "placed"
    assert order.card.status == "authorised"
    assert order.card.intent_id == intent.id
    assert order.card.amount_authorised_cents == 1600
    assert card_payments(order) == []  # authorised, not taken
    assert mails_to("camille@exemple.fr", "reçue") == 1
    assert "Merci ! Votre paiement est autorisé" in page
    assert "Carte autorisée pour 16,00" in page
    assert "Nous attendons la réponse de votre banque" not in page
    assert "Actualiser la page" not in page
    assert db.session.scalar(select(func.count(WebhookEvent.id))) == 0


def visitor_paying(client, order, offer_id):
    """The visitor's session as the checkout leaves it: the basket, and the order being paid."""
    with client.session_transaction() as session:
        session["basket"] = {"week": order.week_id, "items": {str(offer_id): 2}}
        session["paying_order"] = order.id


def basket_of(client):
    with client.session_transaction() as session:
        return (session.get("basket") or {}).get("items")


def test_the_basket_stays_until_the_card_is_authorised(app, client, stripe_shop):
    order = place_card_order(stripe_shop)
    open_session(app, order, stripe_shop["gateway"])
    visitor_paying(client, order, stripe_shop["tomato"].id)

    back_from_payment_page(client, order)  # left the payment page without paying
    assert basket_of(client) == {str(stripe_shop["tomato"].id): 2}

    authorise_in_stripe(stripe_shop["gateway"], order)
    back_from_payment_page(client, order)
    assert fresh(order).status == "placed"
    assert basket_of(client) is None


def test_the_basket_stays_when_the_unpaid_order_lapses(app, client, stripe_shop, runner):
    order = place_card_order(stripe_shop)
    visitor_paying(client, order, stripe_shop["tomato"].id)
    order.hold_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    runner.invoke(args=["orders", "expire"])

    client.get(f"/commande/suivi/{order.access_token}")
    assert fresh(order).status == "expired"
    assert basket_of(client) == {str(stripe_shop["tomato"].id): 2}  # for another try


@pytest.mark.parametrize("first", ["webhook", "return"])
def test_the_webhook_and_the_return_record_the_payment_once_whichever_comes_first(
    app, client, stripe_shop, first
):
    order = place_card_order(stripe_shop)
    open_session(app, order, stripe_shop["gateway"])
    intent = authorise_in_stripe(stripe_shop["gateway"], order)
    completed = event("checkout.session.completed", {"id": "cs_test_1", "payment_intent": intent.id})

    if first == "webhook":
        assert post_event(client, completed).get_json()["outcome"] == "authorised"
        back_from_payment_page(client, order)
        back_from_payment_page(client, order)  # a reload
    else:
        back_from_payment_page(client, order)
        assert post_event(client, completed).get_json()["outcome"] == "unchanged"
    capturable = event("payment_intent.amount_capturable_updated", {"id": intent.id})
    assert post_event(client, capturable).get_json()["outcome"] == "unchanged"

    order = fresh(order)
    assert order.status == "placed"
    assert order.card.status == "authorised"
    assert mails_to("camille@exemple.fr", "reçue") == 1
    assert card_payments(order) == []
    actions = db.session.scalars(
        select(OrderEvent.action).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
    ).all()
    assert actions == ["placed", "card_authorised"]


def test_returning_while_the_bank_has_not_answered_waits_without_a_pay_button(
    app, client, stripe_shop
):
    order = place_card_order(stripe_shop)
    open_session(app, order, stripe_shop["gateway"])
    session_of(order)["status"] = "complete"  # Stripe's page is done, the intent not created yet

    response = back_from_payment_page(client, order)

    page = page_text(response)
    assert fresh(order).status == "pending_payment"
    assert "Nous attendons la réponse de votre banque" in page
    assert "Actualiser la page" in page
    assert "Paiement à effectuer" not in page
    assert "Payer 16,00" not in page


def test_returning_when_stripe_cannot_be_reached_waits_and_records_later(
    app, client, stripe_shop, localstripe
):
    order = place_card_order(stripe_shop)
    open_session(app, order, stripe_shop["gateway"])
    intent = authorise_in_stripe(stripe_shop["gateway"], order)
    app.config["STRIPE_API_BASE"] = f"http://127.0.0.1:{free_port()}"  # nobody listens

    page = page_text(back_from_payment_page(client, order))

    assert fresh(order).status == "pending_payment"
    assert "Nous attendons la réponse de votre banque" in page
    assert "Payer 16,00" not in page

    app.config["STRIPE_API_BASE"] = localstripe  # the customer refreshes the page
    page = page_text(back_from_payment_page(client, order))

    assert fresh(order).status == "placed"
    assert fresh(order).card.intent_id == intent.id
    assert "Carte autorisée pour 16,00" in page


def test_returning_without_having_paid_offers_to_pay(app, client, stripe_shop):
    order = place_card_order(stripe_shop)
    open_session(app, order, stripe_shop["gateway"])  # still open, no card tried

    page = page_text(back_from_payment_page(client, order))

    assert fresh(order).status == "pending_payment"
    assert "Le paiement n'a pas été fait." in page
    assert "Payer 16,00" in page
    assert "Nous attendons la réponse de votre banque" not in page


def test_an_authorised_order_whose_hold_lapsed_is_recorded_not_expired(
    app, client, stripe_shop, runner
):
    """The webhook never came: expiry asks Stripe, which says the card is authorised."""
    lazy = place_card_order(stripe_shop, reference="lazy")
    open_session(app, lazy, stripe_shop["gateway"])
    cron = place_card_order(stripe_shop, reference="cron", tomatoes=1, basil=0)
    open_session(app, cron, stripe_shop["gateway"])
    for order in (lazy, cron):
        authorise_in_stripe(stripe_shop["gateway"], order)
        fresh(order).hold_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()

    page = page_text(client.get(f"/commande/suivi/{lazy.access_token}"))
    result = runner.invoke(args=["orders", "expire"])

    assert result.output.startswith("0 unpaid orders expired")
    for order in (lazy, cron):
        order = fresh(order)
        assert order.status == "placed"
        assert order.card.status == "authorised"
        assert mails_to("camille@exemple.fr", "non payée") == 0
    assert "Carte autorisée pour 16,00" in page
    assert db.session.get(Offer, stripe_shop["tomato"].id).quantity_reserved == 5


def test_no_hold_expires_while_stripe_cannot_be_reached(app, client, stripe_shop, runner, localstripe):
    order = place_card_order(stripe_shop)
    open_session(app, order, stripe_shop["gateway"])
    session_of(order)["status"] = "expired"
    order = fresh(order)
    order.hold_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    app.config["STRIPE_API_BASE"] = f"http://127.0.0.1:{free_port()}"  # nobody listens

    result = runner.invoke(args=["orders", "expire"])
    page = page_text(client.get(f"/commande/suivi/{order.access_token}"))

    assert result.output.startswith("0 unpaid orders expired")
    assert fresh(order).status == "pending_payment"
    assert db.session.get(Offer, stripe_shop["tomato"].id).quantity_reserved == 4
    assert "pas été reçu à temps" not in page

    app.config["STRIPE_API_BASE"] = localstripe  # Stripe is back: it says the page expired
    result = runner.invoke(args=["orders", "expire"])

    assert order.number in result.output
    assert fresh(order).status == "expired"
    assert db.session.get(Offer, stripe_shop["tomato"].id).quantity_reserved == 0


@pytest.mark.parametrize(
    ("session_status", "expires_in", "expired"),
    [
        ("expired", 10, True),  # Stripe closed the page
        ("open", -1, True),  # open past its time, no card tried: Stripe is about to close it
        ("open", 10, False),  # still open: the customer may be paying
    ],
)
def test_a_lapsed_hold_expires_only_when_stripe_says_its_page_is_over(
    app, stripe_shop, runner, session_status, expires_in, expired
):
    order = place_card_order(stripe_shop)
    open_session(app, order, stripe_shop["gateway"])
    session = session_of(order)
    session["status"] = session_status
    session["params"]["expires_at"] = int(time.time()) + expires_in * 60
    order = fresh(order)
    order.hold_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()

    runner.invoke(args=["orders", "expire"])

    assert (fresh(order).status == "expired") is expired


def test_a_declined_card_on_a_page_stripe_closed_expires(app, stripe_shop, runner):
    order = place_card_order(stripe_shop)
    open_session(app, order, stripe_shop["gateway"])
    with pytest.raises(stripe.CardError):
        stripe_shop["gateway"].client.v1.payment_intents.create(
            params={
                "amount": 1600,
                "currency": "eur",
                "capture_method": "manual",
                "payment_method": "pm_card_chargeCustomerFail",
                "confirm": True,
                "metadata": {"order_number": order.number},
            }
        )
    session_of(order)["status"] = "expired"
    fresh(order).hold_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()

    result = runner.invoke(args=["orders", "expire"])

    assert order.number in result.output
    assert fresh(order).status == "expired"


@pytest.mark.parametrize(
    ("kind", "obj"),
    [
        ("payment_intent.succeeded", {"id": "pi_unknown"}),
        ("payment_intent.amount_capturable_updated", {"id": "pi_unknown"}),
        ("charge.refunded", {"id": "ch_unknown"}),
        ("checkout.session.completed", {"id": "cs_unknown", "payment_intent": "pi_unknown"}),
        ("checkout.session.expired", {"id": "cs_unknown"}),
    ],
)
def test_a_webhook_about_an_object_stripe_does_not_know_is_acknowledged(
    app, client, stripe_shop, kind, obj, caplog
):
    order = place_card_order(stripe_shop)
    open_session(app, order, stripe_shop["gateway"])

    response = post_event(client, event(kind, obj))

    assert response.status_code == 200  # never retried: the answer will not change
    assert response.get_json() == {"outcome": "unknown_object"}
    assert "Stripe does not know" in caplog.text
    assert fresh(order).status == "pending_payment"
    assert db.session.scalar(select(func.count(WebhookEvent.id))) == 0
    assert db.session.scalar(select(func.count(Payment.id))) == 0


@pytest.mark.parametrize(
    "error",
    [
        stripe.APIConnectionError("Connection refused"),
        stripe.RateLimitError("Too many requests", http_status=429, code="rate_limit"),
        stripe.APIError("Internal error", http_status=500),
        stripe.APIError("Bad gateway", http_status=502),
    ],
    ids=["network", "rate-limit", "500", "502"],
)
def test_a_webhook_answers_503_only_when_stripe_may_answer_later(
    app, client, stripe_shop, monkeypatch, error
):
    order = place_card_order(stripe_shop)
    open_session(app, order, stripe_shop["gateway"])
    intent = authorise_in_stripe(stripe_shop["gateway"], order)

    def failing(self, *args, **kwargs):
        raise error

    with monkeypatch.context() as patch:
        patch.setattr(StripeGateway, "retrieve_checkout_session", failing)
        completed = event("checkout.session.completed", {"id": "cs_test_1"})
        response = post_event(client, completed)

    assert response.status_code == 503  # Stripe sends it again
    assert fresh(order).status == "pending_payment"
    assert db.session.scalar(select(func.count(WebhookEvent.id))) == 0

    assert post_event(client, completed).get_json()["outcome"] == "authorised"  # the retry
    assert fresh(order).card.intent_id == intent.id


# --- One payment state, one wording ---------------------------------------------------------------

MONEY_SENTENCES = {
    "to_pay": "Votre commande attend son paiement par carte.",
    "declined": "Votre carte a été refusée.",
    "waiting": "Nous attendons la réponse de votre banque",
    "authorised": "Le montant final sera débité quand l'équipe confirmera la commande.",
    "capture_pending": "Commande confirmée : 16,00 € vont être débités sur votre carte",
    "captured": "Payé par carte : 16,00 €.",
    "refund_pending": "Nous vous remboursons",
    "refunded": "Votre paiement par carte a été entièrement remboursé.",
    "releasing": "Nous annulons l'autorisation de votre carte : rien ne sera débité.",
    "released": "L'autorisation de votre carte est libérée : rien n'a été débité.",
    "nothing_taken": "Rien n'a été débité sur votre carte.",
    "authorisation_lapsed": "L'autorisation de votre carte n'est plus valable",
}


@pytest.mark.parametrize(
    ("key", "status", "card_status", "authorised", "paid", "pay_button"),
    [
        ("to_pay", "pending_payment", "open", False, [], True),
        ("declined", "pending_payment", "failed", False, [], True),
        ("authorised", "placed", "authorised", True, [], False),
        # Confirmed, the capture not through yet (Stripe down): not "when the team confirms".
        ("capture_pending", "confirmed", "authorised", True, [], False),
        ("captured", "confirmed", "captured", True, [1600], False),
        ("refund_pending", "cancelled", "captured", True, [1600], False),
        ("refunded", "cancelled", "captured", True, [1600, -1600], False),
        ("releasing", "cancelled", "authorised", True, [], False),
        ("released", "cancelled", "cancelled", True, [], False),
        # A declined card, the order cancelled later: no authorisation ever existed.
        ("nothing_taken", "cancelled", "cancelled", False, [], False),
        ("nothing_taken", "expired", "failed", False, [], False),
        ("authorisation_lapsed", "placed", "cancelled", True, [], False),
    ],
)
def test_each_payment_state_says_one_thing_about_money(
    app, client, stripe_shop, key, status, card_status, authorised, paid, pay_button
):
    order = place_card_order(stripe_shop)
    open_session(app, order, stripe_shop["gateway"])
    order = fresh(order)
    order.status = status
    order.card.status = card_status
    if authorised:
        order.card.intent_id = "pi_state"
        order.card.amount_authorised_cents = 1600
        order.card.authorised_at = utcnow()
    if key == "capture_pending":
        order.card.problem, order.card.settle_due = "capture_failed", True
    for number, amount in enumerate(paid):
        db.session.add(
            Payment(order=order, method="card", amount_cents=amount, reference=f"re_{number}")
        )
    db.session.commit()

    response = client.get(f"/commande/suivi/{order.access_token}")

    page = page_text(response)
    assert response.status_code == 200
    assert page.count("data-money=") == 1
    assert f'data-money="{key}"' in page
    said = [name for name, sentence in MONEY_SENTENCES.items() if sentence in page]
    assert said == [key]
    assert ("Payer 16,00" in page) is pay_button
    assert ("Paiement à effectuer" in page) is pay_button


@pytest.fixture
def slow_week_locks(app):
    """Taking a week's row takes a little longer: the return and the webhook meet there."""
    from sqlalchemy import event as sql_event

    def after_execute(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().startswith("UPDATE sales_week SET version"):
            time.sleep(0.05)

    sql_event.listen(db.engine, "after_cursor_execute", after_execute)
    yield
    sql_event.remove(db.engine, "after_cursor_execute", after_execute)


def test_the_return_and_the_webhook_at_the_same_moment_record_the_payment_once(
    app, stripe_shop, slow_week_locks
):
    """Each in its own thread and connection: one authorisation, one 'reçue' mail, no error."""
    from tests.test_concurrency import run_together

    for round_ in range(3):
        order = place_card_order(stripe_shop, reference=f"race-{round_}", tomatoes=1, basil=0)
        open_session(app, order, stripe_shop["gateway"])
        intent = authorise_in_stripe(stripe_shop["gateway"], order)
        session_id = session_of(order)["id"]
        token = order.access_token

        def work(index, barrier, session_id=session_id, intent=intent, token=token):
            with app.app_context():
                client = app.test_client()
                barrier.wait()
                if index == 0:
                    response = client.get(f"/commande/suivi/{token}?paiement=retour")
                else:
                    response = post_event(
                        client,
                        event(
                            "checkout.session.completed",
                            {"id": session_id, "payment_intent": intent.id},
                        ),
                    )
                db.session.remove()
                return response.status_code

        results, errors, _seconds = run_together(2, work)

        assert errors == []
        assert results == [200, 200]
        order = fresh(order)
        assert order.status == "placed"
        assert order.card.status == "authorised"
        authorised = db.session.scalar(
            select(func.count(OrderEvent.id)).where(
                OrderEvent.order_id == order.id, OrderEvent.action == "card_authorised"
            )
        )
        assert authorised == 1
        assert mails_to("camille@exemple.fr", f"{order.number} reçue") == 1


def test_a_hanging_stripe_costs_the_return_page_one_timeout_and_expires_nothing(
    app, client, stripe_shop, blackhole
):
    order = place_card_order(stripe_shop)
    open_session(app, order, stripe_shop["gateway"])
    fresh(order).hold_expires_at = utcnow() - timedelta(minutes=1)  # lapsed as well
    db.session.commit()
    app.config.update(STRIPE_API_BASE=f"http://127.0.0.1:{blackhole.port}", STRIPE_PAGE_TIMEOUT=1)

    started = time.monotonic()
    page = page_text(back_from_payment_page(client, order))
    elapsed = time.monotonic() - started

    # The return asked once (one connection, one short wait); the lazy expiry did not ask again.
    assert len(blackhole.connections) == 1
    assert elapsed < 1.9 * 2
    assert "Nous attendons la réponse de votre banque" in page
    assert fresh(order).status == "pending_payment"


def test_after_one_unanswered_question_page_views_stop_asking_a_hanging_stripe_for_a_while(
    app, client, stripe_shop, blackhole
):
    order = place_card_order(stripe_shop)
    open_session(app, order, stripe_shop["gateway"])
    fresh(order).hold_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    app.config.update(
        STRIPE_API_BASE=f"http://127.0.0.1:{blackhole.port}",
        STRIPE_TIMEOUT=30,  # a customer's own payment step may wait this long; page views do not
        STRIPE_PAGE_TIMEOUT=1,
        STRIPE_PAGE_PAUSE=2,
    )
    page_url = f"/commande/suivi/{order.access_token}"

    started = time.monotonic()
    first = client.get(page_url)  # its lazy expiry asks Stripe: one short wait
    first_seconds = time.monotonic() - started
    started = time.monotonic()
    later = [client.get(page_url).status_code for _ in range(5)]
    later_seconds = time.monotonic() - started

    assert first.status_code == 200
    assert 0.9 < first_seconds < 5  # the page timeout (1 s), far from STRIPE_TIMEOUT (30 s)
    assert later == [200] * 5
    assert later_seconds < 1  # five pages, no wait: page views rest from Stripe
    assert fresh(order).status == "pending_payment"  # never guessed unpaid

    time.sleep(2.1)  # the pause runs out: the next page view asks again
    started = time.monotonic()
    client.get(page_url)
    assert time.monotonic() - started > 0.9


def test_an_invoice_of_a_card_order_is_marked_paid_when_the_card_is_captured(
    app, client, stripe_shop, staff
):
    from boutique.models import Invoice
    from boutique.payments.invoices import request_invoice

    order, intent = authorised_order(app, client, stripe_shop)
    request_invoice(order, "Camille Martin", "3 rue Basse, 84000 Avignon")
    db.session.commit()
    confirm_order(order, staff)
    db.session.commit()
    invoice = db.session.scalar(select(Invoice).where(Invoice.order_id == order.id))
    assert invoice.payment_method == "card" and invoice.paid_at is None  # not captured yet

    assert card.settle(fresh(order).card, stripe_shop["gateway"]) == "captured"
    db.session.commit()

    db.session.refresh(invoice)
    assert invoice.paid_at is not None and invoice.gross_cents == 1600
    assert card_payments(order) == [1600]


# --- Leaving the card payment page: pay another way, or cancel (issue 13, part 7) -------------


def test_an_unpaid_card_order_can_be_paid_on_pick_up_instead(app, client, stripe_shop):
    order = place_card_order(stripe_shop, basil=0)  # 10,00 €: under a guest's cap
    open_session(app, order, stripe_shop["gateway"])  # left Stripe's page without paying
    page = page_text(client.get(f"/commande/suivi/{order.access_token}"))
    assert "Payer 10,00 € par carte" in page and "Payer au retrait à la place" in page
    assert "Annuler la commande…" in page

    response = client.post(
        f"/commande/suivi/{order.access_token}/autre-paiement", data={"method": "on_pickup"}
    )
    page = page_text(client.get(response.location))
    assert "C'est noté : vous paierez au retrait." in page
    order = fresh(order)
    assert (order.status, order.payment_method, order.hold_expires_at) == (
        "placed", "on_pickup", None
    )
    assert "Payer 10,00 € par carte" not in page
    assert mails_to("camille@exemple.fr", "reçue") == 1
    assert db.session.get(Offer, stripe_shop["tomato"].id).quantity_reserved == 4  # kept

    # The old Stripe page paid after all: the authorisation is released, nothing charged.
    intent = authorise_in_stripe(stripe_shop["gateway"], order)
    session_id = session_of(order)["id"]
    completed = event("checkout.session.completed", {"id": session_id, "payment_intent": intent.id})
    assert post_event(client, completed).status_code == 200
    order = fresh(order)  # the webhook's settle step released it at once
    assert card.target_cents(order) == 0
    assert order.card.status == "cancelled" and card_payments(order) == []
    assert "card_paid_after_switch" in [e.action for e in order.events]
    assert not stripe_shop["gateway"].client.v1.payment_intents.retrieve(intent.id).status.startswith(
        "requires_capture"
    )


def test_paid_meanwhile_the_switch_changes_nothing(app, client, stripe_shop):
    order = place_card_order(stripe_shop, basil=0)
    open_session(app, order, stripe_shop["gateway"])
    authorise_in_stripe(stripe_shop["gateway"], order)  # in another tab, just now

    response = client.post(
        f"/commande/suivi/{order.access_token}/autre-paiement", data={"method": "on_pickup"}
    )
    assert "Votre paiement par carte vient d'être reçu" in page_text(client.get(response.location))
    order = fresh(order)
    assert (order.status, order.payment_method, order.card.status) == (
        "placed", "card", "authorised"
    )


def test_above_a_guests_cap_only_the_card_or_cancelling_is_offered(app, client, stripe_shop):
    app.config["UNPAID_ORDER_CAP_CENTS"] = 1500
    order = place_card_order(stripe_shop)  # 16,00 € > 15,00 €
    open_session(app, order, stripe_shop["gateway"])
    page = page_text(client.get(f"/commande/suivi/{order.access_token}"))
    assert "Payer au retrait à la place" not in page and "Annuler la commande…" in page
    response = client.post(
        f"/commande/suivi/{order.access_token}/autre-paiement", data={"method": "on_pickup"}
    )
    assert "Ce moyen de paiement n'est pas proposé pour cette commande." in page_text(
        client.get(response.location)
    )
    assert fresh(order).status == "pending_payment"


def test_an_unpaid_card_order_can_be_cancelled(app, client, stripe_shop):
    order = place_card_order(stripe_shop)
    open_session(app, order, stripe_shop["gateway"])
    assert "Annuler" in page_text(client.get(f"/commande/suivi/{order.access_token}/annuler"))
    client.post(f"/commande/suivi/{order.access_token}/annuler")
    order = fresh(order)
    assert order.status == "cancelled"
    assert db.session.get(Offer, stripe_shop["tomato"].id).quantity_reserved == 0
