"""A whole week of the shop in Chromium, from publishing the offers to the last handover.

Staff copy last week and publish; an individual orders and pays by card on the demo payment
page; a restaurant orders on invoice; a third customer is refused the last tray the first one
just took, and orders something else to pay on pick-up; staff lower a quantity and confirm
(the card is charged the final amount); they place and publish the schedule, download the
pick-up list PDF, and on a phone mark the orders collected and take the cash; the restaurant
downloads its invoice. On failure, every open page leaves a screenshot and its HTML.
"""

import re
from datetime import datetime, time, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from boutique.extensions import db
from boutique.models import Offer, Order, PickupPoint, SalesWeek, SlotTemplate
from tests.browser import ARTIFACTS, PARIS, add_to_basket, euros, grid_row, local_input, log_in
from tests.conftest import pdf_words

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
# Orders close in three days; pick-up is the day after.
PICKUP_DAY = (datetime.now(PARIS) + timedelta(days=4)).date()


@pytest.fixture
def last_week(make_category, make_product, make_week, make_user):
    vegetables = make_category("Plants potagers", position=1)
    herbs = make_category("Aromatiques", position=2)
    tomato = make_product(
        name="Tomate", variety="Cœur de bœuf", category=vegetables, price_individual_cents=250
    )
    leek = make_product(
        name="Poireau",
        variety="Bleu de Solaise",
        category=vegetables,
        unit_label="plaque de 40 mottes",
        price_individual_cents=1450,
    )
    basil = make_product(
        name="Basilic", variety="Grand vert", category=herbs, price_individual_cents=300
    )
    make_week(
        label="Semaine passée",
        opens_in=timedelta(days=-10),
        duration=timedelta(days=3),
        offers=[
            (tomato, {"quantity_available": 40}),
            (leek, {"quantity_available": 3}),
            (basil, {"quantity_available": None}),
        ],
    )
    gate = PickupPoint(name="Portail de la pépinière", address="Chemin des Jardins, Avignon")
    db.session.add(gate)
    db.session.add(
        SlotTemplate(
            point=gate,
            weekday=PICKUP_DAY.weekday(),
            starts_at=time(0, 30),
            ends_at=time(23, 30),
            capacity=20,
        )
    )
    db.session.commit()
    return make_user(kind="restaurant", organisation="Le Jardin Gourmand", email="chef@bistrot.fr")


