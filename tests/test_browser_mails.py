"""Staff find the undelivered mails from the dashboard in Chromium, resend one, close the other."""

import re
import secrets
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from boutique.extensions import db
from boutique.models import OutboxMessage, utcnow
from boutique.ordering.services import Contact, place_order
from boutique.outbox import send_due
from tests.browser import ARTIFACTS, log_in, serious_violations

pytestmark = pytest.mark.browser


@pytest.fixture
def undelivered(make_product, make_week, make_pickup_slot):
    """An order's mail refused for good (550), and a mail given up after its last try (451)."""
    tomato = make_product(name="Tomate", variety="Cœur de bœuf")
    week = make_week(offers=[tomato])
    order = place_order(
        week=week,
        items={week.offers[0].id: 2},
        slot_id=make_pickup_slot(week).id,
        payment_method="on_pickup",
        contact=Contact("Camille Martin", "camile.martin@exemple.fr", "06 12 34 56 78"),
        kind="individual",
        checkout_token=secrets.token_urlsafe(24),
    )
    db.session.flush()
    refused = db.session.scalars(select(OutboxMessage)).one()
    refused.attempts, refused.failed_at = 1, utcnow()
    refused.last_error = (
        "camile.martin@exemple.fr: 550 5.1.1 <camile.martin@exemple.fr>: "
        "Recipient address rejected: User unknown"
    )
    db.session.add(
        OutboxMessage(
            recipient="lea.durand@boite-pleine.example",
            subject="Confirmez votre adresse e-mail",
            body_text="Bonjour",
            body_html="<p>Bonjour</p>",
            attempts=12,
            next_attempt_at=utcnow(),
            failed_at=utcnow(),
            last_error="lea.durand@boite-pleine.example: 451 4.2.2 Mailbox full, try again later",
            attachments=[],
        )
    )
    db.session.commit()
    return order


def test_staff_resend_an_undelivered_mail_and_close_another(page, staff, undelivered, mailbox):
    log_in(page, staff.email)
    page.goto("/gestion/")
    page.get_by_role("link", name="2 mails n'ont pas pu être distribués").click()

    expect(page.get_by_role("heading", name="Mails non distribués")).to_be_visible()
    first = page.locator("tbody tr").filter(has_text="camile.martin@exemple.fr")
    expect(first).to_contain_text(undelivered.number)
    expect(first).to_contain_text("06 12 34 56 78")
    expect(first).to_contain_text("550 5.1.1")
    expect(page.locator("tbody tr").filter(has_text="boite-pleine")).to_contain_text("12 essais")
    assert serious_violations(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "staff-undelivered-mails.png"), full_page=True)
    page.set_viewport_size({"width": 375, "height": 812})
    page.screenshot(path=str(ARTIFACTS / "staff-undelivered-mails-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 720})

    # The address was right after all (the customer's server is fixed): send it again.
    first.get_by_role("button", name=re.compile("Renvoyer")).click()
    expect(page.locator(".flash-success")).to_contain_text(
        "Le mail à camile.martin@exemple.fr est renvoyé."
    )
    expect(page.locator("tbody tr")).to_have_count(1)
    send_due()  # the worker's round (unless the send after the response got there first)
    deadline = time.monotonic() + 5
    while not mailbox.messages and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [m["To"] for m in mailbox.messages] == ["camile.martin@exemple.fr"]

    # Léa was told by phone: the other one is dealt with.
    page.get_by_role("button", name=re.compile("Marquer comme traité")).click()
    expect(page.locator(".flash-success")).to_contain_text("est marqué comme traité.")
    expect(page.get_by_text("Aucun mail non distribué.")).to_be_visible()
    page.goto("/gestion/")
    expect(page.get_by_text("n'a pas pu être distribué")).to_have_count(0)
