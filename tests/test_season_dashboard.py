"""The season dashboard (issue 16): every figure of a small season counted by hand, to the
cent and the unit; the season chooser; the year's charges; CSV and SVG downloads; a constant
number of statements whatever the history's length."""

import re
import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import delete, func, insert, select

from boutique.extensions import db
from boutique.models import (
    Offer,
    Order,
    OrderLine,
    Payment,
    Product,
    SalesWeek,
    SeasonCharge,
    WaitlistEntry,
)
from boutique.payments.invoices import credit_note_for_change, issue_invoice
from boutique.season.routes import SVG_POLICY
from boutique.timezones import shop_today
from tests.conftest import page_text, page_words

URL = "/gestion/saison/"


def sales_week(friday, label=None, status="archived"):
    """A week whose pick-up day is `friday`, its deadline the Wednesday before."""
    closes = datetime.combine(friday - timedelta(days=2), time(12), UTC)
    week = SalesWeek(
        label=label or f"Semaine {friday.isocalendar().week}",
        opens_at=closes - timedelta(days=5),
        closes_at=closes,
        pickup_dates=[friday.isoformat()],
        status=status,
    )
    db.session.add(week)
    return week


def offer(week, product, available, reserved, offered=True):
    db.session.add(
        Offer(
            week=week,
            product=product,
            quantity_available=available,
            quantity_reserved=reserved,
            offered=offered,
        )
    )


def order(week, kind, method, status, lines):
    """lines: (product, quantity, unit price in cents); prices include VAT for individuals."""
    placed = Order(
        number=f"S{week.id}-{uuid.uuid4().hex[:6]}",
        week=week,
        customer_kind=kind,
        contact_name="Camille",
        email="camille@exemple.fr",
        payment_method=method,
        status=status,
        prices_include_vat=kind == "individual",
        checkout_token=uuid.uuid4().hex,
        access_token=uuid.uuid4().hex,
    )
    offers = {o.product_id: o for o in week.offers}
    for product, quantity, price in lines:
        placed.lines.append(
            OrderLine(
                offer=offers[product.id],
                product_id=product.id,
                product_name=product.name,
                unit_label=product.unit_label,
                unit_price_cents=price,
                vat_rate_bp=product.vat_rate_bp,
                quantity_ordered=quantity,
                quantity=quantity,
            )
        )
    db.session.add(placed)
    return placed


def waiting(product, created, quantity=None, ended=False):
    db.session.add(
        WaitlistEntry(
            product=product,
            email=f"{uuid.uuid4().hex[:8]}@exemple.fr",
            quantity=quantity,
            token=uuid.uuid4().hex,
            created_at=created,
            ended_at=created + timedelta(days=3) if ended else None,
            end_reason="notified" if ended else "",
        )
    )


class Season:
    pass


@pytest.fixture
def season(app, make_product):
    return build_season(make_product)


