""" "Prévenez-moi" (issue 16, waiting list): sign up on a sold-out product or one not offered
this week, one mail (read over SMTP) when it is back, then the entry ends; unsubscribe; the
limits; the staff grid's count; personal data."""

import io
import json
import re
import threading
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from boutique.extensions import db
from boutique.models import OutboxMessage, WaitlistEntry, utcnow
from boutique.outbox import send_due
from boutique.privacy.services import delete_account, export_archive
from boutique.waitlist import services as waitlist
from boutique.waitlist.sweep import sweep
from tests.conftest import page_text, page_words
from tests.test_staff_weeks import grid_data

PUBLIC = "https://boutique.lapepiniere.example"


@pytest.fixture
def shop(app, make_product, make_week):
    """The open week: tomatoes sold out (2 of 2 reserved), leeks available; basil is sold
    but not offered this week."""
    app.config["PUBLIC_URL"] = PUBLIC

    class Shop:
        pass

    s = Shop()
    s.tomato = make_product(name="Tomate", variety="Cœur de bœuf")
    s.leek = make_product(name="Poireau", variety="Bleu de Solaise", unit_label="botte")
    s.basil = make_product(name="Basilic", variety="Grand vert")
    s.week = make_week(
        label="Semaine 49",
        offers=[
            (s.tomato, {"quantity_available": 2, "quantity_reserved": 2}),
            (s.leek, {"quantity_available": 20}),
        ],
    )
    s.offers = {offer.product_id: offer for offer in s.week.offers}
    return s


def entries(**where):
    return db.session.scalars(
        select(WaitlistEntry).filter_by(**where).order_by(WaitlistEntry.id)
    ).all()


def sign_up(client, product, email="camille@exemple.fr", quantity=""):
    return client.post(
        f"/prevenez-moi/produit/{product.id}", data={"email": email, "quantity": quantity}
    )


@pytest.fixture
def visitor(app):
    """A browser of its own, not signed in (`client` may be the staff's)."""
    return app.test_client()


def mails_to(mailbox, address):
    return [m for m in mailbox.messages if m["To"] == address]


# --- Signing up ----------------------------------------------------------------------------------


def test_a_visitor_signs_up_on_a_sold_out_product_and_is_told_what_will_happen(client, shop):
    page = page_words(client.get(f"/produit/{shop.tomato.id}"))
    assert "Épuisé" in page and "Prévenez-moi" in page and "Me prévenir" in page
    catalog = page_text(client.get("/"))
    assert f'href="/produit/{shop.tomato.id}#prevenez-moi"' in catalog

    response = sign_up(client, shop.tomato, "Camille@Exemple.fr ", "12")
    assert response.status_code == 302
    page = page_words(client.get(response.headers["Location"]))
    assert "Vous êtes sur la liste" in page
    assert "Un seul e-mail à camille@exemple.fr" in page
    assert "Quantité souhaitée : 12" in page
    (entry,) = entries()
    assert f'href="/prevenez-moi/desinscription/{entry.token}"' in page_text(
        client.get(response.headers["Location"])
    )
    assert (entry.product_id, entry.email, entry.quantity) == (
        shop.tomato.id,
        "camille@exemple.fr",
        12,
    )
    assert entry.week_id == shop.week.id and entry.locale == "fr" and entry.ended_at is None
    assert re.fullmatch(r"[0-9a-f]{32}", entry.ip_hash)
    assert len(entry.token) >= 40


def test_a_product_not_offered_this_week_has_its_page_and_the_form(client, shop):
    response = client.get(f"/produit/{shop.basil.id}")
    assert response.status_code == 200
    page = page_words(response)
    assert "Ce produit n'est pas proposé cette semaine." in page and "Me prévenir" in page
    assert "Ajouter" not in page
    assert sign_up(client, shop.basil, quantity="").status_code == 302
    assert [(e.product_id, e.quantity) for e in entries()] == [(shop.basil.id, None)]


def test_the_catalog_leads_to_the_products_not_offered_this_week(client, shop, make_product):
    make_product(name="Sauge", active=False)
    assert 'href="/prevenez-moi/"' in page_text(client.get("/"))
    page = page_words(client.get("/prevenez-moi/"))
    assert "Pas proposés cette semaine" in page and "Basilic Grand vert" in page
    assert "Tomate" not in page and "Poireau" not in page and "Sauge" not in page
    assert f'href="/produit/{shop.basil.id}#prevenez-moi"' in page_text(
        client.get("/prevenez-moi/")
    )


