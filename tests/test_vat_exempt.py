"""VAT-free mode (issue 15, the books 3): an association outside VAT sells without VAT; order
lines are frozen at 0 %, invoices print the exemption mention, totals are the lines' sum."""

import shutil
import subprocess

import pytest

from boutique.books import services
from boutique.extensions import db
from boutique.payments.invoices import invoice_pdf
from boutique.pricing import order_totals
from boutique.timezones import shop_today
from tests import test_invoices
from tests.conftest import pdf_words
from tests.test_invoices import ARTIFACTS, confirmed, documents, invoice_order

shop = test_invoices.shop


@pytest.fixture
def exempt(app):
    app.config.update(SELLER_VAT_NUMBER="", VAT_EXEMPT=None)


def test_in_vat_free_mode_an_invoice_has_no_vat_and_the_exemption_mention(
    exempt, shop, staff, admin_client
):
    order = confirmed(invoice_order(shop), staff)  # 10 tomatoes at 1,90 + 3 dahlias at 4,00
    assert {line.vat_rate_bp for line in order.lines} == {0}
    totals = order_totals(order)
    assert totals.vat_cents == 0 and totals.gross_cents == 10 * 190 + 3 * 400
    invoice = documents(order)[0]
    assert (invoice.vat_cents, invoice.net_cents, invoice.gross_cents) == (0, 3100, 3100)
    words = pdf_words(invoice_pdf(invoice))
    assert "TVAnonapplicable,art.293BduCGI" in words
    assert "Totalàpayer31,00€" in words
    assert "TVA" not in words.replace("TVAnonapplicable", "")
    assert "intracommunautaire" not in words
    # The books follow: one rate, 0 %, no VAT account in the FEC.
    rows = services.journal(services.parse_period(shop_today().strftime("%Y-%m")))
    assert [row.by_rate for row in rows] == [{0: (3100, 0)}]
    fec = admin_client.get(f"/gestion/comptabilite/fec-{shop_today().year}.txt")
    accounts = {line.split("|")[4] for line in fec.get_data(as_text=True).splitlines()[1:]}
    assert accounts == {"411000", "701000"}


def test_an_order_placed_before_the_switch_keeps_its_vat(app, shop, staff):
    order = invoice_order(shop)
    app.config.update(SELLER_VAT_NUMBER="", VAT_EXEMPT=None)
    confirmed(order, staff)
    db.session.expire_all()
    assert {line.vat_rate_bp for line in order.lines} == {550, 2000}
    assert order_totals(order).vat_cents > 0


def test_vat_exempt_flag_wins_over_a_vat_number(app, shop, staff):
    app.config.update(VAT_EXEMPT=True)
    order = confirmed(invoice_order(shop), staff)
    invoice = documents(order)[0]
    assert invoice.vat_cents == 0 and invoice.seller_vat_number == ""
    assert "TVA non applicable" in invoice.seller_vat_exemption


def test_the_basket_charges_individuals_the_shown_price(exempt, shop):
    from boutique.basket.services import lines, totals

    tomato, dahlia = shop["tomato"], shop["dahlia"]  # 5,5 % and 20 % with VAT
    basket = lines(shop["week"], {tomato.id: 2, dahlia.id: 1}, "individual")
    charged = totals(basket, "individual")
    shown = 2 * tomato.price_cents("individual") + dahlia.price_cents("individual")
    assert (charged.vat_cents, charged.gross_cents) == (0, shown)


def test_vat_free_invoice_rendered_to_png_for_review(exempt, shop, staff):
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / "invoice-vat-free.pdf"
    target.write_bytes(invoice_pdf(documents(confirmed(invoice_order(shop), staff))[0]))
    subprocess.run(  # noqa: S603  (fixed arguments)
        [pdftoppm, "-png", "-r", "60", str(target), str(ARTIFACTS / "invoice-vat-free")],
        check=True,
    )


def test_an_order_with_vat_invoiced_after_the_switch_shows_the_vat_number_not_the_exemption(
    app, shop, staff
):
    from boutique.ordering.services import lower_quantities

    order = invoice_order(shop)  # placed with VAT
    app.config.update(VAT_EXEMPT=True)
    confirmed(order, staff)
    invoice = documents(order)[0]
    assert invoice.vat_cents > 0
    assert invoice.seller_vat_number == app.config["SELLER_VAT_NUMBER"]
    assert invoice.seller_vat_exemption == ""
    words = pdf_words(invoice_pdf(invoice))
    assert "TVAnonapplicable" not in words
    lower_quantities(order, {order.lines[0].id: order.lines[0].quantity - 1}, staff)
    db.session.commit()
    note = [d for d in documents(order) if d.kind == "credit_note"][0]
    assert (note.seller_vat_number, note.seller_vat_exemption) == (invoice.seller_vat_number, "")
