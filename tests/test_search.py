"""Catalog search that forgives (issue 13, part 3): the queries customers typed and missed.

The suite runs on SQLite and on PostgreSQL (TEST_DATABASE_URL): the same results on both.
"""

import re

import pytest

from boutique.catalog.search import fold, normalise_query, query_words
from tests.conftest import page_text

# fmt: off
PRODUCTS = [
    ("Tomate", "Cœur de bœuf", "Plants potagers"),
    ("Tomate", "Noire de Crimée", "Plants potagers"),
    ("Tomate", "Cerise", "Plants potagers"),
    ("Tomate", "Marmande", "Plants potagers"),
    ("Tomate", "Rose de Berne", "Plants potagers"),
    ("Tomate", "Ananas", "Plants potagers"),
    ("Courgette", "Verte des maraîchers", "Plants potagers"),
    ("Courgette", "Ronde de Nice", "Plants potagers"),
    ("Chou", "Cabus", "Plants potagers"),
    ("Basilic", "Grand vert", "Aromatiques"),
    ("Persil", "Géant d'Italie", "Aromatiques"),
]
# fmt: on


@pytest.fixture
def week_of_plants(make_category, make_product, make_week):
    categories = {
        "Plants potagers": make_category("Plants potagers", "plants-potagers", 1),
        "Aromatiques": make_category("Aromatiques", "aromatiques", 2),
    }
    products = [
        make_product(name=name, variety=variety, category=categories[category])
        for name, variety, category in PRODUCTS
    ]
    return make_week(offers=products)


def names(page):
    return sorted(
        f"{name} {variety}" for name, variety, _ in PRODUCTS if f"{variety}" in page
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("tomates", [f"Tomate {v}" for n, v, _ in PRODUCTS if n == "Tomate"]),
        ("TOMATE", [f"Tomate {v}" for n, v, _ in PRODUCTS if n == "Tomate"]),
        ("coeur de boeuf", ["Tomate Cœur de bœuf"]),
        ("boeuf coeur tomates", ["Tomate Cœur de bœuf"]),  # any word order
        ("cœur", ["Tomate Cœur de bœuf"]),
        ("courgettes", ["Courgette Ronde de Nice", "Courgette Verte des maraîchers"]),
        ("maraichers", ["Courgette Verte des maraîchers"]),
        ("choux", ["Chou Cabus"]),
        ("crimee", ["Tomate Noire de Crimée"]),
        ("geant d'italie", ["Persil Géant d'Italie"]),
        ("plants de tomate cerise", ["Tomate Cerise"]),
        ("aromatiques", ["Basilic Grand vert", "Persil Géant d'Italie"]),
    ],
)
def test_search_forgives_case_accents_ligatures_plurals_and_word_order(
    client, week_of_plants, query, expected
):
    page = page_text(client.get("/", query_string={"q": query}))
    assert "Aucun produit" not in page
    assert names(page) == sorted(expected)


@pytest.mark.parametrize(
    ("query", "suggestion"),
    [("basilique", "basilic"), ("tomatte cerise", "tomate cerise"), ("courgete", "courgette")],
)
def test_a_near_miss_finds_nothing_and_suggests_the_close_word(
    client, week_of_plants, query, suggestion
):
    page = page_text(client.get("/", query_string={"q": query}))
    assert "Aucun produit ne correspond à votre recherche." in page
    assert f"Vouliez-vous dire : {suggestion} ?" in " ".join(re.sub("<[^>]+>", "", page).split())
    suggested = page_text(client.get("/", query_string={"q": suggestion}))
    assert "Aucun produit" not in suggested


def test_nothing_close_suggests_nothing(client, week_of_plants):
    page = page_text(client.get("/", query_string={"q": "artichaut"}))
    assert "Aucun produit ne correspond à votre recherche." in page
    assert "Vouliez-vous dire" not in page


def test_the_suggestion_keeps_the_category(client, week_of_plants):
    response = client.get("/", query_string={"q": "basilique", "categorie": "aromatiques"})
    raw = response.get_data(as_text=True)
    assert 'href="/?q=basilic&amp;categorie=aromatiques"' in raw


def test_queries_that_differ_only_in_spelling_share_one_cached_page(client, week_of_plants):
    """Only the normalised query keys the render cache: "Tomates!" and "tomates" are one page."""
    assert normalise_query("  Cœur   DE bœuf! ") == normalise_query("coeur de boeuf")
    first = client.get("/", query_string={"q": "Cœur de BŒUF"}).get_data(as_text=True)
    second = client.get("/", query_string={"q": "coeur  de boeuf"}).get_data(as_text=True)
    assert 'value="coeur de boeuf"' in first and 'value="coeur de boeuf"' in second


def test_fold_and_words():
    assert fold("Cœur de Bœuf — Ænéas") == "coeur de boeuf aeneas"
    assert query_words("Les plants de Tomates et de CHOUX") == ["tomate", "chou"]
    assert query_words("poireaux chevaux") == ["poireau", "cheval"]
