"""`flask waitlist notify`: the waiting list's mails (the outbox worker's round does it too)."""

import click

from .sweep import sweep


@click.group("waitlist")
def waitlist_group():
    """The "Prévenez-moi" waiting list."""


@waitlist_group.command("notify")
def waitlist_notify_command():
    """Mail, once, everyone waiting for a product the open week offers with units left (or
    without a limit), and end their entries; end those of products no longer sold. Safe to
    run again, or at the same time as the worker: an entry is mailed once."""
    click.echo(f"{sweep()} waiting-list e-mails queued.")
