"""The sowing plan (issue 16): forecast and plan on fixtures with known answers, the same
numbers through the real history, overrides, crop data, the CSV and the PDF."""

import csv
import io
import re
import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import insert, select

from boutique.extensions import db
from boutique.models import (
    CropPlan,
    ForecastOverride,
    Offer,
    Order,
    OrderLine,
    SalesWeek,
    SownLot,
    WaitlistEntry,
)
from boutique.sowing import forecast as fc
from boutique.sowing import plan as sp
from boutique.sowing import services
from boutique.timezones import shop_today
from tests.conftest import page_text, page_words, pdf_words

WEEK = timedelta(days=7)
ORIGIN = fc.monday_of(datetime(2026, 11, 30).date())  # Monday of ISO week 49


def constant_history(product_id=1, units=10, weeks=60, origin=ORIGIN):
    history = fc.History()
    for k in range(1, weeks + 1):
        history.add(product_id, origin - k * WEEK, fc.Observation(sold=units))
    return history


# --- The forecast, pure -------------------------------------------------------------------------


def test_constant_demand_is_forecast_as_it_is():
    history = constant_history(units=10)
    result = fc.forecast(history, 1, ORIGIN + 3 * WEEK, ORIGIN)
    assert result.source == "season"
    assert result.base == 10 and result.trend == 1
    assert result.units == 10


def test_a_sold_out_week_is_forecast_above_its_sales_by_the_waiting_list():
    history = constant_history(units=10)
    target = ORIGIN + 5 * WEEK
    last_year = fc.same_week_last_year(target)
    history.add(1, last_year, fc.Observation(sold=10, sold_out=True, waiting=15))
    result = fc.forecast(history, 1, target, ORIGIN)
    # Sold out: 10 sold + 5 % uplift + 15 waiting = 25.5; with the weeks either side,
    # (10 + 25.5 + 10) / 3 = 15.17 → 15 plants, above the 10 sold that week.
    assert fc.METHOD.sold_out_uplift == 0.05 and fc.METHOD.smoothing == (1, 1, 1)
    assert result.base == pytest.approx(45.5 / 3)
    assert result.units == 15
    # The weeks either side see it as a neighbour; two weeks away, it is out of reach.
    assert fc.forecast(history, 1, target + WEEK, ORIGIN).units == 15
    assert fc.forecast(history, 1, target + 2 * WEEK, ORIGIN).units == 10


def test_unmet_demand_counts_when_sold_out_or_not_offered_and_only_then():
    assert fc.demand(fc.Observation(sold=20, sold_out=True, waiting=4)) == pytest.approx(25)
    assert fc.demand(fc.Observation(offered=False, waiting=4)) == 4
    # Not sold out: the waiting list's entries were served when stock came back.
    assert fc.demand(fc.Observation(sold=20, waiting=4)) == 20
    assert fc.actual_demand(fc.Observation(sold=20, sold_out=True, waiting=4)) == 24
    assert fc.actual_demand(fc.Observation(sold=20, waiting=4)) == 20
    assert fc.actual_demand(None) == 0


def test_the_trend_follows_this_season_clamped_and_damped_for_small_volumes():
    history = constant_history(units=10)
    for k in range(1, 7):  # six of the last eight weeks sold twice as much as last year
        history.add(1, ORIGIN - k * WEEK, fc.Observation(sold=20))
    result = fc.forecast(history, 1, ORIGIN + 2 * WEEK, ORIGIN)
    # (140 + 48) / (80 + 48) = 1.47, clamped to 1.25: 12.5 → 13.
    assert (fc.METHOD.recent_weeks, fc.METHOD.trend_prior) == (8, 48)
    assert result.trend == pytest.approx(1.25)
    assert result.units == 13

    small = constant_history(units=1)
    for k in range(1, 7):
        small.add(1, ORIGIN - k * WEEK, fc.Observation(sold=2))
    # Twice as much, but on a few plants: (14 + 48) / (8 + 48) = 1.11, not 1.75.
    assert fc.trend(small, 1, ORIGIN) == pytest.approx(62 / 56)


def test_a_product_without_last_season_gets_its_recent_average():
    history = constant_history(product_id=1, units=10)
    for k, units in zip(range(1, 5), (8, 10, 12, 10), strict=True):
        history.add(2, ORIGIN - k * WEEK, fc.Observation(sold=units))
    result = fc.forecast(history, 2, ORIGIN + 4 * WEEK, ORIGIN)
    assert result.source == "recent" and result.units == 10
    assert fc.forecast(history, 3, ORIGIN + WEEK, ORIGIN).source == "none"


def test_a_product_out_of_season_last_year_is_forecast_nothing():
    history = constant_history(units=10)
    target = ORIGIN + 10 * WEEK
    middle = fc.same_week_last_year(target)
    for monday in (middle - WEEK, middle, middle + WEEK):
        history.add(1, monday, fc.Observation(offered=False))
    assert fc.forecast(history, 1, target, ORIGIN).units == 0


def test_weeks_the_shop_was_closed_last_year_are_forecast_nothing():
    """A winter break (ISO weeks 52 to 2) last year: 10 a week in autumn is no reason to sow
    for a week the shop will likely be closed again (it took the recent average of 10)."""
    history = fc.History()
    origin = date(2026, 12, 7)
    monday = origin - 110 * WEEK
    while monday < origin:
        if monday.isocalendar().week not in (52, 53, 1, 2):
            history.add(1, monday, fc.Observation(sold=10))
        monday += WEEK
    result = fc.forecast(history, 1, date(2027, 1, 4), origin)  # ISO 2027-W01
    assert (result.source, result.units) == ("closed", 0)
    # The break's first and last weeks too (their open neighbour no longer stands in).
    for monday in (date(2026, 12, 21), date(2027, 1, 11)):  # ISO 2026-W52, 2027-W02
        assert fc.forecast(history, 1, monday, origin).source == "closed"
    assert fc.forecast(history, 1, date(2027, 1, 18), origin).units == 10  # open again, W03
    # A week the shop held sales around last year is forecast from them as before.
    assert fc.forecast(history, 1, date(2027, 2, 1), origin).units == 10
    # A new product still gets its recent average: nothing says the shop was closed for it.
    history.add(2, origin - WEEK, fc.Observation(sold=4))
    assert fc.forecast(history, 2, date(2027, 1, 4), origin).source == "recent"


