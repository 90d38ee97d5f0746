"""The books (issue 15): the sales journal and VAT report, the FEC export, the gate's cash
journal chained by hashes (`flask books verify`)."""

import csv
import io
from collections import defaultdict

from sqlalchemy import case, func, select, text

from boutique.books import services
from boutique.extensions import db
from boutique.models import CashJournalEntry, Invoice, PickupPoint, User
from boutique.ordering.services import Contact, lower_quantities, place_order
from boutique.pickup import cash, handover
from boutique.pricing import order_totals
from boutique.timezones import shop_today
from tests import test_gate_cash, test_invoices
from tests.conftest import page_words
from tests.test_concurrency import run_together
from tests.test_gate_cash import order_for
from tests.test_invoices import confirmed, invoice_order, lines_of

# The gate's day and the invoicing shop of their own test files, as fixtures here too.
gate_day = test_gate_cash.gate_day
shop = test_invoices.shop


def month():
    return shop_today().strftime("%Y-%m")


def read_csv(response):
    body = response.get_data(as_text=True).lstrip("\ufeff")
    return list(csv.reader(io.StringIO(body), delimiter=";"))


def cents(text):
    sign = -1 if text.startswith("-") else 1
    units, hundredths = text.lstrip("-").split(",")
    return sign * (int(units) * 100 + int(hundredths))


def invoices_and_a_credit_note(shop_data, staff, make_user):
    """Two professionals' invoices (5.5 % and 20 %) and a credit note lowering the first."""
    first = confirmed(invoice_order(shop_data), staff)
    lower_quantities(first, {lines_of(first)[shop_data["tomato"].id]: 6}, staff)
    db.session.commit()
    confirmed(invoice_order(shop_data, customer=shop_data["amap"], tomatoes=7, dahlias=1), staff)


def signed_invoice_sums():
    """What the invoices say, summed by SQL independently of the books: net, VAT, gross."""
    sign = case((Invoice.kind == "credit_note", -1), else_=1)
    return {
        column: db.session.scalar(select(func.sum(getattr(Invoice, column) * sign)))
        for column in ("net_cents", "vat_cents", "gross_cents")
    }


# --- Sales journal and VAT report ---------------------------------------------------------------


def test_sales_journal_lists_invoices_and_credit_notes_and_matches_them_to_the_cent(
    shop,
    staff,
    make_user,
    admin_client,
):
    invoices_and_a_credit_note(shop, staff, make_user)
    response = admin_client.get(f"/gestion/comptabilite/journal-{month()}.csv")
    assert response.status_code == 200
    assert f"journal-ventes-{month()}.csv" in response.headers["Content-Disposition"]
    rows = read_csv(response)
    header, body, total = rows[0], rows[1:-1], rows[-1]
    assert header[:6] == ["Type", "Numéro", "Date", "Client", "Compte client", "Commande"]
    assert "HT 5,5 %" in header and "TVA 20 %" in header and header[-1] == "Paiement"
    kinds = [(row[0], row[1][:2]) for row in body]
    assert kinds.count(("Facture", "FA")) == 2 and kinds.count(("Avoir", "AV")) == 1
    assert {row[3] for row in body} == {"Le Jardin Gourmand", "AMAP des Remparts"}
    credit = next(row for row in body if row[0] == "Avoir")
    assert cents(credit[header.index("Total TTC")]) < 0
    assert credit[-1] == "virement"

    expected = signed_invoice_sums()
    assert cents(total[header.index("Total HT")]) == expected["net_cents"]
    assert cents(total[header.index("Total TVA")]) == expected["vat_cents"]
    assert cents(total[header.index("Total TTC")]) == expected["gross_cents"]
    # Each rate's VAT, against the invoices' own breakdowns.
    by_rate = defaultdict(int)
    for invoice in db.session.scalars(select(Invoice)):
        for rate in invoice.by_rate:
            by_rate[rate["rate_bp"]] += rate["vat_cents"] * (-1 if invoice.is_credit_note else 1)
    assert cents(total[header.index("TVA 5,5 %")]) == by_rate[550]
    assert cents(total[header.index("TVA 20 %")]) == by_rate[2000]
    assert sum(cents(row[header.index("Total TTC")]) for row in body) == expected["gross_cents"]


