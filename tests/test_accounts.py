import re

import pytest
from sqlalchemy import func, select

from boutique.account.services import make_reset_token, siret_is_valid
from boutique.extensions import db
from boutique.models import OutboxMessage, User
from boutique.outbox import send_due
from tests.conftest import TEST_PASSWORD, page_text

GOOD_PASSWORD = "radis-rose-2026"
VALID_SIRET = "73282932000074"


def registration(**overrides):
    data = {
        "kind": "individual",
        "email": "lea@exemple.fr",
        "password": GOOD_PASSWORD,
        "confirm": GOOD_PASSWORD,
        "first_name": "Léa",
        "last_name": "Durand",
        "phone": "06 11 22 33 44",
    }
    data.update(overrides)
    return data


def pro_registration(**overrides):
    values = {
        "kind": "restaurant",
        "email": "chef@bistrot.fr",
        "organisation": "Bistrot du Marché",
        "siret": VALID_SIRET,
        "address": "3 place du Marché",
        "postcode": "84000",
        "city": "Avignon",
    }
    return registration(**{**values, **overrides})


def user_count():
    return db.session.scalar(select(func.count()).select_from(User))


@pytest.mark.parametrize(
    "siret, valid",
    [
        ("73282932000074", True),
        ("732 829 320 00074", False),  # the form strips spaces; the check itself wants digits
        ("73282932000075", False),
        ("7328293200007", False),
        ("7328293200007A", False),
        ("35600000000048", True),  # La Poste head office passes Luhn
        ("35600000049837", True),  # a La Poste office: digit sum divisible by 5
        ("", False),
    ],
)
def test_siret_check_uses_the_luhn_key(siret, valid):
    assert siret_is_valid(siret) is valid


def delivered(mailbox):
    """Deliver what the outbox holds; the messages received so far."""
    send_due()
    return mailbox.messages


def mailed_link(app, message, path):
    """The link to `path` in a mail (text part, also in the HTML part), made local."""
    public = app.config["PUBLIC_URL"]
    match = re.search(re.escape(public) + re.escape(path) + r"\S+", mailbox_text(message))
    assert match, mailbox_text(message)
    return match.group(0).replace(public, "")


def mailbox_text(message):
    return message.get_body(preferencelist=("plain",)).get_content()


def test_individual_registers_confirms_the_email_then_logs_in(app, client, mailbox):
    response = client.post("/compte/inscription", data=registration())
    assert "Vérifiez votre boîte mail" in page_text(response)
    assert "Se déconnecter" not in page_text(response)  # not logged in by registering
    user = db.session.scalar(select(User).filter_by(email="lea@exemple.fr"))
    assert user.kind == "individual" and user.pro_status is None
    assert user.check_password(GOOD_PASSWORD)
    assert user.email_verified_at is None

    [message] = delivered(mailbox)
    assert message["To"] == "lea@exemple.fr"
    assert message["Subject"] == "Confirmez votre adresse e-mail"
    link = mailed_link(app, message, "/compte/verification/")
    response = client.get(link, follow_redirects=True)
    assert "Votre adresse e-mail est confirmée. Connectez-vous pour continuer." in page_text(response)
    db.session.expire_all()
    assert db.session.get(User, user.id).email_verified_at is not None
    # The link confirmed the address; it logged nobody in (a forwarded link must not).
    assert client.get("/compte/profil").status_code == 302
    response = client.post(
        "/compte/connexion", data={"email": "lea@exemple.fr", "password": GOOD_PASSWORD}
    )
    assert response.status_code == 302
    assert "confirmée" in page_text(client.get("/compte/profil"))


def test_the_verification_link_never_logs_anyone_in(app, client, make_user):
    from boutique.account.services import send_verification

    user = make_user(email_verified_at=None)
    send_verification(user)
    db.session.commit()
    row = db.session.scalar(select(OutboxMessage))
    link = re.search(re.escape(app.config["PUBLIC_URL"]) + r"(/compte/verification/\S+)", row.body_text)
    for _ in range(2):  # followed twice, e.g. by someone the mail was forwarded to
        client.get(link.group(1))
        assert client.get("/compte/profil").status_code == 302


