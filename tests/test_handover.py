"""Handover at the counter: QR links, the day's list, handing over, payments, no-shows,
and the customer's map and calendar links."""

import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select
from werkzeug.http import parse_options_header

from boutique.extensions import db
from boutique.models import Offer, Order, OrderEvent, Payment, PickupPoint, PickupSlot, utcnow
from boutique.ordering.services import Contact, cancel_order, place_order
from boutique.pickup import handover
from boutique.pickup.handover import (
    HandoverError,
    day_orders,
    handover_token,
    handover_url,
    mark_collected,
    mark_no_show,
    order_from_handover_token,
    record_payment,
)
from tests.conftest import page_text
from tests.test_concurrency import run_together

PARIS = ZoneInfo("Europe/Paris")
DAY = date(2026, 12, 4)  # a Friday, winter time (UTC+1)


@pytest.fixture
def counter(make_product, make_week):
    """A week with two products, two points, and slots on DAY and the day after."""
    tomato = make_product(name="Tomate", variety="Cerise", price_individual_cents=250)
    basil = make_product(name="Basilic", variety="Grand vert", price_individual_cents=300)
    week = make_week(
        offers=[(tomato, {"quantity_available": 50}), (basil, {"quantity_available": None})]
    )
    gate = PickupPoint(
        name="Portail de la pépinière",
        address="Chemin des Jardins, 84000 Avignon",
        instructions="Sonnez à la grille verte.",
        position=0,
    )
    town = PickupPoint(name="Local en ville", address="8 rue des Lices, Avignon", position=1)
    db.session.add_all([gate, town])

    def slot(point, day, start, end):
        return PickupSlot(
            week=week,
            point=point,
            day=day,
            starts_at=clock(start),
            ends_at=clock(end),
            capacity=50,
            booked=0,
        )

    slots = {
        "afternoon": slot(gate, DAY, 16, 18),
        "morning": slot(town, DAY, 10, 12),
        "next_day": slot(gate, DAY + timedelta(days=1), 10, 12),
        "past": slot(gate, date.today() - timedelta(days=2), 9, 11),
        # Always ahead, whatever day the suite runs (DAY itself is fixed: it will pass).
        "later": slot(gate, date.today() + timedelta(days=14), 16, 18),
    }
    db.session.add_all(slots.values())
    db.session.commit()
    offers = {o.product_id: o for o in db.session.scalars(select(Offer))}
    return {"week": week, "tomato": offers[tomato.id], "basil": offers[basil.id], "slots": slots}


def order_for(counter, name, slot="afternoon", tomatoes=2, customer=None, kind="individual"):
    """2 tomatoes at 2,50 + 1 basil at 3,00 = 8,00 € by default."""
    order = place_order(
        week=counter["week"],
        items={counter["tomato"].id: tomatoes, counter["basil"].id: 1},
        slot_id=counter["slots"][slot].id,
        payment_method="invoice" if customer else "on_pickup",
        contact=Contact(name, f"{name.lower()}@exemple.fr", "06 11 22 33 44"),
        kind=kind,
        customer=customer,
        checkout_token=f"token-{name}",
    )
    db.session.commit()
    return order


def fresh(order):
    db.session.expire_all()
    return db.session.get(Order, order.id)


def events(order, action):
    return db.session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order.id, OrderEvent.action == action)
    ).all()


def count_payments():
    return db.session.scalar(select(func.count()).select_from(Payment))


def card(client, order):
    return page_text(client.get(f"/gestion/retrait/commande/{order.id}"))


# --- The label's link ----------------------------------------------------------------------------


def test_handover_link_opens_its_order(app, staff_client, counter):
    order = order_for(counter, "Alice")
    token = handover_token(order)
    assert order_from_handover_token(token) == order
    url = handover_url(order.id, order.week)
    assert url == f"http://localhost/gestion/retrait/{token}"  # PUBLIC_URL in the tests

    response = staff_client.get(f"/gestion/retrait/{token}")
    assert response.status_code == 302
    assert response.location == f"/gestion/retrait/commande/{order.id}"
    page = page_text(staff_client.get(response.location))
    assert "Alice" in page and order.number in page


def forged_tokens(order, token):
    other_key = URLSafeTimedSerializer("another-secret", salt="handover").dumps(order.id)
    other_salt = URLSafeTimedSerializer("testing-secret", salt="password-reset").dumps(order.id)
    # Not the last character: its low bits are base64 padding, so changing them may not
    # change the signature at all.
    flipped = "A" if token[-5] != "A" else "B"
    altered = token[:-5] + flipped + token[-4:]
    return [altered, other_key, other_salt, "nimportequoi", "x" * 500]


