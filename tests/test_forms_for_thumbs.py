"""Forms a phone fills well (issue 13, part 4): the right keyboard, what autofill needs."""

import re

import pytest


def input_tag(page, name):
    found = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', page)
    assert found, f"no input named {name}"
    return found.group(0)


def attributes(tag):
    return dict(re.findall(r'\s([a-z-]+)="([^"]*)"', tag))


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (
            "/compte/connexion",
            {
                "email": {"type": "email", "autocomplete": "username", "inputmode": "email"},
                "password": {"type": "password", "autocomplete": "current-password"},
            },
        ),
        (
            "/compte/inscription",
            {
                "email": {"type": "email", "autocomplete": "username"},
                "password": {"autocomplete": "new-password"},
                "confirm": {"autocomplete": "new-password"},
                "first_name": {"autocomplete": "given-name"},
                "last_name": {"autocomplete": "family-name"},
                "phone": {"type": "tel", "autocomplete": "tel", "inputmode": "tel"},
                "postcode": {"autocomplete": "postal-code", "inputmode": "numeric"},
            },
        ),
        ("/compte/mot-de-passe-oublie", {"email": {"type": "email", "autocomplete": "username"}}),
    ],
)
def test_account_forms_ask_for_the_right_keyboard_and_autofill(client, path, expected):
    page = client.get(path).get_data(as_text=True)
    for name, wanted in expected.items():
        got = attributes(input_tag(page, name))
        assert {key: got.get(key) for key in wanted} == wanted, name


def test_the_checkout_fields_ask_for_the_right_keyboard_and_autofill(client, make_product, make_week):
    week = make_week(offers=[make_product()])
    client.post("/panier/ajouter", data={"offer_id": week.offers[0].id, "quantity": "1"})
    page = client.get("/commande").get_data(as_text=True)
    assert attributes(input_tag(page, "name"))["autocomplete"] == "name"
    email = attributes(input_tag(page, "email"))
    assert (email["type"], email["autocomplete"], email["inputmode"]) == ("email", "email", "email")
    phone = attributes(input_tag(page, "phone"))
    assert (phone["type"], phone["autocomplete"], phone["inputmode"]) == ("tel", "tel", "tel")
