"""`flask notifications send` and `flask notifications list`: the outbox from the command line.

Run `send` from cron or a small loop: it delivers whatever the after-commit kick left behind
(the server was down, the process restarted) and the retries that came due.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..extensions import db

cli = AppGroup("notifications", help="The e-mail outbox: deliver what is due, list messages.")


@cli.command("send")
@click.option("--batch", type=click.IntRange(1, 10_000), default=100, show_default=True,
              help="Messages claimed per transaction.")
def send_command(batch: int) -> None:
    """Deliver every message that is due now; print what happened."""
    from .delivery import deliver_all_due

    report = deliver_all_due(batch=batch)
    click.echo(f"Notifications: {report.sent} sent, {report.retried} to retry, {report.failed} failed, "
               f"{report.skipped} skipped.")


@cli.command("list")
@click.option("--status", type=click.Choice(["queued", "sending", "sent", "failed", "skipped"]), default=None,
              help="Only messages in this state.")
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True, help="Newest first, at most this many.")
def list_command(status: str | None, limit: int) -> None:
    """List outbox messages, newest first."""
    from ..complaints.models import Complaint
    from ..notifications.models import DeliveryStatus, Notification

    query = (
        select(Notification, Complaint.number)
        .join(Complaint, Complaint.id == Notification.complaint_id)
        .order_by(Notification.id.desc())
        .limit(limit)
    )
    if status:
        query = query.where(Notification.status == DeliveryStatus(status))
    rows = db.session.execute(query).all()
    if not rows:
        click.echo("No notifications.")
        return
    for notification, number in rows:
        target = {"user": f"user {notification.user_id}", "tier": f"tier {notification.tier}"}.get(
            notification.audience.value, "complainant"
        )
        when = notification.sent_at or notification.next_attempt_at
        click.echo(
            f"{notification.id:>6}  {notification.status.value:<8} {notification.kind.value:<18} {number:<14} "
            f"{target:<12} attempts {notification.attempts}  {when:%Y-%m-%d %H:%M:%S}Z"
            + (f"  to {notification.recipients}" if notification.recipients else "")
            + (f"  ({notification.last_error})" if notification.last_error else "")
        )
