"""At the gate (issue 12, part 5): taking the money and handing over in one step, confirmations
for handing over with money due or before the pick-up day, the day page's default day, and the
day's cash per point (caisse du jour): totals, closing, corrections after closing."""

import re
from datetime import time as clock
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from boutique.extensions import db
from boutique.models import CashClosing, Offer, Order, OrderEvent, Payment, PickupPoint, PickupSlot
from boutique.ordering.services import Contact, place_order
from boutique.pickup import cash, handover
from boutique.pickup.handover import HandoverError, mark_collected, mark_no_show, record_payment
from boutique.timezones import shop_today, shop_zone
from tests.conftest import page_words
from tests.test_concurrency import run_together


@pytest.fixture
def gate_day(app, make_product, make_week):
    """Two points; slots today at both, and at the nursery gate in 4 and 9 days."""
    tomato = make_product(name="Tomate", variety="Cerise", price_individual_cents=250)
    basil = make_product(name="Basilic", variety="Grand vert", price_individual_cents=240)
    week = make_week(
        offers=[(tomato, {"quantity_available": None}), (basil, {"quantity_available": None})]
    )
    nursery = PickupPoint(name="Portail de la pépinière", position=0)
    town = PickupPoint(name="Local en ville", position=1)
    db.session.add_all([nursery, town])
    today = shop_today()

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
        "today": slot(nursery, today, 16, 18),
        "town": slot(town, today, 10, 12),
        "soon": slot(nursery, today + timedelta(days=4), 16, 18),
        "later": slot(nursery, today + timedelta(days=9), 10, 12),
    }
    db.session.add_all(slots.values())
    db.session.commit()
    offers = {o.product_id: o for o in db.session.scalars(select(Offer))}
    return {
        "week": week,
        "tomato": offers[tomato.id],
        "basil": offers[basil.id],
        "slots": slots,
        "nursery": nursery,
        "town": town,
        "today": today,
    }


def order_for(gate_day, name, slot="today", customer=None):
    """4 tomatoes at 2,50 + 1 basil at 2,40 = 12,40 €, paid at pick-up (or on invoice)."""
    order = place_order(
        week=gate_day["week"],
        items={gate_day["tomato"].id: 4, gate_day["basil"].id: 1},
        slot_id=gate_day["slots"][slot].id,
        payment_method="invoice" if customer else "on_pickup",
        contact=Contact(name, "client@exemple.fr", "06 11 22 33 44"),
        kind=customer.kind if customer else "individual",
        customer=customer,
        checkout_token=f"token-{name}",
    )
    db.session.commit()
    return order


def fresh(order):
    db.session.expire_all()
    return db.session.get(Order, order.id)


def card_url(order, action=""):
    return f"/gestion/retrait/commande/{order.id}" + (f"/{action}" if action else "")


def count(model):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def actions(order):
    return [
        e.action
        for e in db.session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id))
        if e.action in ("collected", "payment_recorded")
    ]


def full_day(day):
    from flask_babel import format_date

    return format_date(day, "full")


# --- Taking the money and handing over in one step --------------------------------------------


