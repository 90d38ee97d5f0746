from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select, update

from boutique.extensions import db
from boutique.models import PickupPoint, PickupSlot, SalesWeek, SlotTemplate
from tests.conftest import page_text

FRIDAY, SATURDAY = "2026-12-11", "2026-12-12"
NEXT = timedelta(days=6)  # the week after make_week's (weeks never take orders at once)
MONDAY, WEDNESDAY, FRI, SAT = 0, 2, 4, 5


@pytest.fixture
def make_point(app):
    def make(name="Portail de la pépinière", templates=(), **overrides):
        """templates: (weekday, "16:00", "17:30", capacity) tuples."""
        values = {"address": "Chemin des Serres, 84000 Avignon", "position": 1}
        values.update(overrides)
        point = PickupPoint(name=name, **values)
        db.session.add(point)
        for weekday, start, end, capacity in templates:
            db.session.add(
                SlotTemplate(
                    point=point,
                    weekday=weekday,
                    starts_at=time.fromisoformat(start),
                    ends_at=time.fromisoformat(end),
                    capacity=capacity,
                )
            )
        db.session.commit()
        return point

    return make


@pytest.fixture
def make_slot(app):
    def make(week, point, day=FRIDAY, start="16:00", end="17:30", capacity=12, **fields):
        slot = PickupSlot(
            week=week,
            point=point,
            day=date.fromisoformat(day),
            starts_at=time.fromisoformat(start),
            ends_at=time.fromisoformat(end),
            capacity=capacity,
            **fields,
        )
        db.session.add(slot)
        db.session.commit()
        return slot

    return make


def slots_of(week):
    db.session.expire_all()
    return db.session.scalars(
        select(PickupSlot)
        .where(PickupSlot.week_id == week.id)
        .order_by(PickupSlot.point_id, PickupSlot.day, PickupSlot.starts_at)
    ).all()


def slot_keys(week):
    return {
        (slot.point_id, slot.day.isoformat(), f"{slot.starts_at:%H:%M}", slot.capacity)
        for slot in slots_of(week)
    }


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def point_data(**fields):
    data = {
        "name": "Marché du samedi",
        "address": "Place Pie, Avignon",
        "instructions": "Au stand vert, à côté de la fontaine.",
        "for_individual": "y",
        "for_restaurant": "y",
        "position": "2",
        "active": "y",
    }
    data.update(fields)
    return {name: value for name, value in data.items() if value is not None}


def template_data(**fields):
    return {"weekday": "4", "starts_at": "16:00", "ends_at": "17:30", "capacity": "12", **fields}


def slot_data(point, **fields):
    data = {
        "point_id": str(point.id),
        "day": FRIDAY,
        "other_day": "",
        "starts_at": "12:00",
        "ends_at": "13:30",
        "capacity": "6",
    }
    data.update(fields)
    return data


# --- Access -----------------------------------------------------------------------------------


def test_pickup_pages_need_a_staff_account(
    client, make_user, login, make_week, make_point, make_slot
):
    week = make_week(pickup_dates=[FRIDAY])
    point = make_point(templates=[(FRI, "16:00", "17:30", 12)])
    slot = make_slot(week, point)
    template_id = point.templates[0].id
    pages = (
        "/gestion/points",
        "/gestion/points/nouveau",
        f"/gestion/points/{point.id}",
        f"/gestion/semaines/{week.id}/creneaux",
    )
    posts = (
        ("/gestion/points/nouveau", point_data()),
        (f"/gestion/points/{point.id}", point_data()),
        (f"/gestion/points/{point.id}/modeles", template_data()),
        (f"/gestion/points/modeles/{template_id}/supprimer", {}),
        (f"/gestion/semaines/{week.id}/creneaux", slot_data(point)),
        (f"/gestion/semaines/{week.id}/creneaux/modeles", {}),
        (f"/gestion/creneaux/{slot.id}/capacite", {"capacity": "1"}),
        (f"/gestion/creneaux/{slot.id}/fermeture", {"action": "close"}),
    )
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302 and "/compte/connexion" in response.headers["Location"]
    for url, data in posts:
        response = client.post(url, data=data)
        assert response.status_code == 302 and "/compte/connexion" in response.headers["Location"]

    login(make_user(kind="restaurant"))
    for url in pages:
        response = client.get(url)
        assert response.status_code == 403
        assert "Accès refusé" in page_text(response)
    for url, data in posts:
        assert client.post(url, data=data).status_code == 403

    assert (count(PickupPoint), count(SlotTemplate), count(PickupSlot)) == (1, 1, 1)
    slot = slots_of(week)[0]
    assert (slot.capacity, slot.closed) == (12, False)


