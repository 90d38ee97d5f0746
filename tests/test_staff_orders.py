import re
from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select, update

from boutique.extensions import db
from boutique.models import Offer, Order, OutboxMessage, PickupPoint, PickupSlot
from boutique.ordering.services import Contact, place_order
from tests.conftest import page_text


@pytest.fixture
def shop(make_product, make_week):
    tomato = make_product(name="Tomate", variety="Cerise", price_individual_cents=250)
    basil = make_product(name="Basilic", variety="Grand vert", price_individual_cents=300)
    week = make_week(
        offers=[(tomato, {"quantity_available": 20}), (basil, {"quantity_available": None})]
    )
    gate = PickupPoint(name="Portail", address="Chemin des Jardins")
    town = PickupPoint(name="Local en ville", address="8 rue des Lices", for_restaurant=False)
    db.session.add_all([gate, town])
    slots = [
        PickupSlot(
            week=week,
            point=gate,
            day=date(2026, 12, 4),
            starts_at=time(16),
            ends_at=time(18),
            capacity=50,
            booked=0,
        ),
        PickupSlot(
            week=week,
            point=town,
            day=date(2026, 12, 5),
            starts_at=time(10),
            ends_at=time(12),
            capacity=10,
            booked=0,
        ),
    ]
    db.session.add_all(slots)
    db.session.commit()
    offers = {o.product_id: o for o in db.session.scalars(select(Offer))}
    return {"week": week, "tomato": offers[tomato.id], "basil": offers[basil.id], "slots": slots}


def order_for(shop, name, quantity=2, slot=0, customer=None, kind="individual", method="on_pickup"):
    order = place_order(
        week=shop["week"],
        items={shop["tomato"].id: quantity, shop["basil"].id: 1},
        slot_id=shop["slots"][slot].id,
        payment_method=method,
        contact=Contact(name, f"{name.lower()}@exemple.fr", "0600000000"),
        kind=kind,
        customer=customer,
        checkout_token=f"token-{name}",
    )
    db.session.commit()
    return order


def reserved(offer):
    db.session.expire_all()
    return db.session.get(Offer, offer.id).quantity_reserved


def test_order_pages_are_for_staff_only(client, make_user, login, shop):
    order = order_for(shop, "Alice")
    for url in (
        "/gestion/commandes",
        f"/gestion/commandes/{order.id}",
        "/gestion/commandes/nouvelle",
    ):
        assert client.get(url).status_code == 302
    login(make_user())
    assert client.get(f"/gestion/commandes/{order.id}").status_code == 403
    assert client.post(f"/gestion/commandes/{order.id}/confirmer").status_code == 403
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "placed"


def test_orders_table_with_filters_and_search(staff_client, shop, make_user):
    order_for(shop, "Alice")
    order_for(shop, "Bruno", slot=1)
    chef = make_user(kind="restaurant", email="chef@bistrot.fr")
    order_for(shop, "Chef", customer=chef, kind="restaurant", method="invoice")
    page = page_text(staff_client.get("/gestion/commandes"))
    assert all(name in page for name in ("Alice", "Bruno", "Chef")) and "3 commandes" in page
    page = page_text(staff_client.get(f"/gestion/commandes?point={shop['slots'][1].point_id}"))
    assert "Bruno" in page and "Alice" not in page
    page = page_text(staff_client.get("/gestion/commandes?type=restaurant"))
    assert "Chef" in page and "Alice" not in page
    page = page_text(staff_client.get("/gestion/commandes?paiement=invoice"))
    assert "Chef" in page and "Bruno" not in page
    page = page_text(staff_client.get("/gestion/commandes?q=bru"))
    assert "Bruno" in page and "Alice" not in page
    number = db.session.scalar(select(Order.number).filter_by(contact_name="Alice"))
    page = page_text(staff_client.get(f"/gestion/commandes?q={number}"))
    assert "Alice" in page and "Bruno" not in page
    page = page_text(staff_client.get("/gestion/commandes?statut=nonsense&q=<script>"))
    assert "Aucune commande ne correspond." in page


def test_orders_table_runs_a_constant_number_of_queries(staff_client, shop, count_queries):
    def queries():
        staff_client.get("/gestion/commandes")
        with count_queries() as statements:
            assert staff_client.get("/gestion/commandes").status_code == 200
        return len(statements)

    order_for(shop, "Alice")
    few = queries()
    for index in range(12):
        order_for(shop, f"Client{index}", quantity=1)
    assert queries() == few