def test_money_due_main_button_takes_the_payment_and_hands_over_in_one_step(
    staff_client, gate_day, staff
):
    order = order_for(gate_day, "Alice Dupont")
    html = staff_client.get(card_url(order)).get_data(as_text=True)
    page = page_words(staff_client.get(card_url(order)))
    assert "Encaisser 12,40 € et remettre" in page
    assert "Enregistrer un paiement partiel" in page
    for method in ("cash", "cheque", "card_terminal"):
        assert re.search(rf'<input[^>]*type="radio"[^>]*value="{method}"', html), method
    assert 'value="12,40"' in html  # the amount, prefilled
    assert ">Remis au client<" not in html  # no hand-over-only main button while money is due

    response = staff_client.post(
        card_url(order, "encaisser-et-remettre"),
        data={"method": "cash", "amount": "12,40"},
        follow_redirects=True,
    )
    assert f"Commande {order.number} : 12,40 € encaissés (Espèces), remise à Alice Dupont." in page_words(
        response
    )
    order = fresh(order)
    assert order.status == "collected" and order.collected_by_id == staff.id
    assert [(p.method, p.amount_cents) for p in order.payments] == [("cash", 1240)]
    assert order.amount_due_cents == 0
    assert actions(order) == ["payment_recorded", "collected"]

    # The same click again (a lost answer): nothing more is taken or logged.
    again = page_words(
        staff_client.post(
            card_url(order, "encaisser-et-remettre"),
            data={"method": "cash", "amount": "12,40"},
            follow_redirects=True,
        )
    )
    assert f"La commande {order.number} était déjà remise" in again and "rien n'a changé" in again
    assert count(Payment) == 1 and actions(order) == ["payment_recorded", "collected"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"method": "", "amount": "12,40"}, "Choisissez le moyen de paiement"),
        ({"method": "bitcoin", "amount": "12,40"}, "Choisissez le moyen de paiement"),
        ({"method": "cash", "amount": "20"}, "20,00 €, c'est plus que le reste à payer (12,40 €)"),
        (
            {"method": "cheque", "amount": "10"},
            "10,00 € ne couvre pas le reste à payer (12,40 €) : la commande n'est pas remise",
        ),
        ({"method": "cash", "amount": "abc"}, "Montant invalide (exemple : 2,50)."),
        ({"method": "cash", "amount": ""}, "Indiquez le montant encaissé."),
        ({"method": "cash", "amount": "0"}, "Indiquez un montant supérieur à zéro."),
    ],
)
def test_pay_and_hand_over_refused_does_neither(staff_client, gate_day, data, message):
    order = order_for(gate_day, "Alice Dupont")
    response = staff_client.post(card_url(order, "encaisser-et-remettre"), data=data)
    assert response.status_code == 302
    assert message in page_words(staff_client.get(response.location))
    order = fresh(order)
    assert order.status == "placed" and order.collected_at is None
    assert count(Payment) == 0 and actions(order) == []


def test_pay_and_hand_over_keeps_no_payment_when_the_handover_fails(
    staff_client, gate_day, monkeypatch
):
    order = order_for(gate_day, "Alice Dupont")

    def refuse(order, staff, **kwargs):
        db.session.flush()  # the payment is in the transaction by now
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 1
        raise HandoverError("Remise impossible (essai).")

    monkeypatch.setattr(handover, "mark_collected", refuse)
    response = staff_client.post(
        card_url(order, "encaisser-et-remettre"),
        data={"method": "cash", "amount": "12,40"},
        follow_redirects=True,
    )
    assert "Remise impossible (essai)." in page_words(response)
    assert count(Payment) == 0 and fresh(order).status == "placed" and actions(order) == []


def test_pay_and_hand_over_of_a_cancelled_order_is_refused(staff_client, gate_day, staff):
    from boutique.ordering.services import cancel_order

    order = order_for(gate_day, "Alice Dupont")
    cancel_order(order, reason="essai")
    db.session.commit()
    page = page_words(
        staff_client.post(
            card_url(order, "encaisser-et-remettre"),
            data={"method": "cash", "amount": "12,40"},
            follow_redirects=True,
        )
    )
    assert f"La commande {order.number} est annulée : ne la remettez pas." in page
    assert count(Payment) == 0 and fresh(order).status == "cancelled"


def test_a_partial_payment_stays_a_separate_step(staff_client, gate_day):
    order = order_for(gate_day, "Alice Dupont")
    page = page_words(
        staff_client.post(
            card_url(order, "paiement"),
            data={"method": "cheque", "amount": "5"},
            follow_redirects=True,
        )
    )
    assert "Paiement enregistré : 5,00 € (Chèque). Reste à payer : 7,40 €." in page
    assert "Encaisser 7,40 € et remettre" in page
    assert fresh(order).status == "placed"


# --- Handing over with money due, or before the day ----------------------------------------------


