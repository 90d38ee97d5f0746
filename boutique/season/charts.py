"""The dashboard's charts: SVG drawn on the server by pygal, without JavaScript.

Each chart is served from its own address as an image (`<img>`), its figures in the table under
it. pygal writes a small inline config script even without its JavaScript files: it is taken
out, so the SVG is only shapes, text and its inline style (the response's own CSP allows that
style and nothing else).
"""

import re

import pygal
from flask_babel import gettext as _
from pygal.style import Style

from .services import KIND_LABELS, KINDS, METHOD_LABELS

WIDTH, HEIGHT = 960, 420
TOP_PRODUCTS = 15
# The shop's green, terracotta and blue, then two more: each 4.5:1 or more on white.
COLOURS = ("#2f5d34", "#a8442a", "#1d4f91", "#6b4f9a", "#7a5c12")
STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#2b2a26",
    foreground_strong="#2b2a26",
    foreground_subtle="#8c8679",
    opacity="1",
    opacity_hover="1",
    colors=COLOURS,
    font_family='system-ui, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=15,
    title_font_size=17,
    value_font_size=12,
    tooltip_font_size=12,
)
SCRIPT = re.compile(r"<script\b.*?</script>", re.S)


def _chart(kind, **options):
    config = {
        "js": [],
        "width": WIDTH,
        "height": HEIGHT,
        "explicit_size": True,
        "style": STYLE,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": 3,
        "truncate_legend": -1,
        "truncate_label": -1,
        "show_minor_x_labels": False,
        "margin": 12,
        "no_data_text": _("Aucune donnée sur cette période"),
        "disable_xml_declaration": False,
    }
    config.update(options)
    return kind(**config)


def render(chart):
    return SCRIPT.sub("", chart.render(is_unicode=True))


def _every(count, labels=12):
    """Show about `labels` x labels, whatever the number of weeks."""
    return max(1, -(-count // labels))


def _euros(value):
    return f"{value:,.0f} €".replace(",", "\u202f")


def _percent(value):
    return f"{value:.0f} %"


def sales(rows):
    chart = _chart(
        pygal.StackedBar,
        value_formatter=_euros,
        x_labels_major_every=_every(len(rows)),
    )
    chart.x_labels = [row.name for row in rows]
    for kind in KINDS:
        chart.add(str(KIND_LABELS[kind]), [row.sales[kind] / 100 for row in rows])
    return render(chart)


def weekly_sell_through(rows):
    chart = _chart(
        pygal.Bar,
        range=(0, 100),
        value_formatter=_percent,
        x_labels_major_every=_every(len(rows)),
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


def product_sell_through(products):
    rows = top_offered(products)
    chart = _chart(
        pygal.HorizontalBar,
        range=(0, 100),
        value_formatter=_percent,
        show_legend=False,
        height=max(HEIGHT, 40 + 34 * len(rows)),
    )
    chart.x_labels = [p.name for p in reversed(rows)]
    chart.add(_("Écoulement"), [p.sell_through / 10 for p in reversed(rows)])
    return render(chart)


def product_weekly(cells):
    chart = _chart(pygal.Bar, x_labels_major_every=_every(len(cells)))
    chart.x_labels = [cell["name"] for cell in cells]
    chart.add(
        _("Unités proposées"),
        [cell["offered"] if cell["limited"] else None for cell in cells],
    )
    chart.add(_("Unités vendues"), [cell["sold"] for cell in cells])
    return render(chart)


def left_over(products):
    chart = _chart(
        pygal.HorizontalBar,
        show_legend=False,
        height=max(HEIGHT, 40 + 34 * len(products)),
    )
    chart.x_labels = [p.name for p in reversed(products)]
    chart.add(_("Unités restées"), [p.left_over for p in reversed(products)])
    return render(chart)


def lost_orders(rows):
    chart = _chart(pygal.Bar, x_labels_major_every=_every(len(rows)))
    chart.x_labels = [row.name for row in rows]
    chart.add(_("Non venus"), [row.no_shows for row in rows])
    chart.add(_("Annulations"), [row.cancellations for row in rows])
    return render(chart)


def payment_methods(methods):
    chart = _chart(pygal.Bar, value_formatter=_euros, height=360)
    chart.x_labels = [str(METHOD_LABELS[method]) for method, *_rest in methods]
    chart.add(_("Montant HT"), [net / 100 for _method, _orders, net, _gross in methods])
    chart.add(_("Montant TTC"), [gross / 100 for _method, _orders, _net, gross in methods])
    return render(chart)


def waiting_list(rows):
    rows = rows[:TOP_PRODUCTS]
    chart = _chart(pygal.HorizontalBar, height=max(HEIGHT, 60 + 40 * len(rows)))
    chart.x_labels = [row["name"] for row in reversed(rows)]
    chart.add(_("Unités demandées sur la période"), [r["season_units"] for r in reversed(rows)])
    chart.add(_("Unités en attente maintenant"), [r["now_units"] for r in reversed(rows)])
    return render(chart)


def funders(share):
    chart = _chart(pygal.Bar, value_formatter=_euros, height=360, show_legend=False)
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
