"""`flask passports …`: the register of plant passports issued."""

from datetime import date

import click

from . import services


class _Date(click.ParamType):
    name = "date"

    def convert(self, value, param, ctx):
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a date (YYYY-MM-DD)", param, ctx)


@click.group("passports")
def passports_group():
    """Plant passports (Regulation (EU) 2016/2031)."""


@passports_group.command("register")
@click.option("--from", "start", type=_Date(), help="First pick-up day (YYYY-MM-DD), included.")
@click.option("--to", "end", type=_Date(), help="Last pick-up day (YYYY-MM-DD), included.")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    help="CSV file (default: stdout).",
)
def register_command(start, end, output):
    """Write the register of plant passports issued (CSV: date, order, buyer, product, botanical
    name, traceability code, quantity) for the orders confirmed, ready or collected.

    Keep it at least three years (Regulation (EU) 2016/2031, article 69)."""
    if start and end and end < start:
        raise click.BadParameter("--to is before --from", param_hint="--to")
    entries = services.register_entries(start, end)
    text = services.register_csv(entries)
    if output:
        with open(output, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        click.echo(f"{len(entries)} passports written to {output}.", err=True)
    else:
        click.echo(text, nl=False)
