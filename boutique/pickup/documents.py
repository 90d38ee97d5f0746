"""The staff's pick-up documents: preparation list, order labels, pick-up list, delivery round.

Each document loads its orders with one statement and a fixed number of eager loads (lines,
payments: one statement each, whatever the number of orders) and returns plain data that the
templates, the PDF and the CSV export all read.
"""

import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, time

import segno
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..extensions import db
from ..formatting import cents_to_input
from ..models import (
    CardPayment,
    Category,
    GroupMember,
    GroupMemberLine,
    GroupOrder,
    Offer,
    Order,
    OrderLine,
    Payment,
    PickupPoint,
    PickupSlot,
    Product,
    User,
)
from ..passports.services import Passport, line_passports
from ..pricing import amount_due_cents, compute_totals
from ..spreadsheet import csv_text
from .handover import handover_url

# Orders still to prepare and hand over; the pick-up list also shows the collected ones,
# whose signatures are on the sheet.
PREPARATION_STATUSES = ("placed", "confirmed", "ready")
PICKUP_LIST_STATUSES = (*PREPARATION_STATUSES, "collected")

PAYMENT_STATES = {
    "invoice": _l("Sur facture"),
    "paid": _l("Payé"),
    "partial": _l("Payé en partie"),
    "due": _l("À encaisser"),
    "card_due": _l("Carte : paiement non enregistré"),
    "card_authorised": _l("Carte autorisée, débitée à la confirmation"),
    "overpaid": _l("Trop-perçu à rendre"),
}
LABELS_PER_SHEET = 24  # 3 columns x 8 rows of 70 x 37 mm on A4


# --- Plain data ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlotInfo:
    id: int
    point_id: int
    point_name: str
    point_address: str
    is_delivery: bool
    day: date
    starts_at: time
    ends_at: time

    @classmethod
    def of(cls, slot):
        point = slot.point
        return cls(
            slot.id,
            point.id,
            point.name,
            point.address,
            point.is_delivery,
            slot.day,
            slot.starts_at,
            slot.ends_at,
        )

    @property
    def times(self):
        return f"{self.starts_at:%H:%M}–{self.ends_at:%H:%M}"


@dataclass(frozen=True)
class Item:
    quantity: int
    name: str
    unit: str
    product_id: int
    # A plant for planting's passport (Regulation (EU) 2016/2031), one per line: the quantity
    # is its number of trade units.
    passport: Passport | None = None

    def __str__(self):
        return f"{self.quantity} × {self.name}"


@dataclass(frozen=True)
class OrderRow:
    id: int
    number: str
    name: str
    organisation: str
    phone: str
    status: str
    payment_method: str
    items: tuple
    total_cents: int
    paid_cents: int
    # What to ask at pick-up (Order.amount_due_cents: invoices and authorised cards owe nothing).
    to_collect_cents: int
    slot: SlotInfo | None
    address: str
    note: str
    # Derived from the order (signed link): left out of repr, which is the cache's fingerprint.
    handover_url: str = field(default="", repr=False)
    # The card is authorised: its final amount is captured at confirmation, nothing to collect.
    card_authorised: bool = False
    # An AMAP's group order: its members' bags, ((number, name, items), ...).
    bags: tuple = ()
    customer_kind: str = "individual"

    @property
    def passports(self):
        """The lines that travel with a plant passport."""
        return tuple(item for item in self.items if item.passport is not None)

    @property
    def item_count(self):
        return sum(item.quantity for item in self.items)

    @property
    def payment_state(self):
        if self.payment_method == "invoice":
            return "invoice"
        if self.card_authorised:
            return "card_authorised"
        if self.paid_cents > self.total_cents:
            return "overpaid"
        if self.paid_cents == self.total_cents:
            return "paid"
        if self.paid_cents:
            return "partial"
        return "card_due" if self.payment_method == "card" else "due"

    @property
    def payment_state_label(self):
        return PAYMENT_STATES[self.payment_state]

    @property
    def items_text(self):
        return ", ".join(f"{item} ({item.unit})" for item in self.items)


@dataclass
class SlotGroup:
    """A slot (None: orders not placed in a slot yet) and its orders."""

    slot: SlotInfo | None
    orders: list = field(default_factory=list)

    @property
    def to_collect_cents(self):
        return sum(order.to_collect_cents for order in self.orders)

    @property
    def item_count(self):
        return sum(order.item_count for order in self.orders)


@dataclass
class SlotDocument:
    """The pick-up list and the delivery round: slots in time order with their orders."""

    groups: list

    @property
    def orders(self):
        return [order for group in self.groups for order in group.orders]

    @property
    def to_collect_cents(self):
        return sum(group.to_collect_cents for group in self.groups)

    @property
    def item_count(self):
        return sum(group.item_count for group in self.groups)


