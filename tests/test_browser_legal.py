"""The legal pages on a phone: every page fits 390 px, the privacy table included."""

from tests.browser import ARTIFACTS
from tests.test_browser_phone_widths import overflows

PAGES = {
    "cgv": "/conditions-generales-de-vente",
    "confidentialite": "/confidentialite",
    "mentions-legales": "/mentions-legales",
    "accessibilite": "/accessibilite",
    "histoire": "/notre-histoire",
}


def test_the_legal_pages_fit_a_phone_and_link_to_each_other(browser, live_server):
    context = browser.new_context(
        base_url=live_server, locale="fr-FR", viewport={"width": 390, "height": 800},
        is_mobile=True, has_touch=True,
    )
    page = context.new_page()
    problems = {}
    for name, path in PAGES.items():
        page.goto(path)
        problems[name] = overflows(page, 390)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"legal-{name}-390.png"), full_page=True)
    page.goto("/")
    page.get_by_role("navigation", name="Informations légales").get_by_role(
        "link", name="Conditions générales de vente"
    ).click()
    assert page.locator("h1").inner_text() == "Conditions générales de vente"
    assert "L221-28" in page.locator("article").inner_text()
    context.close()
    found = {name: found for name, found in problems.items() if found}
    assert found == {}, "\n".join(f"{name}: {items}" for name, items in found.items())
