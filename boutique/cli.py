"""Flask commands: demo data and staff accounts."""

import secrets

import click
from sqlalchemy import func, select

from .account.services import create_staff, find_user_by_email, normalise_email
from .extensions import db
from .models import Order, Product
from .privacy.commands import privacy_group
from .staff.account_services import record_cli_change
from .transactions import retried


def register(app):
    app.cli.add_command(create_staff_command)
    app.cli.add_command(demo_data_command)
    app.cli.add_command(privacy_group)
    app.cli.add_command(outbox_group)
    app.cli.add_command(schedule_group)
    app.cli.add_command(orders_group)
    app.cli.add_command(payments_group)
    app.cli.add_command(documents_group)
    app.cli.add_command(standing_group)
    app.cli.add_command(groups_group)
    from .books.commands import books_group

    app.cli.add_command(books_group)
    from .passports.commands import passports_group

    app.cli.add_command(passports_group)
    from .waitlist.commands import waitlist_group

    app.cli.add_command(waitlist_group)


def _week_argument(value):
    """A week by id or by label ("Semaine 48")."""
    from .formatting import parse_id
    from .models import SalesWeek

    week_id = parse_id(value)
    week = db.session.get(SalesWeek, week_id) if week_id is not None else None
    if week is None:
        week = db.session.scalar(
            select(SalesWeek).where(func.lower(SalesWeek.label) == value.strip().lower())
        )
    if week is None:
        raise click.BadParameter(f"no week with id or label {value!r}", param_hint="WEEK")
    return week


@click.group("schedule")
def schedule_group():
    """The weekly pick-up schedule."""


@schedule_group.command("generate")
@click.argument("week")
@retried
def schedule_generate_command(week):
    """Place the week's orders that have no usable slot; list those that cannot be placed."""
    from .pickup.schedule import REASONS, generate_schedule

    week = _week_argument(week)
    result = generate_schedule(week)
    db.session.commit()
    click.echo(f"{week.label}: {len(result.placed)} orders placed, {len(result.unplaced)} not.")
    # Staff know orders by their number (S49-004), never by the database id.
    numbers = dict(
        db.session.execute(
            select(Order.id, Order.number).where(Order.id.in_(list(result.unplaced)))
        ).all()
    )
    for order_id, reason in sorted(result.unplaced.items(), key=lambda item: numbers[item[0]]):
        click.echo(f"  order {numbers[order_id]}: {REASONS[reason]}")


@schedule_group.command("publish")
@click.argument("week")
@retried
def schedule_publish_command(week):
    """Mail each customer their point, slot and what to collect (only new or moved ones)."""
    from .pickup.schedule import publish_schedule

    week = _week_argument(week)
    told = publish_schedule(week)
    db.session.commit()
    if told.mails:  # one mail per order: a customer with two orders gets two
        click.echo(
            f"{week.label}: schedule published, {told.mails} e-mails sent ({told.mails} orders)."
        )
    else:
        click.echo(f"{week.label}: schedule published, no e-mail to send.")
    for order in told.to_call:
        click.echo(
            f"  to call (no e-mail): {order.number} {order.contact_name} {order.phone}".rstrip()
        )


@schedule_group.command("remind")
@click.option("--day", type=click.DateTime(formats=["%Y-%m-%d"]), help="Default: tomorrow.")
@retried
def schedule_remind_command(day):
    """Remind the customers who collect tomorrow (each once; safe to run from cron daily)."""
    from .pickup.schedule import send_reminders, tomorrow_in_shop_zone

    day = day.date() if day else tomorrow_in_shop_zone()
    count = send_reminders(day)
    db.session.commit()
    click.echo(f"{count} reminders queued for {day.isoformat()}.")


@click.group("standing")
def standing_group():
    """Standing weekly orders."""


