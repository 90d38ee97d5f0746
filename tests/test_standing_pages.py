"""Standing orders in "Mon compte" and on the staff page: create (also from a past order),
edit, bad input, someone else's, pause and stop; staff suspend and resume (issue 14)."""

import re
import secrets
from datetime import timedelta

from sqlalchemy import func, select

from boutique.extensions import db
from boutique.models import Order, StandingOrder
from boutique.outbox import send_due
from boutique.standing.services import first_open_monday
from tests.conftest import page_words


def form_data(standing_nursery, **overrides):
    data = {
        f"qty-{standing_nursery.tomato.id}": "4",
        f"qty-{standing_nursery.leek.id}": "2",
        "place": f"{standing_nursery.point.id}-4-16:00",
        "payment_method": "invoice",
        "every_weeks": "1",
        "start_monday": first_open_monday().isoformat(),
        "form_token": secrets.token_urlsafe(24),
    }
    data.update(overrides)
    return data


def test_a_restaurant_makes_a_standing_order_from_the_form(standing_nursery, client, login):
    login(standing_nursery.restaurant)
    page = page_words(client.get("/compte/commandes-recurrentes/nouvelle"))
    assert "la carte demande votre présence à chaque paiement" in page
    assert "Portail de la pépinière, le vendredi de 16:00 à 18:00" in page
    response = client.post(
        "/compte/commandes-recurrentes/nouvelle", data=form_data(standing_nursery)
    )
    assert response.status_code == 302
    standing = db.session.scalar(select(StandingOrder))
    assert standing.customer_id == standing_nursery.restaurant.id
    assert {line.product_id: line.quantity for line in standing.lines} == {
        standing_nursery.tomato.id: 4,
        standing_nursery.leek.id: 2,
    }
    assert (standing.weekday, standing.starts_at.hour, standing.payment_method) == (
        4,
        16,
        "invoice",
    )
    listing = page_words(client.get("/compte/commandes-recurrentes/"))
    assert "4 × Tomate Cœur de bœuf" in listing
    assert f"Prochaine commande Semaine {first_open_monday().isocalendar().week}" in listing


def test_from_a_past_order_the_form_is_filled(standing_nursery, client, login, make_standing):
    make_standing()
    standing_nursery.week.status = "published"
    db.session.commit()
    from boutique.standing.services import place_standing_orders

    place_standing_orders(standing_nursery.week)
    db.session.commit()
    order = db.session.scalar(select(Order))
    login(standing_nursery.restaurant)
    page = client.get(f"/commande/suivi/{order.access_token}")
    assert "Commander la même chose chaque semaine" in page_words(page)
    form = client.get(f"/compte/commandes-recurrentes/nouvelle?commande={order.id}")
    text = form.get_data(as_text=True)
    assert f'name="qty-{standing_nursery.tomato.id}" value="4"' in text
    assert f'value="{standing_nursery.point.id}-4-16:00" selected' in text
    assert 'value="invoice" checked' in text


def test_bad_input_gets_messages_and_changes_nothing(standing_nursery, client, login):
    login(standing_nursery.restaurant)
    response = client.post(
        "/compte/commandes-recurrentes/nouvelle",
        data=form_data(
            standing_nursery,
            **{
                f"qty-{standing_nursery.tomato.id}": "-3",
                "payment_method": "card",
                "start_monday": "x",
            },
        ),
    )
    assert response.status_code == 422
    page = page_words(response)
    assert "Quantité invalide pour « Tomate Cœur de bœuf »" in page
    assert "Choisissez le paiement au retrait ou sur facture." in page
    assert "Choisissez la première semaine parmi celles proposées." in page
    empty = client.post(
        "/compte/commandes-recurrentes/nouvelle",
        data=form_data(
            standing_nursery,
            **{f"qty-{standing_nursery.tomato.id}": "", f"qty-{standing_nursery.leek.id}": "0"},
        ),
    )
    assert "Indiquez une quantité pour au moins un produit." in page_words(empty)
    assert db.session.scalar(select(func.count()).select_from(StandingOrder)) == 0


FORM_TOKEN = re.compile(r'name="form_token" value="([A-Za-z0-9_-]{20,64})"')


def test_the_same_form_sent_twice_makes_one_standing_order(standing_nursery, client, login):
    """A double click (or a retry after a lost answer) finds the first one (rule 10)."""
    login(standing_nursery.restaurant)
    page = client.get("/compte/commandes-recurrentes/nouvelle").get_data(as_text=True)
    token = FORM_TOKEN.search(page).group(1)
    data = form_data(standing_nursery, form_token=token)
    first = client.post("/compte/commandes-recurrentes/nouvelle", data=data)
    second = client.post("/compte/commandes-recurrentes/nouvelle", data=data, follow_redirects=True)
    assert second.status_code == 200
    assert second.request.path == "/compte/commandes-recurrentes/"
    assert "Votre commande récurrente est enregistrée." in page_words(second)
    standing = db.session.scalar(select(StandingOrder))
    assert first.headers["Location"].endswith(f"#standing-{standing.id}")
    assert db.session.scalar(select(func.count()).select_from(StandingOrder)) == 1
    assert standing.form_token == token
    # A new form draws a new token: a second standing order on purpose is still possible.
    again = client.get("/compte/commandes-recurrentes/nouvelle").get_data(as_text=True)
    assert FORM_TOKEN.search(again).group(1) != token


