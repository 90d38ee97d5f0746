"""A guest orders in Chromium and pays by card on the demo payment page, gets the mail, changes a
quantity; staff lower and confirm, the final amount is captured; a restaurant gets its invoice."""

import re
from datetime import date, time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from boutique.extensions import db
from boutique.models import Offer, Order, PickupPoint, PickupSlot
from boutique.outbox import send_due
from tests.browser import add_to_basket, euros, log_in, serious_violations
from tests.conftest import pdf_words

pytestmark = pytest.mark.browser


@pytest.fixture
def week_with_slots(make_category, make_product, make_week):
    plants = make_category("Plants potagers", "plants-potagers", 1)
    tomato = make_product(
        name="Tomate", variety="Cœur de bœuf", category=plants, price_individual_cents=250
    )
    leek = make_product(
        name="Poireau",
        variety="Bleu de Solaise",
        category=plants,
        unit_label="plaque de 40 mottes",
        price_individual_cents=1450,
    )
    week = make_week(
        offers=[(tomato, {"quantity_available": 10}), (leek, {"quantity_available": 4})]
    )
    gate = PickupPoint(
        name="Portail de la pépinière",
        address="Chemin des Jardins, Avignon",
        instructions="Sonnez à la grille verte.",
    )
    db.session.add(gate)
    db.session.add(
        PickupSlot(
            week=week,
            point=gate,
            day=date(2026, 12, 4),
            starts_at=time(16),
            ends_at=time(18),
            capacity=10,
            booked=0,
        )
    )
    db.session.commit()
    return {"tomato": tomato, "leek": leek}


def test_guest_orders_changes_a_quantity_and_sees_the_staff_adjustment(
    page, week_with_slots, mailbox, staff, app
):
    page.goto("/")
    add_to_basket(page, "Tomate", 3)
    add_to_basket(page, "Poireau", 1)
    page.get_by_role("link", name=re.compile("Panier")).first.click()
    expect(page.locator("tfoot")).to_contain_text(euros("22,00 €"))  # 3 × 2,50 + 14,50
    page.get_by_role("link", name="Passer commande").click()

    # The checkout form, with the keyboard-reachable labels a customer reads.
    page.get_by_label("Nom et prénom").fill("Léa Durand")
    page.get_by_label("Adresse e-mail", exact=True).fill("lea@exemple.fr")
    page.get_by_label("Téléphone").fill("06 11 22 33 44")
    page.get_by_label(re.compile("de 16:00 à 18:00")).check()
    page.get_by_label("J'accepte les conditions générales de vente").check()
    assert serious_violations(page) == []
    # One page: the lines and total, then "Commander", saying what the customer commits to.
    expect(page.locator("main")).to_contain_text("Portail de la pépinière")
    expect(page.locator("tfoot")).to_contain_text(euros("22,00 €"))
    expect(page.locator("h1")).to_have_text("Commander")
    page.get_by_role("button", name=euros("Commander et payer 22,00 €")).click()

    # No Stripe keys here: the card is authorised on the shop's clearly labelled demo page.
    expect(page.locator(".demo-banner")).to_contain_text("Mode démonstration")
    expect(page.locator("main")).to_contain_text("aucun argent n'est débité")
    assert serious_violations(page) == []
    page.get_by_role("button", name=re.compile("Autoriser")).click()

    expect(page.locator(".flash-success, .notice-success")).to_contain_text("Merci !")
    number = re.search(r"S\d{2}-\d{3}", page.locator("h1").inner_text()).group(0)
    expect(page.locator(".timeline li[aria-current=step]")).to_have_text("Reçue")
    expect(page.locator("tfoot")).to_contain_text(euros("22,00 €"))
    expect(page.locator("main")).to_contain_text(euros("Carte autorisée pour 22,00 €"))

    # The mail left through the outbox and reached the SMTP server.
    send_due()
    mails = [m for m in mailbox.messages if m["Subject"] == f"Commande {number} reçue"]
    assert len(mails) == 1 and mails[0]["To"] == "lea@exemple.fr"
    link = re.search(r"http://\S+/commande/suivi/\S+", mailbox.body(mails[0])).group(0)

    # Before the deadline the customer lowers the tomatoes from 3 to 2, from the mail's link.
    page.goto(link)
    page.get_by_label("Quantité : Tomate Cœur de bœuf").fill("2")
    page.get_by_role("button", name="Enregistrer les quantités").click()
    expect(page.locator(".flash-success")).to_have_text("Votre commande est modifiée.")
    expect(page.locator("tfoot")).to_contain_text(euros("19,50 €"))

    # Staff: the leek crop failed; lower it to 0 and confirm.
    staff_page = page.context.browser.new_context(
        base_url=page.url.split("/commande")[0], locale="fr-FR"
    ).new_page()
    log_in(staff_page, staff.email)
    staff_page.goto("/gestion/commandes")
    staff_page.get_by_role("link", name=number, exact=True).click()
    staff_page.get_by_label("À remettre : Poireau Bleu de Solaise").fill("0")
    staff_page.get_by_role("button", name="Enregistrer les quantités").click()
    expect(staff_page.locator(".flash-success")).to_contain_text("le client est prévenu")
    staff_page.get_by_role("button", name="Confirmer la commande").click()
    expect(staff_page.locator(".flash-success").first).to_contain_text(
        f"Commande {number} confirmée"
    )
    expect(staff_page.locator("main")).to_contain_text(euros("Carte débitée de 5,00 €"))
    staff_page.context.close()

    # The customer sees the new total, the confirmed state and what the card paid.
    page.goto(link)
    expect(page.locator(".timeline li[aria-current=step]")).to_have_text("Confirmée")
    expect(page.locator("tfoot")).to_contain_text(euros("5,00 €"))
    expect(page.locator(".payments-list")).to_contain_text(
        euros("Débité sur votre carte : 5,00 €")
    )
    expect(page.locator("main")).to_contain_text("Commandé : 1 — disponible : 0")
    send_due()
    subjects = [m["Subject"] for m in mailbox.messages]
    assert f"Commande {number} modifiée" in subjects and f"Commande {number} confirmée" in subjects
    order = db.session.scalar(select(Order).filter_by(number=number))
    assert [line.quantity for line in order.lines] == [2, 0] or sorted(
        line.quantity for line in order.lines
    ) == [0, 2]
    db.session.expire_all()
    reserved = {o.product_id: o.quantity_reserved for o in db.session.scalars(select(Offer))}
    assert reserved == {week_with_slots["tomato"].id: 2, week_with_slots["leek"].id: 0}


