from flask import Blueprint

bp = Blueprint("account", __name__)

from . import privacy_routes, routes  # noqa: E402,F401
