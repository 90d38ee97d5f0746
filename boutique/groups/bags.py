"""Members' bags of a group order: their amounts, their mails, and what staff lowering a
product takes from them.

Apart from groups.services so that ordering.services (lower_quantities) can call it without
the two importing each other.
"""

from collections import defaultdict

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..links import public_url
from ..models import GroupMemberLine, GroupOrder
from ..order_log import mail_customer
from ..outbox import queue_email
from ..pricing import compute_totals

# The rule that takes units off members' bags when staff lower a product: said on the pages.
LOWERING_RULE = _l(
    "Si une culture manque, les unités retirées le sont d'abord aux dernières parts "
    "enregistrées ou modifiées."
)


def group_of_order(order):
    return db.session.scalar(select(GroupOrder).where(GroupOrder.order_id == order.id))


def gross_cents(unit_price_cents, vat_rate_bp, quantity=1):
    """What members pay for a quantity, VAT included (the AMAP's prices exclude VAT)."""
    return compute_totals([(unit_price_cents, quantity, vat_rate_bp)], False).gross_cents


def member_totals(member):
    return compute_totals(
        ((line.unit_price_cents, line.quantity, line.vat_rate_bp) for line in member.lines),
        prices_include_vat=False,
    )


def member_url(member):
    return public_url("groups.member_page", token=member.token)


def group_url(group):
    return public_url("groups.join", token=group.token)


# --- When staff lower a product ------------------------------------------------------------------


def spread_lowering(order, changes, actor):
    """Take lowered units off members' bags, latest parts first; tell each member and the
    coordinator. changes: {order line id: (before, after)}."""
    group = group_of_order(order)
    lines = db.session.scalars(
        select(GroupMemberLine)
        .join(GroupMemberLine.member)
        .options(selectinload(GroupMemberLine.member))
        .where(GroupMemberLine.order_line_id.in_(list(changes)))
        .order_by(GroupMemberLine.updated_at.desc(), GroupMemberLine.id.desc())
    ).all()
    by_order_line = defaultdict(list)
    for line in lines:
        by_order_line[line.order_line_id].append(line)
    lowered = defaultdict(list)  # member -> [(name, before, after)]
    for order_line_id in sorted(changes):
        before, after = changes[order_line_id]
        to_take = before - after
        for line in by_order_line[order_line_id]:
            if to_take <= 0:
                break
            take = min(line.quantity, to_take)
            if take:
                lowered[line.member].append(
                    (line.product_name, line.quantity, line.quantity - take)
                )
                line.quantity -= take
                to_take -= take
    db.session.flush()
    for member, member_changes in lowered.items():
        mail_member(member, "group_member_lowered", changes=member_changes)
    mail_customer(
        order,
        "group_lowered",
        group=group,
        lowered=sorted(lowered.items(), key=lambda item: item[0].number),
    )
    return lowered


# --- Mails ---------------------------------------------------------------------------------------


EMPTY_SUBJECT = _l("Commande groupée de la semaine %(week)s : close sans aucune part")


def group_order_cancelled(order):
    """The AMAP's order made from a group order is cancelled: so is the group order, and each
    member with an address is told they owe nothing."""
    group = group_of_order(order)
    if group is None or group.status == "cancelled":
        return None
    group.status = "cancelled"
    db.session.flush()
    for member in group.active_members:
        mail_member(member, "group_cancelled", reason=order.cancel_reason)
    return group


MEMBER_SUBJECTS = {
    "group_member_joined": _l("Votre part de la commande groupée %(amap)s"),
    "group_member_cancelled": _l("Votre part de la commande groupée %(amap)s est annulée"),
    "group_member_reminder": _l(
        "Commande groupée %(amap)s : dernier jour pour modifier votre part"
    ),
    "group_member_lowered": _l("Commande groupée %(amap)s : votre part est modifiée"),
    "group_member_changed": _l("Commande groupée %(amap)s : votre AMAP a modifié votre part"),
    "group_cancelled": _l("Commande groupée %(amap)s annulée"),
}


class _Subject:
    """Formats the subject when the outbox renders it, in the recipient's language."""

    def __init__(self, lazy, **values):
        self.lazy, self.values = lazy, values

    def __str__(self):
        return str(self.lazy) % self.values


def mail_member(member, template, **context):
    if not member.email:  # a member who left a phone only: the coordinator tells them
        return None
    group = member.group
    return queue_email(
        member.email,
        _Subject(MEMBER_SUBJECTS[template], amap=group.coordinator.display_name),
        template,
        locale=member.locale,
        member=member,
        group=group,
        totals=member_totals(member),
        link=member_url(member),
        group_link=group_url(group),
        **context,
    )


def mail_coordinator(group, template):
    return queue_email(
        group.coordinator.email,
        _Subject(EMPTY_SUBJECT, week=group.week.iso_week.week),
        template,
        locale=group.coordinator.locale or "fr",
        group=group,
        link=public_url("groups.coordinator_page", group_id=group.id),
    )