@dataclass
class ProductTotal:
    name: str
    unit: str
    quantity: int = 0
    # [(order number, quantity)], in the order of the per-order list.
    orders: list = field(default_factory=list)


@dataclass
class CategoryTotal:
    name: str
    products: list

    @property
    def quantity(self):
        return sum(product.quantity for product in self.products)


@dataclass
class Preparation:
    categories: list
    orders: list

    @property
    def item_count(self):
        return sum(category.quantity for category in self.categories)


# --- Loading ------------------------------------------------------------------------------------


def document_days(week, slots):
    """The week's pick-up days and any other day a slot was added on, in order."""
    days = {date.fromisoformat(day) for day in week.pickup_dates}
    return sorted(days | {slot.day for slot in slots})


def _order_rows(week, statuses, day=None, point=None, delivery_only=False, with_url=False):
    """The orders as rows, in slot order (day, time, point), orders without a slot last, then
    by number.

    Read as plain rows, not ORM objects: four statements whatever the number of orders (the
    orders with their slot, point and customer; their lines; their payments; their cards),
    and 2,000 orders load in a fraction of the time the identity map would take.
    """
    where = [Order.week_id == week.id, Order.status.in_(statuses)]
    if day is not None:
        where.append(PickupSlot.day == day)
    if point is not None:
        where.append(PickupSlot.point_id == point.id)
    if delivery_only:
        where.append(PickupPoint.is_delivery.is_(True))

    def joined(query):
        return query.outerjoin(Order.slot).outerjoin(PickupSlot.point).where(*where)

    ids = joined(select(Order.id))
    lines = defaultdict(list)
    for line in db.session.execute(
        select(
            OrderLine.order_id,
            OrderLine.quantity,
            OrderLine.product_name,
            OrderLine.unit_label,
            OrderLine.product_id,
            OrderLine.unit_price_cents,
            OrderLine.vat_rate_bp,
        )
        .where(OrderLine.order_id.in_(ids))
        .order_by(OrderLine.id)
    ):
        lines[line.order_id].append(line)
    paid = dict(
        db.session.execute(
            select(Payment.order_id, func.sum(Payment.amount_cents))
            .where(Payment.order_id.in_(ids))
            .group_by(Payment.order_id)
        ).all()
    )
    authorised = set(
        db.session.scalars(
            select(CardPayment.order_id).where(
                CardPayment.order_id.in_(ids), CardPayment.status == "authorised"
            )
        )
    )
    bags = _bags(ids)
    plant_passports = line_passports(week)
    orders = db.session.execute(
        joined(
            select(
                Order.id,
                Order.number,
                Order.contact_name,
                Order.phone,
                Order.status,
                Order.customer_kind,
                Order.payment_method,
                Order.prices_include_vat,
                Order.note,
                Order.slot_id,
                PickupSlot.day,
                PickupSlot.starts_at,
                PickupSlot.ends_at,
                PickupPoint.id.label("point_id"),
                PickupPoint.name.label("point_name"),
                PickupPoint.address.label("point_address"),
                PickupPoint.is_delivery,
                User.organisation,
                User.phone.label("customer_phone"),
                User.address.label("customer_address"),
                User.postcode,
                User.city,
                User.id.label("customer_id"),
            ).outerjoin(Order.customer)
        )
    ).all()
    slot_infos = {}
    rows = []
    for order in orders:
        info = None
        if order.slot_id is not None:
            info = slot_infos.get(order.slot_id)
            if info is None:
                info = slot_infos[order.slot_id] = SlotInfo(
                    order.slot_id,
                    order.point_id,
                    order.point_name,
                    order.point_address,
                    order.is_delivery,
                    order.day,
                    order.starts_at,
                    order.ends_at,
                )
        url = handover_url(order.id, week) if with_url else ""
        row = _row(
            order,
            lines[order.id],
            paid.get(order.id, 0),
            order.id in authorised,
            info,
            url,
            plant_passports,
        )
        if order.id in bags:
            row = replace(row, bags=tuple(bags[order.id]))
        rows.append(row)
    rows.sort(key=_slot_order)
    return rows


