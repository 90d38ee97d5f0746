"""Personal data: export everything about a customer, delete an account, purge what is kept too long.

What stays after a deletion or a purge, and why:
- invoices and credit notes are immutable snapshots kept ten years (Code de commerce L123-22)
  with the buyer's legal identity: they are never touched;
- orders and their lines stay (stock, sales figures, the plant passport register: date,
  product, traceability code, quantity), without their contact data; a professional's order
  keeps the organisation's name, which the register needs for professional buyers.
"""

import io
import json
import secrets
import zipfile
from dataclasses import asdict, dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import selectinload

from ..account.professionals import shop_contact_address
from ..extensions import db
from ..models import (
    OPEN_STATUSES,
    AccountEvent,
    GroupMember,
    GroupOrder,
    Order,
    OutboxMessage,
    PickupSlot,
    StandingOrder,
    WaitlistEntry,
    utcnow,
)
from ..outbox import queue_email
from ..payments.invoices import documents_by_order, invoice_pdf, pdf_filename
from ..spreadsheet import csv_text
from ..timezones import shop_today

# The module, not its function: waitlist.services → account → privacy routes → here.
from ..waitlist import services as waitlist

CHANNELS = ("web", "email", "phone", "letter")
# What an anonymised order no longer says of its customer (the name is the caller's: a
# business keeps its own).
ORDER_CONTACT_ERASED = dict(
    email="", phone="", note="", billing_name="", billing_address="", ip_hash=None
)


class DeletionRefused(ValueError):
    """The account cannot be deleted now; `orders` are what holds it (its open orders)."""

    def __init__(self, message, orders=(), groups=()):
        super().__init__(message)
        self.orders = list(orders)
        self.groups = list(groups)


def actor_label(actor, user):
    """How the history names who acted: the customer, or "équipe <email>" for staff."""
    if actor is None or actor.id == user.id:
        return "client"
    return f"équipe {actor.email}"


def _log(user, actor, action, **details):
    db.session.add(
        AccountEvent(
            user_id=user.id,
            actor_id=actor.id if actor is not None else None,
            actor_label=actor_label(actor, user),
            action=action,
            details=details,
        )
    )


# --- Export ------------------------------------------------------------------------------------

ACCOUNT_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "phone",
    "organisation",
    "siret",
    "address",
    "postcode",
    "city",
    "kind",
    "pro_status",
    "locale",
    "terms_version",
    "created_at",
    "email_verified_at",
    "reviewed_at",
)

ORDER_FIELDS = (
    "number",
    "status",
    "customer_kind",
    "contact_name",
    "email",
    "phone",
    "payment_method",
    "prices_include_vat",
    "note",
    "billing_name",
    "billing_address",
    "terms_version",
    "created_at",
    "confirmed_at",
    "collected_at",
    "cancelled_at",
    "cancel_reason",
)

ORDER_CSV_HEADER = (
    "commande",
    "semaine",
    "passée le",
    "statut",
    "paiement",
    "point de retrait",
    "jour de retrait",
    "produit",
    "unité",
    "quantité commandée",
    "quantité",
    "prix unitaire (centimes)",
    "TVA (points de base)",
)


def _plain(value):
    if value is None or isinstance(value, (str, int, float, bool, list, dict)):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _fields(row, names):
    return {name: _plain(getattr(row, name)) for name in names}


def _customer_orders(user):
    return db.session.scalars(
        select(Order)
        .where(Order.customer_id == user.id)
        .options(
            selectinload(Order.lines),
            selectinload(Order.events),
            selectinload(Order.slot).selectinload(PickupSlot.point),
            selectinload(Order.week),
        )
        .order_by(Order.created_at, Order.id)
    ).all()


