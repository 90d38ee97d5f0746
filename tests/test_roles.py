"""Roles (issue 10, part 3): admin does everything, staff run the week, the gate only hands
orders over and sees no contact details; the staff accounts page; recent login on the
sensitive actions."""

import re
from datetime import time

import pytest
from sqlalchemy import select

from boutique.extensions import db
from boutique.models import CardPayment, Order, OutboxMessage, PickupPoint, PickupSlot, User
from boutique.ordering.services import Contact, place_order
from boutique.outbox import send_due
from boutique.staff import account_services
from boutique.timezones import shop_today
from tests.conftest import TEST_PASSWORD, page_text

DUMMY_ID = 999_999

HANDOVER = {
    "staff.handover_day",
    "staff.handover_order",
    "staff.handover_card",
    "staff.handover_collect",
    "staff.handover_pay",
    "staff.handover_no_show",
    "staff.handover_pay_collect",
    "staff.handover_cash",
    "staff.handover_cash_close",
}
ADMIN_ONLY = {
    "staff.import_products",
    "staff.professionals",
    "staff.confirm_review",
    "staff.review",
    "staff.accounts",
    "staff.create_account",
    "staff.change_account_role",
    "staff.set_account_active",
    "staff.send_account_password_link",
    "staff.export_customer_data",
    "staff.delete_customer_account",
    "staff.passport_register_csv",
    "books.journal_csv",
    "books.fec",
}
# The season dashboard (issue 16): its page, charts, CSV and the year's charges, for staff.
SEASON = {
    "season.dashboard",
    "season.chart",
    "season.table_csv",
    "season.add_charge",
    "season.change_charge",
    "season.remove_charge",
}
# The pick-up documents: page and PDF for staff; their CSV (names, phones, addresses) for admins.
DOCUMENTS = {
    "staff.preparation_list",
    "staff.order_labels",
    "staff.pickup_list",
    "staff.delivery_round",
}
CSV = "?format=csv"
# The sowing plan (issue 16): staff, every page, its PDF and CSV, the lots marked sown.
SOWING = {
    "sowing.plan",
    "sowing.this_week",
    "sowing.plan_pdf",
    "sowing.plan_csv",
    "sowing.crops",
    "sowing.edit_crop",
    "sowing.product_forecast",
    "sowing.record_sown",
    "sowing.undo_sown",
}


def staff_requests(app):
    """(what, method, url) for every route under /gestion, and each document as CSV."""
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/gestion"):
            continue
        url = rule.build({arg: DUMMY_ID for arg in rule.arguments}, append_unknown=False)[1]
        for method in sorted({"GET", "POST"} & rule.methods):
            yield rule.endpoint, method, url
            if rule.endpoint in DOCUMENTS:
                yield rule.endpoint + CSV, method, url + CSV


def log_in(client, user, password=TEST_PASSWORD):
    response = client.post("/compte/connexion", data={"email": user.email, "password": password})
    assert response.status_code == 302, page_text(response)
    return response


def assert_sent_to_login(response):
    assert response.status_code == 302
    assert "/compte/connexion" in response.headers["Location"]


@pytest.fixture
def gate(make_user):
    return make_user(role="gate", email="accueil@lapepiniere.example", first_name="Sam")


def test_the_walk_covers_every_role_rule(app):
    endpoints = {what for what, _method, _url in staff_requests(app)}
    assert endpoints >= HANDOVER | ADMIN_ONLY | SOWING | SEASON
    assert {d + CSV for d in DOCUMENTS} <= endpoints
    assert len(endpoints) >= 55


