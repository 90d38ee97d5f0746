"""Staff's pick-up documents: preparation list, labels, pick-up list, delivery round,
each as a printable page, a PDF and a CSV file."""

import csv
import io
import os
import re
import shutil
import subprocess
from datetime import date, time, timedelta

import pytest
from itsdangerous import URLSafeTimedSerializer
from pypdf import PdfReader
from sqlalchemy import func, select

from boutique import pdf
from boutique.extensions import db
from boutique.models import Offer, Order, Payment, PickupPoint, PickupSlot
from boutique.ordering.services import lower_quantities
from boutique.pickup import documents
from tests.browser import ARTIFACTS
from tests.conftest import page_text, pdf_words, place_shop_order, squash

DAY_1, DAY_2 = date(2026, 12, 4), date(2026, 12, 5)
MM = 72 / 25.4  # PDF points per millimetre


@pytest.fixture
def shop(make_category, make_product, make_week, make_user):
    """A week with three points (one a delivery round) and a few orders of each kind."""
    vegetables = make_category("Plants potagers", position=1)
    herbs = make_category("Aromatiques", position=2)
    tomato = make_product(name="Tomate", variety="Cœur de bœuf", category=vegetables)
    courgette = make_product(
        name="Courgette", variety="Verte d'Italie", category=vegetables, unit_label="plaque"
    )
    basil = make_product(
        name="Basilic", variety="Grand vert", category=herbs, price_individual_cents=300
    )
    week = make_week(
        label="Semaine 49",
        offers=[(p, {"quantity_available": None}) for p in (tomato, courgette, basil)],
        pickup_dates=[DAY_1.isoformat(), DAY_2.isoformat()],
    )
    gate = PickupPoint(name="Portail", address="Chemin des Jardins", position=1)
    town = PickupPoint(name="Local en ville", address="8 rue des Lices", position=2)
    round_ = PickupPoint(
        name="Tournée des restaurants", is_delivery=True, for_individual=False, position=3
    )
    slots = {
        "gate": PickupSlot(week=week, point=gate, day=DAY_1, starts_at=time(16), ends_at=time(18)),
        "town": PickupSlot(week=week, point=town, day=DAY_2, starts_at=time(10), ends_at=time(12)),
        "round": PickupSlot(
            week=week, point=round_, day=DAY_1, starts_at=time(8), ends_at=time(11)
        ),
    }
    for slot in slots.values():
        slot.capacity, slot.booked = 100, 0
    db.session.add_all([gate, town, round_, *slots.values()])
    db.session.commit()
    offers = {o.product_id: o.id for o in db.session.scalars(select(Offer))}
    shop = {
        "week": week,
        "slots": slots,
        "points": {"gate": gate, "town": town, "round": round_},
        "tomato": offers[tomato.id],
        "courgette": offers[courgette.id],
        "basil": offers[basil.id],
    }
    chef = make_user(kind="restaurant", email="chef@bistrot.fr", organisation="Le Bistrot")
    canteen = make_user(
        kind="restaurant", email="cantine@ecole.fr", organisation="Cantine", address=""
    )
    alice = order(shop, "Alice", {"tomato": 3, "basil": 1}, "gate")  # 3 x 2,50 + 3,00
    db.session.add(Payment(order=alice, method="cash", amount_cents=500))
    order(shop, "Bruno", {"courgette": 2}, "town")
    order(shop, "Zoé", {"tomato": 7}, "gate", status="cancelled")
    order(shop, "Chloé", {"basil": 2}, "gate", status="collected")
    order(shop, "Chef", {"basil": 12}, "round", customer=chef)
    order(shop, "Cantine", {"tomato": 20}, "round", customer=canteen)
    db.session.commit()
    return shop


def order(shop, name, items, slot, customer=None, status=None):
    phone = f"06 00 00 00 {len(name):02d}"
    return place_shop_order(shop, name, items, slot, customer, status, phone=phone)


def numbers(*names):
    orders = db.session.scalars(select(Order).where(Order.contact_name.in_(names)))
    return {o.contact_name: o.number for o in orders}


