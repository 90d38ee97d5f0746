"""Sessions that end, login throttling per account, password hashes (issue 10, parts 2, 5, 6, 9).

Old cookies are replayed the way an attacker who copied them would: saved before the event,
set again on a fresh client afterwards.
"""


import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from boutique import passwords
from boutique.extensions import db
from boutique.models import User
from tests.conftest import TEST_PASSWORD, page_text

REMEMBER = "remember_token"


def cookie(client, name):
    found = client.get_cookie(name)
    return found.value if found is not None else None


def replay(app, cookies):
    """A new browser holding copies of these cookies."""
    other = app.test_client()
    for name, value in cookies.items():
        if value is not None:
            other.set_cookie(name, value)
    return other


def assert_sent_to_login(response):
    assert response.status_code == 302
    assert "/compte/connexion" in response.headers["Location"]


def log_in(client, user, password=TEST_PASSWORD, remember=False, **kwargs):
    data = {"email": user.email, "password": password}
    if remember:
        data["remember"] = "y"
    return client.post("/compte/connexion", data=data, **kwargs)


@pytest.fixture
def customer(make_user):
    return make_user(email="lea@exemple.fr")


def test_logout_kills_the_old_session_and_remember_cookies(app, client, customer):
    log_in(client, customer, remember=True)
    stolen = {"session": cookie(client, "session"), REMEMBER: cookie(client, REMEMBER)}
    assert stolen[REMEMBER]
    assert replay(app, stolen).get("/compte/profil").status_code == 200  # valid before

    client.post("/compte/deconnexion")
    assert_sent_to_login(replay(app, stolen).get("/compte/profil"))
    assert_sent_to_login(replay(app, {REMEMBER: stolen[REMEMBER]}).get("/compte/profil"))


def test_logout_kills_a_staff_session_on_the_staff_pages(app, client, staff):
    log_in(client, staff)
    stolen = {"session": cookie(client, "session")}
    assert replay(app, stolen).get("/gestion/").status_code == 200
    client.post("/compte/deconnexion")
    assert_sent_to_login(replay(app, stolen).get("/gestion/"))


def test_password_change_ends_other_sessions_but_keeps_this_one(app, client, customer):
    other_device = app.test_client()
    log_in(other_device, customer, remember=True)
    log_in(client, customer)
    response = client.post(
        "/compte/profil",
        data={
            "first_name": "Léa",
            "last_name": "Durand",
            "locale": "fr",
            "current_password": TEST_PASSWORD,
            "new_password": "nouveau-mdp-77",
            "confirm": "nouveau-mdp-77",
        },
        follow_redirects=True,
    )
    assert "Votre profil est enregistré." in page_text(response)
    assert client.get("/compte/profil").status_code == 200
    assert_sent_to_login(other_device.get("/compte/profil"))
    remembered = {REMEMBER: cookie(other_device, REMEMBER)}
    assert_sent_to_login(replay(app, remembered).get("/compte/profil"))


def test_password_reset_ends_every_session(app, client, customer):
    from boutique.account.services import make_reset_token

    log_in(client, customer, remember=True)
    stolen = {"session": cookie(client, "session"), REMEMBER: cookie(client, REMEMBER)}
    token = make_reset_token(customer)
    response = app.test_client().post(
        f"/compte/mot-de-passe/{token}",
        data={"password": "nouveau-mdp-77", "confirm": "nouveau-mdp-77"},
    )
    assert response.status_code == 302
    assert_sent_to_login(replay(app, stolen).get("/compte/profil"))
    assert_sent_to_login(replay(app, {REMEMBER: stolen[REMEMBER]}).get("/compte/profil"))


def test_disabled_account_loses_its_sessions_and_cannot_log_in(app, client, customer):
    log_in(client, customer)
    user = db.session.get(User, customer.id)
    user.active = False
    user.end_sessions()
    db.session.commit()
    assert_sent_to_login(client.get("/compte/profil"))
    response = log_in(app.test_client(), customer)
    assert "Adresse e-mail ou mot de passe incorrect." in page_text(response)


def test_log_out_everywhere_keeps_only_this_device(app, client, customer):
    phone, laptop = app.test_client(), app.test_client()
    log_in(phone, customer, remember=True)
    log_in(laptop, customer)
    response = laptop.post("/compte/deconnexion-partout", follow_redirects=True)
    assert "Vos autres appareils sont déconnectés" in page_text(response)
    assert laptop.get("/compte/profil").status_code == 200
    assert_sent_to_login(phone.get("/compte/profil"))
    assert_sent_to_login(replay(app, {REMEMBER: cookie(phone, REMEMBER)}).get("/compte/profil"))


def test_log_out_everywhere_does_not_count_as_typing_the_password(client, admin):
    log_in(client, admin)
    with client.session_transaction() as session:
        session["login_at"] = 0  # logged in long ago
    client.post("/compte/deconnexion-partout")
    response = client.get("/gestion/comptes")
    assert response.status_code == 302
    assert "/compte/confirmer" in response.headers["Location"]


