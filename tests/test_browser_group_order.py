"""Issue 14's proof for AMAP group orders, in Chromium.

A coordinator opens a group order and shares its link; three members order on it from
phone-sized pages (one changes, one cancels); the coordinator closes it; staff lower one
product and confirm; the distribution sheet lists each member's bag and amount.
"""

import re
import shutil
import subprocess

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from boutique.extensions import db
from boutique.models import GroupOrder, Offer, Order
from tests.browser import ARTIFACTS, assert_fits_a_phone, log_in, serious_violations
from tests.conftest import pdf_words, squash

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def amap_week(make_product, make_week, make_pickup_slot, make_user):
    tomato = make_product(name="Tomate", variety="Marmande", price_amap_cents=200)
    basil = make_product(name="Basilic", variety="Grand vert", price_amap_cents=150)
    leek = make_product(name="Poireau", variety="Bleu de Solaise", price_amap_cents=100)
    week = make_week(offers=[(tomato, {"quantity_available": 12}), basil, leek])
    make_pickup_slot(week, name="Portail de la pépinière")
    coordinator = make_user(kind="amap", organisation="AMAP des Tilleuls", email="coord@amap.fr")
    staff = make_user(role="staff", email="equipe@lapepiniere.example")
    offers = {
        offer.product.name: offer
        for offer in db.session.scalars(select(Offer).where(Offer.week_id == week.id))
    }
    return coordinator, staff, offers


def member_orders(browser, live_server, link, name, email, quantities):
    """A member on a phone: opens the link, fills quantities and contact, sends; their page."""
    context = browser.new_context(
        base_url=live_server,
        locale="fr-FR",
        timezone_id="Europe/Paris",
        viewport=PHONE,
        has_touch=True,
        is_mobile=True,
    )
    page = context.new_page()
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Commande groupée de AMAP des Tilleuls"
    )
    assert_fits_a_phone(page, PHONE["width"])
    for label, quantity in quantities.items():
        page.get_by_label(f"Quantité : {label}").fill(str(quantity))
    page.get_by_label("Nom et prénom").fill(name)
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_role("button", name="Enregistrer ma part").tap()
    expect(page.locator(".flash-success")).to_contain_text("Votre part est enregistrée.")
    assert_fits_a_phone(page, PHONE["width"])
    return page


