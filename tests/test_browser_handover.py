"""Staff hand an order over on a phone: find it in the day's list, take cash and hand it over."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from boutique.extensions import db
from boutique.models import Order
from tests.browser import ARTIFACTS, assert_fits_a_phone, euros, log_in, serious_violations

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}


def test_staff_hand_over_an_order_and_take_cash_on_a_phone(page, staff, todays_orders):
    page.set_viewport_size(PHONE)
    log_in(page, staff.email)
    page.get_by_role("link", name="Gestion").click()
    page.locator(".staff-nav").get_by_role("link", name="Retraits du jour").click()
    expect(page.locator("h1")).to_contain_text("Retraits du")
    expect(page.locator(".handover-item")).to_have_count(2)
    expect(page.locator(".handover-summary")).to_contain_text(euros("à encaisser : 39,00 €"))
    assert serious_violations(page) == []
    assert_fits_a_phone(page, PHONE["width"])
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "handover-phone-day.png"), full_page=True)

    page.get_by_label("Numéro ou nom").fill("durand")
    page.get_by_role("button", name="Chercher").click()
    expect(page.locator(".handover-item")).to_have_count(1)
    expect(page.locator(".handover-item")).to_contain_text("Léa Durand")
    page.get_by_role("link", name=re.compile("Léa Durand")).click()

    number = todays_orders["Léa Durand"]
    expect(page.locator("h1")).to_contain_text(f"Léa Durand {number}")
    expect(page.locator(".handover-lines")).to_contain_text("3 Tomate Cœur de bœuf")
    expect(page.locator(".amount-due")).to_contain_text(euros("Reste à payer : 22,00 €"))
    expect(page.get_by_label("Montant encaissé (€)")).to_have_value("22,00")
    assert serious_violations(page) == []
    assert_fits_a_phone(page, PHONE["width"])
    page.screenshot(path=str(ARTIFACTS / "handover-phone.png"), full_page=True)

    # Money is due: one button takes it and hands the order over.
    page.get_by_label("Espèces").check()
    page.get_by_role("button", name=euros("Encaisser 22,00 € et remettre")).click()
    expect(page.locator(".flash-success")).to_have_text(
        euros(f"Commande {number} : 22,00 € encaissés (Espèces), remise à Léa Durand.")
    )
    expect(page.locator("h1 .badge")).to_have_text("Retirée")
    expect(page.locator(".amount-due")).to_contain_text(euros("Reste à payer : 0,00 €"))
    expect(page.locator(".payments")).to_contain_text("Espèces")
    assert serious_violations(page) == []
    page.screenshot(path=str(ARTIFACTS / "handover-phone-done.png"), full_page=True)

    order = db.session.scalar(select(Order).filter_by(number=number))
    db.session.refresh(order)
    assert order.status == "collected"
    assert [(p.method, p.amount_cents) for p in order.payments] == [("cash", 2200)]