def test_an_individuals_collected_order_is_a_receipt_with_its_payment_method(
    gate_day,
    staff,
    admin_client,
):
    order = order_for(gate_day, "Alice Dupont")  # 12,40 € at 5.5 %
    handover.pay_and_collect(order, staff, "cheque", 1240)
    order_for(gate_day, "Bruno Petit")  # not collected: not sold yet
    db.session.commit()
    rows = read_csv(admin_client.get(f"/gestion/comptabilite/journal-{shop_today()}.csv"))
    header, body = rows[0], rows[1:-1]
    assert len(body) == 1
    receipt = dict(zip(header, body[0], strict=True))
    assert (
        receipt["Type"] == "Ticket"
        and receipt["Numéro"] == f"{order.collected_at.year}-{order.number}"
    )
    assert receipt["Client"] == "Alice Dupont" and receipt["Paiement"] == "chèque"
    assert receipt["Total TTC"] == "12,40"
    assert cents(receipt["HT 5,5 %"]) + cents(receipt["TVA 5,5 %"]) == 1240
    assert receipt["TVA 5,5 %"] == "0,65"  # 12,40 / 1,055 = 11,75 net


def test_vat_report_per_month_and_rate_on_the_page_and_as_csv(shop, staff, make_user, staff_client):
    invoices_and_a_credit_note(shop, staff, make_user)
    page = page_words(staff_client.get(f"/gestion/comptabilite/?periode={month()}"))
    assert "TVA par mois et par taux" in page
    assert "2 factures, 1 avoirs, 0 tickets" in page
    rows = read_csv(staff_client.get(f"/gestion/comptabilite/tva-{month()}.csv"))
    assert rows[0] == ["Mois", "Taux de TVA", "Base HT", "TVA collectée", "Total TTC", "Pièces"]
    assert [row[1] for row in rows[1:-1]] == ["5,5 %", "20 %"]
    assert all(row[0] == month() for row in rows[1:-1])
    assert cents(rows[-1][3]) == signed_invoice_sums()["vat_cents"]
    assert f"{month()} 5,5 %" in page


def test_journal_and_fec_name_customers_so_only_admins_download_them(shop, staff_client):
    page = page_words(staff_client.get("/gestion/comptabilite/"))
    assert "seule la direction peut les télécharger" in page
    assert staff_client.get(f"/gestion/comptabilite/journal-{month()}.csv").status_code == 403
    assert staff_client.get(f"/gestion/comptabilite/fec-{month()}.txt").status_code == 403


def test_the_books_are_for_staff_only(client, make_user, login):
    assert client.get("/gestion/comptabilite/").status_code == 302  # to the login page
    login(make_user())
    assert client.get("/gestion/comptabilite/").status_code == 403


def test_a_bad_period_gets_a_clear_message(admin_client):
    page = page_words(admin_client.get("/gestion/comptabilite/?periode=mai", follow_redirects=True))
    assert "Période « mai » non reconnue" in page
    page = page_words(
        admin_client.get("/gestion/comptabilite/fec-2026-13.txt", follow_redirects=True)
    )
    assert "Période « 2026-13 » non reconnue" in page
    for period in ("9999-12", "9999"):  # the last year has no following month: no overflow
        page = page_words(
            admin_client.get(f"/gestion/comptabilite/?periode={period}", follow_redirects=True)
        )
        assert f"Période « {period} » non reconnue" in page
    response = admin_client.get("/gestion/comptabilite/tva-9999.csv", follow_redirects=True)
    assert response.status_code == 200  # back on the books page, told why
    assert "Période « 9999 » non reconnue" in page_words(response)


