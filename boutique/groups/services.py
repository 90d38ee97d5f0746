"""The rules of AMAP group orders.

A coordinator (an approved AMAP account) opens a group order for a sales week and shares its
link. Members order on it without an account until the members' deadline; each member's
lines reserve stock at once, with the guarded statement every order uses. At the deadline
(or when the coordinator closes it) the group order becomes one order of the AMAP: its lines
are the members' lines added up, and each member line keeps a link to its order line, so
that when staff lower a product the units come off members' bags by a stated rule.
"""

import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..formatting import format_when
from ..models import (
    Category,
    GroupMember,
    GroupMemberLine,
    GroupOrder,
    Offer,
    Order,
    OrderLine,
    PickupSlot,
    Product,
    SalesWeek,
    utcnow,
)
from ..order_log import SYSTEM, mail_customer, record
from ..order_states import release_place, release_stock, reserve_place, reserve_stock
from ..ordering.services import next_order_numbers, payment_methods_for
from ..pricing import compute_totals, vat_rate_for
from ..transactions import lock_week
from .bags import (
    mail_coordinator,
    mail_member,
    member_totals,
)

# How long before the members' deadline members are reminded (once).
REMINDER_BEFORE = timedelta(hours=24)
MAX_QUANTITY = 999

PAID_LABELS = {
    "cash": _l("espèces"),
    "cheque": _l("chèque"),
    "transfer": _l("virement"),
}
PAYMENT_LABELS = {
    "invoice": _l("Sur facture (virement à 30 jours)"),
    "on_pickup": _l("Au retrait (espèces, chèque ou carte sur place)"),
}


class GroupError(ValueError):
    """A refusal with a message for the coordinator or the member."""


@dataclass
class MemberContact:
    name: str
    email: str = ""
    phone: str = ""


# --- Reading -------------------------------------------------------------------------------------


def weeks_open_for_groups(now=None):
    """Published weeks whose order deadline is still ahead, soonest first."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(SalesWeek)
            .where(SalesWeek.status == "published", SalesWeek.closes_at > now)
            .order_by(SalesWeek.closes_at)
        )
    )


def amap_slots(week):
    """The week's slots an AMAP may collect at, in day and time order."""
    slots = db.session.scalars(
        select(PickupSlot)
        .options(selectinload(PickupSlot.point))
        .where(PickupSlot.week_id == week.id, PickupSlot.closed.is_(False))
        .order_by(PickupSlot.day, PickupSlot.starts_at, PickupSlot.id)
    )
    return [slot for slot in slots if slot.point.active and slot.point.allows("amap")]


def coordinator_groups(coordinator):
    return list(
        db.session.scalars(
            select(GroupOrder)
            .options(selectinload(GroupOrder.week), selectinload(GroupOrder.members))
            .where(GroupOrder.coordinator_id == coordinator.id)
            .order_by(GroupOrder.created_at.desc())
        )
    )


def _with_parts():
    """A group with what its pages show, in a constant number of statements."""
    return (
        selectinload(GroupOrder.members).selectinload(GroupMember.lines),
        selectinload(GroupOrder.week),
        selectinload(GroupOrder.coordinator),
        selectinload(GroupOrder.slot).selectinload(PickupSlot.point),
        selectinload(GroupOrder.order),
    )


def group_with_parts(group_id):
    return db.session.scalar(
        select(GroupOrder).options(*_with_parts()).where(GroupOrder.id == group_id)
    )


def group_for_coordinator(coordinator, group_id):
    group = group_with_parts(group_id)
    if group is None or group.coordinator_id != coordinator.id:
        return None
    return group


def group_by_token(token):
    return db.session.scalar(
        select(GroupOrder).options(*_with_parts()).where(GroupOrder.token == token)
    )


def member_by_token(token):
    return db.session.scalar(
        select(GroupMember)
        .options(selectinload(GroupMember.lines), selectinload(GroupMember.group))
        .where(GroupMember.token == token)
    )


