from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from boutique.extensions import db
from boutique.models import Offer, SalesWeek, utcnow
from tests.conftest import page_text


def offers_of(week):
    db.session.expire_all()
    return {
        offer.product_id: offer
        for offer in db.session.scalars(select(Offer).where(Offer.week_id == week.id))
    }


def grid_data(rows):
    """rows: list of (product_id, {field: value}) in grid order."""
    data = {}
    for index, (product_id, fields) in enumerate(rows):
        data[f"rows-{index}-product_id"] = str(product_id)
        for name, value in fields.items():
            if value is True:
                data[f"rows-{index}-{name}"] = "y"
            elif value is not False and value is not None:
                data[f"rows-{index}-{name}"] = str(value)
    return data


@pytest.fixture
def three_products(make_product):
    return [
        make_product(name="Tomate", variety="Cœur de bœuf"),
        make_product(name="Courgette", variety="Verte de Milan"),
        make_product(name="Basilic", variety="Grand vert"),
    ]


def test_staff_pages_need_a_staff_account(client, make_user, login, make_week):
    week = make_week()
    for url in (
        "/gestion/",
        "/gestion/semaines",
        f"/gestion/semaines/{week.id}",
        "/gestion/semaines/nouvelle",
        "/gestion/professionnels",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/compte/connexion" in response.headers["Location"]
    login(make_user(kind="restaurant"))
    for url in ("/gestion/", f"/gestion/semaines/{week.id}", "/gestion/professionnels"):
        response = client.get(url)
        assert response.status_code == 403
        assert "Accès refusé" in page_text(response)
    response = client.post(f"/gestion/semaines/{week.id}/publier")
    assert response.status_code == 403


def test_new_week_form_suggests_the_next_week_and_saves_paris_times(staff_client, make_week):
    last = make_week(label="Semaine 47", opens_in=timedelta(days=-8))
    page = page_text(staff_client.get("/gestion/semaines/nouvelle"))
    suggested_open = (last.opens_at + timedelta(days=7)).astimezone(
        __import__("zoneinfo").ZoneInfo("Europe/Paris")
    )
    assert suggested_open.strftime("%Y-%m-%dT%H:%M") in page

    response = staff_client.post(
        "/gestion/semaines/nouvelle",
        data={
            "label": "Semaine 50",
            "opens_at": "2026-12-07T08:00",
            "closes_at": "2026-12-10T12:00",
            "pickup_date_1": "2026-12-11",
            "pickup_date_2": "2026-12-12",
            "pickup_date_3": "",
        },
    )
    assert response.status_code == 302
    week = db.session.scalar(select(SalesWeek).filter_by(label="Semaine 50"))
    # 8:00 in Paris in December is 7:00 UTC.
    assert week.opens_at == datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
    assert week.closes_at == datetime(2026, 12, 10, 11, 0, tzinfo=UTC)
    assert week.pickup_dates == ["2026-12-11", "2026-12-12"]
    assert week.status == "draft"


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"closes_at": "2026-12-06T12:00"}, "La clôture doit être après l'ouverture."),
        ({"pickup_date_1": "2026-12-01"}, "Les retraits ont lieu après la clôture"),
        ({"opens_at": "pas une date"}, "Date et heure invalides."),
        ({"pickup_date_1": ""}, "Date invalide."),
    ],
)
def test_bad_week_dates_are_refused(staff_client, fields, message):
    data = {
        "label": "Semaine 50",
        "opens_at": "2026-12-07T08:00",
        "closes_at": "2026-12-10T12:00",
        "pickup_date_1": "2026-12-11",
    }
    data.update(fields)
    response = staff_client.post("/gestion/semaines/nouvelle", data=data)
    assert response.status_code == 200
    assert message in page_text(response)
    assert db.session.scalar(select(SalesWeek)) is None


