"""One week number in Chromium: staff open a week whose orders close on a Sunday for a Friday
pick-up, typing the deadline's week in its name; the form gives it the pick-up's number, and
the shop's banner, the order confirmation page and the staff week page all say that number."""

import re
from datetime import datetime, time, timedelta

import pytest
from playwright.sync_api import expect

from boutique.extensions import db
from boutique.models import PickupPoint, SlotTemplate
from tests.browser import PARIS, add_to_basket, grid_row, local_input, log_in

pytestmark = pytest.mark.browser

SHOTS = "/tmp/week-numbers-{}.png"  # noqa: S108  (screenshots looked at by hand)


def test_shop_order_and_staff_page_show_the_same_week_number(
    page, browser, live_server, staff, make_category, make_product
):
    make_product(name="Tomate", variety="Cœur de bœuf", category=make_category("Plants potagers"))
    gate = PickupPoint(name="Portail de la pépinière", address="Chemin des Jardins, Avignon")
    db.session.add(gate)
    db.session.add(
        SlotTemplate(point=gate, weekday=4, starts_at=time(16), ends_at=time(18), capacity=10)
    )
    db.session.commit()

    now = datetime.now(PARIS).replace(second=0, microsecond=0)
    sunday = (now + timedelta(days=(6 - now.weekday()) % 7 or 7)).replace(hour=20, minute=0)
    friday = sunday.date() + timedelta(days=5)
    deadline_week, number = sunday.isocalendar().week, friday.isocalendar().week
    assert number != deadline_week

    # Staff name the week after its deadline's week, as they used to.
    log_in(page, staff.email)
    page.goto("/gestion/semaines/nouvelle")
    page.get_by_label("Nom de la semaine").fill(f"Semaine {deadline_week}")
    page.fill("#opens_at", local_input(now - timedelta(hours=1)))
    page.fill("#closes_at", local_input(sunday))
    page.fill("#pickup_date_1", friday.isoformat())
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".flash-success")).to_have_text(
        f"Semaine « Semaine {number} » enregistrée."
    )
    expect(page.locator(".flash-info").first).to_contain_text(
        f"Nom corrigé en « Semaine {number} »"
    )
    page.screenshot(path=SHOTS.format("1-staff-week-saved"), full_page=True)
    week_url = page.url
    row = grid_row(page, "Tomate Cœur de bœuf")
    row.locator("input[name$='-offered']").check()
    row.locator("input[name$='-quantity']").fill("10")
    page.get_by_role("button", name="Enregistrer les disponibilités").click()
    page.get_by_role("button", name="Publier la semaine").click()
    expect(page.locator(".week-head .badge")).to_have_text("Ouverte")

    # A customer sees the week on the shop and orders.
    customer = browser.new_context(
        base_url=live_server, locale="fr-FR", timezone_id="Europe/Paris"
    ).new_page()
    customer.goto("/")
    expect(customer.locator(".week-banner h1")).to_have_text(f"Semaine {number}")
    customer.screenshot(path=SHOTS.format("2-shop"), full_page=True)
    add_to_basket(customer, "Tomate", 2)
    customer.goto("/panier")
    customer.get_by_role("link", name="Passer commande").click()
    customer.get_by_label("Nom et prénom").fill("Léa Durand")
    customer.get_by_label("Adresse e-mail", exact=True).fill("lea@exemple.fr")
    customer.get_by_label("Téléphone").fill("06 11 22 33 44")
    customer.get_by_label(re.compile("de 16:00 à 18:00")).check()
    customer.get_by_label(re.compile("Paiement au retrait")).check()
    customer.get_by_label("J'accepte les conditions générales de vente").check()
    customer.get_by_role("button", name="Commander avec obligation de paiement au retrait").click()
    expect(customer.locator(".flash-success")).to_contain_text("Merci ! Votre commande")
    expect(customer.locator("h1")).to_contain_text(f"Commande S{number:02d}-001")
    customer.screenshot(path=SHOTS.format("3-order"), full_page=True)
    customer.context.close()

    # The staff week page says the same number, and the numbers its orders carry.
    page.goto(week_url)
    expect(page.locator(".week-head h1")).to_contain_text(f"Semaine {number}")
    expect(page.locator(".week-head")).to_contain_text(
        f"Semaine {number} de {friday.isocalendar().year}, celle du premier jour de retrait : "
        f"ses commandes sont numérotées S{number:02d}-…"
    )
    page.screenshot(path=SHOTS.format("4-staff-week"), full_page=True)

    # A next week opened before this one closes is refused, naming this one and its dates.
    page.goto("/gestion/semaines/nouvelle")
    page.fill("#opens_at", local_input(sunday - timedelta(days=1)))
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("alert")).to_contain_text(
        f"Ces dates chevauchent « Semaine {number} », ouverte aux commandes du"
    )
    page.screenshot(path=SHOTS.format("5-overlap-refused"), full_page=True)
