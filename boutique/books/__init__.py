"""The books: the sales journal, the VAT report, the FEC export, the gate's cash journal."""

from flask import Blueprint

bp = Blueprint("books", __name__)

from . import routes  # noqa: E402,F401