def test_login_does_not_keep_the_previous_visitors_contact_details(client, customer):
    with client.session_transaction() as session:
        session["checkout"] = {"name": "Autre Personne", "email": "autre@exemple.fr"}
        session["basket"] = {"items": {"1": 2}}
    log_in(client, customer)
    with client.session_transaction() as session:
        assert "checkout" not in session
        assert session["basket"] == {"items": {"1": 2}}


def test_logout_clears_the_cookie_but_keeps_the_language(client, customer):
    client.post("/langue", data={"lang": "en"})  # the language switch
    log_in(client, customer)
    with client.session_transaction() as session:
        session["checkout"] = {"name": "Léa Durand", "email": "lea@exemple.fr", "phone": "0611"}
        session["basket"] = {"items": {"1": 2}}
    client.post("/compte/deconnexion")
    with client.session_transaction() as session:
        assert session["lang"] == "en"
        # Nothing else of the person stays: no account, contact details, basket or note.
        assert set(session) <= {"lang", "_flashes", "_remember"}


def test_login_gives_a_new_csrf_secret(client, customer):
    client.get("/compte/connexion")
    with client.session_transaction() as session:
        session["csrf_token"] = "planted-by-someone-else"
    log_in(client, customer)
    with client.session_transaction() as session:
        assert session.get("csrf_token") != "planted-by-someone-else"


def test_remember_me_is_new_at_each_login_lax_and_a_month(app, client, customer):
    values = []
    for _ in range(2):
        response = log_in(client, customer, remember=True)
        header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(REMEMBER))
        assert "SameSite=Lax" in header and "HttpOnly" in header
        values.append(cookie(client, REMEMBER))
        client.post("/compte/deconnexion")
    assert values[0] != values[1]
    assert app.config["REMEMBER_COOKIE_DURATION"].days == 30


def test_staff_get_no_remember_me_cookie(client, staff):
    log_in(client, staff, remember=True)
    assert cookie(client, REMEMBER) is None


def test_a_cookie_from_before_session_versions_is_refused(app, client, customer):
    with client.session_transaction() as session:
        session["_user_id"] = str(customer.id)  # the old format: the bare id
        session["_fresh"] = True
    assert_sent_to_login(client.get("/compte/profil"))


def test_a_stale_login_must_retype_the_password(client, customer):
    log_in(client, customer)
    with client.session_transaction() as session:
        session["login_at"] = 0
    response = client.get("/compte/confirmer?next=/compte/profil")
    assert "Confirmez votre mot de passe" in page_text(response)
    response = client.post("/compte/confirmer?next=/compte/profil", data={"password": "faux-99"})
    assert "Mot de passe incorrect." in page_text(response)
    response = client.post("/compte/confirmer?next=/compte/profil", data={"password": TEST_PASSWORD})
    assert response.headers["Location"] == "/compte/profil"
    with client.session_transaction() as session:
        assert session["login_at"] > 0


# --- Throttling ---------------------------------------------------------------------------------


@pytest.fixture
def limited_app(make_app):
    return make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        AUTH_RATE_LIMIT="1000 per minute",
        LOGIN_ACCOUNT_LIMIT="10 per 15 minutes",
    )


