"""One week number everywhere (issue 12, part 7).

A sales week's number is the ISO week (and ISO year) of its first pick-up day: the label the
new-week form suggests, the order numbers and the documents' file names all carry it.
Opening a week whose ordering period overlaps another week's is refused.
"""

import re
import secrets
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from boutique.extensions import db
from boutique.models import Offer, PickupPoint, PickupSlot, SalesWeek
from boutique.ordering.services import Contact, place_order
from tests.conftest import page_text

PARIS_WINTER = timedelta(hours=1)  # Paris is UTC+1 in November–January


def paris(text):
    """'2026-11-23T08:00' (Paris wall clock, winter) as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC) - PARIS_WINTER


def add_week(label, opens, closes, pickups, status="published", **fields):
    week = SalesWeek(
        label=label,
        opens_at=paris(opens),
        closes_at=paris(closes),
        pickup_dates=list(pickups),
        status=status,
        **fields,
    )
    db.session.add(week)
    db.session.commit()
    return week


def input_value(page, name):
    match = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', page)
    assert match, name
    value = re.search(r'\bvalue="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


def week_form(**fields):
    data = {
        "label": "Semaine 50",
        "opens_at": "2026-12-07T08:00",
        "closes_at": "2026-12-10T12:00",
        "pickup_date_1": "2026-12-11",
        "pickup_date_2": "",
        "pickup_date_3": "",
    }
    data.update(fields)
    return data


def weeks_as_stored():
    db.session.expire_all()
    return [
        (w.label, w.opens_at, w.closes_at, w.pickup_dates)
        for w in db.session.scalars(select(SalesWeek).order_by(SalesWeek.id))
    ]


def flashes(page):
    return [" ".join(m.split()) for m in re.findall(r'<p class="flash[^"]*">(.*?)</p>', page, re.S)]


# --- The rule ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pickups, expected",
    [
        (["2026-12-04"], (2026, 49)),  # a Friday
        (["2026-12-05", "2026-12-07"], (2026, 49)),  # Saturday and Monday: the first day's
        (["2026-12-07", "2026-12-05"], (2026, 49)),  # in any order
        (["2027-01-01"], (2026, 53)),  # ISO year 2026 has 53 weeks
        (["2027-01-04"], (2027, 1)),
        ([date(2026, 11, 29)], (2026, 48)),  # a Sunday ends its ISO week
    ],
)
def test_a_weeks_number_is_the_iso_week_of_its_first_pickup_day(pickups, expected):
    assert tuple(SalesWeek.iso_week_of(pickups)) == expected
    week = SalesWeek(pickup_dates=pickups, closes_at=paris("2026-11-27T12:00"))
    assert (week.iso_week.year, week.iso_week.week) == expected


# --- Label, order number and document names agree ----------------------------------------------

# (previous week: opens, closes, pick-up), the number the next one gets, its ISO year.
CASES = {
    # Orders close on Sunday of ISO week 48; pick-up is on Friday of week 49.
    "closes-sunday-of-48": (("2026-11-16T08:00", "2026-11-22T18:00", "2026-11-27"), 49, 2026),
    # Orders close on Sunday of week 52; pick-up on 2027-01-01, in ISO week 53 of 2026.
    "new-year": (("2026-12-14T08:00", "2026-12-20T18:00", "2026-12-25"), 53, 2026),
}


@pytest.mark.parametrize("case", CASES)
def test_label_order_number_and_document_names_carry_the_same_number(
    admin_client, make_product, case
):
    (opens, closes, pickup), number, year = CASES[case]
    add_week("Semaine précédente", opens, closes, [pickup], status="archived")

    # Staff open the new-week form: it suggests the week after, named by the rule.
    page = page_text(admin_client.get("/gestion/semaines/nouvelle"))
    values = {
        name: input_value(page, name)
        for name in ("label", "opens_at", "closes_at", "pickup_date_1")
    }
    first_day = (date.fromisoformat(pickup) + timedelta(days=7)).isoformat()
    assert values["pickup_date_1"] == first_day
    assert values["label"] == f"Semaine {number}"

    response = admin_client.post("/gestion/semaines/nouvelle", data=week_form(**values))
    assert response.status_code == 302, page_text(response)[-2000:]
    week = db.session.scalar(select(SalesWeek).where(SalesWeek.label == f"Semaine {number}"))
    assert week.pickup_dates == [first_day]

    # An order placed in it is numbered with the same week.
    point = PickupPoint(name="Portail", address="Chemin des Jardins")
    slot = PickupSlot(
        week=week,
        point=point,
        day=date.fromisoformat(first_day),
        starts_at=time(16),
        ends_at=time(18),
        capacity=10,
        booked=0,
    )
    offer = Offer(week=week, product=make_product(), quantity_available=5, quantity_reserved=0)
    week.status = "published"
    db.session.add_all([point, slot, offer])
    db.session.commit()
    order = place_order(
        week=week,
        items={offer.id: 1},
        slot_id=slot.id,
        payment_method="on_pickup",
        contact=Contact("Camille Martin", "camille@exemple.fr", "06 12 34 56 78"),
        kind="individual",
        checkout_token=secrets.token_urlsafe(24),
        now=week.opens_at + timedelta(hours=1),
    )
    db.session.commit()
    assert order.number == f"S{number:02d}-001"

    # The documents' files are named with the ISO year and the same week.
    base = f"/gestion/semaines/{week.id}/documents"
    expected = {
        f"{base}/emargement?format=csv": f"emargement-{year}-S{number:02d}.csv",
        f"{base}/preparation?format=csv": f"preparation-{year}-S{number:02d}.csv",
        f"{base}/etiquettes?format=csv&jour={first_day}&point={point.id}": (
            f"etiquettes-{year}-S{number:02d}-{first_day}-portail.csv"  # the point's name
        ),
    }
    for url, filename in expected.items():
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Disposition"] == f"attachment; filename={filename}"

    # The staff week page and the shop say the same number.
    assert f"Semaine {number}" in page_text(admin_client.get(f"/gestion/semaines/{week.id}"))


def test_demo_weeks_agree_with_the_rule_whatever_the_day_it_is_loaded(app):
    """Loaded on the Sunday evening of the report, or any day of the week: the shop, the
    orders and the next week's suggestion agree, and the demo weeks do not overlap."""
    from boutique.demo import load_demo_data
    from boutique.weeks.services import suggest_next_week

    sunday_evening = datetime(2026, 11, 29, 22, 35, tzinfo=UTC)
    for hours in range(0, 7 * 24, 11):
        now = sunday_evening + timedelta(hours=hours)
        load_demo_data("pepiniere-demo-2026", now=now, history=False)  # the history: below
        weeks = db.session.scalars(select(SalesWeek).order_by(SalesWeek.opens_at)).all()
        for week in weeks:
            assert week.label == f"Semaine {week.iso_week.week}", now
        for earlier, later in zip(weeks, weeks[1:], strict=False):
            assert earlier.closes_at <= later.opens_at, now
        suggestion = suggest_next_week(now)
        assert suggestion["opens_at"] >= weeks[-1].closes_at, now
        assert suggestion["label"] == (
            f"Semaine {SalesWeek.iso_week_of(suggestion['pickup_dates']).week}"
        )
        db.session.rollback()  # nothing was committed: the next load starts empty
    # The report's own case: loaded on Sunday of week 48, the open week is week 49.
    load_demo_data("pepiniere-demo-2026", now=sunday_evening)
    weeks = db.session.scalars(select(SalesWeek).order_by(SalesWeek.opens_at)).all()
    for earlier, later in zip(weeks, weeks[1:], strict=False):  # with the history's weeks
        assert earlier.closes_at <= later.opens_at
        assert later.label == f"Semaine {later.iso_week.week}"
    current = db.session.scalars(select(SalesWeek).order_by(SalesWeek.opens_at.desc())).first()
    assert current.label == "Semaine 49"
    assert suggest_next_week(sunday_evening)["label"] == "Semaine 50"


