"""English names for categories, units and pick-up instructions (issue 13, part 9): shown on
English pages and mails when staff give them, the French ones otherwise; "Semaine 49" reads
"Week 49" in English."""

import re

import pytest
from sqlalchemy import select

from boutique.extensions import db
from boutique.models import Category, Order, PickupPoint, Product
from boutique.pickup import schedule
from tests.conftest import page_text
from tests.test_ordering import checkout, deliver, follow, mail_text, submit

WEDNESDAY_OF_WEEK_49 = "2026-12-02"


def english(client):
    client.post("/langue", data={"lang": "en"})
    return client


def sections(page):
    return re.findall(r'<h2 id="cat-[^"]*">([^<]*)</h2>', page)


@pytest.fixture
def shop(make_category, make_product, make_week, make_pickup_slot):
    """A tomato in a category, a week offering it, a slot at a point: all with English labels."""
    plants = make_category("Plants potagers", "plants-potagers", 1)
    plants.name_en = "Vegetable plants"
    tomato = make_product(name="Tomate", category=plants, unit_label="godet 8 cm")
    tomato.unit_label_en = "8 cm pot"
    week = make_week(offers=[tomato])
    slot = make_pickup_slot(week)
    slot.point.instructions = "Sonnez au portail."
    slot.point.instructions_en = "Ring at the gate."
    db.session.commit()
    return week, tomato, slot


def test_english_pages_and_mails_show_the_english_labels(app, client, shop, mailbox):
    week, tomato, slot = shop
    english(client)
    home = page_text(client.get("/"))
    assert sections(home) == ["Vegetable plants"]
    assert ">Vegetable plants</a>" in home and "8 cm pot" in home
    assert "Plants potagers" not in home and "godet 8 cm" not in home
    product = page_text(client.get(f"/produit/{tomato.id}"))
    assert "Vegetable plants" in product and "8 cm pot" in product

    form = checkout(client, slot, [(week.offers[0], 2)])
    assert "8 cm pot" in page_text(client.get("/panier"))
    start = page_text(client.get("/commande"))
    assert "8 cm pot" in start and "Ring at the gate." in start
    assert "Sonnez au portail." not in start
    order_page = follow(client, submit(client, form))
    assert "Ring at the gate." in order_page and "Sonnez au portail." not in order_page
    order = db.session.scalar(select(Order))
    assert order.lines[0].unit_label == "godet 8 cm"  # the order keeps its French snapshot

    deliver(mailbox)
    schedule.send_reminders(slot.day)
    db.session.commit()
    reminder = mail_text(mailbox, deliver(mailbox)[-1])
    assert "Ring at the gate." in reminder and "Sonnez au portail." not in reminder

    french = app.test_client()  # the same shop in French
    home = page_text(french.get("/"))
    assert sections(home) == ["Plants potagers"]
    assert "godet 8 cm" in home and "8 cm pot" not in home and "Vegetable plants" not in home
    checkout(french, slot, [(week.offers[0], 1)])
    assert "godet 8 cm" in page_text(french.get("/panier"))
    start = page_text(french.get("/commande"))
    assert "Sonnez au portail." in start and "Ring at the gate." not in start


def test_empty_english_labels_fall_back_to_french(client, shop):
    week, tomato, slot = shop
    tomato.category.name_en, slot.point.instructions_en = "", ""  # the unit keeps its English
    db.session.commit()
    english(client)
    home = page_text(client.get("/"))
    assert sections(home) == ["Plants potagers"] and "8 cm pot" in home
    checkout(client, slot, [(week.offers[0], 1)])
    assert "Sonnez au portail." in page_text(client.get("/commande"))


def test_the_default_week_label_reads_in_english_and_any_other_as_typed(
    app, client, make_product, make_week
):
    week = make_week(
        label="Semaine 49", offers=[make_product()], pickup_dates=[WEDNESDAY_OF_WEEK_49]
    )
    french = app.test_client()
    english(client)
    for label, in_english in [
        ("Semaine 49", "Week 49"),
        ("Semaine 50", "Semaine 50"),  # not the week's number: as typed
        ("Fête des plants", "Fête des plants"),
    ]:
        week.label = label
        db.session.commit()
        assert f'<h1 id="week-title">{label}</h1>' in page_text(french.get("/"))
        assert f'<h1 id="week-title">{in_english}</h1>' in page_text(client.get("/"))


# --- Staff ---------------------------------------------------------------------------------------


def test_staff_create_and_rename_a_category_with_its_english_name(staff_client, make_category):
    response = staff_client.post(
        "/gestion/categories", data={"name": "Aromatiques", "name_en": "  Herbs "}
    )
    assert response.status_code == 302
    herbs = db.session.scalar(select(Category).filter_by(name="Aromatiques"))
    assert herbs.name_en == "Herbs"
    form = page_text(staff_client.get(f"/gestion/categories/{herbs.id}"))
    assert "Nom en anglais (facultatif)" in form and 'value="Herbs"' in form

    response = staff_client.post(
        f"/gestion/categories/{herbs.id}", data={"name": "Aromatiques", "name_en": "Herbs to pot"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Category, herbs.id).name_en == "Herbs to pot"


def test_renaming_the_english_name_shows_at_once_on_the_english_catalog(app, staff_client, shop):
    week, tomato, slot = shop
    visitor = english(app.test_client())
    assert sections(page_text(visitor.get("/"))) == ["Vegetable plants"]  # now cached
    category = tomato.category
    response = staff_client.post(
        f"/gestion/categories/{category.id}",
        data={"name": "Plants potagers", "name_en": "Vegetable seedlings"},
    )
    assert response.status_code == 302
    assert sections(page_text(visitor.get("/"))) == ["Vegetable seedlings"]
    assert sections(page_text(app.test_client().get("/"))) == ["Plants potagers"]


def test_staff_save_the_english_unit_through_the_product_form(staff_client, make_category):
    from tests.test_staff_catalog import form_data

    plants = make_category()
    page = page_text(staff_client.get("/gestion/produits/nouveau"))
    assert "Unité en anglais (facultatif)" in page
    response = staff_client.post(
        "/gestion/produits/nouveau", data=form_data(plants, unit_label_en=" 10 cm pot ")
    )
    assert response.status_code == 302
    product = db.session.scalar(select(Product).filter_by(name="Courgette"))
    assert product.unit_label_en == "10 cm pot"
    edit = page_text(staff_client.get(f"/gestion/produits/{product.id}"))
    assert 'value="10 cm pot"' in edit


def test_staff_save_the_english_instructions_through_the_point_form(staff_client):
    from tests.test_staff_pickup import point_data

    page = page_text(staff_client.get("/gestion/points/nouveau"))
    assert "Consignes en anglais (facultatif)" in page
    response = staff_client.post(
        "/gestion/points/nouveau",
        data=point_data(instructions_en="At the green stall, by the fountain."),
    )
    assert response.status_code == 302
    point = db.session.scalar(select(PickupPoint))
    assert point.instructions_en == "At the green stall, by the fountain."
    response = staff_client.post(f"/gestion/points/{point.id}", data=point_data(instructions_en=""))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(PickupPoint, point.id).instructions_en == ""
