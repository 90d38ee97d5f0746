"""The week's pick-up schedule in the database: generate, move, publish, remind."""

import re
import time as time_module
from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select

from boutique.extensions import db
from boutique.models import Order, OutboxMessage, PickupPoint, PickupSlot, utcnow
from boutique.ordering.services import Contact, place_order
from boutique.pickup import schedule
from tests.conftest import page_text

FRIDAY = date(2026, 12, 4)


@pytest.fixture
def week_setup(make_product, make_week, staff):
    basil = make_product(name="Basilic", variety="Grand vert")
    week = make_week(offers=[(basil, {"quantity_available": None})])
    gate = PickupPoint(name="Portail", address="Chemin des Jardins", position=1)
    town = PickupPoint(
        name="Local en ville",
        address="8 rue des Lices",
        for_restaurant=False,
        for_amap=False,
        position=2,
    )
    db.session.add_all([gate, town])
    slots = {
        "gate_fri": PickupSlot(
            week=week,
            point=gate,
            day=FRIDAY,
            starts_at=time(16),
            ends_at=time(18),
            capacity=2,
            booked=0,
        ),
        "gate_sat": PickupSlot(
            week=week,
            point=gate,
            day=FRIDAY + timedelta(days=1),
            starts_at=time(9),
            ends_at=time(12),
            capacity=2,
            booked=0,
        ),
        "town_fri": PickupSlot(
            week=week,
            point=town,
            day=FRIDAY,
            starts_at=time(12),
            ends_at=time(14),
            capacity=1,
            booked=0,
        ),
    }
    db.session.add_all(slots.values())
    db.session.commit()
    return {
        "week": week,
        "offer": week.offers[0],
        "gate": gate,
        "town": town,
        "slots": slots,
        "staff": staff,
    }


def phone_order(setup, name, slot=None, kind="individual", customer=None, point=None):
    """An order entered by staff, with or without a slot."""
    order = place_order(
        week=setup["week"],
        items={setup["offer"].id: 1},
        slot_id=setup["slots"][slot].id if slot else None,
        payment_method="on_pickup",
        contact=Contact(name, f"{name.lower()}@exemple.fr"),
        kind=kind,
        customer=customer,
        checkout_token=f"token-{name}",
        entered_by=setup["staff"],
        preferred_point_id=point.id if point else None,
    )
    db.session.commit()
    return order


def walk_in_order(setup, name, phone, slot=None):
    """A phone order from someone without an e-mail address: staff call them."""
    order = place_order(
        week=setup["week"],
        items={setup["offer"].id: 1},
        slot_id=setup["slots"][slot].id if slot else None,
        payment_method="on_pickup",
        contact=Contact(name, "", phone),
        kind="individual",
        checkout_token=f"token-{name}",
        entered_by=setup["staff"],
    )
    db.session.commit()
    return order


def flashed(response):
    """The flash messages a staff member reads on the page."""
    return [
        " ".join(message.split())
        for message in re.findall(r'<p class="flash[^"]*">(.*?)</p>', page_text(response), re.S)
    ]


def booked(slot):
    db.session.expire_all()
    return db.session.get(PickupSlot, slot.id).booked


def test_orders_without_a_slot_are_placed_first_come_first_served(week_setup):
    first = phone_order(week_setup, "Alice")
    second = phone_order(week_setup, "Bruno", point=week_setup["town"])
    result = schedule.generate_schedule(week_setup["week"])
    db.session.commit()
    slots = week_setup["slots"]
    # Alice has no preference: the earliest of the empty slots. Bruno wanted the town point,
    # now full: the least-loaded slot elsewhere.
    assert result.placed == {first.id: slots["town_fri"].id, second.id: slots["gate_fri"].id}
    assert booked(slots["gate_fri"]) == 1 and booked(slots["town_fri"]) == 1
    events = [e.action for e in db.session.get(Order, first.id).events]
    assert events == ["entered_by_staff", "slot_assigned"]


def test_orders_that_do_not_fit_are_listed_with_a_reason(week_setup, make_user, staff_client):
    for index in range(6):
        phone_order(week_setup, f"Client{index}")
    amap = make_user(kind="amap")
    waiting_amap = phone_order(week_setup, "Amap", kind="amap", customer=amap)
    week_setup["gate"].for_amap = False
    db.session.commit()
    result = schedule.generate_schedule(week_setup["week"])
    db.session.commit()
    assert len(result.placed) == 5  # 2 + 2 + 1 places in all
    assert result.unplaced[waiting_amap.id] == schedule.NO_SLOT_FOR_KIND
    assert list(result.unplaced.values()).count(schedule.ALL_FULL) == 1
    assert all(booked(s) <= s.capacity for s in week_setup["slots"].values())
    page = page_text(staff_client.get(f"/gestion/semaines/{week_setup['week'].id}/planning"))
    assert "Aucun créneau ouvert à ce type de client cette semaine." in page
    assert "Tous les créneaux possibles sont complets." in page


