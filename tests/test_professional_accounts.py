"""Professional accounts (issue 12, part 8): pending, approved and refused lists; approve,
refuse, revoke and approve again, each with a mail to the customer and a line in the account's
history; a decision that no longer applies changes nothing; admins only."""

import re
import threading

import pytest
from sqlalchemy import func, select

from boutique.extensions import db
from boutique.models import AccountEvent, OrderLine, OutboxMessage, User
from boutique.ordering.services import Contact, payment_methods_for, place_order
from tests.conftest import TEST_PASSWORD, page_text

URL = "/gestion/professionnels"
ADMIN_LABEL = "équipe direction@lapepiniere.example"


def decide(client, user, decision, status, reason=None, follow=False):
    data = {"decision": decision, "status": status}
    if reason is not None:
        data["reason"] = reason
    return client.post(f"{URL}/{user.id}", data=data, follow_redirects=follow)


def fresh(user):
    db.session.expire_all()
    return db.session.get(User, user.id)


def mails(to=None):
    db.session.expire_all()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if to is not None:
        query = query.where(OutboxMessage.recipient == to)
    return db.session.scalars(query).all()


def history(user):
    db.session.expire_all()
    return db.session.scalars(
        select(AccountEvent).where(AccountEvent.user_id == user.id).order_by(AccountEvent.id)
    ).all()


def state():
    """What a refused decision must leave as it was."""
    db.session.expire_all()
    return {
        "statuses": sorted(db.session.execute(select(User.id, User.pro_status)).all()),
        "events": db.session.scalar(select(func.count()).select_from(AccountEvent)),
        "mails": db.session.scalar(select(func.count()).select_from(OutboxMessage)),
    }


@pytest.fixture
def bistrot(make_user):
    return make_user(
        kind="restaurant",
        pro_status="pending",
        email="chef@bistrot.fr",
        organisation="Le Bistrot des Halles",
        first_name="Inès",
        last_name="Roux",
        phone="04 90 00 00 01",
        siret="73282932000074",
    )


@pytest.fixture
def amap(make_user):
    return make_user(
        kind="amap",
        pro_status="approved",
        email="contact@amap-du-rhone.fr",
        organisation="AMAP du Rhône",
        first_name="Paul",
        last_name="Girard",
    )


@pytest.fixture
def cantine(make_user):
    return make_user(
        kind="restaurant",
        pro_status="refused",
        email="cantine@ecole.fr",
        organisation="Cantine de l'école",
    )


# --- The page ---------------------------------------------------------------------------------


def test_the_page_lists_pending_approved_and_refused_accounts_with_counts(
    admin_client, bistrot, amap, cantine, make_user
):
    make_user(kind="individual", email="particulier@exemple.fr")
    page = page_text(admin_client.get(URL))
    assert "En attente (1)" in page and "Validés (1)" in page and "Refusés ou retirés (1)" in page
    assert "Le Bistrot des Halles" in page and "73282932000074" in page
    assert "Inès Roux" in page and "chef@bistrot.fr" in page and "04 90 00 00 01" in page
    assert "1 rue Haute" in page and "84000 Avignon" in page and "Restaurant" in page
    assert "Inscrit le" in page
    assert "AMAP du Rhône" not in page and "particulier@exemple.fr" not in page

    approved = page_text(admin_client.get(f"{URL}?statut=approved"))
    assert "AMAP du Rhône" in approved and "Le Bistrot des Halles" not in approved
    assert "Retirer la validation" in approved
    refused = page_text(admin_client.get(f"{URL}?statut=refused"))
    assert "Cantine de l'école" in refused and "Valider à nouveau" in refused
    # An unknown tab is the pending one.
    assert "Le Bistrot des Halles" in page_text(admin_client.get(f"{URL}?statut=zzz"))


def test_the_search_finds_an_account_by_name_email_or_siret(admin_client, bistrot, make_user):
    make_user(
        kind="amap", pro_status="pending", organisation="AMAP des Carmes", siret="44306184100047"
    )
    for term in ("bistrot", "CHEF@", "7328293", "Halles"):
        page = page_text(admin_client.get(URL, query_string={"q": term}))
        assert "Le Bistrot des Halles" in page and "AMAP des Carmes" not in page, term
    page = page_text(admin_client.get(URL, query_string={"q": "100%_"}))
    assert "Aucun compte" in page and "En attente (0)" in page


