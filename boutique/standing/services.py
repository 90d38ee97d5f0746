"""Standing weekly orders: the rules for keeping them, and placing them week after week.

A standing order is placed as a normal order of its customer in each week it is due, before
the public can order (publishing a week places them in the same unit of work), each line
capped by what is left and by the week's per-order maximum. The StandingPlacement row, unique
per (standing order, week) and written with the order, makes placing idempotent.
"""

import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from ..extensions import db
from ..formatting import parse_count, parse_id
from ..links import public_url
from ..models import (
    Category,
    Offer,
    Order,
    OrderLine,
    PickupPoint,
    PickupSlot,
    Product,
    SalesWeek,
    StandingOrder,
    StandingOrderLine,
    StandingPlacement,
    User,
    utcnow,
)
from ..order_log import MAIL_SUBJECTS, SYSTEM, order_url, record
from ..order_states import reserve_stock
from ..ordering.services import (
    MAX_QUANTITY,
    next_order_numbers,
    payment_methods_for,
    payment_problem,
)
from ..outbox import queue_email
from ..pickup.services import reserve_place, reserve_places
from ..pricing import compute_totals, order_totals, vat_rate_for
from ..timezones import shop_today
from ..transactions import lock_week

# Payment methods a standing order may use. A card payment needs its holder at each payment
# (strong customer authentication): the shop cannot honestly charge a card every week alone.
STANDING_METHODS = ("on_pickup", "invoice")
# How many weeks ahead the forms offer, and how far the next placement is looked for.
WEEKS_AHEAD = 26
LOOK_AHEAD = 110

# Why a line was placed short or not at all (StandingPlacement.report), for mails and pages.
REASONS = {
    "stock": _l("pas assez en stock cette semaine"),
    "max_per_order": _l("au plus %(max)s par commande cette semaine"),
    "not_offered": _l("pas proposé cette semaine"),
    "refused": _l("commande refusée"),
}

SUBJECTS = {
    "standing_not_placed": _l("Votre commande récurrente n'a pas pu être passée (%(week)s)"),
    "standing_paused_by_staff": _l("Votre commande récurrente est suspendue"),
    "standing_resumed_by_staff": _l("Votre commande récurrente reprend"),
}


class StandingError(ValueError):
    """The standing order cannot be saved or changed; the messages are for the customer."""

    def __init__(self, *messages):
        super().__init__(" ".join(str(m) for m in messages))
        self.messages = [str(m) for m in messages]


# --- Weeks named by their Monday ---------------------------------------------------------------


def monday_of(day):
    return day - timedelta(days=day.weekday())


def week_monday(week):
    """The Monday of a sales week's ISO week (SalesWeek.iso_week): how standing orders name it."""
    year, number = week.iso_week
    return date.fromisocalendar(year, number, 1)