def test_forged_links_are_refused_and_show_nothing(staff_client, counter):
    order = order_for(counter, "Alice")
    for forged in forged_tokens(order, handover_token(order)):
        with pytest.raises(HandoverError, match="Ce lien de retrait n'est pas valide"):
            order_from_handover_token(forged)
        response = staff_client.get(f"/gestion/retrait/{forged}")
        assert response.status_code == 404
        page = page_text(response)
        assert "Lien de retrait refusé" in page and "n'est pas valide" in page
        assert "Alice" not in page and order.number not in page


def test_link_to_an_order_that_is_gone_is_refused(app, staff_client):
    token = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="handover").dumps(987654)
    with pytest.raises(HandoverError, match="Cette commande n'existe plus."):
        order_from_handover_token(token)
    assert staff_client.get(f"/gestion/retrait/{token}").status_code == 404


def token_made(order, monkeypatch, seconds_ago):
    """The token of an order whose week opened some time ago (tokens are signed as of then)."""
    order.week.opens_at = utcnow() - timedelta(seconds=seconds_ago)
    db.session.commit()
    return handover_token(order)


def test_the_same_order_always_gets_the_same_link(counter):
    order = order_for(counter, "Alice")
    first = handover_token(order)
    time.sleep(1.1)  # a token signed "now" would differ after a second
    assert handover_token(order) == first


def test_expired_link_is_refused(app, staff_client, counter, monkeypatch):
    order = order_for(counter, "Alice")
    sixty_days = 60 * 24 * 3600
    assert app.config["HANDOVER_LINK_MAX_AGE"] == sixty_days
    assert order_from_handover_token(token_made(order, monkeypatch, sixty_days - 60)) == order
    expired = token_made(order, monkeypatch, sixty_days + 60)
    with pytest.raises(HandoverError, match="Ce lien de retrait a expiré"):
        order_from_handover_token(expired)
    response = staff_client.get(f"/gestion/retrait/{expired}")
    assert response.status_code == 404
    page = page_text(response)
    assert "a expiré" in page and "Alice" not in page
    app.config["HANDOVER_LINK_MAX_AGE"] = 3600
    with pytest.raises(HandoverError, match="a expiré"):
        order_from_handover_token(token_made(order, monkeypatch, 3700))


def test_handover_pages_are_for_staff_only(client, make_user, login, counter):
    order = order_for(counter, "Alice")
    token = handover_token(order)
    pages = [
        "/gestion/retrait",
        f"/gestion/retrait/{token}",
        f"/gestion/retrait/commande/{order.id}",
    ]
    actions = [f"/gestion/retrait/commande/{order.id}/{a}" for a in ("remis", "paiement", "absent")]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302 and "/compte/connexion" in response.location
    for url in actions:
        assert client.post(url, data={"method": "cash", "amount": "8"}).status_code == 302
    login(make_user())
    for url in pages:
        response = client.get(url)
        assert response.status_code == 403 and "Alice" not in page_text(response)
    for url in actions:
        assert client.post(url, data={"method": "cash", "amount": "8"}).status_code == 403
    order = fresh(order)
    assert order.status == "placed" and order.payments == [] and order.collected_at is None


def test_unknown_order_is_not_found(staff_client):
    assert staff_client.get("/gestion/retrait/commande/999999").status_code == 404
    assert staff_client.post("/gestion/retrait/commande/999999/remis").status_code == 404


# --- The day's list ------------------------------------------------------------------------------


def test_day_list_goes_slot_by_slot_in_time_order(staff_client, counter, make_user):
    order_for(counter, "Bruno")
    order_for(counter, "Alice")
    order_for(counter, "Chloé", slot="morning")
    order_for(counter, "Denis", slot="next_day")
    cancel_order(order_for(counter, "Emma"), reason="test")
    chef = make_user(kind="restaurant", email="chef@bistrot.fr")
    order_for(counter, "Bistrot", customer=chef, kind="restaurant")
    db.session.commit()

    page = page_text(staff_client.get("/gestion/retrait?jour=2026-12-04"))
    assert "Retraits du vendredi 4 décembre 2026" in page
    # Morning slot at the town shop first, then the afternoon at the gate, names in order.
    positions = [page.index(text) for text in ("10:00–12:00", "Chloé", "16:00–18:00", "Alice")]
    assert positions == sorted(positions)
    assert page.index("Alice") < page.index("Bistrot") < page.index("Bruno")
    assert "Denis" not in page and "Emma" not in page
    assert "4 commandes" in page and "0 remise" in page
    assert "à payer 8,00 €" in page and "sur facture" in page
    assert "à encaisser : 24,00 €" in page  # Alice, Bruno, Chloé; the restaurant pays by invoice