def test_unknown_ids_are_not_found(staff_client, make_week, make_point, make_slot):
    week = make_week(pickup_dates=[FRIDAY])
    make_slot(week, make_point())
    for url in (
        "/gestion/points/9999",
        "/gestion/points/0",
        "/gestion/semaines/9999/creneaux",
    ):
        response = staff_client.get(url)
        assert response.status_code == 404
        assert "Page introuvable" in page_text(response)
    for url, data in (
        ("/gestion/points/9999", point_data()),
        ("/gestion/points/9999/modeles", template_data()),
        ("/gestion/points/modeles/9999/supprimer", {}),
        ("/gestion/semaines/9999/creneaux/modeles", {}),
        ("/gestion/creneaux/9999/capacite", {"capacity": "3"}),
        ("/gestion/creneaux/9999/fermeture", {"action": "close"}),
    ):
        assert staff_client.post(url, data=data).status_code == 404
    assert count(PickupPoint) == 1 and count(SlotTemplate) == 0
    assert slots_of(week)[0].capacity == 12


def test_staff_pages_link_to_points_and_to_the_week_slots(staff_client, make_week):
    week = make_week(status="draft")
    page = page_text(staff_client.get(f"/gestion/semaines/{week.id}"))
    assert "Points de retrait" in page
    assert f'href="/gestion/semaines/{week.id}/creneaux">Créneaux de retrait' in page


# --- Points and templates ---------------------------------------------------------------------


def test_points_list_shows_who_may_use_them_and_their_weekly_slots(staff_client, make_point):
    make_point(
        templates=[(FRI, "17:30", "19:00", 10), (FRI, "16:00", "17:30", 12)],
        for_amap=False,
    )
    make_point(
        name="Tournée des restaurants",
        address="",
        for_individual=False,
        for_amap=False,
        is_delivery=True,
        active=False,
        position=5,
        templates=[(WEDNESDAY, "09:00", "11:00", 1)],
    )
    response = staff_client.get("/gestion/points")
    assert response.status_code == 200
    page = page_text(response)
    assert "Portail de la pépinière" in page and "Chemin des Serres, 84000 Avignon" in page
    assert "Particuliers, Restaurants" in page
    assert page.index("vendredi 16:00–17:30 (12 commandes)") < page.index(
        "vendredi 17:30–19:00 (10 commandes)"
    )
    assert "Tournée de livraison" in page and "Inactif" in page
    assert "mercredi 09:00–11:00 (1 commande)" in page


def test_points_list_speaks_english(staff_client, make_point):
    make_point(templates=[(FRI, "16:00", "17:30", 12)])
    staff_client.post("/langue", data={"lang": "en"})
    page = page_text(staff_client.get("/gestion/points"))
    assert "Friday 16:00–17:30 (12 orders)" in page