def test_a_group_order_from_the_link_to_the_distribution_sheet(
    page, browser, live_server, amap_week
):
    coordinator, staff, offers = amap_week
    # The coordinator opens the group order.
    log_in(page, coordinator.email)
    page.get_by_role("link", name="Commandes groupées").click()
    page.get_by_role("link", name="Ouvrir une commande groupée").click()
    page.get_by_label(re.compile("Portail de la pépinière")).check()
    page.get_by_label("Message aux membres (facultatif)").fill(
        "Distribution jeudi, salle des fêtes."
    )
    page.get_by_role("button", name="Ouvrir la commande groupée").click()
    expect(page.locator(".flash-success")).to_contain_text("partagez son lien")
    link = page.locator("#share-link").input_value()
    assert link.startswith(live_server + "/groupe/")
    expect(page.locator("img.group-qr")).to_be_visible()

    # Three members order on the link from their phones.
    lea = member_orders(
        browser,
        live_server,
        link,
        "Léa Petit",
        "lea@exemple.fr",
        {"Tomate Marmande": 4, "Basilic Grand vert": 2},
    )
    marc = member_orders(
        browser, live_server, link, "Marc Roux", "marc@exemple.fr", {"Tomate Marmande": 6}
    )
    nina = member_orders(
        browser, live_server, link, "Nina Sow", "nina@exemple.fr", {"Poireau Bleu de Solaise": 5}
    )
    expect(lea.locator("main")).to_contain_text("Sac n° 1, au nom de Léa Petit.")
    ARTIFACTS.mkdir(exist_ok=True)
    lea.screenshot(path=str(ARTIFACTS / "group-member-390.png"), full_page=True)
    # Marc changes his part, Nina cancels hers.
    marc.get_by_label("Quantité : Tomate Marmande").fill("5")
    marc.get_by_label("Quantité : Poireau Bleu de Solaise").fill("2")
    marc.get_by_role("button", name="Enregistrer mes quantités").tap()
    expect(marc.locator(".flash-success")).to_contain_text("Votre part est modifiée.")
    expect(marc.locator(".total-line")).to_contain_text(re.compile(r"Total TTC : 12,66\s€"))
    nina.get_by_role("button", name="Annuler ma part").tap()
    expect(nina.locator("main")).to_contain_text("Votre part est annulée : vous ne devez rien.")
    assert serious_violations(lea) == []

    # The coordinator sees the parts and closes the group order.
    page.reload()
    expect(page.locator("#part-1")).to_contain_text("Sac 1 — Léa Petit")
    expect(page.locator("#part-2")).to_contain_text("Sac 2 — Marc Roux")
    expect(page.locator("#part-3")).to_contain_text("Annulée")
    page.screenshot(path=str(ARTIFACTS / "group-coordinator.png"), full_page=True)
    page.get_by_label("Payé à l'AMAP").first.select_option("cheque")
    page.get_by_role("button", name="Noter").first.click()
    page.get_by_role("button", name="Clore maintenant et transmettre à la pépinière").click()
    expect(page.locator(".flash-success")).to_contain_text("Commande groupée close")
    order = db.session.scalar(select(Order))
    assert {line.product_name: line.quantity for line in order.lines} == {
        "Basilic Grand vert": 2,
        "Poireau Bleu de Solaise": 2,
        "Tomate Marmande": 9,
    }

    # Staff lower the tomatoes (a crop failed) and confirm.
    staff_context = browser.new_context(base_url=live_server, locale="fr-FR")
    staff_page = staff_context.new_page()
    log_in(staff_page, staff.email)
    staff_page.goto(f"/gestion/commandes/{order.id}")
    expect(staff_page.locator(".group-bags")).to_contain_text("Commande groupée : 2 sacs")
    staff_page.get_by_label("À remettre : Tomate Marmande").fill("7")
    staff_page.get_by_role("button", name="Enregistrer les quantités").click()
    staff_page.get_by_role("button", name="Confirmer la commande").click()
    expect(staff_page.locator(".flash-success")).to_contain_text("confirmée")
    # Latest part first: Marc's 5 tomatoes become 3, Léa keeps her 4.
    expect(staff_page.locator(".group-bags")).to_contain_text(
        re.compile(r"Sac 2, Marc Roux :\s+3\s× Tomate Marmande \(commandé : 5\)")
    )

    # The distribution sheet lists each member's bag and amount.
    response = page.request.get(page.url.split("#")[0] + "/distribution.pdf")
    assert response.headers["content-type"] == "application/pdf"
    words = pdf_words(response.body())
    assert squash("Sac 1 — Léa Petit") in words
    assert squash("Tomate Marmande godet 8 cm 4 8,44 €") in words
    assert squash("À payer à l'AMAP 11,61 €") in words  # (4 × 2,00 + 2 × 1,50) + 5,5 %
    assert squash("Sac 2 — Marc Roux") in words
    assert squash("À payer à l'AMAP 8,44 €") in words  # (3 × 2,00 + 2 × 1,00) + 5,5 %
    assert "NinaSow" not in words
    assert squash("Payé (chèque)") in words
    pdf = ARTIFACTS / "group-distribution.pdf"
    pdf.write_bytes(response.body())
    if pdftoppm := shutil.which("pdftoppm"):  # a PNG of the sheet, to look at
        png = str(ARTIFACTS / "group-distribution")
        subprocess.run([pdftoppm, "-png", "-r", "60", "-singlefile", str(pdf), png], check=True)  # noqa: S603
    assert db.session.scalar(select(GroupOrder.status)) == "closed"
    staff_context.close()
