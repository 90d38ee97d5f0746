"""A new customer in Chromium: register, confirm the address from the mail, end other sessions."""

import re

import pytest
from playwright.sync_api import expect

from boutique.outbox import send_due
from tests.browser import ARTIFACTS, log_in
from tests.test_browser import serious_violations

pytestmark = pytest.mark.browser


def test_register_confirm_by_mail_and_log_out_everywhere(app, page, live_server, mailbox, browser):
    page.goto("/compte/inscription")
    page.fill("#email", "lea@exemple.fr")
    page.fill("#password", "radis-rose-2026")
    page.fill("#confirm", "radis-rose-2026")
    page.fill("#first_name", "Léa")
    page.fill("#last_name", "Durand")
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.get_by_role("heading", name="Vérifiez votre boîte mail")).to_be_visible()
    expect(page.locator("main")).to_contain_text("lea@exemple.fr")
    assert serious_violations(page) == []
    expect(page.get_by_role("button", name="Se déconnecter")).to_have_count(0)

    send_due()
    [message] = [m for m in mailbox.messages if m["To"] == "lea@exemple.fr"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    public = app.config["PUBLIC_URL"]
    link = re.search(re.escape(public) + r"/compte/verification/\S+", text).group(0)
    page.goto(link.replace(public, live_server))
    expect(page.locator(".flash-success")).to_contain_text("Votre adresse e-mail est confirmée.")
    log_in(page, "lea@exemple.fr", "radis-rose-2026")

    # A second device, then "Se déconnecter partout" from the first one.
    other = browser.new_context(base_url=live_server, locale="fr-FR")
    other_page = other.new_page()
    log_in(other_page, "lea@exemple.fr", "radis-rose-2026")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/compte/profil")
    expect(page.locator(".badge-ok", has_text="confirmée")).to_be_visible()
    page.get_by_role("button", name="Se déconnecter partout").click()
    expect(page.locator(".flash-success")).to_contain_text("Vos autres appareils sont déconnectés")
    assert serious_violations(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "account-profile-phone.png"), full_page=True)

    other_page.goto("/compte/profil")
    expect(other_page).to_have_url(re.compile(r"/compte/connexion"))
    other.close()
    page.goto("/compte/profil")
    expect(page.get_by_role("heading", name="Mon compte")).to_be_visible()
