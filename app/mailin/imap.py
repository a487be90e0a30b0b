"""Fetching the registry's mailbox over IMAP (imapclient): each message not yet taken is stored by
`store.store_message` (its own committed unit of work) and only THEN marked in the mailbox, with
\\Seen and the keyword $Registry (or moved to MAIL_IMAP_PROCESSED_FOLDER). A fetcher that dies
between the two leaves the message unmarked: the next fetch finds it again, and the store
answers "already stored", so it is stored once.

Every contact with the mailbox, good or bad, is written to `mailbox_status`, which /health and the
staff desk read: a mailbox that has not answered for MAIL_IMAP_ALERT_MINUTES is a warning there,
never a silent week.
"""

from __future__ import annotations

import ipaddress
import logging
import ssl
import threading
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from flask import current_app
from msgspec import Struct, field
from sqlalchemy import select

from ..clock import now_utc
from ..database import commit_with_retry, insert_if_absent
from ..extensions import db
from .models import MailboxStatus, MailSource
from .store import store_message

if TYPE_CHECKING:
    from imapclient import IMAPClient

log = logging.getLogger(__name__)

#: The keyword a stored message gets in the mailbox (with \Seen).
KEYWORD = "$Registry"
SECURITIES = ("ssl", "starttls", "none")
#: Messages whose size and date are asked for in one command.
_BATCH = 200


class MailboxSettingsError(ValueError):
    """The mailbox settings cannot work (no host, plain IMAP to another machine, ...)."""