def url(shop, document="", **args):
    base = f"/gestion/semaines/{shop['week'].id}/documents"
    query = "&".join(f"{key}={value}" for key, value in args.items())
    return f"{base}/{document}" + (f"?{query}" if query else "") if document else base


def visible(response):
    """The page's text as read on screen: tags out, spaces collapsed."""
    assert response.status_code == 200, response.status_code
    text = re.sub(r"<style.*?</style>|<[^>]+>", " ", page_text(response), flags=re.S)
    return " ".join(text.split())


def pdf_text(response):
    """The PDF's text without any whitespace (PDF text extraction spaces words at will)."""
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    return pdf_words(response.data)


def csv_rows(response):
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.data.startswith("\ufeff".encode())  # spreadsheets then read the accents
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))


# --- Access and the index -----------------------------------------------------------------------


DOCUMENTS = ("", "preparation", "etiquettes", "emargement", "tournee")


def test_documents_are_for_staff_only(client, login, make_user, shop):
    for document in DOCUMENTS:
        response = client.get(url(shop, document))
        assert response.status_code == 302 and "/compte/connexion" in response.location
    login(make_user())
    for document in DOCUMENTS:
        assert client.get(url(shop, document, format="pdf")).status_code == 403


def test_index_links_every_document_per_day_and_point(admin_client, shop):
    week, points = shop["week"], shop["points"]
    week_page = page_text(admin_client.get(f"/gestion/semaines/{week.id}"))
    assert f'href="/gestion/semaines/{week.id}/documents"' in week_page

    page = page_text(admin_client.get(url(shop)))
    assert "Documents de retrait de « Semaine 49 »" in page
    base = f"/gestion/semaines/{week.id}/documents"
    for href in (
        f"{base}/preparation",
        f"{base}/preparation?jour=2026-12-04",
        f"{base}/preparation?format=pdf&jour=2026-12-05",
        f"{base}/etiquettes?format=csv&jour=2026-12-04",
        f"{base}/emargement?point={points['town'].id}&jour=2026-12-05",
        f"{base}/tournee?format=pdf&point={points['round'].id}",
    ):
        assert f'href="{href}"' in page.replace("&amp;", "&"), href
    # The round is the only delivery point: no delivery sheet for the gate.
    assert f"tournee?point={points['gate'].id}" not in page


# --- Preparation list ---------------------------------------------------------------------------


def test_preparation_list_totals_per_product_then_each_order(staff_client, shop):
    n = numbers("Alice", "Bruno", "Zoé", "Chloé", "Le Bistrot", "Cantine")
    text = visible(staff_client.get(url(shop, "preparation")))
    # Per product, grouped by category (categories in their order): tomato 3 + 20.
    assert text.index("Plants potagers") < text.index("Aromatiques")
    assert "Tomate Cœur de bœuf godet 8 cm 23 2" in text
    assert "Courgette Verte d'Italie plaque 2 1" in text
    assert "Basilic Grand vert godet 8 cm 13 2" in text  # Alice 1 + Le Bistrot 12
    assert "Total des articles 38 4" in text
    # Then per order.
    assert f"{n['Alice']} Alice Portail" in text
    assert "3 × Tomate Cœur de bœuf (godet 8 cm) 1 × Basilic Grand vert" in text
    # Cancelled and collected orders have nothing left to prepare.
    assert n["Zoé"] not in text and "Zoé" not in text
    assert n["Chloé"] not in text

    day_2 = visible(staff_client.get(url(shop, "preparation", jour="2026-12-05")))
    assert "samedi 5 décembre 2026" in day_2
    assert "Bruno" in day_2 and "Alice" not in day_2 and "Total des articles 2 1" in day_2


