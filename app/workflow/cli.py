"""`flask deadlines enforce` and `flask deadlines watch`: the deadline sweep from cron or a loop
(and with it the figures' rolling pass, app/manage/rollup.py `roll`, and on SQLite the query
planner's statistics taken again as the registry grows, `database.refresh_statistics`)."""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime
from types import FrameType

import click
from flask import current_app
from flask.cli import AppGroup

from ..clock import now_utc
from ..database import commit_with_retry, refresh_statistics
from ..mail.delivery import deliver_all_due
from ..manage import rollup
from ..registry.checkpoint_cli import publish_checkpoint
from ..settings.store import current_policy
from ..webhooks.dispatch import run_once as run_webhooks
from .enforcement import EnforcementReport, SweepStep, enforce
from .verdict import REMINDER_BATCH, send_rating_reminders

cli = AppGroup("deadlines", help="Enforce the deadlines: once, or in a loop with the e-mail delivery.")


def _moment(value: str | None) -> datetime:
    if value is None:
        return now_utc()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 time, e.g. 2026-11-23T09:30:00+02:00") from None
    if moment.tzinfo is None:
        raise click.BadParameter("give the time zone too, e.g. 2026-11-23T09:30:00+02:00 or ...Z")
    return moment.astimezone(UTC)


def _summary(report: EnforcementReport) -> str:
    verb = "would record" if report.dry_run else "recorded"
    return (f"{verb} {report.breaches} breaches ({report.escalations} escalations) and "
            f"{report.warnings} due-soon warnings as of {report.at.isoformat(timespec='seconds')}")


def run_once(at: datetime, *, dry_run: bool = False, echo: bool = True) -> EnforcementReport:
    def show(step: SweepStep) -> None:
        click.echo(f"  {step}")

    report = enforce(at, current_policy(), batch_size=current_app.config["ENFORCEMENT_BATCH_SIZE"],
                     dry_run=dry_run, on_step=show if echo else None)
    if not dry_run:  # the one reminder to rate the handling, to those asked and silent since
        reminded, looked_at = 0, REMINDER_BATCH
        while looked_at == REMINDER_BATCH:
            looked_at, queued = commit_with_retry(lambda: send_rating_reminders(at))
            reminded += queued
        if echo and reminded:
            click.echo(f"  {reminded} reminders to rate the handling")
        # never as of a moment still to come: a complaint's due would count as passed before it has
        rolled = rollup.roll_all(min(at, now_utc()))
        if echo and rolled:
            click.echo(f"  {rolled} open complaints rolled up for the figures")
        if refresh_statistics("complaints") and echo:  # SQLite: its planner's statistics, as the registry grows
            click.echo("  the database's statistics taken again for its query planner")
    return report


@cli.command("enforce")
@click.option("--at", "at_text", metavar="ISO-TIME", help="Evaluate as of this moment instead of now.")
@click.option("--dry-run", is_flag=True, help="List what would be done; change nothing.")
@click.option("--quiet", is_flag=True, help="Print only the summary.")
def enforce_command(at_text: str | None, dry_run: bool, quiet: bool) -> None:
    """Record passed deadlines, escalate them, and send due-soon warnings (idempotent)."""
    report = run_once(_moment(at_text), dry_run=dry_run, echo=not quiet)
    click.echo(_summary(report))


@cli.command("watch")
@click.option("--interval", type=click.IntRange(1), default=60, show_default=True,
              help="Seconds between enforcement passes.")
@click.option("--mail-interval", type=click.IntRange(1), default=5, show_default=True,
              help="Seconds between e-mail (and webhook) deliveries.")
@click.option("--passes", type=click.IntRange(1), default=None, help="Stop after this many enforcement passes.")
def watch_command(interval: int, mail_interval: int, passes: int | None) -> None:
    """Enforce deadlines and deliver e-mail and webhooks in a loop (for installations without
    cron, and `make run`). E-mail and webhooks go out within `--mail-interval` seconds of being
    queued or recorded, from this process rather than from the web workers."""
    stopping = False

    def stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    done = 0
    next_enforcement = next_mail = next_checkpoint = time.monotonic()
    checkpoint_interval = current_app.config["REGISTRY_CHECKPOINT_INTERVAL"]
    while not stopping:
        if time.monotonic() >= next_enforcement:
            next_enforcement += interval
            try:
                report = run_once(now_utc(), echo=False)
                if report.breaches or report.warnings:
                    click.echo(_summary(report))
            except Exception:  # keep watching: the next pass retries whatever failed
                current_app.logger.exception("deadline enforcement pass failed")
            done += 1
            next_mail = 0  # deliver what the pass queued at once
        if time.monotonic() >= next_mail:
            next_mail = time.monotonic() + mail_interval
            try:
                deliver_all_due()
            except Exception:  # a mail server being down is retried row by row; this is anything else
                current_app.logger.exception("e-mail delivery pass failed")
            try:
                run_webhooks()
            except Exception:  # a receiver being down is retried row by row; this is anything else
                current_app.logger.exception("webhook delivery pass failed")
        if checkpoint_interval and time.monotonic() >= next_checkpoint:
            next_checkpoint = time.monotonic() + checkpoint_interval
            try:
                publish_checkpoint(only_if_moved=True)
            except Exception:  # the next interval tries again
                current_app.logger.exception("registry checkpoint failed")
        if passes is not None and done >= passes:
            break
        time.sleep(0.5)
