"""Totals and VAT per rate, in integer cents (DESIGN rule 2).

Individuals' prices include VAT: VAT is taken out of each rate's gross total.
Professionals' prices exclude it: VAT is added to each rate's net total.
"""

from dataclasses import dataclass, field

from flask import current_app
from flask_login import current_user

BASIS = 10_000  # VAT rates are in basis points: 550 = 5.5 %


@dataclass(frozen=True)
class RateTotal:
    rate_bp: int
    net_cents: int
    vat_cents: int
    gross_cents: int


@dataclass(frozen=True)
class Totals:
    net_cents: int = 0
    vat_cents: int = 0
    gross_cents: int = 0
    by_rate: list[RateTotal] = field(default_factory=list)


def vat_exempt():
    """VAT-free mode (an association outside VAT): VAT_EXEMPT, or no SELLER_VAT_NUMBER."""
    config = current_app.config
    if config.get("VAT_EXEMPT") is not None:
        return bool(config["VAT_EXEMPT"])
    return not (config.get("SELLER_VAT_NUMBER") or "").strip()


def vat_rate_for(product):
    """The VAT rate a sale of the product carries now, frozen on order lines: the product's,
    or 0 in VAT-free mode (the price is then the price paid, for every kind of customer)."""
    return 0 if vat_exempt() else product.vat_rate_bp


def _round_div(numerator, denominator):
    """Round half up, integers only."""
    return (2 * numerator + denominator) // (2 * denominator)


def compute_totals(lines, prices_include_vat):
    """lines: (unit_price_cents, quantity, vat_rate_bp) triples."""
    per_rate = {}
    for unit_price, quantity, rate in lines:
        per_rate[rate] = per_rate.get(rate, 0) + unit_price * quantity
    by_rate = []
    for rate, amount in sorted(per_rate.items()):
        if prices_include_vat:
            gross = amount
            net = _round_div(gross * BASIS, BASIS + rate)
        else:
            net = amount
            gross = net + _round_div(net * rate, BASIS)
        by_rate.append(RateTotal(rate, net, gross - net, gross))
    return Totals(
        net_cents=sum(r.net_cents for r in by_rate),
        vat_cents=sum(r.vat_cents for r in by_rate),
        gross_cents=sum(r.gross_cents for r in by_rate),
        by_rate=by_rate,
    )


def order_totals(order):
    return compute_totals(
        ((line.unit_price_cents, line.quantity, line.vat_rate_bp) for line in order.lines),
        order.prices_include_vat,
    )


def amount_due_cents(payment_method, status, card_authorised, gross_cents, paid_cents):
    """What is left to collect at pick-up: invoices are paid by transfer, an authorised card
    is captured at confirmation, cancelled and expired orders owe nothing."""
    if payment_method == "invoice" or status in ("cancelled", "expired") or card_authorised:
        return 0
    return max(0, gross_cents - paid_cents)


def viewer_price_kind():
    """The price list the visitor sees: individual prices unless logged in as an approved
    professional."""
    return current_user.price_kind if current_user.is_authenticated else "individual"