def test_day_list_search_and_point_filter(staff_client, counter):
    alice = order_for(counter, "Alice")
    order_for(counter, "Bruno")
    order_for(counter, "Chloé", slot="morning")
    base = "/gestion/retrait?jour=2026-12-04"

    page = page_text(staff_client.get(base + "&q=bru"))
    assert "Bruno" in page and "Alice" not in page and "Chloé" not in page
    page = page_text(staff_client.get(base + f"&q={alice.number}"))
    assert "Alice" in page and "Bruno" not in page
    page = page_text(staff_client.get(base + f"&point={counter['slots']['morning'].point_id}"))
    assert "Chloé" in page and "Alice" not in page
    # LIKE wildcards are searched for as themselves.
    page = page_text(staff_client.get(base + "&q=%25"))
    assert "Aucune commande ne correspond à « % » ce jour-là." in page
    assert "Alice" not in page
    assert [o.contact_name for o in day_orders(DAY, search="_")] == []


def test_day_list_opens_on_the_next_pick_up_day_and_survives_bad_input(staff_client, counter):
    order_for(counter, "Alice", slot="later")
    later = counter["slots"]["later"].day
    today = datetime.now(PARIS).date()
    response = staff_client.get("/gestion/retrait")
    assert response.status_code == 200
    page = page_text(response)
    assert "Alice" in page and "Aucune commande à remettre ce jour-là." not in page
    assert f'value="{later.isoformat()}"' in response.get_data(as_text=True)
    for query in ("jour=2026-13-45&point=abc&q=" + "x" * 300, "jour=0001-01-01&point=²"):
        response = staff_client.get("/gestion/retrait?" + query)
        assert response.status_code == 200
        assert "Date invalide : voici les retraits d'aujourd'hui." in page_text(response)
        assert f'value="{today.isoformat()}"' in response.get_data(as_text=True)


def test_staff_menu_links_to_the_days_handovers(staff_client):
    page = staff_client.get("/gestion/").get_data(as_text=True)
    assert 'href="/gestion/retrait">Retraits du jour</a>' in page


def test_day_orders_runs_three_queries_whatever_the_number_of_orders(app, counter, count_queries):
    def queries():
        db.session.expire_all()
        with count_queries() as statements:
            orders = day_orders(DAY)
            for order in orders:
                _ = (order.amount_due_cents, order.item_count, order.slot.point.name)
        return len(statements), len(orders)

    order_for(counter, "Alice")
    assert queries() == (3, 1)  # orders, their payments, their card payment
    for index in range(8):
        order_for(counter, f"Client{index}", slot="morning" if index % 2 else "afternoon")
    assert queries() == (3, 9)


# --- Handing over --------------------------------------------------------------------------------


def test_amount_due_counts_payments_and_invoices_owe_nothing(app, counter, staff, make_user):
    order = order_for(counter, "Alice")
    assert order.amount_due_cents == 800
    record_payment(order, staff, "cash", 300)
    db.session.commit()
    assert fresh(order).amount_due_cents == 500
    chef = make_user(kind="restaurant", email="chef@bistrot.fr")
    assert order_for(counter, "Bistrot", customer=chef, kind="restaurant").amount_due_cents == 0


def test_collecting_twice_changes_nothing_the_second_time(staff_client, counter, staff):
    order = order_for(counter, "Alice")
    record_payment(order, staff, "cash", 800)
    db.session.commit()
    url = f"/gestion/retrait/commande/{order.id}/remis"
    # DAY may be ahead of the day the suite runs: the early handover is confirmed.
    response = staff_client.post(url, data={"confirm_early": "y"}, follow_redirects=True)
    assert f"Commande {order.number} remise à Alice." in page_text(response)
    first = fresh(order)
    assert first.status == "collected" and first.collected_by_id == staff.id
    collected_at = first.collected_at

    page = page_text(staff_client.post(url, data={"confirm_early": "y"}, follow_redirects=True))
    assert f"La commande {order.number} était déjà remise" in page and "rien n'a changé" in page
    again = fresh(order)
    assert again.collected_at == collected_at
    assert [e.actor_label for e in events(order, "collected")] == [staff.email]
    assert mark_collected(again, staff) is False
    assert "Remise le" in card(staff_client, order)
    assert "Remis au client" not in card(staff_client, order)