def test_copy_previous_week_in_one_click(staff_client, make_week, three_products):
    tomato, courgette, basil = three_products
    last = make_week(
        label="Semaine 47",
        opens_in=timedelta(days=-8),
        offers=[
            (tomato, {"quantity_available": 40, "max_per_order": 6}),
            (courgette, {"quantity_available": None, "price_individual_cents": 199}),
        ],
    )
    week = make_week(label="Semaine 48", status="draft")
    page = page_text(staff_client.get(f"/gestion/semaines/{week.id}"))
    assert "Copier les disponibilités de « Semaine 47 »" in page

    response = staff_client.post(f"/gestion/semaines/{week.id}/copier", follow_redirects=True)
    assert "2 disponibilités copiées depuis « Semaine 47 »" in page_text(response)
    offers = offers_of(week)
    assert set(offers) == {tomato.id, courgette.id}
    assert (offers[tomato.id].quantity_available, offers[tomato.id].max_per_order) == (40, 6)
    assert offers[courgette.id].quantity_available is None
    assert offers[courgette.id].price_individual_cents == 199
    assert offers[tomato.id].quantity_reserved == 0
    assert offers_of(last)[tomato.id].quantity_available == 40


def test_grid_saves_every_row_in_one_form(staff_client, make_week, three_products):
    tomato, courgette, basil = three_products
    week = make_week(status="draft", offers=[(tomato, {"quantity_available": 10})])
    page = page_text(staff_client.get(f"/gestion/semaines/{week.id}"))
    assert "Tomate Cœur de bœuf" in page and "Basilic Grand vert" in page

    response = staff_client.post(
        f"/gestion/semaines/{week.id}",
        data=grid_data(
            [
                (tomato.id, {"offered": True, "quantity": 25, "max_per_order": 4}),
                (courgette.id, {"offered": False}),
                (basil.id, {"offered": True, "unlimited": True, "price_individual_cents": "3,20"}),
            ]
        ),
        follow_redirects=True,
    )
    assert "Disponibilités enregistrées." in page_text(response)
    offers = offers_of(week)
    assert (offers[tomato.id].quantity_available, offers[tomato.id].max_per_order) == (25, 4)
    assert courgette.id not in offers
    assert offers[basil.id].quantity_available is None
    assert offers[basil.id].price_individual_cents == 320


@pytest.mark.parametrize(
    "bad_row, message",
    [
        ({"offered": True, "quantity": -3}, "Quantité entre 0 et 1 000 000."),
        ({"offered": True, "quantity": "douze"}, "Nombre entier attendu."),
        ({"offered": True, "quantity": 5, "price_individual_cents": "-1"}, "négatif"),
        ({"offered": True, "quantity": 5, "price_amap_cents": "abc"}, "Montant invalide"),
        ({"offered": True, "quantity": 5, "price_amap_cents": "1e9"}, "Montant invalide"),
        ({"offered": True, "quantity": 5, "price_amap_cents": "200000"}, "Montant trop élevé."),
        ({"offered": True, "quantity": 5, "max_per_order": 0}, "Au moins 1"),
        ({"offered": True}, "Indiquez une quantité ou cochez « illimité »."),
    ],
)
def test_a_bad_row_refuses_the_whole_grid(
    staff_client, make_week, three_products, bad_row, message
):
    tomato, courgette, basil = three_products
    week = make_week(status="draft", offers=[(tomato, {"quantity_available": 10})])
    response = staff_client.post(
        f"/gestion/semaines/{week.id}",
        data=grid_data(
            [
                (tomato.id, {"offered": True, "quantity": 99}),
                (courgette.id, bad_row),
                (basil.id, {"offered": True, "quantity": 7}),
            ]
        ),
    )
    assert response.status_code == 422
    page = page_text(response)
    assert "Rien n'a été enregistré" in page
    assert message in page or message.lower() in page.lower()
    offers = offers_of(week)
    assert offers[tomato.id].quantity_available == 10
    assert set(offers) == {tomato.id}
    # The form is shown again with what staff typed.
    assert 'value="99"' in page


