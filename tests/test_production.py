"""Fail closed, and no request waits on the mail server (issue "Safe to put online").

Production is the default configuration and refuses to start without what it needs; demo data
never reaches it; its requests only write mails to the outbox, which `flask outbox worker`
delivers.
"""

import errno
import os
import signal
import threading
import time

import pytest
from sqlalchemy import func, select

from boutique import create_app
from boutique.extensions import db
from boutique.models import OutboxMessage, Product, User
from config import DEV_SECRET_KEY, ProductionConfig
from tests.conftest import add_mail, start_outbox_worker
from tests.test_public_address import PRODUCTION_SETTINGS, PUBLIC, place_order_through_pages


def settings_without(*names, **changes):
    settings = {k: v for k, v in PRODUCTION_SETTINGS.items() if k not in names}
    return {**settings, **changes}


# --- Fail closed ---------------------------------------------------------------------------------


def test_without_flask_config_the_app_is_production_and_refuses_the_development_secret(
    monkeypatch, make_app
):
    monkeypatch.delenv("FLASK_CONFIG", raising=False)
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", DEV_SECRET_KEY)
    with pytest.raises(RuntimeError, match="SECRET_KEY.*FLASK_CONFIG=development"):
        create_app()
    # Given what production needs, it starts: without DEBUG, with the production checks.
    app = make_app(None, **PRODUCTION_SETTINGS)
    assert app.config["PRODUCTION"] and not app.debug
    assert app.config["TRUSTED_HOSTS"] == ["boutique.lapepiniere.example"]


@pytest.mark.parametrize("public_url", [None, "", "http://boutique.lapepiniere.example", "https://"])
def test_production_refuses_to_start_without_its_https_public_address(monkeypatch, public_url):
    monkeypatch.setattr(ProductionConfig, "PUBLIC_URL", "")
    settings = settings_without("PUBLIC_URL")
    if public_url is not None:
        settings["PUBLIC_URL"] = public_url
    with pytest.raises(RuntimeError, match="PUBLIC_URL"):
        create_app("production", **settings)


@pytest.mark.parametrize("storage", [None, "memory://"])
def test_production_refuses_to_start_without_shared_rate_limit_storage(monkeypatch, storage):
    monkeypatch.setattr(ProductionConfig, "RATELIMIT_STORAGE_URI", "memory://")
    settings = settings_without("RATELIMIT_STORAGE_URI")
    if storage is not None:
        settings["RATELIMIT_STORAGE_URI"] = storage
    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI"):
        create_app("production", **settings)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"BANK_IBAN": ""}, "BANK_IBAN must be set"),
        ({"BANK_BIC": "", "BANK_ACCOUNT_HOLDER": ""}, "BANK_BIC, BANK_ACCOUNT_HOLDER must be set"),
        ({"BANK_IBAN": "FR76 3000 6000 0112 3456 7890 188"}, "BANK_IBAN is not a valid IBAN"),
        ({"BANK_BIC": "AGRI"}, "BANK_BIC is not a valid BIC"),
    ],
)
def test_production_refuses_to_offer_invoices_without_the_account_transfers_go_to(
    monkeypatch, changes, message
):
    for name in ("BANK_IBAN", "BANK_BIC", "BANK_ACCOUNT_HOLDER"):
        monkeypatch.setattr(ProductionConfig, name, "")
    with pytest.raises(RuntimeError, match=message):
        create_app("production", **settings_without(**changes))


def test_production_without_invoice_payment_needs_no_bank_details(monkeypatch, make_app):
    for name in ("BANK_IBAN", "BANK_BIC", "BANK_ACCOUNT_HOLDER"):
        monkeypatch.setattr(ProductionConfig, name, "")
    settings = settings_without("BANK_IBAN", "BANK_BIC", "BANK_ACCOUNT_HOLDER")
    app = make_app("production", **settings, INVOICE_PAYMENT=False)
    assert app.config["PRODUCTION"]


def test_production_starts_from_a_read_only_install(monkeypatch, make_app, make_product, make_week):
    """The code owned by root, the service's user writing only to the folders it is given: the
    instance folder cannot be created, and nothing in production needs it."""
    make_week(offers=[make_product(name="Tomate", variety="Cerise")])
    real_makedirs = os.makedirs

    def read_only_makedirs(path, *args, **kwargs):
        if os.path.basename(os.fspath(path)) == "instance":
            raise OSError(errno.EROFS, "Read-only file system", os.fspath(path))
        return real_makedirs(path, *args, **kwargs)

    monkeypatch.setattr(os, "makedirs", read_only_makedirs)

    production = make_app("production", **PRODUCTION_SETTINGS)

    page = production.test_client().get("/", base_url=PUBLIC)
    assert page.status_code == 200
    assert "Tomate" in page.get_data(as_text=True)