# --- Approve ----------------------------------------------------------------------------------


def test_approving_mails_the_customer_records_the_history_and_opens_pro_prices(
    admin_client, admin, bistrot
):
    assert fresh(bistrot).price_kind == "individual"
    response = decide(admin_client, bistrot, "approve", "pending", follow=True)
    page = page_text(response)
    assert "Compte « Le Bistrot des Halles » validé" in page and "un e-mail" in page

    user = fresh(bistrot)
    assert user.pro_status == "approved" and user.price_kind == "restaurant"
    assert "invoice" in payment_methods_for(user)
    (mail,) = mails()
    assert mail.recipient == "chef@bistrot.fr"
    assert mail.subject == "Votre compte professionnel sur La Pépinière est validé"
    for body in (mail.body_text, page_text_of(mail.body_html)):
        assert "Bonjour Inès," in body
        assert "prix professionnels" in body and "hors taxes" in body
        assert "sur facture" in body and "30 jours" in body
    assert "http://" in mail.body_text  # a link back to the shop
    (event,) = history(bistrot)
    assert (event.action, event.actor_id, event.actor_label) == ("approved", admin.id, ADMIN_LABEL)
    assert event.details == {"from": "pending"}

    approved = page_text(admin_client.get(f"{URL}?statut=approved"))
    assert "Le Bistrot des Halles" in approved
    assert "Compte validé le" in approved and f"par {ADMIN_LABEL}" in approved


def page_text_of(html_text):
    """An HTML mail's words, tags dropped."""
    import html

    return html.unescape(re.sub(r"<[^>]+>", " ", html_text)).replace("\u202f", " ")


def test_approval_mail_says_nothing_of_invoices_when_the_shop_offers_none(
    app, admin_client, bistrot
):
    app.config["INVOICE_PAYMENT"] = False
    decide(admin_client, bistrot, "approve", "pending")
    (mail,) = mails()
    assert "prix professionnels" in mail.body_text
    assert "facture" not in mail.body_text and "facture" not in mail.body_html


# --- Refuse ---------------------------------------------------------------------------------


def test_refusing_mails_a_polite_answer_with_the_reason_and_a_contact(admin_client, bistrot):
    page = page_text(admin_client.get(f"{URL}/{bistrot.id}/refuser"))
    assert "Refuser la demande de « Le Bistrot des Halles » ?" in page
    assert "boutique@lapepiniere.example" in page  # the contact the mail gives

    reason = "Le SIRET indiqué est celui d'une autre entreprise."
    response = decide(admin_client, bistrot, "refuse", "pending", reason=reason, follow=True)
    assert "Demande de « Le Bistrot des Halles » refusée" in page_text(response)
    user = fresh(bistrot)
    assert user.pro_status == "refused" and user.price_kind == "individual"
    (mail,) = mails()
    assert mail.recipient == "chef@bistrot.fr"
    assert mail.subject == "Votre demande de compte professionnel sur La Pépinière"
    for body in (mail.body_text, page_text_of(mail.body_html)):
        assert "ne pouvons pas valider" in body
        assert f"Motif : {reason}" in body
        assert "boutique@lapepiniere.example" in body
        assert "prix particuliers" in body
    (event,) = history(bistrot)
    assert event.action == "refused" and event.details == {"from": "pending", "reason": reason}

    refused = page_text(admin_client.get(f"{URL}?statut=refused"))
    assert "Demande refusée le" in refused and reason in refused


def test_a_refusal_without_reason_mails_no_reason_line(admin_client, bistrot):
    decide(admin_client, bistrot, "refuse", "pending", reason="")
    (mail,) = mails()
    assert "Motif" not in mail.body_text and "Motif" not in mail.body_html
    assert history(bistrot)[0].details == {"from": "pending"}


def test_a_reason_is_sent_as_text_not_as_markup(admin_client, bistrot):
    decide(admin_client, bistrot, "refuse", "pending", reason="<b>non</b> & voilà")
    (mail,) = mails()
    assert "Motif : <b>non</b> & voilà" in mail.body_text
    assert "&lt;b&gt;non&lt;/b&gt; &amp; voilà" in mail.body_html


