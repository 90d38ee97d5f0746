"""The season dashboard in Chromium (issue 16): its charts render as images on a 1366 px
screen and a 390 px phone (the phone's narrower drawing), nothing scrolls sideways, axe finds
nothing serious, the charges form works with its CSRF token, and print hides the controls.
Screenshots go to test-artifacts/."""

import pytest
from playwright.sync_api import expect

from tests.browser import (
    ARTIFACTS,
    assert_fits_a_phone,
    log_in,
    serious_violations,
)
from tests.test_season_dashboard import build_season

pytestmark = pytest.mark.browser

CHARTS = 8


@pytest.fixture
def season(app, make_product):
    """The season whose every figure test_season_dashboard.py counts by hand."""
    return build_season(make_product)


def charts_loaded(page):
    """Every chart image loaded and drawn (polled: the page's CSP forbids the eval that
    wait_for_function needs once a form was posted)."""
    import time

    script = "[...document.images].every(img => img.complete && img.naturalWidth > 0)"
    for _attempt in range(50):
        if page.evaluate(script):
            return
        time.sleep(0.1)
    pytest.fail("chart images not loaded")


def open_dashboard(browser, live_server, staff, width):
    context = browser.new_context(
        base_url=live_server,
        locale="fr-FR",
        timezone_id="Europe/Paris",
        viewport={"width": width, "height": 900},
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, staff.email)
    page.goto("/gestion/saison/?annee=2026")
    expect(page.locator("h1")).to_have_text("La saison 2026")
    charts_loaded(page)
    return context, page


def chart_sizes(page):
    return page.evaluate(
        """[...document.querySelectorAll('figure.chart img')].map(img => ({
             src: img.currentSrc, natural: img.naturalWidth, shown: img.clientWidth,
             alt: img.alt }))"""
    )


@pytest.mark.parametrize("width", [1366, 390])
def test_the_charts_render_on_a_screen_and_a_phone(
    browser,
    live_server,
    staff,
    season,
    width,
):
    context, page = open_dashboard(browser, live_server, staff, width)
    try:
        charts = chart_sizes(page)
        assert len(charts) == CHARTS
        for chart in charts:
            assert chart["natural"] > 0, chart["src"]
            assert 0 < chart["shown"] <= width
            assert len(chart["alt"]) > 40
            # The phone gets the narrow drawing, the screen the wide one.
            assert ("taille=etroit" in chart["src"]) == (width == 390), chart["src"]
        expect(page.locator("#ventes")).to_contain_text("94,26 € HT sur 3 semaines")
        expect(page.locator("#financeurs")).to_contain_text("Le plafond est dépassé de 34,26 €.")
        if width == 390:
            assert_fits_a_phone(page, width)
        else:
            assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert serious_violations(page) == []
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"season-{width}.png"), full_page=True)
        page.locator("#ventes").screenshot(path=str(ARTIFACTS / f"season-sales-{width}.png"))
        page.locator("#financeurs").screenshot(path=str(ARTIFACTS / f"season-funders-{width}.png"))
    finally:
        context.close()


def test_one_products_weeks_and_a_new_charge_from_the_page(
    browser,
    live_server,
    staff,
    season,
):
    context, page = open_dashboard(browser, live_server, staff, 390)
    try:
        page.get_by_label("Produit", exact=True).select_option(label="Tomate Marmande")
        page.get_by_role("button", name="Voir ses semaines").click()
        expect(page.locator("#produit ~ .table-wrap").first).to_contain_text("60,0 %")
        charts_loaded(page)
        assert len(chart_sizes(page)) == CHARTS + 1

        page.get_by_label("Nouveau poste de charge", exact=True).fill("Électricité")
        page.get_by_label("Montant de l'année (€)", exact=True).fill("100,00")
        page.get_by_role("button", name="Ajouter la charge").click()
        expect(page.locator(".flash-success")).to_contain_text("Charge ajoutée à l'année 2026.")
        # 94.26 of 300.00: 31.4 %.
        expect(page.locator("#financeurs")).to_contain_text("couvrent 31,4 % des charges")
        charts_loaded(page)
        assert serious_violations(page) == []
        page.locator("#financeurs").screenshot(path=str(ARTIFACTS / "season-funders-after-390.png"))
    finally:
        context.close()


def test_print_hides_the_controls_and_keeps_each_chart_whole(
    browser,
    live_server,
    staff,
    season,
):
    context, page = open_dashboard(browser, live_server, staff, 1366)
    try:
        page.emulate_media(media="print")
        hidden = page.evaluate(
            """['.staff-nav', '.season-chooser', '.season-toc', '.charges-edit', '.download']
                 .map(s => getComputedStyle(document.querySelector(s)).display)"""
        )
        assert hidden == ["none"] * 5
        breaks = page.evaluate(
            """[...document.querySelectorAll('figure.chart')]
                 .map(f => getComputedStyle(f).breakInside)"""
        )
        assert breaks == ["avoid"] * CHARTS
        ARTIFACTS.mkdir(exist_ok=True)
        page.pdf(path=str(ARTIFACTS / "season-print.pdf"), format="A4")
    finally:
        context.close()