def test_closing_a_slot_moves_its_orders_near_where_they_were(week_setup, staff_client):
    slots = week_setup["slots"]
    order = phone_order(week_setup, "Alice", slot="gate_fri")
    response = staff_client.post(
        f"/gestion/creneaux/{slots['gate_fri'].id}/fermeture",
        data={"action": "close", "week_id": str(week_setup["week"].id)},
        follow_redirects=True,
    )
    assert "1 placées sur d'autres créneaux" in page_text(response)
    # What the page says of closing matches what closing did.
    assert "celles qu'il avait sont placées sur d'autres créneaux" in page_text(response)
    db.session.expire_all()
    moved = db.session.get(Order, order.id)
    assert moved.slot_id == slots["gate_sat"].id  # same point, next day
    assert (booked(slots["gate_fri"]), booked(slots["gate_sat"])) == (0, 1)


def test_generating_twice_changes_nothing(week_setup):
    phone_order(week_setup, "Alice")
    schedule.generate_schedule(week_setup["week"])
    db.session.commit()
    assert schedule.generate_schedule(week_setup["week"]).placed == {}
    assert sum(booked(slot) for slot in week_setup["slots"].values()) == 1


def test_staff_move_an_order_within_capacity_and_kind(week_setup, staff_client):
    slots = week_setup["slots"]
    order = phone_order(week_setup, "Alice", slot="gate_fri")
    phone_order(week_setup, "Bruno", slot="town_fri")
    response = staff_client.post(
        f"/gestion/commandes/{order.id}/creneau",
        data={"slot_id": slots["town_fri"].id},
        follow_redirects=True,
    )
    assert "complet ou fermé" in page_text(response)
    response = staff_client.post(
        f"/gestion/commandes/{order.id}/creneau",
        data={"slot_id": slots["gate_sat"].id},
        follow_redirects=True,
    )
    assert f"Commande {order.number} déplacée" in page_text(response)
    assert (booked(slots["gate_fri"]), booked(slots["gate_sat"])) == (0, 1)
    response = staff_client.post(
        f"/gestion/commandes/{order.id}/creneau", data={"slot_id": "x"}, follow_redirects=True
    )
    assert "Choisissez un créneau." in page_text(response)


def test_publish_mails_each_customer_once_with_an_invitation(week_setup, staff_client, mailbox):
    from boutique.outbox import send_due

    slots = week_setup["slots"]
    alice = phone_order(week_setup, "Alice", slot="gate_fri")
    phone_order(week_setup, "Bruno", slot="town_fri")
    response = staff_client.post(
        f"/gestion/semaines/{week_setup['week'].id}/planning/publier", follow_redirects=True
    )
    assert "Planning publié : 2 e-mails envoyés." in flashed(response)
    send_due()
    mails = {m["To"]: m for m in mailbox.messages if m["Subject"].startswith("Retrait")}
    mail = mails["alice@exemple.fr"]
    assert mail["Subject"] == f"Retrait de votre commande {alice.number}"
    body = mailbox.body(mail)
    assert "Portail, Chemin des Jardins" in body and "de 16:00 à 18:00" in body
    assert "Reste à payer au retrait" in body
    invitation = next(part for part in mail.iter_attachments())
    assert invitation.get_content_type() == "text/calendar"
    assert "BEGIN:VEVENT" in invitation.get_content()

    # Publishing again tells nobody; a move after publication tells only that customer.
    response = staff_client.post(
        f"/gestion/semaines/{week_setup['week'].id}/planning/publier", follow_redirects=True
    )
    assert flashed(response) == ["Planning publié : aucun e-mail à envoyer."]
    before = db.session.query(OutboxMessage).count()
    assert before == 4  # two "reçue" mails, then two schedule mails
    staff_client.post(
        f"/gestion/commandes/{alice.id}/creneau", data={"slot_id": slots["gate_sat"].id}
    )
    new = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id).offset(before)).all()
    assert [(m.recipient, m.subject) for m in new] == [
        ("alice@exemple.fr", f"Retrait de votre commande {alice.number}")
    ]


