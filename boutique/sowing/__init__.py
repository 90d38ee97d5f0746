"""The sowing plan (staff): crop data, a demand forecast from the sales history, and what to
sow each week so that the forecast is ready on time."""

from flask import Blueprint

bp = Blueprint("sowing", __name__)

from . import routes  # noqa: E402,F401