def _bags(order_ids):
    """The members' bags of group orders among these orders: {order id: [(number, name,
    items)]}, in bag order (one statement)."""
    bags = defaultdict(dict)
    for line in db.session.execute(
        select(
            GroupOrder.order_id,
            GroupMember.number,
            GroupMember.name,
            GroupMemberLine.quantity,
            GroupMemberLine.product_name,
            GroupMemberLine.unit_label,
            GroupMemberLine.product_id,
        )
        .join(GroupMember, GroupMember.group_id == GroupOrder.id)
        .join(GroupMemberLine, GroupMemberLine.member_id == GroupMember.id)
        .where(
            GroupOrder.order_id.in_(order_ids),
            GroupMember.cancelled_at.is_(None),
            GroupMemberLine.quantity > 0,
        )
        .order_by(GroupMember.number, GroupMemberLine.id)
    ):
        bag = bags[line.order_id].setdefault(line.number, (line.number, line.name, []))
        bag[2].append(Item(line.quantity, line.product_name, line.unit_label, line.product_id))
    return {
        order_id: [(number, name, tuple(items)) for number, name, items in by_number.values()]
        for order_id, by_number in bags.items()
    }


def _row(order, lines, paid, card_authorised, slot_info, url, plant_passports):
    address = ""
    if order.customer_id is not None and order.customer_address:
        town = f"{order.postcode} {order.city}".strip()
        address = ", ".join(part for part in (order.customer_address, town) if part)
    total = compute_totals(
        ((line.unit_price_cents, line.quantity, line.vat_rate_bp) for line in lines),
        order.prices_include_vat,
    ).gross_cents
    return OrderRow(
        id=order.id,
        number=order.number,
        name=order.contact_name,
        organisation=(order.organisation or "") if order.customer_id is not None else "",
        phone=order.phone or (order.customer_phone or "" if order.customer_id is not None else ""),
        status=order.status,
        payment_method=order.payment_method,
        items=tuple(
            Item(
                line.quantity,
                line.product_name,
                line.unit_label,
                line.product_id,
                plant_passports.get(line.product_id),
            )
            for line in lines
            if line.quantity > 0
        ),
        total_cents=total,
        paid_cents=paid,
        to_collect_cents=amount_due_cents(
            order.payment_method, order.status, card_authorised, total, paid
        ),
        slot=slot_info,
        address=address,
        note=order.note,
        handover_url=url,
        card_authorised=card_authorised,
        customer_kind=order.customer_kind,
    )


def _slot_order(row):
    slot = row.slot
    if slot is None:
        return (1, date.max, time.max, "", len(row.number), row.number)
    return (0, slot.day, slot.starts_at, slot.point_name, len(row.number), row.number)


def _name_key(text):
    """Sort names the way people read them: case and accents aside."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _group(rows, slots, by_name=False):
    """Every slot in the given order (point by point, then time), empty ones too so that the
    sheet shows them, then the orders without a slot."""
    groups = {slot.id: SlotGroup(SlotInfo.of(slot)) for slot in slots}
    unplaced = SlotGroup(None)
    for row in rows:
        if row.slot is None:
            unplaced.orders.append(row)
        else:
            groups.setdefault(row.slot.id, SlotGroup(row.slot)).orders.append(row)
    ordered = list(groups.values())
    if unplaced.orders:
        ordered.append(unplaced)
    if by_name:
        for group in ordered:
            group.orders.sort(key=lambda row: (_name_key(row.name), row.number))
    return ordered


def _filtered_slots(slots, day=None, point=None, delivery_only=False):
    return [
        slot
        for slot in slots
        if (day is None or slot.day == day)
        and (point is None or slot.point_id == point.id)
        and (not delivery_only or slot.point.is_delivery)
    ]


# --- Documents ----------------------------------------------------------------------------------


def preparation(week, day=None, point=None):
    """What to pull from the nursery: totals per product by category, then each order."""
    rows = _order_rows(week, PREPARATION_STATUSES, day, point)
    # Lines point at the week's offers: their products' categories, in one statement.
    category_of = {
        product_id: (position, name)
        for product_id, position, name in db.session.execute(
            select(Product.id, Category.position, Category.name)
            .join(Product.category)
            .join(Offer, Offer.product_id == Product.id)
            .where(Offer.week_id == week.id)
        )
    }
    products = {}
    for row in rows:
        for item in row.items:
            key = (item.product_id, item.name, item.unit)
            total = products.get(key)
            if total is None:
                total = products[key] = ProductTotal(item.name, item.unit)
            total.quantity += item.quantity
            total.orders.append((row.number, item.quantity))
    by_category = defaultdict(list)
    for (product_id, _name, _unit), total in products.items():
        by_category[category_of.get(product_id, (0, ""))].append(total)
    categories = [
        CategoryTotal(name, sorted(totals, key=lambda t: (_name_key(t.name), _name_key(t.unit))))
        for (_position, name), totals in sorted(by_category.items())
    ]
    return Preparation(categories=categories, orders=rows)


def labels(week, day=None, point=None):
    """One label per order to prepare, in slot order, each with its handover link."""
    return _order_rows(week, PREPARATION_STATUSES, day, point, with_url=True)


def pickup_list(week, slots, day=None, point=None):
    """Per slot of the point(s), who comes, what to hand over and what to collect."""
    rows = _order_rows(week, PICKUP_LIST_STATUSES, day, point)
    slots = _filtered_slots(slots, day, point)
    return SlotDocument(_group(rows, slots, by_name=True))


def delivery_round(week, slots, day=None, point=None):
    """The delivery points' orders in slot order, with where to deliver them."""
    rows = _order_rows(week, PREPARATION_STATUSES, day, point, delivery_only=True)
    slots = _filtered_slots(slots, day, point, delivery_only=True)
    return SlotDocument(_group(rows, slots))


