"""Standing weekly orders: the customer's pages (routes) and the rules and placing (services)."""

from flask import Blueprint

bp = Blueprint("standing", __name__)

from . import routes  # noqa: E402,F401