@standing_group.command("place")
@click.argument("week")
@retried
def standing_place_command(week):
    """Place the standing orders due in WEEK that are not placed yet (safe to run again:
    each is placed once per week; publishing a week and the outbox worker also do it)."""
    from .standing.services import place_standing_orders, placement_summary

    week = _week_argument(week)
    placed, short, empty = placement_summary(place_standing_orders(week))
    db.session.commit()
    click.echo(
        f"{week.label}: {placed} standing orders placed ({short} short), {empty} with nothing "
        "to place."
    )


def place_due_standing_orders():
    """The outbox worker's round: place the standing orders waiting in published weeks not
    yet closed (made or resumed after their week was published); how many were placed."""
    from .standing.services import place_standing_orders, weeks_to_place

    @retried
    def place(week_id):
        from .models import SalesWeek

        placements = place_standing_orders(db.session.get(SalesWeek, week_id))
        db.session.commit()
        return len(placements)

    return sum(place(week_id) for week_id in weeks_to_place())


@click.group("groups")
def groups_group():
    """AMAP group orders."""


@groups_group.command("close-due")
def groups_close_due_command():
    """Close the group orders whose members' deadline has passed (each becomes the AMAP's
    order; the outbox worker and page views do it too)."""
    closed = close_due_group_orders()
    click.echo(f"{closed} group orders closed.")


@groups_group.command("remind")
def groups_remind_command():
    """Remind members the day before their group order's deadline (once; run it hourly)."""
    click.echo(f"{remind_group_members()} reminders queued.")


@retried
def remind_group_members():
    from .groups.services import remind_members

    sent = remind_members()
    db.session.commit()
    return sent


def close_due_group_orders():
    """Close each group order past its members' deadline in its own unit of work."""
    from .groups.services import close_group, groups_due

    @retried
    def close(group):
        close_group(group)
        db.session.commit()

    due = groups_due()
    for group in due:
        close(group)
    return len(due)


def group_order_chores():
    """The outbox worker's round: close due group orders, remind members; how many."""
    return close_due_group_orders() + remind_group_members()


def waitlist_sweep():
    """The outbox worker's round: mail who waits for a product that is back; how many.

    A sweep that fails is logged and rolled back whole (its entries wait for the next round):
    it runs before the round's sending and must not hold the other mails back.
    """
    from .waitlist.sweep import sweep_after_change

    return sweep_after_change()


@click.group("orders")
def orders_group():
    """Orders waiting for something."""


@orders_group.command("expire")
@retried
def orders_expire_command():
    """Put back on sale the stock and slots of card orders not paid in time (cron: every 5 min)."""
    from .ordering.services import expire_holds

    numbers = expire_holds()
    db.session.commit()
    click.echo(f"{len(numbers)} unpaid orders expired{': ' + ', '.join(numbers) if numbers else '.'}")


@click.group("payments")
def payments_group():
    """Card payments with Stripe."""


def _gateway():
    from .payments.gateway import PaymentGatewayError, gateway_for

    try:
        return gateway_for()
    except PaymentGatewayError as error:
        raise click.ClickException(error.message) from None


@payments_group.command("capture-due")
def payments_capture_due_command():
    """Capture, release or refund what cards owe, and what would lapse within a day; mail staff.

    Safe to run repeatedly (cron: hourly): each Stripe call has a deterministic idempotency key,
    and each card is committed on its own (no lock is held while Stripe answers for the next).
    """
    from sqlalchemy.exc import IntegrityError

    from .models import CardPayment
    from .payments.card import cards_to_settle, notify_staff, settle_due_card

    @retried  # each card is its own unit of work; Stripe's idempotency keys make a retry safe
    def settle_one(card_id):
        try:
            outcome = settle_due_card(db.session.get(CardPayment, card_id), gateway)
            db.session.commit()
        except IntegrityError:  # a click settled the same card at the same moment
            db.session.rollback()
            outcome = "nothing"
        return db.session.get(CardPayment, card_id).order.number, outcome

    gateway = _gateway()
    report = [settle_one(card_id) for card_id in cards_to_settle()]
    if report:
        notify_staff(report)
        db.session.commit()
    for number, outcome in report:
        click.echo(f"  {number}: {outcome}")
    failed = sum(1 for _, outcome in report if outcome == "failed")
    click.echo(f"{len(report)} card payments handled, {failed} to retry.")
    if failed:
        raise SystemExit(1)


