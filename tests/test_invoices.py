import shutil
import subprocess
from datetime import date, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from boutique.extensions import db
from boutique.models import (
    Invoice,
    Offer,
    Order,
    OutboxMessage,
    Payment,
    PickupPoint,
    PickupSlot,
)
from boutique.ordering.services import (
    Contact,
    cancel_order,
    confirm_order,
    lower_quantities,
    place_order,
)
from boutique.payments.invoices import (
    InvoiceError,
    invoice_pdf,
    mark_paid,
    overdue_invoices,
    request_invoice,
)
from boutique.pickup.handover import record_payment
from boutique.pricing import order_totals
from boutique.timezones import shop_today
from tests.conftest import page_text, pdf_words

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PICKUP_DAY = date(2026, 12, 4)


@pytest.fixture
def shop(make_product, make_week, make_user):
    tomato = make_product(name="Tomate", variety="Cerise", price_restaurant_cents=190)
    dahlia = make_product(
        name="Dahlia",
        variety="Café au lait",
        unit_label="pot 1 L",
        vat_rate_bp=2000,
        price_restaurant_cents=400,
    )
    unlimited = {"quantity_available": None}
    week = make_week(offers=[(tomato, unlimited), (dahlia, unlimited)])
    gate = PickupPoint(name="Portail", address="Chemin des Jardins")
    slot = PickupSlot(
        week=week,
        point=gate,
        day=PICKUP_DAY,
        starts_at=time(16),
        ends_at=time(18),
        capacity=50,
        booked=0,
    )
    db.session.add_all([gate, slot])
    db.session.commit()
    offers = {o.product_id: o for o in db.session.scalars(select(Offer))}
    return {
        "week": week,
        "tomato": offers[tomato.id],
        "dahlia": offers[dahlia.id],
        "slot": slot,
        "restaurant": make_user(kind="restaurant", organisation="Le Jardin Gourmand"),
        "amap": make_user(kind="amap", organisation="AMAP des Remparts", siret="51234567800012"),
    }


def invoice_order(shop, customer=None, tomatoes=10, dahlias=3, method="invoice"):
    customer = customer or shop["restaurant"]
    order = place_order(
        week=shop["week"],
        items={shop["tomato"].id: tomatoes, shop["dahlia"].id: dahlias},
        slot_id=shop["slot"].id,
        payment_method=method,
        # As the checkout names a business's order: "Le Jardin Gourmand (Camille Martin)".
        contact=Contact(
            f"{customer.organisation} (Camille Martin)" if customer.organisation else "Camille Martin",
            customer.email,
        ),
        kind=customer.price_kind,
        customer=customer,
        checkout_token=f"token-{customer.id}-{tomatoes}-{dahlias}-{method}",
    )
    db.session.commit()
    return order


def confirmed(order, staff):
    confirm_order(order, staff)
    db.session.commit()
    return order


def documents(order):
    return db.session.scalars(
        select(Invoice).where(Invoice.order_id == order.id).order_by(Invoice.id)
    ).all()




def lines_of(order):
    return {line.offer_id: line.id for line in order.lines}


# --- Issuing and numbering ------------------------------------------------------------------------


def test_confirming_invoice_orders_numbers_invoices_without_gaps(shop, staff, make_user):
    year = shop_today().year
    first = confirmed(invoice_order(shop), staff)
    second = invoice_order(shop, shop["amap"])
    third = invoice_order(shop, make_user(kind="restaurant"))

    # A transaction that issues an invoice and then fails gives its number back.
    confirm_order(second, staff)
    assert documents(second)[0].number == f"FA-{year}-0002"
    db.session.rollback()
    assert documents(second) == []

    confirmed(third, staff)
    confirmed(second, staff)
    assert [d.number for d in documents(first)] == [f"FA-{year}-0001"]
    assert [d.number for d in documents(third)] == [f"FA-{year}-0002"]
    assert [d.number for d in documents(second)] == [f"FA-{year}-0003"]
    invoice = documents(first)[0]
    assert (invoice.kind, invoice.year, invoice.sequence) == ("invoice", year, 1)
    assert invoice.sale_date == PICKUP_DAY
    assert invoice.due_date == shop_today() + timedelta(days=30)
    assert invoice.buyer_organisation == "Le Jardin Gourmand"
    assert invoice.buyer_siren == "732829320"
    assert (invoice.net_cents, invoice.vat_cents, invoice.gross_cents) == (3100, 345, 3445)
    assert [(r["rate_bp"], r["vat_cents"]) for r in invoice.by_rate] == [(550, 105), (2000, 240)]


