"""One public address: links come from PUBLIC_URL, requests for other hosts are refused, and
only the reverse proxy is believed about the client (DESIGN rule 11, issue "Safe to put online").

The production app here runs behind one proxy (TRUSTED_PROXIES=1, the test client's peer is
127.0.0.1) and answers to its public name and one alias; an attacker sends another Host, or a
forged X-Forwarded-Host through the proxy.
"""

import csv
import io
import re

import pytest
from flask import request
from sqlalchemy import select

from boutique.extensions import db
from boutique.models import DemoIntent, Order, OutboxMessage
from config import EXAMPLE_BANK
from tests.conftest import TEST_PASSWORD
from tests.test_ordering import CONTACT, TOKEN_INPUT

PUBLIC = "https://boutique.lapepiniere.example"
ALIAS = "https://ancienne-adresse.example"  # a trusted host name that is not the public one
# What production needs to start, as the tests run it: no rate limiting (its Redis storage
# is only named, never reached) and no form tokens (the test client posts forms directly).
PRODUCTION_SETTINGS = {
    "SECRET_KEY": "p" * 40,
    "STRIPE_SECRET_KEY": "sk_test_never_called",
    "STRIPE_WEBHOOK_SECRET": "whsec_never_called",
    "PUBLIC_URL": PUBLIC,
    "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15",
    "RATELIMIT_ENABLED": False,
    "WTF_CSRF_ENABLED": False,
    **EXAMPLE_BANK,
}
FORGED = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}


@pytest.fixture
def production(app, make_app):
    """The shop in production configuration behind nginx, with an alias host name."""
    return make_app(
        "production",
        **PRODUCTION_SETTINGS,
        TRUSTED_HOSTS=["ancienne-adresse.example"],
        TRUSTED_PROXIES=1,
    )


@pytest.fixture
def shop(make_product, make_week, make_pickup_slot):
    tomato = make_product(name="Tomate", variety="Cerise", price_individual_cents=250)
    week = make_week(offers=[tomato])
    slot = make_pickup_slot(week, capacity=5)
    return {"week": week, "tomato": week.offers[0], "slot": slot}


def place_order_through_pages(client, shop, payment_method="on_pickup", **via):
    """Basket, the checkout page and "Commander", every request sent `via` (base_url,
    headers). Returns the response to "Commander"."""
    response = client.post(
        "/panier/ajouter", data={"offer_id": shop["tomato"].id, "quantity": "2"}, **via
    )
    assert response.status_code == 302
    response = client.get("/commande", **via)
    assert response.status_code == 200, response.location
    form = {
        **CONTACT,
        "slot": str(shop["slot"].id),
        "payment_method": payment_method,
        "accept_terms": "y",
        "note": "",
        "checkout_token": TOKEN_INPUT.search(response.get_data(as_text=True)).group(1),
    }
    return client.post("/commande", data=form, **via)


def links_in(text):
    return re.findall(r"https?://[^\s\"<>]+", text)


# --- Requests for another host -------------------------------------------------------------------


def test_a_password_reset_asked_for_another_host_gets_400_and_mails_nothing(
    production, make_user
):
    user = make_user(email="camille@exemple.fr")

    response = production.test_client().post(
        "/compte/mot-de-passe-oublie",
        data={"email": user.email},
        headers={"Host": "evil.example"},
    )

    assert response.status_code == 400
    assert db.session.scalars(select(OutboxMessage)).all() == []


def test_a_reset_asked_through_another_trusted_host_and_a_forged_forward_mails_the_public_link(
    production, make_user
):
    """The finding itself: the reset link must not follow the request's Host or X-Forwarded-Host."""
    user = make_user(email="camille@exemple.fr")

    response = production.test_client().post(
        "/compte/mot-de-passe-oublie",
        data={"email": user.email},
        base_url=ALIAS,
        headers=FORGED,
    )

    assert response.status_code == 302
    [mail] = db.session.scalars(select(OutboxMessage)).all()
    links = re.findall(r"https?://[^/\s\"]+/compte/mot-de-passe/", mail.body_text + mail.body_html)
    assert links and set(links) == {f"{PUBLIC}/compte/mot-de-passe/"}


def test_the_public_host_and_the_listed_ones_are_served_on_any_port(production):
    client = production.test_client()
    assert client.get("/", base_url=PUBLIC).status_code == 200
    assert client.get("/", base_url=f"{PUBLIC}:8443").status_code == 200
    assert client.get("/", base_url=ALIAS).status_code == 200
    assert client.get("/", base_url="https://lapepiniere.example").status_code == 400
    assert client.get("/healthz", base_url="https://127.0.0.1").status_code == 400


def test_development_and_tests_answer_any_host(client):
    assert client.get("/", headers={"Host": "any.example"}).status_code == 200


# --- Links come from PUBLIC_URL --------------------------------------------------------------------


