"""Payments: card payments through Stripe (or the demo page), invoices and credit notes."""

from flask import Blueprint

bp = Blueprint("payments", __name__)

from . import routes  # noqa: E402,F401
