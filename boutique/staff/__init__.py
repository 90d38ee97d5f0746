from flask import Blueprint

bp = Blueprint("staff", __name__)

from . import documents, handover, invoices, orders, pickup, routes, schedule  # noqa: E402,F401