def test_the_forecast_reads_nothing_from_the_origin_week_on():
    history = constant_history(units=10)
    history.add(1, ORIGIN, fc.Observation(sold=500))  # the week in progress
    assert fc.forecast(history, 1, ORIGIN + WEEK, ORIGIN).units == 10


def test_week_53_takes_last_years_week_52():
    monday = fc.monday_of(datetime(2026, 12, 28).date())
    assert monday.isocalendar()[:2] == (2026, 53)
    assert fc.same_week_last_year(monday).isocalendar()[:2] == (2025, 52)


# --- The plan, pure -----------------------------------------------------------------------------


def crop(**values):
    fields = {
        "weeks_to_ready": 6,
        "loss_percent": 10,
        "units_per_tray": 77,
        "seeds_per_unit": 2,
        "sow_from_week": 1,
        "sow_to_week": 53,
    }
    return CropPlan(**(fields | values))


def test_ten_plants_at_ten_percent_loss_are_twelve_cells_on_one_tray():
    sale = ORIGIN + 10 * WEEK
    item = sp.sowing(1, crop(), sale, 10, ORIGIN)
    # 10 / 0.9 = 11.1 → 12 cells (no whole tray of 77: part of one), 24 seeds, 6 weeks before.
    assert (item.units, item.full_trays, item.extra_cells, item.seeds) == (12, 0, 12, 24)
    assert item.sowing_monday == sale - 6 * WEEK
    assert not item.late and not item.outside_window
    assert sp.units_to_sow(100, 0) == 100 and sp.units_to_sow(77, 30) == 110
    big = sp.sowing(1, crop(units_per_tray=40), sale, 150, ORIGIN)  # 167 cells
    assert (big.full_trays, big.extra_cells) == (4, 7)
    assert sp.sowing(1, crop(), sale, 0, ORIGIN) is None


def test_a_unit_sold_as_a_tray_of_twelve_cells_is_sown_as_twelve_cells():
    """Lettuces sold by the "plaque de 12 mottes": 10 sold are 120 cells, 134 after 10 %
    losses, in sowing trays of 150 cells, one seed a cell (not 10 cells)."""
    sale = ORIGIN + 10 * WEEK
    lettuce = crop(units_per_tray=150, seeds_per_unit=1, cells_per_unit=12)
    item = sp.sowing(1, lettuce, sale, 10, ORIGIN)
    assert (item.units, item.full_trays, item.extra_cells, item.seeds) == (134, 0, 134, 134)


def test_the_plan_and_the_greenhouse_read_a_multi_cell_unit_as_cells(staff_client, nursery_history):
    _tomato, leek, monday = nursery_history
    crop_plan = db.session.scalar(select(CropPlan).filter_by(product_id=leek.id))
    crop_plan.cells_per_unit, crop_plan.units_per_tray = 40, 150
    db.session.commit()
    plan = services.sowing_plan(shop_today())
    lots = [s for w in plan.weeks for s in w.sowings if s.product_id == leek.id]
    # Leeks sell 10 bottes of 40 a week: 400 cells, 500 after 20 % losses, 3 trays + 50.
    assert {(s.forecast, s.units, s.full_trays, s.extra_cells) for s in lots} >= {(10, 500, 3, 50)}
    assert "10 × botte 500 (pertes 20 %) 3 plaques + 50 mottes" in page_words(
        staff_client.get("/gestion/semis/")
    )
    this_week = page_words(staff_client.get("/gestion/semis/cette-semaine"))
    assert f"semaine {(monday + 10 * WEEK).isocalendar().week} : prévision 10 × botte" in this_week
    sheet = pdf_words(staff_client.get("/gestion/semis/plan-de-semis.pdf").data)
    assert "10×botte" in sheet
    assert "40 mottes par unité" in page_words(staff_client.get("/gestion/semis/cultures"))
    forecast_page = page_words(staff_client.get(f"/gestion/semis/prevision/{leek.id}"))
    assert "Les chiffres comptent ce que la boutique vend : botte." in forecast_page
    assert "Chaque unité est semée en 40 mottes." in forecast_page


def test_a_weeks_trays_pool_the_small_lots_of_one_tray_size():
    """Parsley (12 cells) and sage (20) share a tray of 77; the leek's 167 cells fill 4 trays
    of 40 and part of a fifth: 6 trays to prepare, not 1 + 1 + 5."""
    sale = ORIGIN + 10 * WEEK
    week = sp.SowingWeek(sale - 6 * WEEK)
    week.sowings = [
        sp.sowing(1, crop(), sale, 10, ORIGIN),  # 12 cells of 77
        sp.sowing(2, crop(loss_percent=0), sale, 20, ORIGIN),  # 20 cells of 77
        sp.sowing(3, crop(units_per_tray=40), sale, 150, ORIGIN),  # 167 cells of 40
    ]
    assert [(s.full_trays, s.extra_cells) for s in week.sowings] == [(0, 12), (0, 20), (4, 7)]
    assert week.trays == 6


