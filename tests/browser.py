"""Helpers shared by the browser tests (Chromium driven by Playwright)."""

import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from tests.conftest import TEST_PASSWORD

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
PARIS = ZoneInfo("Europe/Paris")


def euros(text):
    """A regex for a French price: '2,50 €' with any space (no-break, narrow) before €."""
    return re.compile(re.escape(text).replace(r"\ ", r"\s"))


def local_input(moment):
    """A datetime as a datetime-local input wants it (Paris wall clock)."""
    return moment.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")


def card(page, name):
    return page.locator(".product-card").filter(
        has=page.locator("h3", has_text=re.compile(rf"^{re.escape(name)}\b"))
    )


def add_to_basket(page, name, quantity):
    """Put `quantity` of the product card named `name` in the basket, as a visitor does."""
    from playwright.sync_api import expect

    product = card(page, name)
    product.locator("input[name=quantity]").fill(str(quantity))
    with page.expect_response(re.compile(r"/panier/ajouter$")):
        product.get_by_role("button", name=re.compile("Ajouter")).click()
    expect(page.locator(".basket-status")).to_contain_text(
        re.compile(rf"« {re.escape(name)}\b.*» ajouté au panier")
    )


def grid_row(page, full_name):
    """The staff grid's row whose header cell names the product."""
    return page.locator("tr[id^='row-']").filter(has=page.locator("th", has_text=full_name))


def wait_for_images(page):
    """Every <img> loaded and not broken (lazy ones too), so that screenshots are complete."""
    try:
        page.wait_for_function(
            "[...document.images].every(img => img.complete && img.naturalWidth > 0)",
            timeout=5_000,
        )
    except PlaywrightTimeoutError:
        broken = page.evaluate(
            "[...document.images].filter(i => !i.complete || !i.naturalWidth).map(i => i.src)"
        )
        pytest.fail(f"images not loaded or broken: {broken}")


def log_in(page, email, password=TEST_PASSWORD):
    page.goto("/compte/connexion")
    page.fill("#email", email)
    page.fill("#password", password)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator(".flash-success")).to_contain_text("Vous êtes connecté.")


def assert_fits_a_phone(page, width):
    """No sideways scrolling, and every control in the page body is at least 44 px high
    (a radio button or a box: the label it sits in, which takes the tap).

    Measured once the page has loaded: an element shown after a click is in the document
    before its stylesheet applies, and an unstyled button is small."""
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    small = page.evaluate(
        """[...document.querySelectorAll(
              'main a.button, main button, main select, main input:not([type=hidden]), '
              + 'main textarea, main .handover-item, main .back-link a')]
            .map(el => el.matches('[type=radio], [type=checkbox]') && el.closest('label') || el)
            .filter(el => el.getBoundingClientRect().height < 44)
            .map(el => el.outerHTML.slice(0, 80))"""
    )
    assert small == []


# --- Tests ------------------------------------------------------------------------------------


def serious_violations(page):
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        (violation["id"], violation["impact"], [n["target"] for n in violation["nodes"]][:3])
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