def _order_json(order, documents):
    data = _fields(order, ORDER_FIELDS)
    data["week"] = order.week.label
    data["pickup"] = (
        {
            "point": order.slot.point.name,
            "day": order.slot.day.isoformat(),
            "from": order.slot.starts_at.isoformat(timespec="minutes"),
            "to": order.slot.ends_at.isoformat(timespec="minutes"),
        }
        if order.slot is not None
        else None
    )
    data["lines"] = [
        {
            "product": line.product_name,
            "unit": line.unit_label,
            "quantity_ordered": line.quantity_ordered,
            "quantity": line.quantity,
            "unit_price_cents": line.unit_price_cents,
            "vat_rate_bp": line.vat_rate_bp,
        }
        for line in order.lines
    ]
    data["history"] = [
        {
            "at": _plain(event.at),
            "by": event.actor_label,
            "action": event.action,
            "details": event.details,
        }
        for event in order.events
    ]
    data["documents"] = [f"factures/{pdf_filename(document)}" for document in documents]
    return data


def _orders_csv(orders):
    rows = []
    for order in orders:
        slot = order.slot
        for line in order.lines:
            rows.append(
                (
                    order.number,
                    order.week.label,
                    order.created_at.date().isoformat(),
                    order.status,
                    order.payment_method,
                    slot.point.name if slot is not None else "",
                    slot.day.isoformat() if slot is not None else "",
                    line.product_name,
                    line.unit_label,
                    line.quantity_ordered,
                    line.quantity,
                    line.unit_price_cents,
                    line.vat_rate_bp,
                )
            )
    return csv_text(ORDER_CSV_HEADER, rows)


def _standing_json(user):
    standing_orders = db.session.scalars(
        select(StandingOrder)
        .where(StandingOrder.customer_id == user.id)
        .options(selectinload(StandingOrder.lines), selectinload(StandingOrder.point))
        .order_by(StandingOrder.id)
    ).all()
    return [
        {
            **_fields(
                standing,
                (
                    "payment_method",
                    "every_weeks",
                    "weekday",
                    "starts_at",
                    "start_monday",
                    "end_monday",
                    "skip_mondays",
                    "paused_until",
                    "ended_at",
                    "note",
                    "created_at",
                ),
            ),
            "point": standing.point.name,
            "lines": [
                {"product": line.product.name, "quantity": line.quantity} for line in standing.lines
            ],
        }
        for standing in standing_orders
    ]


def _groups_json(user):
    groups = db.session.scalars(
        select(GroupOrder)
        .where(GroupOrder.coordinator_id == user.id)
        .options(selectinload(GroupOrder.members).selectinload(GroupMember.lines))
        .order_by(GroupOrder.id)
    ).all()
    # Members are other people: their number, name and what they asked for, as the
    # coordinator's own page shows them; not their address or phone.
    return [
        {
            **_fields(
                group,
                (
                    "status",
                    "payment_method",
                    "delivery_address",
                    "message",
                    "members_deadline",
                    "created_at",
                    "closed_at",
                ),
            ),
            "order": group.order.number if group.order is not None else None,
            "members": [
                {
                    "number": member.number,
                    "name": member.name,
                    "cancelled_at": _plain(member.cancelled_at),
                    "lines": [
                        {"product": line.product_name, "quantity": line.quantity}
                        for line in member.lines
                    ],
                }
                for member in group.members
            ],
        }
        for group in groups
    ]


def _waitlist_json(user):
    entries = db.session.scalars(
        select(WaitlistEntry)
        .where(waitlist.of_customer(user))
        .options(selectinload(WaitlistEntry.product))
        .order_by(WaitlistEntry.id)
    )
    return [
        {
            "product": entry.product.full_name,
            **_fields(
                entry,
                (
                    "email",
                    "quantity",
                    "locale",
                    "created_at",
                    "notified_at",
                    "ended_at",
                    "end_reason",
                ),
            ),
        }
        for entry in entries
    ]


