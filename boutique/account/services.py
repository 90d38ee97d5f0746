"""Customer accounts: registration, profile, password reset (approvals: professionals.py)."""

import hashlib
import re

from flask import current_app
from flask_babel import lazy_gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, or_, select

from ..extensions import db
from ..links import public_url
from ..models import PRO_KINDS, User, utcnow
from ..outbox import queue_email
from ..passwords import hash_password, needs_rehash, waste_a_check
from . import throttle

RESET_SALT = "password-reset"
VERIFY_SALT = "email-verification"


def normalise_email(email):
    return (email or "").strip().lower()


def find_user_by_email(email):
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


SEARCH_LIMIT = 10


def search_customers(term, limit=SEARCH_LIMIT):
    """Customer accounts whose name, organisation, email or phone holds `term` (staff taking a
    phone order). Phone numbers match on their digits, whatever the spaces and dots."""
    term = " ".join((term or "").split())[:80]
    if len(term) < 2:
        return []
    conditions = [
        User.email.icontains(term, autoescape=True),
        User.organisation.icontains(term, autoescape=True),
        (User.first_name + " " + User.last_name).icontains(term, autoescape=True),
        (User.last_name + " " + User.first_name).icontains(term, autoescape=True),
    ]
    digits = "".join(char for char in term if char.isdigit())
    if digits.startswith("33") and len(digits) == 11:  # +33 6 12 34 56 78
        digits = digits[2:]
    if len(digits) >= 4:
        phone = User.phone
        for separator in (" ", ".", "-", "(", ")", "+"):
            phone = func.replace(phone, separator, "")
        conditions.append(phone.contains(digits.lstrip("0") or digits, autoescape=True))
    return db.session.scalars(
        select(User)
        .where(User.role == "customer", or_(*conditions))
        .order_by(User.organisation, User.last_name, User.first_name, User.id)
        .limit(limit)
    ).all()


def _luhn_ok(digits):
    total = 0
    for index, char in enumerate(reversed(digits)):
        digit = int(char) * (2 if index % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


def siret_is_valid(siret):
    """Check 14 digits and the Luhn key (La Poste's offices: digit sum divisible by 5).
    Only ASCII digits: '²' and '٣' are digits to str.isdigit, not to int()."""
    if not re.fullmatch(r"[0-9]{14}", siret or ""):
        return False
    if siret.startswith("356000000"):
        return _luhn_ok(siret) or sum(int(d) for d in siret) % 5 == 0
    return _luhn_ok(siret)


class AccountLocked(Exception):
    """Too many password attempts on this account: wait, or reset the password."""


def attempt_password(email, password):
    """Check a password typed for this address (login, confirmation, profile).

    Counts the attempt against the account first (AccountLocked when over the limit), then
    returns the active account when the password matches, else None; a success clears the
    count. The only way a password is checked for a person, so every path is throttled.
    """
    email = normalise_email(email)
    if not throttle.count_attempt(email):
        raise AccountLocked(email)
    user = authenticate(email, password)
    if user is not None:
        throttle.clear(email)
    return user


def authenticate(email, password):
    """The active account with this email and password, else None (same time either way).

    A hash made with an older scheme or weaker parameters is replaced on the way.
    """
    user = find_user_by_email(email)
    if user is None:
        waste_a_check(password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.set_password(password)
        db.session.flush()
    return user


def register_customer(*, email, password, kind, locale="fr", **details):
    """Create a customer account; professionals start pending approval."""
    user = User(email=normalise_email(email), role="customer", kind=kind, locale=locale, **details)
    user.set_password(password)
    user.pro_status = "pending" if kind in PRO_KINDS else None
    db.session.add(user)
    db.session.flush()
    return user


def request_registration(*, email, password, kind, locale="fr", **details):
    """Register a new address, or tell the owner of a known one; the answer is the same.

    A new account gets a link to verify its address; the owner of an existing account gets a
    mail saying someone tried to register with it. Both cost one password hash, so the time
    taken does not tell them apart either. Returns the new account or None.
    """
    existing = find_user_by_email(email)
    if existing is not None:
        hash_password(password)  # as long as creating the account would take
        queue_email(
            existing.email,
            _("Votre compte %(shop)s existe déjà", shop=current_app.config["SHOP_NAME"]),
            "account_exists",
            locale=existing.locale,
            user=existing,
            login_link=public_url("account.login"),
            reset_link=public_url("account.forgot_password"),
        )
        return None
    user = register_customer(email=email, password=password, kind=kind, locale=locale, **details)
    send_verification(user)
    return user


def send_verification(user):
    """Queue the mail whose link proves the account's owner reads this address."""
    token = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=VERIFY_SALT).dumps(
        {"id": user.id, "email": user.email}
    )
    queue_email(
        user.email,
        _("Confirmez votre adresse e-mail"),
        "verify_email",
        locale=user.locale,
        user=user,
        link=public_url("account.verify_email", token=token),
        days=current_app.config["EMAIL_VERIFY_MAX_AGE"] // 86400,
    )


def verify_email(token):
    """Mark the account a valid verification link names as verified; return it, else None."""
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=VERIFY_SALT)
    try:
        data = serializer.loads(token, max_age=current_app.config["EMAIL_VERIFY_MAX_AGE"])
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("id"), int):
        return None
    user = db.session.get(User, data["id"])
    if user is None or not user.active or user.email != data.get("email"):
        return None
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        db.session.flush()
    return user


