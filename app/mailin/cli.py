"""`flask mail fetch` (the mailbox over IMAP) and `flask mail receive` (one message from the mail
server on standard input): two ways in, one operation (`store.store_message`).

`flask mail receive` answers the mail server with the exit codes of sysexits.h, so the server
knows what to do with the message: 0 taken (also when it was stored before); 75 EX_TEMPFAIL on any
error (the database is down, the disk is full): the server keeps the message and delivers it
again later; 69 EX_UNAVAILABLE for a message larger than MAIL_HARD_MAX_BYTES: the server returns
it to its sender with that reason. Nothing else is refused.
"""

from __future__ import annotations

import logging
import sys
import threading

import click
from flask import current_app
from flask.cli import AppGroup

from ..clock import now_utc
from .imap import Mailbox, MailboxSettingsError, fetch_once, watch
from .models import MailSource
from .store import store_message

log = logging.getLogger(__name__)

cli = AppGroup("mail", help="Mail intake: fetch the mailbox, or take one message from the mail server.")

EX_OK = 0
EX_UNAVAILABLE = 69
EX_TEMPFAIL = 75


@cli.command("receive")
@click.pass_context
def receive_command(ctx: click.Context) -> None:
    """Store one raw message read from standard input (for a mail server's pipe or LMTP
    delivery); exit 0 taken, 75 try again later, 69 too large (see docs/mail.md)."""
    limit = int(current_app.config["MAIL_HARD_MAX_BYTES"])
    try:
        raw = sys.stdin.buffer.read(limit + 1)
    except Exception:  # noqa: BLE001 - the server delivers it again
        log.exception("mail receive: could not read the message")
        ctx.exit(EX_TEMPFAIL)
    if len(raw) > limit:
        click.echo(f"5.3.4 message larger than {limit} bytes refused", err=True)
        ctx.exit(EX_UNAVAILABLE)
    if not raw.strip():
        click.echo("empty message: nothing to store", err=True)
        ctx.exit(EX_OK)
    try:
        taken = store_message(raw, received_at=now_utc(), source=MailSource.PIPE)
    except Exception as error:  # noqa: BLE001 - any error: the mail server keeps the message and retries
        log.error("mail receive: not stored (%s: %s); the mail server will deliver it again",
                  type(error).__name__, error)
        click.echo(f"4.3.0 temporary failure, try again later: {type(error).__name__}", err=True)
        ctx.exit(EX_TEMPFAIL)
    click.echo(f"mail {taken.mail.id} {'stored' if taken.created else 'already stored'}: {taken.mail.kind.value}")
    ctx.exit(EX_OK)


@cli.command("fetch")
@click.option("--watch", "watching", is_flag=True,
              help="Keep fetching: IMAP IDLE where the server has it, else a look every MAIL_IMAP_POLL_SECONDS.")
@click.option("--once", is_flag=True, help="One pass, then exit (the default).")
def fetch_command(watching: bool, once: bool) -> None:
    """Store every message of the mailbox not taken yet, marking each in the mailbox after it is
    stored (MAIL_IMAP_* settings, docs/mail.md)."""
    config = current_app.config
    try:
        mailbox = Mailbox.from_config(config)
    except MailboxSettingsError as error:
        raise click.ClickException(str(error)) from error
    if watching and not once:
        click.echo(f"Watching the mailbox {mailbox.label}; Ctrl-C stops.")
        stop = threading.Event()
        try:
            watch(mailbox, poll_seconds=float(config["MAIL_IMAP_POLL_SECONDS"]),
                  idle_seconds=float(config["MAIL_IMAP_IDLE_SECONDS"]), stop=stop)
        except KeyboardInterrupt:
            stop.set()
        return
    try:
        report = fetch_once(mailbox)
    except Exception as error:
        raise click.ClickException(f"mailbox {mailbox.label}: {type(error).__name__}: {error}") from error
    click.echo(f"Mailbox {mailbox.label}: {report}.")
