"""Plant passports: each offer's traceability code, the passport printed per order line, and
the register of every passport issued (Regulation (EU) 2016/2031, articles 69 and 83).

The passport's four parts: A the botanical name, B the operator's registration number
(configuration), C the traceability code (the week's lot), D the country of origin.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, or_, select

from ..extensions import db
from ..formatting import kind_label
from ..models import Offer, Order, OrderLine, PickupSlot, Product, SalesWeek, User
from ..spreadsheet import csv_text
from ..timezones import local_to_utc, utc_to_local_naive

# The orders whose plants travel with a passport: staff checked them, or they were handed over.
ISSUED_STATUSES = ("confirmed", "ready", "collected")

# Genus (capitalised) and species (lower case), then optionally more (subsp., var., cultivar).
BOTANICAL_NAME = re.compile(r"^[A-Z][a-zë-]+ (?:[a-z][a-zë-]+|×\s?[a-z][a-zë-]+)(?: .+)?$")


@dataclass(frozen=True)
class Passport:
    """What one passport shows; printed once per order line (the quantity is its trade units)."""

    botanical_name: str  # A
    operator: str  # B
    code: str  # C
    country: str  # D


def default_code(iso_week, product_id):
    """The code derived from the week and the product: 2026-S49-P0012."""
    return f"{iso_week.year}-S{iso_week.week:02d}-P{product_id:04d}"


def offer_code(offer, week=None):
    """The offer's traceability code: the lot code staff typed, or the one derived."""
    if offer.traceability_code:
        return offer.traceability_code
    return default_code((week or offer.week).iso_week, offer.product_id)


def is_valid_botanical_name(text):
    """Genus and species, as in "Solanum lycopersicum"."""
    return bool(BOTANICAL_NAME.match(text.strip()))


def operator_number():
    return current_app.config.get("PLANT_PASSPORT_OPERATOR", "") or ""


def country():
    return current_app.config.get("PLANT_PASSPORT_COUNTRY", "FR") or "FR"


def passport(botanical_name, code):
    """The passport of one lot, with the operator's number and country from configuration."""
    return Passport(botanical_name, operator_number(), code, country())


def line_passports(week):
    """{product id: Passport} for the week's offers of plants for planting (one statement)."""
    iso_week = week.iso_week
    return {
        product_id: passport(botanical_name, code or default_code(iso_week, product_id))
        for product_id, botanical_name, code in db.session.execute(
            select(Offer.product_id, Product.botanical_name, Offer.traceability_code)
            .join(Offer.product)
            .where(Offer.week_id == week.id, Product.plant_for_planting.is_(True))
        )
    }


def missing_operator_warning():
    """True while a plant for planting is sold and no registration number is configured."""
    if operator_number():
        return False
    return bool(db.session.scalar(select(exists().where(Product.plant_for_planting.is_(True)))))


# --- The register -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterEntry:
    day: date
    order_number: str
    buyer: str
    customer_kind: str
    product: str
    botanical_name: str
    code: str
    quantity: int


REGISTER_COLUMNS = (
    _l("Date"),
    _l("Commande"),
    _l("Acheteur"),
    _l("Type de client"),
    _l("Produit"),
    _l("Nom botanique"),
    _l("Code de traçabilité"),
    _l("Quantité"),
    _l("Numéro d'enregistrement"),
    _l("Pays d'origine"),
)


def _issue_day(slot_day, confirmed_at, created_at):
    """A passport is issued when the plants leave: the pick-up day, else the confirmation's."""
    if slot_day is not None:
        return slot_day
    return utc_to_local_naive(confirmed_at or created_at).date()


def register_entries(start=None, end=None):
    """Every passport issued from start to end (local dates, both included), oldest first.

    One statement: the plant lines of confirmed, ready and collected orders, with their week's
    offer (its lot code) and product (its botanical name). Lines lowered to 0 issued nothing.
    """
    query = (
        select(
            PickupSlot.day,
            Order.confirmed_at,
            Order.created_at,
            Order.number,
            Order.contact_name,
            Order.customer_kind,
            User.organisation,
            OrderLine.product_name,
            OrderLine.product_id,
            OrderLine.quantity,
            Product.botanical_name,
            Offer.traceability_code,
            SalesWeek.pickup_dates,
            SalesWeek.closes_at,
        )
        .join(OrderLine.order)
        .join(OrderLine.offer)
        .join(Offer.week)
        .join(Product, Product.id == OrderLine.product_id)
        .outerjoin(Order.slot)
        .outerjoin(User, User.id == Order.customer_id)
        .where(
            Order.status.in_(ISSUED_STATUSES),
            Product.plant_for_planting.is_(True),
            OrderLine.quantity > 0,
        )
    )
    if start is not None:
        query = query.where(_on_or_after(start))
    if end is not None:
        query = query.where(_before(end + timedelta(days=1)))
    entries = [
        RegisterEntry(
            day=_issue_day(row.day, row.confirmed_at, row.created_at),
            order_number=row.number,
            buyer=(row.organisation or row.contact_name)
            if row.customer_kind != "individual"
            else row.contact_name,
            customer_kind=row.customer_kind,
            product=row.product_name,
            botanical_name=row.botanical_name,
            code=row.traceability_code
            or default_code(SalesWeek.iso_week_of(row.pickup_dates, row.closes_at), row.product_id),
            quantity=row.quantity,
        )
        for row in db.session.execute(query)
    ]
    entries.sort(key=lambda e: (e.day, len(e.order_number), e.order_number, e.product))
    return entries


def _utc(day):
    return local_to_utc(datetime.combine(day, time()))


def _confirmed_or_created():
    return db.func.coalesce(Order.confirmed_at, Order.created_at)


def _on_or_after(day):
    return or_(
        PickupSlot.day >= day,
        and_(Order.slot_id.is_(None), _confirmed_or_created() >= _utc(day)),
    )


def _before(day):
    return or_(
        PickupSlot.day < day,
        and_(Order.slot_id.is_(None), _confirmed_or_created() < _utc(day)),
    )


def register_csv(entries):
    """The register as CSV (semicolons, UTF-8 with BOM; no cell runs as a formula)."""
    operator, origin = operator_number(), country()
    return csv_text(
        REGISTER_COLUMNS,
        (
            [
                entry.day.isoformat(),
                entry.order_number,
                entry.buyer,
                kind_label(entry.customer_kind),
                entry.product,
                entry.botanical_name,
                entry.code,
                entry.quantity,
                operator,
                origin,
            ]
            for entry in entries
        ),
    )
