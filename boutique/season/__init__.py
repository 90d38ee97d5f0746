"""The season at a glance (staff): sales, sell-through, sold-out and left-over products,
no-shows, payment methods and the funders' share, each chart with its table and CSV."""

from flask import Blueprint

bp = Blueprint("season", __name__)

from . import routes  # noqa: E402,F401