def test_cancelled_order_cannot_be_handed_over(staff_client, counter):
    order = order_for(counter, "Alice")
    cancel_order(order, reason="test")
    db.session.commit()
    page = page_text(
        staff_client.post(f"/gestion/retrait/commande/{order.id}/remis", follow_redirects=True)
    )
    assert f"La commande {order.number} est annulée : ne la remettez pas." in page
    assert fresh(order).status == "cancelled" and events(order, "collected") == []
    assert "Remis au client" not in card(staff_client, order)


def test_payment_is_recorded_and_amount_due_goes_down(staff_client, counter, staff):
    order = order_for(counter, "Alice")
    page = card(staff_client, order)
    assert "Reste à payer : 8,00 €" in page
    assert 'value="8,00"' in staff_client.get(f"/gestion/retrait/commande/{order.id}").get_data(
        as_text=True
    )

    url = f"/gestion/retrait/commande/{order.id}/paiement"
    page = page_text(
        staff_client.post(url, data={"method": "cheque", "amount": "3"}, follow_redirects=True)
    )
    assert "Paiement enregistré : 3,00 € (Chèque). Reste à payer : 5,00 €." in page
    assert "Reste à payer : 5,00 €" in page and "Total 8,00 €, déjà payé 3,00 €." in page
    page = page_text(
        staff_client.post(url, data={"method": "cash", "amount": "5,00"}, follow_redirects=True)
    )
    assert "Reste à payer : 0,00 €" in page
    assert "Enregistrer le paiement" not in page  # nothing left to take

    payments = fresh(order).payments
    assert [(p.method, p.amount_cents, p.recorded_by_id) for p in payments] == [
        ("cheque", 300, staff.id),
        ("cash", 500, staff.id),
    ]
    logged = events(order, "payment_recorded")
    assert [e.details for e in logged] == [
        {"method": "cheque", "amount_cents": 300, "amount_due_cents": 500},
        {"method": "cash", "amount_cents": 500, "amount_due_cents": 0},
    ]
    assert {e.actor_label for e in logged} == {staff.email}


def test_overpayment_is_refused_with_the_amount_due(staff_client, counter, staff):
    order = order_for(counter, "Alice")
    record_payment(order, staff, "cash", 500)
    db.session.commit()
    page = page_text(
        staff_client.post(
            f"/gestion/retrait/commande/{order.id}/paiement",
            data={"method": "cash", "amount": "20"},
            follow_redirects=True,
        )
    )
    assert "20,00 €, c'est plus que le reste à payer (3,00 €)" in page
    assert count_payments() == 1 and len(events(order, "payment_recorded")) == 1
    record_payment(fresh(order), staff, "card_terminal", 300)
    with pytest.raises(HandoverError, match="déjà entièrement payée"):
        record_payment(fresh(order), staff, "cash", 1)


@pytest.mark.parametrize(
    ("method", "amount", "message"),
    [
        ("cash", "", "Indiquez le montant encaissé."),
        ("cash", "abc", "Montant invalide (exemple : 2,50)."),
        ("cash", "2,505", "Montant invalide (exemple : 2,50)."),
        ("cash", "NaN", "Montant invalide (exemple : 2,50)."),
        ("cash", "0", "Indiquez un montant supérieur à zéro."),
        ("cash", "-2", "Indiquez un montant supérieur à zéro."),
        ("cash", "1e400", "Montant invalide (exemple : 2,50)."),
        ("cash", "1e9", "Montant invalide (exemple : 2,50)."),  # not read as a billion
        ("cash", "1000000", "c'est plus que le reste à payer (8,00 €)"),
        ("bitcoin", "2", "Choisissez le moyen de paiement : espèces, chèque ou carte (TPE)."),
        ("transfer", "2", "Choisissez le moyen de paiement"),
        ("", "2", "Choisissez le moyen de paiement"),
    ],
)
def test_bad_payment_is_refused_and_saves_nothing(staff_client, counter, method, amount, message):
    order = order_for(counter, "Alice")
    response = staff_client.post(
        f"/gestion/retrait/commande/{order.id}/paiement", data={"method": method, "amount": amount}
    )
    assert response.status_code == 302
    page = page_text(staff_client.get(response.location))
    assert message in page
    assert count_payments() == 0 and events(order, "payment_recorded") == []