def test_staff_creates_a_point_then_edits_it(staff_client):
    page = page_text(staff_client.get("/gestion/points/nouveau"))
    assert "Nouveau point de retrait" in page and "Enregistrez d'abord le point" in page

    response = staff_client.post("/gestion/points/nouveau", data=point_data())
    point = db.session.scalar(select(PickupPoint))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/gestion/points/{point.id}")
    assert (point.name, point.address, point.position) == (
        "Marché du samedi",
        "Place Pie, Avignon",
        2,
    )
    assert point.allowed_kinds == ["individual", "restaurant"]
    assert (point.is_delivery, point.active) == (False, True)
    page = page_text(staff_client.get(response.headers["Location"]))
    assert "Point de retrait « Marché du samedi » enregistré." in page
    assert "Ajouter un modèle" in page

    response = staff_client.post(
        f"/gestion/points/{point.id}",
        data=point_data(
            name="  Tournée AMAP  ",
            for_individual=None,
            for_restaurant=None,
            for_amap="y",
            is_delivery="y",
            active=None,
            position="",
        ),
        follow_redirects=True,
    )
    assert "Point de retrait « Tournée AMAP » enregistré." in page_text(response)
    db.session.expire_all()
    point = db.session.get(PickupPoint, point.id)
    assert point.name == "Tournée AMAP"
    assert point.allowed_kinds == ["amap"]
    assert (point.is_delivery, point.active, point.position) == (True, False, 0)
    assert count(PickupPoint) == 1


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"for_individual": None, "for_restaurant": None}, "Cochez au moins un type de client."),
        ({"name": "   "}, "Indiquez le nom du point."),
        ({"position": "premier"}, "Nombre entier attendu."),
        ({"position": "-1"}, "L'ordre va de 0 à 10 000."),
        ({"name": "x" * 121}, "120 caractères au plus."),
        ({"instructions": "x" * 2001}, "2000 caractères au plus."),
    ],
)
def test_bad_point_is_refused_and_changes_nothing(staff_client, make_point, fields, message):
    point = make_point()
    for url in ("/gestion/points/nouveau", f"/gestion/points/{point.id}"):
        response = staff_client.post(url, data=point_data(**fields))
        assert response.status_code == 422
        assert message in page_text(response)
        assert 'class="error"' in page_text(response)
    db.session.expire_all()
    assert count(PickupPoint) == 1
    assert db.session.get(PickupPoint, point.id).name == "Portail de la pépinière"


def test_staff_adds_and_deletes_weekly_templates(staff_client, make_point):
    point = make_point()
    response = staff_client.post(
        f"/gestion/points/{point.id}/modeles",
        data=template_data(weekday="5", starts_at="09:00", ends_at="11:30", capacity="8"),
        follow_redirects=True,
    )
    page = page_text(response)
    assert "Modèle « samedi 09:00–11:30 » ajouté à « Portail de la pépinière »." in page
    assert "Samedi" in page and "8 commandes" in page
    template = db.session.scalar(select(SlotTemplate))
    assert (template.point_id, template.weekday, template.capacity) == (point.id, SAT, 8)
    assert (template.starts_at, template.ends_at) == (time(9), time(11, 30))

    response = staff_client.post(
        f"/gestion/points/modeles/{template.id}/supprimer", follow_redirects=True
    )
    assert "Modèle « samedi 09:00–11:30 » supprimé." in page_text(response)
    assert "Aucun modèle" in page_text(response)
    assert count(SlotTemplate) == 0


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"ends_at": "15:00"}, "La fin du créneau doit suivre son début."),
        ({"ends_at": "16:00"}, "La fin du créneau doit suivre son début."),
        ({"capacity": "0"}, "La capacité va de 1 à 10 000 commandes."),
        ({"capacity": "-4"}, "La capacité va de 1 à 10 000 commandes."),
        ({"capacity": "99999999999"}, "La capacité va de 1 à 10 000 commandes."),
        ({"capacity": "douze"}, "Nombre entier attendu."),
        ({"capacity": ""}, "Indiquez une capacité."),
        ({"starts_at": "25:00"}, "Heure invalide (exemple : 16:00)."),
        ({"starts_at": ""}, "Indiquez une heure."),
        ({"weekday": "7"}, "Jour inconnu."),
        ({"weekday": "vendredi"}, "Jour inconnu."),
    ],
)
def test_bad_template_is_refused_and_changes_nothing(staff_client, make_point, fields, message):
    point = make_point()
    response = staff_client.post(
        f"/gestion/points/{point.id}/modeles", data=template_data(**fields)
    )
    assert response.status_code == 422
    page = page_text(response)
    assert message in page
    # The point's own form is still there, filled in, and posts to the point.
    assert 'value="Portail de la pépinière"' in page
    assert f'action="/gestion/points/{point.id}"' in page
    assert count(SlotTemplate) == 0


def test_deleting_a_template_keeps_the_slots_already_made(staff_client, make_week, make_point):
    point = make_point(templates=[(FRI, "16:00", "17:30", 12)])
    week = make_week(pickup_dates=[FRIDAY])
    staff_client.post(f"/gestion/semaines/{week.id}/creneaux/modeles")
    assert len(slots_of(week)) == 1

    staff_client.post(f"/gestion/points/modeles/{point.templates[0].id}/supprimer")
    assert count(SlotTemplate) == 0
    assert slot_keys(week) == {(point.id, FRIDAY, "16:00", 12)}