def test_bulk_confirm_skips_what_is_not_waiting(staff_client, shop, mailbox):
    first, second, third = (order_for(shop, n) for n in ("Alice", "Bruno", "Chloe"))
    staff_client.post(f"/gestion/commandes/{third.id}/annuler", data={"reason": "Erreur"})
    response = staff_client.post(
        "/gestion/commandes/confirmer",
        data={"order_ids": [first.id, second.id, third.id]},
        follow_redirects=True,
    )
    page = page_text(response)
    assert f"Commandes confirmées : {first.number}, {second.number}." in page
    assert f"laissées telles quelles : {third.number}" in page
    db.session.expire_all()
    assert [db.session.get(Order, o.id).status for o in (first, second, third)] == [
        "confirmed",
        "confirmed",
        "cancelled",
    ]
    subjects = [m.subject for m in db.session.scalars(select(OutboxMessage))]
    assert f"Commande {first.number} confirmée" in subjects


def test_staff_lower_a_line_then_confirm_and_the_log_says_who(staff_client, staff, shop):
    order = order_for(shop, "Alice", quantity=4)
    tomato_line = next(line for line in order.lines if line.offer_id == shop["tomato"].id)
    page = page_text(staff_client.get(f"/gestion/commandes/{order.id}"))
    assert "Tomate Cerise" in page and "13,00 €" in page  # 4 × 2,50 + 3,00
    response = staff_client.post(
        f"/gestion/commandes/{order.id}/quantites",
        data={f"qty-{line.id}": str(line.quantity) for line in order.lines}
        | {f"qty-{tomato_line.id}": "1"},
        follow_redirects=True,
    )
    page = page_text(response)
    assert "le client est prévenu" in page and "5,50 €" in page
    assert reserved(shop["tomato"]) == 1
    assert staff.email in page and "quantités baissées par l'équipe" in page
    assert "Tomate Cerise : 4 → 1" in page
    staff_client.post(f"/gestion/commandes/{order.id}/confirmer")
    page = page_text(staff_client.get(f"/gestion/commandes/{order.id}"))
    assert "commande confirmée" in page
    mail = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.subject.like("%modifiée"))
    ).one()
    assert "5,50 €" in mail.body_text.replace("\u00a0", " ").replace("\u202f", " ")


@pytest.mark.parametrize(
    "value, message",
    [
        ("9", "« Tomate Cerise » : la quantité peut seulement baisser (de 4 à 0)."),
        ("-1", "Quantité invalide pour « Tomate Cerise »."),
        ("abc", "Quantité invalide pour « Tomate Cerise »."),
        ("", "Quantité invalide pour « Tomate Cerise »."),
    ],
)
def test_staff_cannot_raise_or_break_a_line(staff_client, shop, value, message):
    order = order_for(shop, "Alice", quantity=4)
    line = next(line for line in order.lines if line.offer_id == shop["tomato"].id)
    data = {f"qty-{other.id}": str(other.quantity) for other in order.lines}
    data[f"qty-{line.id}"] = value
    response = staff_client.post(
        f"/gestion/commandes/{order.id}/quantites", data=data, follow_redirects=True
    )
    assert response.status_code == 200
    assert message in page_text(response)
    assert reserved(shop["tomato"]) == 4


def test_cancel_needs_a_reason_and_releases_stock_and_slot(staff_client, shop):
    order = order_for(shop, "Alice", quantity=4)
    response = staff_client.post(
        f"/gestion/commandes/{order.id}/annuler", data={"reason": ""}, follow_redirects=True
    )
    assert "Indiquez le motif" in page_text(response)
    assert reserved(shop["tomato"]) == 4
    response = staff_client.post(
        f"/gestion/commandes/{order.id}/annuler",
        data={"reason": "Gel sur les tomates"},
        follow_redirects=True,
    )
    page = page_text(response)
    assert "annulée" in page and "Gel sur les tomates" in page
    assert reserved(shop["tomato"]) == 0
    assert db.session.get(PickupSlot, shop["slots"][0].id).booked == 0