@pytest.mark.parametrize("role", ["anonymous", "customer", "gate", "staff", "admin"])
def test_every_staff_route_answers_each_role_as_its_work_needs(app, client, make_user, role):
    if role == "customer":
        log_in(client, make_user(kind="restaurant"))
    elif role != "anonymous":
        log_in(client, make_user(role=role, email=f"{role}@lapepiniere.example"))
    wrong = []
    for what, method, url in staff_requests(app):
        response = client.open(url, method=method)
        status, location = response.status_code, response.headers.get("Location", "")
        if role == "anonymous":
            ok = status == 302 and "/compte/connexion" in location
        elif role == "customer":
            ok = status == 403
        elif role == "gate":
            ok = (status != 403) if what in HANDOVER else status == 403
        elif role == "staff":
            admin_only = what in ADMIN_ONLY or what.endswith(CSV)
            ok = (status == 403) if admin_only else status != 403
        else:
            ok = status != 403
        if role in ("gate", "staff", "admin") and status != 403:
            # Let through means let through: not a login page, not a server error.
            ok = ok and "/compte/" not in location and status < 500
        if not ok:
            wrong.append((what, method, status, location))
    assert wrong == []


def test_the_waiting_list_is_public_and_its_alerts_page_needs_an_account(
    client, make_user, make_product
):
    """/prevenez-moi: anyone signs up or unsubscribes (by the mailed link); a customer's own
    alerts need a login, and another account's alert is not found."""
    product = make_product()
    assert client.get("/prevenez-moi/").status_code == 200
    assert client.get(f"/prevenez-moi/produit/{product.id}").status_code == 200
    assert client.get(f"/prevenez-moi/produit/{DUMMY_ID}").status_code == 404
    assert client.get("/prevenez-moi/inscription/inconnu").status_code == 404
    assert client.get("/prevenez-moi/desinscription/inconnu").status_code == 404
    assert client.get(f"/prevenez-moi/retour/{product.id}/en").status_code == 302
    assert_sent_to_login(client.get("/prevenez-moi/mes-alertes"))
    assert_sent_to_login(client.post(f"/prevenez-moi/mes-alertes/{DUMMY_ID}/arreter"))
    for role in ("customer", "gate", "staff"):
        log_in(client, make_user(role=role, email=f"{role}@lapepiniere.example"))
        assert client.get("/prevenez-moi/mes-alertes").status_code == 200
        assert client.post(f"/prevenez-moi/mes-alertes/{DUMMY_ID}/arreter").status_code == 404


# --- What each role sees ------------------------------------------------------------------------


@pytest.fixture
def counter_order(make_product, make_week, make_user):
    """Today's order of Camille Martin, with phone, email, address and a note with a number."""
    week = make_week(offers=[make_product(name="Tomate", variety="Cerise")])
    slot = PickupSlot(
        week=week,
        point=PickupPoint(name="Portail", address="Chemin des Jardins"),
        day=shop_today(),
        starts_at=time(0, 1),
        ends_at=time(23, 59),
        capacity=10,
        booked=0,
    )
    db.session.add(slot)
    db.session.commit()
    customer = make_user(
        email="camille.martin@exemple.fr", address="12 rue des Lilas", city="Avignon"
    )
    order = place_order(
        week=week,
        items={week.offers[0].id: 3},
        slot_id=slot.id,
        payment_method="on_pickup",
        contact=Contact("Camille Martin", customer.email, "06 12 34 56 78"),
        kind="individual",
        customer=customer,
        note="Appelez mon voisin au 04 90 11 22 33",
        checkout_token="token-roles",
    )
    db.session.commit()
    return order


CONTACT_DETAILS = (
    "Martin",
    "camille.martin@",
    "06 12 34 56 78",
    "12 rue des Lilas",
    "04 90 11 22 33",
)


def test_the_gate_sees_first_name_initial_items_and_amount_but_no_contact(
    client, gate, counter_order
):
    log_in(client, gate)
    day = page_text(client.get("/gestion/retrait"))
    card = page_text(client.get(f"/gestion/retrait/commande/{counter_order.id}"))

    for page in (day, card):
        assert "Camille M." in page and counter_order.number in page
        for detail in CONTACT_DETAILS:
            assert detail not in page, detail
        assert f"/gestion/commandes/{counter_order.id}" not in page  # the full order page
    assert "Tomate" in card and "7,50 €" in card  # 3 × 2,50, to collect
    assert "Le client a laissé une remarque : demandez-la à l'équipe." in card

    response = client.post(
        f"/gestion/retrait/commande/{counter_order.id}/remis",
        data={"confirm_due": "y", "due_cents": "750"},  # handed over unpaid, as confirmed
        follow_redirects=True,
    )
    page = page_text(response)
    assert f"Commande {counter_order.number} remise à Camille M." in page
    assert "Martin" not in page
    db.session.expire_all()
    order = db.session.get(Order, counter_order.id)
    assert order.status == "collected" and order.collected_by_id == gate.id
    assert order.events[-1].actor_label == gate.email  # the team, not "client (…)"


