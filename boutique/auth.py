"""Who may see what: the login user loader and the role guards.

Roles: `admin` (everything, including staff accounts, approvals and exports of personal
data), `staff` (weeks, products, orders, documents, handover), `gate` (the handover pages
only, showing no contact details). Customers have the role `customer`.
"""

import time
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, current_app, redirect, request, session, url_for
from flask_login import current_user, login_required

from .extensions import db, login_manager
from .formatting import parse_id
from .models import User

LOGIN_AT = "login_at"


@login_manager.user_loader
def load_user(login_id):
    """The account a session or remember-me cookie names, if that session is still current."""
    parts = (login_id or "").split(":")
    if len(parts) != 3:
        return None  # a cookie made before session versions existed
    user_id, version = parse_id(parts[0]), parse_id(parts[1])
    if user_id is None or version is None:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.session_version != version:
        return None
    return user


def _role_required(allowed):
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not allowed(current_user):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


staff_required = _role_required(lambda user: user.is_staff)
staff_required.__doc__ = "Let staff and admins in; anonymous visitors go to login, others get 403."
admin_required = _role_required(lambda user: user.is_admin)
gate_required = _role_required(lambda user: user.works_at_gate)


def mark_login_recent():
    session[LOGIN_AT] = int(time.time())


def login_is_recent():
    max_age = current_app.config["RECENT_LOGIN_MINUTES"] * 60
    return time.time() - session.get(LOGIN_AT, 0) < max_age


def recent_login_required(view):
    """Sensitive actions (accounts, roles, approvals, exports, refunds) need a recent password."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_user.is_authenticated and not login_is_recent():
            return ask_for_password()
        return view(*args, **kwargs)

    return wrapped


def ask_for_password():
    """Send the user to confirm their password, then back where they were."""
    if request.method == "GET":
        target = request.full_path.rstrip("?")
    else:  # back to the page whose button was pressed, to press it again
        referrer = urlsplit(request.referrer or "")
        target = referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return redirect(url_for("account.confirm_password", next=target or None))
