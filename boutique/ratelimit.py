"""Who a request comes from, for rate limits and for grouping orders.

IPv6 hands each household a whole /64: keying on the full address would give one visitor
billions of keys, so IPv6 addresses are keyed on their /64 network.
"""

import hashlib
import hmac
import ipaddress

from flask import current_app, request


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