def test_staff_keep_the_full_handover_card(staff_client, counter_order):
    card = page_text(staff_client.get(f"/gestion/retrait/commande/{counter_order.id}"))

    assert "Camille Martin" in card
    assert "Appeler le 06 12 34 56 78" in card
    assert "Appelez mon voisin au 04 90 11 22 33" in card
    assert f"/gestion/commandes/{counter_order.id}" in card


def test_the_gate_search_finds_by_number_or_first_name_never_by_surname(
    client, gate, counter_order
):
    log_in(client, gate)
    for term in ("camille", "Camille M.", counter_order.number):
        page = page_text(client.get("/gestion/retrait", query_string={"q": term}))
        assert "Camille M." in page and "Camille Martin" not in page, term
    assert "Numéro ou prénom" in page
    # Trying surnames tells nothing: the gate is never shown more than the initial.
    for probe in ("martin", "mart", "camille ma"):
        page = page_text(client.get("/gestion/retrait", query_string={"q": probe}))
        assert "Camille M." not in page and "Aucune commande ne correspond" in page, probe


def test_staff_search_the_whole_name(staff_client, counter_order):
    page = page_text(staff_client.get("/gestion/retrait?q=martin"))
    assert "Camille Martin" in page


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("Camille Martin", "Camille M."),
        ("Jean-Pierre de la Fontaine", "Jean-Pierre F."),
        ("Camille", "Camille"),
        ("camille@exemple.fr Martin", "Martin"),
        ("Camille 0612345678 martin", "Camille M."),
        ("", ""),
        # A business's order: the gate must tell restaurants apart, the person is shortened.
        ("Le Bistrot des Halles (Paul Roux)", "Le Bistrot des Halles (Paul R.)"),
        ("AMAP des Remparts (0612345678)", "AMAP des Remparts"),
    ],
)
def test_short_name_keeps_the_first_name_and_an_initial(name, short):
    from boutique.staff.handover import short_name

    assert short_name(name) == short


def test_a_gate_login_lands_on_the_day_handover_list(client, gate):
    response = log_in(client, gate)
    assert response.headers["Location"] == "/gestion/retrait"


def test_each_role_sees_only_its_links(client, gate, staff, admin, login):
    staff_links = (
        "/gestion/commandes",
        "/gestion/semaines",
        "/gestion/produits",
        "/gestion/factures",
    )
    admin_links = ("/gestion/professionnels", "/gestion/comptes")

    log_in(client, gate)
    page = client.get("/gestion/retrait").get_data(as_text=True)
    assert 'href="/gestion/retrait"' in page
    for link in (*staff_links, *admin_links, 'href="/gestion/"'):
        assert link not in page, link
    # The gate works, it does not shop: no basket, no orders of its own in the top bar.
    assert 'href="/panier"' not in page and 'href="/compte/commandes"' not in page
    client.post("/compte/deconnexion")

    log_in(client, staff)
    page = client.get("/gestion/").get_data(as_text=True)
    assert all(link in page for link in staff_links)
    assert not any(link in page for link in admin_links)
    assert "/gestion/produits/import" not in client.get("/gestion/produits").get_data(as_text=True)
    client.post("/compte/deconnexion")

    log_in(client, admin)
    page = client.get("/gestion/").get_data(as_text=True)
    assert all(link in page for link in (*staff_links, *admin_links))