def test_sowings_outside_the_window_and_late_ones_are_flagged():
    sale = ORIGIN + 2 * WEEK  # week 51: sown in week 45 with 6 weeks to ready
    late = sp.sowing(1, crop(), sale, 10, ORIGIN)
    assert late.late and late.sowing_monday.isocalendar().week == 45
    on_time = sp.sowing(1, crop(weeks_to_ready=2), sale, 10, ORIGIN)
    assert not on_time.late and on_time.sowing_monday == ORIGIN
    # A window over the new year, 48 → 6: week 45 is outside, week 49 and week 2 inside.
    assert late.outside_window is False
    assert sp.sowing(1, crop(sow_from_week=48, sow_to_week=6), sale, 10, ORIGIN).outside_window
    assert sp.in_sowing_window(49, 48, 6)
    assert sp.in_sowing_window(2, 48, 6) and not sp.in_sowing_window(20, 48, 6)
    assert sp.in_sowing_window(10, 10, 20) and not sp.in_sowing_window(9, 10, 20)


def test_week_53_is_sown_in_a_window_that_ends_with_the_year():
    # 2026 has a week 53 (28 December to 3 January): sown then for week 1 of 2027.
    sale = date(2027, 1, 4)
    item = sp.sowing(1, crop(weeks_to_ready=1, sow_from_week=40, sow_to_week=52), sale, 10, ORIGIN)
    assert item.sowing_monday.isocalendar()[:2] == (2026, 53)
    assert not item.outside_window
    assert sp.in_sowing_window(53, 1, 52) and sp.in_sowing_window(53, 48, 6)
    assert not sp.in_sowing_window(53, 1, 51) and not sp.in_sowing_window(53, 1, 6)
    assert sp.in_sowing_window(53, 53, 53) and sp.in_sowing_window(53, 53, 2)


def test_the_plan_groups_sowings_by_week_in_date_order():
    sales = [ORIGIN + k * WEEK for k in (8, 9)]
    weeks = sp.build_plan(
        {1: crop(weeks_to_ready=6), 2: crop(weeks_to_ready=7)},
        {1: {sales[0]: 10, sales[1]: 20}, 2: {sales[1]: 30}, 3: {sales[0]: 5}},
        ORIGIN,
    )
    assert [w.monday for w in weeks] == [ORIGIN + 2 * WEEK, ORIGIN + 3 * WEEK]
    assert [(s.product_id, s.units) for s in weeks[0].sowings] == [(1, 12), (2, 34)]
    assert [(s.product_id, s.units) for s in weeks[1].sowings] == [(1, 23)]


# --- Through the database -----------------------------------------------------------------------


def add_sales_week(monday, offers, label=None):
    """An archived week picked up on its Friday; offers: [(product, available, sold, waiting)]."""
    friday = monday + timedelta(days=4)
    closes = datetime.combine(friday - timedelta(days=1), time(12), tzinfo=UTC)
    week = SalesWeek(
        label=label or f"Semaine {monday.isocalendar().week}",
        opens_at=closes - timedelta(days=4),
        closes_at=closes,
        pickup_dates=[friday.isoformat()],
        status="archived",
    )
    db.session.add(week)
    for product, available, sold, waiting in offers:
        offer = Offer(
            week=week, product=product, quantity_available=available, quantity_reserved=sold
        )
        db.session.add(offer)
        if sold:
            order = Order(
                number=f"S{monday.isocalendar().week}-{product.id:03d}",
                week=week,
                customer_kind="individual",
                contact_name="Camille Martin",
                email="camille@exemple.fr",
                payment_method="on_pickup",
                status="collected",
                checkout_token=uuid.uuid4().hex,
                access_token=uuid.uuid4().hex,
            )
            order.lines.append(
                OrderLine(
                    offer=offer,
                    product_id=product.id,
                    product_name=product.full_name,
                    unit_label=product.unit_label,
                    unit_price_cents=250,
                    vat_rate_bp=550,
                    quantity_ordered=sold,
                    quantity=sold,
                )
            )
            db.session.add(order)
        for n in range(waiting):
            db.session.add(
                WaitlistEntry(
                    product=product,
                    email=f"w{n}-{monday}@exemple.fr",
                    week=week,
                    token=uuid.uuid4().hex,
                    ended_at=None,
                )
            )
    return week


@pytest.fixture
def nursery_history(make_product):
    """60 past weeks: tomatoes sell 10 every week; leeks 10 too, but sold out (10 of 10) the
    same week last year as this week + 5, with 15 on the waiting list."""
    tomato = make_product(name="Tomate", variety="Marmande")
    leek = make_product(name="Poireau", variety="Bleu de Solaise", unit_label="botte")
    monday = fc.monday_of(shop_today())
    sold_out_week = fc.same_week_last_year(monday + 5 * WEEK)
    for k in range(1, 61):
        week_monday = monday - k * WEEK
        if week_monday == sold_out_week:
            offers = [(tomato, 30, 10, 0), (leek, 10, 10, 15)]
        else:
            offers = [(tomato, 30, 10, 0), (leek, 30, 10, 0)]
        add_sales_week(week_monday, offers)
    add_crops(tomato, leek)
    db.session.commit()
    return tomato, leek, monday


def add_crops(tomato, leek, leek_weeks=(1, 53)):
    """Tomatoes: 6 weeks, 10 % loss, trays of 77, 2 seeds a cell, sown any week ("Semer au
    chaud"). Leeks: 10 weeks, 20 % loss, trays of 40, 3 seeds, sown in `leek_weeks`."""
    db.session.add_all(
        [
            CropPlan(
                product=tomato,
                weeks_to_ready=6,
                loss_percent=10,
                units_per_tray=77,
                seeds_per_unit=2,
                sow_from_week=1,
                sow_to_week=53,
                note="Semer au chaud",
            ),
            CropPlan(
                product=leek,
                weeks_to_ready=10,
                loss_percent=20,
                units_per_tray=40,
                seeds_per_unit=3,
                sow_from_week=leek_weeks[0],
                sow_to_week=leek_weeks[1],
            ),
        ]
    )