def test_first_invoice_of_the_year_rolled_back_leaves_no_gap(shop, staff):
    year = shop_today().year
    order = invoice_order(shop)
    confirm_order(order, staff)
    db.session.rollback()
    confirmed(db.session.get(Order, order.id), staff)
    assert [d.number for d in documents(order)] == [f"FA-{year}-0001"]


def test_a_professional_paying_on_pickup_gets_an_invoice_paid_at_the_gate(shop, staff, client):
    order = confirmed(invoice_order(shop, method="on_pickup"), staff)
    page = page_text(client.get(f"/commande/suivi/{order.access_token}"))
    assert "à régler au retrait" in page and "par virement" not in page

    (invoice,) = documents(order)
    assert invoice.payment_method == "on_pickup"
    assert invoice.due_date == max(PICKUP_DAY, shop_today())  # at pick-up, not in 30 days
    assert invoice.gross_cents == 3445 and invoice.seller_iban == ""  # no transfer asked
    text = pdf_words(invoice_pdf(invoice))
    assert "Àréglerauretraitdelacommande" in text and "IBAN" not in text

    record_payment(order, staff, "cash", 3000)  # part of it: still to pay
    db.session.commit()
    assert documents(order)[0].paid_at is None
    record_payment(order, staff, "cheque", 445)
    db.session.commit()
    invoice = documents(order)[0]
    assert invoice.paid_at is not None and invoice.payment_reference == order.number


def test_an_individual_gets_no_invoice_unless_asked_then_one_with_prices_including_vat(
    shop, staff, make_user
):
    person = make_user()
    order = confirmed(invoice_order(shop, customer=person, method="on_pickup"), staff)
    assert documents(order) == []

    invoice = request_invoice(order, "  Camille   Martin ", "3 rue Basse, 84000 Avignon")
    db.session.commit()

    assert documents(order) == [invoice]
    assert (invoice.buyer_name, invoice.buyer_address) == (
        "Camille Martin",
        "3 rue Basse, 84000 Avignon",
    )
    assert invoice.prices_include_vat is True
    assert invoice.gross_cents == order_totals(order).gross_cents  # what the customer pays
    text = pdf_words(invoice_pdf(invoice))
    assert "PrixunitaireTTC" in text and "Indemnitéforfaitaire" not in text
    with pytest.raises(InvoiceError, match="déjà sa facture"):
        request_invoice(order, "Camille Martin", "3 rue Basse")


def test_an_invoice_asked_before_confirmation_is_issued_at_confirmation(shop, staff, make_user):
    order = invoice_order(shop, customer=make_user(), method="card")
    order.status = "placed"  # the card is authorised
    db.session.commit()
    assert request_invoice(order, "Camille Martin", "3 rue Basse, 84000 Avignon") is None
    db.session.commit()
    assert documents(order) == []

    confirmed(order, staff)

    (invoice,) = documents(order)
    assert invoice.buyer_name == "Camille Martin" and invoice.payment_method == "card"


@pytest.mark.parametrize(
    ("name", "address", "message"),
    [("", "3 rue Basse", "Indiquez le nom"), ("Camille", "  ", "Indiquez le nom"),
     ("C" * 161, "3 rue Basse", "trop long")],
)
def test_an_invoice_request_without_a_name_and_address_is_refused(
    shop, staff, make_user, name, address, message
):
    order = confirmed(invoice_order(shop, customer=make_user(), method="on_pickup"), staff)
    with pytest.raises(InvoiceError, match=message):
        request_invoice(order, name, address)
    db.session.rollback()
    assert db.session.get(Order, order.id).billing_name == ""