def build_season(make_product):
    """Weeks 14, 15 and 16 of 2026, and week 15 of 2025 (another season).

    Tomato (5.5 %), basil (10 %) and leek (5.5 %); every order written out below, with what
    each one counts for.
    """
    s = Season()
    s.tomato = make_product(name="Tomate", variety="Marmande", vat_rate_bp=550)
    s.basil = make_product(name="Basilic", variety="Grand vert", vat_rate_bp=1000)
    s.leek = make_product(name="Poireau", variety="Bleu de Solaise", vat_rate_bp=550)
    s.w14 = sales_week(date(2026, 4, 3))
    s.w15 = sales_week(date(2026, 4, 10))
    s.w16 = sales_week(date(2026, 4, 17), status="published")
    s.old = sales_week(date(2025, 4, 11))
    s.draft = sales_week(date(2026, 4, 24), status="draft")  # never shown
    # Tomato: 10 a week, sold out in weeks 14 and 16. Basil: no limit in week 14, 8 in
    # week 15 (sold out), not offered in week 16. Leek: 20 in weeks 15 and 16.
    offer(s.w14, s.tomato, 10, 10)
    offer(s.w14, s.basil, None, 5)
    offer(s.w15, s.tomato, 10, 6)
    offer(s.w15, s.basil, 8, 8)
    offer(s.w15, s.leek, 20, 3)
    offer(s.w16, s.tomato, 10, 10)
    offer(s.w16, s.basil, 8, 0, offered=False)
    offer(s.w16, s.leek, 20, 2)
    offer(s.old, s.tomato, 100, 100)
    offer(s.draft, s.tomato, 10, 10)
    db.session.flush()
    t, b, p = s.tomato, s.basil, s.leek
    # Week 14. An individual by card: 4 × 2.50 at 5.5 % = 10.00 TTC -> 9.48 HT (947.87),
    # 5 × 3.00 at 10 % = 15.00 TTC -> 13.64 HT (1363.64): 23.12 HT, 25.00 TTC.
    order(s.w14, "individual", "card", "collected", [(t, 4, 250), (b, 5, 300)])
    # A restaurant by invoice, 6 × 1.90 HT = 11.40 HT, VAT 0.63 (0.627): 12.03 TTC.
    order(s.w14, "restaurant", "invoice", "confirmed", [(t, 6, 190)])
    order(s.w14, "individual", "on_pickup", "no_show", [(t, 2, 250)])  # not a sale
    order(s.w14, "individual", "card", "cancelled", [(t, 1, 250)])  # not a sale
    # Week 15. An AMAP on pick-up: 6 × 1.80 + 3 × 1.50 = 15.30 HT at 5.5 % (VAT 0.84), and
    # 8 × 2.00 = 16.00 HT at 10 % (VAT 1.60): 31.30 HT, 33.74 TTC.
    order(s.w15, "amap", "on_pickup", "collected", [(t, 6, 180), (b, 8, 200), (p, 3, 150)])
    order(s.w15, "individual", "card", "expired", [(t, 2, 250)])  # not a sale
    order(s.w15, "individual", "on_pickup", "cancelled", [(b, 1, 300)])  # not a sale
    # Week 16. An individual on pick-up: 10 × 2.50 + 2 × 2.50 = 30.00 TTC at 5.5 % ->
    # 28.44 HT (2843.60, converted once for the order's rate, as on its receipt).
    order(s.w16, "individual", "on_pickup", "collected", [(t, 10, 250), (p, 2, 250)])
    order(s.w16, "restaurant", "on_pickup", "no_show", [(p, 1, 190)])  # not a sale
    # Another season: 100 tomatoes that 2026 must not count.
    order(s.old, "individual", "on_pickup", "collected", [(t, 100, 250)])
    # The waiting list: two people wait for tomatoes (1 and 3 plants), someone waited for 2
    # basils and was told; someone has waited for a leek since 2025.
    april = datetime(2026, 4, 8, 9, tzinfo=UTC)
    waiting(t, april)
    waiting(t, april, quantity=3)
    waiting(b, april, quantity=2, ended=True)
    waiting(p, datetime(2025, 6, 1, 9, tzinfo=UTC))
    db.session.add_all(
        [
            SeasonCharge(year=2026, label="Salaires", amount_cents=15000),
            SeasonCharge(year=2026, label="Serres", amount_cents=5000),
            SeasonCharge(year=2025, label="Salaires", amount_cents=999_999),
        ]
    )
    db.session.commit()
    return s


