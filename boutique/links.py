"""Absolute links (mails, .ics, QR codes, payment returns) from the shop's public address.

Never from the request: a forged `Host` or `X-Forwarded-Host` header must not be able to
point a password-reset link at someone else's site (DESIGN rule 11).
"""

from urllib.parse import urlsplit

from flask import current_app, g, request


def public_url(endpoint, **values):
    """The absolute address of an endpoint at PUBLIC_URL, whatever the current request says."""
    parts = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path.rstrip("/") or "/", url_scheme=parts.scheme
    )
    return adapter.build(endpoint, values, force_external=True)


def public_root():
    """PUBLIC_URL with one trailing slash (a base for documents' relative links)."""
    return current_app.config["PUBLIC_URL"].rstrip("/") + "/"


def page_path():
    """This page's own address, for the `next` of its forms (language, add to basket).

    The one the view chose when it set g.page_path (the catalog: its cached page serves every
    address that differs only by ignored parameters, and must not carry one of them), else
    the request's path and query.
    """
    if path := g.get("page_path"):
        return path
    return request.full_path if request.query_string else request.path
