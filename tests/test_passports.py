"""Plant passports (Regulation (EU) 2016/2031): products' botanical names, the week's lot codes,
the passport printed on labels and professionals' delivery documents, and the register."""

import csv
import io
import shutil
import subprocess
from datetime import date, time

import pytest
from sqlalchemy import select, update

from boutique.extensions import db
from boutique.models import Offer, Order, PickupPoint, PickupSlot, Product
from boutique.passports import services as passports
from boutique.timezones import shop_today
from tests.browser import ARTIFACTS
from tests.conftest import page_text, page_words, pdf_words, place_shop_order, squash

DAY_1, DAY_2 = date(2026, 12, 4), date(2026, 12, 5)  # ISO week 49 of 2026
PASSPORT_WORDS = "Plant Passport / Passeport phytosanitaire"


@pytest.fixture
def shop(make_category, make_product, make_week, make_user):
    """Tomato and basil seedlings (plants for planting) and cut courgettes, in week 49."""
    plants = make_category("Plants potagers", position=1)
    vegetables = make_category("Légumes", position=2)
    tomato = make_product(
        name="Tomate",
        variety="Cœur de bœuf",
        category=plants,
        plant_for_planting=True,
        botanical_name="Solanum lycopersicum",
    )
    basil = make_product(
        name="Basilic",
        variety="Grand vert",
        category=plants,
        plant_for_planting=True,
        botanical_name="Ocimum basilicum",
    )
    courgettes = make_product(name="Courgettes", variety="", category=vegetables, unit_label="kg")
    week = make_week(
        label="Semaine 49",
        offers=[(p, {"quantity_available": None}) for p in (tomato, basil, courgettes)],
        pickup_dates=[DAY_1.isoformat(), DAY_2.isoformat()],
    )
    gate = PickupPoint(name="Portail", address="Chemin des Jardins", position=1)
    round_ = PickupPoint(name="Tournée", is_delivery=True, for_individual=False, position=2)
    slots = {
        "gate": PickupSlot(week=week, point=gate, day=DAY_1, starts_at=time(16), ends_at=time(18)),
        "gate2": PickupSlot(week=week, point=gate, day=DAY_2, starts_at=time(10), ends_at=time(12)),
        "round": PickupSlot(
            week=week, point=round_, day=DAY_1, starts_at=time(8), ends_at=time(11)
        ),
    }
    for slot in slots.values():
        slot.capacity, slot.booked = 100, 0
    db.session.add_all([gate, round_, *slots.values()])
    db.session.commit()
    offers = {o.product_id: o for o in db.session.scalars(select(Offer))}
    # The basil's lot code comes from the sowing register; the tomato's is derived.
    offers[basil.id].traceability_code = "SEMIS-2026-117"
    db.session.commit()
    shop = {
        "week": week,
        "slots": slots,
        "tomato": offers[tomato.id].id,
        "basil": offers[basil.id].id,
        "courgettes": offers[courgettes.id].id,
        "products": {"tomato": tomato, "basil": basil, "courgettes": courgettes},
    }
    chef = make_user(kind="restaurant", email="chef@bistrot.fr", organisation="Le Bistrot")
    place_shop_order(
        shop, "Alice", {"tomato": 3, "basil": 1, "courgettes": 2}, "gate", status="confirmed"
    )
    place_shop_order(shop, "Bruno", {"tomato": 2}, "gate2", status="collected")
    place_shop_order(shop, "Zoé", {"tomato": 7}, "gate", status="cancelled")  # issued nothing
    place_shop_order(shop, "Chloé", {"basil": 4}, "gate")  # placed: not confirmed yet
    place_shop_order(
        shop, "Chef", {"basil": 12, "courgettes": 5}, "round", customer=chef, status="ready"
    )
    return shop


def tomato_code(shop):
    return f"2026-S49-P{shop['products']['tomato'].id:04d}"


def number(name):
    return db.session.scalar(select(Order.number).where(Order.contact_name == name))


def docs_url(shop, document, **args):
    query = "&".join(f"{key}={value}" for key, value in args.items())
    return f"/gestion/semaines/{shop['week'].id}/documents/{document}" + (
        f"?{query}" if query else ""
    )


