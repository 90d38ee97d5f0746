"""Load the demo nursery: catalog, last week (closed) and this week (open), demo accounts."""

from datetime import date, time, timedelta

from .account.services import create_staff, register_customer
from .demo_data import BOTANICAL_NAMES, CATEGORIES, LAST_WEEK_ONLY, PRODUCTS, SOLD_OUT_THIS_WEEK
from .extensions import db
from .legal.services import install_defaults as install_legal_defaults
from .models import (
    Category,
    Offer,
    PickupPoint,
    PickupSlot,
    Product,
    SalesWeek,
    SlotTemplate,
    utcnow,
)

DEMO_CUSTOMERS = (
    {
        "email": "particulier@exemple.fr",
        "kind": "individual",
        "first_name": "Camille",
        "last_name": "Martin",
        "phone": "06 12 34 56 78",
    },
    {
        "email": "restaurant@exemple.fr",
        "kind": "restaurant",
        "first_name": "Karim",
        "last_name": "Benali",
        "organisation": "Le Jardin d'Hiver",
        "siret": "73282932000074",
        "address": "12 rue des Tanneurs",
        "postcode": "84000",
        "city": "Avignon",
    },
    {
        "email": "amap@exemple.fr",
        "kind": "amap",
        "first_name": "Hélène",
        "last_name": "Roux",
        "organisation": "AMAP des Trois Ponts",
        "siret": "44306184100047",
        "address": "Salle des fêtes, place de la Mairie",
        "postcode": "84130",
        "city": "Le Pontet",
    },
    {
        "email": "restaurant-en-attente@exemple.fr",
        "kind": "restaurant",
        "first_name": "Julie",
        "last_name": "Fabre",
        "organisation": "Bistrot du Marché",
        "siret": "55208131766522",
        "address": "3 place du Marché",
        "postcode": "84000",
        "city": "Avignon",
        "pending": True,
    },
)


def load_demo_data(password, now=None, history=True):
    """The demo nursery; with `history`, two seasons of weekly sales before last week."""
    now = now or utcnow()
    categories = {}
    for values in CATEGORIES:
        category = Category(**values)
        db.session.add(category)
        categories[values["slug"]] = category
    products = {}
    for values in PRODUCTS:
        product = Product(
            category=categories[values["category"]],
            **{
                k: v
                for k, v in values.items()
                if k not in ("category", "quantity", "max_per_order")
            },
        )
        if values["category"] != "legumes" and values["name"] in BOTANICAL_NAMES:
            product.plant_for_planting = True
            product.botanical_name = BOTANICAL_NAMES[values["name"]]
        db.session.add(product)
        products[(values["name"], values["variety"])] = (product, values)
    db.session.flush()

    points = _demo_points()
    this_monday = (now - timedelta(days=now.weekday())).replace(
        hour=7, minute=0, second=0, microsecond=0
    )
    last_monday = this_monday - timedelta(days=7)
    last = _week(last_monday, last_monday + timedelta(days=3, hours=5))
    # This week is open whatever the day the demo is loaded.
    current = _week(
        min(this_monday, now - timedelta(hours=1)),
        max(this_monday + timedelta(days=3, hours=5), now + timedelta(days=3)),
    )
    for key, (product, values) in products.items():
        quantity, limit = values["quantity"], values["max_per_order"]
        db.session.add(
            Offer(
                week=last,
                product=product,
                quantity_available=quantity,
                quantity_reserved=0,
                max_per_order=limit,
            )
        )
        if key in LAST_WEEK_ONLY:
            continue
        sold_out = key in SOLD_OUT_THIS_WEEK
        db.session.add(
            Offer(
                week=current,
                product=product,
                quantity_available=quantity,
                quantity_reserved=quantity if sold_out and quantity else 0,
                max_per_order=limit,
            )
        )

    for week in (last, current):
        _demo_slots(week, points)

    for email, role in (
        ("admin@lapepiniere.example", "admin"),
        ("equipe@lapepiniere.example", "staff"),
        ("accueil@lapepiniere.example", "gate"),
    ):
        create_staff(email, password, role).access_changed_at = now
    for values in DEMO_CUSTOMERS:
        values = dict(values)
        pending = values.pop("pending", False)
        user = register_customer(password=password, **values)
        user.email_verified_at = now  # demo accounts need no mailed link
        if user.is_professional and not pending:
            user.pro_status = "approved"
            user.reviewed_at = now
    db.session.flush()
    install_legal_defaults()  # version 1 of each legal page, placeholders to fill
    if history:
        _demo_history(products, points, password, last_monday, now)
    _demo_group_order(current, products, now)
    _demo_standing_order(current, products, this_monday)