def _history_json(user):
    events = db.session.scalars(
        select(AccountEvent).where(AccountEvent.user_id == user.id).order_by(AccountEvent.id)
    )
    return [
        {
            "at": _plain(event.at),
            "by": event.actor_label,
            "action": event.action,
            "details": event.details,
        }
        for event in events
    ]


def _json(data):
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False)


README = """Vos données chez {shop} — export du {day}

compte.json                  votre compte (coordonnées, type de compte, dates)
commandes.json               vos commandes, leurs lignes et leur historique
commandes.csv                une ligne par produit commandé (tableur)
factures/                    vos factures et avoirs (PDF)
historique.json              l'historique de votre compte
abonnements.json             vos commandes régulières
commandes-groupees.json      les commandes groupées que vous coordonnez
alertes.json                 vos alertes « Prévenez-moi » (produits attendus)

Une question sur vos données : {contact}
"""


def export_archive(user, actor=None, channel="web"):
    """Everything the shop keeps about this customer, as a ZIP (bytes); logged in their history."""
    orders = _customer_orders(user)
    documents = documents_by_order([order.id for order in orders])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "LISEZMOI.txt",
            README.format(
                shop=current_app.config["SHOP_NAME"],
                day=shop_today().isoformat(),
                contact=shop_contact_address(),
            ),
        )
        archive.writestr("compte.json", _json({"id": user.id, **_fields(user, ACCOUNT_FIELDS)}))
        archive.writestr(
            "commandes.json",
            _json([_order_json(order, documents.get(order.id, [])) for order in orders]),
        )
        archive.writestr("commandes.csv", _orders_csv(orders))
        for order in orders:
            for document in documents.get(order.id, []):
                archive.writestr(f"factures/{pdf_filename(document)}", invoice_pdf(document))
        archive.writestr("historique.json", _json(_history_json(user)))
        archive.writestr("abonnements.json", _json(_standing_json(user)))
        archive.writestr("commandes-groupees.json", _json(_groups_json(user)))
        archive.writestr("alertes.json", _json(_waitlist_json(user)))
    _log(user, actor, "privacy_export", channel=channel)
    db.session.flush()
    return buffer.getvalue()


def export_filename(user):
    return f"mes-donnees-{current_app.config['SHOP_NAME'].lower().replace(' ', '-')}-{shop_today():%Y%m%d}.zip"


# --- Deletion ----------------------------------------------------------------------------------


def open_orders(user):
    """The account's orders not yet collected nor cancelled (they hold a deletion)."""
    return db.session.scalars(
        select(Order)
        .where(Order.customer_id == user.id, Order.status.in_(OPEN_STATUSES))
        .order_by(Order.created_at)
    ).all()


def open_groups(user):
    """The group orders this account coordinates that members may still join."""
    return db.session.scalars(
        select(GroupOrder)
        .where(GroupOrder.coordinator_id == user.id, GroupOrder.status == "open")
        .order_by(GroupOrder.id)
    ).all()


def deleted_email(user):
    return f"deleted-{user.id}@invalid"