def csv_rows(data):
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


# --- The product form and the catalog CSV -------------------------------------------------------


def product_form(category, **overrides):
    data = {
        "category_id": str(category.id),
        "name": "Poireau",
        "variety": "Bleu de Solaise",
        "unit_label": "plaque de 40 mottes",
        "vat_rate_bp": "550",
        "price_individual_cents": "4,50",
        "price_restaurant_cents": "3,60",
        "price_amap_cents": "3,40",
        "description": "",
    }
    data.update(overrides)
    return data


def test_a_plant_for_planting_needs_its_botanical_name(staff_client, make_category):
    plants = make_category("Plants potagers")

    response = staff_client.post(
        "/gestion/produits/nouveau", data=product_form(plants, plant_for_planting="y")
    )

    assert "Un plant destiné à la plantation a besoin de son nom botanique" in page_text(response)
    assert db.session.scalar(select(Product).filter_by(name="Poireau")) is None

    response = staff_client.post(
        "/gestion/produits/nouveau",
        data=product_form(plants, plant_for_planting="y", botanical_name="poireau"),
    )
    assert "Nom botanique attendu : genre et espèce, par exemple « Solanum lycopersicum »" in (
        page_text(response)
    )
    assert db.session.scalar(select(Product).filter_by(name="Poireau")) is None

    response = staff_client.post(
        "/gestion/produits/nouveau",
        data=product_form(plants, plant_for_planting="y", botanical_name=" Allium porrum "),
    )
    assert response.status_code == 302
    leek = db.session.scalar(select(Product).filter_by(name="Poireau"))
    assert leek.plant_for_planting and leek.botanical_name == "Allium porrum"

    page = page_text(staff_client.get(f"/gestion/produits/{leek.id}"))
    assert 'value="Allium porrum"' in page and "Passeport phytosanitaire" in page


def test_cut_vegetables_need_no_botanical_name(staff_client, make_category):
    response = staff_client.post(
        "/gestion/produits/nouveau", data=product_form(make_category(), name="Radis")
    )
    assert response.status_code == 302
    radish = db.session.scalar(select(Product).filter_by(name="Radis"))
    assert not radish.plant_for_planting and radish.botanical_name == ""