def test_staff_print_the_documents_but_only_admins_download_the_csv(
    app, client, staff, admin, counter_order
):
    week_id = counter_order.week_id
    base = f"/gestion/semaines/{week_id}/documents"

    log_in(client, staff)
    index = page_text(client.get(base))
    assert "format=csv" not in index
    assert "réservés aux administrateurs" in index
    sheet = client.get(f"{base}/emargement")
    assert sheet.status_code == 200 and "format=csv" not in page_text(sheet)
    assert client.get(f"{base}/emargement?format=csv").status_code == 403
    client.post("/compte/deconnexion")

    log_in(client, admin)
    assert "format=csv" in page_text(client.get(base))
    response = client.get(f"{base}/emargement?format=csv")
    assert response.status_code == 200 and "06 12 34 56 78" in response.get_data(as_text=True)
    # The catalog CSV holds no personal data: staff keep it.
    client.post("/compte/deconnexion")
    log_in(client, staff)
    assert client.get("/gestion/produits/export.csv").status_code == 200


# --- Recent login -------------------------------------------------------------------------------


def make_stale(client):
    with client.session_transaction() as session:
        session["login_at"] = 0


def assert_asked_for_password(response):
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/compte/confirmer")


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/gestion/comptes"),
        ("POST", "/gestion/comptes"),
        ("GET", "/gestion/professionnels"),
        ("GET", "/gestion/produits/import"),
        ("GET", "/gestion/semaines/1/documents/emargement?format=csv"),
    ],
)
def test_a_stale_admin_login_must_confirm_the_password(admin_client, method, url):
    make_stale(admin_client)
    assert_asked_for_password(admin_client.open(url, method=method))


def test_after_confirming_the_password_the_admin_gets_back_to_the_page(admin_client):
    make_stale(admin_client)
    response = admin_client.get("/gestion/comptes")
    assert response.headers["Location"].startswith("/compte/confirmer?next=/gestion/comptes")
    response = admin_client.post(response.headers["Location"], data={"password": TEST_PASSWORD})
    assert response.headers["Location"].startswith("/gestion/comptes")
    assert admin_client.get("/gestion/comptes").status_code == 200


@pytest.fixture
def captured_order(counter_order):
    db.session.add(
        CardPayment(
            order=counter_order,
            intent_id="pi_roles",
            status="captured",
            amount_requested_cents=750,
            amount_authorised_cents=750,
        )
    )
    db.session.commit()
    return counter_order


def test_refunding_a_card_needs_a_recent_login(staff_client, captured_order):
    make_stale(staff_client)
    order_page = f"/gestion/commandes/{captured_order.id}"

    settle = staff_client.post(f"{order_page}/carte", headers={"Referer": order_page})
    cancel = staff_client.post(
        f"{order_page}/annuler", data={"reason": "Gel"}, headers={"Referer": order_page}
    )

    assert_asked_for_password(settle)
    assert_asked_for_password(cancel)
    assert cancel.headers["Location"] == f"/compte/confirmer?next={order_page}"
    db.session.expire_all()
    assert db.session.get(Order, captured_order.id).status == "placed"


def test_cancelling_an_order_without_a_captured_card_asks_nothing(staff_client, counter_order):
    make_stale(staff_client)
    response = staff_client.post(
        f"/gestion/commandes/{counter_order.id}/annuler", data={"reason": "Gel"}
    )
    assert response.headers["Location"] == f"/gestion/commandes/{counter_order.id}"
    db.session.expire_all()
    assert db.session.get(Order, counter_order.id).status == "cancelled"


# --- The staff accounts page --------------------------------------------------------------------


def delivered(mailbox):
    send_due()
    return mailbox.messages


