"""The demo's two seasons of history: the same every load, seasonal, growing, coherent books."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from boutique.account.services import siret_is_valid
from boutique.books import cash_journal
from boutique.books.services import journal, parse_period
from boutique.demo import load_demo_data
from boutique.demo_history import history_totals
from boutique.extensions import db
from boutique.models import (
    CashClosing,
    CropPlan,
    Invoice,
    Offer,
    Order,
    OrderLine,
    Payment,
    Product,
    SalesWeek,
    SeasonCharge,
    WaitlistEntry,
)
from boutique.pickup import cash
from boutique.season.history import history_weeks, product_weeks
from tests.conftest import page_text

PASSWORD = "pepiniere-demo-2026"
# Loaded on the Sunday evening of ISO week 48 of 2026: the demo's last week is week 47 and its
# open week 49 (tests/test_week_numbers.py); the history runs from week 1 of 2025 to week 46.
NOW = datetime(2026, 11, 29, 22, 35, tzinfo=UTC)


def units_by_month(name, variety, first, last):
    """{(year, month): units sold} of a product, by the month of its weeks' Mondays."""
    product = db.session.scalar(select(Product).filter_by(name=name, variety=variety))
    weeks = history_weeks(first, last)
    table = product_weeks([w.id for w in weeks])
    months = {}
    for week in weeks:
        key = (week.monday.year, week.monday.month)
        months[key] = months.get(key, 0) + table[(product.id, week.id)].sold
    return months


def fingerprint():
    """What two loads must share: totals, waiting entries, paid invoices, sold-out offers."""
    return (
        tuple(history_totals()),
        db.session.scalar(select(func.count()).select_from(WaitlistEntry)),
        db.session.scalar(select(func.count()).where(Invoice.paid_at.is_not(None))),
        db.session.scalar(
            select(func.count()).where(Offer.quantity_reserved == Offer.quantity_available)
        ),
    )


def test_two_loads_in_the_same_week_give_the_same_history(app):
    load_demo_data(PASSWORD, now=NOW)
    first = fingerprint()
    db.session.rollback()
    load_demo_data(PASSWORD, now=NOW - timedelta(days=5, hours=10))  # Tuesday morning
    assert fingerprint() == first
    orders, units, cents = first[0]
    assert 2500 < orders < 5000  # ~25–45 orders a week over two seasons
    assert units > 0 and cents > 0


def test_history_covers_every_week_before_last_week_and_keeps_the_demo_weeks(app):
    load_demo_data(PASSWORD, now=NOW)
    archived = db.session.scalars(
        select(SalesWeek).where(SalesWeek.status == "archived").order_by(SalesWeek.opens_at)
    ).all()
    numbers = [(w.iso_week.year, w.iso_week.week) for w in archived]
    assert numbers[0] == (2025, 1) and numbers[-1] == (2026, 46)
    assert len(numbers) == len(set(numbers)) == 52 + 46
    published = db.session.scalars(
        select(SalesWeek).where(SalesWeek.status == "published").order_by(SalesWeek.opens_at)
    ).all()
    assert [w.label for w in published] == ["Semaine 47", "Semaine 49"]
    assert [w.phase(NOW) for w in published] == ["closed", "open"]
    # The demo's last week has no orders of the history; the numbers are unique per week.
    assert not db.session.scalar(select(Order.id).where(Order.week_id == published[0].id))
    duplicates = db.session.scalar(
        select(func.count()).select_from(
            select(Order.week_id, Order.number)
            .group_by(Order.week_id, Order.number)
            .having(func.count() > 1)
            .subquery()
        )
    )
    assert duplicates == 0


def test_seedlings_sell_in_their_season_and_the_later_year_sells_more(app):
    load_demo_data(PASSWORD, now=NOW)
    first, last = date(2024, 12, 30), date(2026, 11, 16)
    tomato = units_by_month("Tomate", "Cœur de bœuf", first, last)
    spring = sum(tomato.get((2025, m), 0) for m in (4, 5))
    assert spring > 100 and tomato.get((2025, 12), 0) == 0 and tomato.get((2025, 1), 0) == 0
    leek = units_by_month("Poireau", "Bleu de Solaise", first, last)
    summer = sum(leek.get((2025, m), 0) for m in (6, 7, 8))
    assert summer > 3 * sum(leek.get((2025, m), 0) for m in (1, 2, 3, 10, 11, 12))
    cut_tomatoes = units_by_month("Tomates anciennes", "", first, last)
    assert cut_tomatoes.get((2025, 8), 0) > 0 and cut_tomatoes.get((2025, 4), 0) == 0

    # The same weeks of both years: the later one sells more (10–15 % more, with noise).
    def amount(year):
        return db.session.scalar(
            select(func.sum(OrderLine.quantity * OrderLine.unit_price_cents))
            .join(Order, Order.id == OrderLine.order_id)
            .where(
                Order.status.in_(("collected", "no_show")),
                Order.created_at >= datetime(year, 1, 1, tzinfo=UTC),
                Order.created_at < datetime(year, 11, 1, tzinfo=UTC),
            )
        )

    assert 1.05 < amount(2026) / amount(2025) < 1.25