def test_a_forged_verification_link_verifies_nothing(client, make_user):
    user = make_user(email_verified_at=None)
    response = client.get("/compte/verification/abc.def.ghi", follow_redirects=True)
    assert "Ce lien de confirmation est invalide ou expiré." in page_text(response)
    db.session.expire_all()
    assert db.session.get(User, user.id).email_verified_at is None


def test_restaurant_registers_pending_with_siret_spaces_removed(client):
    response = client.post(
        "/compte/inscription",
        data=pro_registration(siret="732 829 320 00074"),
        follow_redirects=True,
    )
    assert "L'équipe doit aussi valider votre compte professionnel" in page_text(response)
    user = db.session.scalar(select(User).filter_by(email="chef@bistrot.fr"))
    assert (user.kind, user.pro_status, user.siret) == ("restaurant", "pending", VALID_SIRET)
    assert user.organisation == "Bistrot du Marché"


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"email": "pas-une-adresse"}, "Adresse e-mail invalide."),
        ({"password": "court1", "confirm": "court1"}, "au moins 10 caractères"),
        ({"password": "toutenlettres", "confirm": "toutenlettres"}, "mélanger des lettres"),
        ({"confirm": "autre-chose-99"}, "Les deux mots de passe ne correspondent pas."),
        ({"first_name": ""}, "Ce champ est requis."),
        ({"phone": "<script>"}, "Numéro de téléphone invalide."),
    ],
)
def test_bad_registration_is_explained_and_nothing_saved(client, overrides, message):
    response = client.post("/compte/inscription", data=registration(**overrides))
    assert response.status_code == 200
    assert message in page_text(response)
    assert user_count() == 0


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"siret": "73282932000075"}, "SIRET invalide"),
        ({"siret": "1234"}, "SIRET invalide"),
        ({"siret": "7328293200007²"}, "SIRET invalide"),  # a digit to str.isdigit, not int()
        ({"siret": "٧٣٢٨٢٩٣٢٠٠٠٠٧٤"}, "SIRET invalide"),  # Arabic-Indic digits
        ({"siret": ""}, "Obligatoire pour un compte professionnel."),
        ({"organisation": ""}, "Obligatoire pour un compte professionnel."),
        ({"city": ""}, "Obligatoire pour un compte professionnel."),
    ],
)
def test_professional_needs_valid_siret_and_details(client, overrides, message):
    response = client.post("/compte/inscription", data=pro_registration(**overrides))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert user_count() == 0


def test_registering_a_known_address_answers_the_same_and_tells_its_owner(
    app, client, make_user, mailbox
):
    make_user(email="lea@exemple.fr")
    known = client.post("/compte/inscription", data=registration(email="  LEA@Exemple.fr "))
    assert user_count() == 1  # no second account
    [message] = delivered(mailbox)
    assert message["To"] == "lea@exemple.fr"
    assert "Vous avez déjà un compte" in mailbox_text(message)
    assert app.config["PUBLIC_URL"] + "/compte/mot-de-passe-oublie" in mailbox_text(message)

    new = client.post("/compte/inscription", data=registration(email="nouvelle@exemple.fr"))
    assert user_count() == 2
    # The visitor cannot tell the two apart: same status, same page but for the address (and
    # the form token of the page's language switch, signed with the time of the request).
    def shown(response, email):
        text = page_text(response).replace(email, "X")
        return re.sub(r'name="csrf_token" value="[^"]*"', "", text)

    assert known.status_code == new.status_code == 200
    assert shown(known, "lea@exemple.fr") == shown(new, "nouvelle@exemple.fr")