def test_handing_over_with_money_due_needs_an_explicit_confirmation(staff_client, gate_day, staff):
    order = order_for(gate_day, "Alice Dupont")
    html = staff_client.get(card_url(order)).get_data(as_text=True)
    assert re.search(r'<input[^>]*name="confirm_due"[^>]*required', html)
    assert "Remettre sans encaisser 12,40 €" in page_words(staff_client.get(card_url(order)))

    # Without the box ticked (a browser that ignores `required`): refused, nothing done.
    page = page_words(staff_client.post(card_url(order, "remis"), follow_redirects=True))
    assert (
        f"Il reste 12,40 € à payer sur la commande {order.number} : encaissez-les, ou cochez "
        "« Remettre sans encaisser 12,40 € » pour la remettre quand même."
    ) in page
    assert fresh(order).status == "placed" and actions(order) == []

    # Ticked for an amount that is no longer the one due (a partial payment in between).
    record_payment(fresh(order), staff, "cash", 240)
    db.session.commit()
    page = page_words(
        staff_client.post(
            card_url(order, "remis"),
            data={"confirm_due": "y", "due_cents": "1240"},
            follow_redirects=True,
        )
    )
    assert f"Le reste à payer de la commande {order.number} est maintenant de 10,00 €" in page
    assert fresh(order).status == "placed"

    page = page_words(
        staff_client.post(
            card_url(order, "remis"),
            data={"confirm_due": "y", "due_cents": "1000"},
            follow_redirects=True,
        )
    )
    assert (
        f"Commande {order.number} remise à Alice Dupont sans encaisser : 10,00 € restent dus."
        in page
    )
    order = fresh(order)
    assert order.status == "collected" and order.amount_due_cents == 1000
    [event] = [e for e in order.events if e.action == "collected"]
    assert event.details["amount_due_cents"] == 1000

    # The day's list says it plainly; the card still offers to take the rest.
    day = page_words(staff_client.get(f"/gestion/retrait?jour={gate_day['today'].isoformat()}"))
    assert "remis, 10,00 € dû" in day
    card = page_words(staff_client.get(card_url(order)))
    assert "Reste à payer : 10,00 €" in card and "Enregistrer le paiement" in card
    assert "et remettre" not in card


def test_handing_over_before_the_pick_up_day_needs_a_confirmation(
    staff_client, gate_day, make_user
):
    chef = make_user(kind="restaurant", email="chef@bistrot.fr")
    order = order_for(gate_day, "Bistrot", slot="soon", customer=chef)  # on invoice: nothing due
    soon = full_day(gate_day["today"] + timedelta(days=4))
    html = staff_client.get(card_url(order)).get_data(as_text=True)
    page = page_words(staff_client.get(card_url(order)))
    assert f"Retrait prévu le {soon}, pas aujourd'hui." in page
    assert f"Remettre avant le jour prévu ({soon})" in page
    assert re.search(r'<input[^>]*name="confirm_early"[^>]*required', html)

    page = page_words(staff_client.post(card_url(order, "remis"), follow_redirects=True))
    assert (
        f"La commande {order.number} est prévue le {soon} : cochez « Remettre avant le jour "
        "prévu » pour la remettre dès aujourd'hui."
    ) in page
    assert fresh(order).status == "placed"

    page = page_words(
        staff_client.post(
            card_url(order, "remis"), data={"confirm_early": "y"}, follow_redirects=True
        )
    )
    assert f"Commande {order.number} remise à Bistrot." in page
    assert fresh(order).status == "collected"


def test_paying_and_handing_over_before_the_day_needs_the_confirmation_too(staff_client, gate_day):
    order = order_for(gate_day, "Alice Dupont", slot="soon")
    soon = full_day(gate_day["today"] + timedelta(days=4))
    response = staff_client.post(
        card_url(order, "encaisser-et-remettre"),
        data={"method": "cash", "amount": "12,40"},
        follow_redirects=True,
    )
    assert f"La commande {order.number} est prévue le {soon}" in page_words(response)
    assert count(Payment) == 0 and fresh(order).status == "placed"

    staff_client.post(
        card_url(order, "encaisser-et-remettre"),
        data={"method": "cash", "amount": "12,40", "confirm_early": "y"},
    )
    order = fresh(order)
    assert order.status == "collected" and [p.amount_cents for p in order.payments] == [1240]


def test_the_service_refuses_without_confirmations(gate_day, staff):
    order = order_for(gate_day, "Alice Dupont", slot="soon")
    with pytest.raises(HandoverError, match="est prévue le"):
        mark_collected(order, staff, confirm_due_cents=1240)
    with pytest.raises(HandoverError, match=r"Il reste 12,40\s€ à payer"):
        mark_collected(order, staff, confirm_early=True)
    db.session.rollback()
    assert mark_collected(fresh(order), staff, confirm_early=True, confirm_due_cents=1240)