# --- Slots of a week --------------------------------------------------------------------------


WEEK_FORM = {
    "label": "Semaine 50",
    "opens_at": "2026-12-07T08:00",
    "closes_at": "2026-12-10T12:00",
    "pickup_date_1": FRIDAY,
    "pickup_date_2": SATURDAY,
    "pickup_date_3": "",
}


def test_new_week_gets_slots_from_the_templates_of_its_pickup_days(staff_client, make_point):
    gate = make_point(
        templates=[
            (FRI, "16:00", "17:30", 12),
            (FRI, "17:30", "19:00", 12),
            (SAT, "09:00", "11:30", 8),
            (WEDNESDAY, "09:00", "11:30", 8),
        ]
    )
    make_point(name="Ancien marché", active=False, templates=[(FRI, "10:00", "12:00", 5)])

    response = staff_client.post("/gestion/semaines/nouvelle", data=WEEK_FORM)
    assert response.status_code == 302
    week = db.session.scalar(select(SalesWeek).filter_by(label="Semaine 50"))
    assert slot_keys(week) == {
        (gate.id, FRIDAY, "16:00", 12),
        (gate.id, FRIDAY, "17:30", 12),
        (gate.id, SATURDAY, "09:00", 8),
    }
    assert all(slot.booked == 0 and not slot.closed for slot in slots_of(week))
    page = page_text(staff_client.get(response.headers["Location"]))
    assert '<p class="flash flash-success">Semaine « Semaine 50 » enregistrée.</p>' in page
    assert '<p class="flash flash-info">3 créneaux de retrait créés depuis les modèles.</p>' in page

    # Editing the week later leaves its slots to the staff.
    make_point(name="Tournée", templates=[(SAT, "14:00", "16:00", 4)])
    staff_client.post(f"/gestion/semaines/{week.id}/modifier", data=WEEK_FORM)
    assert len(slots_of(week)) == 3


def test_new_week_without_templates_says_no_slot_was_made(staff_client):
    response = staff_client.post(
        "/gestion/semaines/nouvelle", data=WEEK_FORM, follow_redirects=True
    )
    page = page_text(response)
    assert "Semaine « Semaine 50 » enregistrée." in page
    assert '<p class="flash flash-info">0 créneau' in page
    assert count(PickupSlot) == 0


def test_refused_new_week_makes_no_slot(staff_client, make_point):
    make_point(templates=[(FRI, "16:00", "17:30", 12)])
    response = staff_client.post(
        "/gestion/semaines/nouvelle", data={**WEEK_FORM, "closes_at": "2026-12-06T12:00"}
    )
    assert response.status_code == 200
    assert (count(SalesWeek), count(PickupSlot)) == (0, 0)


def test_creating_slots_from_templates_twice_adds_nothing_more(staff_client, make_week, make_point):
    point = make_point(templates=[(FRI, "16:00", "17:30", 12), (SAT, "09:00", "11:30", 8)])
    week = make_week(pickup_dates=[FRIDAY, SATURDAY])
    other_week = make_week(label="Semaine 51", opens_in=NEXT, pickup_dates=["2026-12-18"])

    response = staff_client.post(
        f"/gestion/semaines/{week.id}/creneaux/modeles", follow_redirects=True
    )
    assert "2 créneaux de retrait créés depuis les modèles." in page_text(response)
    friday = next(slot for slot in slots_of(week) if slot.day == date(2026, 12, 11))
    db.session.execute(update(PickupSlot).where(PickupSlot.id == friday.id).values(capacity=20))
    db.session.commit()

    response = staff_client.post(
        f"/gestion/semaines/{week.id}/creneaux/modeles", follow_redirects=True
    )
    assert "Aucun créneau à créer" in page_text(response)
    assert slot_keys(week) == {(point.id, FRIDAY, "16:00", 20), (point.id, SATURDAY, "09:00", 8)}
    assert slots_of(other_week) == []


