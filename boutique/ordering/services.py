"""The order's life: place (reserving stock and slot, all or nothing), change, cancel,
confirm, lower a line. Every move is logged and told to the customer through the outbox."""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import contains_eager, selectinload

from ..extensions import db
from ..formatting import format_cents, format_when
from ..models import (
    OPEN_STATUSES,
    CardPayment,
    GroupOrder,
    Offer,
    Order,
    OrderEvent,
    OrderLine,
    PickupPoint,
    PickupSlot,
    SalesWeek,
    User,
    utcnow,
)
from ..order_log import mail_customer, record
from ..order_states import (
    bump_week_version,
    expire_order,
    lock_order,
    release_order,
    release_stock,
    reserve_stock,
)
from ..payments import card as card_payments
from ..payments.card import MIN_CARD_CENTS, card_net, hold_until
from ..payments.gateway import (
    PaymentGatewayError,
    gateway_for,
    page_gateway,
    page_question_failed,
)
from ..payments.invoices import credit_note_for_change, issue_invoice
from ..pickup.services import release_places, reserve_place
from ..pricing import compute_totals, order_totals, vat_rate_for
from ..transactions import lock_week, lock_weeks

MAX_QUANTITY = 10_000


class OrderError(ValueError):
    """The order cannot be placed or changed; the message is for the customer."""


class SlotRefused(OrderError):
    """The slot chosen cannot take the order (full, closed, not for this customer): the
    customer chooses another one."""


class PaymentRefused(OrderError):
    """The basket is fine but this payment method is not open to this customer for it."""


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    phone: str = ""


def normalised_email(email):
    """'Camille+Promo@Exemple.FR' -> 'camille@exemple.fr': tags reach the same mailbox."""
    local, _at, domain = (email or "").strip().lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}" if local else ""


def same_mailbox(email):
    """Orders whose email normalised_email() folds to the same mailbox as `email` (SQL)."""
    key = normalised_email(email)
    if not key:
        return Order.email == (email or "")
    local, _at, domain = key.rpartition("@")
    return or_(
        func.lower(Order.email) == key,
        and_(
            Order.email.istartswith(f"{local}+", autoescape=True),
            Order.email.iendswith(f"@{domain}", autoescape=True),
        ),
    )


# --- Reading -------------------------------------------------------------------------------------


def initial_status(payment_method):
    """Card orders wait for the card's authorisation; the others are placed at once."""
    return "pending_payment" if payment_method == "card" else "placed"


def payment_methods_for(customer):
    """Payment methods a customer may choose: invoice only for approved professionals."""
    methods = ["card", "on_pickup"]
    offered = current_app.config.get("INVOICE_PAYMENT", True)
    if offered and customer is not None and customer.is_approved_professional:
        methods.append("invoice")
    return methods


def default_payment_method(customer):
    """What the checkout form proposes first: card, or invoice for verified approved professionals."""
    if "invoice" in payment_methods_for(customer) and customer.email_verified:
        return "invoice"
    return "card"


def unpaid_order_cap_cents():
    return current_app.config["UNPAID_ORDER_CAP_CENTS"]


def payment_problem(customer, payment_method, gross_cents):
    """Why a storefront customer may not pay this way for this amount, or ''.

    Nothing is paid before pick-up or invoice: a stranger could book the whole week for free.
    Invoices need a verified email; pay-on-pick-up above the cap needs one too. Card payments
    and verified accounts are not capped.
    """
    verified = customer is not None and customer.email_verified
    if payment_method == "invoice" and not verified:
        return _(
            "Le paiement sur facture demande une adresse e-mail vérifiée : suivez le lien "
            "que nous vous avons envoyé (vous pouvez le recevoir à nouveau depuis votre profil), "
            "ou payez par carte bancaire."
        )
    cap = unpaid_order_cap_cents()
    if payment_method != "on_pickup" or verified or gross_cents <= cap:
        return ""
    if customer is None:
        return _(
            "Sans compte, le paiement au retrait est possible jusqu'à %(cap)s et cette commande "
            "fait %(total)s. Payez par carte bancaire, ou connectez-vous à un compte dont "
            "l'adresse e-mail est vérifiée.",
            cap=format_cents(cap),
            total=format_cents(gross_cents),
        )
    return _(
        "Tant que votre adresse e-mail n'est pas vérifiée, le paiement au retrait est possible "
        "jusqu'à %(cap)s et cette commande fait %(total)s. Payez par carte bancaire, ou vérifiez "
        "votre adresse : suivez le lien que nous vous avons envoyé (vous pouvez le recevoir à "
        "nouveau depuis votre profil).",
        cap=format_cents(cap),
        total=format_cents(gross_cents),
    )