def words(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return page_words(response)


def csv_rows(response):
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return [line.split(";") for line in text[1:].strip().splitlines()]


def row_of(text, header):
    """The words of a table row starting with its header cell (up to the next row header)."""
    match = re.search(rf"{re.escape(header)} (.*?)(?= S\d\d |$)", text)
    return match.group(1) if match else None


# --- Every figure by hand ----------------------------------------------------------------------


def test_sales_per_week_and_kind_are_excluding_vat_to_the_cent(staff_client, season):
    text = words(staff_client, URL + "?annee=2026")
    assert "La saison 2026" in text
    assert (
        "94,26 € HT sur 3 semaines, 4 commandes : particuliers 51,56 €, restaurants 11,40 €, "
        "AMAP 31,30 €." in text
    )
    rows = csv_rows(staff_client.get("/gestion/saison/ventes.csv?annee=2026"))
    assert rows == [
        ["Semaine", "Lundi", "Particuliers HT (€)", "Restaurants HT (€)", "AMAP HT (€)",
         "Total HT (€)", "Commandes"],
        ["S14", "2026-03-30", "23,12", "11,40", "0,00", "34,52", "2"],
        ["S15", "2026-04-06", "0,00", "0,00", "31,30", "31,30", "1"],
        ["S16", "2026-04-13", "28,44", "0,00", "0,00", "28,44", "1"],
    ]  # fmt: skip
    # The page's table says the same, its total row too.
    assert "S14 30/03/2026 23,12 € 11,40 € 0,00 € 34,52 € 2" in text
    assert "Total 51,56 € 11,40 € 31,30 € 94,26 € 4" in text
    # The page says how: each order's VAT-included total per rate, converted once, rounded.
    assert "HT = TTC × 100 / (100 + taux), arrondi au centime le plus proche" in text


def test_sell_through_per_product_counts_limited_offers_and_names_sold_out_weeks(
    staff_client, season
):
    rows = csv_rows(staff_client.get("/gestion/saison/ecoulement.csv?annee=2026"))
    assert rows[0] == [
        "Produit", "Unité", "Unités proposées (avec limite)", "Unités vendues",
        "Écoulement (%)", "Unités vendues sans limite", "Semaines proposées",
        "Semaines épuisées",
    ]  # fmt: skip
    assert rows[1:] == [
        # Basil: offered 2 weeks, only week 15's with a limit (8, all sold); week 14's 5
        # had none (sold, told apart), and week 16's offer was withdrawn.
        ["Basilic Grand vert", "godet 8 cm", "8", "8", "100,0", "5", "2", "S15"],
        # Leek: 3 + 2 sold of 40.
        ["Poireau Bleu de Solaise", "godet 8 cm", "40", "5", "12,5", "0", "2", ""],
        # Tomato: 4 + 6, 6, 10 sold of 30; the no-show, cancelled and expired orders are not.
        ["Tomate Marmande", "godet 8 cm", "30", "26", "86,7", "0", "3", "S14, S16"],
    ]
    text = words(staff_client, URL + "?annee=2026")
    assert "Tomate Marmande 30 26 86,7 % 0 S14, S16" in text
    assert "Poireau Bleu de Solaise 40 5 12,5 % 0 —" in text
    assert "Basilic Grand vert 8 8 100,0 % 5 S15" in text


def test_a_product_only_ever_offered_without_limit_shows_what_it_sold(staff_client, make_product):
    potatoes = make_product(name="Pommes de terre", variety="Charlotte", unit_label="kg")
    for friday in (date(2026, 6, 5), date(2026, 6, 12)):
        week = sales_week(friday)
        offer(week, potatoes, None, 0)
        db.session.flush()
        order(week, "individual", "on_pickup", "collected", [(potatoes, 7, 300)])
    db.session.commit()
    rows = csv_rows(staff_client.get("/gestion/saison/ecoulement.csv?annee=2026"))
    assert rows[1:] == [["Pommes de terre Charlotte", "kg", "0", "0", "", "14", "2", ""]]
    text = words(staff_client, URL + "?annee=2026")
    assert "Pommes de terre Charlotte 0 0 — 14 —" in text


def test_weekly_sell_through_and_one_products_weeks(staff_client, season):
    rows = csv_rows(staff_client.get("/gestion/saison/ecoulement-semaines.csv?annee=2026"))
    assert rows[1:] == [
        ["S14", "2026-03-30", "10", "10", "100,0", "1"],
        ["S15", "2026-04-06", "38", "17", "44,7", "1"],
        ["S16", "2026-04-13", "30", "12", "40,0", "1"],
    ]
    text = words(staff_client, URL + f"?annee=2026&produit={season.tomato.id}")
    assert "S14 10 10 100,0 % épuisé S15 10 6 60,0 % S16 10 10 100,0 % épuisé" in text
    rows = csv_rows(
        staff_client.get(
            f"/gestion/saison/ecoulement-produit.csv?annee=2026&produit={season.basil.id}"
        )
    )
    assert rows[1:] == [
        ["S14", "2026-03-30", "sans limite", "5", "", ""],
        ["S15", "2026-04-06", "8", "8", "100,0", "oui"],
        ["S16", "2026-04-13", "", "0", "", ""],
    ]


def test_earliest_sold_out_and_most_left_over(staff_client, season):
    rows = csv_rows(staff_client.get("/gestion/saison/epuises.csv?annee=2026"))
    assert rows[1:] == [
        ["Tomate Marmande", "S14", "S14, S16", "2"],
        ["Basilic Grand vert", "S15", "S15", "1"],
    ]
    rows = csv_rows(staff_client.get("/gestion/saison/invendus.csv?annee=2026"))
    assert rows[1:] == [
        ["Poireau Bleu de Solaise", "40", "5", "35"],
        ["Tomate Marmande", "30", "26", "4"],
    ]
    text = words(staff_client, URL + "?annee=2026")
    assert "Tomate Marmande S14 2 S14, S16 Basilic Grand vert S15 1 S15" in text


def test_no_shows_cancellations_and_payment_methods(staff_client, season):
    rows = csv_rows(staff_client.get("/gestion/saison/absences.csv?annee=2026"))
    assert rows[1:] == [
        ["S14", "2026-03-30", "1", "1"],
        ["S15", "2026-04-06", "0", "1"],  # the expired card order is not a cancellation
        ["S16", "2026-04-13", "1", "0"],
    ]
    rows = csv_rows(staff_client.get("/gestion/saison/paiements.csv?annee=2026"))
    assert rows[1:] == [
        ["Carte en ligne", "1", "23,12", "25,00"],
        ["Au retrait", "2", "59,74", "63,74"],
        ["Facture (virement)", "1", "11,40", "12,03"],
    ]
    text = words(staff_client, URL + "?annee=2026")
    assert "Total 2 2" in text  # no-shows, cancellations
    assert "Au retrait 2 59,74 € 63,74 €" in text


def test_unmet_demand_is_the_waiting_list_now_and_during_the_season(staff_client, season):
    rows = csv_rows(staff_client.get("/gestion/saison/attente.csv?annee=2026"))
    assert rows[1:] == [
        ["Tomate Marmande", "2", "4", "2", "4"],
        ["Basilic Grand vert", "0", "0", "1", "2"],
        ["Poireau Bleu de Solaise", "1", "1", "0", "0"],
    ]
    text = words(staff_client, URL + "?annee=2026")
    assert "Tomate Marmande 2 4 2 4" in text


def test_funders_share_is_the_years_sales_against_its_charges_and_the_cap(
    app, staff_client, season
):
    text = words(staff_client, URL + "?annee=2026")
    # 94.26 of 200.00: 47.1 %; 30 % of 200.00 is 60.00, exceeded by 34.26.
    assert (
        "En 2026, les ventes HT (94,26 €) couvrent 47,1 % des charges de l'atelier (200,00 €)."
        in text
    )
    assert "ne peut couvrir par ses ventes que 30 % de ses charges au plus, soit 60,00 €" in text
    assert "Le plafond est dépassé de 34,26 €." in text
    rows = csv_rows(staff_client.get("/gestion/saison/financeurs.csv?annee=2026"))
    assert rows[1:] == [
        ["2026", "Salaires", "150,00"],
        ["2026", "Serres", "50,00"],
        ["2026", "Total des charges", "200,00"],
        ["2026", "Ventes HT de l'année", "94,26"],
        ["2026", "Part des charges couverte par les ventes (%)", "47,1"],
        ["2026", "Plafond des ventes (%)", "30"],
        ["2026", "Ventes HT permises par le plafond", "60,00"],
    ]
    app.config["INSERTION_SALES_CAP_PERCENT"] = 50
    text = words(staff_client, URL + "?annee=2026")
    assert "Il reste 5,74 € de ventes possibles sous le plafond." in text
    # A range in 2026 still compares the whole calendar year's sales.
    text = words(staff_client, URL + "?du=2026-04-06&au=2026-04-12")
    assert "31,30 € HT sur 1 semaine" in text
    assert "les ventes HT (94,26 €) couvrent 47,1 %" in text


def test_funders_sales_count_the_no_shows_the_customer_was_charged_for(staff_client, season):
    """A restaurant invoiced at confirmation that did not come still owes its invoice: the
    books have the sale, so do the funders' figures. A no-show whose card was refunded, or
    who never paid, sold nothing."""
    invoiced = order(season.w16, "restaurant", "invoice", "no_show", [(season.leek, 10, 190)])
    refunded = order(season.w16, "individual", "card", "no_show", [(season.leek, 4, 250)])
    db.session.flush()
    issue_invoice(invoiced)
    db.session.add_all(
        [
            Payment(order=refunded, method="card", amount_cents=1000),
            Payment(order=refunded, method="card", amount_cents=-1000),
        ]
    )
    db.session.commit()
    text = words(staff_client, URL + "?annee=2026")
    # 94.26 + 19.00 invoiced: 113.26 of 200.00, 56.6 %; the weekly sales are unchanged.
    assert "les ventes HT (113,26 €) couvrent 56,6 % des charges" in text
    assert "94,26 € HT sur 3 semaines" in text


def test_a_no_show_lowered_before_still_counts_what_its_invoice_still_bills(
    staff_client, season
):
    """Invoiced 10 leeks at 1.90 HT, lowered to 8 (a credit note for 2), then not collected:
    the invoice still bills 15.20 HT. A note that cancels it whole leaves nothing."""
    lowered = order(season.w16, "restaurant", "invoice", "confirmed", [(season.leek, 10, 190)])
    db.session.flush()
    issue_invoice(lowered)
    lowered.lines[0].quantity = 8
    assert credit_note_for_change(lowered) is not None
    lowered.status = "no_show"
    db.session.commit()
    assert "les ventes HT (109,46 €)" in words(staff_client, URL + "?annee=2026")

    lowered.status = "cancelled"  # staff cancel it after all: a note for the 8 left
    assert credit_note_for_change(lowered) is not None
    lowered.status = "no_show"
    db.session.commit()
    assert "les ventes HT (94,26 €)" in words(staff_client, URL + "?annee=2026")


def test_a_week_counts_in_the_year_of_its_thursday(staff_client, season):
    """Week 1 of 2026 starts on Monday 29 December 2025: it is 2026's, never 2025's."""
    week = sales_week(date(2026, 1, 2))
    offer(week, season.leek, 5, 1)
    db.session.flush()
    order(week, "restaurant", "invoice", "collected", [(season.leek, 1, 1000)])
    db.session.commit()
    text_2025 = words(staff_client, URL + "?annee=2025")
    text_2026 = words(staff_client, URL + "?annee=2026")
    assert "236,97 € HT sur 1 semaine, 1 commande" in text_2025  # week 15: 250.00 TTC at 5.5 %
    assert "104,26 € HT sur 4 semaines" in text_2026


def test_a_week_whose_orders_closed_weeks_before_counts_in_its_pick_up_year(staff_client, season):
    """Orders closed on 22 December before a break, picked up on Friday 8 January 2027 (ISO
    week 1 of 2027): the week is 2027's (it was in neither year's figures)."""
    week = sales_week(date(2027, 1, 8))
    week.closes_at = datetime(2026, 12, 22, 17, tzinfo=UTC)
    week.opens_at = datetime(2026, 12, 14, 8, tzinfo=UTC)
    offer(week, season.leek, 5, 1)
    db.session.flush()
    order(week, "restaurant", "invoice", "collected", [(season.leek, 1, 1000)])
    db.session.commit()
    assert "10,00 € HT sur 1 semaine, 1 commande" in words(staff_client, URL + "?annee=2027")
    assert "94,26 € HT sur 3 semaines" in words(staff_client, URL + "?annee=2026")  # as it was


def test_an_order_lowered_to_nothing_by_staff_is_not_counted_as_an_order(staff_client, season):
    emptied = order(season.w15, "restaurant", "invoice", "confirmed", [(season.leek, 4, 190)])
    emptied.lines[0].quantity = 0  # the leeks failed: staff lowered the line to 0
    db.session.commit()
    rows = csv_rows(staff_client.get("/gestion/saison/ventes.csv?annee=2026"))
    assert rows[2] == ["S15", "2026-04-06", "0,00", "0,00", "31,30", "31,30", "1"]
    methods = csv_rows(staff_client.get("/gestion/saison/paiements.csv?annee=2026"))
    assert ["Facture (virement)", "1", "11,40", "12,03"] in methods


def test_another_season_and_draft_weeks_are_left_out(staff_client, season):
    text = words(staff_client, URL + "?annee=2025")
    assert "236,97 € HT sur 1 semaine, 1 commande" in text
    assert "Tomate Marmande 100 100 100,0 % 0 S15" in text
    text = words(staff_client, URL + "?annee=2024")
    assert "Aucune semaine de vente publiée sur cette période." in text


# --- The chooser ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("annee=deux-mille", "Année « deux-mille » non reconnue"),
        ("annee=99999", "Année « 99999 » non reconnue"),
        ("annee=1850", "Année « 1850 » non reconnue"),
        ("annee=", "Indiquez une année de 2000 à 2999."),
        ("annee=%20", "Indiquez une année de 2000 à 2999."),
        ("du=2026-02-30&au=2026-03-10", "Date « 2026-02-30 » non reconnue"),
        ("du=2026-03-10", "Indiquez les deux dates de la période"),
        ("du=&au=", "Indiquez les deux dates de la période"),
        ("du=2026-06-30&au=2026-03-01", "La période doit finir après son début."),
        ("du=2000-01-01&au=2026-12-31", "Choisissez une période de trois ans au plus."),
        ("du=9999-01-01&au=9999-02-01", "Date « 9999-01-01 » hors des années connues."),
        ("produit=abc", "Produit « abc » inconnu."),
    ],
)
def test_bad_chooser_input_is_told_and_the_current_year_shown(staff_client, season, query, message):
    response = staff_client.get(f"{URL}?{query}")
    assert response.status_code == 200
    text = page_text(response)
    assert message in text
    assert f"La saison {shop_today().year}" in text  # the current year in Paris


