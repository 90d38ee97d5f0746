from flask import Blueprint

bp = Blueprint("basket", __name__)

from . import routes  # noqa: E402,F401