def test_week_slots_page_groups_slots_by_point_in_time_order(
    staff_client, make_week, make_point, make_slot
):
    week = make_week(label="Semaine 50", pickup_dates=[FRIDAY, SATURDAY])
    gate = make_point(position=1)
    market = make_point(name="Marché Pie", position=2, active=False)
    make_slot(week, market, day=FRIDAY, start="08:00", end="12:00", capacity=30)
    make_slot(week, gate, day=SATURDAY, start="09:00", end="11:30", capacity=8)
    make_slot(week, gate, day=FRIDAY, start="17:30", end="19:00", capacity=12, booked=3)
    make_slot(week, gate, day=FRIDAY, start="16:00", end="17:30", capacity=2, booked=2)
    make_slot(week, gate, day=FRIDAY, start="12:00", end="13:00", capacity=4, closed=True)
    make_slot(
        make_week(label="Semaine 51", opens_in=NEXT),
        gate,
        day="2026-12-18",
        start="07:00",
        end="08:00",
    )

    response = staff_client.get(f"/gestion/semaines/{week.id}/creneaux")
    assert response.status_code == 200
    page = page_text(response)
    assert "Créneaux de retrait de « Semaine 50 »" in page
    order = [
        "Portail de la pépinière",
        "vendredi 11 décembre 2026, de 12:00 à 13:00",
        "vendredi 11 décembre 2026, de 16:00 à 17:30",
        "vendredi 11 décembre 2026, de 17:30 à 19:00",
        "samedi 12 décembre 2026, de 09:00 à 11:30",
        "Marché Pie",
        "vendredi 11 décembre 2026, de 08:00 à 12:00",
    ]
    positions = [page.index(text) for text in order]
    assert positions == sorted(positions)
    assert "3 / 12" in page and "2 / 2" in page and "0 / 4" in page
    assert "Fermé" in page and "Complet" in page and "Ouvert" in page and "Rouvrir" in page
    assert "de 07:00 à 08:00" not in page


def test_staff_adds_a_slot_on_a_pickup_day_or_on_another_date(staff_client, make_week, make_point):
    week = make_week(pickup_dates=[FRIDAY, SATURDAY])
    point = make_point()
    page = page_text(staff_client.get(f"/gestion/semaines/{week.id}/creneaux"))
    assert "Aucun créneau pour cette semaine" in page
    assert "samedi 12 décembre 2026" in page and "Autre date" in page

    response = staff_client.post(
        f"/gestion/semaines/{week.id}/creneaux",
        data=slot_data(point, day=SATURDAY),
        follow_redirects=True,
    )
    assert (
        "Créneau ajouté : Portail de la pépinière, samedi 12 décembre 2026, de 12:00 à 13:30."
        in page_text(response)
    )
    response = staff_client.post(
        f"/gestion/semaines/{week.id}/creneaux",
        data=slot_data(point, day="autre", other_day="2026-12-13", capacity="3"),
        follow_redirects=True,
    )
    assert "dimanche 13 décembre 2026, de 12:00 à 13:30" in page_text(response)
    assert slot_keys(week) == {
        (point.id, SATURDAY, "12:00", 6),
        (point.id, "2026-12-13", "12:00", 3),
    }


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"ends_at": "11:00"}, "La fin du créneau doit suivre son début."),
        ({"capacity": "0"}, "La capacité va de 1 à 10 000 commandes."),
        ({"capacity": "-1"}, "La capacité va de 1 à 10 000 commandes."),
        ({"capacity": "six"}, "Nombre entier attendu."),
        ({"day": "autre"}, "Indiquez la date du créneau."),
        ({"day": "autre", "other_day": "13/12/2026"}, "Date invalide."),
        ({"day": "2026-12-18"}, "Jour inconnu."),
        ({"point_id": "9999"}, "Point de retrait inconnu."),
        ({"point_id": "portail"}, "Point de retrait inconnu."),
        ({"starts_at": "midi"}, "Heure invalide (exemple : 16:00)."),
        (
            {"starts_at": "16:00", "ends_at": "17:30"},
            "Ce point a déjà un créneau ce jour-là à cette heure.",
        ),
    ],
)
def test_bad_slot_is_refused_and_changes_nothing(
    staff_client, make_week, make_point, make_slot, fields, message
):
    week = make_week(pickup_dates=[FRIDAY])
    point = make_point()
    make_slot(week, point, start="16:00", end="17:30")
    response = staff_client.post(
        f"/gestion/semaines/{week.id}/creneaux", data=slot_data(point, **fields)
    )
    assert response.status_code == 422
    assert message in page_text(response)
    assert len(slots_of(week)) == 1


