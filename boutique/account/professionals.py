"""Professional accounts (restaurants, AMAPs): the admins' decisions, their history and mails.

A professional account is pending until an admin approves or refuses it. An approved account
sees professional prices and may pay by invoice; an admin may revoke that (the account is
then refused again, back to individual prices) and approve a refused account later. Each
decision is one guarded UPDATE on the status the admin saw: two admins clicking at once, or
one clicking twice, make one decision, one line of history and one mail.
"""

from dataclasses import dataclass
from email.utils import parseaddr

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update

from ..extensions import db
from ..formatting import format_when
from ..links import public_url
from ..models import PRO_KINDS, AccountEvent, User, utcnow
from ..outbox import queue_email

STATUSES = ("pending", "approved", "refused")
REASON_MAX = 500

STATUS_LABELS = {
    "pending": _l("en attente"),
    "approved": _l("validé"),
    "refused": _l("refusé"),
}

# What each history line says, by its action.
ACTION_LABELS = {
    "approved": _l("Compte validé"),
    "reapproved": _l("Compte validé à nouveau"),
    "refused": _l("Demande refusée"),
    "revoked": _l("Validation retirée"),
}


@dataclass(frozen=True)
class Decision:
    applies_to: tuple  # the statuses it may be taken on
    becomes: str
    action: str  # its line in the history
    template: str  # the customer's mail


# A revoked account is refused again: it is listed with the refused ones, its history tells.
DECISIONS = {
    "approve": Decision(("pending", "refused"), "approved", "approved", "pro_approved"),
    "refuse": Decision(("pending",), "refused", "refused", "pro_refused"),
    "revoke": Decision(("approved",), "refused", "revoked", "pro_revoked"),
}

# Called in the customer's language when the outbox renders the mail.
MAIL_SUBJECTS = {
    "pro_approved": lambda shop: _l(
        "Votre compte professionnel sur %(shop)s est validé", shop=shop
    ),
    "pro_refused": lambda shop: _l("Votre demande de compte professionnel sur %(shop)s", shop=shop),
    "pro_revoked": lambda shop: _l(
        "Votre compte sur %(shop)s n'a plus les conditions professionnelles", shop=shop
    ),
}


class DecisionRefused(ValueError):
    """The decision does not apply (any more); nothing changed. The message is for the admin."""


def _professionals(search=""):
    """Conditions picking the professional accounts, those matching the search if any."""
    conditions = [User.role == "customer", User.kind.in_(PRO_KINDS)]
    term = (search or "").strip()
    if term:
        conditions.append(
            or_(
                User.organisation.icontains(term, autoescape=True),
                User.email.icontains(term, autoescape=True),
                User.siret.contains(term.replace(" ", ""), autoescape=True),
                User.last_name.icontains(term, autoescape=True),
                User.city.icontains(term, autoescape=True),
            )
        )
    return conditions


def professional_accounts(status, search=""):
    """The professional accounts with this status: oldest request first while pending, else the
    latest decision first."""
    query = select(User).where(*_professionals(search), User.pro_status == status)
    if status == "pending":
        query = query.order_by(User.created_at, User.id)
    else:
        query = query.order_by(User.reviewed_at.desc(), User.id.desc())
    return db.session.scalars(query).all()


def status_counts(search=""):
    """How many professional accounts each status has (among those matching the search)."""
    rows = db.session.execute(
        select(User.pro_status, func.count())
        .where(*_professionals(search))
        .group_by(User.pro_status)
    ).all()
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({status: count for status, count in rows if status in counts})
    return counts


def histories(users):
    """Each account's history, oldest line first, in one query: {user id: [AccountEvent]}."""
    ids = [user.id for user in users]
    found = {user_id: [] for user_id in ids}
    if ids:
        events = db.session.scalars(
            select(AccountEvent)
            .where(AccountEvent.user_id.in_(ids))
            .order_by(AccountEvent.at, AccountEvent.id)
        )
        for event in events:
            found[event.user_id].append(event)
    return found


