"""Sales weeks: which week the shop shows, copying and editing a week's offers, publishing."""

import re
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import contains_eager

from ..extensions import db
from ..formatting import format_iso_date, format_when
from ..models import Category, Offer, Order, OrderLine, Product, SalesWeek, utcnow
from ..transactions import lock_week, lock_weeks

OFFER_COPY_FIELDS = (
    "offered",
    "quantity_available",
    "max_per_order",
    "price_individual_cents",
    "price_restaurant_cents",
    "price_amap_cents",
)


class WeekError(ValueError):
    """A rule refused the change; the message is for the user."""


# Built once: the catalog runs it on every visit, and building a statement costs more than
# running this one (SQLAlchemy caches its compiled form).
STOREFRONT_WEEK = (
    select(SalesWeek)
    .where(SalesWeek.status == "published", SalesWeek.opens_at <= bindparam("now"))
    .order_by(SalesWeek.opens_at.desc())
    .limit(1)
)


# What the catalog's cache key needs of the shown week, read without an ORM session.
STOREFRONT_WEEK_SUMMARY = (
    select(
        SalesWeek.id,
        SalesWeek.version,
        SalesWeek.label,
        SalesWeek.status,
        SalesWeek.opens_at,
        SalesWeek.closes_at,
        SalesWeek.pickup_dates,
    )
    .where(SalesWeek.status == "published", SalesWeek.opens_at <= bindparam("now"))
    .order_by(SalesWeek.opens_at.desc())
    .limit(1)
)


def storefront_week_summary(now=None):
    """The shown week's identity, version and dates, in one autocommit read.

    No transaction is opened (PostgreSQL: no BEGIN and ROLLBACK around it), which is what
    a catalog page served from the cache costs.
    """
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        return connection.execute(STOREFRONT_WEEK_SUMMARY, {"now": now or utcnow()}).first()


def storefront_week(now=None):
    """The week the shop shows: the open one, else the last one that opened."""
    return db.session.scalar(STOREFRONT_WEEK, {"now": now or utcnow()})


def next_week(now=None):
    """The next published week to open."""
    return db.session.scalar(
        select(SalesWeek)
        .where(SalesWeek.status == "published", SalesWeek.opens_at > (now or utcnow()))
        .order_by(SalesWeek.opens_at)
        .limit(1)
    )


def storefront_weeks(now=None):
    """The week the shop shows and the next to open."""
    now = now or utcnow()
    return storefront_week(now), next_week(now)


def week_offers(week, category_slug=None):
    """Offers the storefront lists for a week, with product and category, in one query."""
    query = (
        select(Offer)
        .join(Offer.product)
        .join(Product.category)
        .options(contains_eager(Offer.product).contains_eager(Product.category))
        .where(Offer.week_id == week.id, Offer.offered.is_(True), Product.active.is_(True))
        .order_by(Category.position, Product.name, Product.variety)
    )
    if category_slug:
        query = query.where(Category.slug == category_slug)
    return db.session.scalars(query).all()


def storefront_offer(week, product_id):
    return db.session.scalar(
        select(Offer)
        .join(Offer.product)
        .options(contains_eager(Offer.product).joinedload(Product.category))
        .where(
            Offer.week_id == week.id,
            Offer.product_id == product_id,
            Offer.offered.is_(True),
            Product.active.is_(True),
        )
    )


def all_weeks():
    return db.session.scalars(select(SalesWeek).order_by(SalesWeek.opens_at.desc())).all()


def weeks_with_pickups_ahead(today):
    """Published weeks with a pick-up day today or later (the ones whose lists get printed)."""
    weeks = db.session.scalars(
        select(SalesWeek).where(SalesWeek.status == "published").order_by(SalesWeek.opens_at)
    ).all()
    return [w for w in weeks if any(day >= today.isoformat() for day in w.pickup_dates)]