# --- FEC ----------------------------------------------------------------------------------------


def test_fec_entries_balance_and_credit_sales_with_the_invoices_net(
    shop, staff, make_user, admin_client
):
    invoices_and_a_credit_note(shop, staff, make_user)
    walk_in = place_order(
        week=shop["week"],
        items={shop["tomato"].id: 4},
        slot_id=shop["slot"].id,
        payment_method="on_pickup",
        contact=Contact("Alice Dupont", "alice@exemple.fr"),
        kind="individual",
        checkout_token="walk-in",
    )
    gross = order_totals(walk_in).gross_cents
    handover.pay_and_collect(walk_in, staff, "cash", gross, confirm_early=True)
    db.session.commit()
    year = shop_today().year
    response = admin_client.get(f"/gestion/comptabilite/fec-{year}.txt")
    assert response.status_code == 200
    assert f"filename=123456789FEC{year}1231.txt" in response.headers["Content-Disposition"]
    lines = response.get_data(as_text=True).split("\r\n")
    assert lines[-1] == ""
    header, records = lines[0].split("|"), [line.split("|") for line in lines[1:-1]]
    assert header == list(services.FEC_COLUMNS) and len(header) == 18
    assert all(len(record) == 18 for record in records)
    field = {name: i for i, name in enumerate(header)}
    entries = defaultdict(lambda: [0, 0])
    sales = 0
    for record in records:
        assert record[field["JournalCode"]] == "VT"
        assert len(record[field["EcritureDate"]]) == 8 and record[field["EcritureDate"]].isdigit()
        debit, credit = cents(record[field["Debit"]]), cents(record[field["Credit"]])
        assert debit >= 0 and credit >= 0 and (debit == 0) != (credit == 0)
        entries[record[field["EcritureNum"]]][0] += debit
        entries[record[field["EcritureNum"]]][1] += credit
        if record[field["CompteNum"]].startswith("70"):
            sales += credit - debit
    assert len(entries) == 4  # two invoices, a credit note, a receipt
    assert all(debit == credit for debit, credit in entries.values()), entries
    assert sum(d for d, _c in entries.values()) == sum(c for _d, c in entries.values())
    receipt_net = order_totals(walk_in).net_cents
    assert sales == signed_invoice_sums()["net_cents"] + receipt_net
    accounts = {record[field["CompteNum"]] for record in records}
    assert accounts == {"411000", "701055", "701200", "445711", "445713"}
    credit_note = [r for r in records if r[field["PieceRef"]].startswith("AV-")]
    customer_line = next(r for r in credit_note if r[field["CompteNum"]] == "411000")
    assert cents(customer_line[field["Credit"]]) > 0  # a credit note is the entry reversed
    assert customer_line[field["CompAuxLib"]] == "Le Jardin Gourmand"


# --- The gate's cash journal --------------------------------------------------------------------


def journal_entries():
    db.session.expire_all()
    return db.session.scalars(select(CashJournalEntry).order_by(CashJournalEntry.id)).all()


def test_gate_payments_takebacks_and_closings_are_chained_in_the_journal(gate_day, staff, runner):
    alice, bruno = order_for(gate_day, "Alice Dupont"), order_for(gate_day, "Bruno Petit")
    payment = handover.record_payment(alice, staff, "cash", 1000)
    db.session.commit()
    handover.cancel_payment(payment, staff, "Erreur de montant")
    db.session.commit()
    handover.pay_and_collect(bruno, staff, "card_terminal", 1240)
    db.session.commit()
    cash.close_day(gate_day["today"], gate_day["nursery"], staff, 0, "")
    db.session.commit()

    entries = journal_entries()
    assert [(e.kind, e.amount_cents, e.method) for e in entries] == [
        ("payment", 1000, "cash"),
        ("payment_taken_back", -1000, "cash"),
        ("payment", 1240, "card_terminal"),
        ("closing", 1240, ""),
    ]
    assert entries[0].previous_hash == "0" * 64
    assert all(b.previous_hash == a.entry_hash for a, b in zip(entries, entries[1:], strict=False))
    assert entries[0].details["order"] == alice.number
    assert entries[3].details["point"] == "Portail de la pépinière"
    result = runner.invoke(args=["books", "verify"])
    assert result.exit_code == 0, result.output
    assert "4 entrées vérifiées" in result.output


