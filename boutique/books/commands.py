"""`flask books …`: check the gate's cash journal, write the journal and the FEC."""

import sys
from pathlib import Path

import click

from . import services
from .cash_journal import verify


@click.group("books")
def books_group():
    """The books: the gate's cash journal, the sales journal, the FEC."""


@books_group.command("verify")
def books_verify_command():
    """Check the gate's cash journal chain; name the first broken entry (exit 1)."""
    verdict = verify()
    if verdict.ok:
        click.echo(f"Journal de caisse intact : {verdict.checked} entrées vérifiées.")
        return
    click.echo(
        f"Journal de caisse rompu à l'entrée n° {verdict.broken_id} ({verdict.reason} ne "
        f"correspond pas) après {verdict.checked} entrées intactes.",
        err=True,
    )
    sys.exit(1)


@books_group.command("fec")
@click.argument("period")
@click.option("--output-dir", default=".", type=click.Path(file_okay=False, path_type=Path))
def books_fec_command(period, output_dir):
    """Write the FEC of PERIOD (2026, 2026-05 or 2026-05-12) under its legal file name."""
    try:
        parsed = services.parse_period(period)
        body = services.fec_text(services.journal(parsed))
    except services.BooksError as error:
        raise click.BadParameter(str(error)) from None
    target = output_dir / services.fec_filename(parsed)
    target.write_text(body, encoding="utf-8", newline="")
    click.echo(str(target))