def test_a_date_range_shows_its_weeks(staff_client, season):
    text = words(staff_client, URL + "?du=2026-04-06&au=2026-04-19")
    assert "La saison du 6 avril 2026 au 19 avril 2026" in text
    assert "59,74 € HT sur 2 semaines" in text


def test_a_bad_csv_or_chart_address_never_fails(staff_client, season):
    response = staff_client.get("/gestion/saison/ventes.csv?annee=abc")
    assert response.status_code == 302
    assert "non reconnue" in page_text(staff_client.get(response.headers["Location"]))
    assert staff_client.get("/gestion/saison/inconnu.csv").status_code == 404
    assert staff_client.get("/gestion/saison/graphique-inconnu.svg").status_code == 404
    response = staff_client.get("/gestion/saison/graphique-ventes.svg?annee=abc&produit=x")
    assert response.status_code == 200  # an image cannot show a message: the current year


# --- Charts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "series"),
    [
        ("ventes", ["Particuliers", "Restaurants", "AMAP"]),
        ("ecoulement-semaines", ["S14", "S15", "S16"]),
        ("ecoulement", ["Tomate Marmande", "Poireau Bleu de Solaise"]),
        ("invendus", ["Poireau Bleu de Solaise"]),
        ("absences", ["Non venus", "Annulations"]),
        ("paiements", ["Carte en ligne", "Au retrait", "Facture (virement)"]),
        ("attente", ["Sur la période", "En attente maintenant", "Tomate Marmande"]),
        ("financeurs", ["Charges de l'année", "Ventes HT"]),
    ],
)
def test_each_chart_is_an_svg_with_its_own_policy_and_series(staff_client, season, name, series):
    for size in ("", "&taille=etroit"):
        response = staff_client.get(f"/gestion/saison/graphique-{name}.svg?annee=2026{size}")
        assert response.status_code == 200
        assert response.mimetype == "image/svg+xml"
        assert response.headers["Content-Security-Policy"] == SVG_POLICY
        svg = page_text(response)
        assert svg.startswith("<?xml") and "<svg" in svg
        assert "<script" not in svg
        for text in series:  # a phone's drawing cuts long product names (test below)
            assert (text[:17] if size else text) in svg, (name, text)


