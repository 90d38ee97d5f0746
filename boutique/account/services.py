"""Customer accounts: registration, professional approval, password reset."""

import hashlib

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from ..extensions import db
from ..models import PRO_KINDS, User, utcnow

RESET_SALT = "password-reset"


def normalise_email(email):
    return (email or "").strip().lower()


def find_user_by_email(email):
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def _luhn_ok(digits):
    total = 0
    for index, char in enumerate(reversed(digits)):
        digit = int(char) * (2 if index % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


def siret_is_valid(siret):
    """Check 14 digits and the Luhn key (La Poste's offices: digit sum divisible by 5)."""
    if not siret or len(siret) != 14 or not siret.isdigit():
        return False
    if siret.startswith("356000000"):
        return _luhn_ok(siret) or sum(int(d) for d in siret) % 5 == 0
    return _luhn_ok(siret)


def register_customer(*, email, password, kind, locale="fr", **details):
    """Create a customer account; professionals start pending approval."""
    user = User(email=normalise_email(email), role="customer", kind=kind, locale=locale, **details)
    user.set_password(password)
    user.pro_status = "pending" if kind in PRO_KINDS else None
    db.session.add(user)
    db.session.flush()
    return user


PROFILE_FIELDS = ("first_name", "last_name", "phone", "address", "postcode", "city", "locale")


def update_profile(user, data):
    """Save the profile form's fields; organisation only for professionals."""
    for name in PROFILE_FIELDS:
        setattr(user, name, (data.get(name) or "").strip())
    if user.is_professional:
        user.organisation = (data.get("organisation") or "").strip()
    if data.get("new_password"):
        user.set_password(data["new_password"])
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


def review_professional(user, approve):
    """Approve or refuse a pending restaurant or AMAP account."""
    if not user.is_professional:
        raise ValueError("only professional accounts are reviewed")
    user.pro_status = "approved" if approve else "refused"
    user.reviewed_at = utcnow()
    db.session.flush()


def pending_professionals():
    return db.session.scalars(
        select(User).where(User.pro_status == "pending").order_by(User.created_at)
    ).all()


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESET_SALT)


def _password_fingerprint(user):
    # The token dies as soon as the password changes: that makes it single-use.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def make_reset_token(user):
    return _serializer().dumps({"id": user.id, "pw": _password_fingerprint(user)})


def user_from_reset_token(token):
    """The user a valid, unused, unexpired token belongs to, else None."""
    try:
        data = _serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("id"), int):
        return None
    user = db.session.get(User, data["id"])
    if user is None or data.get("pw") != _password_fingerprint(user):
        return None
    return user