def test_the_real_history_gives_the_pure_functions_numbers(nursery_history):
    tomato, leek, monday = nursery_history
    history = services.history_before(monday)
    assert len(history.weeks) == 60
    expected = constant_history(product_id=leek.id, units=10, origin=monday)
    expected.add(
        leek.id,
        fc.same_week_last_year(monday + 5 * WEEK),
        fc.Observation(sold=10, sold_out=True, waiting=15),
    )
    for k in range(1, 27):
        target = monday + k * WEEK
        assert fc.forecast(history, leek.id, target, monday) == fc.forecast(
            expected, leek.id, target, monday
        )
        assert fc.forecast(history, tomato.id, target, monday).units == 10
    forecasts = services.product_forecasts([tomato.id, leek.id], shop_today())
    assert [w.units for w in forecasts[tomato.id]] == [10] * 26
    assert [w.units for w in forecasts[leek.id]][3:7] == [15, 15, 15, 10]


def test_the_plans_list_of_sowing_weeks_names_next_years_weeks_with_their_year(
    staff_client, nursery_history
):
    """'Semaine 53' then 'Semaine 1': the weeks of next year say so ('Semaine 1 · 2027')."""
    this_year = shop_today().isocalendar().year
    plan = services.sowing_plan(shop_today())
    coming = [w.iso for w in plan.weeks if w.monday >= plan.monday]
    assert coming
    page = page_words(staff_client.get("/gestion/semis/"))
    for iso in coming:
        label = (
            f"Semaine {iso.week} · {iso.year}" if iso.year != this_year else f"Semaine {iso.week}"
        )
        assert label in page
        if iso.year == this_year:
            assert f"Semaine {iso.week} · {iso.year}" not in page


def test_the_greenhouse_view_puts_a_products_late_sowings_on_one_card(
    staff_client, nursery_history
):
    """Tomatoes take 6 weeks: the next 5 sales weeks' sowings are late, 12 cells each. The
    greenhouse sows them at once: one card of 60 cells, not five cards of 12."""
    tomato, leek, monday = nursery_history
    plan = services.sowing_plan(shop_today())
    late_tomatoes = [s for s in plan.late if s.product_id == tomato.id]
    assert len(late_tomatoes) == 5 and {s.units for s in late_tomatoes} == {12}
    page = page_text(staff_client.get("/gestion/semis/cette-semaine"))
    late = page[page.index("Semis en retard") :]
    assert late.count("<h3>") == len({s.product_id for s in plan.late}) == 2
    weeks = ", ".join(str((monday + k * WEEK).isocalendar().week) for k in range(1, 6))
    words = page_words(staff_client.get("/gestion/semis/cette-semaine"))
    card = words[words.index("Ces semis auraient dû être faits") :]
    assert (
        f"Tomate Marmande 60 mottes (plaques de 77) 60 mottes à semer, 120 graines (2 par motte) "
        f"Pour les ventes des semaines {weeks} : 50 plants prévus"
    ) in card


def test_what_is_left_to_sow_once_part_of_a_lot_is_in_trays():
    tomatoes = crop()  # 6 weeks, 10 % loss, trays of 77, 2 seeds a cell
    monday = date(2026, 11, 30)
    sale = monday + 6 * WEEK
    assert sp.sowing(1, tomatoes, sale, 10, monday).units == 12  # 10 plants at 10 % loss
    partly = sp.sowing(1, tomatoes, sale, 10, monday, sown=5)
    assert (partly.units, partly.sown, partly.seeds) == (7, 5, 14)
    assert sp.sowing(1, tomatoes, sale, 10, monday, sown=12) is None
    assert sp.sowing(1, tomatoes, sale, 10, monday, sown=30) is None  # sown more than asked


def lot_forms(page):
    """The lot values of each "Semé" form of the greenhouse view, form by form."""
    forms = re.findall(
        r'<form method="post" action="/gestion/semis/seme" class="sow-form">(.*?)</form>',
        page,
        re.S,
    )
    return [re.findall(r'name="lot" value="([^"]+)"', form) for form in forms]


def test_a_lot_marked_sown_is_not_asked_again_the_weeks_after(staff_client, nursery_history):
    """Tomatoes take 6 weeks: in a week, this week's tomato lot and the five late ones would
    all be late again (60 + 12 cells asked a second time) unless the team said they sowed them."""
    tomato, leek, monday = nursery_history
    next_week = services.sowing_plan(shop_today() + WEEK)
    assert {s.product_id for s in next_week.late} == {tomato.id, leek.id}

    page = staff_client.get("/gestion/semis/cette-semaine").get_data(as_text=True)
    forms = lot_forms(page)
    assert len(forms) == 4  # this week: tomatoes and leeks; late: tomatoes, leeks
    for lots in forms:
        response = staff_client.post("/gestion/semis/seme", data={"lot": lots})
        assert response.status_code == 302
    rows = db.session.scalars(select(SownLot)).all()
    assert sum(row.cells for row in rows if row.product_id == tomato.id) == 6 * 12
    assert {row.sown_on for row in rows} == {shop_today()}

    assert services.sowing_plan(shop_today()).late == []
    assert services.sowing_plan(shop_today() + WEEK).late == []
    words = page_words(staff_client.get("/gestion/semis/cette-semaine"))
    assert "Rien à semer cette semaine." in words
    assert (
        f"Tomate Marmande · 12 mottes · pour la vente de la semaine {(monday + 6 * WEEK).isocalendar().week}"
        in words
    )

    # The same tap sent twice (or from a page left open) counts once.
    again = staff_client.post("/gestion/semis/seme", data={"lot": forms[0]}, follow_redirects=True)
    assert "avait déjà été noté, ou a changé depuis" in page_text(again)
    assert db.session.scalars(select(SownLot)).all() == rows

    # A tap taken back: the plan asks for that lot again, and only for it.
    product_id, year, week, cells, _before = (int(part) for part in forms[0][0].split(":"))
    [record] = [
        row
        for row in rows
        if (row.product_id, row.iso_year, row.iso_week) == (product_id, year, week)
    ]
    response = staff_client.post(f"/gestion/semis/seme/{record.id}/annuler")
    assert response.status_code == 302
    again = services.sowing_plan(shop_today()).this_week
    assert [(s.product_id, s.sales_monday.isocalendar()[:2], s.units) for s in again] == [
        (product_id, (year, week), cells)
    ]
    twice = staff_client.post(f"/gestion/semis/seme/{record.id}/annuler", follow_redirects=True)
    assert "Ce semis était déjà annulé." in page_text(twice)