# --- The day page opens on the next pick-up day ------------------------------------------------


def test_day_page_opens_on_the_next_pick_up_day_with_orders(staff_client, gate_day):
    today = gate_day["today"]
    soon, later = today + timedelta(days=4), today + timedelta(days=9)
    order_for(gate_day, "Alice Dupont", slot="soon")
    order_for(gate_day, "Bruno Petit", slot="later")

    response = staff_client.get("/gestion/retrait")
    page = page_words(response)
    assert f"Retraits du {full_day(soon)}" in page and "Alice Dupont" in page
    html = response.get_data(as_text=True)
    assert f'href="/gestion/retrait?jour={later.isoformat()}"' in html  # next pick-up day
    assert f'href="/gestion/retrait?jour={today.isoformat()}"' in html  # today, asked for
    assert "Précédent" not in page  # no pick-up day with orders before

    html = staff_client.get(f"/gestion/retrait?jour={later.isoformat()}").get_data(as_text=True)
    assert f'href="/gestion/retrait?jour={soon.isoformat()}"' in html  # previous pick-up day
    assert "Bruno Petit" in html

    # An explicit day still works, even without orders.
    page = page_words(staff_client.get(f"/gestion/retrait?jour={today.isoformat()}"))
    assert f"Retraits du {full_day(today)}" in page
    assert "Aucune commande à remettre ce jour-là." in page

    # Today, once it has an order, comes first; a point keeps its own days.
    order_for(gate_day, "Chloé Roux", slot="town")
    page = page_words(staff_client.get("/gestion/retrait"))
    assert f"Retraits du {full_day(today)}" in page and "Chloé Roux" in page
    page = page_words(staff_client.get(f"/gestion/retrait?point={gate_day['nursery'].id}"))
    assert f"Retraits du {full_day(soon)}" in page and "Chloé Roux" not in page


def test_day_page_without_any_pick_up_ahead_shows_today(staff_client, gate_day):
    page = page_words(staff_client.get("/gestion/retrait"))
    assert f"Retraits du {full_day(gate_day['today'])}" in page
    assert "Aucune commande à remettre ce jour-là." in page


# --- Caisse du jour -----------------------------------------------------------------------------


def no_show_time(order):
    """When the order may be marked absent (its slot's end plus the grace time)."""
    return handover.no_show_allowed_from(order) + timedelta(minutes=1)


@pytest.fixture
def known_day(gate_day, staff, make_user):
    """Today at the nursery gate: six orders in every state, and orders elsewhere."""
    orders = {name: order_for(gate_day, name) for name in ("Alice", "Bruno", "Chloé", "Denis")}
    orders["Emma"] = order_for(gate_day, "Emma")
    chef = make_user(kind="restaurant", email="chef@bistrot.fr")
    orders["Bistrot"] = order_for(gate_day, "Bistrot", customer=chef)
    elsewhere = order_for(gate_day, "Gaston", slot="town")
    early = order_for(gate_day, "Hugo", slot="soon")

    handover.pay_and_collect(orders["Alice"], staff, "cash", 1240)
    record_payment(orders["Bruno"], staff, "cheque", 500)
    handover.pay_and_collect(orders["Bruno"], staff, "card_terminal", 740)
    mark_collected(orders["Chloé"], staff, confirm_due_cents=1240)
    record_payment(orders["Denis"], staff, "cash", 200)
    mark_no_show(orders["Emma"], staff, now=no_show_time(orders["Emma"]))
    handover.pay_and_collect(elsewhere, staff, "cash", 1240)
    handover.pay_and_collect(early, staff, "cash", 1240, confirm_early=True)
    db.session.commit()
    return orders


def cash_url(gate_day, point="nursery", action=""):
    path = "/gestion/retrait/caisse" + (f"/{action}" if action else "")
    return f"{path}?jour={gate_day['today'].isoformat()}&point={gate_day[point].id}"


EXPECTED_TOTALS = {
    "cash": 1440,
    "cheque": 500,
    "card_terminal": 740,
    "taken": 2680,
    "orders": 6,
    "collected": 3,
    "collected_due_count": 1,
    "collected_due": 1240,
    "waiting_count": 2,
    "waiting_due": 1040,
    "due": 2280,
    "no_shows": 1,
    "no_show_due": 1240,
}


