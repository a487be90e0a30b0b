"""`flask registry verify`: check the whole chain from the command line."""

from __future__ import annotations

import sys

import click
from flask import Blueprint

from .verify import verify_registry

bp = Blueprint("registry_cli", __name__, cli_group="registry")


@bp.cli.command("verify")
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