def test_a_tap_taken_back_is_that_tap_only(staff_client, nursery_history):
    """12 tomato cells sown, then 7 more a week later when the forecast rose: taking back the
    second tap asks for those 7 again, not the 19 (the 12 are in trays)."""
    tomato, _leek, monday = nursery_history
    sale = (monday + 6 * WEEK).isocalendar()
    first = f"{tomato.id}:{sale.year}:{sale.week}:12:0"
    # A form carrying the lot twice records it once.
    assert staff_client.post("/gestion/semis/seme", data={"lot": [first, first]}).status_code == 302
    assert services.sown_for([tomato.id], [monday + 6 * WEEK]) == {
        (tomato.id, monday + 6 * WEEK): 12
    }
    second = f"{tomato.id}:{sale.year}:{sale.week}:7:12"
    assert staff_client.post("/gestion/semis/seme", data={"lot": second}).status_code == 302
    assert services.sown_for([tomato.id], [monday + 6 * WEEK]) == {
        (tomato.id, monday + 6 * WEEK): 19
    }
    latest = db.session.scalar(select(SownLot).order_by(SownLot.id.desc()))
    staff_client.post(f"/gestion/semis/seme/{latest.id}/annuler")
    assert services.sown_for([tomato.id], [monday + 6 * WEEK]) == {
        (tomato.id, monday + 6 * WEEK): 12
    }
    # An old form of the first tap, sent again, does not lower or raise what is recorded.
    stale = staff_client.post("/gestion/semis/seme", data={"lot": first}, follow_redirects=True)
    assert "avait déjà été noté, ou a changé depuis" in page_text(stale)
    assert services.sown_for([tomato.id], [monday + 6 * WEEK]) == {
        (tomato.id, monday + 6 * WEEK): 12
    }


def test_a_forecast_moved_by_a_few_plants_does_not_bring_a_sown_lot_back():
    tomatoes = crop()  # 6 weeks, 10 % loss, trays of 77, 2 seeds a cell
    monday = date(2026, 11, 30)
    sale = monday + 3 * WEEK  # late: its sowing week has passed
    # 12 cells sown for 10 plants; the forecast is now 11 (13 cells): within the margin.
    assert sp.sowing(1, tomatoes, sale, 11, monday, sown=12) is None
    # Now 20 plants (23 cells): 11 more cells, asked as late.
    more = sp.sowing(1, tomatoes, sale, 20, monday, sown=12)
    assert (more.units, more.late) == (11, True)


def test_a_partly_sown_lot_asks_for_the_rest(staff_client, nursery_history):
    tomato, _leek, monday = nursery_history
    sale = (monday + 6 * WEEK).isocalendar()
    lot = f"{tomato.id}:{sale.year}:{sale.week}:5:0"
    assert staff_client.post("/gestion/semis/seme", data={"lot": lot}).status_code == 302
    [now] = [s for s in services.sowing_plan(shop_today()).this_week if s.product_id == tomato.id]
    assert (now.units, now.sown) == (7, 5)
    words = page_words(staff_client.get("/gestion/semis/cette-semaine"))
    assert "7 mottes à semer, 14 graines (2 par motte)" in words
    assert "5 mottes déjà semées pour cette vente." in words
    # The rest sown: the lot's total is 12, the 7 cells sown now are what the team is told.
    rest = staff_client.post(
        "/gestion/semis/seme",
        data={"lot": f"{tomato.id}:{sale.year}:{sale.week}:7:5"},
        follow_redirects=True,
    )
    assert "Noté : « Tomate Marmande » semé, 7 mottes." in page_text(rest)


@pytest.mark.parametrize(
    "lot, message",
    [
        ("", "Ce semis n'est pas reconnu : rechargez la page."),
        ("abc", "Ce semis n'est pas reconnu : rechargez la page."),
        ("1:2026:54:12:0", "Ce semis n'est pas reconnu : rechargez la page."),
        ("1:2026:50:0:0", "Ce semis n'est pas reconnu : rechargez la page."),
        ("1:2026:50:1²:0", "Ce semis n'est pas reconnu : rechargez la page."),
        ("1:2026:50:12", "Ce semis n'est pas reconnu : rechargez la page."),  # an older page's
        ("1:2026:50:12:4:1", "Ce semis n'est pas reconnu : rechargez la page."),
        ("1:2026:50:12:-4", "Ce semis n'est pas reconnu : rechargez la page."),
        ("999999:2026:50:12:0", "Ce produit n'a pas de données de culture : rechargez la page."),
    ],
)
def test_a_bad_sown_lot_is_refused_and_nothing_saved(staff_client, nursery_history, lot, message):
    response = staff_client.post("/gestion/semis/seme", data={"lot": lot})
    assert response.status_code == 400
    assert message in page_text(response)
    assert db.session.scalar(select(SownLot)) is None


