"""Issue 12's proof: a new nursery's first week in Chromium, from an empty database.

No demo data: the database holds only its migrated schema. The admin is created with
`flask create-staff`, as a new install does; everything else happens in the browser. The admin
creates a staff member and a gate member (each chooses a password from the welcome mail), two
categories, ten products, a pick-up point and its weekly slot, opens and publishes the week. A
restaurant registers, is approved (mail), orders once paying on pick-up and once on invoice
(whose page gives the bank details); staff take a phone order with a name and a phone only; a
visitor leaves the card payment page without paying. Staff confirm everything at once and
publish the schedule: the unpaid card order is left out of it and gets no pick-up mail. At the
gate, on a phone, the gate member takes one order's cash and hands it over with the main button,
hands another over with money due after confirming, and the day's cash is shown and, on the
pick-up day, closed. Screenshots go to test-artifacts/first-week-*.png.
"""

import re
from datetime import datetime, time, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

import boutique.models.base
import boutique.timezones
from boutique.extensions import db
from boutique.models import CashClosing, Order, OutboxMessage, User
from tests.browser import (
    ARTIFACTS,
    PARIS,
    add_to_basket,
    euros,
    grid_row,
    local_input,
    log_in,
    serious_violations,
)
from tests.conftest import TEST_PASSWORD, pdf_words

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
ADMIN = "direction@pepiniere-neuve.fr"
STAFF = "camille@pepiniere-neuve.fr"
GATE = "sam@pepiniere-neuve.fr"
CHEF = "chef@bistrot-des-halles.fr"
IBAN = "FR76 3000 6000 0112 3456 7890 189"
POINT = "Portail de la pépinière"

# (name, variety, category, unit, individual TTC, restaurant HT, AMAP HT, quantity offered)
# fmt: off
PRODUCTS = [
    ("Tomate", "Cœur de bœuf", "Plants potagers", "godet 8 cm", "2,50", "2,00", "2,00", 60),
    ("Aubergine", "Barbentane", "Plants potagers", "godet 8 cm", "2,80", "2,20", "2,20", 40),
    ("Poireau", "Bleu de Solaise", "Plants potagers", "plaque de 40 mottes", "14,50", "12,00",
     "12,00", 10),
    ("Courgette", "Verte des maraîchers", "Plants potagers", "godet 8 cm", "2,60", "2,10",
     "2,10", 30),
    ("Salade", "Batavia blonde", "Plants potagers", "plaque de 12 mottes", "4,80", "3,90",
     "3,90", 20),
    ("Poivron", "Doux d'Espagne", "Plants potagers", "godet 8 cm", "2,90", "2,30", "2,30", 30),
    ("Basilic", "Grand vert", "Aromatiques", "godet 8 cm", "3,00", "2,40", "2,40", 40),
    ("Thym", "Commun", "Aromatiques", "godet 8 cm", "3,20", "2,60", "2,60", 25),
    ("Persil", "Géant d'Italie", "Aromatiques", "godet 8 cm", "2,70", "2,20", "2,20", 25),
    ("Ciboulette", "Commune", "Aromatiques", "godet 8 cm", "2,70", "2,20", "2,20", 25),
]
# fmt: on


def shoot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"first-week-{name}.png"), full_page=True)


def mails_to(address):
    db.session.expire_all()
    return db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient == address).order_by(OutboxMessage.id)
    ).all()


def link_in_mail(address, path):
    """The link to `path` (e.g. /compte/mot-de-passe/) in the last mail to `address`."""
    for mail in reversed(mails_to(address)):
        found = re.search(rf"https?://[^\s<>\"]+{re.escape(path)}[^\s<>\")]+", mail.body_text)
        if found:
            return found.group(0)
    pytest.fail(f"no mail to {address} with a link to {path}")


def order_number(page):
    return re.search(r"S\d{2}-\d{3}", page.locator("h1").inner_text()).group(0)


