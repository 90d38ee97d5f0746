"""How many orders one connection, or one email address, may place (issue 10, part 4).

Only placed orders count: the limits are tested before "Commander" touches stock, and a hit is
deducted after the view has created an order. A basket refused for its stock or its slot
burns nothing. Staff are not limited (phone orders go through their own page anyway).
Since a hit is only deducted once the order exists, requests running at the same moment all
pass the test: a burst may overshoot a limit by up to (workers × threads − 1) orders.
"""

import hashlib
import hmac

from flask import current_app, g, request, session
from flask_login import current_user

from ..extensions import limiter
from ..ordering.services import normalised_email
from ..ratelimit import breach_page


def order_ip_limit():
    return current_app.config["ORDER_RATE_LIMIT"]


def order_email_limit():
    return current_app.config["ORDER_EMAIL_RATE_LIMIT"]


def checkout_email_key():
    """The key of the email limit: a keyed hash of the address given at checkout ('' skips)."""
    # The one-page checkout sends the address with "Commander"; else the one kept from before.
    email = normalised_email(
        request.form.get("email") or (session.get("checkout") or {}).get("email")
    )
    if not email:
        return ""  # no checkout in progress: the view refuses it without placing anything
    key = current_app.config["SECRET_KEY"].encode()
    return "email:" + hmac.new(key, email.encode(), hashlib.sha256).hexdigest()[:32]


def order_was_placed(_response):
    return bool(g.get("order_placed"))


def staff_member():
    return current_user.is_authenticated and current_user.is_staff


def mark_order_placed():
    """Count this request against the order limits (called once an order exists)."""
    g.order_placed = True


def order_limits(view):
    """Both limits on a view that places orders."""
    common = {
        "methods": ["POST"],
        "deduct_when": order_was_placed,
        "exempt_when": staff_member,
    }
    view = limiter.limit(
        order_email_limit,
        key_func=checkout_email_key,
        scope="email",
        on_breach=breach_page("email"),
        **common,
    )(view)
    return limiter.limit(order_ip_limit, scope="ip", on_breach=breach_page("ip"), **common)(view)

