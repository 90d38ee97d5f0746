"""Two app servers, one database, one Redis (issue 11, part 7).

Each server is its own process (its own catalog cache, its own rate limiter), as two gunicorn
hosts would be; they share the test database and a Redis database of their own.
"""

import multiprocessing
import re
import signal
import time

import pytest
import redis
import requests
from sqlalchemy import select

from boutique.extensions import db
from boutique.models import OutboxMessage
from tests.conftest import TEST_PASSWORD, add_mail, free_port, start_outbox_worker

REDIS_URL = "redis://127.0.0.1:6379/11"


def serve(database_url, port, smtp_port):
    """Run one app server until killed (the target of a spawned process)."""
    from werkzeug.serving import make_server

    from boutique import create_app

    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=database_url,
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=REDIS_URL,
        AUTH_RATE_LIMIT="4 per minute",
        MAIL_PORT=smtp_port,
        OUTBOX_SEND_AFTER_RESPONSE=False,
    )
    make_server("127.0.0.1", port, app, threaded=True).serve_forever()


@pytest.fixture
def shared_redis():
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.flushdb()
    except redis.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def two_servers(app, migrated, smtp_server, shared_redis):
    context = multiprocessing.get_context("spawn")
    servers = []
    for _ in range(2):
        port = free_port()
        process = context.Process(target=serve, args=(migrated, port, smtp_server.port))
        process.start()
        servers.append((f"http://127.0.0.1:{port}", process))
    for base, _process in servers:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{base}/healthz", timeout=2)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    yield [base for base, _process in servers]
    for _base, process in servers:
        process.terminate()
        process.join(10)


def test_a_staff_change_on_one_server_shows_at_once_on_the_other(
    two_servers, staff, make_product, make_week
):
    first, second = two_servers
    basil = make_product(name="Basilic", variety="Grand vert")
    make_week(offers=[basil])
    assert "Basilic" in requests.get(f"{second}/", timeout=10).text  # cached there now

    staff_session = requests.Session()
    response = staff_session.post(
        f"{first}/compte/connexion",
        data={"email": staff.email, "password": TEST_PASSWORD},
        allow_redirects=False,
    )
    assert response.status_code == 302
    response = staff_session.post(f"{first}/gestion/produits/{basil.id}/activation", timeout=10)
    assert response.status_code == 200 and "est désactivé" in response.text

    assert "Basilic" not in requests.get(f"{second}/", timeout=10).text


def test_rate_limits_are_shared_between_the_servers(two_servers, make_user):
    first, second = two_servers
    user = make_user()
    statuses = [
        requests.post(
            f"{base}/compte/connexion",
            data={"email": user.email, "password": "pas-le-bon-1"},
            allow_redirects=False,
            timeout=10,
        ).status_code
        for base in (first, second, first, second, first)
    ]
    assert statuses == [200, 200, 200, 200, 429]  # 4 per minute, counted across both


def test_two_outbox_workers_send_each_mail_once(app, migrated, smtp_server, mailbox):
    """Two `flask outbox worker` services (one per server) polling the same outbox."""
    workers = [start_outbox_worker(migrated, smtp_server.port, "--limit", "5") for _ in range(2)]
    recipients = [f"client{number}@exemple.fr" for number in range(60)]
    try:
        time.sleep(3)  # both started and polling
        for recipient in recipients:
            add_mail(recipient=recipient, subject="Commande reçue")
        deadline = time.monotonic() + 90
        while len(mailbox.messages) < len(recipients) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(2)  # a mail sent twice would arrive now
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        outputs = [worker.communicate(timeout=30)[0] for worker in workers]
    received = sorted(message["To"] for message in mailbox.messages)
    assert received == sorted(recipients), outputs  # every mail once, none twice
    sent_by = [sum(int(n) for n in re.findall(r"(\d+) sent", output)) for output in outputs]
    assert sum(sent_by) == len(recipients), outputs
    db.session.expire_all()
    rows = db.session.scalars(select(OutboxMessage)).all()
    assert len(rows) == len(recipients) and all(row.sent_at for row in rows)