def pending_card_holds_per_connection():
    return current_app.config["PENDING_CARD_HOLDS_PER_CONNECTION"]


def _stranger(customer):
    """A guest, or an account whose email is not verified: nobody the shop can reach for sure."""
    return customer is None or not customer.email_verified


def _strangers_card_holds(now, *where):
    """Storefront card orders of strangers still holding stock and a place, oldest first."""
    return db.session.scalars(
        select(Order)
        .outerjoin(Order.customer)
        .options(selectinload(Order.lines), selectinload(Order.card))
        .where(
            Order.status == "pending_payment",
            Order.hold_expires_at > now,
            Order.entered_by_id.is_(None),
            or_(Order.customer_id.is_(None), User.email_verified_at.is_(None)),
            *where,
        )
        .order_by(Order.id)
    ).all()


def card_holds_to_replace(email, ip_hash, now):
    """The unpaid card orders a stranger's new card order replaces: those of the same mailbox
    from the same connection (someone else typing a customer's address must not be able to
    release the order that customer is paying).

    One mailbox holds one unpaid card order per connection; one connection holds at most
    PENDING_CARD_HOLDS_PER_CONNECTION (0: no such limit) besides them, else PaymentRefused:
    an order never paid holds its stock ~36 minutes, and a stranger could keep the week
    "Épuisé" with a few of them. Reads only: the caller releases them (expire_order).
    """
    if ip_hash is None:
        return []
    replaced = _strangers_card_holds(now, same_mailbox(email), Order.ip_hash == ip_hash)
    most = pending_card_holds_per_connection()
    if not most:
        return replaced
    others = [
        order
        for order in _strangers_card_holds(now, Order.ip_hash == ip_hash)
        if order not in replaced
    ]
    if len(others) >= most:
        raise PaymentRefused(
            ngettext(
                "%(num)d commande par carte passée depuis cette connexion internet attend déjà "
                "son paiement : c'est le maximum à la fois. Terminez ce paiement, ou réessayez "
                "après le %(time)s, quand elle sera libérée si elle n'est pas payée. Vous pouvez "
                "aussi payer au retrait (jusqu'à %(cap)s), ou vous connecter à un compte dont "
                "l'adresse e-mail est vérifiée.",
                "%(num)d commandes par carte passées depuis cette connexion internet attendent "
                "déjà leur paiement : c'est le maximum à la fois. Terminez l'un de ces paiements, "
                "ou réessayez après le %(time)s, quand la plus ancienne sera libérée si elle n'est "
                "pas payée. Vous pouvez aussi payer au retrait (jusqu'à %(cap)s), ou vous connecter "
                "à un compte dont l'adresse e-mail est vérifiée.",
                len(others),
                time=format_when(min(order.hold_expires_at for order in others)),
                cap=format_cents(unpaid_order_cap_cents()),
            )
        )
    return replaced


def offers_by_id(week, offer_ids):
    """The week's offers among these ids, with their product, in one query."""
    if not offer_ids:
        return {}
    offers = db.session.scalars(
        select(Offer)
        .join(Offer.product)
        .options(contains_eager(Offer.product))
        .where(Offer.id.in_(offer_ids), Offer.week_id == week.id)
    ).all()
    return {offer.id: offer for offer in offers}


def order_by_checkout_token(token):
    """The order a checkout (or phone-order) form already made, if any: double submissions."""
    return db.session.scalar(select(Order).where(Order.checkout_token == token))


# What an order's page shows (the customer's and the staff's), loaded with the order.
ORDER_PAGE_LOADS = (
    selectinload(Order.lines),
    selectinload(Order.events),
    selectinload(Order.slot).selectinload(PickupSlot.point),
    selectinload(Order.payments),
    selectinload(Order.card),
)
ACCESS_TOKEN_LENGTH = 64


def order_for_page(token):
    """The order behind a customer's secret link; None for any other token."""
    if len(token) > ACCESS_TOKEN_LENGTH:
        return None
    return db.session.scalar(
        select(Order)
        .options(*ORDER_PAGE_LOADS, selectinload(Order.week))
        .where(Order.access_token == token)
    )


def customer_orders(customer):
    return db.session.scalars(
        select(Order)
        .options(
            selectinload(Order.lines),
            selectinload(Order.week),
            selectinload(Order.slot).selectinload(PickupSlot.point),
        )
        .where(Order.customer_id == customer.id)
        .order_by(Order.created_at.desc())
    ).all()


def last_order(customer):
    """The customer's latest order that was not cancelled or left unpaid, or None."""
    return db.session.scalar(
        select(Order)
        .options(selectinload(Order.lines), selectinload(Order.slot))
        .where(
            Order.customer_id == customer.id,
            Order.status.not_in(("cancelled", "expired", "pending_payment")),
        )
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(1)
    )


