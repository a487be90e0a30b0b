"""Deliver the outbox: claim what is due, send it with no transaction open, record the outcome.

Three short units of work per run, and none of them open while a mail server is talked to:

1. claim: due rows (queued, `next_attempt_at` reached) become `sending`, attempts + 1, in one
   transaction (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: the write lock that
   `commit_with_retry` takes), so two senders never claim the same row;
2. compose and send each claimed row, outside any transaction;
3. record each outcome: sent, skipped (nobody to send to), or back to queued with a doubling
   wait, or failed once MAIL_MAX_ATTEMPTS are spent.

A claimed row's `next_attempt_at` is the moment its claim expires (CLAIM_TIMEOUT): if the
sender dies mid-run, the row is due again then and another run picks it up. The outcome is
written only while the claim is still this run's (same status and attempt number). The claiming
and settling are app/notifications/outbox.py's, shared with the webhook deliveries.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

from flask import Flask, current_app, has_app_context
from msgspec import Struct, field
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..clock import now_utc
from ..database import commit_with_retry
from ..extensions import db
from ..notifications import outbox
from ..notifications.models import DeliveryStatus, Notification
from ..serving.logs import where_raised
from .compose import NoRecipient, compose
from .transport import MailError, Transport, TransportUnavailable, build_message, transport_from_config

log = logging.getLogger(__name__)

_TABLE = Notification.__table__
CLAIM_TIMEOUT = outbox.CLAIM_TIMEOUT  # how long a sender may hold a claimed row


class DeliveryReport(Struct):
    """What one delivery run did."""

    sent: int = 0
    retried: int = 0  # failed this time, queued again for later
    failed: int = 0  # given up: the last attempt failed, or the server refused for good
    skipped: int = 0  # nobody to send to
    ids: list[int] = field(default_factory=list)  # the rows this run claimed

    @property
    def claimed(self) -> int:
        return len(self.ids)

    def add(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.skipped += other.skipped
        self.ids.extend(other.ids)

    def __str__(self) -> str:
        return f"{self.sent} sent, {self.retried} to retry, {self.failed} failed, {self.skipped} skipped"


class _Outcome(Struct, frozen=True):
    status: DeliveryStatus  # SENT, SKIPPED or QUEUED (an error: retried or failed by the record step)
    recipients: list[str] = field(default_factory=list)
    error: str | None = None
    permanent: bool = False  # the server refused for good: no further attempt
    unreachable: bool = False  # no server to talk to: the rest of the run is not attempted


def deliver_due(now: datetime | None = None, limit: int = 100) -> DeliveryReport:
    """Send up to `limit` due messages; return what happened. Needs an app context.

    `now` (default: the clock) is the moment of the whole run: what is due, when a retry is
    due, when a message was sent.
    """
    clock: Callable[[], datetime] = (lambda: now) if now is not None else now_utc
    config = current_app.config
    max_attempts = int(config["MAIL_MAX_ATTEMPTS"])
    retry_seconds = int(config["MAIL_RETRY_SECONDS"])
    transport = transport_from_config(config)  # a settings error claims nothing
    claimed, report = commit_with_retry(lambda: _claim(clock(), limit, max_attempts))
    if not claimed:
        return report
    sender = config["MAIL_FROM"]
    unavailable: str | None = None
    # Stop well before the first claims expire, so no other run can take a row this one sends.
    budget_ends = time.monotonic() + CLAIM_TIMEOUT.total_seconds() / 2
    with transport:
        for index, (notification_id, attempt) in enumerate(claimed):
            if time.monotonic() > budget_ends:
                left = claimed[index:]
                commit_with_retry(lambda left=left: outbox.release(_TABLE, left, clock()))
                log.warning("notifications: run out of time; %d message(s) left for the next run", len(left))
                break
            if unavailable is not None:
                outcome = _Outcome(DeliveryStatus.QUEUED, error=unavailable)
            else:
                outcome = _attempt(notification_id, transport, sender)
                if outcome.unreachable:
                    unavailable = outcome.error
            final = commit_with_retry(
                lambda nid=notification_id, n=attempt, o=outcome: _record(
                    nid, n, o, clock(), max_attempts=max_attempts, retry_seconds=retry_seconds
                )
            )
            _count(report, final)
    log.info("notifications: %s", report)
    return report


def _claim(now: datetime, limit: int, max_attempts: int) -> tuple[list[tuple[int, int]], DeliveryReport]:
    """Mark due rows `sending` (attempts + 1); return [(id, attempt)] and a report holding them."""
    report = DeliveryReport()
    pairs, report.failed = outbox.claim_due(_TABLE, now, limit, max_attempts)
    report.ids.extend(nid for nid, _ in pairs)
    return pairs, report


def _attempt(notification_id: int, transport: Transport, sender: str) -> _Outcome:
    """Compose (reading the database) and send one message; the read ends before sending."""
    try:
        notification = db.session.get(Notification, notification_id, populate_existing=True)
        mail = compose(notification)
        message = build_message(mail, sender=sender)
    except NoRecipient as nobody:
        return _Outcome(DeliveryStatus.SKIPPED, error=str(nobody))
    except Exception as error:  # noqa: BLE001 - recorded on the row and retried
        log.error("notification %s: could not compose it: %s", notification_id, where_raised(error))
        return _Outcome(DeliveryStatus.QUEUED, error=f"could not compose the message: {type(error).__name__}: {error}")
    finally:
        db.session.rollback()  # end the read transaction: no snapshot or lock held while sending
    try:
        accepted = transport.send(message)
    except TransportUnavailable as error:
        # The server is unreachable: the rest of this run would fail the same way.
        return _Outcome(DeliveryStatus.QUEUED, error=str(error), unreachable=True)
    except MailError as error:
        return _Outcome(DeliveryStatus.QUEUED, error=str(error), permanent=error.permanent)
    except Exception as error:  # noqa: BLE001 - a transport bug must not stop the run
        log.error("notification %s: sending failed: %s", notification_id, where_raised(error))
        return _Outcome(DeliveryStatus.QUEUED, error=f"sending failed: {type(error).__name__}: {error}")
    return _Outcome(DeliveryStatus.SENT, recipients=accepted)


def _record(
    notification_id: int, attempt: int, outcome: _Outcome, now: datetime, *, max_attempts: int, retry_seconds: int
) -> DeliveryStatus | None:
    """Write the outcome of this run's attempt; None when the claim was lost meanwhile."""
    values: dict[str, object]
    if outcome.status == DeliveryStatus.SENT:
        values = {"status": DeliveryStatus.SENT, "sent_at": now, "last_error": None,
                  "recipients": ", ".join(outcome.recipients)[:2000]}
    elif outcome.status == DeliveryStatus.SKIPPED:
        values = {"status": DeliveryStatus.SKIPPED, "last_error": outcome.error}
    else:
        values = outbox.failure_values(outcome.error or "", attempt, now, max_attempts=max_attempts,
                                       retry_seconds=retry_seconds, permanent=outcome.permanent)
    if not outbox.settle(_TABLE, notification_id, attempt, values):
        return None
    level = logging.INFO if values["status"] in (DeliveryStatus.SENT, DeliveryStatus.SKIPPED) else logging.WARNING
    log.log(level, "notification %s attempt %d: %s %s", notification_id, attempt, values["status"],
            values.get("recipients") or values.get("last_error") or "")
    return values["status"]  # type: ignore[return-value]