def test_cash_totals_on_a_known_day(staff_client, gate_day, known_day):
    today, nursery = gate_day["today"], gate_day["nursery"]
    totals = cash.day_totals(today, nursery.id)
    assert {key: totals[key] for key in EXPECTED_TOTALS} == EXPECTED_TOTALS

    page = page_words(staff_client.get(cash_url(gate_day)))
    assert f"Caisse du {full_day(today)} — Portail de la pépinière" in page
    for text in (
        "Espèces 14,40 €",
        "Chèque 5,00 €",
        "Carte (TPE) 7,40 €",
        "Total encaissé 26,80 €",
        "Remises avec un reste dû 1 commande 12,40 €",
        "Pas encore remises 2 commandes 10,40 € à encaisser",
        "Absents (non retirés) 1 commande 12,40 €",
    ):
        assert text in page, text
    for order in known_day.values():
        assert order.number in page
    assert "Gaston" not in page and "Hugo" not in page  # another point, another day
    # One row per order: what it costs, what the gate took and how, what is left.
    bruno = known_day["Bruno"].number
    assert f"{bruno} Bruno Retirée 12,40 € Chèque 5,00 € Carte (TPE) 7,40 € 0,00 €" in page
    assert f"{known_day['Chloé'].number} Chloé Retirée 12,40 € — 12,40 €" in page
    assert f"{known_day['Denis'].number} Denis Reçue 12,40 € Espèces 2,00 € 10,40 €" in page
    assert f"{known_day['Emma'].number} Emma Non retirée 12,40 € — 12,40 €" in page
    assert f"{known_day['Bistrot'].number} Bistrot Reçue 10,02 € sur facture —" in page

    # The town shop's cash is its own.
    town = cash.day_totals(today, gate_day["town"].id)
    assert (town["cash"], town["orders"], town["collected"]) == (1240, 1, 1)


def test_orders_waiting_with_nothing_to_take_say_so(staff_client, gate_day, known_day, staff):
    """Only the restaurant's invoice order is left: nothing to take at the gate, not "0,00 €"."""
    handover.pay_and_collect(known_day["Denis"], staff, "cash", 1040)
    db.session.commit()
    page = page_words(staff_client.get(cash_url(gate_day)))
    assert "Pas encore remises 1 commande rien à encaisser" in page
    assert "0,00 € à encaisser" not in page


def test_the_day_page_links_to_each_points_cash(staff_client, gate_day, known_day):
    html = staff_client.get(f"/gestion/retrait?jour={gate_day['today'].isoformat()}").get_data(
        as_text=True
    )
    for point in ("nursery", "town"):
        url = cash_url(gate_day, point).replace("&", "&amp;")
        assert f'href="{url}"' in html


def test_cash_page_without_a_point_lists_the_days_points(staff_client, gate_day, known_day):
    page = page_words(staff_client.get(f"/gestion/retrait/caisse?jour={gate_day['today'].isoformat()}"))
    assert "Portail de la pépinière" in page and "Local en ville" in page
    response = staff_client.get("/gestion/retrait/caisse?jour=2026-13-45&point=999999")
    assert response.status_code == 404
    assert "Point de retrait inconnu." in page_words(response)


def test_closing_freezes_the_totals_with_the_cash_counted(staff_client, gate_day, known_day, staff):
    page = page_words(
        staff_client.post(
            cash_url(gate_day, action="cloture"),
            data={"counted_cash": "14,00", "note": "Un billet de 5 € abîmé."},
            follow_redirects=True,
        )
    )
    assert f"Caisse du {full_day(gate_day['today'])} close (Portail de la pépinière)." in page
    [closing] = db.session.scalars(select(CashClosing)).all()
    assert closing.day == gate_day["today"] and closing.point_id == gate_day["nursery"].id
    assert closing.closed_by_id == staff.id and closing.closed_by_label == staff.email
    assert closing.counted_cash_cents == 1400 and closing.note == "Un billet de 5 € abîmé."
    assert {key: closing.totals[key] for key in EXPECTED_TOTALS} == EXPECTED_TOTALS

    assert "Caisse close le" in page and staff.email in page
    assert "Espèces comptées 14,00 €" in page
    assert "Écart −0,40 € (il manque de l'argent)" in page
    assert "Un billet de 5 € abîmé." in page
    assert "Clore la caisse" not in page