def test_preparation_list_as_pdf_and_csv(admin_client, shop):
    n = numbers("Alice", "Zoé")
    text = pdf_text(admin_client.get(url(shop, "preparation", format="pdf")))
    for expected in (
        "Liste de préparation",
        "Tomate Cœur de bœuf godet 8 cm 23",
        "Total des articles 38",
        f"{n['Alice']} Alice",
        "3 × Tomate Cœur de bœuf",
    ):
        assert squash(expected) in text, expected
    assert n["Zoé"] not in text

    rows = csv_rows(admin_client.get(url(shop, "preparation", format="csv")))
    blank = rows.index([])
    totals, details = rows[:blank], rows[blank + 1 :]
    assert totals == [
        ["Catégorie", "Produit", "Unité", "Quantité", "Commandes"],
        ["Plants potagers", "Courgette Verte d'Italie", "plaque", "2", "1"],
        ["Plants potagers", "Tomate Cœur de bœuf", "godet 8 cm", "23", "2"],
        ["Aromatiques", "Basilic Grand vert", "godet 8 cm", "13", "2"],
    ]
    assert details[0][:3] == ["Commande", "Client", "Point de retrait"]
    assert [n["Alice"], "Alice", "Portail", "2026-12-04", "16:00–18:00"] + [
        "Tomate Cœur de bœuf",
        "godet 8 cm",
        "3",
    ] in details
    assert len(details) == 1 + 5  # Alice 2 lines, Bruno, Le Bistrot, Cantine


# --- Labels -------------------------------------------------------------------------------------


def test_labels_show_order_slot_items_and_a_qr_code_of_the_handover_link(admin_client, app, shop):
    n = numbers("Alice", "Zoé", "Chloé")
    response = admin_client.get(url(shop, "etiquettes"))
    text = visible(response)
    assert f"{n['Alice']} Alice Portail ven. 4 déc. 16:00–18:00 4 articles" in text
    assert n["Zoé"] not in text and n["Chloé"] not in text
    assert page_text(response).count('<img class="label-qr" src="data:image/png;base64,') == 4

    rows = csv_rows(admin_client.get(url(shop, "etiquettes", format="csv")))
    assert rows[0] == [
        "Commande",
        "Client",
        "Point de retrait",
        "Jour",
        "Créneau",
        "Articles",
        "Lien de remise",
    ]
    alice = next(row for row in rows if row[0] == n["Alice"])
    assert alice[:6] == [n["Alice"], "Alice", "Portail", "2026-12-04", "16:00–18:00", "4"]
    link = alice[6]
    assert link.startswith("http://localhost/gestion/retrait/")
    signer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="handover")
    alice_id = db.session.scalar(select(Order.id).filter_by(number=n["Alice"]))
    assert signer.loads(link.rsplit("/", 1)[1]) == alice_id