def test_reminders_go_once_to_tomorrows_customers(week_setup, runner):
    alice = phone_order(week_setup, "Alice", slot="gate_fri")
    phone_order(week_setup, "Bruno", slot="gate_sat")
    result = runner.invoke(args=["schedule", "remind", "--day", FRIDAY.isoformat()])
    assert "1 reminders queued for 2026-12-04" in result.output
    again = runner.invoke(args=["schedule", "remind", "--day", FRIDAY.isoformat()])
    assert "0 reminders" in again.output
    subjects = [m.subject for m in db.session.scalars(select(OutboxMessage))]
    assert subjects.count(f"Rappel : retrait de votre commande {alice.number} demain") == 1


def test_schedule_commands_take_a_week_by_label(week_setup, runner):
    phone_order(week_setup, "Alice")
    result = runner.invoke(args=["schedule", "generate", week_setup["week"].label])
    assert result.exit_code == 0 and "1 orders placed, 0 not" in result.output
    result = runner.invoke(args=["schedule", "publish", str(week_setup["week"].id)])
    assert "schedule published, 1 e-mails sent (1 orders)." in result.output
    result = runner.invoke(args=["schedule", "publish", str(week_setup["week"].id)])
    assert "schedule published, no e-mail to send." in result.output
    result = runner.invoke(args=["schedule", "generate", "Semaine 99"])
    assert result.exit_code != 0 and "no week" in result.output


def test_schedule_generate_names_unplaced_orders_by_their_number(week_setup, make_user, runner):
    orders = [phone_order(week_setup, f"Client{index}") for index in range(6)]
    amap = phone_order(week_setup, "Amap", kind="amap", customer=make_user(kind="amap"))
    week_setup["gate"].for_amap = False
    db.session.commit()
    result = runner.invoke(args=["schedule", "generate", str(week_setup["week"].id)])
    assert result.exit_code == 0, result.output
    assert "5 orders placed, 2 not" in result.output
    last = orders[-1]  # first come, first served: the sixth individual finds every slot full
    assert f"  order {amap.number}: Aucun créneau ouvert à ce type de client" in result.output
    assert f"  order {last.number}: Tous les créneaux possibles sont complets." in result.output
    assert amap.number.startswith("S") and last.number.startswith("S")
    # Never the database id, which staff cannot find anywhere.
    assert "#" not in result.output
    assert f"order {amap.id}:" not in result.output and f"order {last.id}:" not in result.output


def test_schedule_page_is_for_staff(client, week_setup, make_user, login):
    url = f"/gestion/semaines/{week_setup['week'].id}/planning"
    assert client.get(url).status_code == 302
    login(make_user())
    assert client.get(url).status_code == 403
    assert client.post(url + "/publier").status_code == 403
    assert (
        db.session.get(type(week_setup["week"]), week_setup["week"].id).schedule_published_at
        is None
    )


def test_tomorrow_follows_paris_time(app):
    from datetime import UTC, datetime

    late_evening_utc = datetime(2026, 12, 3, 23, 30, tzinfo=UTC)  # already Dec 4 in Paris
    assert schedule.tomorrow_in_shop_zone(late_evening_utc) == date(2026, 12, 5)
    assert utcnow().tzinfo is not None


def notify_and_read_invitation(order, mailbox, send_due):
    """The schedule mail of an order as the customer receives it: its .ics text."""
    schedule.notify_slot(db.session.get(Order, order.id))
    db.session.commit()
    send_due()
    mail = next(
        m for m in mailbox.messages if m["To"] == order.email and m["Subject"].startswith("Retrait")
    )
    return next(part for part in mail.iter_attachments()).get_content()


def uid_and_sequence(invitation):
    uid = re.search(r"^UID:(.+)$", invitation, re.M).group(1).strip()
    return uid, int(re.search(r"^SEQUENCE:(\d+)", invitation, re.M).group(1))



def move_slot(staff_client, week_setup, slot, day, starts_at, ends_at):
    """Staff move one of the week's slots to another day and time, from its form."""
    return staff_client.post(
        f"/gestion/creneaux/{week_setup['slots'][slot].id}/horaire",
        data={
            "week_id": str(week_setup["week"].id),
            "day": day.isoformat(),
            "starts_at": starts_at,
            "ends_at": ends_at,
        },
        follow_redirects=True,
    )