def test_marking_sown_needs_the_forms_token(app, staff_client, nursery_history):
    tomato, _leek, monday = nursery_history
    sale = (monday + 6 * WEEK).isocalendar()
    lot = f"{tomato.id}:{sale.year}:{sale.week}:12:0"
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = staff_client.post("/gestion/semis/seme", data={"lot": lot})
        assert response.status_code == 400
        assert db.session.scalar(select(SownLot)) is None
        record = SownLot(
            product_id=tomato.id, iso_year=sale.year, iso_week=sale.week, cells=12,
            sown_on=shop_today(),
        )  # fmt: skip
        db.session.add(record)
        db.session.commit()
        response = staff_client.post(f"/gestion/semis/seme/{record.id}/annuler")
        assert response.status_code == 400  # taking a tap back needs the token too
        assert db.session.scalar(select(SownLot.cells)) == 12
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_a_crop_longer_than_the_plan_is_sown_in_the_plans_weeks(staff_client, make_product):
    """A crop 30 weeks from sowing to sale: this week's sowing is for the sales week 30 weeks
    on, beyond the 26 sales weeks the plan used to forecast (where it was never 'this week')."""
    artichoke = make_product(name="Artichaut", variety="Gros vert de Laon")
    db.session.add(
        CropPlan(product=artichoke, weeks_to_ready=30, loss_percent=0, units_per_tray=40)
    )
    monday = fc.monday_of(shop_today())
    db.session.commit()
    # Staff expect 10 plants in 30 weeks, and 10 in 40 weeks: the product's forecast page
    # goes as far as its sowings of the plan's 26 weeks are for (26 + 30 - 1 = 55 weeks).
    fields = {
        f"w-{sale.year}-{sale.week:02d}": "10"
        for sale in ((monday + k * WEEK).isocalendar() for k in (30, 40))
    }
    response = staff_client.post(f"/gestion/semis/prevision/{artichoke.id}", data=fields)
    assert response.status_code == 302
    assert len(db.session.scalars(select(ForecastOverride)).all()) == 2
    last = (monday + 55 * WEEK).isocalendar()
    page = staff_client.get(f"/gestion/semis/prevision/{artichoke.id}").get_data(as_text=True)
    assert f'name="w-{last.year}-{last.week:02d}"' in page
    plan = services.sowing_plan(shop_today())
    assert [(s.product_id, s.sales_monday, s.units) for s in plan.this_week] == [
        (artichoke.id, monday + 30 * WEEK, 10)
    ]
    # The plan's sowing weeks stop 25 weeks on: the sowing for week 40 (in 10 weeks) is in.
    assert [w.monday for w in plan.weeks] == [monday, monday + 10 * WEEK]
    page = page_words(staff_client.get("/gestion/semis/cette-semaine"))
    assert "Artichaut Gros vert de Laon 10 mottes (plaques de 40)" in page


def test_the_plan_page_shows_what_to_sow_each_week(staff_client, nursery_history):
    tomato, leek, monday = nursery_history
    page = page_words(staff_client.get("/gestion/semis/"))
    assert "Plan de semis" in page
    # Next week's tomatoes should have been sown 5 weeks ago (6 weeks to ready).
    assert "En retard : semis qui auraient dû être faits" in page
    assert "Tomate Marmande" in page and "Poireau Bleu de Solaise" in page
    assert "Comment la prévision est calculée" in page
    this_week = page_words(staff_client.get("/gestion/semis/cette-semaine"))
    iso = monday.isocalendar()
    assert f"Semis de la semaine {iso.week}" in this_week
    # This week: tomatoes for the sales week +6 (10 plants at 10 % loss: 12 cells of a tray
    # of 77, 24 seeds) and leeks for +10 (10 plants at 20 %: 13 cells of a tray of 40, 39 seeds).
    assert "Tomate Marmande 12 mottes (plaques de 77) 12 mottes à semer, 24 graines" in this_week
    assert (
        "Poireau Bleu de Solaise 13 mottes (plaques de 40) 13 mottes à semer, 39 graines"
        in this_week
    )


def test_an_override_replaces_the_weeks_figure_and_empty_clears_it(
    staff_client, nursery_history, staff
):
    tomato, _leek, monday = nursery_history
    target = monday + 8 * WEEK
    iso = target.isocalendar()
    name = f"w-{iso.year}-{iso.week:02d}"
    response = staff_client.post(
        f"/gestion/semis/prevision/{tomato.id}", data={name: "40"}, follow_redirects=True
    )
    assert "Prévisions de « Tomate Marmande » enregistrées (1 semaine modifiée)." in page_text(
        response
    )
    row = db.session.scalar(select(ForecastOverride))
    assert (row.iso_year, row.iso_week, row.quantity, row.set_by_id) == (
        iso.year,
        iso.week,
        40,
        staff.id,
    )
    page = page_text(response)
    assert f'name="{name}" inputmode="numeric" maxlength="7" value="40"' in page
    assert "votre chiffre" in page
    # The plan follows: 40 plants → ⌈40 / 0.9⌉ = 45 cells, sown 6 weeks before (week +2).
    plan = services.sowing_plan(shop_today())
    item = next(
        s
        for w in plan.weeks
        for s in w.sowings
        if s.product_id == tomato.id and s.sales_monday == target
    )
    assert (item.forecast, item.units, item.full_trays, item.extra_cells, item.seeds) == (
        40,
        45,
        0,
        45,
        90,
    )
    csv_rows = list(
        csv.reader(
            io.StringIO(
                staff_client.get("/gestion/semis/plan-de-semis.csv")
                .get_data(as_text=True)
                .lstrip("\ufeff")
            ),
            delimiter=";",
        )
    )
    sow = (target - 6 * WEEK).isocalendar()
    assert [
        f"{sow.year}-S{sow.week:02d}",
        (target - 6 * WEEK).isoformat(),
        "Tomate",
        "Marmande",
        f"{iso.year}-S{iso.week:02d}",
        "40",
        "godet 8 cm",
        "1",
        "10",
        "45",
        "0",
        "45",
        "77",
        "90",
        "non",
        "non",
        "0",
    ] in csv_rows
    assert csv_rows[0][:3] == ["Semaine de semis", "Lundi du semis", "Produit"]

    # A form that sends another week only leaves this one as it is.
    other = (monday + 9 * WEEK).isocalendar()
    staff_client.post(
        f"/gestion/semis/prevision/{tomato.id}", data={f"w-{other.year}-{other.week:02d}": "7"}
    )
    assert sorted(db.session.scalars(select(ForecastOverride.quantity))) == [7, 40]

    staff_client.post(f"/gestion/semis/prevision/{tomato.id}", data={name: ""})
    assert list(db.session.scalars(select(ForecastOverride.quantity))) == [7]