def is_due(standing, monday):
    """Is a standing order (or a row with its columns) to be placed in the week of `monday`?"""
    if standing.ended_at is not None or standing.staff_paused:
        return False
    if monday < standing.start_monday:
        return False
    if standing.end_monday is not None and monday > standing.end_monday:
        return False
    if ((monday - standing.start_monday).days // 7) % (standing.every_weeks or 1):
        return False
    if monday.isoformat() in (standing.skip_mondays or ()):
        return False
    return not (standing.paused_until is not None and monday <= standing.paused_until)


def first_open_monday(now=None):
    """The Monday of the first week still taking orders (or to come); else next week's."""
    now = now or utcnow()
    week = db.session.scalar(
        select(SalesWeek).where(SalesWeek.closes_at > now).order_by(SalesWeek.opens_at).limit(1)
    )
    if week is not None:
        return week_monday(week)
    return monday_of(shop_today(now)) + timedelta(days=7)


def next_monday(standing, placed=(), from_monday=None):
    """The next week this standing order will be placed (not yet placed), or None."""
    if standing.ended_at is not None or standing.staff_paused:
        return None
    monday = max(from_monday or first_open_monday(), standing.start_monday)
    for _week in range(LOOK_AHEAD):
        if standing.end_monday is not None and monday > standing.end_monday:
            return None
        if monday not in placed and is_due(standing, monday):
            return monday
        monday += timedelta(days=7)
    return None


def week_name(monday):
    """'Semaine 49 (lundi 30 novembre 2026)': how the pages name a week by its Monday."""
    return _(
        "Semaine %(number)d (lundi %(day)s)",
        number=monday.isocalendar().week,
        day=format_date(monday, "d MMMM y"),
    )


# --- Reading -----------------------------------------------------------------------------------

STANDING_LOADS = (
    selectinload(StandingOrder.lines).joinedload(StandingOrderLine.product),
    joinedload(StandingOrder.point),
)


def customer_standing_orders(customer):
    """The customer's standing orders, the running ones first, with lines and point."""
    return db.session.scalars(
        select(StandingOrder)
        .options(*STANDING_LOADS)
        .where(StandingOrder.customer_id == customer.id)
        .order_by(StandingOrder.ended_at.is_not(None), StandingOrder.id)
    ).all()


def standing_for_customer(standing_id, customer):
    """The customer's standing order by id; None for anyone else's (the view answers 404)."""
    standing = db.session.scalar(
        select(StandingOrder).options(*STANDING_LOADS).where(StandingOrder.id == standing_id)
    )
    if standing is None or standing.customer_id != customer.id:
        return None
    return standing


def all_standing_orders():
    """Every standing order for staff: the running ones first, with customer, lines, point."""
    return db.session.scalars(
        select(StandingOrder)
        .options(*STANDING_LOADS, joinedload(StandingOrder.customer))
        .order_by(StandingOrder.ended_at.is_not(None), StandingOrder.created_at)
    ).all()


@dataclass
class PlacementHistory:
    placed: dict = field(default_factory=lambda: defaultdict(set))  # standing id: {monday}
    last: dict = field(default_factory=dict)  # standing id: (monday, StandingPlacement)


def placement_history(standing_ids):
    """For each standing order, the Mondays already placed and its last placement (1 query)."""
    history = PlacementHistory()
    if not standing_ids:
        return history
    rows = db.session.execute(
        select(StandingPlacement, SalesWeek.pickup_dates, SalesWeek.closes_at)
        .join(StandingPlacement.week)
        .options(joinedload(StandingPlacement.order))
        .where(StandingPlacement.standing_id.in_(list(standing_ids)))
        .order_by(StandingPlacement.id)
    ).all()
    for placement, pickup_dates, closes_at in rows:
        iso = SalesWeek.iso_week_of(pickup_dates or (), closes_at)
        monday = date.fromisocalendar(iso.year, iso.week, 1)
        history.placed[placement.standing_id].add(monday)
        history.last[placement.standing_id] = (monday, placement)
    return history


def describe_report(entry):
    """One line of a placement's report as the customer and staff read it."""
    reason = entry.get("reason")
    if reason == "refused":
        return entry.get("message") or str(REASONS["refused"])
    text = REASONS.get(reason, reason)
    if reason == "max_per_order":
        text = _l("au plus %(max)s par commande cette semaine", max=entry.get("placed"))
    return _(
        "%(product)s : %(placed)d sur %(asked)d (%(why)s)",
        product=entry.get("product", ""),
        placed=entry.get("placed", 0),
        asked=entry.get("asked", 0),
        why=text,
    )


# --- The form ----------------------------------------------------------------------------------


@dataclass
class FormChoices:
    products: list
    places: list  # (value, label)
    methods: list
    mondays: list
    # The standing order's lines of products no longer in the catalogue: kept, and shown as
    # "plus proposé", until the customer sets them to 0 (placing skips them with a report).
    retired: list = field(default_factory=list)


def catalogue_products():
    """Active products in catalogue order."""
    return db.session.scalars(
        select(Product)
        .join(Product.category)
        .options(contains_eager(Product.category))
        .where(Product.active.is_(True))
        .order_by(Category.position, Product.name, Product.variety)
    ).all()


def place_value(point_id, weekday=None, starts_at=None):
    if weekday is None or starts_at is None:
        return str(point_id)
    return f"{point_id}-{weekday}-{starts_at.strftime('%H:%M')}"


def weekday_name(weekday):
    return format_date(date(2024, 1, 1) + timedelta(days=weekday), "EEEE")


def form_choices(customer, standing=None, now=None):
    """What the standing order form offers this customer (points for its price kind)."""
    kind = customer.price_kind
    points = db.session.scalars(
        select(PickupPoint)
        .options(selectinload(PickupPoint.templates))
        .where(PickupPoint.active.is_(True))
        .order_by(PickupPoint.position, PickupPoint.name)
    ).all()
    places = []
    for point in points:
        if not point.allows(kind):
            continue
        for template in sorted(point.templates, key=lambda t: (t.weekday, t.starts_at)):
            places.append(
                (
                    place_value(point.id, template.weekday, template.starts_at),
                    _(
                        "%(point)s, le %(day)s de %(start)s à %(end)s",
                        point=point.name,
                        day=weekday_name(template.weekday),
                        start=template.starts_at.strftime("%H:%M"),
                        end=template.ends_at.strftime("%H:%M"),
                    ),
                )
            )
        places.append(
            (place_value(point.id), _("%(point)s, n'importe quel créneau", point=point.name))
        )
    first = first_open_monday(now)
    mondays = [first + timedelta(days=7 * i) for i in range(WEEKS_AHEAD)]
    if standing is not None:  # what it already says stays choosable
        kept = [standing.start_monday, standing.end_monday, standing.paused_until]
        kept += [date.fromisoformat(day) for day in standing.skip_mondays or ()]
        mondays = sorted(set(mondays) | {m for m in kept if m is not None})
    methods = [m for m in payment_methods_for(customer) if m in STANDING_METHODS]
    products = catalogue_products()
    retired = []
    if standing is not None:
        active = {product.id for product in products}
        retired = [line for line in standing.lines if line.product_id not in active]
    return FormChoices(products, places, methods, mondays, retired)


def _monday(text, mondays):
    text = (text or "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return False
    return day if day in mondays else False


def read_form(data, choices):
    """The standing order's values from a submitted form (a mapping of lists, like
    request.form); raises StandingError with every message for the customer."""
    errors = []
    lines = {}
    for line in choices.retired:  # kept unless the form sends it empty or 0
        if f"qty-{line.product_id}" not in data:
            lines[line.product_id] = line.quantity
    for product in [*choices.products, *(line.product for line in choices.retired)]:
        raw = (data.get(f"qty-{product.id}") or "").strip()
        if not raw:
            continue
        quantity = parse_count(raw)
        if quantity is None or quantity > MAX_QUANTITY:
            errors.append(
                _(
                    "Quantité invalide pour « %(name)s » : un nombre entier de 0 à %(max)d.",
                    name=product.full_name,
                    max=MAX_QUANTITY,
                )
            )
        elif quantity:
            lines[product.id] = quantity
    if not lines and not errors:
        errors.append(_("Indiquez une quantité pour au moins un produit."))
    place = data.get("place") or ""
    point_id, weekday, starts_at = None, None, None
    if place not in {value for value, _label in choices.places}:
        errors.append(_("Choisissez un point de retrait et un créneau parmi ceux proposés."))
    else:
        parts = place.split("-")
        point_id = parse_id(parts[0])
        if len(parts) == 3:
            weekday, starts_at = int(parts[1]), time.fromisoformat(parts[2])
    method = data.get("payment_method") or ""
    if method not in choices.methods:
        errors.append(_("Choisissez le paiement au retrait ou sur facture."))
    every = data.get("every_weeks") or ""
    if every not in ("1", "2"):
        errors.append(_("Choisissez « chaque semaine » ou « une semaine sur deux »."))
    start = _monday(data.get("start_monday"), choices.mondays)
    if not start:
        errors.append(_("Choisissez la première semaine parmi celles proposées."))
    end = _monday(data.get("end_monday"), choices.mondays)
    if end is False:
        errors.append(_("Choisissez la dernière semaine parmi celles proposées."))
    elif end and start and end < start:
        errors.append(_("La dernière semaine ne peut pas précéder la première."))
    paused = _monday(data.get("paused_until"), choices.mondays)
    if paused is False:
        errors.append(_("« En pause jusqu'à » : choisissez une semaine parmi celles proposées."))
    getlist = getattr(data, "getlist", lambda name: [data.get(name)] if data.get(name) else [])
    skips = [_monday(text, choices.mondays) for text in getlist("skip")]
    if any(not day for day in skips):
        errors.append(_("Une semaine à sauter n'est pas parmi celles proposées."))
    note = (data.get("note") or "").strip()
    if len(note) > 500:
        errors.append(_("La remarque est trop longue (500 caractères au plus)."))
    if errors:
        raise StandingError(*errors)
    return {
        "lines": lines,
        "point_id": point_id,
        "weekday": weekday,
        "starts_at": starts_at,
        "payment_method": method,
        "every_weeks": int(every),
        "start_monday": start,
        "end_monday": end or None,
        "skip_mondays": sorted({day.isoformat() for day in skips}),
        "paused_until": paused or None,
        "note": note,
    }


def form_values(standing):
    """A standing order as its form shows it (same keys as read_form's mapping)."""
    return {
        "lines": {line.product_id: line.quantity for line in standing.lines},
        "place": place_value(standing.point_id, standing.weekday, standing.starts_at),
        "payment_method": standing.payment_method,
        "every_weeks": str(standing.every_weeks),
        "start_monday": standing.start_monday.isoformat(),
        "end_monday": standing.end_monday.isoformat() if standing.end_monday else "",
        "paused_until": standing.paused_until.isoformat() if standing.paused_until else "",
        "skip": list(standing.skip_mondays or ()),
        "note": standing.note,
    }


def values_from_order(order, choices):
    """A new standing order's form filled from a past order: its products (those still in
    the catalogue), quantities, point and slot, and its payment method when it may be kept."""
    active = {product.id for product in choices.products}
    values = {
        "lines": {
            line.product_id: line.quantity_ordered
            for line in order.lines
            if line.product_id in active and line.quantity_ordered
        },
        "payment_method": order.payment_method
        if order.payment_method in choices.methods
        else (choices.methods[-1] if choices.methods else ""),
        "every_weeks": "1",
        "start_monday": choices.mondays[0].isoformat() if choices.mondays else "",
        "skip": [],
    }
    slot = order.slot
    offered = {value for value, _label in choices.places}
    if slot is not None:
        for value in (
            place_value(slot.point_id, slot.day.weekday(), slot.starts_at),
            place_value(slot.point_id),
        ):
            if value in offered:
                values["place"] = value
                break
    elif order.preferred_point_id and place_value(order.preferred_point_id) in offered:
        values["place"] = place_value(order.preferred_point_id)
    return values


# --- Changing them -----------------------------------------------------------------------------


def save_standing(standing, customer, values):
    """Create or change a customer's standing order from read_form's values (flush only)."""
    if standing.id is None:
        standing.customer = customer
        db.session.add(standing)
    elif standing.ended_at is not None:
        raise StandingError(_("Cette commande récurrente est arrêtée : créez-en une nouvelle."))
    for name in (
        "point_id",
        "weekday",
        "starts_at",
        "payment_method",
        "every_weeks",
        "start_monday",
        "end_monday",
        "skip_mondays",
        "paused_until",
        "note",
    ):
        setattr(standing, name, values[name])
    existing = {line.product_id: line for line in standing.lines}
    for product_id, line in existing.items():
        if product_id not in values["lines"]:
            standing.lines.remove(line)
    for product_id, quantity in values["lines"].items():
        if product_id in existing:
            existing[product_id].quantity = quantity
        else:
            standing.lines.append(StandingOrderLine(product_id=product_id, quantity=quantity))
    standing.updated_at = utcnow()
    db.session.flush()
    return standing


def _check_running(standing):
    if standing.ended_at is not None:
        raise StandingError(_("Cette commande récurrente est arrêtée."))


def pause_until(standing, monday, mondays):
    """The customer pauses it up to and including the week of `monday`."""
    _check_running(standing)
    if monday not in mondays:
        raise StandingError(
            _("« En pause jusqu'à » : choisissez une semaine parmi celles proposées.")
        )
    standing.paused_until = monday
    standing.updated_at = utcnow()
    db.session.flush()


def resume(standing):
    """The customer's own pause ends now (a pause by staff stays until staff lift it)."""
    _check_running(standing)
    standing.paused_until = None
    standing.updated_at = utcnow()
    db.session.flush()


def stop(standing, now=None):
    """Stopped for good by its customer; kept for its history. Orders already placed stay."""
    _check_running(standing)
    standing.ended_at = now or utcnow()
    standing.updated_at = standing.ended_at
    db.session.flush()


def _mail_customer_about(standing, template, **context):
    customer = standing.customer
    return queue_email(
        customer.email,
        SUBJECTS[template],
        template,
        locale=customer.locale or "fr",
        standing=standing,
        manage_link=public_url("standing.edit", standing_id=standing.id),
        **context,
    )


def staff_pause(standing, reason):
    """Staff suspend a standing order (e.g. unpaid invoices) with a reason; the customer is
    mailed. It stays suspended until staff resume it."""
    reason = (reason or "").strip()
    if not reason:
        raise StandingError(_("Indiquez la raison de la suspension : le client la recevra."))
    if len(reason) > 500:
        raise StandingError(_("La raison est trop longue (500 caractères au plus)."))
    _check_running(standing)
    if standing.staff_paused:
        raise StandingError(_("Cette commande récurrente est déjà suspendue."))
    standing.staff_paused = True
    standing.staff_pause_reason = reason
    standing.updated_at = utcnow()
    db.session.flush()
    _mail_customer_about(standing, "standing_paused_by_staff", reason=reason)


def staff_resume(standing):
    _check_running(standing)
    if not standing.staff_paused:
        raise StandingError(_("Cette commande récurrente n'est pas suspendue."))
    standing.staff_paused = False
    standing.staff_pause_reason = ""
    standing.updated_at = utcnow()
    db.session.flush()
    _mail_customer_about(standing, "standing_resumed_by_staff")


# --- Engaged demand ----------------------------------------------------------------------------


def _waiting(week):
    """Conditions of the standing orders that may still be placed in `week` (SQL side)."""
    monday = week_monday(week)
    return (
        StandingOrder.ended_at.is_(None),
        StandingOrder.staff_paused.is_(False),
        StandingOrder.start_monday <= monday,
        or_(StandingOrder.end_monday.is_(None), StandingOrder.end_monday >= monday),
        User.active.is_(True),
        ~exists().where(
            StandingPlacement.standing_id == StandingOrder.id,
            StandingPlacement.week_id == week.id,
        ),
    )


DUE_COLUMNS = (
    StandingOrder.id,
    StandingOrder.ended_at,
    StandingOrder.staff_paused,
    StandingOrder.start_monday,
    StandingOrder.end_monday,
    StandingOrder.every_weeks,
    StandingOrder.skip_mondays,
    StandingOrder.paused_until,
)


def engaged_demand(week):
    """{product id: quantity} the standing orders due in `week` and not yet placed will ask
    for (one query, whatever the number of standing orders)."""
    if not week.pickup_dates:
        return {}
    monday = week_monday(week)
    rows = db.session.execute(
        select(*DUE_COLUMNS, StandingOrderLine.product_id, StandingOrderLine.quantity)
        .join(StandingOrder.lines)
        .join(StandingOrder.customer)
        .where(*_waiting(week))
    ).all()
    demand = defaultdict(int)
    for row in rows:
        if is_due(row, monday):
            demand[row.product_id] += row.quantity
    return dict(demand)


def has_due(week):
    """Is a standing order due in `week` and not placed yet? One query, no lock."""
    monday = week_monday(week)
    rows = db.session.execute(
        select(*DUE_COLUMNS).join(StandingOrder.customer).where(*_waiting(week))
    ).all()
    return any(is_due(row, monday) for row in rows)


def weeks_to_place(now=None):
    """Published weeks not yet closed where a standing order waits (the worker's round)."""
    now = now or utcnow()
    weeks = db.session.scalars(
        select(SalesWeek)
        .where(SalesWeek.status == "published", SalesWeek.closes_at > now)
        .order_by(SalesWeek.opens_at)
    ).all()
    return [week.id for week in weeks if week.pickup_dates and has_due(week)]


# --- Placing -----------------------------------------------------------------------------------


@dataclass
class _Stock:
    """What the week has left, read under the week's lock (nothing else can take it before
    this unit of work commits: every writer of the week's stock takes the week first)."""

    offers: dict  # product id: Offer
    by_id: dict  # offer id: Offer
    left: dict  # offer id: units left (None: unlimited)
    slots: dict  # point id: [PickupSlot] in time order
    booked: dict  # slot id: places taken


def _read_stock(week):
    offers = db.session.scalars(
        select(Offer)
        .join(Offer.product)
        .options(contains_eager(Offer.product))
        .where(Offer.week_id == week.id)
        .execution_options(populate_existing=True)
    ).all()
    slots = db.session.scalars(
        select(PickupSlot)
        .where(PickupSlot.week_id == week.id, PickupSlot.closed.is_(False))
        .order_by(PickupSlot.day, PickupSlot.starts_at, PickupSlot.id)
        .execution_options(populate_existing=True)
    ).all()
    by_point = defaultdict(list)
    for slot in slots:
        by_point[slot.point_id].append(slot)
    return _Stock(
        offers={offer.product_id: offer for offer in offers},
        by_id={offer.id: offer for offer in offers},
        left={offer.id: offer.remaining for offer in offers},
        slots=by_point,
        booked={slot.id: slot.booked for slot in slots},
    )


def _due_standing_orders(week):
    monday = week_monday(week)
    standings = db.session.scalars(
        select(StandingOrder)
        .join(StandingOrder.customer)
        .options(
            contains_eager(StandingOrder.customer),
            selectinload(StandingOrder.lines).joinedload(StandingOrderLine.product),
            joinedload(StandingOrder.point),
        )
        .where(*_waiting(week))
        .order_by(StandingOrder.created_at, StandingOrder.id)  # oldest first
        .execution_options(populate_existing=True)
    ).all()
    return [standing for standing in standings if is_due(standing, monday)]


def place_standing_orders(week, now=None):
    """Place every standing order due in `week`, oldest first; the placements made.

    Takes the week's row first (rule 9): public buyers wait until this unit of work commits,
    and a second run (another process) then finds the placements and places nothing again.
    Flushes, never commits. A week that is not published, or whose orders closed, gets none.

    The week's lock is held until the caller commits, so the work is done in a few batched
    statements whatever the number of standing orders: every order is planned in memory from
    the stock read under the lock, then each offer and each slot is taken with ONE guarded
    statement for all of them (falling back to one per order if it ever refuses), the orders
    get their numbers in one statement and are written in one flush.
    """
    now = now or utcnow()
    week = lock_week(week.id)
    if week is None or week.status != "published" or now >= week.closes_at:
        return []
    if not week.pickup_dates:
        return []
    standings = _due_standing_orders(week)
    if not standings:
        return []
    stock = _read_stock(week)
    plans = [_plan(standing, week, stock) for standing in standings]
    _reserve_stock(plans, stock)
    _reserve_places(plans, week)
    return _write(plans, week, stock, now)


@dataclass
class _Plan:
    """What placing one standing order will do, worked out in memory under the week's lock."""

    standing: StandingOrder
    kind: str
    items: dict = field(default_factory=dict)  # offer id: quantity
    report: list = field(default_factory=list)
    problem: str = ""
    slot: PickupSlot | None = None
    preferred_day: date | None = None


def _plan(standing, week, stock):
    customer = standing.customer
    plan = _Plan(standing, customer.price_kind)
    plan.problem = _refusal(standing)
    if plan.problem:
        return plan
    plan.items, plan.report = _capped_items(standing, stock)
    if plan.items:
        gross = compute_totals(
            (
                (
                    stock.by_id[offer_id].price_cents(plan.kind),
                    quantity,
                    vat_rate_for(stock.by_id[offer_id].product),
                )
                for offer_id, quantity in plan.items.items()
            ),
            prices_include_vat=plan.kind == "individual",
        ).gross_cents
        plan.problem = payment_problem(customer, standing.payment_method, gross)
    if plan.problem:
        plan.items, plan.report = {}, []
        return plan
    for offer_id, quantity in plan.items.items():
        if stock.left[offer_id] is not None:
            stock.left[offer_id] -= quantity
    if plan.items:
        plan.slot, plan.preferred_day = _take_slot(standing, week, stock, plan.kind)
    return plan


def _reserve_stock(plans, stock):
    """Take what the plans place, one guarded statement per offer, in id order (rule 9).

    The plans were capped by the stock read under the week's lock, so each statement
    succeeds. Should one ever refuse, nothing of that offer was taken: it is then taken
    order by order, oldest first, and an order that cannot get it goes without (never
    oversold)."""
    totals = defaultdict(int)
    for plan in plans:
        for offer_id, quantity in plan.items.items():
            totals[offer_id] += quantity
    for offer_id in sorted(totals):
        if reserve_stock(offer_id, totals[offer_id]):
            continue
        offer = stock.by_id[offer_id]
        for plan in plans:
            quantity = plan.items.get(offer_id)
            if not quantity or reserve_stock(offer_id, quantity):
                continue
            name = offer.product.full_name
            asked = {line.product_id: line.quantity for line in plan.standing.lines}
            plan.report = [entry for entry in plan.report if entry["product"] != name]
            plan.report.append(_entry(name, asked[offer.product_id], 0, "stock"))
            del plan.items[offer_id]
            if not plan.items:
                plan.slot = None


def _reserve_places(plans, week):
    """Take the slots' places the plans chose, one guarded statement per slot (in id order);
    should one refuse, place by place, an order without one is placed without a slot."""
    counts = defaultdict(int)
    for plan in plans:
        if plan.slot is not None:
            counts[plan.slot.id] += 1
    for slot_id in sorted(counts):
        if reserve_places(slot_id, counts[slot_id]):
            continue
        for plan in plans:
            if plan.slot is not None and plan.slot.id == slot_id and not reserve_place(slot_id):
                plan.slot, plan.preferred_day = None, _preferred_day(plan.standing, week)


def _write(plans, week, stock, now):
    """The placements and orders of the plans, in one flush; then their history and mails."""
    placed = [plan for plan in plans if plan.items and not plan.problem]
    numbers = iter(next_order_numbers(week, len(placed)) if placed else ())
    placements = []
    for plan in plans:
        standing = plan.standing
        placement = StandingPlacement(standing=standing, week=week, created_at=now)
        if plan.problem:
            placement.report = [{"reason": "refused", "message": plan.problem}]
        else:
            placement.report = plan.report
        if plan.items and not plan.problem:
            placement.order = _order(plan, week, stock, next(numbers), now)
        db.session.add(placement)
        placements.append(placement)
    db.session.flush()  # one flush: the orders, their lines and the placements, batched
    for plan, placement in zip(plans, placements, strict=True):
        standing = plan.standing
        manage_link = public_url("standing.edit", standing_id=standing.id)
        if placement.order is None:
            _mail_customer_about(
                standing,
                "standing_not_placed",
                week=week,
                report=placement.report,
                week_label=week.label,
            )
            continue
        order = placement.order
        record(order, SYSTEM, "standing_placed", standing_id=standing.id, short=len(plan.report))
        if order.email:  # a new order: its mail cannot be queued yet (no look-up needed)
            queue_email(
                order.email,
                _placed_subject(order.number),
                "standing_placed",
                locale=order.locale,
                order=order,
                link=order_url(order),
                totals=order_totals(order),
                standing=standing,
                report=plan.report,
                manage_link=manage_link,
            )
    db.session.flush()
    return placements


def _order(plan, week, stock, number, now):
    standing, kind = plan.standing, plan.kind
    customer = standing.customer
    order = Order(
        number=number,
        week=week,
        customer=customer,
        customer_kind=kind,
        contact_name=customer.display_name,
        email=customer.email,
        phone=customer.phone or "",
        locale=customer.locale or "fr",
        slot=plan.slot,
        payment_method=standing.payment_method,
        status="placed",
        prices_include_vat=kind == "individual",
        note=standing.note or "",
        checkout_token=f"standing-{standing.id}-{week.id}",
        # The terms its customer last accepted (a standing order is set up from an account).
        terms_version=standing.customer.terms_version or "",
        access_token=secrets.token_urlsafe(24),
        created_at=now,
        preferred_point_id=None if plan.slot else _usable_point(standing, kind),
        preferred_day=None if plan.slot else plan.preferred_day,
    )
    for offer_id in sorted(plan.items):
        offer = stock.by_id[offer_id]
        order.lines.append(
            OrderLine(
                offer_id=offer.id,
                product_id=offer.product_id,
                product_name=offer.product.full_name,
                unit_label=offer.product.unit_label,
                unit_price_cents=offer.price_cents(kind),
                vat_rate_bp=vat_rate_for(offer.product),
                quantity_ordered=plan.items[offer_id],
                quantity=plan.items[offer_id],
            )
        )
    return order


def _placed_subject(number):
    """The order mail's subject (order_log.MAIL_SUBJECTS), in the language it is rendered in."""
    return LazyString(lambda: str(MAIL_SUBJECTS["standing_placed"]) % {"number": number})


def _usable_point(standing, kind):
    point = standing.point
    return point.id if point.active and point.allows(kind) else None


def _preferred_day(standing, week):
    """The week's pick-up day on the standing order's weekday, if any."""
    if standing.weekday is None:
        return None
    for text in week.pickup_dates:
        day = date.fromisoformat(text)
        if day.weekday() == standing.weekday:
            return day
    return None


def _take_slot(standing, week, stock, kind):
    """The slot of the preferred day and time if it has room, else another slot of the
    point with room, else none (the pick-up schedule places it): (slot, preferred day).
    Counted in memory (stock.booked); _reserve_places takes the places."""
    preferred_day = _preferred_day(standing, week)
    if _usable_point(standing, kind) is None:
        return None, preferred_day
    slots = stock.slots.get(standing.point_id, [])
    preferred = [
        slot
        for slot in slots
        if slot.day.weekday() == standing.weekday and slot.starts_at == standing.starts_at
    ]
    for slot in preferred + [slot for slot in slots if slot not in preferred]:
        if stock.booked[slot.id] < slot.capacity:
            stock.booked[slot.id] += 1
            return slot, None
    return None, preferred_day


def _capped_items(standing, stock):
    """{offer id: quantity} to place and the report of lines placed short or skipped."""
    items, report = {}, []
    for line in standing.lines:
        name = line.product.full_name
        offer = stock.offers.get(line.product_id)
        if offer is None or not offer.offered or not line.product.active:
            report.append(_entry(name, line.quantity, 0, "not_offered"))
            continue
        wanted, reason = line.quantity, None
        if offer.max_per_order and wanted > offer.max_per_order:
            wanted, reason = offer.max_per_order, "max_per_order"
        left = stock.left[offer.id]
        if left is not None and wanted > left:
            wanted, reason = max(left, 0), "stock"
        if reason:
            report.append(_entry(name, line.quantity, wanted, reason))
        if wanted:
            items[offer.id] = wanted
    return items, report


def _entry(product, asked, placed, reason):
    return {"product": product, "asked": asked, "placed": placed, "reason": reason}


def _refusal(standing):
    """Why the customer's account may no longer order this way, or ''."""
    customer = standing.customer
    if not customer.active or customer.role != "customer":
        return _("Ce compte n'est plus actif.")
    if standing.payment_method not in payment_methods_for(customer):
        return _("Ce moyen de paiement n'est plus proposé pour votre compte.")
    return ""


def placement_summary(placements):
    """(orders placed, placed short, nothing placed) for messages and the CLI."""
    placed = [p for p in placements if p.order is not None]
    short = [p for p in placed if p.report]
    empty = [p for p in placements if p.order is None]
    return len(placed), len(short), len(empty)


def new_standing(form_token=None):
    return StandingOrder(
        every_weeks=1, skip_mondays=[], note="", staff_pause_reason="", form_token=form_token
    )


def standing_by_form_token(token, customer):
    """The customer's standing order saved from the form carrying `token`, or None."""
    return db.session.scalar(
        select(StandingOrder).where(
            StandingOrder.form_token == token, StandingOrder.customer_id == customer.id
        )
    )