def test_closing_without_counting_and_with_no_difference(staff_client, gate_day, known_day):
    staff_client.post(cash_url(gate_day, action="cloture"), data={"counted_cash": "", "note": ""})
    page = page_words(staff_client.get(cash_url(gate_day)))
    assert "Espèces comptées non indiquées" in page
    assert db.session.scalars(select(CashClosing)).one().counted_cash_cents is None
    staff_client_town = staff_client.post(
        cash_url(gate_day, "town", "cloture"), data={"counted_cash": "12,40"}, follow_redirects=True
    )
    assert "Écart aucun" in page_words(staff_client_town)


def test_closing_twice_says_so_and_keeps_the_first(staff_client, gate_day, known_day, staff):
    url = cash_url(gate_day, action="cloture")
    staff_client.post(url, data={"counted_cash": "14,40"})
    page = page_words(staff_client.post(url, data={"counted_cash": "99"}, follow_redirects=True))
    assert (
        f"La caisse du {full_day(gate_day['today'])} (Portail de la pépinière) est déjà close"
        in page
    )
    assert "rien n'a changé" in page
    assert [c.counted_cash_cents for c in db.session.scalars(select(CashClosing))] == [1440]


def test_a_closing_that_meets_the_unique_constraint_gets_the_message(
    gate_day, known_day, staff, monkeypatch
):
    today, nursery = gate_day["today"], gate_day["nursery"]
    cash.close_day(today, nursery, staff, None, "")
    db.session.commit()
    # As if another phone closed it between the check and the insert.
    monkeypatch.setattr(cash, "closing_of", lambda day, point_id: None)
    with pytest.raises(cash.CashError, match="est déjà close"):
        cash.close_day(today, nursery, staff, 100, "")
    db.session.rollback()
    assert count(CashClosing) == 1


@pytest.fixture
def race_app(app, make_app):
    return make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 4, "max_overflow": 0})


def test_two_phones_closing_at_once_close_it_once(race_app, gate_day, known_day, staff):
    day, point_id, staff_id = gate_day["today"], gate_day["nursery"].id, staff.id

    def close(index, barrier):
        with race_app.app_context():
            point = db.session.get(PickupPoint, point_id)
            actor = db.session.get(type(staff), staff_id)
            barrier.wait()
            try:
                cash.close_day(day, point, actor, index * 100, "")
                db.session.commit()
            except cash.CashError as refusal:
                db.session.rollback()
                return str(refusal)
            return "closed"

    results, errors, _ = run_together(2, close)
    assert errors == []
    assert results.count("closed") == 1
    assert "est déjà close" in [r for r in results if r != "closed"][0]
    assert count(CashClosing) == 1


def test_closing_a_day_to_come_is_refused(staff_client, gate_day):
    order_for(gate_day, "Alice", slot="soon")
    soon = gate_day["today"] + timedelta(days=4)
    url = f"/gestion/retrait/caisse/cloture?jour={soon.isoformat()}&point={gate_day['nursery'].id}"
    page = page_words(staff_client.post(url, data={"counted_cash": ""}, follow_redirects=True))
    assert f"La caisse du {full_day(soon)} ne peut être close qu'à partir de ce jour-là." in page
    assert count(CashClosing) == 0


def test_bad_counted_amount_is_refused_and_closes_nothing(staff_client, gate_day, known_day):
    page = page_words(
        staff_client.post(
            cash_url(gate_day, action="cloture"),
            data={"counted_cash": "douze"},
            follow_redirects=True,
        )
    )
    assert "Montant invalide (exemple : 2,50)." in page
    assert count(CashClosing) == 0
    staff_client.post(cash_url(gate_day, action="cloture"), data={"counted_cash": "-3"})
    assert count(CashClosing) == 0


def test_a_payment_after_closing_is_a_correction_never_edited_in(
    staff_client, gate_day, known_day, staff
):
    staff_client.post(cash_url(gate_day, action="cloture"), data={"counted_cash": "14,40"})
    denis = known_day["Denis"]
    handover.pay_and_collect(fresh(denis), staff, "cash", 1040)
    db.session.commit()

    closing = db.session.scalars(select(CashClosing)).one()
    assert closing.totals["cash"] == 1440 and closing.totals["waiting_due"] == 1040
    page = page_words(staff_client.get(cash_url(gate_day)))
    assert "Espèces 14,40 €" in page  # the frozen figure
    assert "Après clôture" in page
    assert f"{denis.number} Denis Espèces +10,40 €" in page
    assert "Total après clôture : Espèces +10,40 €" in page


