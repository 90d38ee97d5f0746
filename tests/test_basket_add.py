"""Adding to the basket without leaving the page (issue 13, part 1), and without the script."""

import html
import re

import pytest

from tests.conftest import page_text

JSON = {"Accept": "application/json"}


def page_text_of(html_text):
    return html.unescape(html_text).replace("\u202f", " ").replace("\u00a0", " ")


@pytest.fixture
def offers(make_product, make_week):
    tomato = make_product(name="Tomate", variety="Cerise", price_individual_cents=250)
    basil = make_product(name="Basilic", variety="Grand vert", price_individual_cents=300)
    week = make_week(offers=[(tomato, {"quantity_available": 5}), basil])
    by_name = {o.product.name: o for o in week.offers}
    return by_name["Tomate"], by_name["Basilic"]


def test_the_script_gets_the_message_the_line_count_and_the_bar(client, offers):
    tomato, basil = offers
    client.get("/")
    answer = client.post(
        "/panier/ajouter", data={"offer_id": tomato.id, "quantity": "3"}, headers=JSON
    )
    assert answer.status_code == 200 and answer.is_json
    assert answer.json["ok"] is True
    assert answer.json["message"] == "« Tomate Cerise » ajouté au panier."
    assert answer.json["count"] == 1
    answer = client.post(
        "/panier/ajouter", data={"offer_id": basil.id, "quantity": "2"}, headers=JSON
    ).json
    assert answer["count"] == 2  # lines, not the 5 units
    bar = " ".join(re.sub("<[^>]+>", " ", page_text_of(answer["bar"])).split())
    assert "2 produits · 13,50 € TTC" in bar
    assert "Tomate Cerise × 3 7,50 €" in bar and "Basilic Grand vert × 2 6,00 €" in bar
    assert 'href="/commande"' in answer["bar"]
    # No message waits for the next page: the script has shown it.
    assert "ajouté au panier" not in page_text(client.get("/panier"))


def test_a_refusal_comes_back_as_json_with_the_reason_and_changes_nothing(client, offers):
    tomato, _basil = offers
    client.get("/")
    answer = client.post(
        "/panier/ajouter", data={"offer_id": tomato.id, "quantity": "9"}, headers=JSON
    )
    assert answer.status_code == 422 and answer.json["ok"] is False
    assert "il n'en reste que 5" in answer.json["message"]
    assert answer.json["count"] == 0 and 'id="basket-bar"' in answer.json["bar"]
    answer = client.post("/panier/ajouter", data={"offer_id": "x", "quantity": "1"}, headers=JSON)
    assert answer.status_code == 422
    assert answer.json["message"] == "Ce produit n'est pas proposé cette semaine."


def test_without_the_script_the_form_returns_to_the_products_place(client, offers):
    tomato, _basil = offers
    client.get("/")
    response = client.post(
        "/panier/ajouter", data={"offer_id": tomato.id, "quantity": "1", "next": "/?q=tomate"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/?q=tomate#offre-{tomato.id}"
    page = client.get("/?q=tomate").get_data(as_text=True)
    assert f'id="offre-{tomato.id}"' in page
    assert "« Tomate Cerise » ajouté au panier." in page_text_of(page)


def test_the_catalog_shows_the_basket_bar_once_something_is_in_it(client, offers):
    tomato, _basil = offers
    empty = client.get("/").get_data(as_text=True)
    assert re.search(r'<aside class="basket-bar" id="basket-bar"[^>]*hidden>', empty)
    client.post("/panier/ajouter", data={"offer_id": tomato.id, "quantity": "2"})
    page = client.get("/").get_data(as_text=True)
    assert '<aside class="basket-bar" id="basket-bar"' in page
    assert "1 produit · <strong>5,00" in page_text_of(page)
