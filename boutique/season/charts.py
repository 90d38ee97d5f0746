"""The dashboard's charts: SVG drawn on the server by pygal, without JavaScript.

Each chart is served from its own address as an image (`<img>`), its figures in the table under
it. pygal writes a small inline config script even without its JavaScript files: it is taken
out, so the SVG is only shapes, text and its inline style (the response's own CSP allows that
style and nothing else).
"""

import re
import sys

import pygal
from flask_babel import gettext as _
from pygal.style import Style

from .services import KIND_LABELS, KINDS, METHOD_LABELS

# pygal puts a finder for its map plugins on sys.meta_path that only has the old
# find_module: every import that fails anywhere after it (stripe looking for App Engine)
# then raises an ImportWarning. The shop draws no maps: take it out.
sys.meta_path[:] = [
    finder for finder in sys.meta_path if type(finder).__name__ != "PluginImportFixer"
]

WIDTH, HEIGHT = 960, 420
# A phone's chart: drawn narrower, so that its text stays readable once scaled to 360 px.
NARROW_WIDTH, NARROW_HEIGHT = 480, 420
TOP_PRODUCTS = 15
# A phone's bar names are cut to this many characters (whole in the table).
NARROW_NAME = 18
# The shop's green, terracotta and blue, then two more: each 4.5:1 or more on white.
COLOURS = ("#2f5d34", "#a8442a", "#1d4f91", "#6b4f9a", "#7a5c12")


def _style(scale=1.0):
    return Style(
        background="#ffffff",
        plot_background="#ffffff",
        foreground="#2b2a26",
        foreground_strong="#2b2a26",
        foreground_subtle="#8c8679",
        opacity="1",
        opacity_hover="1",
        colors=COLOURS,
        font_family='system-ui, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
        label_font_size=round(13 * scale),
        major_label_font_size=round(13 * scale),
        legend_font_size=round(15 * scale),
        title_font_size=round(17 * scale),
        value_font_size=round(12 * scale),
        tooltip_font_size=12,
    )


STYLE = _style()
# Scaled down about 0.7 on a phone: about 11 px letters.
NARROW_STYLE = _style(1.3)
SCRIPT = re.compile(r"<script\b.*?</script>", re.S)


def _chart(kind, narrow=False, **options):
    config = {
        "js": [],
        "width": NARROW_WIDTH if narrow else WIDTH,
        "height": NARROW_HEIGHT if narrow else HEIGHT,
        "explicit_size": True,
        "style": NARROW_STYLE if narrow else STYLE,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": 1 if narrow else 3,
        "truncate_legend": -1,
        "margin": 12,
        "no_data_text": _("Aucune donnée sur cette période"),
        "disable_xml_declaration": False,
        # Few value graduations: their labels stay apart on a phone.
        "max_scale": 4 if narrow else 10,
        # A phone's horizontal bars: names cut short (whole in the table), room for the bars.
        "truncate_label": NARROW_NAME if narrow else -1,
    }
    config.update(options)
    if narrow and "height" in options:
        config["height"] = max(NARROW_HEIGHT, options["height"])
    return kind(**config)


def _bar(narrow):
    """Bars with long labels lie down on a phone, their labels written on the left."""
    return pygal.HorizontalBar if narrow else pygal.Bar


def render(chart):
    return SCRIPT.sub("", chart.render(is_unicode=True))