def test_an_available_product_has_no_form_and_its_sign_up_says_order_now(client, shop):
    assert "Me prévenir" not in page_text(client.get(f"/produit/{shop.leek.id}"))
    response = sign_up(client, shop.leek)
    assert response.headers["Location"].endswith(f"/produit/{shop.leek.id}")
    assert "vous pouvez le commander dès maintenant" in page_text(
        client.get(response.headers["Location"])
    )
    assert entries() == []


@pytest.mark.parametrize(
    "email, quantity, message",
    [
        ("camille@", "", "Adresse e-mail invalide."),
        ("camille at exemple.fr", "2", "Adresse e-mail invalide."),
        ("", "", "Indiquez votre adresse e-mail."),
        ("camille@exemple.fr", "0", "Indiquez un nombre entier entre 1 et 999"),
        ("camille@exemple.fr", "-3", "Indiquez un nombre entier entre 1 et 999"),
        ("camille@exemple.fr", "1000", "Indiquez un nombre entier entre 1 et 999"),
        ("camille@exemple.fr", "2,5", "Indiquez un nombre entier entre 1 et 999"),
        ("camille@exemple.fr", "beaucoup", "Indiquez un nombre entier entre 1 et 999"),
        ("camille@exemple.fr", "99999999999999999999", "Indiquez un nombre entier entre 1 et 999"),
        ("camille@exemple.fr", "1e9", "Indiquez un nombre entier entre 1 et 999"),
        ("camille@exemple.fr", "１２", "Indiquez un nombre entier entre 1 et 999"),
        ("camille@exemple.fr\r\nBcc: tous@exemple.fr", "", "Adresse e-mail invalide."),
        ("camille@exemple.fr\u200b", "", "Adresse e-mail invalide."),
        ("c" * 10_000 + "@exemple.fr", "", "Adresse e-mail invalide."),
    ],
)
def test_bad_input_gets_a_clear_message_and_writes_nothing(client, shop, email, quantity, message):
    response = sign_up(client, shop.tomato, email, quantity)
    assert response.status_code == 422
    assert message in page_text(response)
    assert entries() == []


def test_an_unknown_or_retired_product_is_not_found(client, shop):
    assert sign_up(client, type("P", (), {"id": 999_999})).status_code == 404
    assert client.get("/produit/999999").status_code == 404
    for huge in (2**31, 2**63, 10**30):  # beyond PostgreSQL's integer: a 404, not a 500
        assert sign_up(client, type("P", (), {"id": huge})).status_code == 404
        assert client.get(f"/prevenez-moi/produit/{huge}").status_code == 404
    shop.basil.active = False
    db.session.commit()
    assert sign_up(client, shop.basil).status_code == 404
    assert client.get(f"/produit/{shop.basil.id}").status_code == 404
    assert entries() == []


def test_the_same_address_twice_is_already_on_the_list(client, shop):
    sign_up(client, shop.tomato, "camille@exemple.fr", "3")
    response = sign_up(client, shop.tomato, "CAMILLE@exemple.fr", "8")
    assert response.status_code == 302
    assert "Vous êtes déjà sur la liste" in page_text(client.get(response.headers["Location"]))
    assert [(e.email, e.quantity) for e in entries()] == [("camille@exemple.fr", 3)]


def test_one_address_waits_for_a_limited_number_of_products(app, client, shop, make_product):
    app.config["WAITLIST_MAX_PER_ADDRESS"] = 3
    products = [shop.tomato, shop.basil, make_product(name="Persil")]
    for product in products:
        assert sign_up(client, product).status_code == 302
    response = sign_up(client, make_product(name="Aneth"))
    assert response.status_code == 422
    assert "Cette adresse attend déjà 3 produits : c'est le maximum." in page_text(response)
    assert len(entries()) == 3
    assert sign_up(client, shop.tomato, "lea@exemple.fr").status_code == 302  # another address


def test_a_hundred_sign_ups_from_one_connection_are_stopped(make_app, shop, make_product):
    limited = make_app(RATELIMIT_ENABLED=True, WAITLIST_RATE_LIMIT="5 per hour")
    client = limited.test_client()
    statuses = [
        sign_up(client, shop.tomato, f"personne{n}@exemple.fr").status_code for n in range(100)
    ]
    assert statuses[:5] == [302] * 5 and set(statuses[5:]) == {429}
    page = page_text(sign_up(client, shop.basil, "encore@exemple.fr"))
    assert "Trop d'inscriptions depuis cette connexion" in page
    assert len(entries()) == 5