def test_catalog_csv_carries_the_passport_columns_both_ways(admin_client, shop):
    exported = admin_client.get("/gestion/produits/export.csv").data
    rows = {row[1]: row for row in csv_rows(exported)[1:]}
    assert rows["Tomate"][-2:] == ["oui", "Solanum lycopersicum"]
    assert rows["Courgettes"][-2:] == ["non", ""]

    bad = exported.decode("utf-8-sig").replace("oui;Ocimum basilicum", "oui;")
    response = admin_client.post(
        "/gestion/produits/import",
        data={"file": (io.BytesIO(bad.encode()), "catalogue.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "nom botanique manquant pour un plant à planter" in page_text(response)
    db.session.expire_all()
    assert shop["products"]["basil"].botanical_name == "Ocimum basilicum"

    changed = exported.decode("utf-8-sig").replace("non;\r\n", "oui;Cucurbita pepo\r\n")
    response = admin_client.post(
        "/gestion/produits/import",
        data={"file": (io.BytesIO(changed.encode()), "catalogue.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db.session.expire_all()
    courgettes = shop["products"]["courgettes"]
    assert courgettes.plant_for_planting and courgettes.botanical_name == "Cucurbita pepo"


def test_the_product_page_shows_the_botanical_name(client, shop):
    tomato = shop["products"]["tomato"]
    assert "Solanum lycopersicum" in page_words(client.get(f"/produit/{tomato.id}"))


# --- Traceability codes -------------------------------------------------------------------------


def test_traceability_code_is_derived_from_week_and_product_unless_staff_typed_one(shop):
    tomato, basil = db.session.get(Offer, shop["tomato"]), db.session.get(Offer, shop["basil"])
    assert passports.offer_code(tomato) == tomato_code(shop)
    assert passports.offer_code(basil) == "SEMIS-2026-117"


def grid_post(shop, codes):
    rows = []
    for index, key in enumerate(("tomato", "basil", "courgettes")):
        product = shop["products"][key]
        rows += [
            (f"rows-{index}-product_id", str(product.id)),
            (f"rows-{index}-offered", "y"),
            (f"rows-{index}-unlimited", "y"),
            (f"rows-{index}-traceability_code", codes.get(key, "")),
        ]
    return dict(rows)


def before_any_passport_is_issued():
    """The week as it is before staff confirm anything: no passport printed yet."""
    db.session.execute(
        update(Order)
        .where(Order.status.in_(("confirmed", "ready", "collected")))
        .values(status="placed")
    )
    db.session.commit()


def test_a_lot_code_printed_on_passports_no_longer_changes(staff_client, shop):
    week_url = f"/gestion/semaines/{shop['week'].id}"  # Alice's confirmed order has basil
    response = staff_client.post(week_url, data=grid_post(shop, {"basil": "SEMIS-2026-999"}))
    assert response.status_code == 422
    assert "Des passeports ont déjà été émis avec ce code de lot : il ne peut plus changer." in (
        page_text(response)
    )
    db.session.expire_all()
    assert db.session.get(Offer, shop["basil"]).traceability_code == "SEMIS-2026-117"


def test_staff_type_the_lot_code_in_the_weeks_grid(staff_client, shop):
    before_any_passport_is_issued()
    week_url = f"/gestion/semaines/{shop['week'].id}"
    page = page_text(staff_client.get(week_url))
    assert f'placeholder="{tomato_code(shop)}"' in page  # the derived code, shown in grey
    assert 'value="SEMIS-2026-117"' in page

    response = staff_client.post(week_url, data=grid_post(shop, {"tomato": "=HACK()"}))
    assert response.status_code == 422
    assert "Code de lot : lettres, chiffres, espaces, tirets, points ou « / »." in page_text(
        response
    )
    db.session.expire_all()
    assert db.session.get(Offer, shop["basil"]).traceability_code == "SEMIS-2026-117"

    response = staff_client.post(week_url, data=grid_post(shop, {"tomato": " LOT 12/B "}))
    assert response.status_code == 302
    db.session.expire_all()
    assert passports.offer_code(db.session.get(Offer, shop["tomato"])) == "LOT 12/B"
    # Emptied: back to the derived code.
    assert (
        passports.offer_code(db.session.get(Offer, shop["basil"]))
        == f"2026-S49-P{shop['products']['basil'].id:04d}"
    )


def test_a_lot_code_is_not_copied_to_the_next_week(staff_client, shop, make_week):
    following = make_week(label="Semaine 50", status="draft", pickup_dates=["2026-12-11"])
    response = staff_client.post(f"/gestion/semaines/{following.id}/copier")
    assert response.status_code == 302
    copied = db.session.scalar(
        select(Offer).filter_by(week_id=following.id, product_id=shop["products"]["basil"].id)
    )
    assert copied.traceability_code == ""
    assert passports.offer_code(copied) == f"2026-S50-P{shop['products']['basil'].id:04d}"


# --- Printed passports --------------------------------------------------------------------------


def test_labels_pdf_carries_one_passport_per_plant_line_with_parts_a_to_d(staff_client, shop, app):
    response = staff_client.get(docs_url(shop, "etiquettes", format="pdf"))
    assert response.status_code == 200
    text = pdf_words(response.data)
    alice = number("Alice")
    # Alice: tomatoes and basil get a passport each; her cut courgettes none.
    for expected in (
        PASSPORT_WORDS,
        "A Solanum lycopersicum",
        "B FR-84-00123",
        f"C {tomato_code(shop)}",
        "D FR",
        f"{alice} · 3 × Tomate Cœur de bœuf (godet 8 cm)",
        "A Ocimum basilicum",
        "C SEMIS-2026-117",
        f"{alice} · 1 × Basilic Grand vert (godet 8 cm)",
        f"{number('Le Bistrot')} · 12 × Basilic Grand vert",
        f"{number('Chloé')} · 4 × Basilic Grand vert",
    ):
        assert squash(expected) in text, expected
    # Alice 2, Chloé 1, Le Bistrot 1 (Bruno's order is collected: no label left to print).
    assert text.count(squash(PASSPORT_WORDS)) == 4
    assert "Courgettes" not in text.split(squash(PASSPORT_WORDS), 1)[1].split("·")[0]

    if shutil.which("pdftoppm"):  # a picture to look at
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        pdf_path = ARTIFACTS / "passport-labels.pdf"
        pdf_path.write_bytes(response.data)
        subprocess.run(  # noqa: S603
            [
                shutil.which("pdftoppm"),
                "-png",
                "-r",
                "60",
                "-f",
                "1",
                "-l",
                "1",
                str(pdf_path),
                str(ARTIFACTS / "passport-labels"),
            ],
            check=True,
        )


def test_labels_page_draws_the_eu_flag_inline(staff_client, shop):
    page = page_text(staff_client.get(docs_url(shop, "etiquettes")))
    assert page.count('<svg class="eu-flag"') == 4
    assert page.count("<polygon") == 4 * 12  # twelve stars, nothing fetched


def test_professionals_delivery_documents_carry_the_passports(staff_client, shop):
    round_ = page_words(staff_client.get(docs_url(shop, "tournee")))
    assert PASSPORT_WORDS in round_
    assert (
        "A Ocimum basilicum B FR-84-00123 C SEMIS-2026-117 D FR 12 × Basilic Grand vert" in round_
    )

    pickup = page_words(staff_client.get(docs_url(shop, "emargement")))
    # The restaurant's order has its passport; individuals' get theirs on the label.
    assert pickup.count(PASSPORT_WORDS) == 1

    pdf = pdf_words(staff_client.get(docs_url(shop, "tournee", format="pdf")).data)
    assert squash("A Ocimum basilicum B FR-84-00123 C SEMIS-2026-117 D FR") in pdf


# --- The register -------------------------------------------------------------------------------


def expected_register(shop):
    """By hand: confirmed, ready and collected orders' plant lines (not the courgettes, not
    Zoé's cancelled order, not Chloé's unconfirmed one)."""
    tomato = tomato_code(shop)
    return [
        [
            "2026-12-04",
            number("Alice"),
            "Alice",
            "Particulier",
            "Tomate Cœur de bœuf",
            "Solanum lycopersicum",
            tomato,
            "3",
            "FR-84-00123",
            "FR",
        ],
        [
            "2026-12-04",
            number("Alice"),
            "Alice",
            "Particulier",
            "Basilic Grand vert",
            "Ocimum basilicum",
            "SEMIS-2026-117",
            "1",
            "FR-84-00123",
            "FR",
        ],
        [
            "2026-12-04",
            number("Le Bistrot"),
            "Le Bistrot",
            "Restaurant",
            "Basilic Grand vert",
            "Ocimum basilicum",
            "SEMIS-2026-117",
            "12",
            "FR-84-00123",
            "FR",
        ],
        [
            "2026-12-05",
            number("Bruno"),
            "Bruno",
            "Particulier",
            "Tomate Cœur de bœuf",
            "Solanum lycopersicum",
            tomato,
            "2",
            "FR-84-00123",
            "FR",
        ],
    ]


HEADER = [
    "Date",
    "Commande",
    "Acheteur",
    "Type de client",
    "Produit",
    "Nom botanique",
    "Code de traçabilité",
    "Quantité",
    "Numéro d'enregistrement",
    "Pays d'origine",
]


def sort_rows(rows):
    return sorted(rows, key=lambda row: (row[0], row[1], row[4]))


def test_register_csv_equals_a_hand_count(admin_client, shop):
    response = admin_client.get("/gestion/passeports/registre.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = csv_rows(response.data)
    assert rows[0] == HEADER
    assert sort_rows(rows[1:]) == sort_rows(expected_register(shop))
    assert sum(int(row[7]) for row in rows[1:]) == 3 + 1 + 12 + 2

    day_2 = csv_rows(admin_client.get("/gestion/passeports/registre.csv?du=2026-12-05").data)
    assert [row[2] for row in day_2[1:]] == ["Bruno"]


def test_register_page_opens_on_this_year(staff_client, shop):
    today = shop_today()
    for name, slot in shop["slots"].items():
        slot.day = today if name == "gate2" else date(today.year - 1, 12, 31)
    db.session.commit()

    response = staff_client.get("/gestion/passeports")
    assert response.status_code == 200
    assert f'value="{today.year}-01-01"' in response.text
    assert f'value="{today.year}-12-31"' in response.text
    page = page_words(response)
    assert "1 passeport délivré sur la période." in page  # Bruno's tomatoes, on today's slot
    assert f"Tomate Cœur de bœuf Solanum lycopersicum {tomato_code(shop)} 2" in page

    everything = page_words(staff_client.get("/gestion/passeports?du=&au="))
    assert "4 passeports délivrés sur la période." in everything


def test_register_page_for_staff_download_for_admins(client, login, make_user, staff_client, shop):
    page = page_words(staff_client.get("/gestion/passeports?du=&au="))  # the whole register
    assert "4 passeports délivrés sur la période." in page
    assert f"Tomate Cœur de bœuf Solanum lycopersicum {tomato_code(shop)} 5" in page
    assert "Alice" not in page  # no buyers on screen
    assert staff_client.get("/gestion/passeports/registre.csv").status_code == 403

    bad = staff_client.get("/gestion/passeports?du=04/12/2026")
    assert bad.status_code == 400
    assert "Date invalide « 04/12/2026 » (attendu : AAAA-MM-JJ)." in page_text(bad)

    client.post("/compte/deconnexion")
    login(make_user())
    assert client.get("/gestion/passeports").status_code == 403


def test_flask_passports_register_writes_the_csv(runner, shop, tmp_path):
    result = runner.invoke(args=["passports", "register"])
    assert result.exit_code == 0, result.output
    rows = csv_rows(result.output.encode())
    assert sort_rows(rows[1:]) == sort_rows(expected_register(shop))

    out = tmp_path / "registre.csv"
    result = runner.invoke(
        args=["passports", "register", "--from", "2026-12-04", "--to", "2026-12-04", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "3 passports written" in result.output
    rows = csv_rows(out.read_bytes())
    assert {row[1] for row in rows[1:]} == {number("Alice"), number("Le Bistrot")}

    result = runner.invoke(args=["passports", "register", "--from", "4 décembre"])
    assert result.exit_code == 2 and "is not a date" in result.output


# --- The configuration warning ------------------------------------------------------------------


def test_dashboard_warns_while_the_registration_number_is_missing(app, staff_client, shop):
    assert "PLANT_PASSPORT_OPERATOR" not in page_text(staff_client.get("/gestion/"))
    app.config["PLANT_PASSPORT_OPERATOR"] = ""
    page = page_words(staff_client.get("/gestion/"))
    assert "Passeport phytosanitaire : le numéro d'enregistrement de l'opérateur" in page


# --- In the browser -----------------------------------------------------------------------------


def test_staff_type_a_lot_code_in_the_browser_and_the_delivery_round_prints_it(
    browser, live_server, staff, shop
):
    from playwright.sync_api import expect

    from tests.browser import grid_row, log_in

    before_any_passport_is_issued()
    context = browser.new_context(
        base_url=live_server, locale="fr-FR", viewport={"width": 1400, "height": 900}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        log_in(page, staff.email)
        page.goto(f"/gestion/semaines/{shop['week'].id}")
        row = grid_row(page, "Basilic Grand vert")
        code = row.get_by_label("Code de traçabilité : Basilic Grand vert")
        expect(code).to_have_value("SEMIS-2026-117")
        code.fill("SEMIS-2026-204")
        # Cut vegetables have no passport: no code to type.
        expect(grid_row(page, "Courgettes").locator("input.lot-code")).to_have_count(0)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        row.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "passport-week-grid.png"))
        page.get_by_role("button", name="Enregistrer les disponibilités").click()
        expect(page.locator(".flash-success")).to_contain_text("Disponibilités enregistrées.")

        page.goto(docs_url(shop, "tournee"))
        passport = page.locator(".passport").first
        expect(passport).to_contain_text("Plant Passport / Passeport phytosanitaire")
        expect(passport).to_contain_text("C SEMIS-2026-204")
        page.screenshot(path=str(ARTIFACTS / "passport-delivery-round.png"), full_page=True)
    finally:
        context.close()