def test_moving_a_slot_tells_its_customers_the_new_time(week_setup, staff_client, mailbox):
    from boutique.outbox import send_due

    slots = week_setup["slots"]
    alice = phone_order(week_setup, "Alice", slot="gate_fri")
    phone_order(week_setup, "Bruno", slot="town_fri")  # another slot: not told
    first_invitation = notify_and_read_invitation(alice, mailbox, send_due)
    mailbox.messages.clear()
    time_module.sleep(1.1)  # the next invitation is made at least a second later

    response = move_slot(staff_client, week_setup, "gate_fri", FRIDAY, "17:00", "19:00")

    assert (
        "Portail, vendredi 4 décembre 2026, de 17:00 à 19:00 : créneau déplacé. 1 e-mail envoyé."
        in flashed(response)
    )
    db.session.expire_all()
    slot = db.session.get(PickupSlot, slots["gate_fri"].id)
    assert (slot.starts_at, slot.ends_at) == (time(17), time(19))
    send_due()
    assert [m["To"] for m in mailbox.messages] == ["alice@exemple.fr"]
    body = mailbox.body(mailbox.messages[0])
    assert "le créneau de retrait de votre commande a changé" in body
    assert "de 17:00 à 19:00" in body
    invitation = next(part for part in mailbox.messages[0].iter_attachments()).get_content()
    assert "DTSTART;TZID=Europe/Paris:" in invitation and "T170000" in invitation
    # Same event, later version: calendars replace the first invitation with this one.
    assert uid_and_sequence(invitation)[0] == uid_and_sequence(first_invitation)[0]
    assert uid_and_sequence(invitation)[1] > uid_and_sequence(first_invitation)[1]
    events = db.session.get(Order, alice.id).events
    assert events[-1].action == "slot_retimed"


def test_a_slot_cannot_move_onto_another_or_backwards(week_setup, staff_client):
    slots = week_setup["slots"]
    phone_order(week_setup, "Alice", slot="gate_fri")
    week_id = str(week_setup["week"].id)
    url = f"/gestion/creneaux/{slots['gate_fri'].id}/horaire"
    onto_saturday = {
        "week_id": week_id,
        "day": (FRIDAY + timedelta(days=1)).isoformat(),
        "starts_at": "09:00",
        "ends_at": "12:00",
    }
    backwards = {**onto_saturday, "starts_at": "18:00", "ends_at": "16:00"}
    garbage = {**onto_saturday, "day": "vendredi", "starts_at": "25:99"}

    texts = [
        page_text(staff_client.post(url, data=data, follow_redirects=True))
        for data in (onto_saturday, backwards, garbage)
    ]

    assert "déjà un créneau ce jour-là à cette heure" in texts[0]
    assert "La fin du créneau doit suivre son début" in texts[1]
    assert "Date invalide" in texts[2] and "Heure invalide" in texts[2]
    db.session.expire_all()
    slot = db.session.get(PickupSlot, slots["gate_fri"].id)
    assert (slot.day, slot.starts_at) == (FRIDAY, time(16))
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 1  # only "reçue"


def test_publishing_reads_the_orders_in_a_constant_number_of_queries(week_setup, count_queries):
    def selects_to_publish(names, slot):
        for name in names:
            phone_order(week_setup, name, slot=slot)
        week = db.session.get(type(week_setup["week"]), week_setup["week"].id)
        week.schedule_published_at = None
        db.session.expire_all()
        with count_queries() as statements:
            told = schedule.publish_schedule(db.session.get(type(week), week.id)).mails
        db.session.rollback()
        return told, sum(1 for s in statements if s.lstrip().upper().startswith("SELECT"))

    few = selects_to_publish(["Alice"], "gate_fri")
    many = selects_to_publish(["Bruno", "Chloé"], "gate_sat")
    assert few[0] == 1 and many[0] == 3  # Alice is told again: the publication was rolled back
    assert few[1] == many[1]


# --- Only orders that can be collected are scheduled (issue 12, part 4) -------------------------


def card_order(setup, name, slot=None, hold_minutes=20):
    """A card order whose customer left the payment page: pending, its hold still running."""
    order = place_order(
        week=setup["week"],
        items={setup["offer"].id: 1},
        slot_id=setup["slots"][slot].id if slot else None,
        payment_method="card",
        contact=Contact(name, f"{name.lower()}@exemple.fr"),
        kind="individual",
        checkout_token=f"card-{name}",
    )
    order.hold_expires_at = utcnow() + timedelta(minutes=hold_minutes)
    db.session.commit()
    assert order.status == "pending_payment"
    return order