def is_collecting(group, now=None):
    """May members order or change their part? Not before the week opens to everyone."""
    now = now or utcnow()
    return group.status == "open" and now < group.members_deadline and group.week.is_open(now)


def opens_later(group, now=None):
    """Open, but its week does not take orders yet: members come back when it opens."""
    return group.status == "open" and group.week.phase(now) == "upcoming"


def member_offers(week):
    """What members may order: the week's offered products by category, as the catalogue."""
    return list(
        db.session.scalars(
            select(Offer)
            .join(Offer.product)
            .join(Product.category)
            .options(selectinload(Offer.product).selectinload(Product.category))
            .where(Offer.week_id == week.id, Offer.offered.is_(True), Product.active.is_(True))
            .order_by(Category.position, Category.name, Product.name, Product.variety)
        )
    )


@dataclass
class ProductTotal:
    name: str
    unit: str
    quantity: int
    gross_cents: int


def product_totals(group):
    """Per product: units for all active members, and their amount with VAT."""
    quantities = defaultdict(int)
    prices = defaultdict(list)
    for member in group.active_members:
        for line in member.lines:
            key = (line.product_name, line.unit_label)
            quantities[key] += line.quantity
            prices[key].append((line.unit_price_cents, line.quantity, line.vat_rate_bp))
    return [
        ProductTotal(name, unit, quantities[key], compute_totals(prices[key], False).gross_cents)
        for key in sorted(quantities)
        for name, unit in [key]
    ]


def ledger(group):
    """The coordinator's ledger: what members owe the AMAP and what they paid."""
    owed = paid = 0
    for member in group.active_members:
        amount = member_totals(member).gross_cents
        owed += amount
        if member.paid_method:
            paid += amount
    return {"owed_cents": owed, "paid_cents": paid, "due_cents": owed - paid}


# --- Opening -------------------------------------------------------------------------------------


def open_group(
    coordinator,
    *,
    week,
    slot_id,
    members_deadline,
    payment_method,
    message="",
    delivery_address="",
    form_token=None,
    now=None,
):
    """Open a group order and hold its pick-up place; members may then order on its link
    once the week opens. The same form sent twice (form_token) finds the first group."""
    now = now or utcnow()
    if coordinator.kind != "amap" or not coordinator.is_approved_professional:
        raise GroupError(
            _("Les commandes groupées sont réservées aux AMAP dont le compte est validé.")
        )
    week = lock_week(week.id)
    if form_token is not None:
        earlier = db.session.scalar(select(GroupOrder).where(GroupOrder.form_token == form_token))
        if earlier is not None and earlier.coordinator_id == coordinator.id:
            return earlier
    if week is None or week.status != "published" or now >= week.closes_at:
        raise GroupError(_("Les commandes de cette semaine sont fermées."))
    if members_deadline <= now:
        raise GroupError(_("La date limite des membres doit être dans le futur."))
    if members_deadline > week.closes_at:
        raise GroupError(_("La date limite des membres ne peut pas dépasser celle de la semaine."))
    if payment_method not in PAYMENT_LABELS or payment_method not in payment_methods_for(
        coordinator
    ):
        raise GroupError(_("Ce moyen de paiement n'est pas proposé pour votre compte."))
    if payment_method == "invoice" and not coordinator.email_verified:
        raise GroupError(
            _(
                "Le paiement sur facture demande une adresse e-mail vérifiée : suivez le lien "
                "que nous vous avons envoyé, ou choisissez le paiement au retrait."
            )
        )
    slot = db.session.get(PickupSlot, slot_id) if slot_id else None
    if slot is None or slot.week_id != week.id or slot not in amap_slots(week):
        raise GroupError(_("Choisissez un point et un créneau de cette semaine."))
    delivery_address = (delivery_address or "").strip()
    if slot.point.is_delivery and not delivery_address:
        raise GroupError(_("Indiquez l'adresse de votre distribution pour la livraison."))
    if not reserve_place(slot.id):
        raise GroupError(_("Ce créneau est complet : choisissez-en un autre."))
    group = GroupOrder(
        week=week,
        coordinator=coordinator,
        slot=slot,
        delivery_address=delivery_address if slot.point.is_delivery else "",
        members_deadline=members_deadline,
        message=(message or "").strip(),
        payment_method=payment_method,
        status="open",
        token=secrets.token_urlsafe(24),
        form_token=form_token,
        created_at=now,
    )
    db.session.add(group)
    db.session.flush()
    return group