def checkout(page, payment, name=None, email=None):
    """From the basket to the order, as a guest (with a name) or logged in."""
    page.goto("/panier")
    page.get_by_role("link", name="Passer commande").click()
    if name:
        page.get_by_label("Nom et prénom").fill(name)
        page.get_by_label("Adresse e-mail", exact=True).fill(email)
    page.get_by_label("Téléphone").fill("06 11 22 33 44")
    page.get_by_label(re.compile(r"de 09:00 à 19:00")).check()
    page.get_by_label(re.compile(payment)).check()
    terms = page.get_by_label("J'accepte les conditions générales de vente")
    if terms.count():  # an account accepts them once (per CGV version)
        terms.check()
    else:
        expect(page.locator(".terms-known")).to_contain_text("Vous avez déjà accepté")
    page.get_by_role("button", name=re.compile("^Commander")).click()


def choose_password(page, email):
    """A new team member follows the welcome mail's link and chooses a password."""
    page.goto(link_in_mail(email, "/compte/mot-de-passe/"))
    page.get_by_label("Nouveau mot de passe").fill(TEST_PASSWORD)
    page.get_by_label("Confirmer le mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".flash-success")).to_contain_text("Votre mot de passe est changé.")


def move_clock_to(monkeypatch, moment):
    """The shop's clock (utcnow and today) at `moment`, ticking on from there."""
    shift = moment - datetime.now(moment.tzinfo)

    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.now(tz) + shift

    monkeypatch.setattr(boutique.models.base, "datetime", Clock)
    monkeypatch.setattr(boutique.timezones, "datetime", Clock)


@pytest.fixture
def pages(browser, live_server, request):
    """More browser tabs, each its own visitor; their state is saved on failure."""
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
            for tab in context.pages:
                name = f"first-week-failed-{index}"
                tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
                (ARTIFACTS / f"{name}.html").write_text(tab.content(), encoding="utf-8")
    for context in contexts:
        context.close()


def test_a_new_nurserys_first_week(app, page, pages, monkeypatch):
    now = datetime.now(PARIS).replace(second=0, microsecond=0)
    pickup_day = (now + timedelta(days=4)).date()
    assert db.session.scalars(select(User)).first() is None  # an empty database

    # --- The install: the first admin account, from the command line.
    result = app.test_cli_runner().invoke(
        args=["create-staff", ADMIN, "--role", "admin", "--password", TEST_PASSWORD]
    )
    assert result.exit_code == 0, result.output
    assert f"Staff account {ADMIN} (admin) ready." in result.output

    # --- 1. The admin sets the shop up in the browser.
    admin = page
    log_in(admin, ADMIN)
    admin.goto("/gestion/comptes")
    for email, first_name, last_name, role in (
        (STAFF, "Camille", "Moreau", "Équipe"),
        (GATE, "Sam", "Girard", "Accueil (retraits seulement)"),
    ):
        admin.get_by_label("Adresse e-mail").fill(email)
        admin.get_by_label("Prénom").fill(first_name)
        admin.get_by_label("Nom", exact=True).fill(last_name)
        admin.get_by_label("Rôle", exact=True).select_option(label=role)
        admin.get_by_role("button", name="Créer le compte").click()
        expect(admin.locator(".flash-success")).to_contain_text(
            f"Compte de {email} créé : un lien pour choisir son mot de passe lui est envoyé."
        )
    expect(admin.locator("main table")).to_contain_text(STAFF)
    expect(admin.locator("main table")).to_contain_text(GATE)
    shoot(admin, "1-accounts")

    admin.goto("/gestion/produits/nouveau")
    expect(admin.locator("main")).to_contain_text("Créez d'abord une catégorie")
    admin.goto("/gestion/categories")
    for name in ("Plants potagers", "Aromatiques"):
        admin.get_by_label("Nom de la catégorie").fill(name)
        admin.get_by_role("button", name="Créer la catégorie").click()
        expect(admin.locator(".flash-success")).to_have_text(f"Catégorie « {name} » créée.")

    for name, variety, category, unit, individual, restaurant, amap, _ in PRODUCTS:
        admin.goto("/gestion/produits")
        admin.get_by_role("link", name="Nouveau produit").click()
        admin.get_by_label("Nom", exact=True).fill(name)
        admin.get_by_label("Variété").fill(variety)
        admin.get_by_label("Catégorie").select_option(label=category)
        admin.get_by_label("Unité de vente").fill(unit)
        admin.get_by_label("Prix particulier TTC (€)").fill(individual)
        admin.get_by_label("Prix restaurant HT (€)").fill(restaurant)
        admin.get_by_label("Prix AMAP HT (€)").fill(amap)
        admin.get_by_role("button", name="Enregistrer").click()
        expect(admin.locator(".flash-success")).to_have_text(
            f"Produit « {name} {variety} » enregistré."
        )
    admin.goto("/gestion/produits")
    expect(admin.locator("main tbody tr")).to_have_count(len(PRODUCTS))

    admin.goto("/gestion/points")
    admin.get_by_role("link", name="Nouveau point de retrait").click()
    admin.get_by_label("Nom", exact=True).fill(POINT)
    admin.get_by_label("Adresse").fill("Chemin des Jardins, Avignon")
    admin.get_by_role("button", name="Enregistrer").click()
    expect(admin.locator(".flash-success")).to_have_text(
        f"Point de retrait « {POINT} » enregistré."
    )
    weekday = admin.get_by_label("Jour", exact=True)
    weekday.select_option(value=str(pickup_day.weekday()))
    admin.get_by_label("Début").fill("09:00")
    admin.get_by_label("Fin", exact=True).fill("19:00")
    admin.get_by_label("Capacité (nombre de commandes)").fill("20")
    admin.get_by_role("button", name="Ajouter le modèle").click()
    expect(admin.locator(".flash-success")).to_contain_text(f"ajouté à « {POINT} »")

    # The week: ordering open now for three days, pick-up the day after.
    admin.goto("/gestion/semaines/nouvelle")
    label = f"Semaine {pickup_day.isocalendar().week}"
    admin.fill("#opens_at", local_input(now - timedelta(hours=1)))
    admin.fill("#closes_at", local_input(now + timedelta(days=3)))
    admin.fill("#pickup_date_1", pickup_day.isoformat())
    admin.get_by_role("button", name="Enregistrer").click()
    expect(admin.locator(".flash-success")).to_have_text(f"Semaine « {label} » enregistrée.")
    expect(admin.locator(".flash-info").last).to_have_text(
        "1 créneau de retrait créé depuis les modèles."
    )
    week_id = int(re.search(r"/semaines/(\d+)", admin.url).group(1))
    for name, variety, *_, quantity in PRODUCTS:
        row = grid_row(admin, f"{name} {variety}")
        row.locator("input[name$='-offered']").check()
        row.locator("input[name$='-quantity']").fill(str(quantity))
    admin.get_by_role("button", name="Enregistrer les disponibilités").click()
    expect(admin.locator(".flash-success")).to_have_text("Disponibilités enregistrées.")
    admin.get_by_role("button", name="Publier la semaine").click()
    expect(admin.locator(".week-head .badge")).to_have_text("Ouverte")
    shoot(admin, "1-week-grid")
    admin.goto(f"/gestion/semaines/{week_id}/creneaux")
    expect(admin.locator("main")).to_contain_text("de 09:00 à 19:00")

    # The new team members choose their passwords from the welcome mail.
    staff = pages()
    choose_password(staff, STAFF)
    gate = pages(viewport=PHONE)
    choose_password(gate, GATE)

    # The shop shows the week to visitors.
    visitor = pages()
    visitor.goto("/")
    expect(visitor.locator(".product-card")).to_have_count(len(PRODUCTS))
    shoot(visitor, "1-shop")

    # --- 2. A restaurant registers; the admin approves it; it orders.
    chef = pages()
    chef.goto("/compte/inscription")
    chef.get_by_label("Restaurant", exact=True).check()
    chef.get_by_label("Prénom").fill("Paul")
    chef.get_by_label("Nom", exact=True).fill("Roux")
    chef.get_by_label("Adresse e-mail").fill(CHEF)
    chef.get_by_label("Téléphone").fill("04 90 11 22 33")
    chef.get_by_label("Nom de l'établissement ou de l'AMAP").fill("Le Bistrot des Halles")
    chef.get_by_label("SIRET (14 chiffres)").fill("55208131766522")
    chef.get_by_label("Adresse", exact=True).fill("12 place Pie")
    chef.get_by_label("Code postal").fill("84000")
    chef.get_by_label("Ville").fill("Avignon")
    chef.get_by_label("Mot de passe", exact=True).fill(TEST_PASSWORD)
    chef.get_by_label("Confirmer le mot de passe").fill(TEST_PASSWORD)
    chef.get_by_role("button", name="Créer mon compte").click()
    expect(chef.locator("main")).to_contain_text(CHEF)
    chef.goto(link_in_mail(CHEF, "/compte/verification/"))
    expect(chef.locator(".flash-success")).to_contain_text("Votre adresse e-mail est confirmée.")

    admin.goto("/gestion/professionnels")
    admin.get_by_role("button", name="Valider Le Bistrot des Halles").click()
    expect(admin.locator(".flash-success")).to_contain_text(
        "Compte « Le Bistrot des Halles » validé"
    )
    approved = [m.subject for m in mails_to(CHEF) if "validé" in m.subject]
    assert approved == ["Votre compte professionnel sur La Pépinière est validé"]

    log_in(chef, CHEF)
    chef.goto("/")
    add_to_basket(chef, "Tomate", 10)
    checkout(chef, "Paiement au retrait")
    expect(chef.locator(".flash-success")).to_contain_text("Merci ! Votre commande")
    chef_number = order_number(chef)
    chef_order_url = chef.url
    chef.goto("/")
    add_to_basket(chef, "Poireau", 1)
    checkout(chef, "Sur facture")
    expect(chef.locator(".flash-success")).to_contain_text("Merci ! Votre commande")
    chef_invoice_number = order_number(chef)
    chef_invoice_url = chef.url

    # --- 3. Staff take a phone order: a name and a phone, no email.
    log_in(staff, STAFF)
    staff.goto("/gestion/commandes")
    staff.get_by_role("link", name="Saisir une commande (téléphone)").click()
    staff.get_by_label("Nom du client").fill("Jeanne Bonnet")
    staff.get_by_label("Téléphone", exact=True).fill("04 90 55 66 77")
    staff.get_by_label("Poireau Bleu de Solaise").fill("2")
    staff.get_by_label("Basilic Grand vert").fill("1")
    staff.get_by_label("Paiement", exact=True).select_option(value="on_pickup")
    staff.get_by_role("button", name="Enregistrer la commande").click()
    expect(staff.locator(".flash-success")).to_contain_text("enregistrée pour Jeanne Bonnet.")
    phone_number = order_number(staff)
    expect(staff.locator("main")).to_contain_text(
        "Pas d'e-mail : le client n'est prévenu de rien, appelez-le."
    )
    shoot(staff, "3-phone-order")

    # --- 4. A visitor starts paying by card and leaves the payment page without paying.
    hugo = pages()
    hugo.goto("/")
    add_to_basket(hugo, "Basilic", 3)
    checkout(hugo, "Carte bancaire en ligne", name="Hugo Martin", email="hugo@exemple.fr")
    expect(hugo.locator(".demo-banner")).to_contain_text("Mode démonstration")
    hugo.get_by_role("button", name="Revenir sans payer").click()
    card_number = order_number(hugo)
    expect(hugo.locator("main")).to_contain_text("En attente de paiement")
    shoot(hugo, "4-card-abandoned")

    # --- 5. Staff confirm every order at once.
    staff.goto("/gestion/commandes")
    staff.get_by_role("link", name="Tout sélectionner").click()
    staff.get_by_role("button", name="Confirmer les commandes cochées").click()
    confirmed = sorted([chef_number, chef_invoice_number, phone_number])
    expect(staff.locator(".flash-success")).to_have_text(
        f"Commandes confirmées : {', '.join(confirmed)}."
    )
    shoot(staff, "5-orders-confirmed")
    db.session.expire_all()
    statuses = {o.number: o.status for o in db.session.scalars(select(Order))}
    assert statuses == {
        chef_number: "confirmed",
        chef_invoice_number: "confirmed",
        phone_number: "confirmed",
        card_number: "pending_payment",
    }

    # The restaurant's invoices: one for the order paid on pick-up, one with the bank details.
    chef.goto(chef_order_url)
    invoice_link = chef.get_by_role("link", name=re.compile(r"^Facture FA-\d{4}-\d{4} \(PDF\)$"))
    expect(invoice_link).to_have_count(1)
    expect(chef.locator("main")).not_to_contain_text(IBAN)
    pdf = chef.request.get(invoice_link.get_attribute("href"))
    assert pdf.headers["content-type"] == "application/pdf"
    pdf_text = pdf_words(pdf.body())
    invoice_number = re.search(r"FA-\d{4}-\d{4}", invoice_link.inner_text()).group(0)
    assert invoice_number in pdf_text and "LeBistrotdesHalles" in pdf_text
    shoot(chef, "5-pickup-order")
    chef.goto(chef_invoice_url)
    expect(chef.locator("main")).to_contain_text(IBAN)
    expect(chef.locator("main")).to_contain_text("Référence du virement")
    shoot(chef, "5-invoice-order")

    # --- 6. Staff place the phone order and publish the schedule.
    staff.goto(f"/gestion/semaines/{week_id}/planning")
    staff.get_by_role("button", name="Placer les commandes sans créneau").click()
    expect(staff.locator("main")).to_contain_text("Toutes les commandes ont un créneau.")
    slots = staff.locator(".schedule-point")
    for number in (chef_number, chef_invoice_number, phone_number):
        expect(slots).to_contain_text(number)
    expect(slots).not_to_contain_text(card_number)
    staff.get_by_role("link", name="Publier le planning…").click()
    expect(staff.locator("main")).to_contain_text("1 client n'a pas d'e-mail : appelez-le.")
    shoot(staff, "6-publish-confirm")
    staff.get_by_role("button", name=re.compile(r"^Publier")).click()
    expect(staff.locator(".flash-success")).to_contain_text("Planning publié : ")
    expect(staff.locator(".flash-success")).to_contain_text(
        f"À appeler (pas d'e-mail) : {phone_number} Jeanne Bonnet 04 90 55 66 77."
    )
    expect(staff.locator(".schedule-point")).not_to_contain_text(card_number)
    subjects = [m.subject for m in mails_to("hugo@exemple.fr")]
    assert f"Retrait de votre commande {card_number}" not in subjects
    assert f"Retrait de votre commande {chef_number}" in [m.subject for m in mails_to(CHEF)]

    # --- 7. At the gate, on a phone: the gate member lands on the next pick-up day.
    log_in(gate, GATE)
    gate.goto("/gestion/retrait")
    expect(gate.locator("h1")).to_contain_text("Retraits du")
    items = gate.locator(".handover-item")
    expect(items).to_have_count(3)
    expect(gate.locator("main")).not_to_contain_text(card_number)
    shoot(gate, "7-gate-day")

    # Jeanne pays cash: the main button takes it and hands the order over (a day early: confirmed).
    items.filter(has_text=phone_number).click()
    expect(gate.get_by_label("Montant encaissé (€)")).to_have_value("32,00")
    assert serious_violations(gate) == []
    shoot(gate, "7-gate-card")
    gate.get_by_label("Espèces").check()
    paying = gate.locator(".pay-and-collect")
    paying.get_by_label(re.compile("Remettre avant le jour prévu")).check()
    paying.get_by_role("button", name=euros("Encaisser 32,00 € et remettre")).click()
    expect(gate.locator(".flash-success")).to_contain_text(
        euros(f"Commande {phone_number} : 32,00 € encaissés (Espèces)")
    )
    expect(gate.locator("h1 .badge")).to_have_text("Retirée")

    # The restaurant will pay later: handing over with money due needs the box ticked.
    gate.locator(".back-link a").click()
    items.filter(has_text=chef_number).click()
    due = gate.get_by_label("Montant encaissé (€)").input_value()
    unpaid = gate.get_by_role("button", name="Remettre sans encaisser")
    unpaid.click()  # nothing is sent until the box is ticked
    expect(gate.locator("h1 .badge")).to_have_text("Confirmée")
    assert gate.locator("#confirm_due").evaluate("box => !box.validity.valid")
    gate.get_by_label(euros(f"Remettre sans encaisser {due} €")).check()
    gate.locator("#confirm_early-unpaid").check()
    unpaid.click()
    expect(gate.locator(".flash-info")).to_contain_text(
        euros(f"sans encaisser : {due} € restent dus.")
    )
    gate.locator(".back-link a").click()
    expect(items.filter(has_text=chef_number)).to_contain_text(euros(f"remis, {due} € dû"))

    # The day's cash: the totals now; closing waits for the pick-up day itself.
    gate.get_by_role("link", name=re.compile(f"Caisse du jour — {POINT}")).click()
    expect(gate.locator("h1")).to_contain_text("Caisse du")

    def figure(label):
        term = gate.locator("dt", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
        return gate.locator(".cash-totals > div").filter(has=term).locator("dd")

    expect(figure("Espèces")).to_have_text(euros("32,00 €"))
    expect(figure("Total encaissé")).to_have_text(euros("32,00 €"))
    expect(figure("Remises avec un reste dû")).to_have_text(euros(f"1 commande {due} €"))
    shoot(gate, "7-cash-open")
    expect(gate.locator(".cash-close")).to_contain_text("La caisse pourra être close à partir du")
    expect(gate.get_by_role("button", name="Clore la caisse du jour")).to_have_count(0)

    # The pick-up day's evening: the cash is counted and closed.
    move_clock_to(monkeypatch, datetime.combine(pickup_day, time(19, 30), PARIS))
    gate.reload()
    gate.get_by_label("Espèces comptées dans la caisse (€)").fill("32,00")
    gate.get_by_role("button", name="Clore la caisse du jour").click()
    expect(gate.locator(".flash-success")).to_contain_text(f"close ({POINT})")
    expect(gate.locator(".cash-closed")).to_contain_text("Caisse close le")
    expect(gate.get_by_role("button", name="Clore la caisse du jour")).to_have_count(0)
    shoot(gate, "7-cash-closed")

    closing = db.session.scalars(select(CashClosing)).one()
    assert closing.day == pickup_day and closing.counted_cash_cents == 3200
    assert closing.totals["cash"] == 3200
    db.session.expire_all()
    orders = {o.number: o for o in db.session.scalars(select(Order))}
    assert orders[phone_number].status == "collected"
    assert orders[phone_number].amount_due_cents == 0
    assert orders[chef_number].status == "collected"
    assert orders[chef_number].amount_due_cents == closing.totals["collected_due"] > 0
    assert orders[card_number].status in ("pending_payment", "expired")