def test_labels_pdf_fills_a4_sheets_of_3_by_8_labels_on_the_grid(staff_client, shop):
    for index in range(21):  # 25 labels in all: a full sheet and one label on the next
        order(shop, f"Client{index:02d}", {"basil": 1}, "town")
    response = staff_client.get(url(shop, "etiquettes", format="pdf"))
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 2
    for page in reader.pages:
        assert (round(page.mediabox.width / MM), round(page.mediabox.height / MM)) == (210, 297)

    positions = []

    def record(text, cm, tm, font, size):
        if re.fullmatch(r"S\d+-\d+", text.strip()):
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            positions.append((x / MM, (reader.pages[0].mediabox.height - y) / MM))

    reader.pages[0].extract_text(visitor_text=record)
    assert len(positions) == 24
    first_x, first_y = positions[0]
    for index, (x, y) in enumerate(positions):
        # Row by row, 70 mm apart across and 37 mm down, from the same place in each label.
        assert x == pytest.approx(first_x + 70 * (index % 3), abs=0.2)
        assert y == pytest.approx(first_y + 37 * (index // 3), abs=0.2)
    assert first_x < 10 and first_y < 12


# --- Pick-up list -------------------------------------------------------------------------------


def test_pickup_list_per_slot_with_amount_to_collect_and_signatures(staff_client, shop):
    n = numbers("Alice", "Bruno", "Zoé", "Chloé", "Le Bistrot")
    text = visible(staff_client.get(url(shop, "emargement")))
    assert "Portail — vendredi 4 décembre 2026, 16:00–18:00 (2 commandes)" in text
    # 10,50 € less the 5,00 € already recorded.
    assert (
        f"{n['Alice']} Alice 06 00 00 00 05 3 × Tomate Cœur de bœuf (godet 8 cm) "
        "1 × Basilic Grand vert (godet 8 cm) 5,50 € Payé en partie"
    ) in text
    # Collected orders stay on the sheet, their signature is there.
    assert f"{n['Chloé']} Chloé Retirée" in text
    assert "À encaisser sur ce créneau 11,50 €" in text  # Alice 5,50 + Chloé 6,00
    assert f"{n['Le Bistrot']} Le Bistrot" in text and "sur facture" in text
    assert "Zoé" not in text
    assert "Signature" in text
    assert "Total à encaisser : 16,50 € · 5 commandes" in text  # + Bruno 5,00

    town = visible(staff_client.get(url(shop, "emargement", point=shop["points"]["town"].id)))
    assert "Local en ville — samedi 5 décembre 2026" in town
    assert "Bruno" in town and "Alice" not in town and "Total à encaisser : 5,00 €" in town


def test_pickup_list_as_pdf_and_csv(admin_client, shop):
    n = numbers("Alice", "Le Bistrot", "Zoé")
    text = pdf_text(admin_client.get(url(shop, "emargement", format="pdf")))
    for expected in (
        "Liste d'émargement",
        "Portail — vendredi 4 décembre 2026, 16:00–18:00",
        f"{n['Alice']} Alice",
        "3 × Tomate Cœur de bœuf",
        "5,50 €",
        "Payé en partie",
        "sur facture",
        "Total à encaisser : 16,50 €",
    ):
        assert squash(expected) in text, expected
    assert n["Zoé"] not in text

    rows = csv_rows(admin_client.get(url(shop, "emargement", format="csv")))
    assert rows[0] == [
        "Point de retrait",
        "Jour",
        "Créneau",
        "Commande",
        "Client",
        "Téléphone",
        "Articles",
        "À encaisser",
        "Paiement",
        "État",
    ]
    by_number = {row[3]: row for row in rows[1:]}
    assert by_number[n["Alice"]] == [
        "Portail",
        "2026-12-04",
        "16:00–18:00",
        n["Alice"],
        "Alice",
        "06 00 00 00 05",
        "3 × Tomate Cœur de bœuf (godet 8 cm), 1 × Basilic Grand vert (godet 8 cm)",
        "5,50",
        "Payé en partie",
        "Reçue",
    ]
    assert by_number[n["Le Bistrot"]][7:9] == ["0,00", "Sur facture"]
    assert len(rows) == 1 + 5 and n["Zoé"] not in by_number


def test_amount_to_collect_is_zero_once_paid(admin_client, shop):
    alice = db.session.scalar(select(Order).filter_by(contact_name="Alice"))
    db.session.add(Payment(order=alice, method="card_terminal", amount_cents=550))
    db.session.commit()
    rows = csv_rows(admin_client.get(url(shop, "emargement", format="csv")))
    assert next(row for row in rows if row[3] == alice.number)[7:9] == ["0,00", "Payé"]


# --- Delivery round -----------------------------------------------------------------------------


def test_delivery_round_in_slot_order_with_addresses(admin_client, shop):
    n = numbers("Le Bistrot", "Cantine", "Alice")
    round_id = shop["points"]["round"].id
    text = visible(admin_client.get(url(shop, "tournee", point=round_id)))
    assert "Tournée des restaurants — vendredi 4 décembre 2026, 08:00–11:00 (2 livraisons)" in text
    assert (
        f"1 {n['Le Bistrot']} Le Bistrot 1 rue Haute, 84000 Avignon 06 00 00 00 04 "
        "12 × Basilic Grand vert"
    ) in text
    assert f"2 {n['Cantine']} Cantine — 06 00 00 00 07 20 × Tomate Cœur de bœuf" in text
    assert "Livré" in text and "Articles à livrer 32" in text
    assert "Alice" not in text

    pdf = pdf_text(admin_client.get(url(shop, "tournee", point=round_id, format="pdf")))
    for expected in ("Feuille de tournée", "1 rue Haute, 84000 Avignon", "Articles à livrer 32"):
        assert squash(expected) in pdf, expected

    rows = csv_rows(admin_client.get(url(shop, "tournee", point=round_id, format="csv")))
    assert rows[1] == [
        "Tournée des restaurants",
        "2026-12-04",
        "08:00–11:00",
        n["Le Bistrot"],
        "Le Bistrot",
        "Le Bistrot",
        "1 rue Haute, 84000 Avignon",
        "06 00 00 00 04",
        "12 × Basilic Grand vert (godet 8 cm)",
        "",
    ]
    assert len(rows) == 3

    # Without a point: every delivery point, and only those.
    every_round = visible(admin_client.get(url(shop, "tournee")))
    assert "Le Bistrot" in every_round and "Alice" not in every_round


# --- Bad addresses ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "args", "status", "message"),
    [
        ("preparation", {"jour": "demain"}, 400, "« demain » n'est pas une date"),
        ("etiquettes", {"jour": "2026-12-09"}, 404, "Pas de retrait le mercredi 9 décembre 2026"),
        ("emargement", {"point": "999"}, 404, "Point de retrait inconnu : « 999 »"),
        ("emargement", {"point": "abc"}, 404, "Point de retrait inconnu : « abc »"),
        ("emargement", {"point": "9" * 30}, 404, "Point de retrait inconnu"),
        ("preparation", {"format": "docx"}, 400, "Format « docx » inconnu"),
        ("tournee", {"point": "GATE"}, 400, "« Portail » n'est pas une tournée de livraison."),
    ],
)
def test_bad_parameters_get_a_clear_message(staff_client, shop, document, args, status, message):
    args = {k: shop["points"]["gate"].id if v == "GATE" else v for k, v in args.items()}
    response = staff_client.get(url(shop, document, **args))
    assert response.status_code == status
    assert message in page_text(response)
    assert "Document impossible" in page_text(response)


def test_unknown_week_gets_a_clear_message(staff_client, shop):
    response = staff_client.get("/gestion/semaines/999999/documents/preparation")
    assert response.status_code == 404
    assert "Cette semaine de vente n'existe pas." in page_text(response)


# --- Queries and rendering ----------------------------------------------------------------------


def test_documents_run_a_constant_number_of_queries(admin_client, shop, count_queries):
    round_id = shop["points"]["round"].id
    addresses = [
        url(shop, "preparation"),
        url(shop, "preparation", format="csv"),
        url(shop, "etiquettes"),
        url(shop, "emargement"),
        url(shop, "emargement", format="csv"),
        url(shop, "tournee", point=round_id),
    ]

    def queries():
        counts = []
        for address in addresses:
            with count_queries() as statements:
                assert admin_client.get(address).status_code == 200
            counts.append(len(statements))
        return counts

    def add_orders(count):
        for index in range(count):
            slot = ("gate", "town")[index % 2]
            order(shop, f"Client{count}-{index}", {"tomato": 1, "basil": 2}, slot)

    add_orders(5)
    with_5 = queries()
    add_orders(45)
    assert queries() == with_5


def test_pdfs_are_rendered_to_png_for_review(staff_client, shop):
    """Keeps each PDF and its pages as PNG in test-artifacts/ to look at."""
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    ARTIFACTS.mkdir(exist_ok=True)
    round_id = shop["points"]["round"].id
    for name, document, args in (
        ("preparation", "preparation", {}),
        ("labels", "etiquettes", {}),
        ("pickup-list", "emargement", {}),
        ("delivery-round", "tournee", {"point": round_id}),
    ):
        response = staff_client.get(url(shop, document, format="pdf", **args))
        assert response.status_code == 200
        target = ARTIFACTS / f"documents-{name}.pdf"
        target.write_bytes(response.data)
        subprocess.run(  # noqa: S603  (fixed arguments)
            [pdftoppm, "-png", "-r", "60", str(target), str(ARTIFACTS / f"documents-{name}")],
            check=True,
        )
        assert list(ARTIFACTS.glob(f"documents-{name}-*.png"))


def test_orders_without_a_slot_yet_are_listed_for_the_whole_week_only(staff_client, shop):
    bruno = db.session.scalar(select(Order).filter_by(contact_name="Bruno"))
    bruno.slot_id = None
    db.session.commit()
    week = visible(staff_client.get(url(shop, "emargement")))
    assert "Commandes sans créneau (1 commande) N° Client Téléphone Articles" in week
    assert bruno.number in week.split("Commandes sans créneau")[1]
    preparation = visible(staff_client.get(url(shop, "preparation")))
    assert f"{bruno.number} Bruno Pas encore de créneau" in preparation
    labels = visible(staff_client.get(url(shop, "etiquettes")))
    assert f"{bruno.number} Bruno Pas encore de créneau 2 articles" in labels
    # A day or a point: its slots only.
    for address in (url(shop, "preparation", jour="2026-12-05"), url(shop, "tournee")):
        assert "Bruno" not in visible(staff_client.get(address))


def test_csv_cells_that_look_like_formulas_stay_text(admin_client, shop):
    order(shop, "=HYPERLINK(evil)", {"basil": 1}, "gate")
    rows = csv_rows(admin_client.get(url(shop, "emargement", format="csv")))
    assert "'=HYPERLINK(evil)" in [row[4] for row in rows]


def test_other_query_parameters_are_ignored(staff_client, shop):
    response = staff_client.get(url(shop, "preparation", week_id="7", format="html", x="1"))
    assert response.status_code == 200
    assert f"/gestion/semaines/{shop['week'].id}/documents/preparation?format=pdf" in page_text(
        response
    )


# --- The document cache: a PDF is rendered once per content -------------------------------------


@pytest.fixture
def renders(monkeypatch):
    """Count WeasyPrint runs and QR codes drawn, keeping the real ones."""
    counts = {"pdf": 0, "qr": 0}
    real_pdf, real_qr = pdf.render_pdf, documents.qr_image

    def render_pdf(html, base_url):
        counts["pdf"] += 1
        return real_pdf(html, base_url)

    def qr_image(data):
        counts["qr"] += 1
        return real_qr(data)

    monkeypatch.setattr(pdf, "render_pdf", render_pdf)
    monkeypatch.setattr(documents, "qr_image", qr_image)
    return counts


def test_an_unchanged_pdf_is_served_again_without_rendering(staff_client, shop, renders, staff):
    first = staff_client.get(url(shop, "emargement", format="pdf"))
    again = staff_client.get(url(shop, "emargement", format="pdf"))

    assert renders["pdf"] == 1
    assert again.data == first.data

    # Lowering a line changes what the list shows: a new PDF, with the new quantity.
    alice = db.session.scalar(select(Order).where(Order.contact_name == "Alice"))
    tomato = next(line for line in alice.lines if line.product_name.startswith("Tomate"))
    lower_quantities(alice, {tomato.id: 1}, staff)
    db.session.commit()
    changed = pdf_text(staff_client.get(url(shop, "emargement", format="pdf")))

    assert renders["pdf"] == 2
    assert squash("1 × Tomate Cœur de bœuf") in changed
    # Another filter is another document.
    staff_client.get(url(shop, "emargement", format="pdf", point=shop["points"]["gate"].id))
    assert renders["pdf"] == 3


def test_labels_draw_each_qr_code_once(staff_client, shop, renders):
    page = staff_client.get(url(shop, "etiquettes")).get_data(as_text=True)
    drawn = renders["qr"]
    assert drawn == 4  # Alice, Bruno, Chef, Cantine (cancelled and collected orders get none)
    assert page.count("data:image/png;base64,") == 4

    staff_client.get(url(shop, "etiquettes"))
    staff_client.get(url(shop, "etiquettes", format="pdf"))

    assert renders["qr"] == drawn


def test_a_cached_pdf_older_than_the_maximum_age_is_rendered_again(app, staff_client, shop, renders):
    staff_client.get(url(shop, "preparation", format="pdf"))
    app.config["DOCUMENT_CACHE_MAX_AGE"] = 0

    staff_client.get(url(shop, "preparation", format="pdf"))

    assert renders["pdf"] == 2


def test_documents_prepare_renders_the_weeks_pdfs_ahead(app, runner, staff_client, shop, renders):
    from boutique.timezones import shop_today

    # Not the host the test client's requests come by: the cache key does not depend on it.
    app.config["PUBLIC_URL"] = "https://boutique.lapepiniere.example"
    # Without a week, prepare takes those with pick-ups ahead (whatever day the suite runs).
    shop["week"].pickup_dates = [(shop_today() + timedelta(days=1)).isoformat()]
    db.session.commit()

    result = runner.invoke(args=["documents", "prepare", "Semaine 49"])

    assert result.exit_code == 0, result.output
    for kind in ("preparation", "labels", "pickup_list", "delivery_round"):
        assert f"{kind}: rendered" in result.output
    assert renders["pdf"] == 4
    again = runner.invoke(args=["documents", "prepare"])  # the weeks with pick-ups ahead
    assert "Semaine 49:" in again.output
    assert "pickup_list: cached" in again.output and renders["pdf"] == 4
    # Staff asking for the list now get the prepared one.
    staff_client.get(url(shop, "emargement", format="pdf"))
    assert renders["pdf"] == 4


# --- A cache folder that cannot be written (issue 11, part 3) ----------------------------------


@pytest.fixture
def unwritable_cache(app, tmp_path, monkeypatch):
    """DOCUMENT_CACHE_FOLDER under a regular file: it can be neither created nor written,
    even by root (whom a chmod 0o500 folder does not stop)."""
    from boutique.pickup import document_cache

    (tmp_path / "a-file").write_text("not a folder")
    app.config["DOCUMENT_CACHE_FOLDER"] = str(tmp_path / "a-file" / "cache")
    monkeypatch.setattr(document_cache, "_reported", set())  # this "process" has logged nothing


def test_documents_are_served_when_the_cache_folder_cannot_be_written(
    staff_client, shop, renders, unwritable_cache, caplog
):
    names = numbers("Alice", "Bruno")

    pickup = pdf_text(staff_client.get(url(shop, "emargement", format="pdf")))
    labels = pdf_text(staff_client.get(url(shop, "etiquettes", format="pdf")))
    preparation = pdf_text(staff_client.get(url(shop, "preparation", format="pdf")))
    again = staff_client.get(url(shop, "emargement", format="pdf"))

    assert names["Alice"] in pickup and names["Bruno"] in labels
    assert squash("Tomate Cœur de bœuf") in preparation
    assert again.status_code == 200 and renders["pdf"] == 4  # rendered each time, in memory
    labels_page = staff_client.get(url(shop, "etiquettes"))
    assert labels_page.status_code == 200 and "data:image/png;base64," in page_text(labels_page)
    errors = [r for r in caplog.records if "Document cache folder" in r.getMessage()]
    assert len(errors) == 1 and errors[0].levelname == "ERROR"  # once, not at every document


def test_documents_prepare_says_the_cache_folder_cannot_be_written(
    runner, shop, renders, unwritable_cache
):
    result = runner.invoke(args=["documents", "prepare", "Semaine 49"])

    assert result.exit_code == 1
    assert "The document cache folder cannot be written" in result.output
    assert "a-file/cache" in result.output and "Traceback" not in result.output
    assert renders["pdf"] == 0  # nothing rendered for nothing


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes anyway")
def test_a_read_only_cache_folder_still_serves_documents(app, staff_client, shop, tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir(mode=0o500)
    app.config["DOCUMENT_CACHE_FOLDER"] = str(folder)

    assert staff_client.get(url(shop, "emargement", format="pdf")).status_code == 200
    assert list(folder.iterdir()) == []


# --- Big PDFs rendered by the worker, never in a request (issue 11, part 6) ---------------------


@pytest.fixture
def in_background(app):
    app.config["DOCUMENTS_IN_BACKGROUND"] = True
    return app


def test_a_pdf_not_rendered_yet_shows_the_page_while_the_worker_renders_it(
    in_background, runner, staff_client, shop, renders
):
    from boutique.models import DocumentJob

    address = url(shop, "emargement", format="pdf")
    first = staff_client.get(address)
    assert first.status_code == 202 and first.mimetype == "text/html"
    assert first.headers["Refresh"] == "5"  # reloads itself, no script
    page = page_text(first)
    assert "Le PDF est en préparation" in page
    assert "Alice" in page and "Tomate Cœur de bœuf" in page  # the same list, on screen
    assert renders["pdf"] == 0  # the request did not wait for WeasyPrint
    staff_client.get(address)  # reloaded before the worker went by: still one job
    assert db.session.scalar(select(func.count()).select_from(DocumentJob)) == 1

    result = runner.invoke(args=["outbox", "worker", "--once"])
    assert result.exit_code == 0 and "1 PDF rendered." in result.output
    ready = staff_client.get(address)
    assert ready.status_code == 200 and ready.mimetype == "application/pdf"
    assert squash("Alice") in pdf_text(ready)
    assert renders["pdf"] == 1  # rendered once, by the worker


def test_labels_being_prepared_show_the_page_without_drawing_a_qr_code_in_the_request(
    in_background, runner, staff_client, shop, renders
):
    first = staff_client.get(url(shop, "etiquettes", format="pdf"))

    assert first.status_code == 202
    assert "Les QR codes sont dessinés dans le PDF en préparation" in page_text(first)
    assert 'class="label-qr"' not in first.get_data(as_text=True)
    assert renders["qr"] == 0  # drawing them is the worker's job
    assert runner.invoke(args=["outbox", "worker", "--once"]).exit_code == 0
    assert renders["qr"] > 0 and renders["pdf"] == 1


def test_a_pdf_that_fails_to_render_says_so_and_is_tried_again_on_reload(
    in_background, staff_client, shop, monkeypatch
):
    from boutique.pickup import document_jobs
    from boutique.staff.documents import render_job

    def broken(html, base_url):
        raise RuntimeError("WeasyPrint is out of memory")

    monkeypatch.setattr(pdf, "render_pdf", broken)
    address = url(shop, "emargement", format="pdf")
    staff_client.get(address)
    for _ in range(document_jobs.MAX_ATTEMPTS):
        assert document_jobs.run_due(render_job) == 0
    failed = staff_client.get(address)
    assert failed.status_code == 200 and "Refresh" not in failed.headers
    assert "Le PDF n'a pas pu être préparé" in page_text(failed)
    assert "Alice" in page_text(failed)  # the list can still be printed from the page

    monkeypatch.undo()
    assert document_jobs.run_due(render_job) == 1  # the reload asked for it again
    assert staff_client.get(address).mimetype == "application/pdf"


def test_generating_the_schedule_asks_the_worker_for_the_weeks_pdfs(
    in_background, staff_client, shop, renders
):
    from boutique.models import DocumentJob
    from boutique.pickup import document_jobs
    from boutique.staff.documents import render_job

    staff_client.post(f"/gestion/semaines/{shop['week'].id}/planning/generer")
    paths = db.session.scalars(select(DocumentJob.path).order_by(DocumentJob.path)).all()
    assert [path.split("/documents/")[1] for path in paths] == [
        "emargement?format=pdf",
        "etiquettes?format=pdf",
        "preparation?format=pdf",
        "tournee?format=pdf",
    ]
    assert document_jobs.run_due(render_job) == 4
    response = staff_client.get(url(shop, "etiquettes", format="pdf"))
    assert response.mimetype == "application/pdf" and renders["pdf"] == 4  # served, not redrawn