class Mailbox(Struct, frozen=True):
    host: str
    port: int
    security: str
    username: str
    password: str
    folder: str
    ca_file: str
    processed_folder: str
    timeout: float
    hard_max_bytes: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Mailbox:
        host = config.get("MAIL_IMAP_HOST") or ""
        security = (config.get("MAIL_IMAP_SECURITY") or "ssl").lower()
        if not host:
            raise MailboxSettingsError("no mailbox: MAIL_IMAP_HOST is not set")
        if security not in SECURITIES:
            raise MailboxSettingsError(f"MAIL_IMAP_SECURITY must be one of {', '.join(SECURITIES)}, not {security!r}")
        if security == "none" and not _loopback(host):
            raise MailboxSettingsError("MAIL_IMAP_SECURITY=none sends the password in the clear: only to a "
                                       "mailbox on this machine (127.0.0.1, ::1, localhost)")
        port = int(config.get("MAIL_IMAP_PORT") or 0) or (993 if security == "ssl" else 143)
        return cls(host=host, port=port, security=security, username=config.get("MAIL_IMAP_USERNAME") or "",
                   password=config.get("MAIL_IMAP_PASSWORD") or "", folder=config.get("MAIL_IMAP_FOLDER") or "INBOX",
                   ca_file=config.get("MAIL_IMAP_CA_FILE") or "",
                   processed_folder=config.get("MAIL_IMAP_PROCESSED_FOLDER") or "",
                   timeout=float(config.get("MAIL_IMAP_TIMEOUT") or 60),
                   hard_max_bytes=int(config["MAIL_HARD_MAX_BYTES"]))

    @property
    def label(self) -> str:
        """How the mailbox is named in logs and in `mailbox_status` (no password)."""
        return f"{self.username}@{self.host}:{self.port}/{self.folder}"[:300]

    def connect(self) -> IMAPClient:
        """A logged-in session with the folder selected."""
        from imapclient import IMAPClient  # loaded by the first fetch, not by every worker at start-up

        context = ssl.create_default_context(cafile=self.ca_file or None)
        client = IMAPClient(self.host, self.port, ssl=self.security == "ssl", ssl_context=context,
                            timeout=self.timeout)
        try:
            client.normalise_times = False  # INTERNALDATE as the server says it, with its offset
            if self.security == "starttls":
                client.starttls(context)
            client.login(self.username, self.password)
            client.select_folder(self.folder)
            if self.processed_folder and not client.folder_exists(self.processed_folder):
                client.create_folder(self.processed_folder)
        except BaseException:
            _logout(client)
            raise
        return client


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _logout(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:  # noqa: BLE001 - the connection may be gone already
        log.debug("IMAP logout failed", exc_info=True)


def configured(config: Mapping[str, Any]) -> bool:
    return bool(config.get("MAIL_IMAP_HOST"))


# --- one pass ---------------------------------------------------------------------------------


class FetchReport(Struct):
    stored: int = 0  # new messages stored
    already: int = 0  # found stored before (a fetch that died before marking them)
    left: list[int] = field(default_factory=list)  # UIDs left in the mailbox: larger than the hard cap

    def __str__(self) -> str:
        left = f", {len(self.left)} too large left in the mailbox" if self.left else ""
        return f"{self.stored} stored, {self.already} already stored{left}"


def _received_at(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return now_utc()


def pending(client: IMAPClient, mailbox: Mailbox) -> list[int]:
    """The UIDs of the messages in the folder not yet taken, oldest first."""
    criteria = ["ALL"] if mailbox.processed_folder else ["NOT", "KEYWORD", KEYWORD]
    return sorted(client.search(criteria))


def mark(client: IMAPClient, mailbox: Mailbox, uid: int) -> None:
    """Mark a stored message in the mailbox (after its commit): moved, or \\Seen and $Registry."""
    if mailbox.processed_folder:
        if client.has_capability("MOVE"):
            client.move([uid], mailbox.processed_folder)
            return
        client.copy([uid], mailbox.processed_folder)
        client.add_flags([uid], [b"\\Deleted"], silent=True)
        if client.has_capability("UIDPLUS"):
            client.uid_expunge([uid])
        else:
            client.expunge()
        return
    client.add_flags([uid], [b"\\Seen", KEYWORD.encode()], silent=True)


def fetch_pending(client: IMAPClient, mailbox: Mailbox) -> FetchReport:
    """Store every message not yet taken, one committed unit of work each, and mark each in the
    mailbox once its unit of work committed."""
    report = FetchReport()
    uids = pending(client, mailbox)
    for start in range(0, len(uids), _BATCH):
        batch = uids[start:start + _BATCH]
        facts = client.fetch(batch, ["RFC822.SIZE", "INTERNALDATE"])
        for uid in batch:
            info = facts.get(uid)
            if info is None:  # expunged meanwhile by someone else
                continue
            size = int(info.get(b"RFC822.SIZE", 0))
            if size > mailbox.hard_max_bytes:
                report.left.append(uid)
                log.error("mailbox %s: message UID %d has %d bytes, more than MAIL_HARD_MAX_BYTES (%d): left in "
                          "the mailbox for someone to look at", mailbox.label, uid, size, mailbox.hard_max_bytes)
                continue
            body = client.fetch([uid], ["BODY.PEEK[]"]).get(uid, {}).get(b"BODY[]")
            if body is None:
                continue
            taken = store_message(bytes(body), received_at=_received_at(info.get(b"INTERNALDATE")),
                                  source=MailSource.IMAP)
            db.session.remove()  # the committed unit of work's objects are not kept across messages
            if taken.created:
                report.stored += 1
            else:
                report.already += 1
            mark(client, mailbox, uid)
    return report


def fetch_once(mailbox: Mailbox) -> FetchReport:
    """Connect, store what is waiting, disconnect; the contact (or the error) is recorded."""
    try:
        client = mailbox.connect()
        try:
            report = fetch_pending(client, mailbox)
        finally:
            _logout(client)
    except Exception as error:
        record_contact(mailbox, error=error)
        raise
    record_contact(mailbox, left=report.left)
    log.info("mailbox %s: %s", mailbox.label, report)
    return report


# --- watching ---------------------------------------------------------------------------------


def watch(mailbox: Mailbox, *, poll_seconds: float, idle_seconds: float, stop: threading.Event | None = None) -> None:
    """Fetch, then wait for new mail (IMAP IDLE when the server has it, else a look every
    `poll_seconds`), and again, until `stop` is set; after an error, connect again after a wait
    that doubles up to five minutes."""
    stop = stop or threading.Event()
    wait = 1.0
    while not stop.is_set():
        client = None
        try:
            client = mailbox.connect()
            idle = client.has_capability("IDLE")
            while not stop.is_set():
                report = fetch_pending(client, mailbox)
                record_contact(mailbox, left=report.left)
                if report.stored or report.already:
                    log.info("mailbox %s: %s", mailbox.label, report)
                wait = 1.0
                if idle:
                    client.idle()
                    try:
                        client.idle_check(timeout=idle_seconds)
                    finally:
                        client.idle_done()
                else:
                    stop.wait(poll_seconds)
                    client.noop()
        except Exception as error:  # noqa: BLE001 - the loop goes on; the desk and /health warn
            log.error("mailbox %s: %s: %s; trying again in %.0f s", mailbox.label, type(error).__name__, error, wait)
            try:
                record_contact(mailbox, error=error)
            except Exception:  # noqa: BLE001 - the database may be what failed
                log.error("could not record the mailbox's error", exc_info=True)
            stop.wait(wait)
            wait = min(wait * 2, 300.0)
        finally:
            if client is not None:
                _logout(client)
            db.session.remove()


# --- the mailbox's health -------------------------------------------------------------------------


def record_contact(mailbox: Mailbox, *, error: BaseException | None = None, left: list[int] | None = None) -> None:
    """Write when the mailbox last answered, or the error of this attempt (messages left in it
    for being too large count as an error: someone must look)."""
    now = now_utc()
    problem = None
    if error is not None:
        problem = f"{type(error).__name__}: {error}"[:2000]
    elif left:
        problem = (f"{len(left)} message(s) larger than MAIL_HARD_MAX_BYTES left in the mailbox "
                   f"(UID {', '.join(map(str, left[:20]))})")

    def work() -> None:
        insert_if_absent(MailboxStatus, mailbox=mailbox.label)
        row = db.session.get(MailboxStatus, mailbox.label, populate_existing=True)
        if error is None:
            row.last_success_at = now
        if problem is not None:
            row.last_error_at, row.last_error = now, problem

    commit_with_retry(work)


class MailboxHealth(Struct, frozen=True):
    configured: bool
    failing: bool
    last_success_at: datetime | None = None
    last_error_at: datetime | None = None
    last_error: str | None = None


def mailbox_health(config: Mapping[str, Any], now: datetime | None = None) -> MailboxHealth:
    """Whether the configured mailbox answered within MAIL_IMAP_ALERT_MINUTES (a mailbox never
    reached counts from the first error, or is failing as soon as it is configured and silent)."""
    if not configured(config):
        return MailboxHealth(configured=False, failing=False)
    now = now or now_utc()
    try:
        label = Mailbox.from_config(config).label
    except MailboxSettingsError as error:
        return MailboxHealth(configured=True, failing=True, last_error=str(error))
    row = db.session.scalar(select(MailboxStatus).where(MailboxStatus.mailbox == label))
    limit = timedelta(minutes=int(config["MAIL_IMAP_ALERT_MINUTES"]))
    if row is None:
        return MailboxHealth(configured=True, failing=True, last_error="the mailbox has never been reached")
    silent = row.last_success_at is None or now - row.last_success_at > limit
    troubled = row.last_error_at is not None and (row.last_success_at is None or row.last_error_at > row.last_success_at)
    return MailboxHealth(configured=True, failing=silent or (troubled and "MAIL_HARD_MAX_BYTES" in (row.last_error or "")),
                         last_success_at=row.last_success_at, last_error_at=row.last_error_at,
                         last_error=row.last_error if troubled else None)


def current_mailbox() -> Mailbox:
    return Mailbox.from_config(current_app.config)