def test_order_mail_links_point_at_the_public_address_whatever_host_the_order_came_by(
    production, shop
):
    client = production.test_client()
    response = place_order_through_pages(client, shop, base_url=ALIAS, headers=FORGED)
    assert response.status_code == 302

    order = db.session.scalar(select(Order))
    mail = db.session.scalar(select(OutboxMessage))
    link = f"{PUBLIC}/commande/suivi/{order.access_token}"
    assert link in mail.body_text and link in mail.body_html
    for text in (mail.body_text, mail.body_html):
        assert all(found.startswith(PUBLIC) for found in links_in(text)), links_in(text)


def test_schedule_mail_and_invitation_point_at_the_public_address(
    production, shop, make_user
):
    client = production.test_client()
    place_order_through_pages(client, shop, base_url=ALIAS, headers=FORGED)
    staff = make_user(role="staff", email="equipe@lapepiniere.example")
    staff_client = production.test_client()
    login = staff_client.post(
        "/compte/connexion",
        data={"email": staff.email, "password": TEST_PASSWORD},
        base_url=ALIAS,
        headers=FORGED,
    )
    assert login.status_code == 302

    response = staff_client.post(
        f"/gestion/semaines/{shop['week'].id}/planning/publier", base_url=ALIAS, headers=FORGED
    )

    assert response.status_code == 302
    order = db.session.scalar(select(Order))
    mail = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.subject.startswith("Retrait"))
    )
    assert f"{PUBLIC}/commande/suivi/{order.access_token}" in mail.body_text
    assert all(found.startswith(PUBLIC) for found in links_in(mail.body_text))
    invitation = mail.attachments[0]["content"]
    assert f"UID:retrait-commande-{order.id}@boutique.lapepiniere.example" in invitation
    # The customer's "add to my calendar" file, asked through the alias, says the same.
    ics = client.get(
        f"/commande/suivi/{order.access_token}/agenda.ics", base_url=ALIAS, headers=FORGED
    ).get_data(as_text=True)
    assert f"UID:retrait-commande-{order.id}@boutique.lapepiniere.example" in ics
    assert "ancienne-adresse" not in ics and "evil" not in ics


def test_label_qr_links_point_at_the_public_address(production, shop, make_user):
    place_order_through_pages(production.test_client(), shop, base_url=ALIAS, headers=FORGED)
    admin = make_user(role="admin", email="direction@lapepiniere.example")
    admin_client = production.test_client()
    admin_client.post(
        "/compte/connexion",
        data={"email": admin.email, "password": TEST_PASSWORD},
        base_url=ALIAS,
        headers=FORGED,
    )

    response = admin_client.get(
        f"/gestion/semaines/{shop['week'].id}/documents/etiquettes",
        query_string={"format": "csv"},
        base_url=ALIAS,
        headers=FORGED,
    )

    assert response.status_code == 200, response.location
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    links = [row[-1] for row in rows[1:]]
    assert len(links) == 1 and links[0].startswith(f"{PUBLIC}/gestion/retrait/")


def test_card_payment_return_addresses_are_the_public_ones(make_app, shop):
    """The demo gateway stands for Stripe: it keeps the success and cancel addresses it got."""
    shop_app = make_app(PUBLIC_URL=PUBLIC)  # testing: any host is served
    client = shop_app.test_client()

    response = place_order_through_pages(
        client, shop, payment_method="card", base_url=ALIAS, headers=FORGED
    )

    assert response.status_code == 302
    assert response.location.startswith(f"{PUBLIC}/paiement/demo/demo_cs_")
    order = db.session.scalar(select(Order))
    intent = db.session.scalar(select(DemoIntent))
    page = f"{PUBLIC}/commande/suivi/{order.access_token}"
    assert (intent.success_url, intent.cancel_url) == (
        f"{page}?paiement=retour",
        f"{page}?paiement=abandon",
    )


# --- Only the proxy is believed ---------------------------------------------------------------


@pytest.fixture
def who(production):
    """A page answering what the app believes about the request."""

    @production.get("/__who__")
    def whoami():
        return f"{request.remote_addr} {request.scheme} {request.host}"

    return production


def test_the_proxy_is_believed_about_the_client_and_scheme_never_about_the_host(who):
    answer = who.test_client().get(
        "/__who__",
        base_url="http://boutique.lapepiniere.example",
        headers={**FORGED, "X-Forwarded-For": "198.51.100.7"},
    )
    assert answer.text == "198.51.100.7 https boutique.lapepiniere.example"


def test_forwarded_headers_from_a_peer_that_is_not_the_proxy_are_ignored(who):
    """gunicorn reached directly: a forged X-Forwarded-For changes nothing."""
    answer = who.test_client().get(
        "/__who__",
        base_url="http://boutique.lapepiniere.example",
        headers={**FORGED, "X-Forwarded-For": "198.51.100.7"},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    assert answer.text == "203.0.113.9 http boutique.lapepiniere.example"


def test_proxy_addresses_can_name_a_network(make_app):
    from boutique.proxy import ProxyHeaders

    headers = ProxyHeaders(lambda environ, start: [], 1, ["10.0.0.0/8", "::1"])
    assert headers.from_proxy("10.1.2.3") and headers.from_proxy("::1")
    assert headers.from_proxy("::ffff:10.1.2.3")
    assert not headers.from_proxy("11.0.0.1") and not headers.from_proxy("not an address")
