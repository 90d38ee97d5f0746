"""The basket lives in the (signed) session: {offer id: quantity} for one week.

It survives login because Flask-Login keeps the session. Checkout re-validates everything.
"""

from dataclasses import dataclass

from flask_babel import gettext as _

from ..formatting import parse_count
from ..models import Offer
from ..ordering.services import MAX_QUANTITY, offers_by_id, quantity_problem
from ..pricing import compute_totals, vat_rate_for


@dataclass
class BasketLine:
    offer: Offer
    quantity: int
    unit_price_cents: int
    problem: str = ""

    @property
    def total_cents(self):
        return self.unit_price_cents * self.quantity


def read(session, week):
    """The basket's items for this week ({offer_id: quantity}); another week's basket is dropped."""
    basket = session.get("basket") or {}
    if week is None or basket.get("week") != week.id:
        return {}
    items = {}
    for key, quantity in (basket.get("items") or {}).items():
        if str(key).isdigit() and isinstance(quantity, int) and 0 < quantity <= MAX_QUANTITY:
            items[int(key)] = quantity
    return items


def write(session, week, items):
    session["basket"] = {"week": week.id, "items": {str(k): v for k, v in items.items()}}


def clear(session):
    session.pop("basket", None)


def set_quantity(session, week, offer, quantity):
    """Put a quantity of an offer in the basket (0 removes it); returns a problem or ''."""
    items = read(session, week)
    problem = check_line(offer, quantity) if quantity else ""
    if problem:
        return problem
    if quantity:
        items[offer.id] = quantity
    else:
        items.pop(offer.id, None)
    write(session, week, items)
    return ""


def check_line(offer, quantity):
    """Why this quantity cannot be ordered now, or '' when it can."""
    name = offer.product.full_name
    if not offer.offered or not offer.product.active:
        return _("« %(name)s » n'est plus proposé cette semaine.", name=name)
    if problem := quantity_problem(offer, quantity):
        return problem
    if offer.remaining is not None and quantity > offer.remaining:
        if offer.remaining <= 0:
            return _("« %(name)s » est épuisé.", name=name)
        return _("« %(name)s » : il n'en reste que %(left)d.", name=name, left=offer.remaining)
    return ""


def lines(week, items, kind):
    """Basket lines with current prices for the customer's kind, and what is wrong with each."""
    offers = offers_by_id(week, list(items)) if week else {}
    result = []
    for offer_id, quantity in items.items():
        offer = offers.get(offer_id)
        if offer is None:
            continue
        result.append(
            BasketLine(offer, quantity, offer.price_cents(kind), check_line(offer, quantity))
        )
    result.sort(key=lambda line: (line.offer.product.name, line.offer.product.variety))
    return result


def totals(basket_lines, kind):
    return compute_totals(
        (
            (line.unit_price_cents, line.quantity, vat_rate_for(line.offer.product))
            for line in basket_lines
        ),
        prices_include_vat=kind == "individual",
    )


def bar(session, week, kind):
    """What the basket bar (basket/_bar.html) shows: the basket's lines and its total."""
    items = read(session, week) if week is not None and week.is_open() else {}
    bar_lines = lines(week, items, kind) if items else []
    return {"bar_lines": bar_lines, "bar_totals": totals(bar_lines, kind) if bar_lines else None}


# --- The quick order: the whole week in one table (professionals' weekly order) ----------------


@dataclass
class QuickLine:
    offer: Offer
    quantity: int  # what the form proposes
    wanted: int = 0  # what the earlier order (or the basket) had, before any cap

    @property
    def capped(self):
        return self.quantity < self.wanted


def most_allowed(offer):
    """The most of an offer one order may take now: what is left, and the per-order maximum."""
    limits = [MAX_QUANTITY]
    if offer.remaining is not None:
        limits.append(max(offer.remaining, 0))
    if offer.max_per_order:
        limits.append(offer.max_per_order)
    return min(limits)


def quick_lines(offers, wanted_by_product):
    """One line per offer, proposing the quantity wanted ({product id: quantity}) as far as
    the offer allows it: the customer sees what was capped."""
    return [
        QuickLine(
            offer,
            min(wanted_by_product.get(offer.product_id, 0), most_allowed(offer)),
            wanted_by_product.get(offer.product_id, 0),
        )
        for offer in offers
    ]


def wanted_before(offers, session, week, previous=None):
    """{product id: quantity}: an earlier order's lines, else what the basket holds."""
    if previous is not None:
        return {line.product_id: line.quantity for line in previous.lines if line.quantity}
    by_offer = {offer.id: offer for offer in offers}
    return {
        by_offer[offer_id].product_id: quantity
        for offer_id, quantity in read(session, week).items()
        if offer_id in by_offer
    }


def typed_quantities(offers, form):
    """{offer: quantity} as typed in the quick order's fields (empty: 0; not a number: None)."""
    return {offer: parse_count(form.get(f"qty-{offer.id}") or "0") for offer in offers}


def typed_lines(typed):
    """The quick order's lines as typed, to show the form again after a refusal."""
    return [QuickLine(offer, quantity or 0, quantity or 0) for offer, quantity in typed.items()]


def replace_with(session, week, quantities):
    """The basket becomes these {offer: quantity}; returns the problems (nothing changed then).
    A quantity that is not a number (None) is refused like any other bad line."""
    problems = [
        problem
        for offer, quantity in quantities.items()
        if quantity != 0 and (problem := check_line(offer, quantity))
    ]
    if not problems:
        write(session, week, {offer.id: q for offer, q in quantities.items() if q})
    return problems