@payments_group.command("reconcile")
@click.argument("week", required=False)
@click.option("--fix", is_flag=True, help="Bring the shop in line with Stripe.")
def payments_reconcile_command(week, fix):
    """Compare every card order (of WEEK, or all) with Stripe and list the differences."""
    from .models import CardPayment
    from .payments.card import card_ids, reconcile_card

    @retried  # each card is its own unit of work
    def reconcile_one(card_id):
        found = reconcile_card(db.session.get(CardPayment, card_id), gateway, fix=fix)
        db.session.commit()
        return found

    week = _week_argument(week) if week else None
    gateway, differences = _gateway(), []
    for card_id in card_ids(week):
        differences += reconcile_one(card_id)
    for number, difference in differences:
        click.echo(f"  {number}: {difference}")
    verb = "fixed" if fix else "found"
    click.echo(f"{len(differences)} differences {verb}.")
    if differences and not fix:
        raise SystemExit(1)


@click.group("documents")
def documents_group():
    """The staff's pick-up documents."""


@documents_group.command("prepare")
@click.argument("week", required=False)
def documents_prepare_command(week):
    """Render the PDFs of WEEK (default: every week with pick-ups today or later) ahead, so
    staff get them at once (cron: every 10 minutes).

    Only what changed since the last run is rendered again (the cache knows by content).
    Exits with code 1 when the cache folder cannot be written.
    """
    from .pickup.document_cache import CacheUnavailable, check_writable
    from .staff.documents import prepare_pdfs
    from .timezones import shop_today
    from .weeks.services import weeks_with_pickups_ahead

    try:
        check_writable()
    except CacheUnavailable as error:
        raise click.ClickException(
            f"The document cache folder cannot be written ({error}): nothing prepared. "
            "Staff still get every document, rendered at each request (slower). "
            "Make the folder writable by this user, or set DOCUMENT_CACHE_FOLDER."
        ) from error
    weeks = [_week_argument(week)] if week else weeks_with_pickups_ahead(shop_today())
    for each in weeks:
        click.echo(f"{each.label}:")
        for kind, outcome in prepare_pdfs(each):
            click.echo(f"  {kind}: {outcome}")
    db.session.rollback()  # read-only


@click.group("outbox")
def outbox_group():
    """The outbox of mails waiting to be sent."""


@outbox_group.command("send")
@click.option("--limit", default=200, show_default=True, help="Most mails sent in one run.")
def outbox_send_command(limit):
    """Send the mails that are due (safe to run from cron every minute)."""
    from .outbox import send_due

    sent, failed = send_due(limit=limit)
    click.echo(f"{sent} sent, {failed} failed (will be retried).")
    if failed and not sent:
        raise SystemExit(1)


