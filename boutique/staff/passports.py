"""Staff: the register of plant passports issued, on screen (per product) and as CSV."""

from collections import Counter
from datetime import date

from flask import Response, render_template, request
from flask_babel import gettext as _

from ..auth import admin_required, recent_login_required, staff_required
from ..downloads import download
from ..passports import services as passports
from ..timezones import shop_today
from . import bp


def _period(default_year=False):
    """The dates asked for (du, au), or an error message for staff.

    With default_year, a page opened without dates shows this calendar year (fields left
    empty in its form ask for the whole register)."""
    if default_year and "du" not in request.args and "au" not in request.args:
        year = shop_today().year
        return date(year, 1, 1), date(year, 12, 31), None
    period = []
    for name in ("du", "au"):
        text = (request.args.get(name) or "").strip()
        try:
            period.append(date.fromisoformat(text) if text else None)
        except ValueError:
            return None, None, _("Date invalide « %(value)s » (attendu : AAAA-MM-JJ).", value=text)
    start, end = period
    if start and end and end < start:
        return None, None, _("La date de fin est avant la date de début.")
    return start, end, None


@bp.get("/passeports")
@staff_required
def passport_register():
    start, end, error = _period(default_year=True)
    entries = [] if error else passports.register_entries(start, end)
    per_product = Counter()
    for entry in entries:
        per_product[(entry.product, entry.botanical_name, entry.code)] += entry.quantity
    return render_template(
        "staff/passports.html",
        entries=entries,
        per_product=sorted(per_product.items()),
        start=start,
        end=end,
        error=error,
        operator=passports.operator_number(),
        country=passports.country(),
    ), (400 if error else 200)


@bp.get("/passeports/registre.csv")
@admin_required  # buyers' names leave the shop
@recent_login_required
def passport_register_csv():
    start, end, error = _period()
    if error:
        return Response(error, status=400, mimetype="text/plain")
    name = "registre-passeports"
    if start or end:
        name += f"-{start or ''}_{end or ''}"
    return download(passports.register_csv(passports.register_entries(start, end)), f"{name}.csv")