def test_a_refused_professional_may_still_order_at_individual_prices(
    client, cantine, login, make_product, make_week, make_pickup_slot
):
    week = make_week(offers=[make_product(price_individual_cents=250, price_restaurant_cents=190)])
    make_pickup_slot(week)
    login(cantine)
    client.post("/panier/ajouter", data={"offer_id": str(week.offers[0].id), "quantity": "2"})
    page = page_text(client.get("/commande"))
    assert "attend sa validation" not in page
    assert 'value="card"' in page and 'value="invoice"' not in page


# --- Revoke, approve again ------------------------------------------------------------------


@pytest.fixture
def amap_order(amap, make_product, make_week, make_pickup_slot):
    """An order the AMAP placed at its prices, on invoice, before anything changed."""
    import secrets

    week = make_week(offers=[make_product(price_individual_cents=250, price_amap_cents=180)])
    order = place_order(
        week=week,
        items={week.offers[0].id: 3},
        slot_id=make_pickup_slot(week).id,
        payment_method="invoice",
        contact=Contact("Paul Girard", amap.email, "06 00 00 00 00"),
        kind="amap",
        customer=amap,
        checkout_token=secrets.token_urlsafe(24),
    )
    db.session.commit()
    return order


def test_revoking_brings_back_individual_prices_and_takes_invoice_payment_away(
    admin_client, admin, amap, amap_order
):
    outbox_before = len(mails())
    assert payment_methods_for(fresh(amap)) == ["card", "on_pickup", "invoice"]
    page = page_text(admin_client.get(f"{URL}/{amap.id}/retirer"))
    assert "Retirer la validation de « AMAP du Rhône » ?" in page
    assert "prix particuliers" in page and "ne pourra plus payer sur facture" in page
    assert "Les commandes déjà passées gardent leurs prix" in page

    reason = "Plus de distribution depuis septembre."
    response = decide(admin_client, amap, "revoke", "approved", reason=reason, follow=True)
    assert "Validation de « AMAP du Rhône » retirée" in page_text(response)
    user = fresh(amap)
    assert user.pro_status == "refused" and user.price_kind == "individual"
    assert payment_methods_for(user) == ["card", "on_pickup"]
    (mail,) = mails()[outbox_before:]
    assert mail.recipient == amap.email
    assert mail.subject == "Votre compte sur La Pépinière n'a plus les conditions professionnelles"
    for body in (mail.body_text, page_text_of(mail.body_html)):
        assert "prix particuliers" in body and "n'est plus proposé" in body
        assert f"Motif : {reason}" in body
        assert "commandes déjà passées" in body and "gardent leurs prix" in body
        assert "boutique@lapepiniere.example" in body
    (event,) = history(amap)
    assert event.action == "revoked" and event.actor_id == admin.id
    assert event.details == {"from": "approved", "reason": reason}
    # The order placed before keeps its frozen prices.
    lines = db.session.scalars(select(OrderLine).where(OrderLine.order_id == amap_order.id)).all()
    assert [line.unit_price_cents for line in lines] == [180]

    refused = page_text(admin_client.get(f"{URL}?statut=refused"))
    assert "AMAP du Rhône" in refused and "Validation retirée le" in refused


def test_revoked_customer_sees_no_invoice_payment_at_checkout(
    app, client, amap, login, make_product, make_week, make_pickup_slot, admin, make_app
):
    week = make_week(offers=[make_product(price_individual_cents=250, price_amap_cents=180)])
    make_pickup_slot(week)
    login(amap)
    client.post("/panier/ajouter", data={"offer_id": str(week.offers[0].id), "quantity": "2"})
    page = page_text(client.get("/commande"))
    assert 'value="invoice"' in page and "1,80 €" in page

    admin_client = make_app().test_client()
    admin_client.post("/compte/connexion", data={"email": admin.email, "password": TEST_PASSWORD})
    decide(admin_client, amap, "revoke", "approved", reason="Fin du partenariat.")

    page = page_text(client.get("/commande"))
    assert 'value="invoice"' not in page and 'value="on_pickup"' in page
    assert "2,50 €" in page and "1,80 €" not in page


def test_a_revocation_needs_a_reason(admin_client, amap):
    before = state()
    response = decide(admin_client, amap, "revoke", "approved", reason="   ")
    assert response.status_code == 422
    assert "Indiquez le motif du retrait" in page_text(response)
    assert state() == before


def test_a_reason_too_long_is_refused_clearly(admin_client, bistrot):
    before = state()
    response = decide(admin_client, bistrot, "refuse", "pending", reason="x" * 501)
    assert response.status_code == 422
    assert "Le motif dépasse 500 caractères." in page_text(response)
    assert state() == before