# --- Who may see and do it ----------------------------------------------------------------------


def test_cash_pages_are_for_the_gate_and_staff_only(client, login, make_user, gate_day, known_day):
    page_url, close_url = cash_url(gate_day), cash_url(gate_day, action="cloture")
    response = client.get(page_url)
    assert response.status_code == 302 and "/compte/connexion" in response.location
    assert client.post(close_url, data={"counted_cash": "1"}).status_code == 302

    login(make_user())
    assert client.get(page_url).status_code == 403
    assert client.post(close_url, data={"counted_cash": "1"}).status_code == 403
    assert client.post(card_url(known_day["Denis"], "encaisser-et-remettre")).status_code == 403
    assert count(CashClosing) == 0
    client.post("/compte/deconnexion")

    gate = make_user(role="gate", email="accueil@lapepiniere.example")
    login(gate)
    response = client.get(page_url)
    assert response.status_code == 200
    page = page_words(response)
    assert "Alice" in page and "chef@bistrot.fr" not in page
    client.post(close_url, data={"counted_cash": "14,40"})
    assert db.session.scalars(select(CashClosing)).one().closed_by_id == gate.id


def test_the_gate_sees_first_names_and_initials_on_the_cash_page(
    client, login, make_user, gate_day
):
    order_for(gate_day, "Camille Martin")
    login(make_user(role="gate", email="accueil@lapepiniere.example"))
    page = page_words(client.get(cash_url(gate_day)))
    assert "Camille M." in page and "Martin" not in page


def test_cash_forms_need_their_token(app, staff_client, gate_day, known_day):
    app.config["WTF_CSRF_ENABLED"] = True
    denis = known_day["Denis"]
    for url, data in (
        (cash_url(gate_day, action="cloture"), {"counted_cash": "1"}),
        (card_url(denis, "encaisser-et-remettre"), {"method": "cash", "amount": "10,40"}),
        (card_url(denis, "remis"), {"confirm_due": "y", "due_cents": "1040"}),
    ):
        assert staff_client.post(url, data=data).status_code == 400, url
    assert count(CashClosing) == 0 and fresh(denis).status == "placed"


def test_cash_closing_shows_the_time_in_paris(staff_client, gate_day, known_day):
    staff_client.post(cash_url(gate_day, action="cloture"), data={})
    closing = db.session.scalars(select(CashClosing)).one()
    closed = closing.closed_at.astimezone(shop_zone())
    page = page_words(staff_client.get(cash_url(gate_day)))
    assert f"Caisse close le {full_day(closed.date())} à {closed:%H:%M}" in page


def bistrot_paying_on_pickup(gate_day, make_user):
    """A restaurant's order (4 tomatoes) paid on pick-up today, not confirmed by staff."""
    chef = make_user(kind="restaurant", organisation="Le Bistrot", email="chef@bistrot.fr")
    order = place_order(
        week=gate_day["week"],
        items={gate_day["tomato"].id: 4},
        slot_id=gate_day["slots"]["today"].id,
        payment_method="on_pickup",
        contact=Contact("Le Bistrot (Paul Roux)", chef.email, "06 11 22 33 44"),
        kind="restaurant",
        customer=chef,
        checkout_token="token-bistrot-on-pickup",
    )
    db.session.commit()
    return order


def test_a_business_order_handed_over_before_confirmation_gets_its_invoice_paid(
    staff_client, gate_day, staff, make_user
):
    """Staff never confirmed the restaurant's order: taking its money at the gate makes the
    sale, so its invoice is issued then, and paid at once."""
    from boutique.payments.invoices import balance_cents, order_invoice

    order = bistrot_paying_on_pickup(gate_day, make_user)
    assert order.status == "placed" and order_invoice(order) is None
    due = order.amount_due_cents

    handover.pay_and_collect(order, staff, "cash", due)
    db.session.commit()

    order = fresh(order)
    invoice = order_invoice(order)
    assert order.status == "collected" and invoice is not None
    assert invoice.payment_method == "on_pickup" and balance_cents(invoice) == due
    assert invoice.is_paid
    assert order.events[-1].details.get("document") == invoice.number