def test_admin_creates_an_account_which_chooses_its_password_by_a_mailed_link(
    app, admin_client, mailbox
):
    app.config["PUBLIC_URL"] = "https://boutique.lapepiniere.example"
    response = admin_client.post(
        "/gestion/comptes",
        data={
            "email": "Lucie.Bernard@LaPepiniere.example",
            "first_name": "Lucie",
            "last_name": "Bernard",
            "role": "gate",
        },
        follow_redirects=True,
    )

    page = page_text(response)
    assert "Compte de lucie.bernard@lapepiniere.example créé" in page
    assert "Accueil (retraits seulement)" in page
    user = db.session.scalar(select(User).where(User.email == "lucie.bernard@lapepiniere.example"))
    assert user.role == "gate" and user.kind is None and user.active
    assert user.access_changed_at is not None
    [message] = delivered(mailbox)
    assert message["To"] == user.email
    assert message["Subject"] == "Votre compte sur la boutique La Pépinière"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "rôle : Accueil (retraits seulement)" in text
    assert "valable 72 heures" in text
    match = re.search(r"https://boutique\.lapepiniere\.example(/compte/mot-de-passe/\S+)", text)
    assert match, text
    assert "localhost" not in text

    # A newcomer may open it the next day: a reset link would be dead by then, this one is not.
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    newcomer = app.test_client()
    response = newcomer.post(
        match.group(1), data={"password": "semis-de-printemps-9", "confirm": "semis-de-printemps-9"}
    )
    assert response.status_code == 302
    response = log_in(newcomer, user, "semis-de-printemps-9")
    assert response.headers["Location"] == "/gestion/retrait"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "equipe@lapepiniere.example"}, "Un compte de l'équipe existe déjà"),
        ({"email": "client1@exemple.fr"}, "est celle d'un compte client"),
        ({"email": "pas-une-adresse"}, "Adresse e-mail invalide."),
        ({"role": "customer"}, "Choisissez un rôle de la liste."),
        ({"role": "root"}, "Choisissez un rôle de la liste."),
        ({"first_name": ""}, "Indiquez le prénom."),
    ],
)
def test_a_bad_new_account_gets_a_clear_message_and_creates_nothing(
    admin_client, staff, make_user, data, message
):
    make_user(email="client1@exemple.fr")
    before = db.session.scalar(select(db.func.count(User.id)))
    form = {"email": "nouveau@lapepiniere.example", "first_name": "Noé", "last_name": "Petit"}
    form["role"] = "staff"
    response = admin_client.post("/gestion/comptes", data={**form, **data})

    assert response.status_code == 422
    assert message in page_text(response)
    assert db.session.scalar(select(db.func.count(User.id))) == before
    assert db.session.scalar(select(db.func.count(OutboxMessage.id))) == 0


def test_the_accounts_page_lists_the_team_only(admin_client, staff, gate, make_user):
    make_user(email="client@exemple.fr")
    page = page_text(admin_client.get("/gestion/comptes"))
    for email in (staff.email, gate.email, "direction@lapepiniere.example"):
        assert email in page
    assert "client@exemple.fr" not in page


def test_a_customer_account_cannot_be_changed_from_the_accounts_page(admin_client, make_user):
    customer = make_user(email="client@exemple.fr")
    response = admin_client.post(f"/gestion/comptes/{customer.id}/role", data={"role": "admin"})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(User, customer.id).role == "customer"


def stolen_session(app, user):
    """A browser logged in as `user`, and a copy of its session cookie."""
    browser = app.test_client()
    log_in(browser, user)
    return browser.get_cookie("session").value


def replay(app, cookie_value):
    other = app.test_client()
    other.set_cookie("session", cookie_value)
    return other


def test_a_role_change_ends_the_accounts_sessions(app, admin_client, staff):
    cookie = stolen_session(app, staff)
    assert replay(app, cookie).get("/gestion/").status_code == 200

    response = admin_client.post(
        f"/gestion/comptes/{staff.id}/role", data={"role": "gate"}, follow_redirects=True
    )

    assert "a maintenant le rôle « Accueil (retraits seulement) »" in page_text(response)
    assert_sent_to_login(replay(app, cookie).get("/gestion/retrait"))
    db.session.expire_all()
    assert db.session.get(User, staff.id).role == "gate"
    # Logging in again, the former staff member is at the gate: 403 on the staff pages.
    again = app.test_client()
    log_in(again, staff)
    assert again.get("/gestion/commandes").status_code == 403
    assert again.get("/gestion/retrait").status_code == 200


