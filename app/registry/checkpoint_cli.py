"""`flask registry checkpoint`: write a signed checkpoint of the chain heads now (and e-mail it
to the auditors); `publish_checkpoint` is also what `flask deadlines watch` runs every
REGISTRY_CHECKPOINT_INTERVAL seconds."""

from __future__ import annotations

import logging
from pathlib import Path

import click
from flask.cli import with_appcontext
from msgspec import Struct

from ..extensions import db
from ..mail.auditors import mail_checkpoint
from ..mail.transport import MailError
from .checkpoints import Checkpoint, current_checkpoint, heads_moved_since, latest_written, write_checkpoint

log = logging.getLogger(__name__)


class Published(Struct, frozen=True):
    checkpoint: Checkpoint
    path: Path
    mailed_to: tuple[str, ...]
    mail_error: str | None = None


def publish_checkpoint(*, only_if_moved: bool = False) -> Published | None:
    """Write a checkpoint of the heads as committed now, then e-mail it to the auditors; None
    when `only_if_moved` and neither head moved since the last checkpoint written. A mail
    failure is reported in the result (the file is written either way)."""
    try:
        checkpoint = current_checkpoint()
    finally:
        db.session.rollback()  # a read: end it, so no lock or snapshot is held while writing files
    if only_if_moved and not heads_moved_since(latest_written(), checkpoint):
        return None
    path = write_checkpoint(checkpoint)
    log.info("registry checkpoint %s: entry #%s, audit event #%s", path.name, checkpoint.position,
             checkpoint.audit_position)
    try:
        mailed = tuple(mail_checkpoint(checkpoint, path))
    except MailError as error:
        log.error("registry checkpoint %s was not e-mailed to the auditors: %s", path.name, error)
        return Published(checkpoint, path, (), str(error))
    return Published(checkpoint, path, mailed)


@click.command("checkpoint")
@with_appcontext
@click.option("--if-moved", is_flag=True, help="Write one only when a chain head moved since the last checkpoint.")
def checkpoint_command(if_moved: bool) -> None:
    """Write a signed checkpoint of the chain heads outside the database (REGISTRY_CHECKPOINT_DIR)
    and e-mail it to REGISTRY_CHECKPOINT_AUDITORS; exit 1 if the e-mail failed."""
    published = publish_checkpoint(only_if_moved=if_moved)
    if published is None:
        click.echo("No checkpoint written: neither chain moved since the last one.")
        return
    checkpoint = published.checkpoint
    click.echo(f"Checkpoint {published.path}: entry #{checkpoint.position}, audit event #{checkpoint.audit_position}.")
    if published.mailed_to:
        click.echo(f"E-mailed to {', '.join(published.mailed_to)}.")
    if published.mail_error:
        raise click.ClickException(f"the checkpoint was written but not e-mailed: {published.mail_error}")