@pytest.mark.parametrize("name", ["ecoulement", "invendus", "attente"])
def test_a_phones_bars_are_named_short_so_they_keep_their_room(staff_client, season, name):
    db.session.get(Product, season.leek.id).variety = "Bleu de Solaise, très rustique"
    db.session.commit()
    wide = page_text(staff_client.get(f"/gestion/saison/graphique-{name}.svg?annee=2026"))
    assert ">Poireau Bleu de Solaise, très rustique</text>" in wide
    svg = page_text(
        staff_client.get(f"/gestion/saison/graphique-{name}.svg?annee=2026&taille=etroit")
    )
    assert ">Poireau Bleu de S…</text>" in svg
    labels = re.findall(r'<text x="-5" y="[0-9.]+" class="">([^<]*)</text>', svg)
    assert labels and max(len(label) for label in labels) <= 18


def test_count_graduations_go_in_round_steps():
    from boutique.season.charts import _counts

    assert _counts([865]) == [0, 200, 400, 600, 800, 1000]
    assert _counts([45, 3]) == [0, 10, 20, 30, 40, 50]
    assert _counts([4]) == [0, 1, 2, 3, 4]
    assert _counts([0, None]) == [0, 1]
    assert _counts([7]) == [0, 2, 4, 6, 8]