def delete_account(user, *, actor=None, channel="web", note=""):
    """Erase a customer's personal data and anonymise their orders; refuse while orders are open.

    The confirmation is queued to the address before it is erased. Returns False when the
    account was already deleted (a second click), True when deleted now.
    """
    if user.role != "customer":
        raise DeletionRefused(_("Seuls les comptes clients se suppriment ici."))
    if user.deleted_at is not None:
        return False
    if channel not in CHANNELS:
        raise DeletionRefused(_("Indiquez comment la demande a été faite."))
    orders, groups = open_orders(user), open_groups(user)
    if orders or groups:
        raise DeletionRefused(
            _(
                "Ce compte a des commandes en cours : elles doivent être retirées ou annulées "
                "avant la suppression."
            ),
            orders,
            groups,
        )
    now = utcnow()
    # Mails already sent or waiting carry the address: gone with it.
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.recipient == user.email))
    queue_email(
        user.email,
        _("Votre compte %(shop)s est supprimé", shop=current_app.config["SHOP_NAME"]),
        "account_deleted",
        locale=user.locale,
        user=user,
        by_staff=channel != "web",
        contact_email=shop_contact_address(),
        contact_phone=current_app.config["SHOP_PHONE"],
    )
    db.session.execute(
        update(Order)
        .where(Order.customer_id == user.id)
        .values(
            **ORDER_CONTACT_ERASED,
            contact_name=user.organisation if user.is_professional else "",
            anonymised_at=now,
        )
        .execution_options(synchronize_session="fetch")
    )
    db.session.execute(
        update(StandingOrder)
        .where(StandingOrder.customer_id == user.id, StandingOrder.ended_at.is_(None))
        .values(ended_at=now, updated_at=now, note="")
        .execution_options(synchronize_session="fetch")
    )
    # The waiting list: entries end (no mail) and keep the demand, not the address.
    mine = waitlist.of_customer(user)
    db.session.execute(
        update(WaitlistEntry)
        .where(mine, WaitlistEntry.ended_at.is_(None))
        .values(ended_at=now, end_reason="erased")
        .execution_options(synchronize_session=False)
    )
    _new_tokens(WaitlistEntry, WaitlistEntry.token, mine)  # their links lead nowhere
    db.session.execute(
        update(WaitlistEntry)
        .where(mine)
        .values(email="", ip_hash=None)
        .execution_options(synchronize_session=False)
    )
    user.email = deleted_email(user)
    user.first_name = user.last_name = user.phone = ""
    user.address = user.postcode = user.city = ""
    if not user.is_professional:  # a business's name and SIRET are not a person's data
        user.organisation, user.siret = "", None
    user.password_hash = ""  # nosec B105: an empty hash matches no password (verify_password)
    user.end_sessions()
    user.active = False
    user.deleted_at = now
    details = {"channel": channel}
    if note:
        details["note"] = note
    _log(user, actor, "account_deleted", **details)
    db.session.flush()
    return True


# --- Retention purge ---------------------------------------------------------------------------


def _new_tokens(model, column, where):
    """Draw a new secret for each row: the links mailed with the old one lead nowhere."""
    ids = db.session.scalars(select(model.id).where(where)).all()
    if ids:
        db.session.execute(
            update(model),
            [{"id": row_id, column.key: secrets.token_urlsafe(24)} for row_id in ids],
        )


@dataclass
class PurgeReport:
    guest_orders: int = 0
    order_notes: int = 0
    sent_mails: int = 0
    failed_mails: int = 0
    group_members: int = 0
    waitlist_addresses: int = 0
    waitlist_entries: int = 0

    def lines(self):
        return [
            f"{self.guest_orders} guest orders: contact data erased",
            f"{self.order_notes} orders: note and connection fingerprint erased",
            f"{self.sent_mails} sent mails deleted from the outbox",
            f"{self.failed_mails} undelivered mails (dealt with) deleted from the outbox",
            f"{self.group_members} group order members: contact data erased",
            f"{self.waitlist_addresses} ended waiting-list entries: address erased",
            f"{self.waitlist_entries} ended waiting-list entries deleted",
        ]

    @property
    def total(self):
        return sum(asdict(self).values())


def _picked_up_before(cutoff_day, cutoff_at):
    """Orders whose pick-up day (or, without a slot, their creation) is before the cutoff."""
    pickup_day = select(PickupSlot.day).where(PickupSlot.id == Order.slot_id).scalar_subquery()
    return or_(
        and_(Order.slot_id.is_not(None), pickup_day < cutoff_day),
        and_(Order.slot_id.is_(None), Order.created_at < cutoff_at),
    )


def _apply(model, where, values, dry_run):
    """Count the rows matching `where`, or update (values) / delete (None) them; the count."""
    if dry_run:
        return db.session.scalar(select(func.count()).select_from(model).where(where))
    statement = delete(model) if values is None else update(model).values(**values)
    result = db.session.execute(statement.where(where).execution_options(synchronize_session=False))
    return result.rowcount