def test_demo_data_refuses_to_run_in_production(app, make_app):
    production = make_app("production", **PRODUCTION_SETTINGS)

    with production.app_context():  # the command runs in the app context it finds
        result = production.test_cli_runner().invoke(args=["demo-data"])

    assert result.exit_code == 1, result.output
    assert "demo-data refuses to run with the production configuration" in result.output
    assert db.session.scalar(select(func.count()).select_from(Product)) == 0
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


# --- No request waits on SMTP ------------------------------------------------------------------------


@pytest.fixture
def shop(make_product, make_week, make_pickup_slot):
    tomato = make_product(name="Tomate", variety="Cerise", price_individual_cents=250)
    week = make_week(offers=[tomato])
    return {"week": week, "tomato": week.offers[0], "slot": make_pickup_slot(week, capacity=5)}


def test_in_production_orders_mails_wait_in_the_outbox_for_the_worker(
    app, make_app, shop, blackhole, smtp_server, mailbox
):
    production = make_app(
        "production", **PRODUCTION_SETTINGS, MAIL_PORT=blackhole.port, MAIL_TIMEOUT=5
    )
    client = production.test_client()

    started = time.monotonic()
    response = place_order_through_pages(client, shop, base_url=PUBLIC)
    response.close()  # where development sends the request's mails
    health = client.get("/healthz", base_url=PUBLIC)
    elapsed = time.monotonic() - started

    assert response.status_code == 302 and health.status_code == 200
    assert elapsed < 5  # no request waited MAIL_TIMEOUT on the silent server
    time.sleep(0.2)  # a connection attempt would have been accepted by now
    assert blackhole.connections == []
    [mail] = db.session.scalars(select(OutboxMessage)).all()
    assert mail.sent_at is None and mail.attempts == 0

    # The worker, pointed at a mail server that answers, delivers it.
    production.config["MAIL_PORT"] = smtp_server.port
    with production.app_context():
        result = production.test_cli_runner().invoke(args=["outbox", "worker", "--once"])

    assert result.exit_code == 0, result.output
    assert "1 sent, 0 failed" in result.output
    assert [m["To"] for m in mailbox.messages] == ["camille@exemple.fr"]
    db.session.expire_all()
    assert db.session.get(OutboxMessage, mail.id).sent_at is not None


def test_development_still_sends_right_after_the_response(make_app):
    assert make_app("development", SECRET_KEY="d" * 40).config["OUTBOX_SEND_AFTER_RESPONSE"]
    assert make_app("testing").config["OUTBOX_SEND_AFTER_RESPONSE"]
    assert not make_app("production", **PRODUCTION_SETTINGS).config["OUTBOX_SEND_AFTER_RESPONSE"]


def test_a_failed_mail_is_logged_and_left_for_later(app, make_app, blackhole, caplog):
    from boutique.outbox import send_due

    production = make_app(
        "production", **PRODUCTION_SETTINGS, MAIL_PORT=blackhole.port, MAIL_TIMEOUT=0.3
    )
    add_mail(recipient="camille@exemple.fr")
    with production.app_context():
        started = time.monotonic()
        assert send_due() == (0, 1)
        assert time.monotonic() - started < 2  # MAIL_TIMEOUT, not the old 10 s
    assert "not sent (attempt 1" in caplog.text


def test_the_outbox_worker_sends_as_mails_fall_due_and_stops_on_sigterm(
    app, migrated, smtp_server, mailbox
):
    """The real command in its own process, as systemd runs it."""
    settings = {k: v for k, v in PRODUCTION_SETTINGS.items() if isinstance(v, str)}
    worker = start_outbox_worker(migrated, smtp_server.port, config="production", **settings)
    lines = []  # what the worker prints, read as it comes (a busy machine starts it slowly)
    reader = threading.Thread(target=lambda: lines.extend(iter(worker.stdout.readline, "")))
    reader.start()

    def wait_for(condition, seconds):
        deadline = time.monotonic() + seconds
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.1)

    try:
        wait_for(lambda: any("looking again every" in line for line in lines), 60)
        add_mail(recipient="alice@exemple.fr")
        wait_for(lambda: mailbox.messages, 30)
        assert [m["To"] for m in mailbox.messages] == ["alice@exemple.fr"], "".join(lines)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=20)
        reader.join(timeout=5)
        worker.stdout.close()
    output = "".join(lines)
    assert worker.returncode == 0, output
    assert "1 sent, 0 failed" in output
    assert "SIGTERM" in output and "Outbox worker stopped." in output