def test_an_entry_edited_in_the_database_breaks_the_chain_and_verify_names_it(
    gate_day,
    staff,
    runner,
):
    for name in ("Alice Dupont", "Bruno Petit", "Chloé Martin"):
        handover.pay_and_collect(order_for(gate_day, name), staff, "cash", 1240)
        db.session.commit()
    second = journal_entries()[1]
    db.session.execute(
        text("UPDATE cash_journal_entry SET amount_cents = 124 WHERE id = :id"), {"id": second.id}
    )
    db.session.commit()
    result = runner.invoke(args=["books", "verify"])
    assert result.exit_code == 1
    assert f"rompu à l'entrée n° {second.id}" in result.output
    assert "après 1 entrées intactes" in result.output


def test_a_deleted_entry_breaks_the_chain_at_the_next_one(gate_day, staff, runner):
    for name in ("Alice Dupont", "Bruno Petit", "Chloé Martin"):
        handover.pay_and_collect(order_for(gate_day, name), staff, "cash", 1240)
        db.session.commit()
    entries = journal_entries()
    db.session.execute(text("DELETE FROM cash_journal_entry WHERE id = :id"), {"id": entries[1].id})
    db.session.commit()
    result = runner.invoke(args=["books", "verify"])
    assert result.exit_code == 1
    assert f"rompu à l'entrée n° {entries[2].id}" in result.output


def test_two_gate_payments_at_once_keep_the_chain_linear(app, make_app, gate_day, staff, runner):
    race_app = make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 4, "max_overflow": 0})
    handover.pay_and_collect(order_for(gate_day, "Zoé Premier"), staff, "cash", 1240)
    db.session.commit()  # an entry exists: both racers want to chain to it
    order_ids = [order_for(gate_day, name).id for name in ("Alice Dupont", "Bruno Petit")]
    staff_id = staff.id

    def pay(index, barrier):
        from boutique.models import Order

        with race_app.app_context():
            order = db.session.get(Order, order_ids[index])
            actor = db.session.get(User, staff_id)
            barrier.wait()
            handover.record_payment(order, actor, "cash", 1240)
            db.session.commit()
            return "paid"

    results, errors, _seconds = run_together(2, pay)
    assert errors == [] and results == ["paid", "paid"]
    entries = journal_entries()
    assert len(entries) == 3
    assert len({entry.previous_hash for entry in entries}) == 3  # no fork
    result = runner.invoke(args=["books", "verify"])
    assert result.exit_code == 0, result.output


def test_a_closing_refused_adds_nothing_to_the_journal(gate_day, staff):
    cash.close_day(gate_day["today"], gate_day["nursery"], staff, None, "")
    db.session.commit()
    point = db.session.get(PickupPoint, gate_day["nursery"].id)
    try:
        cash.close_day(gate_day["today"], point, staff, None, "")
    except cash.CashError:
        db.session.rollback()
    assert [entry.kind for entry in journal_entries()] == ["closing"]


def test_fec_entry_numbers_are_their_documents_numbers(shop, staff, make_user, admin_client):
    """Monthly files put together never repeat an entry number (EcritureNum)."""
    invoices_and_a_credit_note(shop, staff, make_user)
    fec = admin_client.get(f"/gestion/comptabilite/fec-{shop_today().year}.txt")
    lines = [line.split("|") for line in fec.get_data(as_text=True).splitlines()[1:]]
    assert lines and all(line[2] == line[8] for line in lines)  # EcritureNum = PieceRef
    assert {line[2][:3] for line in lines} <= {"FA-", "AV-", f"{shop_today().year}-"[:3]}