@pytest.mark.parametrize("how", ["refused", "revoked"])
def test_a_refused_or_revoked_account_is_approved_again(admin_client, cantine, amap, how):
    user = cantine
    if how == "revoked":
        user = amap
        decide(admin_client, amap, "revoke", "approved", reason="Erreur de SIRET.")
    before = len(mails())
    response = decide(admin_client, user, "approve", "refused", follow=True)
    assert "validé" in page_text(response)
    assert fresh(user).pro_status == "approved" and fresh(user).price_kind == user.kind
    (mail,) = mails()[before:]
    assert mail.subject == "Votre compte professionnel sur La Pépinière est validé"
    assert history(user)[-1].action == "reapproved"
    page = page_text(admin_client.get(f"{URL}?statut=approved"))
    assert "Compte validé à nouveau le" in page


def test_the_history_shows_every_move_in_order(admin_client, bistrot):
    decide(admin_client, bistrot, "approve", "pending")
    decide(admin_client, bistrot, "revoke", "approved", reason="Impayés répétés.")
    decide(admin_client, bistrot, "approve", "refused")
    assert [event.action for event in history(bistrot)] == ["approved", "revoked", "reapproved"]
    assert len(mails()) == 3
    page = page_text(admin_client.get(f"{URL}?statut=approved"))
    assert "Historique (3)" in page
    moves = re.findall(r"(Compte validé à nouveau|Validation retirée|Compte validé)\b", page)
    assert moves[-3:] == ["Compte validé", "Validation retirée", "Compte validé à nouveau"]
    assert "Impayés répétés." in page


# --- Decisions that no longer apply ------------------------------------------------------------


def test_a_second_click_makes_one_decision_and_one_mail(admin_client, bistrot):
    decide(admin_client, bistrot, "approve", "pending")
    before = state()
    response = decide(admin_client, bistrot, "approve", "pending", follow=True)
    page = page_text(response)
    assert (
        "Décision non appliquée : le compte « Le Bistrot des Halles » est maintenant validé" in page
    )
    assert f"par {ADMIN_LABEL}" in page and "Rien n'a changé." in page
    assert state() == before
    assert len(mails()) == 1 and len(history(bistrot)) == 1


def test_a_decision_on_a_stale_page_changes_nothing(client, make_app, admin, make_user, bistrot):
    other = make_user(role="admin", email="technique@lapepiniere.example")
    first = make_app().test_client()
    first.post("/compte/connexion", data={"email": other.email, "password": TEST_PASSWORD})
    decide(first, bistrot, "refuse", "pending", reason="Hors zone.")
    before = state()

    # The second admin's page still shows the account pending: "Valider" is not taken.
    client.post("/compte/connexion", data={"email": admin.email, "password": TEST_PASSWORD})
    page = page_text(decide(client, bistrot, "approve", "pending", follow=True))
    assert "est maintenant refusé" in page and "équipe technique@lapepiniere.example" in page
    assert state() == before and fresh(bistrot).pro_status == "refused"


