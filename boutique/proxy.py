"""Believe the reverse proxy's X-Forwarded-* headers only when the proxy is the one talking.

Werkzeug's ProxyFix believes whoever sends the headers: gunicorn reached directly (a port left
open, another host on the network) would take a forged X-Forwarded-For as the client's
address, and rate limits keyed on it would mean nothing. Here the headers count only on a
connection from PROXY_ADDRESSES. X-Forwarded-Host is never believed: the shop's links come from
PUBLIC_URL, and the Host that nginx passes is checked against TRUSTED_HOSTS.
"""

import ipaddress

from werkzeug.middleware.proxy_fix import ProxyFix


def _networks(addresses):
    return tuple(ipaddress.ip_network(address.strip(), strict=False) for address in addresses)


class ProxyHeaders:
    """WSGI middleware: ProxyFix (client address and scheme) for connections from the proxy."""

    def __init__(self, app, hops, proxy_addresses):
        self.app = app
        self.fixed = ProxyFix(app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0)
        self.proxies = _networks(proxy_addresses)

    def from_proxy(self, peer):
        try:
            address = ipaddress.ip_address(peer or "")
        except ValueError:
            return False
        if address.version == 6 and address.ipv4_mapped:
            address = address.ipv4_mapped
        return any(address in network for network in self.proxies)

    def __call__(self, environ, start_response):
        if self.from_proxy(environ.get("REMOTE_ADDR")):
            return self.fixed(environ, start_response)
        return self.app(environ, start_response)