def test_a_forwarded_for_header_from_outside_the_proxy_does_not_reset_the_limit(make_app, shop):
    """Behind the trusted proxy only its X-Forwarded-For counts: a client reaching the app
    directly cannot pose as a new address at each sign-up."""
    limited = make_app(
        RATELIMIT_ENABLED=True,
        WAITLIST_RATE_LIMIT="3 per hour",
        TRUSTED_PROXIES=1,
        PROXY_ADDRESSES=["10.0.0.1"],
    )
    client = limited.test_client()

    def post(n, remote, forwarded):
        return client.post(
            f"/prevenez-moi/produit/{shop.tomato.id}",
            data={"email": f"personne{n}@exemple.fr"},
            headers={"X-Forwarded-For": forwarded},
            environ_base={"REMOTE_ADDR": remote},
        ).status_code

    direct = [post(n, "203.0.113.9", f"198.51.100.{n}") for n in range(5)]
    assert direct == [302, 302, 302, 429, 429]
    proxied = [post(10 + n, "10.0.0.1", "198.51.100.77") for n in range(4)]
    assert proxied == [302, 302, 302, 429]  # the client the proxy names has its own count
    assert len(entries()) == 6


def test_every_waiting_list_form_needs_its_csrf_token(make_app, shop):
    protected = make_app(WTF_CSRF_ENABLED=True)
    client = protected.test_client()
    response = client.post(
        f"/prevenez-moi/produit/{shop.tomato.id}", data={"email": "camille@exemple.fr"}
    )
    assert response.status_code == 400 and entries() == []
    entry = waitlist.sign_up(shop.basil, "camille@exemple.fr").entry
    db.session.commit()
    with protected.app_context():
        address_link = "/prevenez-moi/ne-plus-me-prevenir/" + waitlist.address_token(entry.email)
    for link in (f"/prevenez-moi/desinscription/{entry.token}", address_link):
        assert client.post(link).status_code == 400
    assert entries()[0].ended_at is None


def test_a_signed_in_customer_uses_their_account(client, shop, make_user, login):
    customer = make_user(email="Lea.Durand@exemple.fr")
    login(customer)
    page = page_text(client.get(f"/produit/{shop.tomato.id}"))
    assert 'name="email"' not in page and "Nous vous écrirons à Lea.Durand@exemple.fr" in page
    assert (
        client.post(f"/prevenez-moi/produit/{shop.tomato.id}", data={"quantity": "4"}).status_code
        == 302
    )
    (entry,) = entries()
    assert (entry.email, entry.customer_id, entry.quantity) == (
        "lea.durand@exemple.fr",
        customer.id,
        4,
    )
    assert "Vous êtes sur la liste" in page_text(client.get(f"/produit/{shop.tomato.id}"))
    # "Mon compte" lists it, with "ne plus me prévenir".
    page = page_words(client.get("/prevenez-moi/mes-alertes"))
    assert "Tomate Cœur de bœuf 4 souhaités" in page
    response = client.post(f"/prevenez-moi/mes-alertes/{entry.id}/arreter")
    assert "Nous ne vous préviendrons plus pour « Tomate Cœur de bœuf »." in page_text(
        client.get(response.headers["Location"])
    )
    db.session.refresh(entry)
    assert entry.end_reason == "unsubscribed"


def test_someone_elses_alert_cannot_be_stopped(client, shop, make_user, login):
    sign_up(client, shop.tomato, "camille@exemple.fr")
    login(make_user(email="lea@exemple.fr"))
    (entry,) = entries()
    assert client.post(f"/prevenez-moi/mes-alertes/{entry.id}/arreter").status_code == 404
    assert entries()[0].ended_at is None


def test_an_address_alerts_are_an_accounts_once_it_proved_the_address(
    client, shop, make_user, login
):
    """Anyone can open an account with someone else's address: until its owner confirms it,
    the alerts left with that address are not the account's to see, stop or erase."""
    sign_up(client, shop.tomato, "camille@exemple.fr")
    (entry,) = entries()
    impostor = make_user(email="camille@exemple.fr", email_verified_at=None)
    login(impostor)
    assert "Tomate" not in page_text(client.get("/prevenez-moi/mes-alertes"))
    assert client.post(f"/prevenez-moi/mes-alertes/{entry.id}/arreter").status_code == 404
    assert entries()[0].ended_at is None

    impostor.email_verified_at = utcnow()  # the owner after all: they read the mail
    db.session.commit()
    assert "Tomate Cœur de bœuf" in page_words(client.get("/prevenez-moi/mes-alertes"))
    assert client.post(f"/prevenez-moi/mes-alertes/{entry.id}/arreter").status_code == 302
    db.session.refresh(entry)
    assert entry.end_reason == "unsubscribed"


