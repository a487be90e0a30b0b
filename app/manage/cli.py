"""`flask figures rebuild`: recompute the dashboard's rollups (app/manage/rollup.py) and the
outcome figures' (app/manage/outcome_rollup.py), keyed by the weeks of REGISTRY_TIMEZONE.
Needed after that setting changes (until then the dashboard reads every complaint live: exact,
only slower) or after a bulk load that bypassed the triggers."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from ..clock import now_utc
from ..database import commit_with_retry
from ..extensions import db
from . import outcome_rollup, rollup
from .models import FigureCell

cli = AppGroup("figures", help="The dashboard's and the analysis page's rollups of settled complaints.")


@cli.command("rebuild")
def rebuild_command() -> None:
    """Recompute the dashboard's rollups (settled complaints, outcomes) in the registry's time zone."""
    zone = current_app.config["REGISTRY_TIMEZONE"]
    began = time.perf_counter()
    def rebuild() -> None:
        rollup.rebuild(zone)
        outcome_rollup.rebuild(zone)

    commit_with_retry(rebuild)
    commit_with_retry(rollup.rebuild_directory_index)
    lines = db.session.scalar(select(func.count()).select_from(FigureCell))
    click.echo(f"Rebuilt the dashboard's rollups for {zone}: {lines:,} lines in {time.perf_counter() - began:.1f} s.")


@cli.command("roll")
def roll_command() -> None:
    """Stamp the old open work whose figures no longer change, so the rollups count it (each
    enforcement pass does it too: `flask deadlines enforce` / `watch`)."""
    click.echo(f"Rolled up {rollup.roll_all(now_utc()):,} open complaints for the figures.")