def walk_in_for(shop, staff, name, phone):
    """A phone order from someone without an e-mail address: no mail reaches them."""
    order = place_order(
        week=shop["week"],
        items={shop["tomato"].id: 2},
        slot_id=shop["slots"][0].id,
        payment_method="on_pickup",
        contact=Contact(name, "", phone),
        kind="individual",
        checkout_token=f"token-{name}",
        entered_by=staff,
    )
    db.session.commit()
    return order


def flashed(response):
    """The flash messages a staff member reads on the page."""
    return [
        " ".join(message.split())
        for message in re.findall(r'<p class="flash[^"]*">(.*?)</p>', page_text(response), re.S)
    ]


def mails_about(order):
    return db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.order_id == order.id)
    )


def test_lowering_an_order_without_email_says_whom_to_call(staff_client, staff, shop):
    order = walk_in_for(shop, staff, "Jeanne Bonnet", "04 90 55 66 77")
    line = order.lines[0]
    response = staff_client.post(
        f"/gestion/commandes/{order.id}/quantites",
        data={f"qty-{line.id}": "1"},
        follow_redirects=True,
    )
    assert (
        f"Quantités enregistrées. À appeler (pas d'e-mail) : {order.number} Jeanne Bonnet "
        "04 90 55 66 77."
    ) in flashed(response)
    assert mails_about(order) == 0


def test_cancelling_several_orders_counts_the_mails_and_names_whom_to_call(
    staff_client, staff, shop
):
    alice = order_for(shop, "Alice")
    jeanne = walk_in_for(shop, staff, "Jeanne Bonnet", "04 90 55 66 77")
    response = staff_client.post(
        "/gestion/commandes/annuler",
        data={"order_ids": [str(alice.id), str(jeanne.id)], "reason": "Gel"},
        follow_redirects=True,
    )
    assert (
        f"2 commandes annulées : {alice.number}, {jeanne.number}. 1 e-mail envoyé. "
        f"À appeler (pas d'e-mail) : {jeanne.number} Jeanne Bonnet 04 90 55 66 77."
    ) in flashed(response)
    assert mails_about(jeanne) == 0


def test_phone_order_after_the_deadline_is_marked(staff_client, shop, staff):
    week = shop["week"]
    week.closes_at = week.opens_at + timedelta(minutes=1)
    db.session.commit()
    data = {
        "name": "Mme Roux",
        "email": "roux@exemple.fr",
        "phone": "04 90 11 22 33",
        f"qty-{shop['tomato'].id}": "3",
        "slot": str(shop["slots"][0].id),
        "payment_method": "on_pickup",
        "checkout_token": "phone-order-token-0001",
    }
    response = staff_client.post(f"/gestion/commandes/nouvelle?semaine={week.id}", data=data)
    assert response.status_code == 422
    assert "Les commandes de cette semaine sont fermées." in page_text(response)
    assert db.session.scalar(select(Order)) is None

    response = staff_client.post(
        f"/gestion/commandes/nouvelle?semaine={week.id}",
        data=data | {"after_deadline": "y"},
        follow_redirects=True,
    )
    page = page_text(response)
    assert "enregistrée pour Mme Roux" in page and "hors délai" in page
    assert f"saisie par {staff.email}" in page
    order = db.session.scalar(select(Order))
    assert order.after_deadline and order.entered_by_id == staff.id
    assert reserved(shop["tomato"]) == 3


def test_phone_order_for_an_account_uses_its_prices(staff_client, shop, make_user):
    chef = make_user(kind="restaurant", email="chef@bistrot.fr")
    response = staff_client.post(
        "/gestion/commandes/nouvelle",
        data={
            "account": str(chef.id),
            f"qty-{shop['tomato'].id}": "10",
            "slot": str(shop["slots"][0].id),
            "payment_method": "invoice",
            "checkout_token": "phone-order-token-0002",
        },
    )
    assert response.status_code == 302
    order = db.session.scalar(select(Order))
    assert order.customer_id == chef.id and order.payment_method == "invoice"
    assert order.lines[0].unit_price_cents == 190 and not order.prices_include_vat