def test_restaurant_orders_on_invoice_and_downloads_the_invoice(
    page, week_with_slots, make_user, staff
):
    restaurant = make_user(kind="restaurant", organisation="Le Jardin Gourmand")
    log_in(page, restaurant.email)
    page.goto("/")
    add_to_basket(page, "Tomate", 10)
    page.get_by_role("link", name=re.compile("Panier")).first.click()
    page.get_by_role("link", name="Passer commande").click()
    # Approved professionals are offered the invoice, chosen by default; prices are excl. VAT.
    expect(page.get_by_label(re.compile("Sur facture"))).to_be_checked()
    page.get_by_label("Téléphone").fill("04 90 00 00 00")
    page.get_by_label(re.compile("de 16:00 à 18:00")).check()
    page.get_by_label("J'accepte les conditions générales de vente").check()
    page.get_by_role("button", name="Commander avec obligation de paiement sur facture").click()
    expect(page.locator(".flash-success")).to_contain_text("Merci ! Votre commande")
    number = re.search(r"S\d{2}-\d{3}", page.locator("h1").inner_text()).group(0)

    staff_page = page.context.browser.new_context(
        base_url=page.url.split("/commande")[0], locale="fr-FR"
    ).new_page()
    log_in(staff_page, staff.email)
    staff_page.goto("/gestion/commandes")
    staff_page.get_by_role("link", name=number, exact=True).click()
    staff_page.get_by_role("button", name="Confirmer la commande").click()
    expect(staff_page.locator("main")).to_contain_text("Document émis : FA-")
    staff_page.context.close()

    page.goto("/compte/commandes")
    link = page.locator("table").get_by_role("link", name=re.compile(r"^FA-\d{4}-\d{4}$"))
    invoice_number = link.inner_text()
    response = page.request.get(link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    text = pdf_words(response.body())
    assert invoice_number in text
    assert "LeJardinGourmand" in text
    assert "TomateCœurdebœuf" in text
    assert "20,05€" in text  # 10 × 1,90 € HT + 5,5 % VAT


def tab_to(page, locator, limit=150):
    """Press Tab until `locator` has the keyboard focus (fails if it never gets it)."""
    target = locator.element_handle()
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("element => document.activeElement === element", target):
            return
    raise AssertionError(f"Tab never reached {locator}")


def test_checkout_with_the_keyboard_alone(page, week_with_slots):
    page.goto("/")
    tomato = page.locator(".product-card").filter(has=page.locator("h3", has_text="Tomate"))
    tab_to(page, tomato.locator("input[name=quantity]"))
    page.keyboard.press("Control+A")
    page.keyboard.type("2")
    tab_to(page, tomato.get_by_role("button", name=re.compile("Ajouter")))
    with page.expect_response(re.compile(r"/panier/ajouter$")):
        page.keyboard.press("Enter")
    expect(page.locator(".basket-status")).to_contain_text("ajouté au panier")
    tab_to(page, page.get_by_role("link", name=re.compile("Panier")).first)
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("link", name="Passer commande"))
    page.keyboard.press("Enter")

    for label, text in (
        ("Nom et prénom", "Léa Durand"),
        ("Adresse e-mail", "lea@exemple.fr"),
        ("Téléphone", "06 11 22 33 44"),
    ):
        tab_to(page, page.get_by_label(label, exact=True))
        page.keyboard.type(text)
    slot = page.get_by_label(re.compile("de 16:00 à 18:00"))
    tab_to(page, slot)
    page.keyboard.press("Space")
    expect(slot).to_be_checked()
    tab_to(page, page.get_by_label(re.compile("Carte bancaire")))  # the group's checked radio
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label(re.compile("Paiement au retrait"))).to_be_checked()
    terms = page.get_by_label("J'accepte les conditions générales de vente")
    tab_to(page, terms)
    page.keyboard.press("Space")
    expect(terms).to_be_checked()
    # The button now says what paying on pick-up commits to.
    button = page.get_by_role("button", name="Commander avec obligation de paiement au retrait")
    tab_to(page, button)
    page.keyboard.press("Enter")
    expect(page.locator(".flash-success")).to_contain_text("Merci ! Votre commande")
    expect(page.locator("tfoot")).to_contain_text(euros("5,00 €"))
    order = db.session.scalar(select(Order))
    assert (order.contact_name, order.payment_method, order.status) == (
        "Léa Durand",
        "on_pickup",
        "placed",
    )