# --- Members -------------------------------------------------------------------------------------


def _check_collecting(group, now):
    if group.status == "cancelled":
        raise GroupError(_("Cette commande groupée a été annulée."))
    if opens_later(group, now):
        raise GroupError(
            _(
                "Les commandes de la semaine ouvrent le %(date)s : revenez à ce moment-là.",
                date=format_when(group.week.opens_at),
            )
        )
    if not is_collecting(group, now):
        raise GroupError(
            _(
                "La commande groupée est close : les parts ne peuvent plus être ajoutées ni "
                "modifiées. Contactez votre AMAP."
            )
        )


def _offers(week, offer_ids):
    offers = db.session.scalars(
        select(Offer)
        .options(selectinload(Offer.product))
        .where(Offer.week_id == week.id, Offer.id.in_(offer_ids))
    )
    return {offer.id: offer for offer in offers}


def _check_quantities(week, items, existing=()):
    """The offers of the items (a quantity of 0 removes a line the member already has)."""
    offers = _offers(week, list(items))
    for offer_id, quantity in items.items():
        offer = offers.get(offer_id)
        if offer is None:
            raise GroupError(_("Un des produits n'est plus proposé cette semaine."))
        name = offer.product.full_name
        if quantity == 0 and offer_id in existing:
            continue
        if not offer.offered or not offer.product.active:
            raise GroupError(_("« %(name)s » n'est plus proposé cette semaine.", name=name))
        if quantity < 1 or quantity > MAX_QUANTITY:
            raise GroupError(_("Quantité invalide pour « %(name)s ».", name=name))
        if offer.max_per_order and quantity > offer.max_per_order:
            raise GroupError(
                _("« %(name)s » : %(max)d au plus par part.", name=name, max=offer.max_per_order)
            )
    return offers


def _short(offer):
    left = max(offer.remaining or 0, 0)
    return GroupError(
        _(
            "Il ne reste pas assez de « %(name)s » (encore %(left)d disponibles) : "
            "baissez la quantité.",
            name=offer.product.full_name,
            left=left,
        )
    )


def _set_lines(member, offers, items, now):
    """Bring the member's lines to `items`, reserving or releasing the difference (id order)."""
    lines = {line.offer_id: line for line in member.lines}
    for offer_id in sorted(items):
        offer, new = offers[offer_id], items[offer_id]
        line = lines.get(offer_id)
        old = line.quantity if line is not None else 0
        if new > old and not reserve_stock(offer_id, new - old):
            db.session.refresh(offer)
            raise _short(offer)
        if new < old:
            release_stock(offer_id, old - new)
        if line is None and new:
            member.lines.append(
                GroupMemberLine(
                    offer_id=offer.id,
                    product_id=offer.product_id,
                    product_name=offer.product.full_name,
                    unit_label=offer.product.unit_label,
                    unit_price_cents=offer.price_cents("amap"),
                    vat_rate_bp=vat_rate_for(offer.product),
                    quantity_ordered=new,
                    quantity=new,
                    updated_at=now,
                )
            )
        elif line is not None and new == 0:
            member.lines.remove(line)
        elif line is not None and new != old:
            line.quantity = line.quantity_ordered = new
            line.updated_at = now