# --- QR codes and PDF ---------------------------------------------------------------------------


def qr_image(data):
    """The QR code of `data` as a PNG data URI, 4 pixels a module, no quiet zone (the label's
    white margin is one).

    A PNG rather than SVG: WeasyPrint draws 2,000 small images in a fraction of the time it
    takes for 2,000 SVG paths. CSS scales it without smoothing (image-rendering: pixelated).
    A fixed mask: choosing the "best" of eight costs 4/5 of the time, and scanners read any.
    """
    return segno.make_qr(data, error="m", mask=QR_MASK).png_data_uri(scale=4, border=0)


QR_MASK = 2


def fingerprint(document):
    """What a document shows, as text: equal fingerprints, equal documents."""
    return repr(document)


# --- CSV (semicolons, UTF-8 with BOM, like the catalog export) ----------------------------------

ORDER_STATUSES = {
    "placed": _l("Reçue"),
    "confirmed": _l("Confirmée"),
    "ready": _l("Prête"),
    "collected": _l("Retirée"),
}


def _slot_cells(slot):
    if slot is None:
        return ["", "", ""]
    return [slot.point_name, slot.day.isoformat(), slot.times]


def preparation_csv(document):
    """Two tables, as on paper: totals per product, then an empty row and each order's lines."""
    out = csv_text(
        (_l("Catégorie"), _l("Produit"), _l("Unité"), _l("Quantité"), _l("Commandes")),
        (
            [category.name, product.name, product.unit, product.quantity, len(product.orders)]
            for category in document.categories
            for product in category.products
        ),
    )
    details = csv_text(
        (
            _l("Commande"),
            _l("Client"),
            _l("Point de retrait"),
            _l("Jour"),
            _l("Créneau"),
            _l("Produit"),
            _l("Unité"),
            _l("Quantité"),
        ),
        (
            [row.number, row.name, *_slot_cells(row.slot), item.name, item.unit, item.quantity]
            for row in document.orders
            for item in row.items
        ),
    )
    return out + "\r\n" + details.removeprefix("\ufeff")


def labels_csv(rows):
    header = (
        _l("Commande"),
        _l("Client"),
        _l("Point de retrait"),
        _l("Jour"),
        _l("Créneau"),
        _l("Articles"),
        _l("Lien de remise"),
    )
    return csv_text(
        header,
        (
            [row.number, row.name, *_slot_cells(row.slot), row.item_count, row.handover_url]
            for row in rows
        ),
    )


def pickup_list_csv(document):
    header = (
        _l("Point de retrait"),
        _l("Jour"),
        _l("Créneau"),
        _l("Commande"),
        _l("Client"),
        _l("Téléphone"),
        _l("Articles"),
        _l("À encaisser"),
        _l("Paiement"),
        _l("État"),
    )
    return csv_text(
        header,
        (
            [
                *_slot_cells(row.slot),
                row.number,
                row.name,
                row.phone,
                row.items_text,
                cents_to_input(row.to_collect_cents),
                str(row.payment_state_label),
                str(ORDER_STATUSES[row.status]),
            ]
            for row in document.orders
        ),
    )


def delivery_round_csv(document):
    header = (
        _l("Point de retrait"),
        _l("Jour"),
        _l("Créneau"),
        _l("Commande"),
        _l("Organisation"),
        _l("Client"),
        _l("Adresse"),
        _l("Téléphone"),
        _l("Articles"),
        _l("Livré"),
    )
    return csv_text(
        header,
        (
            [
                *_slot_cells(row.slot),
                row.number,
                row.organisation,
                row.name,
                row.address,
                row.phone,
                row.items_text,
                "",
            ]
            for row in document.orders
        ),
    )