def test_invoice_orders_take_no_money_at_the_counter(staff_client, counter, make_user, staff):
    chef = make_user(kind="restaurant", email="chef@bistrot.fr")
    order = order_for(counter, "Bistrot", customer=chef, kind="restaurant")
    page = card(staff_client, order)
    assert "Sur facture : rien à encaisser au retrait." in page
    assert "Enregistrer le paiement" not in page
    with pytest.raises(HandoverError, match="réglée sur facture"):
        record_payment(order, staff, "cash", 100)
    assert count_payments() == 0


def test_customer_may_pay_after_taking_the_goods_not_after_a_cancellation(app, counter, staff):
    order = order_for(counter, "Alice")
    mark_collected(order, staff, confirm_early=True, confirm_due_cents=800)
    record_payment(order, staff, "cash", 800)
    db.session.commit()
    assert fresh(order).amount_due_cents == 0
    other = order_for(counter, "Bruno")
    cancel_order(other, reason="test")
    with pytest.raises(HandoverError, match="est annulée"):
        record_payment(other, staff, "cash", 100)


# --- No-shows ------------------------------------------------------------------------------------


def paris(day, hour, minute=0):
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS).astimezone(UTC)


def test_no_show_only_after_the_slot_end_plus_grace(app, counter, staff):
    order = order_for(counter, "Alice")  # slot 16:00–18:00 Paris on DAY
    booked = db.session.get(PickupSlot, order.slot_id).booked
    with pytest.raises(HandoverError, match="Trop tôt") as refusal:
        mark_no_show(order, staff, now=paris(DAY, 18, 59))
    assert "vendredi 4 décembre 2026 à 19:00" in str(refusal.value)
    assert "+ 60 min" in str(refusal.value)
    db.session.rollback()
    assert fresh(order).status == "placed" and events(order, "no_show") == []

    mark_no_show(fresh(order), staff, now=paris(DAY, 19, 0))
    db.session.commit()
    order = fresh(order)
    assert order.status == "no_show"
    assert [e.actor_label for e in events(order, "no_show")] == [staff.email]
    # Nothing goes back on sale: the goods were prepared.
    assert db.session.get(Offer, counter["tomato"].id).quantity_reserved == 2
    assert db.session.get(PickupSlot, order.slot_id).booked == booked
    with pytest.raises(HandoverError, match="notée absente"):
        mark_collected(order, staff)
    with pytest.raises(HandoverError, match="notée absente"):
        mark_no_show(order, staff, now=paris(DAY, 20))


def test_grace_time_comes_from_the_config_and_follows_summer_time(app, counter, staff):
    order = order_for(counter, "Alice")
    app.config["NO_SHOW_GRACE_MINUTES"] = 0
    assert handover.no_show_allowed_from(order) == datetime(2026, 12, 4, 17, tzinfo=UTC)
    order.slot.day = date(2027, 7, 2)  # summer time: 18:00 in Paris is 16:00 UTC
    assert handover.no_show_allowed_from(order) == datetime(2027, 7, 2, 16, tzinfo=UTC)
    db.session.rollback()


def test_no_show_button_only_after_the_grace_time(staff_client, counter):
    from boutique.formatting import format_when

    upcoming = order_for(counter, "Alice", slot="later")
    page = card(staff_client, upcoming)
    assert "Absent (non retiré)" not in page
    allowed = format_when(handover.no_show_allowed_from(upcoming))
    assert allowed.endswith("à 19:00")  # the slot ends at 18:00, plus the hour of grace
    assert f"« Absent » possible à partir du {allowed}." in page
    page = page_text(
        staff_client.post(f"/gestion/retrait/commande/{upcoming.id}/absent", follow_redirects=True)
    )
    assert "Trop tôt pour noter la commande" in page
    assert fresh(upcoming).status == "placed"

    late = order_for(counter, "Bruno", slot="past")
    assert "Absent (non retiré)" in card(staff_client, late)
    page = page_text(
        staff_client.post(f"/gestion/retrait/commande/{late.id}/absent", follow_redirects=True)
    )
    assert f"Commande {late.number} notée absente (non retirée)." in page
    assert fresh(late).status == "no_show"
    assert "Remis au client" not in page and "Absent (non retiré)" not in page


# --- Two phones at once --------------------------------------------------------------------------


@pytest.fixture
def race_app(app, make_app):
    return make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 4, "max_overflow": 0})