def _demo_history(products, points, password, last_monday, now):
    """Two seasons of sales before last week (boutique.demo_history), with the demo's
    accounts and a few more restaurants and AMAPs as its regular professional customers."""
    from .demo_history import OTHER_PROS, load_history, siret_for
    from .models import User

    users = {u.email: u for u in db.session.scalars(db.select(User))}
    staff = {
        "admin": users["admin@lapepiniere.example"],
        "staff": users["equipe@lapepiniere.example"],
        "gate": users["accueil@lapepiniere.example"],
    }
    customers = {
        "individual": [users["particulier@exemple.fr"]],
        "restaurant": [users["restaurant@exemple.fr"]],
        "amap": [users["amap@exemple.fr"]],
    }
    for number, (kind, organisation, first, last, address, postcode, city) in enumerate(
        OTHER_PROS, start=1
    ):
        user = register_customer(
            password=password,
            email=f"pro{number}@exemple.fr",
            kind=kind,
            first_name=first,
            last_name=last,
            organisation=organisation,
            siret=siret_for(number),
            address=address,
            postcode=postcode,
            city=city,
        )
        user.email_verified_at = user.reviewed_at = now
        user.pro_status = "approved"
        customers[kind].append(user)
    db.session.flush()
    return load_history(products, points, staff, customers, last_monday)


# Members of the demo AMAP's group order (phones only: the demo queues no mail to them).
DEMO_MEMBERS = (
    (
        "Lucie Martin",
        "06 11 22 33 44",
        {("Tomate", "Cœur de bœuf"): 4, ("Basilic", "Grand vert"): 2},
    ),
    ("Paul Girard", "06 55 66 77 88", {("Poireau", "Bleu de Solaise"): 10}),
    ("Inès Roche", "06 99 88 77 66", {("Tomate", "Roma"): 3, ("Basilic", "Grand vert"): 1}),
)


def _demo_group_order(week, products, now):
    """The demo AMAP's group order this week, open to its members, with three parts."""
    import secrets

    from .groups.services import MemberContact, join_group, open_group
    from .models import User

    amap = db.session.scalar(db.select(User).filter_by(email="amap@exemple.fr"))
    slot = db.session.scalar(
        db.select(PickupSlot)
        .join(PickupSlot.point)
        .where(PickupSlot.week_id == week.id, PickupPoint.name.startswith("Distribution AMAP"))
        .order_by(PickupSlot.day)
    )
    group = open_group(
        amap,
        week=week,
        slot_id=slot.id,
        members_deadline=week.closes_at - timedelta(days=1),
        payment_method="invoice",
        message="Commande de plants pour la distribution : un sac par membre.",
        now=now,
    )
    offers = {
        (offer.product.name, offer.product.variety): offer.id
        for offer in db.session.scalars(db.select(Offer).where(Offer.week_id == week.id))
    }
    for name, phone, wanted in DEMO_MEMBERS:
        join_group(
            group,
            MemberContact(name, phone=phone),
            {offers[key]: quantity for key, quantity in wanted.items()},
            form_token=secrets.token_urlsafe(24),
            now=now,
        )


