"""An admin in Chromium approves a restaurant and revokes an AMAP on the professional accounts
page; both customers get their mail; the page passes axe-core."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from boutique.extensions import db
from boutique.models import AccountEvent, OutboxMessage, User
from tests.browser import log_in, serious_violations

pytestmark = pytest.mark.browser

SHOTS = "/tmp/professionals-{}.png"  # noqa: S108  (screenshots looked at by hand)


@pytest.fixture
def accounts(make_user):
    bistrot = make_user(
        kind="restaurant",
        pro_status="pending",
        email="chef@bistrot.fr",
        organisation="Le Bistrot des Halles",
        first_name="Inès",
        last_name="Roux",
        phone="04 90 00 00 01",
        address="3 place Pie",
    )
    amap = make_user(
        kind="amap",
        pro_status="approved",
        email="contact@amap-du-rhone.fr",
        organisation="AMAP du Rhône",
        first_name="Paul",
        last_name="Girard",
        siret="44306184100047",
    )
    make_user(
        kind="amap",
        pro_status="pending",
        email="amap.carmes@exemple.fr",
        organisation="AMAP des Carmes",
        siret="55208131766522",
        email_verified_at=None,
    )
    return bistrot, amap


def test_admin_approves_a_restaurant_and_revokes_an_amap(page, admin, accounts):
    bistrot, amap = accounts
    log_in(page, admin.email)
    page.goto("/gestion/")
    page.get_by_role("navigation", name="Gestion").get_by_role(
        "link", name="Comptes professionnels"
    ).click()
    expect(page.get_by_role("heading", name="Comptes professionnels")).to_be_visible()
    tabs = page.get_by_role("navigation", name="Comptes par état")
    expect(tabs.get_by_role("link", name="En attente (2)")).to_have_attribute(
        "aria-current", "page"
    )
    expect(page.locator("tbody tr")).to_have_count(2)
    assert serious_violations(page) == []
    page.screenshot(path=SHOTS.format("1-pending"), full_page=True)

    # Approve the restaurant in one click.
    page.get_by_role("button", name="Valider Le Bistrot des Halles").click()
    expect(page.locator(".flash-success")).to_contain_text(
        "Compte « Le Bistrot des Halles » validé"
    )
    expect(tabs.get_by_role("link", name="En attente (1)")).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(1)

    # Revoke the AMAP: a confirmation page, a reason.
    tabs.get_by_role("link", name="Validés (2)").click()
    row = page.locator("tbody tr").filter(has_text="Le Bistrot des Halles")
    expect(row).to_contain_text("Compte validé le")
    expect(row).to_contain_text("par équipe direction@lapepiniere.example")
    page.get_by_role("link", name="Retirer la validation… AMAP du Rhône").click()
    expect(
        page.get_by_role("heading", name="Retirer la validation de « AMAP du Rhône » ?")
    ).to_be_visible()
    expect(page.locator(".notice")).to_contain_text("Les commandes déjà passées gardent leurs prix")
    button = page.get_by_role("button", name="Retirer la validation et prévenir le client")
    button.click()  # no reason yet
    expect(page.locator(".field .error")).to_contain_text("Indiquez le motif du retrait")
    assert serious_violations(page) == []
    page.get_by_label("Motif").fill("L'AMAP ne distribue plus depuis septembre.")
    page.screenshot(path=SHOTS.format("2-revoke"), full_page=True)
    button.click()
    expect(page.locator(".flash-success")).to_contain_text(
        "Validation de « AMAP du Rhône » retirée"
    )

    tabs.get_by_role("link", name="Refusés ou retirés (1)").click()
    row = page.locator("tbody tr").filter(has_text="AMAP du Rhône")
    expect(row).to_contain_text("Validation retirée le")
    row.locator("summary").click()
    expect(row.locator(".history")).to_contain_text("L'AMAP ne distribue plus depuis septembre.")
    expect(row.get_by_role("button", name="Valider à nouveau AMAP du Rhône")).to_be_visible()
    assert serious_violations(page) == []
    page.screenshot(path=SHOTS.format("3-refused"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=SHOTS.format("4-refused-phone"), full_page=True)

    db.session.expire_all()
    assert db.session.get(User, bistrot.id).price_kind == "restaurant"
    assert db.session.get(User, amap.id).price_kind == "individual"
    mails = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(m.recipient, m.subject) for m in mails] == [
        ("chef@bistrot.fr", "Votre compte professionnel sur La Pépinière est validé"),
        (
            "contact@amap-du-rhone.fr",
            "Votre compte sur La Pépinière n'a plus les conditions professionnelles",
        ),
    ]
    actions = db.session.scalars(select(AccountEvent.action).order_by(AccountEvent.id)).all()
    assert actions == ["approved", "revoked"]
    assert re.search(r"Motif : L'AMAP ne distribue plus", mails[1].body_text)