def professional_account(user_id):
    """The professional account with this id, or DecisionRefused saying why there is none."""
    user = db.session.get(User, user_id, populate_existing=True)
    if user is None or user.role != "customer":
        raise DecisionRefused(_("Ce compte client n'existe pas (ou plus). Rien n'a changé."))
    if not user.is_professional:
        raise DecisionRefused(
            _(
                "Le compte %(email)s est celui d'un particulier : il n'a pas de validation "
                "professionnelle. Rien n'a changé.",
                email=user.email,
            )
        )
    return user


def check_applies(user, decision):
    """DecisionRefused unless the decision may be taken on the account as it is now."""
    if user.pro_status not in DECISIONS[decision].applies_to:
        raise DecisionRefused(_moved_on(user))


def decide(user_id, decision, seen_status, by, reason=""):
    """Take an admin's decision on the account, if it still has the status the admin saw.

    The status moves in one guarded UPDATE; the history gets its line and the customer a
    mail in their language. DecisionRefused, with nothing changed, when the decision does not
    apply (unknown account, an individual's, a status that moved on meanwhile).
    """
    rule = DECISIONS.get(decision)
    if rule is None or seen_status not in rule.applies_to:
        raise DecisionRefused(
            _("Cette décision ne s'applique pas à un compte dans cet état. Rien n'a changé.")
        )
    reason = (reason or "").strip()
    if decision == "revoke" and not reason:
        raise DecisionRefused(_("Indiquez le motif du retrait : il est envoyé au client."))
    if len(reason) > REASON_MAX:
        raise DecisionRefused(_("Le motif dépasse %(max)d caractères.", max=REASON_MAX))
    user = db.session.scalars(
        update(User)
        .where(
            User.id == user_id,
            User.role == "customer",
            User.kind.in_(PRO_KINDS),
            User.pro_status == seen_status,
        )
        .values(pro_status=rule.becomes, reviewed_at=utcnow())
        .returning(User),
        execution_options={"populate_existing": True},
    ).one_or_none()
    if user is None:
        # Nothing was written: say why, as the account is now.
        raise DecisionRefused(_moved_on(professional_account(user_id)))
    action = "reapproved" if rule.action == "approved" and seen_status == "refused" else rule.action
    details = {"from": seen_status}
    if reason:
        details["reason"] = reason
    db.session.add(
        AccountEvent(
            user_id=user.id,
            at=user.reviewed_at,
            actor_id=by.id,
            actor_label=f"équipe {by.email}",
            action=action,
            details=details,
        )
    )
    _mail(user, rule.template, reason)
    db.session.flush()
    return user


def _mail(user, template, reason):
    shop = current_app.config["SHOP_NAME"]
    queue_email(
        user.email,
        MAIL_SUBJECTS[template](shop),
        template,
        locale=user.locale or "fr",
        user=user,
        reason=reason,
        invoice_payment=current_app.config["INVOICE_PAYMENT"],
        invoice_days=current_app.config["INVOICE_DUE_DAYS"],
        contact_email=shop_contact_address(),
        contact_phone=current_app.config["SHOP_PHONE"],
        shop_link=public_url("shop.home"),
        account_link=public_url("account.profile"),
    )


def shop_contact_address():
    """The address customers write to: the shop's sender address (MAIL_DEFAULT_SENDER)."""
    return parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]


def last_decision(user, history):
    """The account's latest decision as (event or None, when): from its history, else the
    review date alone (accounts decided before the history was kept)."""
    if history:
        return history[-1], history[-1].at
    return None, user.reviewed_at


def _moved_on(user):
    """The message for a decision taken on a status the account no longer has."""
    event = db.session.scalar(
        select(AccountEvent)
        .where(AccountEvent.user_id == user.id)
        .order_by(AccountEvent.at.desc(), AccountEvent.id.desc())
        .limit(1)
    )
    status = STATUS_LABELS.get(user.pro_status, user.pro_status or "—")
    if event is not None:
        return _(
            "Décision non appliquée : le compte « %(name)s » est maintenant %(status)s "
            "(%(action)s le %(when)s par %(who)s). Rien n'a changé.",
            name=user.display_name,
            status=status,
            action=str(ACTION_LABELS.get(event.action, event.action)).lower(),
            when=format_when(event.at),
            who=event.actor_label,
        )
    return _(
        "Décision non appliquée : le compte « %(name)s » est maintenant %(status)s. "
        "Rien n'a changé.",
        name=user.display_name,
        status=status,
    )