# --- The staff week form ----------------------------------------------------------------------


def test_a_label_whose_number_disagrees_is_corrected_with_a_notice(admin_client):
    response = admin_client.post(
        "/gestion/semaines/nouvelle",
        data=week_form(label="Semaine 48 — marché de Noël", pickup_date_1="2026-12-11"),
        follow_redirects=True,
    )
    page = page_text(response)
    assert weeks_as_stored()[0][0] == "Semaine 50 — marché de Noël"
    assert "Semaine « Semaine 50 — marché de Noël » enregistrée." in flashes(page)
    assert any(
        "Nom corrigé" in m and "Semaine 50" in m and "vendredi 11 décembre 2026" in m
        for m in flashes(page)
    ), flashes(page)


def test_a_label_that_agrees_or_has_no_number_is_kept(admin_client):
    for label, opens, closes, pickup in (
        ("Semaine 50", "2026-12-07T08:00", "2026-12-10T12:00", "2026-12-11"),
        ("Marché de Noël", "2026-12-14T08:00", "2026-12-17T12:00", "2026-12-18"),
    ):
        response = admin_client.post(
            "/gestion/semaines/nouvelle",
            data=week_form(label=label, opens_at=opens, closes_at=closes, pickup_date_1=pickup),
            follow_redirects=True,
        )
        assert not any("Nom corrigé" in m for m in flashes(page_text(response)))
    assert [w[0] for w in weeks_as_stored()] == ["Semaine 50", "Marché de Noël"]