# --- A gate payment recorded by mistake: taken back by a new entry ----------------------------


def cancel_url(payment):
    return f"/gestion/retrait/paiement/{payment.id}/annuler"


def test_staff_take_back_a_wrong_payment_and_record_the_right_one(staff_client, gate_day, staff):
    order = order_for(gate_day, "Alice")
    wrong = record_payment(order, staff, "cash", 1240)  # it was a cheque
    db.session.commit()
    card = page_words(staff_client.get(card_url(order)))
    assert "Annuler ce paiement (erreur de saisie)…" in card

    response = staff_client.post(
        cancel_url(wrong), data={"reason": "C'était un chèque"}, follow_redirects=True
    )
    assert (
        f"Paiement de 12,40 € (Espèces) annulé sur la commande {order.number} ; "
        "enregistrez le bon s'il y a lieu." in page_words(response)
    )
    order = fresh(order)
    assert sorted(p.amount_cents for p in order.payments) == [-1240, 1240]
    assert order.amount_due_cents == 1240
    event = order.events[-1]
    assert event.action == "payment_cancelled" and event.details["reason"] == "C'était un chèque"
    record_payment(order, staff, "cheque", 1240)
    db.session.commit()
    totals = cash.day_totals(gate_day["today"], gate_day["nursery"].id)
    assert (totals["cash"], totals["cheque"], totals["taken"]) == (0, 1240, 1240)

    again = staff_client.post(cancel_url(wrong), data={"reason": "encore"}, follow_redirects=True)
    assert "Ce paiement est déjà annulé." in page_words(again)
    assert count(Payment) == 3


@pytest.mark.parametrize(
    ("reason", "message"),
    [("", "Indiquez pourquoi ce paiement est annulé."), ("x" * 201, "200 caractères au plus.")],
)
def test_a_take_back_needs_a_reason(staff_client, gate_day, staff, reason, message):
    order = order_for(gate_day, "Alice")
    payment = record_payment(order, staff, "cash", 1240)
    db.session.commit()
    response = staff_client.post(cancel_url(payment), data={"reason": reason}, follow_redirects=True)
    assert message in page_words(response)
    assert count(Payment) == 1


def test_the_gate_cannot_take_a_payment_back(client, login, make_user, gate_day, staff):
    order = order_for(gate_day, "Alice")
    payment = record_payment(order, staff, "cash", 1240)
    db.session.commit()
    login(make_user(role="gate", email="porte@lapepiniere.example"))
    assert "Annuler ce paiement" not in page_words(client.get(card_url(order)))
    assert client.post(cancel_url(payment), data={"reason": "oups"}).status_code == 403
    assert count(Payment) == 1


def test_a_take_back_after_closing_is_a_correction_the_closing_keeps(
    staff_client, gate_day, staff
):
    order = order_for(gate_day, "Alice")
    payment = record_payment(order, staff, "cash", 1240)
    db.session.commit()
    cash.close_day(gate_day["today"], gate_day["nursery"], staff, 1240, "")
    db.session.commit()
    staff_client.post(cancel_url(payment), data={"reason": "Saisie en double"})
    closing = cash.closing_of(gate_day["today"], gate_day["nursery"].id)
    assert closing.totals["cash"] == 1240  # frozen
    assert cash.day_totals(gate_day["today"], gate_day["nursery"].id)["cash"] == 0
    page = page_words(staff_client.get(cash_url(gate_day)))
    assert "Total après clôture : Espèces −12,40 €" in page


def test_taking_back_a_payment_unpays_the_invoice_it_had_paid(
    staff_client, gate_day, staff, make_user
):
    from boutique.payments.invoices import order_invoice

    order = bistrot_paying_on_pickup(gate_day, make_user)
    payment = handover.pay_and_collect(order, staff, "cash", order.amount_due_cents)
    db.session.commit()
    assert order_invoice(fresh(order)).is_paid
    staff_client.post(cancel_url(payment), data={"reason": "Billet refusé"})
    assert not order_invoice(fresh(order)).is_paid