def test_capacity_cannot_go_below_the_orders_booked(staff_client, make_week, make_point, make_slot):
    week = make_week(pickup_dates=[FRIDAY])
    slot = make_slot(week, make_point(), capacity=12)
    db.session.execute(update(PickupSlot).where(PickupSlot.id == slot.id).values(booked=5))
    db.session.commit()
    url = f"/gestion/creneaux/{slot.id}/capacite"

    response = staff_client.post(url, data={"capacity": "3", "week_id": str(week.id)})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/gestion/semaines/{week.id}/creneaux")
    page = page_text(staff_client.get(response.headers["Location"]))
    assert (
        "5 commandes sont déjà prévues sur ce créneau : la capacité ne peut pas descendre à 3."
        in page
    )
    assert slots_of(week)[0].capacity == 12

    response = staff_client.post(url, data={"capacity": "5"}, follow_redirects=True)
    assert "capacité de 5 commandes." in page_text(response)
    assert "5 / 5" in page_text(response) and "Complet" in page_text(response)
    assert (slots_of(week)[0].capacity, slots_of(week)[0].booked) == (5, 5)

    staff_client.post(url, data={"capacity": "20"})
    assert slots_of(week)[0].capacity == 20


@pytest.mark.parametrize(
    "capacity, message",
    [
        ("0", "La capacité va de 1 à 10 000 commandes."),
        ("-3", "La capacité va de 1 à 10 000 commandes."),
        ("beaucoup", "Nombre entier attendu."),
        ("", "Indiquez une capacité."),
    ],
)
def test_bad_capacity_is_refused(staff_client, make_week, make_point, make_slot, capacity, message):
    week = make_week(pickup_dates=[FRIDAY])
    slot = make_slot(week, make_point(), capacity=12)
    response = staff_client.post(
        f"/gestion/creneaux/{slot.id}/capacite", data={"capacity": capacity}, follow_redirects=True
    )
    assert response.status_code == 200
    page = page_text(response)
    assert (
        f"Portail de la pépinière, vendredi 11 décembre 2026, de 16:00 à 17:30 — {message}" in page
    )
    assert slots_of(week)[0].capacity == 12


def test_staff_close_and_reopen_a_slot(staff_client, make_week, make_point, make_slot):
    week = make_week(pickup_dates=[FRIDAY])
    slot = make_slot(week, make_point(), booked=0)
    url = f"/gestion/creneaux/{slot.id}/fermeture"

    response = staff_client.post(url, data={"action": "close", "week_id": str(week.id)})
    assert response.headers["Location"].endswith(f"/gestion/semaines/{week.id}/creneaux")
    assert slots_of(week)[0].closed is True
    page = page_text(staff_client.get(response.headers["Location"]))
    assert "fermé, il ne prend plus de commandes." in page
    assert "Fermé" in page and "Rouvrir" in page

    # A second click on the same button keeps it closed.
    staff_client.post(url, data={"action": "close"})
    assert slots_of(week)[0].closed is True

    response = staff_client.post(url, data={"action": "reopen"}, follow_redirects=True)
    assert "rouvert aux commandes." in page_text(response)
    assert slots_of(week)[0].closed is False

    assert staff_client.post(url, data={"action": "supprimer"}).status_code == 400
    assert staff_client.post(url, data={}).status_code == 400
    assert slots_of(week)[0].closed is False


def test_slot_of_another_week_is_refused(staff_client, make_week, make_point, make_slot):
    week = make_week(pickup_dates=[FRIDAY])
    other = make_week(label="Semaine 51", opens_in=NEXT, pickup_dates=["2026-12-18"])
    slot = make_slot(other, make_point(), day="2026-12-18", capacity=12)

    response = staff_client.post(
        f"/gestion/creneaux/{slot.id}/capacite", data={"capacity": "4", "week_id": str(week.id)}
    )
    assert response.status_code == 404
    response = staff_client.post(
        f"/gestion/creneaux/{slot.id}/fermeture", data={"action": "close", "week_id": str(week.id)}
    )
    assert response.status_code == 404
    assert (slots_of(other)[0].capacity, slots_of(other)[0].closed) == (12, False)