# --- The one mail ----------------------------------------------------------------------------------


def test_staff_raising_stock_in_the_grid_mails_each_waiting_address_once(
    client, shop, mailbox, make_user, login
):
    sign_up(client, shop.tomato, "camille@exemple.fr", "2")
    sign_up(client, shop.tomato, "lea@exemple.fr")
    sign_up(client, shop.basil, "marc@exemple.fr")  # basil stays not offered
    login(make_user(role="staff", email="equipe@lapepiniere.example"))
    response = client.post(
        f"/gestion/semaines/{shop.week.id}",
        data=grid_data([(shop.tomato.id, {"offered": True, "quantity": 10})]),
    )
    assert response.status_code == 302
    page = page_text(client.get(response.headers["Location"]))
    assert "2 personnes qui attendaient un produit de retour sont prévenues par e-mail." in page
    send_due()

    (mail,) = mails_to(mailbox, "camille@exemple.fr")
    assert len(mails_to(mailbox, "lea@exemple.fr")) == 1
    assert mails_to(mailbox, "marc@exemple.fr") == []
    assert mail["Subject"] == "« Tomate Cœur de bœuf » est de retour"
    text = mailbox.body(mail)
    camille = entries(email="camille@exemple.fr")[0]
    link = f"{PUBLIC}/prevenez-moi/retour/{shop.tomato.id}/fr"
    assert link in text
    token = waitlist.address_token("camille@exemple.fr")
    assert f"{PUBLIC}/prevenez-moi/ne-plus-me-prevenir/{token}" in text
    assert f'href="{link}"' in mailbox.body(mail, "html")
    landing = client.get(link.removeprefix(PUBLIC))
    assert landing.headers["Location"] == f"/produit/{shop.tomato.id}"
    assert (camille.end_reason, camille.notified_week_id) == ("notified", shop.week.id)
    assert camille.notified_at is not None and camille.ended_at is not None

    # A second sweep, another grid save, the command: nothing more.
    assert sweep() == 0
    client.post(
        f"/gestion/semaines/{shop.week.id}",
        data=grid_data([(shop.tomato.id, {"offered": True, "quantity": 12})]),
    )
    send_due()
    assert len(mailbox.messages) == 2
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 2


