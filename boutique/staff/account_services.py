"""Staff accounts, run by admins: create one, change its role, disable or enable it, mail
it a link to choose a password.

A role change or a disabled account ends every session of that account at once. An admin
cannot demote or disable themselves, and the shop always keeps one active admin.
"""

import logging
import secrets

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..account.services import find_user_by_email, make_reset_token, normalise_email
from ..extensions import db
from ..links import public_url
from ..models import User, utcnow
from ..outbox import queue_email

log = logging.getLogger(__name__)

STAFF_ROLES = ("gate", "staff", "admin")
ROLE_LABELS = {
    "gate": _l("Accueil (retraits seulement)"),
    "staff": _l("Équipe"),
    "admin": _l("Administration"),
}


class AccountError(ValueError):
    """The change is refused; the message is for the admin."""


def staff_accounts():
    """Every account of the team, admins first, then by email."""
    order = {role: rank for rank, role in enumerate(reversed(STAFF_ROLES))}
    accounts = db.session.scalars(select(User).where(User.role.in_(STAFF_ROLES))).all()
    return sorted(accounts, key=lambda user: (order[user.role], user.email))


def staff_account(user_id):
    """The team's account with this id, or None (customers are not managed here)."""
    user = db.session.get(User, user_id)
    return user if user is not None and user.role in STAFF_ROLES else None


def create_account(*, email, first_name, last_name, role, by):
    """Create a team account with a password nobody knows; mail it a link to choose one."""
    _check_role(role)
    email = normalise_email(email)
    existing = find_user_by_email(email)
    if existing is not None:
        if existing.role in STAFF_ROLES:
            raise AccountError(
                _("Un compte de l'équipe existe déjà avec l'adresse %(email)s.", email=email)
            )
        raise AccountError(
            _(
                "L'adresse %(email)s est celle d'un compte client : choisissez une autre adresse "
                "pour le compte de l'équipe.",
                email=email,
            )
        )
    user = User(
        email=email,
        role=role,
        kind=None,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
    )
    user.set_password(secrets.token_urlsafe(32))  # unusable: nobody ever sees it
    db.session.add(user)
    _access_changed(user, by, "created", role=role)
    db.session.flush()
    queue_email(
        user.email,
        _l("Votre compte sur la boutique %(shop)s", shop=current_app.config["SHOP_NAME"]),
        "staff_welcome",
        locale=user.locale or "fr",
        user=user,
        role=ROLE_LABELS[role],
        link=public_url("account.reset_password", token=make_reset_token(user, welcome=True)),
        hours=current_app.config["STAFF_WELCOME_MAX_AGE"] // 3600,
    )
    return user


def change_role(user, role, by):
    """Give the account another role; its sessions end (the next page asks it to log in)."""
    _check_role(role)
    if role == user.role:
        return False
    if user.role == "admin":
        _keep_an_admin(
            user,
            by,
            _(
                "Vous ne pouvez pas retirer votre propre rôle d'administrateur : "
                "demandez-le à un autre administrateur."
            ),
        )
    old = user.role
    user.role = role
    user.end_sessions()
    _access_changed(user, by, "role", old=old, role=role)
    db.session.flush()
    return True


def set_active(user, active, by):
    """Disable an account (its sessions end, it cannot log in) or enable it again."""
    if user.active == active:
        return False
    if not active:
        if user.role == "admin":
            _keep_an_admin(
                user,
                by,
                _(
                    "Vous ne pouvez pas désactiver votre propre compte : "
                    "demandez-le à un autre administrateur."
                ),
            )
        user.end_sessions()
    user.active = active
    _access_changed(user, by, "enabled" if active else "disabled")
    db.session.flush()
    return True


def send_password_link(user):
    """Queue the password-reset mail: a link at the shop's public address to choose a password."""
    if not user.active:
        raise AccountError(
            _(
                "Le compte %(email)s est désactivé : réactivez-le avant d'envoyer un lien.",
                email=user.email,
            )
        )
    queue_email(
        user.email,
        _l("Choisir votre mot de passe"),
        "password_reset",
        locale=user.locale or "fr",
        user=user,
        link=public_url("account.reset_password", token=make_reset_token(user)),
        minutes=current_app.config["PASSWORD_RESET_MAX_AGE"] // 60,
    )


def record_cli_change(user, replaced):
    """`flask create-staff` set a role and a password: note it, and end old sessions if any."""
    if replaced:
        user.end_sessions()
    _access_changed(user, None, "cli", role=user.role)
    db.session.flush()


def _check_role(role):
    if role not in STAFF_ROLES:
        raise AccountError(_("Rôle inconnu : choisissez accueil, équipe ou administration."))


def _keep_an_admin(user, by, own_account_message):
    """Refuse to take an admin away from themselves, or the shop's last active admin."""
    if user.id == by.id:
        raise AccountError(own_account_message)
    # Locked, so that two admins demoting each other at once cannot leave none.
    admins = db.session.scalars(
        select(User.id).where(User.role == "admin", User.active.is_(True)).with_for_update()
    ).all()
    if not set(admins) - {user.id}:
        raise AccountError(_("C'est le dernier administrateur actif : nommez-en un autre d'abord."))


def _access_changed(user, by, change, **details):
    user.access_changed_at = utcnow()
    log.info(
        "staff account %s: %s %s by %s",
        user.email,
        change,
        details,
        by.email if by is not None else "command line",
    )