@pytest.mark.parametrize("figure", ["-3", "1²", "٣", "12,5"])
def test_a_bad_override_is_refused_with_the_week_named_and_nothing_saved(
    staff_client, nursery_history, figure
):
    tomato, _leek, monday = nursery_history
    good, bad = (monday + WEEK).isocalendar(), (monday + 2 * WEEK).isocalendar()
    response = staff_client.post(
        f"/gestion/semis/prevision/{tomato.id}",
        data={f"w-{good.year}-{good.week:02d}": "12", f"w-{bad.year}-{bad.week:02d}": figure},
    )
    assert response.status_code == 400
    assert f"Semaine {bad.week} : « {figure} » n'est pas un nombre de plants" in page_text(response)
    assert db.session.scalar(select(ForecastOverride)) is None


def test_the_pdf_sheet_lists_the_sowings(staff_client, nursery_history):
    response = staff_client.get("/gestion/semis/plan-de-semis.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_words(response.data)
    monday = nursery_history[2]
    assert "Plandesemis" in text
    assert f"Semisdelasemaine{monday.isocalendar().week}" in text
    assert "TomateMarmande" in text and "Semerauchaud" in text
    assert "Enretard" in text


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1_0", "Nombre entier attendu."),
        ("+5", "Nombre entier attendu."),
        ("٣", "Nombre entier attendu."),
        ("１０", "Nombre entier attendu."),
        ("   ", "Ce champ est obligatoire."),
    ],
)
def test_a_crop_figure_is_a_whole_number_as_people_type_it(
    staff_client, make_product, typed, message
):
    product = make_product(name="Basilic", variety="Grand vert")
    data = {
        "weeks_to_ready": typed,
        "loss_percent": "10",
        "units_per_tray": "77",
        "cells_per_unit": "1",
        "seeds_per_unit": "2",
        "sow_from_week": "1",
        "sow_to_week": "53",
        "note": "",
    }
    page = page_text(staff_client.post(f"/gestion/semis/cultures/{product.id}", data=data))
    assert message in page
    assert "Entre 1 et 52 semaines." not in page  # the message alone, not the range's too
    assert db.session.scalar(select(CropPlan)) is None


def test_crop_data_is_saved_and_bad_input_explained(staff_client, make_product):
    product = make_product(name="Basilic", variety="Grand vert")
    url = f"/gestion/semis/cultures/{product.id}"
    response = staff_client.post(
        url,
        data={
            "weeks_to_ready": "0",
            "loss_percent": "95",
            "units_per_tray": "abc",
            "cells_per_unit": "0",
            "seeds_per_unit": "",
            "sow_from_week": "54",
            "sow_to_week": "6",
            "note": "",
        },
    )
    page = page_text(response)
    assert "Corrigez les champs signalés : rien n'a été enregistré." in page
    assert "Entre 1 et 52 semaines." in page
    assert "Entre 0 et 90 %." in page
    assert "Entre 1 et 1 000 mottes par unité vendue." in page
    assert "Nombre entier attendu." in page
    assert "Ce champ est obligatoire." in page
    assert "Une semaine de 1 à 53." in page
    assert db.session.scalar(select(CropPlan)) is None

    response = staff_client.post(
        url,
        data={
            "weeks_to_ready": "8",
            "loss_percent": "15",
            "units_per_tray": "77",
            "cells_per_unit": "1",
            "seeds_per_unit": "2",
            "sow_from_week": "48",
            "sow_to_week": "6",
            "note": "Sous abri",
        },
        follow_redirects=True,
    )
    page = page_words(response)
    assert "Données de culture de « Basilic Grand vert » enregistrées." in page
    assert "8 semaines 15 % 77 2 semaines 48 à 6 Sous abri" in page
    crop = db.session.scalar(select(CropPlan))
    assert (crop.weeks_to_ready, crop.sow_from_week, crop.sow_to_week) == (8, 48, 6)


@pytest.mark.parametrize(
    "url",
    [
        "/gestion/semis/",
        "/gestion/semis/cette-semaine",
        "/gestion/semis/plan-de-semis.csv",
        "/gestion/semis/plan-de-semis.pdf",
        "/gestion/semis/cultures",
    ],
)
def test_the_sowing_pages_are_for_staff_only(client, make_user, login, url):
    assert "/compte/connexion" in client.get(url).headers["Location"]
    login(make_user(kind="restaurant"))
    assert client.get(url).status_code == 403


def test_an_unknown_product_is_404(staff_client):
    assert staff_client.get("/gestion/semis/cultures/999999").status_code == 404
    assert staff_client.post("/gestion/semis/prevision/999999").status_code == 404


def test_the_backtest_scores_the_method_against_last_years_same_week():
    from boutique.sowing import backtest

    history = fc.History()
    first = fc.monday_of(datetime(2025, 1, 6).date())  # ISO 2025-W02
    for k in range(0, 98):  # 2025-W02 … 2026-W47: 10 a week, then 12 a week in 2026
        monday = first + k * WEEK
        units = 12 if monday.isocalendar().year == 2026 else 10
        history.add(1, monday, fc.Observation(sold=units))
    weeks = backtest.season_weeks(history)
    assert weeks[0].isocalendar()[:2] == (2026, 1) and len(weeks) == 47
    scores = backtest.backtest(history, {1: "Plants potagers"}, weeks)
    total = scores[None]
    assert total.actual == 47 * 12 and scores["Plants potagers"].actual == 47 * 12
    # 10 against 12 each week, but 2026-W01: no sale in 2025-W01, the naive forecast is 0.
    assert total.naive_wape == pytest.approx((46 * 2 + 12) / (47 * 12))
    # The trend goes half-way: 8 weeks at 12 against 10, (96 + 48) / (80 + 48) = 1.125 → 11.
    assert total.method_error < total.naive_error
    result = fc.forecast(history, 1, weeks[20], weeks[20])
    assert result.trend == pytest.approx(1.125) and result.units == 11
    lines = backtest.report(scores, "essai")
    assert "total" in lines[-1] and "better" in lines[-1]