def test_login_wrong_password_then_right_one_then_logout(client, make_user):
    user = make_user(email="camille@exemple.fr")
    response = client.post(
        "/compte/connexion", data={"email": user.email, "password": "faux-mot-de-passe1"}
    )
    assert "Adresse e-mail ou mot de passe incorrect." in response.get_data(as_text=True)
    response = client.post(
        "/compte/connexion",
        data={"email": "Camille@Exemple.fr", "password": TEST_PASSWORD},
        follow_redirects=True,
    )
    assert "Vous êtes connecté." in response.get_data(as_text=True)
    response = client.post("/compte/deconnexion", follow_redirects=True)
    assert "Vous êtes déconnecté." in response.get_data(as_text=True)
    assert "Se connecter" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"]
)
def test_login_next_cannot_leave_the_site(client, make_user, target):
    user = make_user()
    response = client.post(
        f"/compte/connexion?next={target}",
        data={"email": user.email, "password": TEST_PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_login_next_keeps_a_local_page(client, make_user):
    user = make_user()
    response = client.post(
        "/compte/connexion?next=/compte/profil",
        data={"email": user.email, "password": TEST_PASSWORD},
    )
    assert response.headers["Location"] == "/compte/profil"


def test_password_reset_by_emailed_link_works_once(app, client, make_user, mailbox):
    user = make_user(email="camille@exemple.fr")
    response = client.post(
        "/compte/mot-de-passe-oublie", data={"email": user.email}, follow_redirects=True
    )
    assert "un lien de réinitialisation vient d" in response.get_data(as_text=True)
    [message] = delivered(mailbox)
    assert message["To"] == "camille@exemple.fr"
    assert message["Subject"] == "Réinitialiser votre mot de passe"
    link = mailed_link(app, message, "/compte/mot-de-passe/")
    assert link in mailbox.body(message, "html")

    response = client.post(
        link,
        data={"password": "nouveau-mdp-77", "confirm": "nouveau-mdp-77"},
        follow_redirects=True,
    )
    assert "Votre mot de passe est changé." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password("nouveau-mdp-77")

    again = client.post(
        link,
        data={"password": "encore-autre-88", "confirm": "encore-autre-88"},
        follow_redirects=True,
    )
    assert "invalide, déjà utilisé ou expiré" in again.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password("nouveau-mdp-77")


def test_password_reset_link_expires(app, client, make_user):
    user = make_user()
    token = make_reset_token(user)
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    response = client.get(f"/compte/mot-de-passe/{token}", follow_redirects=True)
    assert "invalide, déjà utilisé ou expiré" in response.get_data(as_text=True)


def test_forged_reset_token_is_refused(client):
    response = client.get("/compte/mot-de-passe/abc.def.ghi", follow_redirects=True)
    assert "invalide, déjà utilisé ou expiré" in response.get_data(as_text=True)


def test_reset_for_unknown_address_says_the_same_and_sends_nothing(client, mailbox):
    response = client.post(
        "/compte/mot-de-passe-oublie", data={"email": "inconnu@exemple.fr"}, follow_redirects=True
    )
    assert "Si un compte existe pour cette adresse" in response.get_data(as_text=True)
    assert mailbox.messages == []


def test_reset_when_mail_server_is_down_answers_the_same_and_keeps_the_mail(
    app, client, make_user, mailbox
):
    user = make_user()
    app.config["MAIL_PORT"] = 1  # nothing listens there
    response = client.post(
        "/compte/mot-de-passe-oublie", data={"email": user.email}, follow_redirects=True
    )
    assert "Si un compte existe pour cette adresse" in page_text(response)
    send_due()
    row = db.session.scalar(select(OutboxMessage))  # tried, failed, kept for a retry
    assert (row.recipient, row.sent_at, row.attempts) == (user.email, None, 1)
    assert row.last_error


def test_profile_edit_and_password_change(client, make_user, login):
    user = make_user(email="camille@exemple.fr")
    login(user)
    data = {
        "first_name": "Camille",
        "last_name": "Bernard",
        "phone": "04 90 00 00 00",
        "address": "5 chemin des Vignes",
        "postcode": "84000",
        "city": "Avignon",
        "locale": "en",
        "current_password": "",
        "new_password": "",
        "confirm": "",
    }
    response = client.post("/compte/profil", data=data, follow_redirects=True)
    assert "Your profile has been saved." in page_text(response)  # in the language just chosen
    db.session.expire_all()
    saved = db.session.get(User, user.id)
    assert (saved.last_name, saved.city, saved.locale) == ("Bernard", "Avignon", "en")

    wrong = dict(
        data, current_password="pas-le-bon-1", new_password="tout-neuf-123", confirm="tout-neuf-123"
    )
    refused = page_text(client.post("/compte/profil", data=wrong))
    assert "Current password is incorrect." in refused
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password(TEST_PASSWORD)

    right = dict(wrong, current_password=TEST_PASSWORD)
    client.post("/compte/profil", data=right)
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password("tout-neuf-123")


def test_profile_needs_login(client):
    response = client.get("/compte/profil")
    assert response.status_code == 302
    assert "/compte/connexion" in response.headers["Location"]


def test_admin_approves_a_restaurant_which_then_sees_prices_excluding_vat(
    client, make_user, make_product, make_week, login, admin
):
    product = make_product(
        name="Basilic", variety="Grand vert", price_individual_cents=300, price_restaurant_cents=210
    )
    make_week(offers=[product])
    restaurant = make_user(kind="restaurant", pro_status="pending", email="chef@bistrot.fr")
    login(restaurant)
    page = client.get("/").get_data(as_text=True)
    assert "3,00" in page and "TTC" in page and "2,10" not in page
    assert "attend la validation" in page
    client.post("/compte/deconnexion")

    login(admin)
    listing = client.get("/gestion/professionnels").get_data(as_text=True)
    assert "Établissement" in listing and restaurant.siret in listing
    response = client.post(
        f"/gestion/professionnels/{restaurant.id}",
        data={"decision": "approve", "status": "pending"},
        follow_redirects=True,
    )
    assert "validé" in response.get_data(as_text=True)
    client.post("/compte/deconnexion")

    login(restaurant)
    page = client.get("/").get_data(as_text=True)
    assert "2,10" in page and "HT" in page and "3,00" not in page


def test_admin_refuses_a_professional_who_keeps_individual_prices(client, make_user, admin, login):
    amap = make_user(kind="amap", pro_status="pending")
    login(admin)
    client.post(
        f"/gestion/professionnels/{amap.id}", data={"decision": "refuse", "status": "pending"}
    )
    db.session.expire_all()
    refused = db.session.get(User, amap.id)
    assert refused.pro_status == "refused" and refused.price_kind == "individual"


def test_review_with_a_forged_decision_changes_nothing(client, make_user, admin, login):
    amap = make_user(kind="amap", pro_status="pending")
    login(admin)
    response = client.post(f"/gestion/professionnels/{amap.id}", data={"decision": "maybe"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, amap.id).pro_status == "pending"


def test_login_is_rate_limited_with_a_french_message(make_app, make_user):
    limited = make_app(RATELIMIT_ENABLED=True, AUTH_RATE_LIMIT="3 per minute")
    user = make_user()
    client = limited.test_client()
    wrong = {"email": user.email, "password": "mauvais-mdp-1"}
    statuses = [client.post("/compte/connexion", data=wrong).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.post(
        "/compte/connexion", data={"email": user.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 429
    assert "Trop de tentatives" in page_text(response)
    assert client.get("/compte/connexion").status_code == 200  # reading the page is not limited


def test_create_staff_command(runner):
    result = runner.invoke(
        args=[
            "create-staff",
            "Directrice@LaPepiniere.example",
            "--role",
            "admin",
            "--password",
            "tres-secret-2026",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).filter_by(email="directrice@lapepiniere.example"))
    assert user.role == "admin" and user.is_staff and user.check_password("tres-secret-2026")


def test_create_staff_refuses_a_customer_address(runner, make_user):
    make_user(email="client@exemple.fr")
    result = runner.invoke(args=["create-staff", "client@exemple.fr"])
    assert result.exit_code != 0
    assert "customer account" in result.output


def test_rate_limit_counters_live_in_redis_when_configured(make_app, make_user):
    import redis

    server = redis.Redis(host="127.0.0.1", port=6379, db=15)
    try:
        server.ping()
    except redis.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    server.flushdb()
    limited = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/15",
        AUTH_RATE_LIMIT="2 per minute",
    )
    user = make_user()
    wrong = {"email": user.email, "password": "mauvais-mdp-1"}
    statuses = [
        limited.test_client().post("/compte/connexion", data=wrong).status_code for _ in range(3)
    ]
    try:
        assert statuses == [200, 200, 429]
        assert any(b"compte" in key or b"login" in key for key in server.keys("*"))
    finally:
        server.flushdb()
        server.close()