def test_pickup_days_straddling_two_weeks_take_the_first_days_number(admin_client):
    response = admin_client.post(
        "/gestion/semaines/nouvelle",
        data=week_form(label="Semaine 51", pickup_date_1="2026-12-14", pickup_date_2="2026-12-12"),
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert weeks_as_stored()[0][0] == "Semaine 50"  # Saturday 12th is in week 50


def test_a_week_with_numbered_orders_keeps_its_number(admin_client):
    week = add_week(
        "Semaine 50", "2026-12-07T08:00", "2026-12-10T12:00", ["2026-12-11"], order_counter=3
    )
    before = weeks_as_stored()
    response = admin_client.post(
        f"/gestion/semaines/{week.id}/modifier",
        data=week_form(label="Semaine 51", pickup_date_1="2026-12-18"),
    )
    assert response.status_code == 422
    page = page_text(response)
    assert "S50-" in page and "semaine 50" in page
    assert weeks_as_stored() == before
    # Another day in the same ISO week, or one more day later on, is fine.
    response = admin_client.post(
        f"/gestion/semaines/{week.id}/modifier",
        data=week_form(pickup_date_1="2026-12-12", pickup_date_2="2026-12-18"),
    )
    assert response.status_code == 302
    assert weeks_as_stored()[0][3] == ["2026-12-12", "2026-12-18"]


# --- Overlapping weeks ------------------------------------------------------------------------


def test_creating_a_week_that_overlaps_another_is_refused(admin_client):
    add_week("Semaine 50", "2026-12-07T08:00", "2026-12-10T12:00", ["2026-12-11"])
    before = weeks_as_stored()
    response = admin_client.post(
        "/gestion/semaines/nouvelle",
        data=week_form(
            label="Semaine 51",
            opens_at="2026-12-10T11:00",
            closes_at="2026-12-17T12:00",
            pickup_date_1="2026-12-18",
        ),
    )
    assert response.status_code == 422
    page = page_text(response)
    assert "chevauchent « Semaine 50 »" in page
    assert "lundi 7 décembre 2026 à 08:00" in page and "jeudi 10 décembre 2026 à 12:00" in page
    assert weeks_as_stored() == before
    # The form is shown again with what staff typed.
    assert input_value(page, "opens_at") == "2026-12-10T11:00"


def test_editing_a_week_into_another_ones_period_is_refused(admin_client):
    add_week("Semaine 50", "2026-12-07T08:00", "2026-12-10T12:00", ["2026-12-11"])
    later = add_week("Semaine 51", "2026-12-14T08:00", "2026-12-17T12:00", ["2026-12-18"])
    before = weeks_as_stored()
    response = admin_client.post(
        f"/gestion/semaines/{later.id}/modifier",
        data=week_form(
            label="Semaine 51",
            opens_at="2026-12-09T08:00",
            closes_at="2026-12-17T12:00",
            pickup_date_1="2026-12-18",
        ),
    )
    assert response.status_code == 422
    assert "chevauchent « Semaine 50 »" in page_text(response)
    assert weeks_as_stored() == before
    # Its own dates, unchanged, do not overlap itself.
    response = admin_client.post(
        f"/gestion/semaines/{later.id}/modifier",
        data=week_form(
            label="Semaine 51",
            opens_at="2026-12-14T08:00",
            closes_at="2026-12-17T14:00",
            pickup_date_1="2026-12-18",
        ),
    )
    assert response.status_code == 302


def test_weeks_that_touch_are_accepted(admin_client):
    """One week's orders close exactly when the next one's open: no overlap."""
    add_week("Semaine 50", "2026-12-03T12:00", "2026-12-10T12:00", ["2026-12-11"])
    for label, opens, closes, pickup in (
        ("Semaine 49", "2026-11-26T12:00", "2026-12-03T12:00", "2026-12-04"),  # closes as it opens
        ("Semaine 51", "2026-12-10T12:00", "2026-12-17T12:00", "2026-12-18"),  # opens as it closes
    ):
        response = admin_client.post(
            "/gestion/semaines/nouvelle",
            data=week_form(label=label, opens_at=opens, closes_at=closes, pickup_date_1=pickup),
        )
        assert response.status_code == 302, page_text(response)[-2000:]
    assert db.session.scalar(select(func.count()).select_from(SalesWeek)) == 3


def test_two_weeks_with_the_same_number_are_refused(admin_client):
    """Two weeks picked up in the same ISO week would both number their orders S50-001."""
    add_week("Semaine 50", "2026-12-03T12:00", "2026-12-08T12:00", ["2026-12-08"])
    before = weeks_as_stored()
    response = admin_client.post(
        "/gestion/semaines/nouvelle",
        data=week_form(
            label="Semaine 50",
            opens_at="2026-12-08T12:00",
            closes_at="2026-12-10T12:00",
            pickup_date_1="2026-12-11",
        ),
    )
    assert response.status_code == 422
    page = page_text(response)
    assert "« Semaine 50 » a déjà ses retraits en semaine 50" in page
    assert weeks_as_stored() == before


def test_the_suggested_week_never_overlaps_the_last_one(admin_client):
    # The last week's orders stayed open nine days: the suggestion starts when it closes.
    add_week("Semaine 49", "2026-11-23T08:00", "2026-12-02T18:00", ["2026-12-03", "2026-12-04"])
    page = page_text(admin_client.get("/gestion/semaines/nouvelle"))
    values = {
        name: input_value(page, name)
        for name in ("label", "opens_at", "closes_at", "pickup_date_1", "pickup_date_2")
    }
    assert values["opens_at"] == "2026-12-02T18:00"
    assert values["label"] == "Semaine 50"
    response = admin_client.post("/gestion/semaines/nouvelle", data=week_form(**values))
    assert response.status_code == 302


def test_staff_saving_overlapping_weeks_at_once_get_one_week(app, make_app):
    """Two staff (or a double click) saving weeks at the same moment: the checks run one
    save at a time, so exactly one of the overlapping weeks is created."""
    import threading

    from boutique.transactions import retried
    from boutique.weeks.services import WeekError, save_week

    add_week("Semaine 49", "2026-11-30T08:00", "2026-12-03T12:00", ["2026-12-04"])
    race_app = make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 10, "max_overflow": 0})
    count = 6
    barrier = threading.Barrier(count, timeout=60)
    results = [None] * count

    def staff(index):
        with race_app.app_context():

            @retried
            def save():
                try:
                    save_week(
                        SalesWeek(),
                        label="Semaine 50",
                        opens_at=paris("2026-12-07T08:00") + timedelta(minutes=index),
                        closes_at=paris("2026-12-10T12:00"),
                        pickup_dates=["2026-12-11"],
                    )
                    db.session.commit()
                except WeekError as refusal:
                    db.session.rollback()
                    return str(refusal)
                return "saved"

            db.session.scalar(select(func.count()).select_from(SalesWeek))  # connected
            barrier.wait()
            results[index] = save()

    threads = [threading.Thread(target=staff, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert results.count("saved") == 1, results
    assert all(r == "saved" or "Semaine 50" in r for r in results), results
    assert db.session.scalar(select(func.count()).select_from(SalesWeek)) == 2