def test_two_phones_taking_the_same_payment_record_it_once(race_app, counter, staff):
    order_id, staff_id = order_for(counter, "Alice").id, staff.id

    def pay(index, barrier):
        with race_app.app_context():
            order = handover.order_for_handover(order_id)
            actor = db.session.get(type(staff), staff_id)
            barrier.wait()
            try:
                record_payment(order, actor, "cash", 800)
                db.session.commit()
            except HandoverError as refusal:
                db.session.rollback()
                return str(refusal)
            return "paid"

    results, errors, _ = run_together(2, pay)
    assert errors == []
    assert results.count("paid") == 1
    [refusal] = [result for result in results if result != "paid"]
    assert "déjà entièrement payée" in refusal
    assert count_payments() == 1


def test_two_phones_handing_over_the_same_order_log_it_once(race_app, counter, staff):
    order_id, staff_id = order_for(counter, "Alice").id, staff.id

    def collect(index, barrier):
        with race_app.app_context():
            order = handover.order_for_handover(order_id)
            actor = db.session.get(type(staff), staff_id)
            barrier.wait()
            changed = mark_collected(order, actor, confirm_early=True, confirm_due_cents=800)
            db.session.commit()
            return changed

    results, errors, _ = run_together(2, collect)
    assert errors == []
    assert sorted(results) == [False, True]
    assert len(events(fresh(db.session.get(Order, order_id)), "collected")) == 1


# --- The customer's side -------------------------------------------------------------------------


def test_customer_order_page_links_to_the_map_and_the_calendar(client, counter):
    order = order_for(counter, "Alice")
    html = client.get(f"/commande/suivi/{order.access_token}").get_data(as_text=True)
    assert (
        'href="https://www.openstreetmap.org/search?query=Chemin%20des%20Jardins%2C%2084000%20Avignon"'
        in html
    )
    assert f'href="/commande/suivi/{order.access_token}/agenda.ics"' in html
    assert "Ajouter à mon agenda" in html


def test_calendar_file_has_the_slot_in_paris_time(client, counter):
    order = order_for(counter, "Alice")
    response = client.get(f"/commande/suivi/{order.access_token}/agenda.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert parse_options_header(response.headers["Content-Disposition"]) == (
        "attachment",
        {"filename": f"retrait-{order.number}.ics"},
    )
    calendar = Calendar.from_ical(response.data)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
    [event] = calendar.walk("VEVENT")
    assert event.decoded("DTSTART") == datetime(2026, 12, 4, 16, tzinfo=PARIS)
    assert event.decoded("DTEND") == datetime(2026, 12, 4, 18, tzinfo=PARIS)
    assert event["DTSTART"].params["TZID"] == "Europe/Paris"
    assert str(event["SUMMARY"]) == f"Retrait de votre commande {order.number} — La Pépinière"
    assert str(event["LOCATION"]) == "Portail de la pépinière, Chemin des Jardins, 84000 Avignon"
    assert "Sonnez à la grille verte." in str(event["DESCRIPTION"])
    again = Calendar.from_ical(client.get(f"/commande/suivi/{order.access_token}/agenda.ics").data)
    assert again.walk("VEVENT")[0]["UID"] == event["UID"]
    other = Calendar.from_ical(
        client.get(f"/commande/suivi/{order_for(counter, 'Bruno').access_token}/agenda.ics").data
    )
    assert other.walk("VEVENT")[0]["UID"] != event["UID"]


def test_calendar_file_is_not_found_without_a_slot_or_a_good_token(client, counter):
    order = order_for(counter, "Alice")
    assert client.get("/commande/suivi/nope/agenda.ics").status_code == 404
    order.slot_id = None
    db.session.commit()
    assert client.get(f"/commande/suivi/{order.access_token}/agenda.ics").status_code == 404


def test_handover_and_calendar_speak_english(staff_client, client, counter):
    order = order_for(counter, "Alice")
    staff_client.post("/langue", data={"lang": "en"})
    page = page_text(staff_client.get("/gestion/retrait?jour=2026-12-04"))
    assert "Collections on Friday, 4 December 2026" in page  # British conventions
    assert "€8.00 to pay" in page
    page = card(staff_client, order)
    assert "Left to pay: €8.00" in page and "Cash" in page
    order.locale = "en"
    db.session.commit()
    calendar = Calendar.from_ical(
        client.get(f"/commande/suivi/{order.access_token}/agenda.ics").data
    )
    [event] = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == f"Collection of your order {order.number} — La Pépinière"
