"""Totals and VAT per rate in integer cents (DESIGN rule 2): prices including VAT for
individuals, excluding VAT for professionals, rounding half up, per rate, never per line."""

from types import SimpleNamespace

import pytest

from boutique.pricing import RateTotal, Totals, compute_totals, order_totals


def all_integers(totals):
    values = [totals.net_cents, totals.vat_cents, totals.gross_cents]
    for rate in totals.by_rate:
        values += [rate.rate_bp, rate.net_cents, rate.vat_cents, rate.gross_cents]
    return all(type(value) is int for value in values)


def test_empty_basket_is_zero():
    assert compute_totals([], prices_include_vat=True) == Totals(0, 0, 0, [])
    assert compute_totals([], prices_include_vat=False) == Totals(0, 0, 0, [])


def test_individual_prices_include_vat_and_vat_is_taken_out():
    # 3 tomato plants at 2,50 € incl. 5.5 %: 7,50 € = 7,11 € net + 0,39 € VAT.
    totals = compute_totals([(250, 3, 550)], prices_include_vat=True)
    assert totals.gross_cents == 750
    assert totals.by_rate == [RateTotal(550, 711, 39, 750)]
    assert (totals.net_cents, totals.vat_cents) == (711, 39)
    assert all_integers(totals)


def test_professional_prices_exclude_vat_and_vat_is_added():
    # 3 plants at 1,90 € excl. 5.5 %: 5,70 € + 0,31 € (0,3135) = 6,01 €.
    totals = compute_totals([(190, 3, 550)], prices_include_vat=False)
    assert totals.net_cents == 570
    assert totals.by_rate == [RateTotal(550, 570, 31, 601)]
    assert totals.gross_cents == 601
    assert all_integers(totals)


@pytest.mark.parametrize(
    ("rate", "gross", "net", "vat"),
    [
        (550, 1000, 948, 52),  # 947,87 -> 948
        (1000, 1000, 909, 91),  # 909,09 -> 909
        (2000, 1000, 833, 167),  # 833,33 -> 833
        (2000, 1450, 1208, 242),  # 1208,33 -> 1208
    ],
)
def test_each_rate_including_vat(rate, gross, net, vat):
    totals = compute_totals([(gross, 1, rate)], prices_include_vat=True)
    assert totals.by_rate == [RateTotal(rate, net, vat, gross)]


@pytest.mark.parametrize(
    ("rate", "net", "vat"),
    [
        (550, 1000, 55),
        (1000, 1234, 123),  # 123,4 -> 123
        (2000, 1234, 247),  # 246,8 -> 247
    ],
)
def test_each_rate_excluding_vat(rate, net, vat):
    totals = compute_totals([(net, 1, rate)], prices_include_vat=False)
    assert totals.by_rate == [RateTotal(rate, net, vat, net + vat)]


@pytest.mark.parametrize(
    ("lines", "include_vat", "expected"),
    [
        # Excl. VAT: 3,00 € at 5.5 % = 0,165 -> 0,17 (half-even would give 0,16).
        ([(300, 1, 550)], False, RateTotal(550, 300, 17, 317)),
        # 0,05 € at 10 % = 0,005 -> 0,01 (half-even would give 0).
        ([(5, 1, 1000)], False, RateTotal(1000, 5, 1, 6)),
        # 0,01 € at 5.5 % = 0,00055 -> 0 (below the half, not rounded up).
        ([(1, 1, 550)], False, RateTotal(550, 1, 0, 1)),
        # Incl. VAT: 0,15 € at 20 % has a net of 0,125 -> 0,13 (half-even would give 0,12).
        ([(15, 1, 2000)], True, RateTotal(2000, 13, 2, 15)),
        # 0,03 € at 20 %: net 0,025 -> 0,03, VAT 0.
        ([(3, 1, 2000)], True, RateTotal(2000, 3, 0, 3)),
    ],
)
def test_rounding_is_half_up(lines, include_vat, expected):
    assert compute_totals(lines, prices_include_vat=include_vat).by_rate == [expected]