def is_group_order(order):
    """Made from an AMAP's group order: its lines are the members' parts, changed there."""
    return (
        order.customer_kind == "amap"
        and db.session.scalar(select(GroupOrder.id).where(GroupOrder.order_id == order.id))
        is not None
    )


def can_customer_change(order, now=None):
    return order.status == "placed" and order.week.is_open(now) and not is_group_order(order)


def can_customer_cancel(order, now=None):
    """Received, or still waiting for its card payment: the customer may cancel it online."""
    return order.status in ("placed", "pending_payment") and order.week.is_open(now)


def other_payment_methods(order):
    """The methods an unpaid card order may switch to: what this customer may use for its
    amount (a guest's pay-on-pick-up is capped), never the card again."""
    if order.status != "pending_payment":
        return []
    gross = order_totals(order).gross_cents
    return [
        method
        for method in payment_methods_for(order.customer)
        if method != "card" and not payment_problem(order.customer, method, gross)
    ]


def switch_payment(order, method, actor=None):
    """The customer left the card payment page: the order is paid another way instead.

    Its stock and slot stay taken; it becomes a received order like any other (and mailed
    so). The caller asked Stripe first that nothing was paid; a payment that still comes
    for the old card session is released (payments.card: the order is no longer paid by card).
    """
    if not lock_order(order, ("pending_payment",)):
        raise OrderError(_("Cette commande n'attend plus de paiement par carte."))
    if method not in other_payment_methods(order):
        raise PaymentRefused(_("Ce moyen de paiement n'est pas proposé pour cette commande."))
    order.payment_method = method
    order.status = initial_status(method)
    order.hold_expires_at = None
    db.session.flush()
    record(order, actor, "payment_method_changed", method=method)
    mail_customer(order, "order_received")


