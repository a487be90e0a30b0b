"""`flask registry verify`: check the whole chain from the command line."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from .checkpoint_cli import checkpoint_command
from .document_cli import verify_document_command
from .verify import verify_registry

cli = AppGroup("registry", help="Verify the registry; fill an empty one with demo data.")


@cli.command("verify")
def verify_command() -> None:
    """Walk the whole registry; exit 1 if any record was altered, removed or reordered."""
    report = verify_registry()
    for problem in report.problems:
        click.echo(f"FAIL {problem}", err=True)
    if report.ok:
        click.echo(f"OK: {report.entries_checked} entries verified, chain intact, no gaps.")
        return
    click.echo(
        f"{len(report.problems)} problem(s) in {report.entries_checked} entries.", err=True
    )
    sys.exit(1)


@cli.command("seed-demo")
@click.option("--count", type=click.IntRange(1), default=1000, show_default=True, help="Complaints to create.")
@click.option("--batch", "batch_size", type=click.IntRange(1, 100_000), default=10_000, show_default=True,
              help="Complaints per transaction.")
@click.option("--days", type=click.IntRange(1, 3650), default=730, show_default=True,
              help="Spread the registration dates over this many days up to now.")
@click.option("--append", is_flag=True, help="Add to a registry that already holds complaints.")
@click.option("--seed", "random_seed", type=int, default=None, help="Make the same demo data again.")
def seed_demo_command(count: int, batch_size: int, days: int, append: bool, random_seed: int | None) -> None:
    """Fill the registry with COUNT made-up complaints, numbered and signed (demo and benchmarks)."""
    import logging

    from ..journal.seed import RegistryNotEmpty, seed_demo

    logging.getLogger("app.desk.operations").setLevel(logging.WARNING)  # not a line per annulment

    def progress(done: int, seconds: float) -> None:
        click.echo(f"  {done:>9,} / {count:,} complaints  {seconds:7.1f} s  ({done / seconds:,.0f}/s)")

    try:
        report = seed_demo(count, batch_size=batch_size, append=append, days=days, random_seed=random_seed,
                           progress=progress)
    except RegistryNotEmpty as refused:
        raise click.ClickException(str(refused)) from None
    years = ", ".join(f"{year}: {n:,}" for year, n in sorted(report.per_year.items()))
    click.echo(f"Created {report.created:,} demo complaints ({years}) in {report.seconds:.1f} s, "
               f"{report.created / report.seconds:,.0f}/s; {report.annulled} annulled"
               f"{' (' + report.annul_note + ')' if report.annul_note else ''}.")

cli.add_command(checkpoint_command)
cli.add_command(verify_document_command)