def test_the_sales_chart_holds_the_weeks_amounts(staff_client, season):
    svg = page_text(staff_client.get("/gestion/saison/graphique-ventes.svg?annee=2026"))
    # pygal writes each bar's value for its (script-free) tooltip.
    for value in ("23 €", "11 €", "31 €", "28 €"):
        assert value in svg


def test_the_page_shows_each_chart_with_a_caption_alt_text_and_its_table(staff_client, season):
    response = staff_client.get(URL + "?annee=2026")
    body = response.get_data(as_text=True)
    figures = re.findall(r"<figure class=\"chart\">(.*?)</figure>", body, re.S)
    assert len(figures) == 8
    for figure in figures:
        assert re.search(
            r'<img src="/gestion/saison/graphique-[a-z-]+\.svg\?annee=2026" alt="[^"]{40,}"', figure
        )
        assert "<figcaption>" in figure
    for name in ("ventes", "ecoulement", "ecoulement-semaines", "epuises", "invendus",
                 "absences", "paiements", "attente", "financeurs"):  # fmt: skip
        assert f'href="/gestion/saison/{name}.csv?annee=2026"' in body


# --- Charges ---------------------------------------------------------------------------------------


def charges_2026():
    return {
        c.label: c.amount_cents
        for c in db.session.scalars(select(SeasonCharge).where(SeasonCharge.year == 2026))
    }


def post_charge(client, path, label, amount):
    """A charge form sent to `path`, and the page it leads back to (its text)."""
    response = client.post(
        path, data={"label": label, "amount_cents": amount}, follow_redirects=True
    )
    assert response.status_code == 200
    return page_text(response)