def test_an_unpaid_card_order_gets_no_pickup_mail_but_one_asking_to_pay(week_setup, staff_client):
    paid = phone_order(week_setup, "Alice", slot="gate_fri")
    unpaid = card_order(week_setup, "Bruno", slot="gate_sat")
    card_order(week_setup, "Chloe", slot="gate_sat", hold_minutes=-5)  # its window closed
    week_id = week_setup["week"].id

    page = page_text(staff_client.get(f"/gestion/semaines/{week_id}/planning"))
    assert "invités à les payer" not in page  # one only: the lapsed one is not asked
    assert f"son client sera invité à la payer à la publication ({unpaid.number})" in page

    # The button counts the "pay to keep it" mail too: publishing sends two.
    confirm = page_text(staff_client.get(f"/gestion/semaines/{week_id}/planning/publier"))
    assert "Publier et envoyer 2 e-mails" in confirm
    response = staff_client.post(
        f"/gestion/semaines/{week_id}/planning/publier", follow_redirects=True
    )
    assert "Planning publié : 2 e-mails envoyés." in flashed(response)
    subjects = {
        (m.recipient, m.subject)
        for m in db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.order_id.is_not(None))
        )
    }
    assert ("alice@exemple.fr", f"Retrait de votre commande {paid.number}") in subjects
    assert (
        "bruno@exemple.fr",
        f"Commande {unpaid.number} non payée : payez-la pour la garder",
    ) in subjects
    assert not any(s.startswith("Retrait") for r, s in subjects if r != "alice@exemple.fr")
    assert not any(r == "chloe@exemple.fr" for r, s in subjects if "payez-la" in s)  # window closed

    confirm = page_text(staff_client.get(f"/gestion/semaines/{week_id}/planning/publier"))
    assert "Publier et envoyer" not in confirm  # Bruno was asked once: nothing left to send
    again = staff_client.post(
        f"/gestion/semaines/{week_id}/planning/publier", follow_redirects=True
    )
    assert flashed(again) == ["Planning publié : aucun e-mail à envoyer."]
    asked = db.session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.subject.contains("payez-la"))
    )
    assert asked == 1


def test_generating_the_schedule_leaves_unpaid_card_orders_out(week_setup):
    unpaid = card_order(week_setup, "Bruno", slot="gate_sat")
    moved = phone_order(week_setup, "Alice", slot="gate_sat")

    result = schedule.close_slot(week_setup["slots"]["gate_sat"], True)  # both must move
    db.session.commit()

    assert moved.id in result.placed
    assert unpaid.id not in result.placed and unpaid.id not in result.unplaced
    by_slot, without_slot = schedule.week_schedule(week_setup["week"])
    listed = [order.id for order in without_slot] + [o.id for os in by_slot.values() for o in os]
    assert moved.id in listed and unpaid.id not in listed


def test_reminders_skip_unpaid_card_orders(week_setup):
    card_order(week_setup, "Bruno", slot="gate_fri")
    alice = phone_order(week_setup, "Alice", slot="gate_fri")

    assert schedule.send_reminders(FRIDAY) == 1
    db.session.commit()
    reminded = db.session.scalars(
        select(OutboxMessage.recipient).where(OutboxMessage.subject.startswith("Rappel"))
    ).all()
    assert reminded == [alice.email]


def test_publishing_first_says_who_will_be_mailed_and_who_to_call(week_setup, staff_client):
    alice = phone_order(week_setup, "Alice", slot="gate_fri")
    walk_in = walk_in_order(week_setup, "M. Garcia", "04 90 12 34 56", slot="gate_sat")
    address = f"/gestion/semaines/{week_setup['week'].id}/planning/publier"

    page = page_text(staff_client.get(address))

    assert "1 commande sera annoncée par e-mail à son client" in page and alice.number in page
    assert "1 client n'a pas d'e-mail : appelez-le." in page and "04 90 12 34 56" in page
    assert "Publier et envoyer 1 e-mail" in page
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.subject.startswith("Retrait"))
        )
        == 0
    )  # the page changed nothing
    assert week_setup["week"].schedule_published_at is None

    done = staff_client.post(address, follow_redirects=True)
    assert (
        "Planning publié : 1 e-mail envoyé. "
        f"À appeler (pas d'e-mail) : {walk_in.number} M. Garcia 04 90 12 34 56."
    ) in flashed(done)
    assert db.session.get(Order, walk_in.id).notified_slot_id == walk_in.slot_id


