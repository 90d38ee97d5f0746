"""The order's life (services) and the customer's order pages (routes)."""

from flask import Blueprint

bp = Blueprint("ordering", __name__)

from . import routes  # noqa: E402,F401