@pytest.mark.parametrize("amount", ["1 234,50", "1234.50", "1234,5"])
def test_staff_add_a_charge_in_euros_with_comma_or_dot(staff_client, season, amount):
    response = staff_client.post(
        "/gestion/saison/charges?annee=2026", data={"label": "Électricité", "amount_cents": amount}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/gestion/saison/?annee=2026#financeurs")
    text = page_text(staff_client.get(response.headers["Location"]))
    assert "Charge ajoutée à l'année 2026." in text
    db.session.expire_all()
    assert charges_2026()["Électricité"] == 123450


@pytest.mark.parametrize(
    ("label", "amount", "message"),
    [
        ("", "10", "Indiquez le libellé de la charge."),
        ("   ", "10", "Indiquez le libellé de la charge."),
        ("Eau", "", "Indiquez le montant"),
        ("Eau", "   ", "Indiquez le montant (exemple : 12 500,00)."),  # not « existe déjà »
        ("Eau", "-5", "Le montant ne peut pas être négatif."),
        ("Eau", "dix euros", "Montant invalide"),
        ("Eau", "10,555", "Montant invalide"),
        ("Eau", "20000000", "Montant trop élevé."),
        ("Eau", "99999999999", "Montant invalide"),
        ("x" * 121, "10", "Le libellé tient en 120 caractères au plus."),
        ("salaires", "10", "Une charge « salaires » existe déjà pour 2026."),
    ],
)
def test_a_bad_charge_is_told_and_changes_nothing(staff_client, season, label, amount, message):
    text = post_charge(staff_client, "/gestion/saison/charges?annee=2026", label, amount)
    assert message in text
    db.session.expire_all()
    assert charges_2026() == {"Salaires": 15000, "Serres": 5000}


def test_a_label_is_the_same_whatever_its_accented_capitals(staff_client, season):
    """SQLite's lower() leaves « É » as it is: the check must not depend on the database."""
    post_charge(staff_client, "/gestion/saison/charges?annee=2026", "Électricité", "10")
    text = post_charge(staff_client, "/gestion/saison/charges?annee=2026", "électricité", "12")
    assert "Une charge « électricité » existe déjà pour 2026." in text
    db.session.expire_all()
    assert charges_2026()["Électricité"] == 1000 and len(charges_2026()) == 3


def test_a_charge_changed_from_a_page_whose_query_is_not_understood_goes_to_its_year(
    staff_client, season
):
    serres = db.session.scalar(select(SeasonCharge).filter_by(year=2026, label="Serres"))
    response = staff_client.post(
        f"/gestion/saison/charges/{serres.id}?annee=abc",
        data={"label": "Serres", "amount_cents": "60"},
    )
    assert response.headers["Location"].endswith("/gestion/saison/?annee=2026#financeurs")
    text = page_text(staff_client.get(response.headers["Location"]))
    assert "Charge « Serres » enregistrée." in text and "non reconnue" not in text
    response = staff_client.post(
        f"/gestion/saison/charges/{serres.id}/supprimer?du=2026-05-01&au=2026-01-01"
    )
    assert response.headers["Location"].endswith("/gestion/saison/?annee=2026#financeurs")
    text = page_text(staff_client.get(response.headers["Location"]))
    assert "Charge « Serres » retirée." in text and "La période doit finir" not in text


def test_a_label_may_come_back_another_year(staff_client, season):
    response = staff_client.post(
        "/gestion/saison/charges?annee=2027", data={"label": "Serres", "amount_cents": "70"}
    )
    assert response.status_code == 302
    assert db.session.scalar(select(SeasonCharge.amount_cents).filter_by(year=2027)) == 7000


def test_staff_change_and_remove_a_charge(staff_client, season):
    serres = db.session.scalar(select(SeasonCharge).filter_by(year=2026, label="Serres"))
    response = staff_client.post(
        f"/gestion/saison/charges/{serres.id}?annee=2026",
        data={"label": "Serres et intrants", "amount_cents": "80"},
        follow_redirects=True,
    )
    assert "Charge « Serres et intrants » enregistrée." in page_text(response)
    # 94.26 of 230.00: 41.0 %.
    assert "couvrent 41,0 % des charges de l'atelier (230,00 €)" in page_words(response)
    db.session.expire_all()
    assert charges_2026() == {"Salaires": 15000, "Serres et intrants": 8000}
    salaires = db.session.scalar(select(SeasonCharge).filter_by(year=2026, label="Salaires"))
    response = staff_client.post(
        f"/gestion/saison/charges/{serres.id}?annee=2026",
        data={"label": "SALAIRES", "amount_cents": "80"},
        follow_redirects=True,
    )
    assert "Une charge « SALAIRES » existe déjà pour 2026." in page_text(response)
    response = staff_client.post(
        f"/gestion/saison/charges/{salaires.id}/supprimer?annee=2026", follow_redirects=True
    )
    assert "Charge « Salaires » retirée." in page_text(response)
    db.session.expire_all()
    assert charges_2026() == {"Serres et intrants": 8000}
    assert staff_client.post("/gestion/saison/charges/999999/supprimer").status_code == 404


def test_two_staff_adding_the_same_charge_at_once_get_a_message_not_an_error(
    staff_client, season, meanwhile
):
    meanwhile(
        "season_charge", insert(SeasonCharge).values(year=2026, label="Eau", amount_cents=900)
    )
    text = post_charge(staff_client, "/gestion/saison/charges?annee=2026", "Eau", "10")
    assert "Une charge « Eau » existe déjà pour 2026." in text
    db.session.expire_all()
    assert charges_2026() == {"Eau": 900, "Salaires": 15000, "Serres": 5000}


def test_a_charge_renamed_as_another_just_added_gets_a_message_not_an_error(
    staff_client, season, meanwhile
):
    serres = db.session.scalar(select(SeasonCharge).filter_by(year=2026, label="Serres"))
    meanwhile(
        "season_charge",
        insert(SeasonCharge).values(year=2026, label="Eau", amount_cents=900),
        "write",
    )
    text = post_charge(staff_client, f"/gestion/saison/charges/{serres.id}?annee=2026", "Eau", "80")
    assert "Une charge « Eau » existe déjà pour 2026." in text
    db.session.expire_all()
    assert charges_2026() == {"Eau": 900, "Salaires": 15000, "Serres": 5000}


def test_a_charge_changed_while_another_request_removes_it_gets_a_message_not_an_error(
    staff_client, season, meanwhile
):
    serres = db.session.scalar(select(SeasonCharge).filter_by(year=2026, label="Serres"))
    meanwhile("season_charge", delete(SeasonCharge).where(SeasonCharge.id == serres.id), "write")
    text = post_charge(
        staff_client, f"/gestion/saison/charges/{serres.id}?annee=2026", "Serres", "80"
    )
    assert "Cette charge vient d'être retirée : rechargez la page." in text
    db.session.expire_all()
    assert charges_2026() == {"Salaires": 15000}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("annee=99999", "Année « 99999 » non reconnue"),
        ("annee=deux", "Année « deux » non reconnue"),
        ("du=2026-01-01", "Indiquez les deux dates de la période"),
    ],
)
def test_a_charge_for_a_year_not_understood_is_refused_not_put_in_this_year(
    staff_client, season, query, message
):
    before = db.session.scalar(select(func.count()).select_from(SeasonCharge))
    text = post_charge(staff_client, f"/gestion/saison/charges?{query}", "Eau", "10")
    assert "Charge ajoutée" not in text
    assert "non reconnue" in text or "Indiquez les deux dates" in text
    assert message in text
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(SeasonCharge)) == before