def previous_week(week):
    return db.session.scalar(
        select(SalesWeek)
        .where(SalesWeek.opens_at < week.opens_at, SalesWeek.id != week.id)
        .order_by(SalesWeek.opens_at.desc())
        .limit(1)
    )


def latest_week():
    return db.session.scalar(select(SalesWeek).order_by(SalesWeek.opens_at.desc()).limit(1))


def suggest_next_week(now=None):
    """Values for a new week: the latest week moved on by seven days, else next Monday.

    It opens when the latest week closes if that week's orders stayed open longer than a
    week (the two never overlap), and is named after its first pick-up day (week_label).
    """
    now = now or utcnow()
    last = latest_week()
    if last is not None:
        opens_at = max(last.opens_at + timedelta(days=7), last.closes_at)
        closes_at = last.closes_at + timedelta(days=7)
        pickup_dates = [
            (date.fromisoformat(d) + timedelta(days=7)).isoformat() for d in last.pickup_dates
        ]
    else:
        monday = (now + timedelta(days=7 - now.weekday())).replace(
            hour=7, minute=0, second=0, microsecond=0
        )
        opens_at, closes_at = monday, monday + timedelta(days=3, hours=4)
        pickup_dates = [(monday + timedelta(days=4)).date().isoformat()]
    return {
        "label": week_label(SalesWeek.iso_week_of(pickup_dates, closes_at)),
        "opens_at": opens_at,
        "closes_at": closes_at,
        "pickup_dates": pickup_dates,
    }


def week_values(week):
    return {
        "label": week.label,
        "opens_at": week.opens_at,
        "closes_at": week.closes_at,
        "pickup_dates": list(week.pickup_dates),
    }


def check_week_dates(opens_at, closes_at, pickup_dates):
    if closes_at <= opens_at:
        raise WeekError(_("La clôture des commandes doit suivre leur ouverture."))
    if not pickup_dates:
        raise WeekError(_("Indiquez au moins un jour de retrait."))


# --- The week's number -------------------------------------------------------------------------
# One rule, said in the README: a sales week's number is the ISO week (and ISO year) of its
# first pick-up day (SalesWeek.iso_week). The shop shows it in the week's name, order numbers
# carry it (S49-017) and so do the documents' file names (emargement-2026-S49).

# "Semaine 49", "semaine n° 49", "Week 49": the number a week's name gives.
LABEL_NUMBER = re.compile(r"\b(semaine|week)(\s*(?:n°|no\.?)?\s*)(\d{1,2})\b", re.IGNORECASE)


def week_label(iso_week):
    """The name a week gets from its number: "Semaine 49"."""
    return _("Semaine %(number)d", number=iso_week.week)


def numbered_label(label, iso_week):
    """The name with the week's number wherever it says another "Semaine N" (rest kept)."""

    def number(match):
        if int(match.group(3)) == iso_week.week:  # "Semaine 07" stays as typed
            return match.group(0)
        return f"{match.group(1)}{match.group(2)}{iso_week.week}"

    return LABEL_NUMBER.sub(number, label)[:80]


def file_stem(week):
    """2026-S49: the week's number as it goes into a file name (the ISO year first)."""
    year, number = week.iso_week
    return f"{year}-S{number:02d}"


def _lock_calendar(week):
    """Take the first week's row, then this one's (rule 9: by id): saves of weeks' dates run
    one at a time, so two staff (or a double click) cannot both pass the checks below."""
    first = db.session.scalar(select(func.min(SalesWeek.id)))
    lock_weeks([week_id for week_id in (first, week.id) if week_id is not None])