def _count(report: DeliveryReport, status: DeliveryStatus | None) -> None:
    if status == DeliveryStatus.SENT:
        report.sent += 1
    elif status == DeliveryStatus.SKIPPED:
        report.skipped += 1
    elif status == DeliveryStatus.FAILED:
        report.failed += 1
    elif status == DeliveryStatus.QUEUED:
        report.retried += 1


def deliver_all_due(now: datetime | None = None, batch: int = 100) -> DeliveryReport:
    """Deliver in batches until nothing more is due (a failed row waits for its next attempt)."""
    total = DeliveryReport()
    while True:
        report = deliver_due(now=now, limit=batch)
        total.add(report)
        if report.claimed < batch:
            return total


# The after-commit kick -----------------------------------------------------------------------

_QUEUED_FLAG = "notifications_queued"


class BackgroundSender:
    """One delivery thread per app at a time: a kick while it runs makes it run once more."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._again = False

    def kick(self) -> None:
        with self._lock:
            if self._thread is not None:
                self._again = True
                return
            self._again = False
            self._thread = threading.Thread(target=self._run, name="notifications-sender", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                with self.app.app_context():
                    deliver_all_due()
                    db.session.remove()
            except Exception:  # noqa: BLE001 - the watch loop or `flask notifications send` retries
                log.exception("background delivery of notifications failed")
            with self._lock:
                if not self._again:
                    self._thread = None
                    return
                self._again = False

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until no delivery runs (for tests and shutdown); True when idle."""
        with self._lock:
            thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        with self._lock:
            return self._thread is None


def send_after_commit(app: Flask) -> None:
    """Start (or re-run) this app's background delivery; never raises into the committing code."""
    try:
        sender = app.extensions.get("notifications_sender")
        if sender is None:
            sender = app.extensions.setdefault("notifications_sender", BackgroundSender(app))
        sender.kick()
    except Exception:  # noqa: BLE001 - a mail problem never fails the request that committed
        log.exception("could not start background delivery of notifications")


def _after_commit(session: Session) -> None:
    if not session.info.pop(_QUEUED_FLAG, False) or not has_app_context():
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config.get("MAIL_SEND_AFTER_COMMIT"):
        send_after_commit(app)


def _after_rollback(session: Session) -> None:
    session.info.pop(_QUEUED_FLAG, None)


_listening = False
_listening_lock = threading.Lock()


def init_app(app: Flask) -> None:
    """Listen for commits that queued notifications (once per process: the session is shared)."""
    global _listening
    app.extensions.setdefault("notifications_sender", BackgroundSender(app))
    with _listening_lock:
        if not _listening:
            event.listen(db.session, "after_commit", _after_commit)
            event.listen(db.session, "after_rollback", _after_rollback)
            _listening = True