@pytest.mark.parametrize(
    "data, message",
    [
        ({"name": "", "email": ""}, "indiquez le nom du client et son téléphone"),
        ({"name": "Mme Roux", "email": "", "phone": ""}, "indiquez le nom du client"),
        ({"account": "999999"}, "Ce compte client n'existe plus"),
        ({"qty-TOMATO": "abc"}, "Quantité invalide"),
        ({"qty-TOMATO": "999"}, "Il ne reste pas assez"),
        ({"qty-TOMATO": "0"}, "Indiquez au moins un produit."),
        ({"payment_method": "invoice"}, "Ce moyen de paiement n'est pas proposé à ce client."),
    ],
)
def test_phone_order_bad_input(staff_client, shop, data, message):
    form = {
        "name": "Mme Roux",
        "email": "roux@exemple.fr",
        "qty-TOMATO": "2",
        "slot": str(shop["slots"][0].id),
        "payment_method": "on_pickup",
        "checkout_token": "phone-order-token-0003",
    }
    form.update(data)
    form = {k.replace("TOMATO", str(shop["tomato"].id)): v for k, v in form.items()}
    response = staff_client.post("/gestion/commandes/nouvelle", data=form)
    assert response.status_code == 422
    assert message in page_text(response)
    assert "votre panier" not in page_text(response).lower()  # staff have no basket
    assert db.session.scalar(select(Order)) is None
    assert reserved(shop["tomato"]) == 0


def test_a_phone_order_needs_only_a_name_and_a_phone_and_sends_no_mail(staff_client, shop):
    response = staff_client.post(
        "/gestion/commandes/nouvelle",
        data={
            "name": "M. Garcia",
            "phone": "04 90 12 34 56",
            f"qty-{shop['tomato'].id}": "2",
            "slot": str(shop["slots"][0].id),
            "payment_method": "on_pickup",
            "checkout_token": "phone-order-no-email",
        },
    )
    assert response.status_code == 302
    order = db.session.scalar(select(Order))
    assert (order.contact_name, order.phone, order.email) == ("M. Garcia", "04 90 12 34 56", "")
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    page = page_text(staff_client.get(response.location))
    assert "Pas d'e-mail : le client n'est prévenu de rien, appelez-le." in page
    assert "Votre panier" not in page


def test_staff_find_an_account_by_name_email_or_phone_and_order_for_it(
    staff_client, shop, make_user
):
    chef = make_user(
        kind="restaurant",
        email="chef@bistrot.fr",
        organisation="Le Bistrot",
        phone="06.12.34.56.78",
    )
    make_user(email="autre@exemple.fr", first_name="Paul", last_name="Durand")
    for term in ("bistrot", "CHEF@", "06 12 34 56 78", "+33 6 12 34 56 78"):
        page = page_text(staff_client.get("/gestion/commandes/nouvelle", query_string={"q": term}))
        assert "Le Bistrot" in page and "Paul Durand" not in page, term
    nobody = page_text(staff_client.get("/gestion/commandes/nouvelle?q=zzz"))
    assert "Aucun compte client ne correspond à « zzz »" in nobody

    chosen = page_text(staff_client.get(f"/gestion/commandes/nouvelle?compte={chef.id}"))
    assert "Le Bistrot" in chosen and "Changer de client" in chosen


def test_a_staff_order_that_meets_an_empty_stock_speaks_to_staff_not_of_a_basket(
    staff_client, shop
):
    db.session.execute(update(Offer).values(quantity_available=1))
    db.session.commit()
    response = staff_client.post(
        "/gestion/commandes/nouvelle",
        data={
            "name": "M. Garcia",
            "phone": "04 90 12 34 56",
            f"qty-{shop['tomato'].id}": "2",
            "slot": str(shop["slots"][0].id),
            "payment_method": "on_pickup",
            "checkout_token": "phone-order-stock",
        },
    )
    page = page_text(response)
    assert "Baissez la quantité" in page and "Votre panier" not in page


def test_phone_order_sent_twice_makes_one_order(staff_client, shop):
    data = {
        "name": "Mme Roux",
        "email": "roux@exemple.fr",
        f"qty-{shop['tomato'].id}": "2",
        "slot": str(shop["slots"][0].id),
        "payment_method": "on_pickup",
        "checkout_token": "phone-order-token-twice",
    }
    first = staff_client.post("/gestion/commandes/nouvelle", data=data)
    second = staff_client.post("/gestion/commandes/nouvelle", data=data)
    assert first.status_code == second.status_code == 302
    assert first.location == second.location
    assert len(db.session.scalars(select(Order)).all()) == 1
    assert reserved(shop["tomato"]) == 2