def purge(now=None, dry_run=False):
    """Erase what is kept longer than needed (PRIVACY_ORDER_DAYS, PRIVACY_OUTBOX_DAYS); counts."""
    now = now or utcnow()
    config = current_app.config
    order_days = timedelta(days=config["PRIVACY_ORDER_DAYS"])
    cutoff_at = now - order_days
    cutoff_day = shop_today(now) - order_days
    old_order = _picked_up_before(cutoff_day, cutoff_at)
    report = PurgeReport()
    if not dry_run:  # their secret links die with their contact data (expired tokens)
        _new_tokens(
            Order,
            Order.access_token,
            and_(Order.customer_id.is_(None), Order.anonymised_at.is_(None), old_order),
        )
    report.guest_orders = _apply(
        Order,
        and_(Order.customer_id.is_(None), Order.anonymised_at.is_(None), old_order),
        dict(ORDER_CONTACT_ERASED, contact_name="", anonymised_at=now),
        dry_run,
    )
    report.order_notes = _apply(
        Order,
        and_(or_(Order.note != "", Order.ip_hash.is_not(None)), old_order),
        dict(note="", ip_hash=None),
        dry_run,
    )
    if dry_run:  # the guest orders above would have lost their note already
        report.order_notes -= db.session.scalar(
            select(func.count())
            .select_from(Order)
            .where(
                Order.customer_id.is_(None),
                Order.anonymised_at.is_(None),
                old_order,
                or_(Order.note != "", Order.ip_hash.is_not(None)),
            )
        )
    mail_cutoff = now - timedelta(days=config["PRIVACY_OUTBOX_DAYS"])
    report.sent_mails = _apply(
        OutboxMessage,
        and_(OutboxMessage.sent_at.is_not(None), OutboxMessage.sent_at < mail_cutoff),
        None,
        dry_run,
    )
    report.failed_mails = _apply(
        OutboxMessage,
        and_(
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.dismissed_at.is_not(None),
            OutboxMessage.dismissed_at < mail_cutoff,
        ),
        None,
        dry_run,
    )
    old_groups = select(GroupOrder.id).where(
        GroupOrder.status.in_(("closed", "cancelled")),
        func.coalesce(GroupOrder.closed_at, GroupOrder.created_at) < cutoff_at,
    )
    if not dry_run:
        _new_tokens(
            GroupMember,
            GroupMember.token,
            and_(
                GroupMember.group_id.in_(old_groups),
                or_(GroupMember.name != "", GroupMember.email != "", GroupMember.phone != ""),
            ),
        )
    report.group_members = _apply(
        GroupMember,
        and_(
            GroupMember.group_id.in_(old_groups),
            or_(GroupMember.name != "", GroupMember.email != "", GroupMember.phone != ""),
        ),
        dict(name="", email="", phone=""),
        dry_run,
    )
    # An ended alert is demand history (the dashboard, the sowing forecast): its row stays,
    # its address goes with the mail it was for (PRIVACY_OUTBOX_DAYS), and so does its link.
    ended_alert = and_(
        WaitlistEntry.ended_at.is_not(None),
        WaitlistEntry.ended_at < mail_cutoff,
        or_(WaitlistEntry.email != "", WaitlistEntry.ip_hash.is_not(None)),
    )
    if not dry_run:
        _new_tokens(WaitlistEntry, WaitlistEntry.token, ended_alert)
    report.waitlist_addresses = _apply(
        WaitlistEntry, ended_alert, dict(email="", ip_hash=None), dry_run
    )
    report.waitlist_entries = _apply(
        WaitlistEntry,
        and_(WaitlistEntry.ended_at.is_not(None), WaitlistEntry.ended_at < cutoff_at),
        None,
        dry_run,
    )
    if not dry_run:
        db.session.flush()
    return report