def test_a_form_without_a_valid_token_saves_nothing(standing_nursery, client, login):
    login(standing_nursery.restaurant)
    for token in ("", "short", "x" * 80, "a b" * 10):
        response = client.post(
            "/compte/commandes-recurrentes/nouvelle",
            data=form_data(standing_nursery, form_token=token),
        )
        assert response.status_code == 422
        assert "Ce formulaire n'est plus valable" in page_words(response)
        assert FORM_TOKEN.search(response.get_data(as_text=True))  # a fresh one to send again
    assert db.session.scalar(select(func.count()).select_from(StandingOrder)) == 0


def test_a_line_of_a_product_no_longer_offered_is_kept_on_save(
    standing_nursery, make_standing, client, login
):
    standing = make_standing(
        lines=[(standing_nursery.tomato, 4), (standing_nursery.basil, 3)], note=""
    )
    standing_nursery.basil.active = False
    db.session.commit()
    login(standing_nursery.restaurant)
    url = f"/compte/commandes-recurrentes/{standing.id}"
    page = client.get(url)
    text = page.get_data(as_text=True)
    assert f'name="qty-{standing_nursery.basil.id}" value="3"' in text
    assert "Basilic Grand vert" in page_words(page) and "plus proposé" in page_words(page)
    # The customer changes only the note: the form sends the basil field as shown.
    data = form_data(
        standing_nursery,
        note="Livrer à l'arrière",
        **{
            f"qty-{standing_nursery.leek.id}": "",
            f"qty-{standing_nursery.basil.id}": "3",
        },
    )
    assert client.post(url, data=data).status_code == 302
    db.session.expire_all()
    standing = db.session.get(StandingOrder, standing.id)
    assert standing.note == "Livrer à l'arrière"
    assert {line.product_id: line.quantity for line in standing.lines} == {
        standing_nursery.tomato.id: 4,
        standing_nursery.basil.id: 3,
    }
    assert "plus proposé" in page_words(client.get(url))
    # A form that does not carry the field (an older page) keeps the line too.
    data.pop(f"qty-{standing_nursery.basil.id}")
    assert client.post(url, data=data).status_code == 302
    db.session.expire_all()
    assert len(db.session.get(StandingOrder, standing.id).lines) == 2
    # Set to 0, it is removed.
    data[f"qty-{standing_nursery.basil.id}"] = "0"
    assert client.post(url, data=data).status_code == 302
    db.session.expire_all()
    standing = db.session.get(StandingOrder, standing.id)
    assert [line.product_id for line in standing.lines] == [standing_nursery.tomato.id]
    assert "plus proposé" not in page_words(client.get(url))


def test_someone_elses_standing_order_is_not_found(
    standing_nursery, make_standing, make_user, client, login
):
    standing = make_standing()
    login(make_user(kind="restaurant"))
    assert client.get(f"/compte/commandes-recurrentes/{standing.id}").status_code == 404
    assert client.post(f"/compte/commandes-recurrentes/{standing.id}/arreter").status_code == 404
    db.session.expire_all()
    assert db.session.get(StandingOrder, standing.id).ended_at is None


def test_edit_pause_resume_and_stop(standing_nursery, make_standing, client, login):
    standing = make_standing()
    login(standing_nursery.restaurant)
    url = f"/compte/commandes-recurrentes/{standing.id}"
    response = client.post(url, data=form_data(standing_nursery, every_weeks="2"))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(StandingOrder, standing.id).every_weeks == 2
    later = first_open_monday() + timedelta(days=14)
    client.post(f"{url}/pause", data={"paused_until": later.isoformat()})
    db.session.expire_all()
    assert db.session.get(StandingOrder, standing.id).paused_until == later
    assert client.post(f"{url}/pause", data={"paused_until": "2020-01-06"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(StandingOrder, standing.id).paused_until == later
    client.post(f"{url}/reprendre")
    client.post(f"{url}/arreter")
    db.session.expire_all()
    standing = db.session.get(StandingOrder, standing.id)
    assert standing.paused_until is None and standing.ended_at is not None
    assert "arrêtée" in page_words(client.get("/compte/commandes-recurrentes/"))


def test_pages_need_a_customer_login(standing_nursery, client, staff_client):
    assert client.get("/compte/commandes-recurrentes/").status_code == 403  # staff


def test_staff_see_suspend_and_resume_with_a_mail(
    standing_nursery, make_standing, staff_client, mailbox
):
    standing = make_standing()
    page = page_words(staff_client.get("/gestion/commandes-recurrentes"))
    assert "Le Bistrot" in page and "4 × Tomate Cœur de bœuf" in page
    url = f"/gestion/commandes-recurrentes/{standing.id}"
    refused = staff_client.post(f"{url}/suspendre", data={"reason": "  "}, follow_redirects=True)
    assert "Indiquez la raison de la suspension" in page_words(refused)
    staff_client.post(f"{url}/suspendre", data={"reason": "Deux factures impayées"})
    db.session.expire_all()
    assert db.session.get(StandingOrder, standing.id).staff_paused
    send_due()
    (mail,) = mailbox.messages
    assert mail["To"] == "chef@bistrot.fr" and "Deux factures impayées" in mailbox.body(mail)
    staff_client.post(f"{url}/reprendre")
    db.session.expire_all()
    assert not db.session.get(StandingOrder, standing.id).staff_paused


def test_the_gate_cannot_see_standing_orders(
    standing_nursery, make_standing, make_user, client, login
):
    standing = make_standing()
    login(make_user(role="gate"))
    assert client.get("/gestion/commandes-recurrentes").status_code == 403
    url = f"/gestion/commandes-recurrentes/{standing.id}/suspendre"
    assert client.post(url, data={"reason": "x"}).status_code == 403