# --- What staff read after customers were told: mails sent, and whom to call ------------------


def test_publishing_with_only_phone_customers_sends_no_mail_and_names_them(
    week_setup, staff_client
):
    garcia = walk_in_order(week_setup, "M. Garcia", "04 90 12 34 56", slot="gate_fri")
    bonnet = walk_in_order(week_setup, "Jeanne Bonnet", "04 90 55 66 77", slot="gate_sat")
    address = f"/gestion/semaines/{week_setup['week'].id}/planning/publier"

    page = page_text(staff_client.get(address))
    assert "2 clients n'ont pas d'e-mail : appelez-les." in page
    assert "Aucun client à prévenir par e-mail" not in page  # two of them must be called
    assert "Publier et envoyer" not in page and "Publier le planning" in page

    response = staff_client.post(address, follow_redirects=True)
    assert flashed(response)[-1:] == [
        "Planning publié : aucun e-mail à envoyer. 2 à appeler (pas d'e-mail) : "
        f"{garcia.number} M. Garcia 04 90 12 34 56, {bonnet.number} Jeanne Bonnet 04 90 55 66 77."
    ]
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_the_cli_names_the_orders_to_call(week_setup, runner):
    phone_order(week_setup, "Alice", slot="gate_fri")
    garcia = walk_in_order(week_setup, "M. Garcia", "04 90 12 34 56", slot="gate_sat")
    result = runner.invoke(args=["schedule", "publish", str(week_setup["week"].id)])
    assert result.output.splitlines()[-2:] == [
        f"{week_setup['week'].label}: schedule published, 1 e-mails sent (1 orders).",
        f"  to call (no e-mail): {garcia.number} M. Garcia 04 90 12 34 56",
    ]


def test_moving_a_slot_names_the_customers_to_call(week_setup, staff_client):
    phone_order(week_setup, "Alice", slot="gate_fri")
    garcia = walk_in_order(week_setup, "M. Garcia", "04 90 12 34 56", slot="gate_fri")
    response = move_slot(staff_client, week_setup, "gate_fri", FRIDAY, "17:00", "19:00")
    assert flashed(response)[-1:] == [
        "Portail, vendredi 4 décembre 2026, de 17:00 à 19:00 : créneau déplacé. 1 e-mail envoyé. "
        f"À appeler (pas d'e-mail) : {garcia.number} M. Garcia 04 90 12 34 56."
    ]


def test_moving_an_empty_slot_sends_no_mail(week_setup, staff_client):
    response = move_slot(
        staff_client, week_setup, "gate_sat", FRIDAY + timedelta(days=1), "10:00", "12:00"
    )
    assert flashed(response)[-1:] == [
        "Portail, samedi 5 décembre 2026, de 10:00 à 12:00 : créneau déplacé. "
        "Aucun e-mail à envoyer."
    ]


def test_placing_orders_after_publication_names_the_customers_to_call(week_setup, staff_client):
    week_id = week_setup["week"].id
    staff_client.post(f"/gestion/semaines/{week_id}/planning/publier")
    phone_order(week_setup, "Alice")
    garcia = walk_in_order(week_setup, "M. Garcia", "04 90 12 34 56")

    response = staff_client.post(
        f"/gestion/semaines/{week_id}/planning/generer", follow_redirects=True
    )

    assert flashed(response)[-2:] == [
        "2 commandes placées.",
        "Le planning étant publié, les nouveaux créneaux sont annoncés. 1 e-mail envoyé. "
        f"À appeler (pas d'e-mail) : {garcia.number} M. Garcia 04 90 12 34 56.",
    ]


def test_closing_a_slot_after_publication_names_the_customers_to_call(week_setup, staff_client):
    week_id = week_setup["week"].id
    garcia = walk_in_order(week_setup, "M. Garcia", "04 90 12 34 56", slot="gate_sat")
    staff_client.post(f"/gestion/semaines/{week_id}/planning/publier")

    response = staff_client.post(
        f"/gestion/creneaux/{week_setup['slots']['gate_sat'].id}/fermeture",
        data={"action": "close", "week_id": str(week_id)},
        follow_redirects=True,
    )

    assert flashed(response)[-1] == (
        "Le planning étant publié, les nouveaux créneaux sont annoncés. Aucun e-mail à envoyer. "
        f"À appeler (pas d'e-mail) : {garcia.number} M. Garcia 04 90 12 34 56."
    )
