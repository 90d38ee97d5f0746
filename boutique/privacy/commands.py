"""`flask privacy purge`: the retention rules of the privacy policy, run daily by cron."""

import click

from ..extensions import db
from ..transactions import retried
from .services import purge


@click.group("privacy")
def privacy_group():
    """Personal data: erase what is kept longer than needed."""


@privacy_group.command("purge")
@click.option("--dry-run", is_flag=True, help="Count what would be removed; change nothing.")
@retried
def privacy_purge_command(dry_run):
    """Erase guest orders' contact data and order notes PRIVACY_ORDER_DAYS after pick-up,
    group members' contact data as long after their group closed, and outbox mails sent (or
    undelivered and dealt with) more than PRIVACY_OUTBOX_DAYS ago, and waiting-list
    entries ended more than PRIVACY_ORDER_DAYS ago. Invoices and what the plant
    passport register needs are kept. Safe to run again: a second run removes nothing."""
    report = purge(dry_run=dry_run)
    if dry_run:
        db.session.rollback()
        click.echo("Dry run: nothing changed. Would remove:")
    else:
        db.session.commit()
        click.echo("Removed:")
    for line in report.lines():
        click.echo(f"  {line}")