def join_group(group, contact, items, *, form_token, locale="fr", now=None):
    """Add a member's part: reserve every line or none, and mail them their own link.

    form_token is drawn when the form is shown: the same form sent twice finds the member
    the first one made (rule 10). The member's own link is drawn here.
    """
    now = now or utcnow()
    lock_week(group.week_id)
    earlier = db.session.scalar(select(GroupMember).where(GroupMember.form_token == form_token))
    if earlier is not None:
        if earlier.group_id != group.id:
            raise GroupError(_("Ce formulaire a expiré : rechargez la page."))
        return earlier
    db.session.refresh(group)
    _check_collecting(group, now)
    items = {offer_id: quantity for offer_id, quantity in items.items() if quantity}
    if not items:
        raise GroupError(_("Indiquez au moins un produit."))
    offers = _check_quantities(group.week, items)
    number = db.session.execute(
        update(GroupOrder)
        .where(GroupOrder.id == group.id)
        .values(member_counter=GroupOrder.member_counter + 1)
        .returning(GroupOrder.member_counter)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    member = GroupMember(
        group=group,
        number=number,
        name=contact.name.strip(),
        email=(contact.email or "").strip().lower(),
        phone=(contact.phone or "").strip(),
        locale=locale,
        token=secrets.token_urlsafe(24),
        form_token=form_token,
        created_at=now,
        updated_at=now,
    )
    db.session.add(member)
    _set_lines(member, offers, items, now)
    _bump(group)
    db.session.flush()
    mail_member(member, "group_member_joined")
    return member


def change_member(member, items, *, by_coordinator=False, now=None):
    """Change a member's quantities (the member, or the coordinator) while the group collects.

    items: {offer_id: quantity}; 0 removes a line, new offers add one.
    """
    now = now or utcnow()
    group = member.group
    lock_week(group.week_id)
    db.session.refresh(group)
    db.session.refresh(member)
    _check_collecting(group, now)
    if member.cancelled_at is not None:
        raise GroupError(_("Cette part est annulée."))
    current = {line.offer_id: line.quantity for line in member.lines}
    items = {
        offer_id: quantity
        for offer_id, quantity in items.items()
        if quantity != current.get(offer_id, 0)
    }
    if not items:
        return False
    if not any({**current, **items}.values()):
        raise GroupError(_("Pour tout retirer, annulez la part."))
    offers = _check_quantities(group.week, items, existing=current)
    _set_lines(member, offers, items, now)
    member.updated_at = now
    _bump(group)
    db.session.flush()
    if by_coordinator:
        mail_member(member, "group_member_changed")
    return True


def cancel_member(member, *, now=None, by_coordinator=False):
    """Take a member's part out: their units go back on sale."""
    now = now or utcnow()
    group = member.group
    lock_week(group.week_id)
    db.session.refresh(group)
    db.session.refresh(member)
    if member.cancelled_at is not None:
        return False
    _check_collecting(group, now)
    for line in list(member.lines):
        release_stock(line.offer_id, line.quantity)
        member.lines.remove(line)
    member.cancelled_at = now
    member.paid_method = member.paid_at = None
    _bump(group)
    db.session.flush()
    mail_member(member, "group_member_cancelled", by_coordinator=by_coordinator)
    return True


def record_member_payment(member, method, now=None):
    """Tick (or untick, method None) how a member paid the coordinator."""
    if method is not None and method not in PAID_LABELS:
        raise GroupError(_("Moyen de paiement inconnu."))
    if member.cancelled_at is not None:
        raise GroupError(_("Cette part est annulée."))
    member.paid_method = method
    member.paid_at = (now or utcnow()) if method else None
    db.session.flush()


def _bump(group):
    from ..order_states import bump_week_version

    bump_week_version(group.week_id)  # stock changed: the storefront's cached pages go


# --- Closing -------------------------------------------------------------------------------------


def close_group(group, actor=None, now=None):
    """Close a group order: it becomes one order of the AMAP, or is cancelled if empty.

    Returns the order (None when no member ordered). Closing twice does nothing the second time.
    """
    now = now or utcnow()
    week = lock_week(group.week_id)
    taken = db.session.execute(
        update(GroupOrder)
        .where(GroupOrder.id == group.id, GroupOrder.status == "open")
        .values(status="closed", closed_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(group)
    if taken.rowcount != 1:
        return group.order
    members = [member for member in group.active_members if member.lines]
    if not members:
        group.status = "cancelled"
        release_place(group.slot_id)
        db.session.flush()
        mail_coordinator(group, "group_closed_empty")
        return None
    coordinator = group.coordinator
    payment_method = group.payment_method
    if payment_method not in payment_methods_for(coordinator):
        payment_method = "on_pickup"  # the account may no longer pay on invoice: at pick-up
    notes = [_("Commande groupée : %(count)d parts.", count=len(members))]
    if group.delivery_address:
        notes.append(_("Livraison : %(address)s", address=group.delivery_address))
    order = Order(
        number=next_order_numbers(week)[0],
        week=week,
        customer=coordinator,
        customer_kind="amap",
        contact_name=coordinator.display_name,
        email=coordinator.email,
        phone=coordinator.phone or "",
        locale=coordinator.locale or "fr",
        slot=group.slot,
        payment_method=payment_method,
        status="placed",
        prices_include_vat=False,
        note="\n".join(notes),
        checkout_token=secrets.token_urlsafe(24),
        terms_version=coordinator.terms_version or "",  # the AMAP buys, on the terms it accepted
        access_token=secrets.token_urlsafe(24),
        created_at=now,
    )
    by_key = {}
    for member in members:
        for line in member.lines:
            key = (line.offer_id, line.unit_price_cents, line.vat_rate_bp)
            order_line = by_key.get(key)
            if order_line is None:
                order_line = by_key[key] = OrderLine(
                    offer_id=line.offer_id,
                    product_id=line.product_id,
                    product_name=line.product_name,
                    unit_label=line.unit_label,
                    unit_price_cents=line.unit_price_cents,
                    vat_rate_bp=line.vat_rate_bp,
                    quantity_ordered=0,
                    quantity=0,
                )
            order_line.quantity_ordered += line.quantity
            order_line.quantity += line.quantity
            line.order_line = order_line
    for key in sorted(by_key, key=lambda k: (by_key[k].product_name, k)):
        order.lines.append(by_key[key])
    db.session.add(order)
    group.order = order
    db.session.flush()
    record(order, actor or SYSTEM, "group_closed", members=len(members), group=group.id)
    if payment_method != group.payment_method:
        record(
            order,
            SYSTEM,
            "payment_method_changed",
            method=payment_method,
            cause="invoice_not_allowed",
        )
    mail_customer(order, "group_closed", group=group, members=members, member_totals=member_totals)
    return order


def groups_due(now=None):
    """The open group orders whose members' deadline has passed."""
    now = now or utcnow()
    return db.session.scalars(
        select(GroupOrder)
        .where(GroupOrder.status == "open", GroupOrder.members_deadline <= now)
        .order_by(GroupOrder.week_id, GroupOrder.id)
    ).all()


def remind_members(now=None):
    """Remind the members of groups closing within REMINDER_BEFORE, once; how many mails."""
    now = now or utcnow()
    groups = db.session.scalars(
        select(GroupOrder)
        .options(selectinload(GroupOrder.members).selectinload(GroupMember.lines))
        .where(
            GroupOrder.status == "open",
            GroupOrder.reminded_at.is_(None),
            GroupOrder.members_deadline > now,
            GroupOrder.members_deadline <= now + REMINDER_BEFORE,
        )
    ).all()
    sent = 0
    for group in groups:
        taken = db.session.execute(
            update(GroupOrder)
            .where(GroupOrder.id == group.id, GroupOrder.reminded_at.is_(None))
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:
            continue
        for member in group.active_members:
            if mail_member(member, "group_member_reminder") is not None:
                sent += 1
    return sent