def test_disabling_ends_the_sessions_and_enabling_lets_the_account_back(app, admin_client, staff):
    cookie = stolen_session(app, staff)

    response = admin_client.post(
        f"/gestion/comptes/{staff.id}/activation", data={"active": "0"}, follow_redirects=True
    )
    assert f"Le compte {staff.email} est désactivé" in page_text(response)
    assert_sent_to_login(replay(app, cookie).get("/gestion/"))
    refused = app.test_client().post(
        "/compte/connexion", data={"email": staff.email, "password": TEST_PASSWORD}
    )
    assert refused.status_code != 302
    # A second click on "Désactiver" changes nothing more; a password link is refused.
    admin_client.post(f"/gestion/comptes/{staff.id}/activation", data={"active": "0"})
    response = admin_client.post(f"/gestion/comptes/{staff.id}/lien", follow_redirects=True)
    assert "est désactivé : réactivez-le avant d'envoyer un lien" in page_text(response)

    admin_client.post(f"/gestion/comptes/{staff.id}/activation", data={"active": "1"})
    db.session.expire_all()
    assert db.session.get(User, staff.id).active
    log_in(app.test_client(), staff)


def test_an_admin_cannot_demote_or_disable_themselves(admin_client, admin):
    demote = admin_client.post(
        f"/gestion/comptes/{admin.id}/role", data={"role": "staff"}, follow_redirects=True
    )
    disable = admin_client.post(
        f"/gestion/comptes/{admin.id}/activation", data={"active": "0"}, follow_redirects=True
    )

    assert "Vous ne pouvez pas retirer votre propre rôle d'administrateur" in page_text(demote)
    assert "Vous ne pouvez pas désactiver votre propre compte" in page_text(disable)
    db.session.expire_all()
    me = db.session.get(User, admin.id)
    assert me.role == "admin" and me.active
    assert admin_client.get("/gestion/comptes").status_code == 200  # still logged in


def test_the_last_active_admin_is_kept(admin, make_user):
    """Two admins demoting each other at once: the second demotion finds no other admin."""
    other = make_user(role="admin", email="autre@lapepiniere.example")
    account_services.change_role(admin, "staff", other)  # the first request
    with pytest.raises(account_services.AccountError, match="dernier administrateur actif"):
        account_services.change_role(other, "staff", admin)  # the second, racing
    db.session.rollback()


def test_admin_sends_a_password_link_to_a_team_member(app, admin_client, staff, mailbox):
    response = admin_client.post(f"/gestion/comptes/{staff.id}/lien", follow_redirects=True)

    assert f"Lien pour choisir un mot de passe envoyé à {staff.email}." in page_text(response)
    [message] = delivered(mailbox)
    assert message["To"] == staff.email
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert app.config["PUBLIC_URL"] + "/compte/mot-de-passe/" in text


def test_an_unknown_role_change_gets_a_message(admin_client, staff):
    response = admin_client.post(
        f"/gestion/comptes/{staff.id}/role", data={"role": "superuser"}, follow_redirects=True
    )
    assert "Choisissez un rôle de la liste." in page_text(response)
    db.session.expire_all()
    assert db.session.get(User, staff.id).role == "staff"


def test_staff_and_gate_cannot_reach_the_accounts_page(client, staff, gate):
    for user in (staff, gate):
        log_in(client, user)
        assert client.get("/gestion/comptes").status_code == 403
        response = client.post(f"/gestion/comptes/{user.id}/role", data={"role": "admin"})
        assert response.status_code == 403
        client.post("/compte/deconnexion")
    db.session.expire_all()
    assert db.session.get(User, staff.id).role == "staff"


def test_create_staff_command_makes_a_gate_account(runner):
    result = runner.invoke(args=["create-staff", "portail@lapepiniere.example", "--role", "gate"])

    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "portail@lapepiniere.example"))
    assert user.role == "gate" and user.access_changed_at is not None


def test_create_staff_command_refuses_a_customer_address(runner, make_user):
    make_user(email="client@exemple.fr")
    result = runner.invoke(args=["create-staff", "client@exemple.fr", "--role", "gate"])
    assert result.exit_code != 0 and "customer account" in result.output


def test_changing_a_role_from_the_command_line_ends_old_sessions(app, runner, staff):
    cookie = stolen_session(app, staff)
    result = runner.invoke(args=["create-staff", staff.email, "--role", "gate"])
    assert result.exit_code == 0, result.output
    assert_sent_to_login(replay(app, cookie).get("/gestion/retrait"))
