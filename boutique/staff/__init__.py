from flask import Blueprint

bp = Blueprint("staff", __name__)

from . import orders, pickup, routes  # noqa: E402,F401
