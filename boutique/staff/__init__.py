from flask import Blueprint

bp = Blueprint("staff", __name__)

from . import (  # noqa: E402,F401
    accounts,
    categories,
    customers,
    dashboard,
    documents,
    handover,
    invoices,
    legal_pages,
    mails,
    orders,
    passports,
    pickup,
    professionals,
    routes,
    schedule,
    standing_orders,
)
