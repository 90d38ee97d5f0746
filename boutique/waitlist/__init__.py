""""Prévenez-moi": a waiting list for products sold out or not offered this week, with one
mail when they are back."""

from flask import Blueprint

bp = Blueprint("waitlist", __name__)

from . import routes  # noqa: E402,F401
