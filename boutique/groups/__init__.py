"""AMAP group orders: a coordinator opens one, members order on its link without an account."""

from flask import Blueprint

bp = Blueprint("groups", __name__)

from . import routes  # noqa: E402,F401  (registers the views)