def test_the_charges_form_needs_its_csrf_token(app, client, staff, login, season):
    login(staff)
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(
        "/gestion/saison/charges?annee=2026", data={"label": "Eau", "amount_cents": "10"}
    )
    assert response.status_code == 400
    salaires = db.session.scalar(select(SeasonCharge).filter_by(year=2026, label="Salaires"))
    response = client.post(f"/gestion/saison/charges/{salaires.id}/supprimer?annee=2026")
    assert response.status_code == 400
    assert charges_2026() == {"Salaires": 15000, "Serres": 5000}

    body = client.get(URL + "?annee=2026").get_data(as_text=True)
    add_form = body[body.index('action="/gestion/saison/charges?annee=2026"') :]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', add_form).group(1)
    response = client.post(
        "/gestion/saison/charges?annee=2026",
        data={"label": "Eau", "amount_cents": "10", "csrf_token": token},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert charges_2026()["Eau"] == 1000


def test_customers_and_visitors_cannot_see_the_season(client, make_user, login, season):
    response = client.get(URL)
    assert response.status_code == 302 and "/compte/connexion" in response.headers["Location"]
    login(make_user(kind="restaurant"))
    assert client.get(URL).status_code == 403
    assert client.get("/gestion/saison/ventes.csv").status_code == 403
    assert client.get("/gestion/saison/graphique-ventes.svg").status_code == 403
    response = client.post("/gestion/saison/charges", data={"label": "Eau", "amount_cents": "1"})
    assert response.status_code == 403
    assert "Eau" not in charges_2026()


# --- Statements ---------------------------------------------------------------------------------


def grow(extra_weeks, products, orders_per_week):
    """More history in 2026 (weeks 20 onwards): offers of every product, orders of 3 lines."""
    category_id = db.session.scalar(select(Product.category_id).limit(1))
    db.session.execute(
        insert(Product),
        [
            {"name": f"Plant {i}", "variety": "", "category_id": category_id,
             "unit_label": "godet", "vat_rate_bp": 550, "price_individual_cents": 250,
             "price_restaurant_cents": 190, "price_amap_cents": 180, "description": ""}
            for i in range(products)
        ],
    )  # fmt: skip
    product_ids = db.session.scalars(select(Product.id)).all()
    for n in range(extra_weeks):
        week = sales_week(date(2026, 5, 15) + timedelta(weeks=n))
        db.session.flush()
        db.session.execute(
            insert(Offer),
            [
                {"week_id": week.id, "product_id": pid, "quantity_available": 50,
                 "quantity_reserved": 3 * orders_per_week % 50, "offered": True}
                for pid in product_ids
            ],
        )  # fmt: skip
        offers = db.session.execute(
            select(Offer.id, Offer.product_id).where(Offer.week_id == week.id)
        ).all()
        for k in range(orders_per_week):
            kind = ("individual", "restaurant", "amap")[k % 3]
            placed = order(week, kind, ("card", "on_pickup", "invoice")[k % 3], "collected", [])
            db.session.flush()
            db.session.execute(
                insert(OrderLine),
                [
                    {"order_id": placed.id, "offer_id": o.id, "product_id": o.product_id,
                     "product_name": "Plant", "unit_label": "godet", "unit_price_cents": 250,
                     "vat_rate_bp": 550, "quantity_ordered": 1, "quantity": 1}
                    for o in offers[k % len(offers) :][:3]
                ],
            )  # fmt: skip
        waiting(db.session.get(Product, product_ids[n % len(product_ids)]), week.closes_at)
    db.session.commit()


def test_the_page_takes_the_same_statements_whatever_the_history(
    staff_client, season, count_queries
):
    def statements(url):
        staff_client.get(url)  # warm up: the login's own queries, a new connection
        with count_queries() as queries:
            response = staff_client.get(url)
        assert response.status_code == 200
        return len(queries)

    product_url = URL + f"?annee=2026&produit={season.tomato.id}"
    small = statements(URL + "?annee=2026"), statements(product_url)
    small_chart = statements("/gestion/saison/graphique-ecoulement.svg?annee=2026")
    grow(extra_weeks=12, products=40, orders_per_week=25)
    assert db.session.scalar(select(func.count()).select_from(Order)) > 300
    large = statements(URL + "?annee=2026"), statements(product_url)
    assert "sur 15 semaines" in words(staff_client, URL + "?annee=2026")
    assert large == small
    assert small[0] <= 15
    assert statements("/gestion/saison/graphique-ecoulement.svg?annee=2026") == small_chart