def test_two_admins_approving_at_once_make_one_mail(make_app, make_user, bistrot):
    admins = [make_user(role="admin", email=f"admin{i}@lapepiniere.example") for i in range(2)]
    race = make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 4, "max_overflow": 0})
    clients = []
    for user in admins:
        browser = race.test_client()
        browser.post("/compte/connexion", data={"email": user.email, "password": TEST_PASSWORD})
        clients.append(browser)
    barrier = threading.Barrier(2, timeout=30)
    answers = [None, None]
    url = f"{URL}/{bistrot.id}"

    def click(index):
        barrier.wait()
        response = clients[index].post(
            url, data={"decision": "approve", "status": "pending"}, follow_redirects=True
        )
        answers[index] = (response.status_code, page_text(response))

    threads = [threading.Thread(target=click, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [status for status, _page in answers] == [200, 200]
    done = [page for _status, page in answers if "validé : il voit les prix" in page]
    stale = [page for _status, page in answers if "Décision non appliquée" in page]
    assert len(done) == 1 and len(stale) == 1
    assert len(mails()) == 1 and len(history(bistrot)) == 1


@pytest.mark.parametrize(
    ("decision", "status", "message"),
    [
        ("revoke", "approved", "est maintenant en attente"),  # nothing to revoke yet
        ("refuse", "approved", "ne s'applique pas"),  # the status seen and the decision disagree
        ("revoke", "pending", "ne s'applique pas"),
    ],
)
def test_a_decision_that_does_not_apply_is_explained(
    admin_client, bistrot, decision, status, message
):
    before = state()
    page = page_text(decide(admin_client, bistrot, decision, status, reason="Motif", follow=True))
    assert message in page and "Rien n'a changé." in page
    assert state() == before


def test_unknown_individual_and_team_accounts_are_refused_clearly(
    admin_client, admin, make_user, staff
):
    individual = make_user(kind="individual", email="particulier@exemple.fr")
    before = state()
    for user_id, message in (
        (999_999, "Ce compte client n'existe pas"),
        (staff.id, "Ce compte client n'existe pas"),
        (individual.id, "Le compte particulier@exemple.fr est celui d'un particulier"),
    ):
        response = admin_client.post(
            f"{URL}/{user_id}", data={"decision": "approve", "status": "pending"}
        )
        assert response.status_code == 302
        assert message in page_text(admin_client.get(response.location))
        for action in ("refuser", "retirer"):
            response = admin_client.get(f"{URL}/{user_id}/{action}", follow_redirects=True)
            assert message in page_text(response)
    assert state() == before
    assert fresh(individual).pro_status is None and fresh(individual).kind == "individual"


def test_the_confirmation_page_of_a_decision_that_does_not_apply_sends_back(admin_client, amap):
    response = admin_client.get(f"{URL}/{amap.id}/refuser", follow_redirects=True)
    assert "est maintenant validé" in page_text(response)


@pytest.mark.parametrize(
    "data",
    [
        {"decision": "maybe", "status": "pending"},
        {"decision": "approve", "status": "whatever"},
        {"decision": "approve"},
        {"decision": "approve", "status": "pending", "reason": "x" * 501},  # no reason field
        {},
    ],
)
def test_a_forged_form_is_refused_and_changes_nothing(admin_client, bistrot, data):
    before = state()
    response = admin_client.post(f"{URL}/{bistrot.id}", data=data)
    assert response.status_code == 400
    assert "Rien n'a été enregistré" in page_text(response)
    assert state() == before


def test_a_post_without_its_form_token_is_refused(app, admin_client, bistrot):
    app.config["WTF_CSRF_ENABLED"] = True
    before = state()
    response = decide(admin_client, bistrot, "approve", "pending")
    assert response.status_code == 400 and "Formulaire expiré" in page_text(response)
    assert state() == before


def test_every_form_of_the_pages_carries_its_token(app, admin_client, bistrot, amap):
    app.config["WTF_CSRF_ENABLED"] = True
    for url in (
        URL,
        f"{URL}?statut=approved",
        f"{URL}/{bistrot.id}/refuser",
        f"{URL}/{amap.id}/retirer",
    ):
        html = admin_client.get(url).get_data(as_text=True)
        forms = re.findall(r"<form[^>]*method=\"post\".*?</form>", html, re.S)
        assert forms, url
        assert all('name="csrf_token"' in form for form in forms), url


# --- Who may ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["staff", "gate", "customer"])
def test_only_admins_see_and_decide(client, make_user, login, bistrot, amap, role):
    if role == "customer":
        login(make_user(kind="restaurant"))
    else:
        login(make_user(role=role, email=f"{role}@lapepiniere.example"))
    before = state()
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}?statut=approved").status_code == 403
    assert client.get(f"{URL}/{bistrot.id}/refuser").status_code == 403
    assert client.get(f"{URL}/{amap.id}/retirer").status_code == 403
    assert decide(client, bistrot, "approve", "pending").status_code == 403
    assert decide(client, amap, "revoke", "approved", reason="x").status_code == 403
    assert state() == before


def test_visitors_are_sent_to_log_in(client, bistrot):
    for response in (client.get(URL), decide(client, bistrot, "approve", "pending")):
        assert response.status_code == 302 and "/compte/connexion" in response.location
    assert fresh(bistrot).pro_status == "pending"


def test_an_old_login_is_asked_for_the_password_again(app, admin_client, bistrot):
    app.config["RECENT_LOGIN_MINUTES"] = 0
    response = decide(admin_client, bistrot, "approve", "pending")
    assert response.status_code == 302 and "/compte/confirmer" in response.location
    assert fresh(bistrot).pro_status == "pending" and mails() == []
