"""One answer per click (DESIGN rule 10): "Commander" sent again after its answer was lost
finds the order the first one made and shows it; one order, one mail.

The lost answer is simulated where it happens: the commit reaches the database, then the
connection fails before the application hears back (an error raised once the commit is done),
or, on PostgreSQL, the server process is terminated while the commit is on its way.
"""

from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine, event, func, select, text

from boutique.extensions import db
from boutique.models import Order, OutboxMessage
from boutique.order_log import mail_customer
from tests.conftest import page_text
from tests.test_concurrency import order_form, stall, submit  # noqa: F401  (stall: a fixture)


def basket_count(client):
    with client.session_transaction() as session:
        return sum(((session.get("basket") or {}).get("items") or {}).values())


@pytest.fixture
def commit_answer_lost(app, monkeypatch):
    """Once armed, the next commit reaches the database, then its answer is lost: the driver
    raises the connection error after the data is saved."""
    dialect = db.engine.dialect
    real_commit, armed, lost = dialect.do_commit, [], []

    def do_commit(dbapi_connection):
        real_commit(dbapi_connection)
        if armed and not lost:
            lost.append(True)
            raise dialect.loaded_dbapi.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(dialect, "do_commit", do_commit)
    return SimpleNamespace(arm=lambda: armed.append(True), lost=lost)


def test_commander_whose_commit_answer_was_lost_shows_the_one_order(
    app,
    client,
    stall,  # noqa: F811
    commit_answer_lost,
    mailbox,
):
    week_id, offer_id, slot_id = stall(quantity_available=10, capacity=10)
    form = order_form(client, offer_id, slot_id, 0, quantity=2)
    basket_cookie = client.get_cookie("session").value

    # The commit saved the order, then failed: the view looks for it before answering.
    commit_answer_lost.arm()
    response = submit(client, form)
    assert commit_answer_lost.lost == [True]
    assert response.status_code == 302 and response.location.startswith("/commande/suivi/")
    response.close()
    page = page_text(client.get(response.location))
    assert "Merci ! Votre commande S" in page and "est enregistrée" in page

    # That answer was lost as well: the browser still has the basket and clicks again.
    client.set_cookie("session", basket_cookie)
    assert basket_count(client) == 2
    again = submit(client, form)
    assert (again.status_code, again.location) == (302, response.location)
    again.close()
    assert basket_count(client) == 0
    assert "Commande S" in page_text(client.get(again.location))

    orders = db.session.scalars(select(Order)).all()
    assert len(orders) == 1 and response.location.endswith(orders[0].access_token)
    assert orders[0].lines[0].quantity == 2
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    assert [message["Subject"] for message in mailbox.messages] == [
        f"Commande {orders[0].number} reçue"
    ]


@pytest.fixture
def postgresql_only(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("terminates a PostgreSQL server process (TEST_DATABASE_URL)")


def test_connection_killed_at_commit_then_commander_again_makes_one_order(
    app,
    client,
    stall,  # noqa: F811
    postgresql_only,
    mailbox,
):
    """The server process dies as the commit is sent: nothing was saved, the customer gets the
    error page, and "Commander" again places the order once."""
    week_id, offer_id, slot_id = stall(quantity_available=10, capacity=10)
    form = order_form(client, offer_id, slot_id, 0)
    admin = create_engine(db.engine.url, isolation_level="AUTOCOMMIT")
    killed = []

    def before_commit(conn):
        if not killed:
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            with admin.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            killed.append(pid)

    event.listen(db.engine, "commit", before_commit)
    try:
        lost = submit(client, form)
        assert lost.status_code == 503  # "momentanément indisponible", try again in a moment
    finally:
        event.remove(db.engine, "commit", before_commit)
        admin.dispose()
    assert killed
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0

    response = submit(client, form)
    assert response.status_code == 302 and response.location.startswith("/commande/suivi/")
    response.close()
    assert "Merci ! Votre commande S" in page_text(client.get(response.location))
    again = submit(client, form)
    assert again.location == response.location
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    assert len(mailbox.messages) == 1


def test_a_one_time_mail_is_queued_once_per_order_whatever_calls_it(
    app,
    client,
    stall,  # noqa: F811
):
    week_id, offer_id, slot_id = stall(quantity_available=10, capacity=10)
    form = order_form(client, offer_id, slot_id, 0)
    submit(client, form).close()
    order = db.session.scalar(select(Order))
    mail_customer(order, "order_received")  # the same move recorded a second time
    mail_customer(order, "order_confirmed")
    mail_customer(order, "order_confirmed")
    mail_customer(order, "order_changed")  # changes are told each time
    mail_customer(order, "order_changed")
    db.session.commit()
    subjects = db.session.scalars(
        select(OutboxMessage.subject).where(OutboxMessage.order_id == order.id)
    ).all()
    number = order.number
    assert sorted(subjects) == sorted(
        [
            f"Commande {number} reçue",
            f"Commande {number} confirmée",
            f"Commande {number} modifiée",
            f"Commande {number} modifiée",
        ]
    )


def test_phone_order_whose_commit_answer_was_lost_shows_the_order(
    app,
    staff_client,
    stall,  # noqa: F811
    commit_answer_lost,
):
    week_id, offer_id, slot_id = stall(quantity_available=10, capacity=10)
    form = {
        "name": "Mme Roux",
        "email": "roux@exemple.fr",
        "phone": "04 90 11 22 33",
        f"qty-{offer_id}": "3",
        "slot": str(slot_id),
        "payment_method": "on_pickup",
        "checkout_token": "phone-order-token-lost",
    }
    commit_answer_lost.arm()
    response = staff_client.post(f"/gestion/commandes/nouvelle?semaine={week_id}", data=form)
    assert commit_answer_lost.lost == [True]
    order = db.session.scalar(select(Order))
    assert (response.status_code, response.location) == (302, f"/gestion/commandes/{order.id}")
    again = staff_client.post(f"/gestion/commandes/nouvelle?semaine={week_id}", data=form)
    assert again.location == response.location
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