def test_stock_freed_by_a_cancellation_is_found_by_the_workers_round(
    app, client, shop, mailbox, runner
):
    sign_up(client, shop.tomato, "camille@exemple.fr")
    result = runner.invoke(args=["waitlist", "notify"])
    assert "0 waiting-list e-mails queued." in result.output
    shop.offers[shop.tomato.id].quantity_reserved = 1  # an order cancelled
    db.session.commit()
    result = runner.invoke(args=["outbox", "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "1 waiting-list e-mails queued." in result.output
    send_due()
    assert len(mails_to(mailbox, "camille@exemple.fr")) == 1
    assert "0 waiting-list" in runner.invoke(args=["waitlist", "notify"]).output


def test_a_product_offered_in_a_new_week_is_announced_once_that_week_opens(
    client, shop, mailbox, runner, make_week
):
    sign_up(client, shop.basil, "camille@exemple.fr", "5")
    next_week = make_week(
        label="Semaine 50",
        opens_in=timedelta(days=2),
        offers=[(shop.basil, {"quantity_available": None})],
    )
    assert "0 waiting-list" in runner.invoke(args=["waitlist", "notify"]).output  # not open yet
    # The clock moves on: this week closes, the next one opens.
    shop.week.opens_at -= timedelta(days=7)
    shop.week.closes_at = utcnow() - timedelta(minutes=1)
    next_week.opens_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert "1 waiting-list e-mails queued." in runner.invoke(args=["waitlist", "notify"]).output
    assert "0 waiting-list" in runner.invoke(args=["waitlist", "notify"]).output
    send_due()
    (mail,) = mailbox.messages
    assert "Basilic Grand vert" in mail["Subject"]
    assert "Semaine 50" in mailbox.body(mail)
    (entry,) = entries()
    assert entry.notified_week_id == next_week.id and entry.week_id == shop.week.id


def test_copying_last_weeks_offers_into_the_open_week_mails_at_once(
    visitor, shop, mailbox, make_week, staff_client
):
    sign_up(visitor, shop.basil, "camille@exemple.fr")
    sign_up(visitor, shop.tomato, "lea@exemple.fr")
    make_week(
        label="Semaine 48",
        status="archived",
        opens_in=timedelta(days=-8),
        offers=[(shop.basil, {"quantity_available": 6}), (shop.tomato, {"quantity_available": 2})],
    )
    response = staff_client.post(f"/gestion/semaines/{shop.week.id}/copier")
    assert "1 personne qui attendait un produit de retour est prévenue par e-mail." in page_text(
        staff_client.get(response.headers["Location"])
    )
    send_due()
    assert [m["To"] for m in mailbox.messages] == ["camille@exemple.fr"]  # tomatoes: 2 of 2 held
    staff_client.post(f"/gestion/semaines/{shop.week.id}/copier")  # again: nothing more
    send_due()
    assert len(mailbox.messages) == 1


def test_publishing_a_week_that_is_already_open_mails_at_once(
    visitor, shop, mailbox, make_week, staff_client
):
    sign_up(visitor, shop.basil, "camille@exemple.fr")
    shop.week.closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    draft = make_week(
        label="Semaine 50",
        status="draft",
        opens_in=timedelta(minutes=-1),
        offers=[(shop.basil, {"quantity_available": 5})],
    )
    response = staff_client.post(f"/gestion/semaines/{draft.id}/publier")
    assert "1 personne qui attendait un produit de retour est prévenue par e-mail." in page_text(
        staff_client.get(response.headers["Location"])
    )
    send_due()
    assert len(mails_to(mailbox, "camille@exemple.fr")) == 1


def test_two_sweeps_at_the_same_moment_send_each_mail_once(app, client, shop, monkeypatch):
    for n in range(6):
        sign_up(client, shop.tomato, f"personne{n}@exemple.fr")
    shop.offers[shop.tomato.id].quantity_available = 50
    db.session.commit()
    db.session.remove()

    # Both sweeps read the same six waiting entries before either ends one.
    both_read = threading.Barrier(2, timeout=20)
    original = waitlist._due

    def due_then_wait(week):
        rows = original(week)
        both_read.wait()
        return rows

    monkeypatch.setattr(waitlist, "_due", due_then_wait)
    results, errors = [], []

    def run():
        try:
            with app.app_context():
                results.append(sweep())
                db.session.remove()
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(results) in ([0, 6], [3, 3], [1, 5], [2, 4])
    assert sum(results) == 6
    recipients = db.session.scalars(select(OutboxMessage.recipient)).all()
    assert sorted(recipients) == sorted(f"personne{n}@exemple.fr" for n in range(6))
    assert {e.end_reason for e in entries()} == {"notified"}


# --- Ending without a mail --------------------------------------------------------------------------


def test_the_mails_link_ends_every_entry_of_the_address(client, shop, mailbox):
    sign_up(client, shop.tomato, "camille@exemple.fr")
    sign_up(client, shop.basil, "camille@exemple.fr")
    sign_up(client, shop.tomato, "lea@exemple.fr")
    # The link comes in the mail (signed for the address), never on a page a visitor sees.
    link = "/prevenez-moi/ne-plus-me-prevenir/" + waitlist.address_token("camille@exemple.fr")
    page = page_words(client.get(link))
    assert "camille@exemple.fr attend 2 produits." in page and "Ne plus me prévenir" in page
    response = client.post(link)
    assert "Nous n'écrirons plus à camille@exemple.fr" in page_text(response)
    assert {e.end_reason for e in entries(email="camille@exemple.fr")} == {"unsubscribed"}
    assert entries(email="lea@exemple.fr")[0].ended_at is None
    # Again: nothing left, said plainly.
    assert "n'est plus sur aucune liste d'attente" in page_text(client.get(link))
    shop.offers[shop.tomato.id].quantity_available = 10
    db.session.commit()
    assert sweep() == 1
    send_due()
    assert [m["To"] for m in mailbox.messages] == ["lea@exemple.fr"]
    assert client.get("/prevenez-moi/desinscription/pas-un-jeton").status_code == 404
    assert client.get(link[:-3] + "abc").status_code == 404  # an altered signature


def test_the_sign_up_link_ends_that_entry_only(client, shop):
    """Whoever typed an address sees the confirmation page and its link: someone signing up
    another person's address must not be able to end that person's other alerts with it."""
    sign_up(client, shop.basil, "camille@exemple.fr")
    sign_up(client, shop.tomato, "camille@exemple.fr")
    tomato_entry = entries(email="camille@exemple.fr", product_id=shop.tomato.id)[0]
    link = f"/prevenez-moi/desinscription/{tomato_entry.token}"
    page = page_words(client.get(link))
    assert f"camille@exemple.fr attend « {shop.tomato.full_name} »." in page
    assert "Nous n'écrirons pas à camille@exemple.fr quand" in page_text(client.post(link))
    db.session.expire_all()
    reasons = {e.product_id: e.end_reason for e in entries(email="camille@exemple.fr")}
    assert reasons == {shop.tomato.id: "unsubscribed", shop.basil.id: ""}
    assert "Cette alerte est terminée" in page_text(client.get(link))
    confirmation = page_text(client.get(f"/prevenez-moi/inscription/{tomato_entry.token}"))
    assert "<h1>Alerte terminée</h1>" in confirmation
    assert "Vous êtes sur la liste" not in confirmation  # above « plus sur la liste »


def test_the_links_of_an_english_sign_up_open_in_english_on_another_device(app, client, shop):
    client.post("/langue", data={"lang": "en"})
    sign_up(client, shop.tomato, "sam@example.com")
    (entry,) = entries()
    links = (
        f"/prevenez-moi/desinscription/{entry.token}",
        "/prevenez-moi/ne-plus-me-prevenir/" + waitlist.address_token("sam@example.com"),
    )
    for link in links:
        elsewhere = app.test_client()  # the mail read on a phone: no language chosen there
        assert '<html lang="en' in page_text(elsewhere.get(link))
        assert '<html lang="en' in page_text(elsewhere.get("/"))  # and the shop from then on
        chosen = app.test_client()
        chosen.post("/langue", data={"lang": "fr"})
        assert '<html lang="fr' in page_text(chosen.get(link))  # a choice made stays
    french = waitlist.sign_up(shop.basil, "lea@exemple.fr", locale="fr")
    db.session.commit()
    assert '<html lang="fr' in page_text(
        app.test_client().get(f"/prevenez-moi/desinscription/{french.entry.token}")
    )


def test_the_back_in_stock_mail_carries_the_address_link(client, shop, mailbox):
    sign_up(client, shop.tomato, "camille@exemple.fr")
    shop.offers[shop.tomato.id].quantity_available = 10
    db.session.commit()
    assert sweep() == 1
    send_due()
    (message,) = mailbox.messages
    body = mailbox.body(message)
    token = waitlist.address_token("camille@exemple.fr")
    assert f"/prevenez-moi/ne-plus-me-prevenir/{token}" in body
    assert entries()[0].token not in body


def test_a_retired_product_ends_its_list_without_a_mail(visitor, shop, staff_client, mailbox):
    sign_up(visitor, shop.tomato, "camille@exemple.fr")
    staff_client.post(f"/gestion/produits/{shop.tomato.id}/activation")
    (entry,) = entries()
    assert (entry.end_reason, entry.notified_at) == ("retired", None)
    shop.tomato.active = True
    shop.offers[shop.tomato.id].quantity_available = 10
    db.session.commit()
    assert sweep() == 0
    send_due()
    assert mailbox.messages == []


def test_the_sweep_ends_the_entries_of_products_retired_any_other_way(client, shop):
    sign_up(client, shop.basil, "camille@exemple.fr")
    shop.basil.active = False  # e.g. a catalog import
    db.session.commit()
    assert sweep() == 0
    assert entries()[0].end_reason == "retired"


# --- Staff ------------------------------------------------------------------------------------


def test_the_grid_shows_who_waits_and_for_how_many_in_one_query(
    visitor, shop, staff_client, count_queries
):
    sign_up(visitor, shop.tomato, "camille@exemple.fr", "4")
    sign_up(visitor, shop.tomato, "lea@exemple.fr")
    sign_up(visitor, shop.basil, "marc@exemple.fr", "10")
    sign_up(visitor, shop.basil, "ended@exemple.fr", "7")
    waitlist.unsubscribe("ended@exemple.fr")
    db.session.commit()
    html = page_text(staff_client.get(f"/gestion/semaines/{shop.week.id}"))
    cell = re.search(
        rf'<td class="num waiting" data-product="{shop.tomato.id}">(.*?)</td>', html, re.S
    )
    assert re.sub(r"<[^>]+>", "", cell.group(1)).split() == [
        "en",
        "attente",
        ":",
        "2",
        "pers.",
        "·",
        "5",
        "unités",
    ]
    cell = re.search(
        rf'<td class="num waiting" data-product="{shop.leek.id}">(.*?)</td>', html, re.S
    )
    assert cell.group(1).strip() == ""
    with count_queries() as queries:
        counts = waitlist.waiting_counts()
    assert counts == {shop.tomato.id: (2, 5), shop.basil.id: (1, 10)}
    assert len(queries) == 1
    assert waitlist.waiting_counts([shop.basil.id]) == {shop.basil.id: (1, 10)}


# --- Personal data ----------------------------------------------------------------------------


def test_deleting_an_account_ends_and_erases_its_entries(client, shop, make_user, login):
    customer = make_user(email="lea@exemple.fr")
    login(customer)
    page = page_words(client.get("/compte/mes-donnees"))  # what the export and deletion cover
    assert "les commandes groupées que vous coordonnez et vos alertes « Prévenez-moi »" in page
    assert "vos commandes régulières et vos alertes « Prévenez-moi » arrêtées" in page
    client.post(f"/prevenez-moi/produit/{shop.tomato.id}", data={"quantity": "2"})
    archive = zipfile.ZipFile(io.BytesIO(export_archive(customer)))
    alerts = json.loads(archive.read("alertes.json"))
    assert [(a["product"], a["email"], a["quantity"]) for a in alerts] == [
        ("Tomate Cœur de bœuf", "lea@exemple.fr", 2)
    ]
    link = f"/prevenez-moi/desinscription/{entries()[0].token}"
    assert client.get(link).status_code == 200
    delete_account(customer)
    db.session.commit()
    (entry,) = entries()
    assert (entry.end_reason, entry.email, entry.ip_hash) == ("erased", "", None)
    assert client.get(link).status_code == 404  # no page left naming the alert


def test_the_purge_removes_entries_ended_long_ago(app, client, shop, runner):
    sign_up(client, shop.tomato, "old@exemple.fr")
    sign_up(client, shop.basil, "recent@exemple.fr")
    sign_up(client, shop.tomato, "waiting@exemple.fr")
    long_ago = utcnow() - timedelta(days=app.config["PRIVACY_ORDER_DAYS"] + 1)
    old, recent, _waiting = entries()
    old.ended_at, old.end_reason = long_ago, "notified"
    recent.ended_at, recent.end_reason = utcnow(), "unsubscribed"
    db.session.commit()
    result = runner.invoke(args=["privacy", "purge"])
    assert "1 ended waiting-list entries deleted" in result.output
    assert [e.email for e in entries()] == ["recent@exemple.fr", "waiting@exemple.fr"]


def test_the_purge_erases_the_address_of_an_alert_ended_as_long_ago_as_its_mail(
    app, client, shop, runner
):
    """The demand stays (the dashboard and the sowing forecast count ended entries); the
    address of someone who was mailed or unsubscribed does not outlive the mail itself."""
    for email in ("old@exemple.fr", "recent@exemple.fr", "waiting@exemple.fr"):
        sign_up(client, shop.tomato, email, "3")
    old, recent, waiting = entries()
    old_link = f"/prevenez-moi/desinscription/{old.token}"
    old.ended_at = utcnow() - timedelta(days=app.config["PRIVACY_OUTBOX_DAYS"] + 1)
    old.end_reason = "unsubscribed"
    recent.ended_at, recent.end_reason = utcnow() - timedelta(days=2), "notified"
    db.session.commit()
    result = runner.invoke(args=["privacy", "purge"])
    assert "1 ended waiting-list entries: address erased" in result.output
    db.session.expire_all()
    assert (old.email, old.ip_hash, old.quantity, old.product_id) == ("", None, 3, shop.tomato.id)
    assert client.get(old_link).status_code == 404  # its link went with the address
    assert recent.email == "recent@exemple.fr" and recent.ip_hash is not None
    assert waiting.email == "waiting@exemple.fr" and waiting.ended_at is None
    assert (
        "0 ended waiting-list entries: address erased"
        in runner.invoke(args=["privacy", "purge"]).output
    )


def test_an_entry_made_in_english_is_mailed_in_english(app, client, shop, mailbox, monkeypatch):
    """The sweep runs in the worker, outside any request: the subject too is written in the
    language the visitor signed up in, not in the worker's (French)."""
    from flask_babel import force_locale, get_translations

    from boutique.formatting import babel_locale, format_when

    with app.test_request_context(), force_locale(babel_locale("en")):
        english = get_translations()
    # The lead translates at the end; until then, one English subject stands in for it.
    monkeypatch.setitem(english._catalog, "« %(product)s » est de retour", "%(product)s is back")
    client.post("/langue", data={"lang": "en"})
    assert sign_up(client, shop.tomato, "sam@example.com").status_code == 302
    assert entries()[0].locale == "en"
    shop.offers[shop.tomato.id].quantity_available = 10
    db.session.commit()
    assert sweep() == 1
    send_due()
    (mail,) = mailbox.messages
    assert mail["Subject"] == "Tomate Cœur de bœuf is back"
    assert '<html lang="en">' in mailbox.body(mail, "html")
    with app.test_request_context(), force_locale(babel_locale("en")):
        closes = format_when(shop.week.closes_at)
    with app.test_request_context():
        assert format_when(shop.week.closes_at) != closes  # the same date in French
    assert closes in mailbox.body(mail)
    # Its link, opened on a phone where no language was chosen: the product's page in English.
    link = f"/prevenez-moi/retour/{shop.tomato.id}/en"
    assert f"{PUBLIC}{link}" in mailbox.body(mail)
    phone = app.test_client()
    assert '<html lang="en' in page_text(phone.get(link, follow_redirects=True))


def test_one_round_of_the_cron_worker_delivers_the_mail(client, shop, mailbox, runner):
    """`flask outbox worker --once` from cron: the mail the round's sweep queued goes out in
    that same round, not a minute later."""
    sign_up(client, shop.tomato, "camille@exemple.fr")
    shop.offers[shop.tomato.id].quantity_reserved = 1  # an order cancelled, a line lowered
    db.session.commit()
    result = runner.invoke(args=["outbox", "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "1 sent" in result.output
    assert len(mails_to(mailbox, "camille@exemple.fr")) == 1
    runner.invoke(args=["outbox", "worker", "--once"])
    assert len(mailbox.messages) == 1


def test_a_sweep_that_fails_does_not_stop_the_cron_worker_sending(
    client, shop, mailbox, runner, monkeypatch
):
    from tests.conftest import add_mail

    sign_up(client, shop.tomato, "camille@exemple.fr")
    shop.offers[shop.tomato.id].quantity_available = 10
    add_mail(recipient="lea@exemple.fr")  # an order's mail, due
    monkeypatch.setattr(waitlist, "_mail", lambda entry, week: 1 / 0)
    result = runner.invoke(args=["outbox", "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert [m["To"] for m in mailbox.messages] == ["lea@exemple.fr"]
    assert entries()[0].ended_at is None  # still waiting: the next round mails it


def test_a_sweep_that_fails_half_way_loses_nothing_and_fails_no_page(
    client, shop, mailbox, make_user, login, monkeypatch
):
    sign_up(client, shop.tomato, "camille@exemple.fr")
    sign_up(client, shop.tomato, "lea@exemple.fr")
    login(make_user(role="staff", email="equipe@lapepiniere.example"))
    original, written = waitlist._mail, []

    def second_mail_fails(entry, week):
        if written:
            raise RuntimeError("the mail's template cannot be written")
        written.append(original(entry, week))

    monkeypatch.setattr(waitlist, "_mail", second_mail_fails)
    response = client.post(
        f"/gestion/semaines/{shop.week.id}",
        data=grid_data([(shop.tomato.id, {"offered": True, "quantity": 10})]),
    )
    assert response.status_code == 302  # the grid is saved, its page does not fail
    assert "Disponibilités enregistrées." in page_text(client.get(response.headers["Location"]))
    db.session.expire_all()
    assert shop.offers[shop.tomato.id].quantity_available == 10
    assert {e.end_reason for e in entries()} == {""}  # nobody ended, nothing queued
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0

    monkeypatch.setattr(waitlist, "_mail", original)
    assert sweep() == 2  # the worker's next round
    send_due()
    assert sorted(m["To"] for m in mailbox.messages) == ["camille@exemple.fr", "lea@exemple.fr"]


def test_a_mail_server_down_delays_the_mail_and_never_sends_it_twice(app, client, shop, mailbox):
    from tests.conftest import free_port

    sign_up(client, shop.tomato, "camille@exemple.fr")
    shop.offers[shop.tomato.id].quantity_available = 10
    db.session.commit()
    port, app.config["MAIL_PORT"] = app.config["MAIL_PORT"], free_port()  # refused
    assert sweep() == 1
    assert send_due() == (0, 1)
    assert entries()[0].end_reason == "notified" and sweep() == 0
    app.config["MAIL_PORT"] = port
    later = utcnow() + timedelta(minutes=2)
    assert send_due(now=later) == (1, 0)
    assert send_due(now=later + timedelta(hours=1)) == (0, 0)
    assert len(mails_to(mailbox, "camille@exemple.fr")) == 1