def change_password(user, password):
    """Set a new password and end every session of the account (the caller logs this one in)."""
    user.set_password(password)
    user.end_sessions()
    db.session.flush()


def reset_password(user, password):
    """Set the password chosen through the mailed link: the address is proven, sessions end."""
    change_password(user, password)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    throttle.clear(user.email)
    db.session.flush()


def send_reset_link(email):
    """Queue a reset link for the account of this address, if there is one."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        return
    queue_email(
        user.email,
        _("Réinitialiser votre mot de passe"),
        "password_reset",
        locale=user.locale,
        user=user,
        link=public_url("account.reset_password", token=make_reset_token(user)),
        minutes=current_app.config["PASSWORD_RESET_MAX_AGE"] // 60,
    )


PROFILE_FIELDS = ("first_name", "last_name", "phone", "address", "postcode", "city", "locale")


def update_profile(user, data):
    """Save the profile form's fields; organisation only for professionals."""
    for name in PROFILE_FIELDS:
        setattr(user, name, (data.get(name) or "").strip())
    if user.is_professional:
        user.organisation = (data.get("organisation") or "").strip()
    if data.get("new_password"):
        change_password(user, data["new_password"])
    db.session.flush()


def create_staff(email, password, role="staff"):
    """Create a staff account, or update the role and password of an existing one."""
    user = find_user_by_email(email)
    if user is None:
        user = User(email=normalise_email(email), kind=None)
        db.session.add(user)
    user.role = role
    user.set_password(password)
    db.session.flush()
    return user


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESET_SALT)


def _password_fingerprint(user):
    # The token dies as soon as the password changes: that makes it single-use.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def make_reset_token(user, welcome=False):
    """A single-use link's token; a welcome one (new team account) lives longer than a reset."""
    data = {"id": user.id, "pw": _password_fingerprint(user)}
    if welcome:
        data["welcome"] = True
    return _serializer().dumps(data)


def user_from_reset_token(token):
    """The user a valid, unused, unexpired token belongs to, else None."""
    try:
        data, signed_at = _serializer().loads(token, return_timestamp=True)
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("id"), int):
        return None
    setting = "STAFF_WELCOME_MAX_AGE" if data.get("welcome") else "PASSWORD_RESET_MAX_AGE"
    if (utcnow() - signed_at).total_seconds() > current_app.config[setting]:
        return None
    user = db.session.get(User, data["id"])
    if user is None or not user.active or data.get("pw") != _password_fingerprint(user):
        return None
    return user