def next_order_numbers(week, count=1):
    """S49-017: the week's number (SalesWeek.iso_week), then the week's own sequence; `count`
    numbers in a row (standing orders take theirs together).

    Also bumps the week's version once per order (stock changed): one statement on its row.
    """
    last = db.session.execute(
        update(SalesWeek)
        .where(SalesWeek.id == week.id)
        .values(order_counter=SalesWeek.order_counter + count, version=SalesWeek.version + count)
        .returning(SalesWeek.order_counter)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    return [
        f"S{week.iso_week.week:02d}-{sequence:03d}"
        for sequence in range(last - count + 1, last + 1)
    ]


# --- Checks --------------------------------------------------------------------------------------


def quantity_problem(offer, quantity):
    """Why a customer may not ask for this quantity of an offer, or '' (stock aside)."""
    name = offer.product.full_name
    if not isinstance(quantity, int) or quantity < 1 or quantity > MAX_QUANTITY:
        return _("Quantité invalide pour « %(name)s ».", name=name)
    if offer.max_per_order and quantity > offer.max_per_order:
        return _("« %(name)s » : %(max)d au plus par commande.", name=name, max=offer.max_per_order)
    return ""


def check_quantity(offer, quantity):
    if problem := quantity_problem(offer, quantity):
        raise OrderError(problem)


def _check_items(week, items, for_staff=False):
    """The offers of the items; refusals speak to the customer's basket, or to staff."""
    if not items:
        if for_staff:
            raise OrderError(_("Indiquez au moins un produit."))
        raise OrderError(_("Votre panier est vide."))
    offers = offers_by_id(week, list(items))
    for offer_id, quantity in items.items():
        offer = offers.get(offer_id)
        if offer is None or not offer.offered or not offer.product.active:
            if for_staff:
                raise OrderError(_("Un des produits n'est plus proposé cette semaine."))
            raise OrderError(_("Un produit de votre panier n'est plus proposé cette semaine."))
        check_quantity(offer, quantity)
    return offers


def _check_slot(week, slot_id, kind, for_staff=False):
    slot = db.session.scalar(
        select(PickupSlot)
        .join(PickupSlot.point)
        .options(contains_eager(PickupSlot.point))
        .where(PickupSlot.id == slot_id)
    )
    if slot is None or slot.week_id != week.id:
        raise SlotRefused(_("Ce créneau n'existe pas pour cette semaine."))
    point: PickupPoint = slot.point
    if not point.active or not point.allows(kind):
        if for_staff:
            raise SlotRefused(_("Ce point de retrait n'est pas ouvert à ce type de client."))
        raise SlotRefused(_("Ce point de retrait n'est pas ouvert à votre type de compte."))
    if slot.closed:
        raise SlotRefused(_("Ce créneau est fermé : choisissez-en un autre."))
    return slot


def _reserve_lines(offers, items, for_staff=False):
    # Always in id order, so that concurrent orders lock rows in the same order (no deadlock).
    for offer_id in sorted(items):
        if not reserve_stock(offer_id, items[offer_id]):
            name = offers[offer_id].product.full_name
            if for_staff:  # a phone order: no basket, staff lower the quantity
                raise OrderError(
                    _(
                        "Il ne reste pas assez de « %(name)s » : quelqu'un vient de prendre "
                        "les derniers. Baissez la quantité.",
                        name=name,
                    )
                )
            raise OrderError(
                _(
                    "Il ne reste pas assez de « %(name)s » pour votre commande : "
                    "quelqu'un vient de prendre les derniers. Votre panier est conservé ; "
                    "ajustez la quantité.",
                    name=name,
                )
            )


# --- The order's life ----------------------------------------------------------------------------


def place_order(
    *,
    week,
    items,
    slot_id,
    payment_method,
    contact,
    kind,
    customer=None,
    locale="fr",
    note="",
    checkout_token,
    entered_by=None,
    bypass_deadline=False,
    preferred_point_id=None,
    ip_hash=None,
    now=None,
):
    """Reserve every line and the slot, or nothing; create the order and its first mail.

    items: {offer_id: quantity}. Raises OrderError with a message for the customer.
    ip_hash: address_hash() of the client, for storefront orders (staff find bursts by it).
    """
    now = now or utcnow()
    # The week first (rule 9): what is read below stays true until the commit.
    week = lock_week(week.id)
    after_deadline = not week.is_open(now)
    if after_deadline and not (entered_by is not None and bypass_deadline):
        raise OrderError(_("Les commandes de cette semaine sont fermées."))
    for_staff = entered_by is not None
    if payment_method not in payment_methods_for(customer):
        if for_staff:
            raise OrderError(_("Ce moyen de paiement n'est pas proposé à ce client."))
        raise OrderError(_("Ce moyen de paiement n'est pas proposé pour votre compte."))
    if kind != "individual" and (customer is None or customer.price_kind != kind):
        raise OrderError(_("Les commandes professionnelles demandent un compte validé."))
    offers = _check_items(week, items, for_staff)
    if entered_by is None:  # staff know who they take a phone order from
        gross = compute_totals(
            (
                (offer.price_cents(kind), items[offer_id], vat_rate_for(offer.product))
                for offer_id, offer in offers.items()
            ),
            prices_include_vat=kind == "individual",
        ).gross_cents
        if problem := payment_problem(customer, payment_method, gross):
            raise PaymentRefused(problem)
    replaced = []
    if payment_method == "card" and entered_by is None and _stranger(customer):
        replaced = card_holds_to_replace(contact.email, ip_hash, now)
    # Staff may leave the slot to the pick-up schedule (phone orders); customers choose one.
    slot = None
    if slot_id is not None or entered_by is None:
        slot = _check_slot(week, slot_id, kind, for_staff)

    # Their stock and place come back first: the new order may need them.
    for earlier in replaced:
        expire_order(earlier, reason="replaced_by_new_order", notify=False)
    _reserve_lines(offers, items, for_staff=for_staff)
    if slot is not None and not reserve_place(slot.id):
        raise SlotRefused(_("Ce créneau vient d'être complet : choisissez-en un autre."))
    order = Order(
        number=next_order_numbers(week)[0],
        week=week,
        customer=customer,
        customer_kind=kind,
        contact_name=contact.name.strip(),
        email=contact.email.strip().lower(),
        phone=(contact.phone or "").strip(),
        locale=locale,
        slot=slot,
        payment_method=payment_method,
        status=initial_status(payment_method),
        prices_include_vat=kind == "individual",
        note=(note or "").strip(),
        entered_by=entered_by,
        after_deadline=after_deadline,
        checkout_token=checkout_token,
        access_token=secrets.token_urlsafe(24),
        created_at=now,
        preferred_point_id=preferred_point_id,
        hold_expires_at=hold_until(now) if payment_method == "card" else None,
        ip_hash=ip_hash,
    )
    for offer_id in sorted(items):
        offer = offers[offer_id]
        order.lines.append(
            OrderLine(
                offer_id=offer.id,
                product_id=offer.product_id,
                product_name=offer.product.full_name,
                unit_label=offer.product.unit_label,
                unit_price_cents=offer.price_cents(kind),
                vat_rate_bp=vat_rate_for(offer.product),
                quantity_ordered=items[offer_id],
                quantity=items[offer_id],
            )
        )
    if payment_method == "card" and order_totals(order).gross_cents < MIN_CARD_CENTS:
        raise OrderError(
            _(
                "Le paiement par carte demande au moins %(amount)s : choisissez un autre "
                "moyen de paiement.",
                amount=format_cents(MIN_CARD_CENTS),
            )
        )
    db.session.add(order)
    db.session.flush()
    action = "entered_by_staff" if entered_by else "placed"
    details = {"replaces": [earlier.number for earlier in replaced]} if replaced else {}
    record(order, entered_by or customer, action, after_deadline=after_deadline, **details)
    if order.status == "placed":  # a card order is received once the card is authorised
        mail_customer(order, "order_received")
    return order


# Lapsed holds a page view asks Stripe about at most (the oldest first); cron does the rest.
LAZY_HOLD_CHECKS = 5


def expire_holds(now=None, week_id=None, gateway=None):
    """Expire the card orders whose hold ran out and that Stripe confirms unpaid; their numbers.

    Stripe is asked first, before anything is written (no lock held while it answers). An
    order Stripe says is authorised or paid is recorded as paid, never expired; when Stripe
    cannot answer, the order waits for the next run. With `week_id` (a page view's lazy
    expiry) at most LAZY_HOLD_CHECKS orders are looked at, with the page view's gateway (a short
    wait, and none while Stripe rests after a failure: payments.gateway.page_gateway).
    """
    now = now or utcnow()
    query = select(Order).where(Order.status == "pending_payment", Order.hold_expires_at <= now)
    if week_id is not None:
        query = query.where(Order.week_id == week_id).limit(LAZY_HOLD_CHECKS)
    orders = db.session.scalars(
        query.options(selectinload(Order.lines), selectinload(Order.card)).order_by(Order.id)
    ).all()
    if not orders:
        return []
    page_view = week_id is not None
    if gateway is None:
        try:
            gateway = page_gateway() if page_view else gateway_for()
        except PaymentGatewayError:
            gateway = None  # only holds that never reached Stripe can expire
    verdicts = card_payments.check_holds(
        orders, gateway, now, on_silence=page_question_failed if page_view else None
    )
    # Stripe has answered: now the weeks, then the orders' rows (rule 9).
    lock_weeks(o.week_id for o in orders if verdicts.get(o.id, ("waiting",))[0] != "waiting")
    expired = []
    for order in orders:
        verdict, answer = verdicts.get(order.id, ("waiting", None))
        if verdict == "paid":
            card_payments.record_answer(order.card, answer, now)
        elif verdict == "unpaid" and expire_order(order):
            expired.append(order.number)
    return expired


def change_quantities(order, quantities, actor=None, now=None):
    """The customer changes quantities before the deadline; 0 removes a line.

    Returns "" when nothing changed, else "mailed" or "not_mailed" (a change mail went out
    less than ORDER_CHANGE_MAIL_MINUTES ago: the page shows the change, the next mail tells it).
    """
    if not can_customer_change(order, now) or not lock_order(order, ("placed",)):
        raise OrderError(_("Cette commande ne peut plus être modifiée en ligne."))
    lines = {line.id: line for line in order.lines}
    if set(quantities) - set(lines):
        raise OrderError(_("Ligne de commande inconnue."))
    if all(quantities.get(line_id, line.quantity) == 0 for line_id, line in lines.items()):
        raise OrderError(_("Pour tout retirer, annulez la commande."))
    gross_before = order_totals(order).gross_cents
    offers = offers_by_id(order.week, [line.offer_id for line in lines.values()])
    changes = {}
    for line_id in sorted(quantities):
        line, new = lines[line_id], quantities[line_id]
        if new == line.quantity:
            continue
        if new < 0 or new > MAX_QUANTITY:
            raise OrderError(_("Quantité invalide pour « %(name)s ».", name=line.product_name))
        offer = offers[line.offer_id]
        if new > 0:
            check_quantity(offer, new)
        if new > line.quantity and not reserve_stock(offer.id, new - line.quantity):
            raise OrderError(
                _(
                    "Il ne reste pas assez de « %(name)s » (encore %(left)d disponibles).",
                    name=line.product_name,
                    left=offer.remaining or 0,
                )
            )
        if new < line.quantity:
            release_stock(offer.id, line.quantity - new)
        changes[line.product_name] = [line.quantity, new]
        if new == 0:
            order.lines.remove(line)
        else:
            line.quantity = line.quantity_ordered = new
    if not changes:
        return ""
    _check_payment_allows(order, gross_before)
    _check_card_allows(order)
    bump_week_version(order.week_id)
    db.session.flush()
    if _change_mailed_recently(order):
        record(order, actor, "changed_by_customer", lines=changes, mail_skipped=True)
        return "not_mailed"
    record(order, actor, "changed_by_customer", lines=changes)
    mail_customer(order, "order_changed")
    return "mailed"


def order_change_mail_minutes():
    return current_app.config["ORDER_CHANGE_MAIL_MINUTES"]


def _change_mailed_recently(order):
    """Did a customer's change of this order send a mail less than the window ago?

    Anyone holding the order's link could otherwise have the shop mail its address again and
    again. The order's row is locked (lock_order): two changes cannot both decide to mail.
    """
    since = utcnow() - timedelta(minutes=order_change_mail_minutes())
    recent = db.session.scalars(
        select(OrderEvent.details).where(
            OrderEvent.order_id == order.id,
            OrderEvent.action == "changed_by_customer",
            OrderEvent.at > since,
        )
    ).all()
    return any(not (details or {}).get("mail_skipped") for details in recent)


def _check_payment_allows(order, gross_before):
    """A customer's change may not raise an order above what its payment method allows them.

    The cap on unpaid orders (payment_problem) would mean nothing if a small pay-on-pick-up
    order could then be raised from its page. Lowering is always allowed. Raised before the
    commit: the view rolls back, nothing changes.
    """
    new_gross = order_totals(order).gross_cents
    if new_gross <= gross_before:
        return
    problem = payment_problem(order.customer, order.payment_method, new_gross)
    if not problem:
        return
    amounts = {"cap": format_cents(unpaid_order_cap_cents()), "total": format_cents(new_gross)}
    if order.payment_method == "on_pickup" and order.customer is None:
        problem = _(
            "Votre commande n'est pas modifiée : sans compte, une commande payée au retrait "
            "peut aller jusqu'à %(cap)s et ces quantités la porteraient à %(total)s. Pour "
            "davantage, passez une nouvelle commande payée par carte bancaire.",
            **amounts,
        )
    elif order.payment_method == "on_pickup":
        problem = _(
            "Votre commande n'est pas modifiée : tant que votre adresse e-mail n'est pas "
            "vérifiée, une commande payée au retrait peut aller jusqu'à %(cap)s et ces quantités "
            "la porteraient à %(total)s. Vérifiez votre adresse (suivez le lien que nous vous "
            "avons envoyé), ou passez une nouvelle commande payée par carte bancaire.",
            **amounts,
        )
    raise PaymentRefused(problem)


def _check_card_allows(order):
    """A customer's change may not cost more than what the card holds."""
    card = order.card
    if card is None or card.status not in ("authorised", "captured"):
        return
    limit = (card.amount_authorised_cents or 0) if card.status == "authorised" else card_net(card)
    db.session.flush()
    db.session.expire(order, ["lines"])
    if order_totals(order).gross_cents > limit:
        raise OrderError(
            _(
                "Votre carte est autorisée pour %(amount)s : pour commander davantage, "
                "passez une nouvelle commande.",
                amount=format_cents(limit),
            )
        )


def may_refund_card(order):
    """Would cancelling or lowering this order give money back to a card (a refund)?

    Only once the card is captured: before that, the authorisation is released or captured
    for less, and nothing goes back. Staff views ask for a recent login when it would.
    """
    return order.card is not None and order.card.status == "captured"


def _settle_card_later(order):
    """The card must follow the order's new amount (payments/card.py makes the Stripe call)."""
    if order.card is not None and order.card.status in ("authorised", "captured"):
        order.card.settle_due = True


def cancel_order(order, actor=None, reason=""):
    """Cancel an open order: stock and slot go back on sale."""
    if not order.is_open or not lock_order(order, OPEN_STATUSES):
        raise OrderError(_("Cette commande ne peut plus être annulée."))
    release_order(order)
    _mark_cancelled(order, actor, reason)


def _mark_cancelled(order, actor, reason, **details):
    order.status = "cancelled"
    order.cancelled_at = utcnow()
    order.cancel_reason = (reason or "").strip()
    _settle_card_later(order)
    db.session.flush()
    credit_note = credit_note_for_change(order, actor)
    record(
        order, actor, "cancelled", reason=order.cancel_reason, **details, **_document(credit_note)
    )
    mail_customer(order, "order_cancelled")
    if order.customer_kind == "amap":  # an AMAP's group order: its members are told too
        from ..groups.bags import group_order_cancelled

        group_order_cancelled(order)


def orders_to_cancel(order_ids):
    """The open orders behind these ids, with what they hold; OrderError if any is not one.

    Checked before anything changes, so a bad selection leaves every order as it was.
    """
    if not order_ids:
        raise OrderError(_("Cochez au moins une commande."))
    orders = db.session.scalars(
        select(Order)
        .options(
            selectinload(Order.lines),
            selectinload(Order.card),
            selectinload(Order.slot).selectinload(PickupSlot.point),
        )
        .where(Order.id.in_(order_ids))
        .order_by(Order.id)
    ).all()
    if len(orders) != len(set(order_ids)):
        raise OrderError(
            _(
                "Certaines commandes cochées n'existent pas : rien n'a été annulé. Rechargez la liste."
            )
        )
    if closed := [order.number for order in orders if not order.is_open]:
        raise OrderError(
            _(
                "Déjà annulées ou terminées : %(numbers)s. Rien n'a été annulé ; "
                "décochez-les et recommencez.",
                numbers=", ".join(closed),
            )
        )
    return orders


@dataclass(frozen=True)
class Release:
    """What cancelling a set of orders puts back on sale (the confirmation page)."""

    stock: list  # (product name, unit label, quantity), by name
    places: list  # (slot, number of places), by slot day and time


def release_of(orders):
    stock, places, slots = {}, {}, {}
    for order in orders:
        for line in order.lines:
            key = (line.product_name, line.unit_label)
            stock[key] = stock.get(key, 0) + line.quantity
        if order.slot is not None:
            places[order.slot.id] = places.get(order.slot.id, 0) + 1
            slots[order.slot.id] = order.slot
    return Release(
        stock=[(name, unit, quantity) for (name, unit), quantity in sorted(stock.items())],
        places=[
            (slots[slot_id], count)
            for slot_id, count in sorted(
                places.items(), key=lambda item: (slots[item[0]].day, slots[item[0]].starts_at)
            )
        ],
    )


def cancel_orders(order_ids, actor, reason):
    """Cancel several open orders with one reason: all or none; returns their numbers.

    Rows are taken weeks, orders, offers, then slots, each in id order (rule 9), and stock and
    places come back at once whatever the number of orders; each order is logged and its
    customer mailed.
    """
    reason = (reason or "").strip()
    if not reason:
        raise OrderError(_("Indiquez le motif de l'annulation."))
    orders = orders_to_cancel(order_ids)
    lock_weeks(order.week_id for order in orders)
    for order in orders:
        if not lock_order(order, OPEN_STATUSES):  # moved on since it was read
            raise OrderError(
                _(
                    "La commande %(number)s vient de changer : rien n'a été annulé.",
                    number=order.number,
                )
            )
    stock, places = {}, {}
    for order in orders:
        for line in order.lines:
            stock[line.offer_id] = stock.get(line.offer_id, 0) + line.quantity
        if order.slot_id:
            places[order.slot_id] = places.get(order.slot_id, 0) + 1
    for offer_id in sorted(stock):
        release_stock(offer_id, stock[offer_id])
    for slot_id in sorted(places):
        release_places(slot_id, places[slot_id])
    for week_id in sorted({order.week_id for order in orders}):
        bump_week_version(week_id)
    for order in orders:
        _mark_cancelled(order, actor, reason, together=len(orders))
    return [order.number for order in orders]


def confirm_order(order, actor):
    """Staff checked availability: the final lines and amount are known."""
    if order.status != "placed" or not lock_order(order, ("placed",)):
        raise OrderError(
            _("La commande %(number)s n'est pas en attente de confirmation.", number=order.number)
        )
    order.status = "confirmed"
    order.confirmed_at = utcnow()
    _settle_card_later(order)
    db.session.flush()
    invoice = issue_invoice(order)  # every professional sale, and an individual who asked
    record(
        order,
        actor,
        "confirmed",
        total_cents=order_totals(order).gross_cents,
        **_document(invoice),
    )
    mail_customer(order, "order_confirmed", invoice=invoice)


def lower_quantities(order, quantities, actor):
    """Staff lower lines (a crop failed); units go back on sale. True if something changed."""
    if order.status not in ("placed", "confirmed") or not lock_order(
        order, ("placed", "confirmed")
    ):
        raise OrderError(_("Les quantités de cette commande ne peuvent plus changer."))
    lines = {line.id: line for line in order.lines}
    if set(quantities) - set(lines):
        raise OrderError(_("Ligne de commande inconnue."))
    changes, line_changes = {}, {}
    for line_id in sorted(quantities):
        line, new = lines[line_id], quantities[line_id]
        if new == line.quantity:
            continue
        if new < 0 or new > line.quantity:
            raise OrderError(
                _(
                    "« %(name)s » : la quantité peut seulement baisser (de %(current)d à 0).",
                    name=line.product_name,
                    current=line.quantity,
                )
            )
        release_stock(line.offer_id, line.quantity - new)
        changes[line.product_name] = [line.quantity, new]
        line_changes[line.id] = (line.quantity, new)
        line.quantity = new
    if not changes:
        return False
    if order.status == "confirmed":
        _settle_card_later(order)
    bump_week_version(order.week_id)
    db.session.flush()
    credit_note = credit_note_for_change(order, actor)
    record(order, actor, "lowered_by_staff", lines=changes, **_document(credit_note))
    if is_group_order(order):  # off the members' bags; they and the coordinator are told
        from ..groups.bags import spread_lowering

        spread_lowering(order, line_changes, actor)
    else:
        mail_customer(order, "order_changed")
    return True


# --- Audit log and mails -------------------------------------------------------------------------


def _document(invoice):
    """The invoice or credit note issued by a move, for its line in the audit log."""
    return {"document": invoice.number} if invoice is not None else {}


# --- Staff views ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderFilters:
    status: str = ""
    point_id: int | None = None
    slot_id: int | None = None
    kind: str = ""
    payment_method: str = ""
    search: str = ""
    # Siblings of one order (a burst of orders to look at, or to cancel together).
    email: str | None = None
    ip_hash: str | None = None
    created_near: datetime | None = None


SAME_HOUR = timedelta(hours=1)
SIBLING_KINDS = ("email", "connexion", "heure")


def sibling_filters(reference, same):
    """OrderFilters fields for the orders like `reference`: same email, connection or hour."""
    if same == "email":
        return {"email": reference.email}
    if same == "connexion":  # phone orders have no address hash: they have no such siblings
        return {"ip_hash": reference.ip_hash or ""}
    if same == "heure":
        return {"created_near": reference.created_at}
    return {}


def staff_orders(week, filters=OrderFilters()):
    """A week's orders for the staff table, filtered, with lines and slot, in two queries."""
    query = (
        select(Order)
        .outerjoin(Order.slot)
        .options(selectinload(Order.lines), contains_eager(Order.slot).joinedload(PickupSlot.point))
        .where(Order.week_id == week.id)
        .order_by(Order.created_at)
    )
    if filters.status:
        query = query.where(Order.status == filters.status)
    if filters.point_id:
        query = query.where(PickupSlot.point_id == filters.point_id)
    if filters.slot_id:
        query = query.where(Order.slot_id == filters.slot_id)
    if filters.kind:
        query = query.where(Order.customer_kind == filters.kind)
    if filters.payment_method:
        query = query.where(Order.payment_method == filters.payment_method)
    if filters.email is not None:  # the same mailbox, as the per-email order limit counts it
        query = query.where(same_mailbox(filters.email))
    if filters.ip_hash is not None:
        query = query.where(Order.ip_hash == filters.ip_hash)
    if filters.created_near is not None:
        query = query.where(
            Order.created_at.between(
                filters.created_near - SAME_HOUR, filters.created_near + SAME_HOUR
            )
        )
    if filters.search:
        term = filters.search.strip()
        query = query.where(
            or_(
                Order.number.icontains(term, autoescape=True),
                Order.contact_name.icontains(term, autoescape=True),
                Order.email.icontains(term, autoescape=True),
            )
        )
    return db.session.scalars(query).unique().all()


def order_for_staff(order_id):
    return db.session.scalar(
        select(Order)
        .options(*ORDER_PAGE_LOADS, selectinload(Order.customer), selectinload(Order.entered_by))
        .where(Order.id == order_id)
    )


def confirm_orders(order_ids, actor):
    """Confirm several placed orders at once; returns (confirmed numbers, skipped numbers)."""
    orders = db.session.scalars(
        select(Order).options(selectinload(Order.lines)).where(Order.id.in_(order_ids))
    ).all()
    lock_weeks(order.week_id for order in orders)  # then the orders, by id (rule 9)
    confirmed, skipped = [], []
    for order in sorted(orders, key=lambda o: o.id):
        if order.status == "placed":
            confirm_order(order, actor)
            confirmed.append(order.number)
        else:
            skipped.append(order.number)
    return sorted(confirmed), sorted(skipped)


def orders_with_card_due(order_ids):
    """Among these orders, those whose card still owes Stripe a call."""
    return db.session.scalars(
        select(Order)
        .join(Order.card)
        .where(Order.id.in_(order_ids), CardPayment.settle_due.is_(True))
        .order_by(Order.id)
    ).all()


def week_offers_for_staff(week):
    """Every offered product of a week, for the phone order form."""
    return db.session.scalars(
        select(Offer)
        .join(Offer.product)
        .options(contains_eager(Offer.product))
        .where(Offer.week_id == week.id, Offer.offered.is_(True))
        .order_by(Offer.product_id)
    ).all()