def _check_number(week, iso_week):
    """A week keeps the number its orders carry; no two weeks share a number."""
    if week.id is not None and week.order_counter and iso_week != week.iso_week:
        raise WeekError(
            _(
                "Des commandes de cette semaine sont déjà numérotées S%(number)02d-… : son "
                "premier jour de retrait doit rester en semaine %(number)d. Ajoutez plutôt un "
                "autre jour de retrait.",
                number=week.iso_week.week,
            )
        )
    others = db.session.scalars(select(SalesWeek).where(SalesWeek.id != (week.id or 0)))
    for other in others:
        if other.iso_week == iso_week:
            raise WeekError(
                _(
                    "« %(label)s » a déjà ses retraits en semaine %(number)d (%(day)s) : deux "
                    "semaines de vente ne peuvent pas porter le même numéro. Choisissez des "
                    "jours de retrait d'une autre semaine.",
                    label=other.label,
                    number=iso_week.week,
                    day=format_iso_date(min(other.pickup_dates)),
                )
            )


def _check_overlap(week, opens_at, closes_at):
    """Two weeks never take orders at the same time (touching is fine)."""
    other = db.session.scalar(
        select(SalesWeek)
        .where(
            SalesWeek.id != (week.id or 0),
            SalesWeek.opens_at < closes_at,
            SalesWeek.closes_at > opens_at,
        )
        .order_by(SalesWeek.opens_at)
        .limit(1)
    )
    if other is not None:
        raise WeekError(
            _(
                "Ces dates chevauchent « %(label)s », ouverte aux commandes du %(start)s au "
                "%(end)s : deux semaines de vente ne peuvent pas prendre de commandes en même "
                "temps. Ouvrez celle-ci à sa clôture ou après, ou fermez-la avant son ouverture.",
                label=other.label,
                start=format_when(other.opens_at),
                end=format_when(other.closes_at),
            )
        )


def save_week(week, *, label, opens_at, closes_at, pickup_dates):
    """Create or edit a week; pick-up dates are ISO strings, sorted and unique.

    A "Semaine N" in the label that disagrees with the pick-up days gets their number (the
    caller compares labels to tell staff). Raises WeekError, changing nothing, when the
    dates overlap another week's, or would change the number its orders carry.
    """
    check_week_dates(opens_at, closes_at, pickup_dates)
    iso_week = SalesWeek.iso_week_of(pickup_dates)
    _lock_calendar(week)
    _check_number(week, iso_week)
    _check_overlap(week, opens_at, closes_at)
    week.label = numbered_label(label.strip(), iso_week)
    week.opens_at = opens_at
    week.closes_at = closes_at
    week.pickup_dates = sorted(set(pickup_dates))
    if week.id is None:
        db.session.add(week)
    week.version = (week.version or 0) + 1
    db.session.flush()
    return week


def publish_week(week):
    """Make a week public; it opens and closes with the clock from now on.

    The standing orders due that week are placed in the same unit of work, before anyone
    else can order (the point of a standing order): the placements are returned.
    """
    offered = db.session.scalar(
        select(Offer.id).where(Offer.week_id == week.id, Offer.offered.is_(True)).limit(1)
    )
    if offered is None:
        raise WeekError(_("Aucun produit n'est proposé cette semaine : rien à publier."))
    lock_week(week.id)
    week.status = "published"
    week.published_at = utcnow()
    week.version += 1
    db.session.flush()
    # Imported here: standing orders are placed through ordering, whose views import this module.
    from ..standing.services import place_standing_orders

    return place_standing_orders(week)


def unpublish_week(week):
    """Take a week back to draft (only while nothing is reserved)."""
    lock_week(week.id)  # no order can reserve while this is checked (rule 9)
    reserved = db.session.scalar(
        select(Offer.id).where(Offer.week_id == week.id, Offer.quantity_reserved > 0).limit(1)
    )
    if reserved is not None:
        raise WeekError(_("Des commandes existent déjà : la semaine ne peut plus être retirée."))
    week.status = "draft"
    week.version += 1
    db.session.flush()