def test_sold_out_weeks_have_waiting_entries_and_no_offer_is_oversold(app):
    load_demo_data(PASSWORD, now=NOW)
    oversold = select(func.count()).where(
        Offer.quantity_available.is_not(None), Offer.quantity_reserved > Offer.quantity_available
    )
    assert db.session.scalar(oversold) == 0
    # What offers hold is what their orders kept (cancelled orders gave theirs back).
    held = (
        select(OrderLine.offer_id, func.sum(OrderLine.quantity).label("units"))
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.status != "cancelled")
        .group_by(OrderLine.offer_id)
        .subquery()
    )
    mismatched = db.session.scalar(
        select(func.count())
        .select_from(Offer)
        .join(held, held.c.offer_id == Offer.id)
        .where(held.c.units != Offer.quantity_reserved)
    )
    assert mismatched == 0
    sold_out = select(Offer.week_id, Offer.product_id).where(
        Offer.quantity_available.is_not(None),
        Offer.quantity_reserved >= Offer.quantity_available,
    )
    sold_out = {tuple(row) for row in db.session.execute(sold_out)}
    entries = db.session.scalars(select(WaitlistEntry)).all()
    assert len(sold_out) > 50 and len(entries) > 50
    assert all((e.week_id, e.product_id) in sold_out for e in entries)
    assert all(e.end_reason == "notified" and e.ended_at is not None for e in entries)
    assert len({e.token for e in entries}) == len(entries)
    for entry in entries[:50]:
        assert entry.notified_week.opens_at > entry.week.opens_at


def test_books_hold_on_the_history(app):
    load_demo_data(PASSWORD, now=NOW)
    verdict = cash_journal.verify()
    assert verdict.ok and verdict.checked > 500
    rows = journal(parse_period("2025"))
    kinds = {row.kind for row in rows}
    assert kinds == {"invoice", "receipt"}
    numbers = [row.number for row in rows]
    assert len(numbers) == len(set(numbers))
    invoices = db.session.scalars(
        select(Invoice.number).where(Invoice.year == 2025).order_by(Invoice.issued_at)
    ).all()
    assert invoices[0] == "FA-2025-0001" and invoices[-1] == f"FA-2025-{len(invoices):04d}"
    # Every card payment and every gate payment is recorded once.
    references = db.session.scalars(select(Payment.reference).where(Payment.method == "card"))
    references = list(references)
    assert len(references) == len(set(references)) > 100
    # The gate closed each day's cash with the figures the cash page computes from the orders.
    closings = db.session.scalars(select(CashClosing).order_by(CashClosing.id)).all()
    assert len(closings) > 300
    for closing in closings[::40]:
        assert cash.day_totals(closing.day, closing.point_id) == closing.totals
    assert db.session.scalar(select(func.count()).select_from(CropPlan)) > 40
    assert db.session.scalar(
        select(func.count()).select_from(SeasonCharge).where(SeasonCharge.year == 2025)
    )


def test_staff_pages_of_an_old_week_and_the_books_show_the_history(app, client, login):
    from boutique.models import User

    load_demo_data(PASSWORD, now=NOW)
    db.session.commit()
    week = db.session.scalar(
        select(SalesWeek).where(SalesWeek.status == "archived").order_by(SalesWeek.opens_at)
    )
    order = db.session.scalar(select(Order).where(Order.week_id == week.id))
    admin = db.session.scalar(select(User).filter_by(email="admin@lapepiniere.example"))
    login(admin, PASSWORD)
    rows = journal(parse_period("2025"))
    invoices = sum(row.kind == "invoice" for row in rows)
    receipts = sum(row.kind == "receipt" for row in rows)
    books = client.get("/gestion/comptabilite/?periode=2025")
    assert books.status_code == 200
    assert f"{invoices} factures, 0 avoirs, {receipts} tickets" in page_text(books)
    assert "2025-12" in page_text(books) and "Aucune vente" not in page_text(books)
    listing = client.get(f"/gestion/commandes?semaine={week.id}")
    assert listing.status_code == 200 and order.number in page_text(listing)
    detail = client.get(f"/gestion/commandes/{order.id}")
    assert detail.status_code == 200 and order.number in page_text(detail)
    assert client.get(f"/gestion/semaines/{week.id}").status_code == 200


def test_the_history_s_customers_and_staff_were_there_before_their_first_order(app):
    """A restaurant that has ordered every week since 2025 does not show as signed up today."""
    from boutique.models import User

    load_demo_data(PASSWORD, now=NOW)
    first_order = dict(
        db.session.execute(
            select(Order.customer_id, func.min(Order.created_at))
            .where(Order.customer_id.is_not(None))
            .group_by(Order.customer_id)
        ).all()
    )
    first_closing = db.session.scalar(select(func.min(CashClosing.closed_at)))
    accounts = {user.id: user for user in db.session.scalars(select(User))}
    assert len(first_order) > 5
    for user_id, first in first_order.items():
        user = accounts[user_id]
        assert user.created_at < first, user.email
        if user.reviewed_at is not None:
            assert user.created_at <= user.reviewed_at < first, user.email
    for email in ("admin@lapepiniere.example", "accueil@lapepiniere.example"):
        staff = next(user for user in accounts.values() if user.email == email)
        assert staff.created_at < first_closing
    # The professionals' SIRETs pass the check their account form applies: 14 digits, Luhn key.
    sirets = [user.siret for user in accounts.values() if user.is_professional]
    assert len(sirets) > 5 and all(siret_is_valid(siret) for siret in sirets), sirets