def test_invoice_takes_the_quantities_lowered_before_confirmation(shop, staff):
    order = invoice_order(shop)
    lines = lines_of(order)
    lower_quantities(order, {lines[shop["tomato"].id]: 4}, staff)
    db.session.commit()
    assert documents(order) == []  # no invoice before confirmation, so no credit note
    confirmed(order, staff)
    (invoice,) = documents(order)
    assert [(li["name"], li["quantity"]) for li in invoice.lines] == [
        ("Tomate Cerise", 4),
        ("Dahlia Café au lait", 3),
    ]
    assert invoice.net_cents == 4 * 190 + 3 * 400


def test_an_issued_invoice_cannot_be_changed(shop, staff):
    order = confirmed(invoice_order(shop), staff)
    invoice = documents(order)[0]
    invoice.gross_cents = 1
    with pytest.raises(ValueError, match="issued"):
        db.session.flush()
    db.session.rollback()
    assert documents(order)[0].gross_cents == 3445


# --- Credit notes ---------------------------------------------------------------------------------


def test_lowering_after_confirmation_issues_a_credit_note_for_the_difference(shop, staff):
    year = shop_today().year
    order = confirmed(invoice_order(shop), staff)
    lines = lines_of(order)
    lower_quantities(order, {lines[shop["tomato"].id]: 6, lines[shop["dahlia"].id]: 3}, staff)
    db.session.commit()

    invoice, note = documents(order)
    assert note.number == f"AV-{year}-0001"
    assert note.kind == "credit_note" and note.credit_note_of_id == invoice.id
    assert [(li["name"], li["quantity"]) for li in note.lines] == [("Tomate Cerise", 4)]
    assert (note.net_cents, note.vat_cents, note.gross_cents) == (760, 42, 802)
    # The invoice is as issued.
    assert invoice.number == f"FA-{year}-0001"
    assert [li["quantity"] for li in invoice.lines] == [10, 3]
    assert invoice.gross_cents == 3445

    text = pdf_words(invoice_pdf(note))
    assert f"Avoir{note.number}" in text
    assert f"AvoirsurlafactureFA-{year}-0001" in text


def test_cancelling_after_confirmation_credits_what_is_left(shop, staff):
    year = shop_today().year
    order = confirmed(invoice_order(shop), staff)
    lines = lines_of(order)
    lower_quantities(order, {lines[shop["tomato"].id]: 7}, staff)
    cancel_order(order, staff, reason="Restaurant fermé")
    db.session.commit()

    invoice, lowered, cancelled = documents(order)
    assert [d.number for d in (lowered, cancelled)] == [f"AV-{year}-0001", f"AV-{year}-0002"]
    assert [(li["name"], li["quantity"]) for li in cancelled.lines] == [
        ("Tomate Cerise", 7),
        ("Dahlia Café au lait", 3),
    ]
    assert lowered.gross_cents + cancelled.gross_cents == invoice.gross_cents
    assert lowered.vat_cents + cancelled.vat_cents == invoice.vat_cents


def test_cancelling_a_confirmed_order_credits_the_whole_invoice(shop, staff):
    order = confirmed(invoice_order(shop), staff)
    cancel_order(order, staff, reason="Erreur")
    db.session.commit()
    invoice, note = documents(order)
    assert note.lines == invoice.lines
    assert note.by_rate == invoice.by_rate
    assert overdue_invoices(invoice.due_date + timedelta(days=1)) == []


# --- PDF ------------------------------------------------------------------------------------------