@outbox_group.command("worker")
@click.option("--once", is_flag=True, help="Send what is due once, then stop (for cron).")
@click.option("--limit", default=50, show_default=True, help="Most mails sent in one round.")
def outbox_worker_command(once, limit):
    """Send the mails as they fall due, and render the PDFs staff asked for, until stopped.

    In production this is the only sender: no request waits on the mail server, nor on
    WeasyPrint for a big PDF. Run it as a service (see the README's systemd unit), or `--once`
    from cron every minute. Stops on SIGTERM or Ctrl-C.
    """
    import signal
    import threading

    from flask import current_app

    from .outbox import run_worker, send_due
    from .pickup import document_jobs
    from .staff.documents import render_job

    if once:
        # The waiting list's mails first, so that this round sends them (cron: not a minute later).
        told = waitlist_sweep()
        sent, failed = send_due(limit=limit)
        click.echo(f"{sent} sent, {failed} failed (will be retried).")
        rendered = document_jobs.run_due(render_job)
        if rendered:
            click.echo(f"{rendered} PDF rendered.")
        if placed := place_due_standing_orders():
            click.echo(f"{placed} standing orders placed.")
        if chores := group_order_chores():
            click.echo(f"{chores} group orders closed or members reminded.")
        if told:
            click.echo(f"{told} waiting-list e-mails queued.")
        if failed and not sent:
            raise SystemExit(1)
        return
    stop = threading.Event()

    def request_stop(signum, _frame):
        click.echo(f"Outbox worker: {signal.Signals(signum).name}, stopping after this mail.")
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    poll = current_app.config["OUTBOX_POLL_SECONDS"]
    click.echo(f"Outbox worker: sending due mails, looking again every {poll} s.")
    run_worker(
        stop,
        limit=limit,
        poll_seconds=poll,
        report=lambda sent, failed: click.echo(f"{sent} sent, {failed} failed (will be retried)."),
        also=lambda: (
            document_jobs.run_due(render_job, stop=stop)
            + place_due_standing_orders()
            + group_order_chores()
            + waitlist_sweep()
        ),
    )
    click.echo("Outbox worker stopped.")


@click.command("create-staff")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice(["admin", "staff", "gate"]),
    default="staff",
    show_default=True,
    help="gate: the handover pages only, without customers' contact details.",
)
@click.option(
    "--password",
    help="Password to set; without it one is generated and printed.",
)
def create_staff_command(email, role, password):
    """Create a staff account (or reset an existing one's role and password)."""
    email = normalise_email(email)
    if "@" not in email:
        raise click.BadParameter("not an email address", param_hint="EMAIL")
    existing = find_user_by_email(email)
    if existing is not None and existing.role == "customer":
        raise click.ClickException(f"{email} is a customer account; use another address.")
    password = password or secrets.token_urlsafe(12)
    record_cli_change(create_staff(email, password, role), replaced=existing is not None)
    db.session.commit()
    click.echo(f"Staff account {email} ({role}) ready. Password: {password}")


# Not a secret: printed by `make run` and in the README for the demo accounts.
DEMO_PASSWORD = "pepiniere-demo-2026"  # noqa: S105  # nosec B105
DEMO_ACCOUNTS = (
    ("admin@lapepiniere.example", "admin", None),
    ("equipe@lapepiniere.example", "staff", None),
    ("accueil@lapepiniere.example", "gate", None),
    ("particulier@exemple.fr", "customer", "individual"),
    ("restaurant@exemple.fr", "customer", "restaurant"),
    ("amap@exemple.fr", "customer", "amap"),
)


@click.command("demo-data")
@click.option("--if-empty", is_flag=True, help="Do nothing when the catalog has products.")
def demo_data_command(if_empty):
    """Load a realistic nursery: catalog, last week and this week published, demo accounts."""
    from flask import current_app

    from .demo import load_demo_data

    if current_app.config["PRODUCTION"]:
        # The demo accounts' password is published: an admin with it would open the shop.
        raise click.ClickException(
            "demo-data refuses to run with the production configuration: its accounts' "
            "password is public. Use FLASK_CONFIG=development on a development database."
        )
    if db.session.scalar(select(func.count()).select_from(Product)):
        if if_empty:
            click.echo("The catalog already has products: demo data not loaded.")
            print_demo_logins()
            return
        raise click.ClickException("The catalog already has products; use an empty database.")
    load_demo_data(DEMO_PASSWORD)
    db.session.commit()
    click.echo("Demo data loaded.")
    print_demo_logins()


def print_demo_logins():
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for email, role, kind in DEMO_ACCOUNTS:
        click.echo(f"  {email:32} {kind or role}")
    click.echo("  restaurant-en-attente@exemple.fr restaurant waiting for approval")
