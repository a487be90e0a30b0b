"""`flask webhooks deliver`: one pass of the webhook dispatcher (`flask deadlines watch` runs
one every few seconds)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

cli = AppGroup("webhooks", help="Webhooks: post what happened to the registered receivers.")


@cli.command("deliver")
def deliver_command() -> None:
    """Turn new registry entries into deliveries and post every delivery that is due."""
    from .dispatch import run_once

    click.echo(f"Webhooks: {run_once()}.")