def test_invoice_pdf_has_the_legal_mentions(shop, staff, staff_client):
    year = shop_today().year
    order = confirmed(invoice_order(shop), staff)
    invoice = documents(order)[0]
    response = staff_client.get(f"/gestion/factures/{invoice.id}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = pdf_words(response.data)
    for expected in (
        f"FactureFA-{year}-0001",
        "AssociationLaPépinière",
        "SIRET:12345678900011",
        "N°TVAintracommunautaire:FR32123456789",
        "LeJardinGourmand",
        "CamilleMartin",
        "1rueHaute",
        "84000Avignon",
        "SIREN:732829320",
        "Datedelavente:4décembre2026",
        f"Échéance:{invoice.due_date.day}",
        "TomateCerise",
        "1,90€",
        "19,00€",
        "5,5%19,00€1,05€",  # VAT per rate: base and amount
        "20%12,00€2,40€",
        "TotalHT31,00€",
        "TotalTVA3,45€",
        "TotalTTCàpayer34,45€",
        "Pénalitésderetard:troisfoisletauxd'intérêtlégal",
        "Indemnitéforfaitairepourfraisderecouvrement:40€",
        f"enindiquantlaréférenceFA-{year}-0001",
        "TitulaireducompteAssociationLaPépinière",
        "IBANFR7630006000011234567890189",
        "BICAGRIFRPP",
        f"RéférenceduvirementFA-{year}-0001",
    ):
        assert expected in text, expected
    assert "TVAnonapplicable" not in text
    assert text.count("CamilleMartin") == 1  # the buyer's name, once
    assert text.count("LeJardinGourmand") == 1 and "Àl'attentiondeCamilleMartin" in text
    # Rendered from the frozen snapshot: the same document every time.
    assert staff_client.get(f"/gestion/factures/{invoice.id}.pdf").data == response.data


def test_vat_exemption_is_printed_when_the_seller_has_no_vat_number(app, shop, staff):
    app.config.update(
        SELLER_VAT_NUMBER="", SELLER_VAT_EXEMPTION="TVA non applicable, art. 293 B du CGI"
    )
    order = confirmed(invoice_order(shop), staff)
    text = pdf_words(invoice_pdf(documents(order)[0]))
    assert "TVAnonapplicable,art.293BduCGI" in text
    assert "intracommunautaire" not in text


def test_invoice_pdf_rendered_to_png_for_review(shop, staff):
    """Keeps an invoice and its first page as PNG in test-artifacts/ to look at."""
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    ARTIFACTS.mkdir(exist_ok=True)
    order = confirmed(invoice_order(shop), staff)
    lower_quantities(order, {lines_of(order)[shop["tomato"].id]: 6}, staff)
    db.session.commit()
    for name, document in zip(("invoice", "credit-note"), documents(order), strict=True):
        target = ARTIFACTS / f"{name}.pdf"
        target.write_bytes(invoice_pdf(document))
        subprocess.run(  # noqa: S603  (fixed arguments)
            [pdftoppm, "-png", "-r", "70", str(target), str(ARTIFACTS / name)], check=True
        )
        assert list(ARTIFACTS.glob(f"{name}-*.png"))


# --- Staff: list, payment, overdue ----------------------------------------------------------------


def test_staff_marks_an_invoice_paid_with_the_transfer_reference(shop, staff, staff_client):
    order = confirmed(invoice_order(shop), staff)
    invoice = documents(order)[0]
    assert invoice.number in page_text(staff_client.get("/gestion/factures?statut=a_payer"))

    response = staff_client.post(
        f"/gestion/factures/{invoice.id}/payee", data={"reference": "VIR 2026-12-10 JARDIN"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    invoice = db.session.get(Invoice, invoice.id)
    assert invoice.paid_at is not None and invoice.paid_by_id == staff.id
    assert invoice.payment_reference == "VIR 2026-12-10 JARDIN"
    payment = db.session.scalar(select(Payment).where(Payment.order_id == order.id))
    assert (payment.method, payment.amount_cents) == ("transfer", 3445)

    paid = page_text(staff_client.get("/gestion/factures?statut=payees"))
    assert invoice.number in paid and "VIR 2026-12-10 JARDIN" in paid
    assert invoice.number not in page_text(staff_client.get("/gestion/factures?statut=a_payer"))
    order_page = page_text(staff_client.get(f"/gestion/commandes/{order.id}"))
    assert f"Facture {invoice.number} (PDF)" in order_page
    assert "payée par virement (VIR 2026-12-10 JARDIN)" in order_page

    # Twice: refused with a message, nothing recorded again.
    response = staff_client.post(
        f"/gestion/factures/{invoice.id}/payee",
        data={"reference": "encore"},
        follow_redirects=True,
    )
    assert "est déjà payée" in page_text(response)
    assert len(db.session.scalars(select(Payment)).all()) == 1


def test_marking_paid_needs_a_reference(shop, staff, staff_client):
    invoice = documents(confirmed(invoice_order(shop), staff))[0]
    response = staff_client.post(
        f"/gestion/factures/{invoice.id}/payee", data={"reference": "  "}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "Indiquez la référence du virement." in page_text(response)
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).paid_at is None
    with pytest.raises(InvoiceError):
        mark_paid(invoice, staff, "x" * 121)


def test_overdue_invoices_are_listed_after_their_due_date(shop, staff, staff_client):
    invoice = documents(confirmed(invoice_order(shop), staff))[0]
    assert overdue_invoices(invoice.due_date) == []
    assert overdue_invoices(invoice.due_date + timedelta(days=1)) == [invoice]
    assert invoice.number not in page_text(staff_client.get("/gestion/factures?statut=en_retard"))

    db.session.execute(update(Invoice).values(due_date=shop_today() - timedelta(days=1)))
    db.session.commit()
    late = page_text(staff_client.get("/gestion/factures?statut=en_retard"))
    assert invoice.number in late and "en retard" in late
    assert 'class="overdue"' in staff_client.get("/gestion/factures").get_data(as_text=True)
    unknown = staff_client.get("/gestion/factures?statut=bidon", follow_redirects=True)
    assert unknown.status_code == 200 and "Filtre inconnu" in page_text(unknown)


# --- The customer's side: transfer details, asking for an invoice --------------------------------


def test_the_order_page_and_the_confirmation_mail_give_the_transfer_details(
    shop, staff, client
):
    order = confirmed(invoice_order(shop), staff)
    invoice = documents(order)[0]

    page = page_text(client.get(f"/commande/suivi/{order.access_token}"))

    assert f"Facture {invoice.number} : 34,45 € à payer par virement" in page
    for expected in ("Association La Pépinière", "FR76 3000 6000 0112 3456 7890 189", "AGRIFRPP"):
        assert expected in page
    assert "Demander une facture" not in page  # a professional's invoice is issued anyway
    text = db.session.scalar(
        select(OutboxMessage.body_text).where(OutboxMessage.subject.contains("confirmée"))
    )
    assert "FR76 3000 6000 0112 3456 7890 189" in text and "AGRIFRPP" in text
    assert f"Référence du virement : {invoice.number}" in text


def test_an_individual_asks_for_an_invoice_on_the_order_page(shop, staff, client, make_user):
    order = confirmed(invoice_order(shop, customer=make_user(), method="on_pickup"), staff)
    address = f"/commande/suivi/{order.access_token}"
    assert "Demander une facture" in page_text(client.get(address))

    refused = client.post(f"{address}/facture", data={"billing_name": "Camille Martin"})
    assert "Indiquez le nom et l'adresse" in page_text(client.get(refused.location))
    assert documents(order) == []

    asked = client.post(
        f"{address}/facture",
        data={"billing_name": "Camille Martin", "billing_address": "3 rue Basse, 84000 Avignon"},
    )
    page = page_text(client.get(asked.location))

    (invoice,) = documents(order)
    assert f"Votre facture {invoice.number} est prête." in page
    assert "Demander une facture" not in page
    pdf = client.get(f"{address}/factures/{invoice.id}.pdf")
    assert "3rueBasse,84000Avignon" in pdf_words(pdf.data)


# --- Access --------------------------------------------------------------------------------------


def test_invoice_pages_are_for_staff_only(client, shop, staff, login):
    invoice = documents(confirmed(invoice_order(shop), staff))[0]
    urls = ("/gestion/factures", f"/gestion/factures/{invoice.id}.pdf")
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/compte/connexion" in response.location
    login(shop["restaurant"])
    for url in urls:
        assert client.get(url).status_code == 403
    response = client.post(f"/gestion/factures/{invoice.id}/payee", data={"reference": "x"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).paid_at is None


def test_customers_download_only_their_own_invoices(client, shop, staff):
    mine = confirmed(invoice_order(shop), staff)
    theirs = confirmed(invoice_order(shop, shop["amap"]), staff)
    my_invoice, their_invoice = documents(mine)[0], documents(theirs)[0]

    page = client.get(f"/commande/suivi/{mine.access_token}")
    assert f"Facture {my_invoice.number} (PDF)" in page_text(page)
    assert their_invoice.number not in page_text(page)
    response = client.get(f"/commande/suivi/{mine.access_token}/factures/{my_invoice.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert my_invoice.number in pdf_words(response.data).replace("Facture", " ")

    for url in (
        f"/commande/suivi/{mine.access_token}/factures/{their_invoice.id}.pdf",
        f"/commande/suivi/{mine.access_token}/factures/999999.pdf",
        f"/commande/suivi/pas-un-jeton/factures/{my_invoice.id}.pdf",
    ):
        assert client.get(url).status_code == 404


def test_the_order_page_asks_for_the_transfer_still_due_after_credit_notes(shop, staff, client):
    """34,45 € invoiced, 8,02 € credited: the page asks for 26,43 €; once cancelled, nothing."""
    order = confirmed(invoice_order(shop), staff)
    lines = lines_of(order)
    lower_quantities(order, {lines[shop["tomato"].id]: 6, lines[shop["dahlia"].id]: 3}, staff)
    db.session.commit()
    invoice = documents(order)[0]
    page = page_text(client.get(f"/commande/suivi/{order.access_token}"))
    assert f"Facture {invoice.number} : 26,43 € à payer par virement" in page
    assert "34,45 € à payer" not in page

    cancel_order(order, staff, reason="Restaurant fermé")
    db.session.commit()
    page = page_text(client.get(f"/commande/suivi/{order.access_token}"))
    assert "à payer par virement" not in page and "IBAN" not in page
    assert "soldée par avoir" in page


def test_the_invoice_list_comes_a_page_at_a_time_newest_first(
    shop, staff, staff_client, monkeypatch
):
    """Two seasons of professionals' invoices (some 700 in the demo) on one page took 330 kB."""
    monkeypatch.setattr("boutique.staff.invoices.INVOICES_PER_PAGE", 2)
    numbers = [
        documents(confirmed(invoice_order(shop, tomatoes=n), staff))[0].number for n in (1, 2, 3)
    ]
    first = page_text(staff_client.get("/gestion/factures"))
    assert numbers[2] in first and numbers[1] in first and numbers[0] not in first
    assert 'href="/gestion/factures?page=2" rel="next"' in first and 'rel="prev"' not in first
    second = page_text(staff_client.get("/gestion/factures?page=2"))
    assert numbers[0] in second and numbers[1] not in second and numbers[2] not in second
    assert 'href="/gestion/factures" rel="prev"' in second and 'rel="next"' not in second
    # The filter is kept from page to page; a bad or far page number is no error.
    unpaid = page_text(staff_client.get("/gestion/factures?statut=a_payer"))
    assert 'href="/gestion/factures?statut=a_payer&page=2" rel="next"' in unpaid
    assert numbers[2] in page_text(staff_client.get("/gestion/factures?page=abc"))
    far = staff_client.get("/gestion/factures?page=999999")
    assert far.status_code == 200 and "Aucune facture ici." in page_text(far)
