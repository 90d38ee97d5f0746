"""Showing and reading money and dates: cents and UTC inside, euros and Paris time outside."""

import re
import unicodedata
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import format_currency, format_date, format_decimal, format_time, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

# A customer's kind, named once: forms, lists, pages and CSV files.
CUSTOMER_KIND_LABELS = {
    "individual": _l("Particulier"),
    "restaurant": _l("Restaurant"),
    "amap": _l("AMAP"),
}


def format_cents(cents):
    if cents is None:
        return ""
    return format_currency(Decimal(cents) / 100, "EUR")


def kind_label(kind):
    """ "Particulier", "Restaurant", "AMAP" in the page's language; an unknown kind as it is."""
    return str(CUSTOMER_KIND_LABELS.get(kind, kind or ""))


def format_vat_rate(basis_points):
    return format_decimal(Decimal(basis_points) / 100) + "\u00a0%"


def parse_count(text, max_digits=6):
    """A whole number typed in a form ('12'), or None; only ASCII digits ('²' is not a number)."""
    text = (text or "").strip()
    return int(text) if re.fullmatch(rf"[0-9]{{1,{max_digits}}}", text) else None


def parse_id(text):
    """A database id from a form or an address, or None."""
    return parse_count(text, max_digits=9)


def parse_euros(text):
    """Turn '2,50', '2.5', '1 234,50 €' or '2' into cents; raise ValueError otherwise.

    Only what people type for an amount: ASCII digits and one decimal mark (Decimal alone
    would take '1e3' as 1 000 €, '1_000', '+5' and digits of other scripts)."""
    cleaned = (text or "").strip().replace("€", "")
    for space in (" ", "\u00a0", "\u202f"):  # the narrow one is format_currency's own
        cleaned = cleaned.replace(space, "")
    if len(cleaned) > 15:
        raise ValueError("too long")
    cleaned = cleaned.replace(",", ".")
    if not cleaned:
        raise ValueError("empty amount")
    if not re.fullmatch(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", cleaned):
        raise ValueError("not an amount")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation as exc:
        raise ValueError("not a number") from exc
    if not amount.is_finite() or abs(amount) > 10**9:
        raise ValueError("not a number")
    cents = (amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    if cents != amount * 100:
        raise ValueError("more than two decimals")
    return int(cents)


# Letters that Unicode does not split into a base letter and an accent.
LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "đ": "d", "ł": "l"})


def slugify(text, max_length=80):
    """A name as it goes in an address: 'Légumes d'été' -> 'legumes-d-ete'.

    Lower-case ASCII letters and digits joined by single dashes; accents removed. Empty when
    the name has no letter or digit that can be written so ('🌱', '***').
    """
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    slug = re.sub(r"[^a-z0-9]+", "-", plain.lower().translate(LIGATURES)).strip("-")
    return slug[:max_length].rstrip("-")


def cents_to_input(cents):
    """Cents as a French decimal, for a form field or a spreadsheet: 250 -> '2,50',
    -150 -> '-1,50'."""
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100},{abs(cents) % 100:02d}"


def format_when(value):
    """'vendredi 27 novembre 2026 à 18:00' in the shop's time zone and the visitor's language."""
    if value is None:
        return ""
    return _(
        "%(date)s à %(time)s", date=format_date(value, "full"), time=format_time(value, "HH:mm")
    )


def format_iso_date(value, fmt="full"):
    return format_date(date.fromisoformat(value), fmt) if value else ""


# The shop's languages and how Babel formats them: English pages use British conventions
# ("Friday, 4 December 2026", 24-hour times), closer to the French ones than American English.
BABEL_LOCALES = {"fr": "fr", "en": "en_GB"}


def babel_locale(language):
    """The Babel locale for one of the shop's languages ("fr", "en"); French otherwise."""
    return BABEL_LOCALES.get(language or "fr", "fr")


def in_locale(item, field):
    """The English text staff gave (`<field>_en`) on English pages, the French one otherwise.

    {{ category|in_locale("name") }}: name_en when the page is in English and it is not empty.
    """
    french = getattr(item, field)
    if get_locale().language == "en":
        return getattr(item, f"{field}_en", "") or french
    return french


def shown_week_label(week):
    """The week's name as the shop shows it: a name left as "Semaine 49" (the default, see
    weeks.services.week_label) speaks the page's language ("Week 49"); any other as typed.

    `week` is the ORM week or the storefront's summary row (no iso_week property there).
    """
    from .models import SalesWeek

    number = SalesWeek.iso_week_of(week.pickup_dates or (), week.closes_at).week
    if week.label == f"Semaine {number}":
        return _("Semaine %(number)d", number=number)
    return week.label


def week_label_with_year(week):
    """The week's name and its year, for pickers and lists that span seasons ("Semaine 18 ·
    2025" beside "Semaine 18 · 2026"); a name that already says its year stays as it is."""
    from .models import SalesWeek

    label = shown_week_label(week)
    year = str(SalesWeek.iso_week_of(week.pickup_dates or (), week.closes_at).year)
    return label if year in label else f"{label} · {year}"
