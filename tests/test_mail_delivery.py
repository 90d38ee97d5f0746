"""Mails that can be trusted (issue 11, part 5): dated, identified at the shop's domain; a mail
refused for good stops at once, one refused for now is tried again; what could not be
delivered is listed for staff ("Mails non distribués") with the customer's phone, to resend.

A second real SMTP server (aiosmtpd) refuses one address with 550 and another with 451.
"""

import re
import secrets
import time
from datetime import timedelta
from email.utils import parsedate_to_datetime

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from boutique.extensions import db
from boutique.models import OutboxMessage, utcnow
from boutique.ordering.services import Contact, place_order
from boutique.outbox import MAX_ATTEMPTS, send_due
from tests.conftest import Mailbox, add_mail, free_port, page_text

REFUSED = "inconnu@exemple.fr"  # 550: the mailbox does not exist
LATER = "plein@exemple.fr"  # 451: try again later
FILTERED = "filtre@exemple.fr"  # accepted as a recipient, then 554 on the content
PHONE = "06 98 76 54 32"


class PickyMailbox(Mailbox):
    """Accepts every recipient but two: one refused for good, one for now."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == REFUSED:
            return "550 5.1.1 <inconnu@exemple.fr>: Recipient address rejected: User unknown"
        if address == LATER:
            return "451 4.2.2 Mailbox full, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if FILTERED in envelope.rcpt_tos:
            return "554 5.7.1 Message rejected by content filter"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture(scope="module")
def picky_server():
    controller = Controller(PickyMailbox(), hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller
    controller.stop()


@pytest.fixture
def picky(app, picky_server):
    """The app sends through the picky server; yields its mailbox."""
    picky_server.handler.messages.clear()
    app.config["MAIL_PORT"] = picky_server.port
    return picky_server.handler


@pytest.fixture
def order_for(app, make_product, make_week, make_pickup_slot):
    """order_for(email): a pay-on-pick-up order (its "reçue" mail in the outbox)."""
    tomato = make_product(name="Tomate", variety="Cerise")
    week = make_week(offers=[(tomato, {"quantity_available": 50})])
    slot = make_pickup_slot(week, capacity=20)

    def make(email, phone=PHONE):
        order = place_order(
            week=week,
            items={week.offers[0].id: 1},
            slot_id=slot.id,
            payment_method="on_pickup",
            contact=Contact("Camille Martin", email, phone),
            kind="individual",
            checkout_token=secrets.token_urlsafe(24),
        )
        db.session.commit()
        return order

    return make


def mail_of(order):
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.order_id == order.id)).one()


def test_each_mail_has_a_date_and_a_message_id_at_the_public_address(app, mailbox, order_for):
    app.config["PUBLIC_URL"] = "https://boutique.lapepiniere.example"
    order_for("camille@exemple.fr")
    app.config["PUBLIC_URL"] = "https://jardins-solidaires.example/boutique"
    order_for("alex@exemple.fr")

    assert send_due() == (2, 0)

    first, second = mailbox.messages
    for message in (first, second):
        sent = parsedate_to_datetime(message["Date"])
        assert sent.tzinfo is not None and abs(sent - utcnow()) < timedelta(minutes=1)
    # The domain follows PUBLIC_URL at the time of sending, nothing is hard-coded.
    assert re.fullmatch(r"<[^@\s]+@jardins-solidaires\.example>", first["Message-ID"])
    assert re.fullmatch(r"<[^@\s]+@jardins-solidaires\.example>", second["Message-ID"])
    assert first["Message-ID"] != second["Message-ID"]


def test_a_permanent_refusal_stops_at_once_and_is_shown_to_staff_with_the_phone(
    app, picky, order_for, staff_client
):
    order = order_for(REFUSED)

    assert send_due() == (0, 1)
    mail = mail_of(order)
    assert mail.attempts == 1 and mail.sent_at is None
    assert mail.failed_at is not None  # undelivered at once, no retry scheduled
    assert "550" in mail.last_error
    # Days later, still not tried again.
    assert send_due(now=utcnow() + timedelta(days=5)) == (0, 0)
    assert mail_of(order).attempts == 1

    page = page_text(staff_client.get("/gestion/mails"))
    assert "Mails non distribués" in page
    for shown in (REFUSED, f"Commande {order.number} reçue", order.number, PHONE, "550 5.1.1"):
        assert shown in page
    assert f'href="/gestion/commandes/{order.id}"' in page
    dashboard = page_text(staff_client.get("/gestion/"))
    assert "1 mail n'a pas pu être distribué" in dashboard
    assert 'href="/gestion/mails"' in dashboard


def test_a_temporary_refusal_is_tried_again_and_listed_after_the_last_try(
    app, picky, order_for, staff_client
):
    order = order_for(LATER)

    now = utcnow()
    for attempt in range(1, MAX_ATTEMPTS):
        assert send_due(now=now) == (0, 1)
        mail = mail_of(order)
        assert mail.attempts == attempt and mail.failed_at is None
        assert mail.next_attempt_at > now  # a next try is planned
        assert send_due(now=now) == (0, 0)  # ... not before its time
        now = mail.next_attempt_at
    assert LATER not in page_text(staff_client.get("/gestion/mails"))

    assert send_due(now=now) == (0, 1)  # the last try
    mail = mail_of(order)
    assert mail.attempts == MAX_ATTEMPTS and mail.failed_at is not None
    assert "451" in mail.last_error
    assert mail.next_attempt_at - mail.created_at > timedelta(days=3)  # tried for days

    page = page_text(staff_client.get("/gestion/mails"))
    assert LATER in page and order.number in page and PHONE in page and "451 4.2.2" in page
    assert f"{MAX_ATTEMPTS} essais" in page


def test_a_mail_refused_for_its_content_is_not_tried_again(app, picky, order_for):
    order = order_for(FILTERED)

    assert send_due() == (0, 1)
    mail = mail_of(order)
    assert mail.failed_at is not None and "554 5.7.1" in mail.last_error
    assert picky.messages == []


def test_a_mail_the_server_cannot_be_reached_for_is_tried_again(app, order_for):
    app.config["MAIL_PORT"] = free_port()  # nothing listens: connection refused
    order = order_for("camille@exemple.fr")

    assert send_due() == (0, 1)
    mail = mail_of(order)
    assert mail.failed_at is None and mail.next_attempt_at > utcnow()


def test_a_silent_server_costs_a_round_one_timeout_and_the_other_mails_wait_for_the_next(
    app, blackhole, mailbox, smtp_server
):
    """A server that accepts and never answers: the worker stops the round at the first
    timeout instead of waiting MAIL_TIMEOUT for each mail due, so its other duties (the
    waiting list's sweep, group orders' deadlines, standing orders) are not held up."""
    app.config.update(MAIL_PORT=blackhole.port, MAIL_TIMEOUT=1)
    for n in range(5):
        add_mail(recipient=f"client{n}@exemple.fr")

    started = time.monotonic()
    assert send_due() == (0, 1)
    assert time.monotonic() - started < 4  # not five timeouts (on a busy machine, one is slow)
    assert len(blackhole.connections) == 1  # one connection: the round stopped at the first

    # The server answers again: the mails not tried go out in the next round, the one that
    # failed when its retry falls due, each once.
    app.config["MAIL_PORT"] = smtp_server.port
    assert send_due() == (4, 0)
    assert send_due(now=utcnow() + timedelta(hours=1)) == (1, 0)
    assert sorted(m["To"] for m in mailbox.messages) == [f"client{n}@exemple.fr" for n in range(5)]


def test_an_invalid_address_is_undelivered_without_asking_the_server(app, picky):
    add_mail(recipient="camille@exemple")

    assert send_due() == (0, 1)
    mail = db.session.scalars(select(OutboxMessage)).one()
    assert mail.failed_at is not None and mail.attempts == 1
    assert "Invalid address" in mail.last_error
    assert picky.messages == []


def test_a_mail_that_cannot_be_written_is_undelivered_and_the_others_go(app, mailbox):
    for subject in ("Essai\nBcc: espion@exemple.fr", "Essai"):
        add_mail(subject=subject)

    assert send_due() == (1, 1)
    broken = db.session.scalars(select(OutboxMessage).where(OutboxMessage.sent_at.is_(None))).one()
    assert broken.failed_at is not None and "cannot be written" in broken.last_error
    assert [m["Subject"] for m in mailbox.messages] == ["Essai"]


def test_staff_resend_an_undelivered_mail_and_it_goes_out_once(
    app, picky, order_for, staff_client, smtp_server, mailbox
):
    order = order_for(REFUSED)
    send_due()
    mail_id = mail_of(order).id
    app.config["WTF_CSRF_ENABLED"] = True
    page = staff_client.get("/gestion/mails").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    # Without the form's token, nothing changes.
    forged = staff_client.post(f"/gestion/mails/{mail_id}/renvoyer")
    assert forged.status_code == 400
    assert mail_of(order).failed_at is not None

    # The customer's address works again (the mail server is fixed, the mailbox emptied).
    app.config["MAIL_PORT"] = smtp_server.port
    response = staff_client.post(f"/gestion/mails/{mail_id}/renvoyer", data={"csrf_token": token})
    response.close()  # testing sends right after the response, as development does
    assert response.status_code == 302 and response.location.endswith("/gestion/mails")

    mail = mail_of(order)
    assert mail.sent_at is not None and mail.failed_at is None and mail.attempts == 1
    assert [m["To"] for m in mailbox.messages] == [REFUSED]
    followed = page_text(staff_client.get("/gestion/mails"))
    assert f"Le mail à {REFUSED} est renvoyé." in followed
    assert "Aucun mail non distribué." in followed

    # A second click (the first answer lost) changes nothing and sends nothing.
    again = staff_client.post(f"/gestion/mails/{mail_id}/renvoyer", data={"csrf_token": token})
    again.close()
    assert len(mailbox.messages) == 1
    assert "déjà renvoyé ou traité" in page_text(staff_client.get("/gestion/mails"))


def test_resent_to_a_server_still_refusing_it_comes_back_on_the_list(
    app, picky, order_for, staff_client
):
    order = order_for(REFUSED)
    send_due()
    staff_client.post(f"/gestion/mails/{mail_of(order).id}/renvoyer").close()

    mail = mail_of(order)
    assert mail.failed_at is not None and mail.attempts == 1
    assert REFUSED in page_text(staff_client.get("/gestion/mails"))


def test_marking_an_undelivered_mail_as_dealt_with_takes_it_off_the_list(
    app, picky, order_for, staff_client
):
    order = order_for(REFUSED)
    send_due()
    mail_id = mail_of(order).id

    response = staff_client.post(f"/gestion/mails/{mail_id}/traite", follow_redirects=True)

    page = page_text(response)
    assert f"Le mail à {REFUSED} est marqué comme traité." in page
    assert "Aucun mail non distribué." in page
    mail = mail_of(order)
    assert mail.dismissed_at is not None and mail.sent_at is None
    assert "n'a pas pu être distribué" not in page_text(staff_client.get("/gestion/"))
    assert send_due(now=utcnow() + timedelta(days=5)) == (0, 0)  # and it is not sent


@pytest.mark.parametrize("role", ["gate", "customer"])
def test_only_staff_see_undelivered_mails(app, picky, order_for, make_user, client, login, role):
    order = order_for(REFUSED)
    send_due()
    mail_id = mail_of(order).id
    login(make_user(role=role))

    assert client.get("/gestion/mails").status_code == 403
    assert client.post(f"/gestion/mails/{mail_id}/renvoyer").status_code == 403
    assert client.post(f"/gestion/mails/{mail_id}/traite").status_code == 403
    assert mail_of(order).failed_at is not None and mail_of(order).dismissed_at is None


def test_visitors_are_sent_to_log_in(client):
    response = client.get("/gestion/mails")
    assert response.status_code == 302 and "/compte/connexion" in response.location


def test_the_page_in_english(app, picky, order_for, make_user, client, login):
    order_for(REFUSED)
    send_due()
    login(make_user(role="staff", locale="en"))

    page = page_text(client.get("/gestion/mails"))
    dashboard = page_text(client.get("/gestion/"))

    assert "Undelivered mails" in page and "Send again" in page and "Mark as dealt with" in page
    assert f"Call {PHONE}" in page and "1 attempt" in page
    assert "1 mail could not be delivered" in dashboard
