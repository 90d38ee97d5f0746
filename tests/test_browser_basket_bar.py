"""Adding to the basket on a phone without leaving the page (issue 13, part 1), in Chromium."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser import ARTIFACTS, card, serious_violations

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def long_catalog(make_product, make_week):
    """Sixteen products: the one added is far down a phone's page."""
    products = [
        make_product(name=f"Plant {letter}", variety="Variété", price_individual_cents=250)
        for letter in "ABCDEFGHIJKLMNOP"
    ]
    return make_week(offers=products)


def in_view(page, locator):
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def test_adding_keeps_the_phone_on_the_product_and_shows_the_basket_bar(
    browser, live_server, long_catalog
):
    context = browser.new_context(
        base_url=live_server, locale="fr-FR", viewport=PHONE, has_touch=True, is_mobile=True
    )
    page = context.new_page()
    loads = []
    page.on("load", lambda _page: loads.append(page.url))
    page.goto("/")
    far = card(page, "Plant N")
    far.scroll_into_view_if_needed()
    expect(page.locator("#basket-bar")).to_be_hidden()

    far.locator("input[name=quantity]").fill("3")
    far.get_by_role("button", name=re.compile("Ajouter")).tap()
    expect(page.locator(".basket-status")).to_have_text("« Plant N Variété » ajouté au panier.")
    card(page, "Plant O").get_by_role("button", name=re.compile("Ajouter")).tap()
    expect(page.locator(".basket-status")).to_have_text("« Plant O Variété » ajouté au panier.")

    assert len(loads) == 1  # the first page only: no reload, no jump to the top
    assert in_view(page, far.get_by_role("button", name=re.compile("Ajouter")))
    expect(page.locator("[data-basket-link] .count")).to_have_text("(2)")  # two lines
    bar = page.locator("#basket-bar")
    expect(bar).to_be_visible()
    expect(bar.locator("summary")).to_have_text(re.compile(r"2 produits · 10,00\s€ TTC"))
    assert in_view(page, bar.get_by_role("link", name="Commander"))
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "basket-bar-phone.png"))
    assert serious_violations(page) == []

    bar.locator("summary").tap()
    expect(bar.locator("li")).to_have_text(
        [re.compile(r"Plant N Variété × 3\s+7,50"), re.compile(r"Plant O Variété × 1\s+2,50")]
    )
    bar.get_by_role("link", name="Commander").tap()
    expect(page.locator("h1")).to_have_text("Commander")
    assert "/commande" in page.url
    context.close()


def test_without_javascript_the_page_comes_back_at_the_product(browser, live_server, long_catalog):
    context = browser.new_context(
        base_url=live_server, locale="fr-FR", viewport=PHONE, java_script_enabled=False
    )
    page = context.new_page()
    page.goto("/")
    far = card(page, "Plant N")
    far.get_by_role("button", name=re.compile("Ajouter")).click()
    expect(page.locator(".flash-success")).to_have_text("« Plant N Variété » ajouté au panier.")
    assert re.search(r"#offre-\d+$", page.url)
    assert in_view(page, card(page, "Plant N").locator("h3"))
    expect(page.locator("#basket-bar")).to_be_visible()
    context.close()


def test_a_phones_first_screen_shows_products_and_the_chips_filter_in_one_tap(
    browser, live_server, make_category, make_product, make_week
):
    herbs = make_category("Aromatiques", "aromatiques", 2)
    plants = make_category("Plants potagers", "plants-potagers", 1)
    offers = [make_product(name=f"Plant {letter}", category=plants) for letter in "ABCDEF"]
    offers += [make_product(name="Basilic", variety="Grand vert", category=herbs)]
    make_week(offers=offers)
    context = browser.new_context(
        base_url=live_server, locale="fr-FR", viewport=PHONE, has_touch=True, is_mobile=True
    )
    page = context.new_page()
    page.goto("/")
    first = page.locator(".product-card").first
    assert in_view(page, first.get_by_role("button", name=re.compile("Ajouter")))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "catalog-first-screen-phone.png"))

    page.get_by_role("navigation", name="Catégories").get_by_role("link", name="Aromatiques").tap()
    expect(page.locator(".product-card")).to_have_count(1)
    expect(page.locator(".product-card h3")).to_have_text("Basilic Grand vert")
    context.close()