def test_huge_ids_in_addresses_are_404_not_500(staff_client, shop):
    huge = "9" * 25
    for url in (f"/produit/{huge}", f"/gestion/commandes/{huge}", f"/gestion/semaines/{huge}"):
        assert staff_client.get(url).status_code == 404


def test_a_cancelled_order_cannot_be_moved(staff_client, shop):
    order = order_for(shop, "Alice")
    staff_client.post(f"/gestion/commandes/{order.id}/annuler", data={"reason": "Erreur"})
    response = staff_client.post(
        f"/gestion/commandes/{order.id}/creneau",
        data={"slot_id": shop["slots"][1].id},
        follow_redirects=True,
    )
    assert "ne change pas de créneau" in page_text(response)
    db.session.expire_all()
    assert [db.session.get(PickupSlot, s.id).booked for s in shop["slots"]] == [0, 0]


def test_the_week_picker_tells_the_same_week_number_of_two_years_apart(
    staff_client, shop, make_week, make_user
):
    """Two seasons of history: "Semaine 18" of 2025 and of 2026 each say their year, in the
    picker, the page's heading and a customer's orders."""
    older = make_week(
        label="Semaine 18",
        status="archived",
        opens_in=timedelta(days=-600),
        pickup_dates=["2025-05-02"],
    )
    newer = make_week(
        label="Semaine 18",
        status="archived",
        opens_in=timedelta(days=-230),
        pickup_dates=["2026-05-01"],
    )
    named = make_week(label="Marché de Noël 2025", pickup_dates=["2025-12-20"], status="archived")
    html = page_text(staff_client.get("/gestion/commandes"))
    options = dict(re.findall(r'<option value="(\d+)" [^>]*>([^<]*)</option>', html))
    assert options[str(older.id)] == "Semaine 18 · 2025"
    assert options[str(newer.id)] == "Semaine 18 · 2026"
    assert options[str(named.id)] == "Marché de Noël 2025"  # already says its year
    assert "Commandes — Semaine 18 · 2025</h1>" in page_text(
        staff_client.get(f"/gestion/commandes?semaine={older.id}")
    )
    customer = make_user(email="lea@exemple.fr")
    for week in (older, newer):
        db.session.add(
            Order(
                number="S18-001",
                week=week,
                customer=customer,
                email=customer.email,
                contact_name="Léa",
                customer_kind="individual",
                status="collected",
                checkout_token=f"t{week.id}",
                access_token=f"a{week.id}",
                payment_method="on_pickup",
            )
        )
    db.session.commit()
    html = page_text(staff_client.get(f"/gestion/clients/{customer.id}"))
    assert "<td>Semaine 18 · 2025</td>" in html and "<td>Semaine 18 · 2026</td>" in html


def test_units_staff_free_by_lowering_a_line_reach_who_waits_once_in_the_workers_round(
    app, staff_client, shop, mailbox, runner
):
    """Lowering a line, then cancelling the order: the units come back twice, the one who
    waits for them gets one mail, in the round of the worker that follows the first."""
    order = order_for(shop, "Alice", quantity=20)  # every tomato
    tomato_line = next(line for line in order.lines if line.offer_id == shop["tomato"].id)
    visitor = app.test_client()
    product_id = shop["tomato"].product_id
    assert "Me prévenir" in page_text(visitor.get(f"/produit/{product_id}"))
    visitor.post(f"/prevenez-moi/produit/{product_id}", data={"email": "lea@exemple.fr"})
    staff_client.post(
        f"/gestion/commandes/{order.id}/quantites",
        data={f"qty-{line.id}": str(line.quantity) for line in order.lines}
        | {f"qty-{tomato_line.id}": "15"},
    )
    assert reserved(shop["tomato"]) == 15
    result = runner.invoke(args=["outbox", "worker", "--once"])
    assert "1 waiting-list e-mails queued." in result.output
    staff_client.post(f"/gestion/commandes/{order.id}/annuler", data={"reason": "Gel"})
    assert reserved(shop["tomato"]) == 0
    runner.invoke(args=["outbox", "worker", "--once"])
    back = [m for m in mailbox.messages if m["To"] == "lea@exemple.fr"]
    assert [m["Subject"] for m in back] == ["« Tomate Cerise » est de retour"]