def test_wrong_passwords_from_many_addresses_lock_that_account(limited_app, make_user):
    user = make_user(email="cible@exemple.fr")
    for number in range(10):
        response = limited_app.test_client().post(
            "/compte/connexion",
            data={"email": user.email, "password": f"mauvais-{number}"},
            environ_base={"REMOTE_ADDR": f"203.0.113.{number + 1}"},
        )
        assert "Adresse e-mail ou mot de passe incorrect." in page_text(response)
    # The 11th address, with the right password this time: the account is locked.
    response = limited_app.test_client().post(
        "/compte/connexion",
        data={"email": "Cible@Exemple.fr", "password": TEST_PASSWORD},
        environ_base={"REMOTE_ADDR": "198.51.100.77"},
    )
    assert response.status_code == 429
    assert "Trop de tentatives de connexion pour ce compte" in page_text(response)
    # Another account is not affected.
    other = make_user(email="voisin@exemple.fr")
    response = limited_app.test_client().post(
        "/compte/connexion", data={"email": other.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302


def test_parallel_guesses_cannot_overshoot_the_account_limit(limited_app, make_user):
    from concurrent.futures import ThreadPoolExecutor

    from argon2 import PasswordHasher

    email = make_user(email="cible@exemple.fr").email
    checked = []
    original = PasswordHasher.verify

    def counting(self, *args):
        checked.append(1)
        return original(self, *args)

    def guess(number):
        with limited_app.test_client() as other:
            return other.post(
                "/compte/connexion",
                data={"email": email, "password": f"mauvais-{number}"},
                environ_base={"REMOTE_ADDR": f"203.0.113.{number + 1}"},
            ).status_code

    PasswordHasher.verify = counting
    try:
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(guess, range(30)))
    finally:
        PasswordHasher.verify = original
    assert statuses.count(200) == 10 and statuses.count(429) == 20
    assert len(checked) == 10  # passwords actually tried: the limit, not one more


def test_the_profile_password_check_is_throttled_like_a_login(limited_app, make_user):
    user = make_user(email="cible@exemple.fr")
    client = limited_app.test_client()
    client.post("/compte/connexion", data={"email": user.email, "password": TEST_PASSWORD})
    form = {
        "first_name": "Camille",
        "last_name": "Martin",
        "locale": "fr",
        "new_password": "nouveau-mdp-77",
        "confirm": "nouveau-mdp-77",
    }
    messages = []
    for number in range(10):
        response = client.post("/compte/profil", data={**form, "current_password": f"faux-{number}"})
        messages.append("Mot de passe actuel incorrect." in page_text(response))
    assert messages == [True] * 10  # the successful login cleared its own count
    response = client.post("/compte/profil", data={**form, "current_password": TEST_PASSWORD})
    assert "Trop de tentatives" in page_text(response)
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password(TEST_PASSWORD)


def test_an_unknown_address_locks_the_same_way(limited_app):
    statuses = []
    for number in range(11):
        response = limited_app.test_client().post(
            "/compte/connexion",
            data={"email": "personne@exemple.fr", "password": f"mauvais-{number}"},
            environ_base={"REMOTE_ADDR": f"203.0.113.{number + 1}"},
        )
        statuses.append(response.status_code)
    assert statuses == [200] * 10 + [429]


def test_ipv6_addresses_of_one_network_share_the_per_address_limit(make_app, make_user):
    app = make_app(RATELIMIT_ENABLED=True, AUTH_RATE_LIMIT="3 per minute")
    user = make_user()
    statuses = [
        app.test_client()
        .post(
            "/compte/connexion",
            data={"email": user.email, "password": "mauvais-1"},
            environ_base={"REMOTE_ADDR": f"2001:db8:ab:cd::{suffix}"},
        )
        .status_code
        for suffix in (1, 2, "ffff:1", 9)
    ]
    assert statuses == [200, 200, 200, 429]
    # Another /64 has its own count.
    response = app.test_client().post(
        "/compte/connexion",
        data={"email": user.email, "password": "mauvais-1"},
        environ_base={"REMOTE_ADDR": "2001:db8:ab:ce::1"},
    )
    assert response.status_code == 200


@pytest.mark.parametrize("where", ["refused", "blackhole"])
def test_rate_limit_storage_down_never_turns_login_into_a_500(make_app, make_user, where, request):
    port = 1 if where == "refused" else request.getfixturevalue("blackhole").port
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{port}/0")
    user = make_user()
    client = app.test_client()
    wrong = client.post("/compte/connexion", data={"email": user.email, "password": "faux-12"})
    assert wrong.status_code == 200
    assert "Adresse e-mail ou mot de passe incorrect." in page_text(wrong)
    right = client.post("/compte/connexion", data={"email": user.email, "password": TEST_PASSWORD})
    assert right.status_code == 302
    assert client.get("/compte/profil").status_code == 200


# --- Password hashes ----------------------------------------------------------------------------


def test_passwords_are_hashed_with_argon2id_at_owasp_parameters(make_app):
    production_like = make_app(ARGON2_TIME_COST=2, ARGON2_MEMORY_KIB=19 * 1024)
    with production_like.app_context():
        stored = passwords.hash_password("radis-rose-2026")
        assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
        assert passwords.verify_password(stored, "radis-rose-2026")
        assert not passwords.verify_password(stored, "radis-rose-2027")


@pytest.mark.parametrize("method", ["scrypt", "pbkdf2:sha256:600000"])
def test_an_older_hash_logs_in_and_is_replaced(client, make_user, method):
    user = make_user()
    user.password_hash = generate_password_hash(TEST_PASSWORD, method=method)
    db.session.commit()
    assert log_in(client, user).status_code == 302
    db.session.expire_all()
    stored = db.session.scalar(select(User.password_hash).where(User.id == user.id))
    assert stored.startswith("$argon2id$")


def test_an_unknown_address_costs_one_password_check_like_a_known_one(
    client, make_user, monkeypatch
):
    """The same work either way, so the answer's time tells nothing (bench/login_timing.py
    measures it with the production parameters)."""
    from argon2 import PasswordHasher

    user = make_user()
    checks = []
    original = PasswordHasher.verify

    def counting(self, password_hash, password):
        checks.append((self.time_cost, self.memory_cost))
        return original(self, password_hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    log_in(client, user, password="faux-mdp-12")
    known = list(checks)
    checks.clear()
    client.post("/compte/connexion", data={"email": "inconnu@exemple.fr", "password": "faux-12"})
    assert known == checks == [(1, 64)]