def test_grid_refuses_quantity_below_what_is_already_reserved(
    staff_client, make_week, three_products
):
    tomato = three_products[0]
    week = make_week(offers=[(tomato, {"quantity_available": 10, "quantity_reserved": 6})])
    response = staff_client.post(
        f"/gestion/semaines/{week.id}",
        data=grid_data([(tomato.id, {"offered": True, "quantity": 4})]),
    )
    assert response.status_code == 422
    assert "6 déjà réservés" in page_text(response)
    assert offers_of(week)[tomato.id].quantity_available == 10
    response = staff_client.post(
        f"/gestion/semaines/{week.id}", data=grid_data([(tomato.id, {"offered": False})])
    )
    assert "ne peut plus être retiré" in page_text(response)
    assert offers_of(week)[tomato.id].offered is True


@pytest.mark.parametrize("product_id, status", [("999999", 422), ("abc", 400), ("", 400)])
def test_tampered_product_id_changes_nothing(
    staff_client, make_week, three_products, product_id, status
):
    tomato = three_products[0]
    week = make_week(status="draft", offers=[(tomato, {"quantity_available": 10})])
    data = grid_data([(tomato.id, {"offered": True, "quantity": 50})])
    data["rows-1-product_id"] = product_id
    data["rows-1-offered"] = "y"
    data["rows-1-quantity"] = "5"
    response = staff_client.post(f"/gestion/semaines/{week.id}", data=data)
    assert response.status_code == status
    assert offers_of(week)[tomato.id].quantity_available == 10


def test_publish_puts_the_week_on_the_storefront(staff_client, make_week, three_products):
    tomato, courgette, basil = three_products
    week = make_week(
        label="Semaine 48", status="draft", offers=[(tomato, {"quantity_available": 12})]
    )
    assert "Tomate" not in page_text(staff_client.get("/"))
    response = staff_client.post(f"/gestion/semaines/{week.id}/publier", follow_redirects=True)
    assert "Semaine « Semaine 48 » publiée." in page_text(response)
    page = page_text(staff_client.get("/"))
    assert "Semaine 48" in page and "Tomate" in page and "12 disponibles" in page

    staff_client.post(
        f"/gestion/semaines/{week.id}",
        data=grid_data(
            [
                (tomato.id, {"offered": True, "quantity": 8}),
                (basil.id, {"offered": True, "unlimited": True}),
            ]
        ),
    )
    page = page_text(staff_client.get("/"))
    assert "8 disponibles" in page and "Basilic" in page


def test_publishing_an_empty_week_is_refused(staff_client, make_week):
    week = make_week(status="draft")
    response = staff_client.post(f"/gestion/semaines/{week.id}/publier", follow_redirects=True)
    assert "rien à publier" in page_text(response)
    db.session.expire_all()
    assert db.session.get(SalesWeek, week.id).status == "draft"


def test_unpublish_only_while_nothing_is_reserved(staff_client, make_week, three_products):
    tomato = three_products[0]
    week = make_week(offers=[(tomato, {"quantity_available": 10, "quantity_reserved": 1})])
    response = staff_client.post(f"/gestion/semaines/{week.id}/retirer", follow_redirects=True)
    assert "Des commandes existent déjà" in page_text(response)
    db.session.expire_all()
    assert db.session.get(SalesWeek, week.id).status == "published"


def test_week_state_follows_the_clock(make_week):
    week = make_week(opens_in=timedelta(hours=1), duration=timedelta(days=2))
    now = utcnow()
    assert week.phase(now) == "upcoming"
    assert week.phase(now + timedelta(hours=2)) == "open"
    assert week.phase(now + timedelta(days=3)) == "closed"
    week.status = "draft"
    assert week.phase(now + timedelta(hours=2)) == "draft"


def test_missing_week_is_a_404_for_staff(staff_client):
    assert staff_client.get("/gestion/semaines/424242").status_code == 404


def test_product_deactivated_while_the_grid_was_open_is_explained(
    staff_client, make_week, three_products
):
    tomato, courgette, _ = three_products
    week = make_week(status="draft")
    courgette.active = False
    db.session.commit()
    response = staff_client.post(
        f"/gestion/semaines/{week.id}",
        data=grid_data(
            [
                (tomato.id, {"offered": True, "quantity": 5}),
                (courgette.id, {"offered": True, "quantity": 5}),
            ]
        ),
    )
    assert response.status_code == 422
    assert "Un produit désactivé entre-temps : rechargez la page." in page_text(response)
    assert offers_of(week) == {}