def _demo_standing_order(week, products, this_monday):
    """The demo restaurant's standing order: the same herbs and salads every week from next week."""
    from .models import StandingOrder, StandingOrderLine, User

    restaurant = db.session.scalar(db.select(User).filter_by(email="restaurant@exemple.fr"))
    slot = db.session.scalar(
        db.select(PickupSlot)
        .join(PickupSlot.point)
        .where(PickupSlot.week_id == week.id, PickupPoint.name == "Portail de la pépinière")
        .order_by(PickupSlot.day, PickupSlot.starts_at)
    )
    standing = StandingOrder(
        customer=restaurant,
        point_id=slot.point_id,
        weekday=slot.day.weekday(),
        starts_at=slot.starts_at,
        payment_method="invoice",
        every_weeks=1,
        start_monday=(this_monday + timedelta(days=7)).date(),
        skip_mondays=[],
        note="",
        staff_pause_reason="",
    )
    for key, quantity in ((("Basilic", "Grand vert"), 12), (("Poireau", "Bleu de Solaise"), 20)):
        standing.lines.append(StandingOrderLine(product_id=products[key][0].id, quantity=quantity))
    db.session.add(standing)
    db.session.flush()


DEMO_POINTS = (
    {
        "name": "Portail de la pépinière",
        "address": "Chemin des Jardins, 84000 Avignon",
        "instructions": "Sonnez à la grille verte ; parking devant les serres.",
        "kinds": ("individual", "restaurant", "amap"),
        "slots": (("16:00", "17:30", 12), ("17:30", "19:00", 12)),
    },
    {
        "name": "Local de l'association, centre-ville",
        "address": "8 rue des Lices, 84000 Avignon",
        "instructions": "Entrée par la cour, à gauche.",
        "kinds": ("individual",),
        "slots": (("12:00", "14:00", 10),),
    },
    {
        "name": "Tournée des restaurants",
        "address": "Livraison à l'adresse du restaurant",
        "instructions": "Livraison avant le service du midi.",
        "kinds": ("restaurant",),
        "is_delivery": True,
        "slots": (("09:00", "11:30", 8),),
    },
    {
        "name": "Distribution AMAP des Trois Ponts",
        "address": "Salle des fêtes, place de la Mairie, 84130 Le Pontet",
        "instructions": "Pendant la distribution hebdomadaire de l'AMAP.",
        "kinds": ("amap",),
        "slots": (("18:00", "20:00", 2),),
    },
)


def _demo_points():
    points = []
    for position, values in enumerate(DEMO_POINTS):
        point = PickupPoint(
            name=values["name"],
            address=values["address"],
            instructions=values["instructions"],
            for_individual="individual" in values["kinds"],
            for_restaurant="restaurant" in values["kinds"],
            for_amap="amap" in values["kinds"],
            is_delivery=values.get("is_delivery", False),
            position=position,
        )
        db.session.add(point)
        for weekday in (4, 5):  # Friday and Saturday: the usual pick-up days
            for start, end, capacity in values["slots"]:
                point.templates.append(
                    SlotTemplate(
                        weekday=weekday,
                        starts_at=time.fromisoformat(start),
                        ends_at=time.fromisoformat(end),
                        capacity=capacity,
                    )
                )
        points.append((point, values))
    return points


def _demo_slots(week, points):
    """The demo weeks' pick-up days move with the day the demo is loaded: slots on each day."""
    for day in week.pickup_dates:
        for point, values in points:
            for start, end, capacity in values["slots"]:
                db.session.add(
                    PickupSlot(
                        week=week,
                        point=point,
                        day=date.fromisoformat(day),
                        starts_at=time.fromisoformat(start),
                        ends_at=time.fromisoformat(end),
                        capacity=capacity,
                        booked=0,
                    )
                )


def _week(opens_at, closes_at):
    """A published week; pick-up the two days after the order deadline.

    Named after its first pick-up day's ISO week, as staff's weeks are (SalesWeek.iso_week).
    """
    pickup_dates = [(closes_at + timedelta(days=d)).date().isoformat() for d in (1, 2)]
    week = SalesWeek(
        label=f"Semaine {SalesWeek.iso_week_of(pickup_dates).week}",
        opens_at=opens_at,
        closes_at=closes_at,
        pickup_dates=pickup_dates,
        status="published",
        published_at=opens_at,
    )
    db.session.add(week)
    return week