def offers_by_product(week, locked=False):
    """The week's offers by product; locked: as they are now, taken in id order (rule 9)."""
    query = select(Offer).where(Offer.week_id == week.id)
    if locked:
        lock_week(week.id)
        query = (
            query.order_by(Offer.id)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
    return {offer.product_id: offer for offer in db.session.scalars(query)}


def copy_offers(week, source):
    """Copy another week's offers (active products only) onto this one; return the count."""
    existing = offers_by_product(week, locked=True)
    source_offers = db.session.scalars(
        select(Offer)
        .join(Offer.product)
        .where(Offer.week_id == source.id, Offer.offered.is_(True), Product.active.is_(True))
    ).all()
    for source_offer in source_offers:
        offer = existing.get(source_offer.product_id)
        if offer is None:
            offer = Offer(week=week, product_id=source_offer.product_id, quantity_reserved=0)
            db.session.add(offer)
        for field in OFFER_COPY_FIELDS:
            setattr(offer, field, getattr(source_offer, field))
        if offer.quantity_available is not None:
            offer.quantity_available = max(offer.quantity_available, offer.quantity_reserved)
    week.version += 1
    db.session.flush()
    return len(source_offers)


def grid_products():
    """Every active product, in catalog order, for the week's grid."""
    return db.session.scalars(
        select(Product)
        .join(Product.category)
        .options(contains_eager(Product.category))
        .where(Product.active.is_(True))
        .order_by(Category.position, Product.name, Product.variety)
    ).all()


def _offers_with_passports_issued(offer_ids):
    """The offers among these with lines of confirmed, ready or collected orders (one query)."""
    if not offer_ids:
        return set()
    return set(
        db.session.scalars(
            select(OrderLine.offer_id)
            .join(OrderLine.order)
            .where(
                OrderLine.offer_id.in_(offer_ids),
                OrderLine.quantity > 0,
                Order.status.in_(("confirmed", "ready", "collected")),
            )
            .distinct()
        )
    )


def save_grid(week, rows):
    """Apply the whole grid or nothing.

    rows: {product_id: {offered, quantity_available, max_per_order, price_*_cents,
    traceability_code (optional)}}.
    Returns {product_id: message} for rows that break a rule; saves only when it is empty.
    """
    products = {product.id: product for product in grid_products()}
    # Read under the week's lock: what is reserved cannot grow before the commit, so a
    # quantity below it gets the message below, never the database's ck_offer_no_oversell.
    existing = offers_by_product(week, locked=True)
    issued = _offers_with_passports_issued([offer.id for offer in existing.values()])
    errors = {}
    for product_id, values in rows.items():
        if product_id not in products:
            errors[product_id] = _("Produit inconnu ou désactivé.")
            continue
        offer = existing.get(product_id)
        if (
            offer is not None
            and offer.id in issued
            and "traceability_code" in values
            and values["traceability_code"] != offer.traceability_code
        ):
            # The register must say what the labels said: the lot code is printed already.
            errors[product_id] = _(
                "Des passeports ont déjà été émis avec ce code de lot : il ne peut plus changer."
            )
            continue
        reserved = offer.quantity_reserved if offer else 0
        available = values["quantity_available"]
        if values["offered"] and available is not None and available < reserved:
            errors[product_id] = ngettext(
                "%(num)d déjà réservé : la quantité ne peut pas être inférieure.",
                "%(num)d déjà réservés : la quantité ne peut pas être inférieure.",
                reserved,
            )
        if not values["offered"] and reserved:
            errors[product_id] = ngettext(
                "%(num)d déjà réservé : ce produit ne peut plus être retiré.",
                "%(num)d déjà réservés : ce produit ne peut plus être retiré.",
                reserved,
            )
    if errors:
        return errors
    for product_id, values in rows.items():
        offer = existing.get(product_id)
        if offer is None:
            if not values["offered"]:
                continue
            offer = Offer(week=week, product_id=product_id, quantity_reserved=0)
            db.session.add(offer)
        for field in OFFER_COPY_FIELDS:
            setattr(offer, field, values[field])
        # Not in OFFER_COPY_FIELDS: a lot code is this week's own, never copied to the next.
        if "traceability_code" in values:
            offer.traceability_code = values["traceability_code"]
    week.version += 1
    db.session.flush()
    return {}