def test_the_plan_takes_the_same_queries_whatever_the_number_of_products(
    staff_client, nursery_history, make_product, count_queries
):
    with count_queries() as queries:
        assert staff_client.get("/gestion/semis/").status_code == 200
    before = len(queries)
    for n in range(5):
        product = make_product(name=f"Laitue {n}")
        db.session.add(
            CropPlan(product=product, weeks_to_ready=5, loss_percent=10, units_per_tray=77)
        )
    db.session.commit()
    with count_queries() as queries:
        page = page_words(staff_client.get("/gestion/semis/"))
    assert len(queries) == before
    assert "Semaines de semis" in page


# --- Two staff saving at once -------------------------------------------------------------------


@pytest.mark.parametrize("verb", ["write", "INSERT"])
def test_two_staff_saving_a_weeks_figure_at_once_both_get_an_answer(
    staff_client, staff, make_product, make_user, meanwhile, verb
):
    if verb == "INSERT" and db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite: this request holds the write lock from its first write on")
    product = make_product(name="Tomate Marmande", variety="")
    other = make_user(role="staff")
    target = services.coming_mondays(services.this_monday(shop_today()))[2]
    iso = target.isocalendar()
    meanwhile(
        "forecast_override",
        insert(ForecastOverride).values(
            product_id=product.id,
            iso_year=iso.year,
            iso_week=iso.week,
            quantity=25,
            set_by_id=other.id,
        ),
        verb,
    )
    response = staff_client.post(
        f"/gestion/semis/prevision/{product.id}",
        data={f"w-{iso.year}-{iso.week:02d}": "40"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Prévisions de « Tomate Marmande » enregistrées (1 semaine modifiée)." in page_text(
        response
    )
    db.session.expire_all()
    rows = db.session.execute(select(ForecastOverride.quantity, ForecastOverride.set_by_id)).all()
    assert [tuple(row) for row in rows] == [(40, staff.id)]


def test_two_staff_tapping_sown_for_one_lot_at_once_record_it_once(
    staff_client, staff, nursery_history, make_user, meanwhile
):
    """Two phones in the greenhouse tap « Semé » on the same card: the other one's tap
    commits just before this one takes the product's lock; this one finds the lot changed
    since its card was shown and records nothing. One row, the lot's cells once."""
    tomato, _leek, monday = nursery_history
    sale = (monday + 6 * WEEK).isocalendar()
    other = make_user(role="staff")
    meanwhile(
        "crop_plan",
        insert(SownLot).values(
            product_id=tomato.id,
            iso_year=sale.year,
            iso_week=sale.week,
            cells=12,
            sown_on=shop_today(),
            recorded_by_id=other.id,
        ),
        "write",
    )
    response = staff_client.post(
        "/gestion/semis/seme",
        data={"lot": f"{tomato.id}:{sale.year}:{sale.week}:12:0"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "avait déjà été noté, ou a changé depuis" in page_text(response)
    db.session.expire_all()
    rows = db.session.execute(select(SownLot.cells, SownLot.recorded_by_id)).all()
    assert [tuple(row) for row in rows] == [(12, other.id)]  # the other phone's, once
    assert [
        s for s in services.sowing_plan(shop_today()).this_week if s.product_id == tomato.id
    ] == []


def test_two_staff_saving_a_products_first_crop_data_at_once_both_get_an_answer(
    staff_client, make_product, meanwhile
):
    product = make_product(name="Poireau", variety="Bleu de Solaise")
    meanwhile(
        "crop_plan",
        insert(CropPlan).values(
            product_id=product.id,
            weeks_to_ready=5,
            loss_percent=0,
            units_per_tray=40,
            seeds_per_unit=1,
            sow_from_week=1,
            sow_to_week=53,
            note="",
        ),
    )
    response = staff_client.post(
        f"/gestion/semis/cultures/{product.id}",
        data={
            "weeks_to_ready": "10",
            "loss_percent": "15",
            "units_per_tray": "77",
            "cells_per_unit": "1",
            "seeds_per_unit": "2",
            "sow_from_week": "10",
            "sow_to_week": "30",
            "note": "",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Données de culture de « Poireau Bleu de Solaise » enregistrées." in page_text(response)
    db.session.expire_all()
    crops = db.session.scalars(select(CropPlan)).all()
    assert [(c.weeks_to_ready, c.loss_percent, c.units_per_tray) for c in crops] == [(10, 15, 77)]


def test_the_pdf_sheets_text_stays_in_its_columns(staff_client, nursery_history, monkeypatch):
    from weasyprint import HTML
    from weasyprint.formatting_structure import boxes

    from boutique import pdf

    sheets = []
    monkeypatch.setattr(pdf, "render_pdf", lambda html, base_url: sheets.append(html) or b"")
    staff_client.get("/gestion/semis/plan-de-semis.pdf")
    overflowing = []

    def walk(box, cell):
        cell = box if isinstance(box, boxes.TableCellBox) else cell
        inside = cell is not None and isinstance(box, boxes.TextBox)
        if inside and box.position_x + box.width > cell.content_box_x() + cell.width + 0.5:
            overflowing.append(box.text)
        for child in getattr(box, "children", ()):
            walk(child, cell)

    for page in HTML(string=sheets[0]).render().pages:
        walk(page._page_box, None)
    # "2 mottes" and "plaques de 77" ran over the next column, printed over its figures.
    assert "plaques" in sheets[0] and "mottes" in sheets[0]
    assert overflowing == []