def test_mixed_rates_are_shown_per_rate_in_rate_order():
    lines = [
        (500, 2, 2000),  # geranium, 20 %
        (250, 3, 550),  # tomato, 5.5 %
        (420, 1, 1000),  # 10 %
        (180, 4, 550),  # basil, 5.5 %
    ]
    totals = compute_totals(lines, prices_include_vat=True)
    assert [rate.rate_bp for rate in totals.by_rate] == [550, 1000, 2000]
    assert totals.by_rate[0] == RateTotal(550, 1393, 77, 1470)  # 750 + 720
    assert totals.by_rate[1] == RateTotal(1000, 382, 38, 420)
    assert totals.by_rate[2] == RateTotal(2000, 833, 167, 1000)
    assert totals.gross_cents == 250 * 3 + 180 * 4 + 420 + 500 * 2 == 2890
    assert totals.net_cents == sum(rate.net_cents for rate in totals.by_rate) == 2608
    assert totals.vat_cents == sum(rate.vat_cents for rate in totals.by_rate) == 282
    assert totals.net_cents + totals.vat_cents == totals.gross_cents
    assert all_integers(totals)


def test_mixed_rates_excluding_vat():
    lines = [(190, 10, 550), (400, 3, 2000), (95, 7, 550)]
    totals = compute_totals(lines, prices_include_vat=False)
    assert totals.net_cents == 190 * 10 + 400 * 3 + 95 * 7 == 3765
    assert totals.by_rate == [
        RateTotal(550, 2565, 141, 2706),  # 141,075 -> 141
        RateTotal(2000, 1200, 240, 1440),
    ]
    assert totals.vat_cents == 381
    assert totals.gross_cents == 4146 == totals.net_cents + totals.vat_cents
    assert all_integers(totals)


def test_vat_is_computed_on_each_rates_total_not_line_by_line():
    # Three lines of 0,03 € at 20 % incl. VAT: line by line, each would have 0 VAT (net 0,025
    # rounded to 0,03); on the rate's total of 0,09 € the VAT is 0,01 (net 0,075 -> 0,08).
    totals = compute_totals([(3, 1, 2000)] * 3, prices_include_vat=True)
    assert totals.by_rate == [RateTotal(2000, 8, 1, 9)]


def test_gross_total_including_vat_is_exactly_the_sum_of_the_lines():
    # Whatever the rounding of VAT, what the customer pays is what the lines say.
    lines = [(price, quantity, rate) for price, quantity, rate in _awkward_lines()]
    totals = compute_totals(lines, prices_include_vat=True)
    assert totals.gross_cents == sum(price * quantity for price, quantity, _ in lines)
    assert totals.net_cents + totals.vat_cents == totals.gross_cents
    for rate in totals.by_rate:
        assert rate.net_cents + rate.vat_cents == rate.gross_cents
    assert all_integers(totals)


def test_net_total_excluding_vat_is_exactly_the_sum_of_the_lines():
    lines = list(_awkward_lines())
    totals = compute_totals(lines, prices_include_vat=False)
    assert totals.net_cents == sum(price * quantity for price, quantity, _ in lines)
    assert totals.net_cents + totals.vat_cents == totals.gross_cents
    assert all_integers(totals)


def _awkward_lines():
    for index, rate in enumerate((550, 1000, 2000) * 5):
        yield 99 + 37 * index, 1 + index % 4, rate


def test_large_amounts_stay_exact():
    # 10 000 trays at 1 234,56 € incl. 5.5 %: no float anywhere.
    totals = compute_totals([(123_456, 10_000, 550)], prices_include_vat=True)
    assert totals.gross_cents == 1_234_560_000
    assert totals.net_cents == 1_170_199_052  # 1 170 199 052,13 -> ...052
    assert totals.vat_cents == 64_360_948
    assert all_integers(totals)


def test_order_totals_come_from_the_order_lines():
    order = SimpleNamespace(
        prices_include_vat=True,
        lines=[
            SimpleNamespace(unit_price_cents=250, quantity=3, vat_rate_bp=550),
            SimpleNamespace(unit_price_cents=500, quantity=1, vat_rate_bp=2000),
            SimpleNamespace(unit_price_cents=180, quantity=0, vat_rate_bp=550),  # lowered to 0
        ],
    )
    totals = order_totals(order)
    assert totals.gross_cents == 1250
    assert totals.by_rate == [RateTotal(550, 711, 39, 750), RateTotal(2000, 417, 83, 500)]
    order.prices_include_vat = False
    totals = order_totals(order)
    assert totals.net_cents == 1250
    assert totals.by_rate == [RateTotal(550, 750, 41, 791), RateTotal(2000, 500, 100, 600)]
