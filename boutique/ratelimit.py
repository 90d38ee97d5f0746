"""Who a request comes from, for rate limits and for grouping orders.

IPv6 hands each household a whole /64: keying on the full address would give one visitor
billions of keys, so IPv6 addresses are keyed on their /64 network.
"""

import hashlib
import hmac
import ipaddress
import time

from flask import current_app, make_response, render_template, request
from flask_babel import format_timedelta


def network_of(address):
    """'2001:db8:1:2::7' -> '2001:db8:1:2::/64'; IPv4 addresses stay as they are."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return address or "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def client_key():
    """The rate-limit key of the current request: its client's address (IPv6: the /64)."""
    return network_of(request.remote_addr)


def address_hash(address=None):
    """A keyed hash of the client's network, stored on orders instead of the address (GDPR)."""
    network = network_of(address if address is not None else request.remote_addr)
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, network.encode(), hashlib.sha256).hexdigest()[:32]


def breach_page(reason):
    """An on_breach for limiter.limit: the French 429 page saying which limit and when to retry.

    reason: "ip", "email" (orders placed) or "change" (changes sent from an order page).
    """

    def on_breach(request_limit):
        seconds = max(int(request_limit.reset_at - time.time()), 60)
        page = render_template(
            "errors/429.html",
            status=429,
            reason=reason,
            retry_in=format_timedelta(seconds, threshold=1.1, add_direction=False),
            order_token=(request.view_args or {}).get("token"),
        )
        return make_response(page, 429)

    return on_breach
