"""The gate on a phone (issue 12, part 5): one order paid and handed over with the main button,
one handed over with money due after confirming, then the day's cash counted and closed."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from boutique.extensions import db
from boutique.models import CashClosing, Order
from tests.browser import ARTIFACTS, assert_fits_a_phone, euros, log_in, serious_violations

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def figure(page, label):
    """The amount shown beside `label` in the cash page's figures."""
    term = page.locator("dt", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
    return page.locator(".cash-totals > div").filter(has=term).locator("dd")


def shoot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"gate-cash-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_the_gate_takes_money_hands_over_and_closes_the_days_cash(
    page, make_user, todays_orders
):
    gate = make_user(role="gate", email="accueil@lapepiniere.example", first_name="Sam")
    lea, marc = todays_orders["Léa Durand"], todays_orders["Marc Petit"]
    page.set_viewport_size(PHONE)
    log_in(page, gate.email)  # the gate lands on the day's pick-ups: today, which has orders
    expect(page.locator("h1")).to_contain_text("Retraits du")
    expect(page.locator(".handover-item")).to_have_count(2)

    # Léa pays cash: the main button takes it and hands the order over.
    page.get_by_role("link", name=re.compile("Léa D.")).click()
    expect(page.get_by_label("Montant encaissé (€)")).to_have_value("22,00")
    assert serious_violations(page) == []
    assert_fits_a_phone(page, PHONE["width"])
    shoot(page, "card")
    page.get_by_label("Espèces").check()
    page.get_by_role("button", name=euros("Encaisser 22,00 € et remettre")).click()
    paid = euros(f"Commande {lea} : 22,00 € encaissés (Espèces), remise à Léa D.")
    expect(page.locator(".flash-success")).to_have_text(re.compile(f"^{paid.pattern}$"))
    expect(page.locator("h1 .badge")).to_have_text("Retirée")

    # Marc will pay later: handing over without the money needs the box ticked.
    page.locator(".back-link a").click()
    page.get_by_role("link", name=re.compile("Marc P.")).click()
    unpaid = page.get_by_role("button", name="Remettre sans encaisser")
    unpaid.click()  # the browser asks for the box first: nothing is sent
    expect(page.locator("h1 .badge")).to_have_text("Reçue")
    assert page.locator("#confirm_due").evaluate("box => !box.validity.valid")
    page.get_by_label(euros("Remettre sans encaisser 17,00 €")).check()
    unpaid.click()
    expect(page.locator(".flash-info")).to_have_text(
        euros(f"Commande {marc} remise à Marc P. sans encaisser : 17,00 € restent dus.")
    )

    page.locator(".back-link a").click()
    expect(page.locator(".handover-item", has_text="Marc P.")).to_contain_text(
        euros("remis, 17,00 € dû")
    )
    assert_fits_a_phone(page, PHONE["width"])
    shoot(page, "day")

    # End of the day: the cash of the gate.
    page.get_by_role("link", name=re.compile("Caisse du jour — Portail de la pépinière")).click()
    expect(page.locator("h1")).to_contain_text("Caisse du")
    expect(figure(page, "Espèces")).to_have_text(euros("22,00 €"))
    expect(figure(page, "Chèque")).to_have_text(euros("0,00 €"))
    expect(figure(page, "Total encaissé")).to_have_text(euros("22,00 €"))
    expect(figure(page, "Remises avec un reste dû")).to_have_text(euros("1 commande 17,00 €"))
    expect(page.locator(".cash-orders tbody tr")).to_have_count(2)
    shoot(page, "open")
    assert serious_violations(page) == []
    assert_fits_a_phone(page, PHONE["width"])

    page.get_by_label("Espèces comptées dans la caisse (€)").fill("21,50")
    page.get_by_label("Remarque").fill("Rendu 50 centimes de trop à Léa.")
    page.get_by_role("button", name="Clore la caisse du jour").click()
    expect(page.locator(".flash-success")).to_contain_text("close (Portail de la pépinière)")
    expect(page.locator(".cash-closed")).to_contain_text("Caisse close le")
    expect(figure(page, "Espèces comptées")).to_have_text(euros("21,50 €"))
    expect(figure(page, "Écart")).to_have_text(euros("−0,50 € (il manque de l'argent)"))
    expect(page.get_by_role("button", name="Clore la caisse du jour")).to_have_count(0)
    shoot(page, "closed")
    assert serious_violations(page) == []
    assert_fits_a_phone(page, PHONE["width"])
    page.emulate_media(media="print")
    shoot(page, "print")
    expect(page.locator(".staff-nav")).to_be_hidden()
    expect(page.locator(".print-hint")).to_be_hidden()

    closing = db.session.scalars(select(CashClosing)).one()
    assert (closing.closed_by_id, closing.counted_cash_cents) == (gate.id, 2150)
    assert closing.totals["cash"] == 2200 and closing.totals["collected_due"] == 1700
    db.session.expire_all()
    statuses = {o.number: (o.status, o.amount_due_cents) for o in db.session.scalars(select(Order))}
    assert statuses == {lea: ("collected", 0), marc: ("collected", 1700)}