@pytest.fixture
def pages(browser, live_server, request):
    """Open more browser tabs (each its own visitor); their state is saved on failure."""
    contexts = []

    def open_page(**options):
        context = browser.new_context(
            base_url=live_server, locale="fr-FR", timezone_id="Europe/Paris", **options
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    failures_before = request.session.testsfailed
    yield open_page
    if request.session.testsfailed > failures_before:
        ARTIFACTS.mkdir(exist_ok=True)
        for index, context in enumerate(contexts):
            for page in context.pages:
                name = f"whole-week-{index}"
                page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
                (ARTIFACTS / f"{name}.html").write_text(page.content(), encoding="utf-8")
    for context in contexts:
        context.close()


def checkout(page, name, email, payment=None):
    """From the basket to the checkout page, filled in, as a guest unless logged in (then
    "Commander" is the caller's)."""
    page.goto("/panier")
    page.get_by_role("link", name="Passer commande").click()
    if name:
        page.get_by_label("Nom et prénom").fill(name)
        page.get_by_label("Adresse e-mail", exact=True).fill(email)
    page.get_by_label("Téléphone").fill("06 11 22 33 44")
    page.get_by_label(re.compile(r"de 00:30 à 23:30")).check()
    if payment:
        page.get_by_label(re.compile(payment)).check()
    page.get_by_label("J'accepte les conditions générales de vente").check()


def order_number(page):
    return re.search(r"S\d{2}-\d{3}", page.locator("h1").inner_text()).group(0)


def test_a_whole_week(page, pages, staff, last_week):
    restaurant = last_week
    # --- Monday: staff copy last week, leave a single leek tray and publish.
    log_in(page, staff.email)
    page.goto("/gestion/semaines/nouvelle")
    # The week is named after its first pick-up day's ISO week (the form corrects the name).
    label = f"Semaine {PICKUP_DAY.isocalendar().week}"
    now = datetime.now(PARIS).replace(second=0, microsecond=0)
    page.fill("#opens_at", local_input(now - timedelta(hours=1)))
    page.fill("#closes_at", local_input(now + timedelta(days=3)))
    page.fill("#pickup_date_1", PICKUP_DAY.isoformat())
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".flash-success")).to_have_text(f"Semaine « {label} » enregistrée.")
    week_url = page.url
    page.get_by_role("button", name="Copier les disponibilités de « Semaine passée »").click()
    expect(page.locator(".flash-success")).to_contain_text("3 disponibilités copiées")
    grid_row(page, "Poireau Bleu de Solaise").locator("input[name$='-quantity']").fill("1")
    page.get_by_role("button", name="Enregistrer les disponibilités").click()
    expect(page.locator(".flash-success")).to_have_text("Disponibilités enregistrées.")
    page.get_by_role("button", name="Publier la semaine").click()
    expect(page.locator(".week-head .badge")).to_have_text("Ouverte")
    week = db.session.scalar(select(SalesWeek).where(SalesWeek.label == label))
    # The new week got its slots from the point's weekly template.
    page.goto(f"/gestion/semaines/{week.id}/creneaux")
    expect(page.locator("main")).to_contain_text("de 00:30 à 23:30")

    # --- Tuesday: two visitors want the last leek tray; Chloé has filled the form first...
    chloe = pages()
    chloe.goto("/")
    add_to_basket(chloe, "Poireau", 1)
    checkout(chloe, "Chloé Martin", "chloe@exemple.fr", payment="Paiement au retrait")

    # ...but Léa orders it (and tomatoes) and pays by card on the demo payment page.
    lea = pages()
    lea.goto("/")
    add_to_basket(lea, "Poireau", 1)
    add_to_basket(lea, "Tomate", 3)
    checkout(lea, "Léa Durand", "lea@exemple.fr")  # card is proposed first
    lea.get_by_role("button", name=euros("Commander et payer 22,00 €")).click()
    expect(lea.locator(".demo-banner")).to_contain_text("Mode démonstration")
    lea.get_by_role("button", name=re.compile("Autoriser")).click()
    expect(lea.locator("main")).to_contain_text(euros("Carte autorisée pour 22,00 €"))
    lea_number = order_number(lea)

    # Chloé's "Commander" now finds the tray gone: a clear message, her basket kept.
    chloe.get_by_role("button", name="Commander avec obligation de paiement au retrait").click()
    expect(chloe.locator(".flash-error")).to_contain_text("Corrigez votre panier avant de commander.")
    expect(chloe.locator("main")).to_contain_text("« Poireau Bleu de Solaise » est épuisé.")
    expect(chloe.locator("h1")).to_contain_text("panier", ignore_case=True)
    chloe.get_by_role("button", name=re.compile("Retirer")).click()
    chloe.goto("/")
    add_to_basket(chloe, "Basilic", 2)
    checkout(chloe, "", "", payment="Paiement au retrait")
    chloe.get_by_role("button", name="Commander avec obligation de paiement au retrait").click()
    expect(chloe.locator(".flash-success")).to_contain_text("Merci ! Votre commande")
    chloe_number = order_number(chloe)

    # The restaurant orders ten trays on invoice, at its prices excluding VAT.
    chef = pages()
    log_in(chef, restaurant.email)
    chef.goto("/")
    add_to_basket(chef, "Tomate", 10)
    checkout(chef, "", "")
    expect(chef.locator("main")).to_contain_text("Sur facture")
    chef.get_by_role("button", name="Commander avec obligation de paiement sur facture").click()
    expect(chef.locator(".flash-success")).to_contain_text("Merci ! Votre commande")
    chef_number = order_number(chef)

    # --- Thursday: a tomato tray failed; staff lower Léa's order and confirm everything.
    page.goto("/gestion/commandes")
    page.get_by_role("link", name=lea_number, exact=True).click()
    page.get_by_label("À remettre : Tomate Cœur de bœuf").fill("2")
    page.get_by_role("button", name="Enregistrer les quantités").click()
    expect(page.locator(".flash-success")).to_contain_text("le client est prévenu")
    page.get_by_role("button", name="Confirmer la commande").click()
    expect(page.locator("main")).to_contain_text(euros("Carte débitée de 19,50 €"))
    for number in (chloe_number, chef_number):
        page.goto("/gestion/commandes")
        page.get_by_role("link", name=number, exact=True).click()
        page.get_by_role("button", name="Confirmer la commande").click()
        expect(page.locator(".flash-success").first).to_contain_text(f"Commande {number} confirmée")
    expect(page.locator("main")).to_contain_text("Document émis : FA-")

    # Schedule: every order already has its slot; publish it (each customer is mailed).
    page.goto(f"/gestion/semaines/{week.id}/planning")
    page.get_by_role("button", name="Placer les commandes sans créneau").click()
    expect(page.locator("main")).to_contain_text("Toutes les commandes ont un créneau.")
    page.get_by_role("link", name="Publier le planning…").click()
    expect(page.locator("main")).to_contain_text("3 commandes seront annoncées par e-mail")
    page.get_by_role("button", name="Publier et envoyer 3 e-mails").click()
    expect(page.locator(".flash-success")).to_contain_text(
        "Planning publié : 3 e-mails envoyés."
    )

    # The pick-up list as a PDF, to print.
    page.goto(f"/gestion/semaines/{week.id}/documents")
    pdf_link = page.get_by_role("link", name=re.compile("émargement", re.I)).first
    page.goto(pdf_link.get_attribute("href"))
    pdf_url = page.get_by_role("link", name="Télécharger en PDF").get_attribute("href")
    response = page.request.get(pdf_url)
    assert response.headers["content-type"] == "application/pdf"
    text = pdf_words(response.body())
    for number in (lea_number, chloe_number, chef_number):
        assert number in text
    assert "6,00€" in text  # what Chloé pays at the gate

    # --- On a phone at the gate: hand the orders over, take Chloé's cash. The pick-up day is
    # four days ahead, so each early handover is confirmed.
    phone = pages(viewport=PHONE)
    log_in(phone, staff.email)
    day = f"/gestion/retrait?jour={PICKUP_DAY.isoformat()}"
    phone.goto(day)
    expect(phone.locator(".handover-item")).to_have_count(3)
    phone.goto(f"{day}&q={lea_number}")
    phone.locator(".handover-item").first.click()
    phone.get_by_label(re.compile("Remettre avant le jour prévu")).check()
    phone.get_by_role("button", name="Remis au client").click()
    expect(phone.locator("h1 .badge")).to_have_text("Retirée")
    phone.goto(f"{day}&q={chloe_number}")
    phone.locator(".handover-item").first.click()
    expect(phone.get_by_label("Montant encaissé (€)")).to_have_value("6,00")
    paying = phone.locator(".pay-and-collect")
    paying.get_by_label("Espèces").check()
    paying.get_by_label(re.compile("Remettre avant le jour prévu")).check()
    paying.get_by_role("button", name=euros("Encaisser 6,00 € et remettre")).click()
    expect(phone.locator("h1 .badge")).to_have_text("Retirée")
    expect(phone.locator(".amount-due")).to_contain_text(euros("Reste à payer : 0,00 €"))

    # The restaurant downloads its invoice from its account.
    chef.goto("/compte/commandes")
    invoice = chef.locator("table").get_by_role("link", name=re.compile(r"^FA-\d{4}-\d{4}$"))
    pdf = chef.request.get(invoice.get_attribute("href"))
    assert pdf.headers["content-type"] == "application/pdf"
    invoice_text = pdf_words(pdf.body())
    assert invoice.inner_text() in invoice_text and "LeJardinGourmand" in invoice_text

    # What the shop's books say at the end of the week.
    db.session.expire_all()
    orders = {o.number: o for o in db.session.scalars(select(Order))}
    assert {n: o.status for n, o in orders.items()} == {
        lea_number: "collected",
        chloe_number: "collected",
        chef_number: "confirmed",
    }
    assert [p.amount_cents for p in orders[lea_number].payments] == [1950]
    assert [(p.method, p.amount_cents) for p in orders[chloe_number].payments] == [("cash", 600)]
    reserved = {
        o.product.name: o.quantity_reserved
        for o in db.session.scalars(select(Offer).where(Offer.week_id == week.id))
    }
    assert reserved == {"Tomate": 12, "Poireau": 1, "Basilic": 2}
    page.goto(week_url)
