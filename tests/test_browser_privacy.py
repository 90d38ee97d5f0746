"""« Mes données » in a real browser (CSRF on): download the ZIP, then delete the account;
an admin handles a request by phone from the customer's page."""

import os
import zipfile

from playwright.sync_api import expect

from boutique.extensions import db
from boutique.models import User
from tests.browser import log_in

SHOTS = os.environ.get("SCREENSHOTS")  # a folder: save what the pages look like


def shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def test_a_customer_downloads_their_data_then_deletes_their_account(page, make_user, tmp_path):
    customer = make_user(email="lea@exemple.fr", first_name="Léa", last_name="Durand")
    log_in(page, "lea@exemple.fr")
    page.goto("/compte/profil")
    page.get_by_role("link", name="Mes données").click()
    expect(page.get_by_role("heading", name="Mes données", level=1)).to_be_visible()
    shot(page, "my_data")

    with page.expect_download() as download:
        page.get_by_role("button", name="Télécharger mes données (ZIP)").click()
    path = tmp_path / "data.zip"
    download.value.save_as(path)
    assert "compte.json" in zipfile.ZipFile(path).namelist()

    page.get_by_label("Votre mot de passe").fill("pas le bon")
    page.get_by_role("button", name="Supprimer définitivement mon compte").click()
    expect(page.locator(".error")).to_contain_text("Mot de passe incorrect")
    page.get_by_label("Votre mot de passe").fill("graines-de-courge-42")
    page.get_by_role("button", name="Supprimer définitivement mon compte").click()
    expect(page.locator(".flash-success")).to_contain_text("Votre compte est supprimé")
    db.session.expire_all()
    assert db.session.get(User, customer.id).deleted_at is not None


def test_an_admin_deletes_an_account_asked_for_by_phone(page, make_user, admin):
    customer = make_user(email="marc@exemple.fr", first_name="Marc", last_name="Petit")
    log_in(page, admin.email)
    page.goto("/gestion/clients")
    page.get_by_label("Nom, établissement, e-mail ou téléphone").fill("petit")
    page.get_by_role("button", name="Chercher").click()
    page.get_by_role("link", name="Marc Petit").click()
    shot(page, "staff_customer")
    page.get_by_label("téléphone").check()
    page.get_by_label("Note (facultatif)").fill("appel du 30/11")
    page.get_by_role("button", name="Supprimer le compte").click()
    expect(page.locator(".flash-success")).to_contain_text("Compte supprimé")
    expect(page.locator("body")).not_to_contain_text("marc@exemple.fr")
    shot(page, "staff_customer_deleted")
    db.session.expire_all()
    assert db.session.get(User, customer.id).deleted_at is not None