def _every(count, labels):
    """Options that show about `labels` x labels, whatever the number of weeks."""
    return {"x_labels_major_every": max(1, -(-count // labels)), "show_minor_x_labels": False}


def _counts(values):
    """Whole-number graduations for counts (orders, units): never 0.5 of an order, and in
    round steps (1, 2 or 5 times a power of ten: 0, 200, 400… rather than 0, 173, 346…)."""
    top = max([v for v in values if v is not None] + [1])
    power = 1
    while True:
        step = next((k * power for k in (1, 2, 5) if k * power * 5 >= top), None)
        if step is not None:
            break
        power *= 10
    return list(range(0, top + step, step))


def _euros(value):
    return f"{value:,.0f} €".replace(",", "\u202f")


def _euros_short(value):
    """A phone's axis: 80 k€ rather than 80 000 €, so that graduations stay apart."""
    if abs(value) >= 10_000:
        return f"{value / 1000:,.0f} k€".replace(",", "\u202f")
    return _euros(value)


def _money(narrow):
    return _euros_short if narrow else _euros


def _percent(value):
    return f"{value:.0f} %"


def _names(names, narrow):
    """Product names beside a phone's horizontal bars, cut short (whole in the table): pygal's
    truncate_label only cuts the labels under the bars, and a long name on the left squeezed
    the bars, their graduations and the legend into the last fifth of the drawing."""
    if not narrow:
        return list(names)
    return [n if len(n) <= NARROW_NAME else n[: NARROW_NAME - 1].rstrip() + "…" for n in names]


def sales(rows, narrow=False):
    chart = _chart(
        narrow=narrow,
        kind=pygal.StackedBar,
        value_formatter=_money(narrow),
        **_every(len(rows), 6 if narrow else 12),
    )
    chart.x_labels = [row.name for row in rows]
    for kind in KINDS:
        chart.add(str(KIND_LABELS[kind]), [row.sales[kind] / 100 for row in rows])
    return render(chart)


def weekly_sell_through(rows, narrow=False):
    chart = _chart(
        narrow=narrow,
        kind=pygal.Bar,
        range=(0, 100),
        value_formatter=_percent,
        **_every(len(rows), 6 if narrow else 12),
        show_legend=False,
    )
    chart.x_labels = [row.name for row in rows]
    chart.add(
        _("Écoulement"),
        [None if row.sell_through is None else row.sell_through / 10 for row in rows],
    )
    return render(chart)


def top_offered(products):
    """The products with the most units offered (with a limit), the chart's selection."""
    rows = [p for p in products.values() if p.offered]
    rows.sort(key=lambda p: (-p.offered, p.name))
    return rows[:TOP_PRODUCTS]


def product_sell_through(products, narrow=False):
    rows = top_offered(products)
    chart = _chart(
        narrow=narrow,
        kind=pygal.HorizontalBar,
        range=(0, 100),
        value_formatter=_percent,
        show_legend=False,
        height=max(HEIGHT, 40 + 34 * len(rows)),
    )
    chart.x_labels = _names((p.name for p in reversed(rows)), narrow)
    chart.add(_("Écoulement"), [p.sell_through / 10 for p in reversed(rows)])
    return render(chart)


def product_weekly(cells, narrow=False):
    chart = _chart(narrow=narrow, kind=pygal.Bar, **_every(len(cells), 6 if narrow else 12))
    chart.x_labels = [cell["name"] for cell in cells]
    chart.add(
        _("Unités proposées"),
        [cell["offered"] if cell["limited"] else None for cell in cells],
    )
    chart.add(_("Unités vendues"), [cell["sold"] for cell in cells])
    return render(chart)


def left_over(products, narrow=False):
    chart = _chart(
        narrow=narrow,
        kind=pygal.HorizontalBar,
        show_legend=False,
        height=max(HEIGHT, 40 + 34 * len(products)),
    )
    chart.y_labels = _counts([p.left_over for p in products])
    chart.x_labels = _names((p.name for p in reversed(products)), narrow)
    chart.add(_("Unités restées"), [p.left_over for p in reversed(products)])
    return render(chart)


def lost_orders(rows, narrow=False):
    chart = _chart(narrow=narrow, kind=pygal.Bar, **_every(len(rows), 6 if narrow else 12))
    chart.y_labels = _counts([max(r.no_shows, r.cancellations) for r in rows])
    chart.x_labels = [row.name for row in rows]
    chart.add(_("Non venus"), [row.no_shows for row in rows])
    chart.add(_("Annulations"), [row.cancellations for row in rows])
    return render(chart)


def payment_methods(methods, narrow=False):
    chart = _chart(narrow=narrow, kind=_bar(narrow), value_formatter=_money(narrow), height=360)
    chart.x_labels = [str(METHOD_LABELS[method]) for method, *_rest in methods]
    chart.add(_("Montant HT"), [net / 100 for _method, _orders, net, _gross in methods])
    chart.add(_("Montant TTC"), [gross / 100 for _method, _orders, _net, gross in methods])
    return render(chart)


def waiting_list(rows, narrow=False):
    rows = rows[:TOP_PRODUCTS]
    chart = _chart(narrow=narrow, kind=pygal.HorizontalBar, height=max(HEIGHT, 60 + 40 * len(rows)))
    chart.y_labels = _counts([max(r["season_units"], r["now_units"]) for r in rows])
    chart.x_labels = _names((row["name"] for row in reversed(rows)), narrow)
    chart.add(_("Sur la période"), [r["season_units"] for r in reversed(rows)])
    chart.add(_("En attente maintenant"), [r["now_units"] for r in reversed(rows)])
    return render(chart)


def funders(share, narrow=False):
    chart = _chart(
        narrow=narrow,
        kind=_bar(narrow),
        value_formatter=_money(narrow),
        height=360,
        show_legend=False,
    )
    chart.x_labels = [
        _("Charges de l'année"),
        _("Ventes permises (%(cap)d %%)", cap=share.cap_percent),
        _("Ventes HT"),
    ]
    chart.add(
        _("Montant"),
        [share.charges_cents / 100, share.cap_cents / 100, share.sales_cents / 100],
    )
    return render(chart)
