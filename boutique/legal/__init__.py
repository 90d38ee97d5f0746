"""Legal pages (mentions légales, CGV, privacy, accessibility, the workshop's story)."""

from flask import Blueprint

bp = Blueprint("legal", __name__)

from . import routes  # noqa: E402,F401
