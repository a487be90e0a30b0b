"""Turn new registry entries into webhook deliveries, and post the deliveries that are due.

`collect` reads, per active endpoint, the registry entries after its cursor (entries commit in
position order, so nothing committed later can appear behind the cursor) and makes a delivery
row for each entry of the endpoint's event types, once (a unique constraint backs the cursor).
`deliver_due` claims due rows (app/notifications/outbox.py, as the e-mail outbox does), posts
each with no transaction open, and settles it: delivered on a 2xx answer, else queued again
after a doubling wait, failed after WEBHOOK_MAX_ATTEMPTS. Nothing here runs inside a request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime

from flask import current_app
from msgspec import Struct, field
from sqlalchemy import func, insert, select

from ..clock import now_utc
from ..database import commit_with_retry
from ..extensions import db
from ..notifications import outbox
from ..notifications.models import DeliveryStatus
from ..registry.models import RegistryEntry
from .events import body_of, events_of
from .models import WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

_TABLE = WebhookDelivery.__table__
#: Entries read per endpoint per unit of work.
COLLECT_BATCH = 500
#: Deliveries claimed per unit of work.
DELIVER_BATCH = 100
USER_AGENT = "complaint-registry-webhooks/1"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The `X-Registry-Signature` header's value: HMAC-SHA256 of "<timestamp>.<body>" under the
    endpoint's secret, hex, prefixed "sha256=" (docs/api.md shows a receiver's check)."""
    mac = hmac.new(bytes.fromhex(secret), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def head_position() -> int:
    """The registry's last position (0 when empty): where a new endpoint's cursor starts."""
    return db.session.scalar(select(func.coalesce(func.max(RegistryEntry.position), 0))) or 0


class WebhookReport(Struct):
    """What one dispatcher run did."""

    made: int = 0  # delivery rows made from new entries
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    ids: list[int] = field(default_factory=list)  # the deliveries this run claimed

    def __str__(self) -> str:
        return f"{self.made} new, {self.delivered} delivered, {self.retried} to retry, {self.failed} failed"


def collect(limit: int = COLLECT_BATCH) -> int:
    """Make the deliveries of every active endpoint's new entries; how many were made."""
    made = 0
    for endpoint_id in db.session.scalars(select(WebhookEndpoint.id).where(WebhookEndpoint.active)).all():
        while True:
            count, more = commit_with_retry(lambda e=endpoint_id: _collect_one(e, limit))
            made += count
            if not more:
                break
    return made


def _collect_one(endpoint_id: int, limit: int) -> tuple[int, bool]:
    """One batch of one endpoint's entries: (deliveries made, whether more entries may follow)."""
    endpoint = db.session.execute(
        select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id).with_for_update()
    ).scalar_one_or_none()
    if endpoint is None or not endpoint.active:
        return 0, False
    entries = db.session.scalars(
        select(RegistryEntry).where(RegistryEntry.position > endpoint.cursor)
        .order_by(RegistryEntry.position).limit(limit)
    ).all()
    if not entries:
        return 0, False
    wanted = endpoint.event_types
    now = now_utc()
    rows = []
    for entry in entries:
        for event in events_of(entry.kind, json.loads(entry.payload)):
            if event not in wanted:
                continue
            rows.append({"endpoint_id": endpoint.id, "position": entry.position, "event": event,
                         "body": body_of(event, entry), "created_at": now, "status": DeliveryStatus.QUEUED,
                         "attempts": 0, "next_attempt_at": now})
    if rows:
        db.session.execute(insert(_TABLE), rows)
    endpoint.cursor = entries[-1].position
    db.session.flush()
    return len(rows), len(entries) == limit


class _Attempt(Struct, frozen=True):
    ok: bool
    status: int | None = None
    error: str | None = None
    unreachable: bool = False  # no answer at all: the endpoint's other deliveries wait for the next run


def deliver_due(now: datetime | None = None, limit: int = DELIVER_BATCH,
                post: Callable[[str, bytes, dict[str, str], float], int] | None = None) -> WebhookReport:
    """Post up to `limit` due deliveries of active endpoints; what happened. `now` is the run's
    moment (default: the clock); `post(url, body, headers, timeout) -> status` is the HTTP call
    (default: urllib, no redirects followed)."""
    clock: Callable[[], datetime] = (lambda: now) if now is not None else now_utc
    config = current_app.config
    max_attempts = int(config["WEBHOOK_MAX_ATTEMPTS"])
    retry_seconds = int(config["WEBHOOK_RETRY_SECONDS"])
    timeout = float(config["WEBHOOK_TIMEOUT_SECONDS"])
    send = post or http_post
    report = WebhookReport()
    active = select(WebhookEndpoint.id).where(WebhookEndpoint.active).scalar_subquery()
    claimed, report.failed = commit_with_retry(
        lambda: outbox.claim_due(_TABLE, clock(), limit, max_attempts, where=[_TABLE.c.endpoint_id.in_(active)])
    )
    report.ids.extend(row_id for row_id, _ in claimed)
    unreachable: dict[int, str] = {}
    for delivery_id, attempt in claimed:
        delivery = db.session.get(WebhookDelivery, delivery_id, populate_existing=True)
        endpoint_id, url, secret = delivery.endpoint_id, delivery.endpoint.url, delivery.endpoint.secret
        event, body = delivery.event, delivery.body.encode()
        db.session.rollback()  # no snapshot or lock held while posting
        if endpoint_id in unreachable:
            outcome = _Attempt(False, error=unreachable[endpoint_id])
        else:
            outcome = _post(send, url, secret, delivery_id, event.value, body, timeout, clock())
            if outcome.unreachable:
                unreachable[endpoint_id] = outcome.error or "unreachable"
        if outcome.ok:
            values = {"status": DeliveryStatus.SENT, "delivered_at": clock(), "response_status": outcome.status,
                      "last_error": None}
        else:
            values = {"response_status": outcome.status, **outbox.failure_values(
                outcome.error or "", attempt, clock(), max_attempts=max_attempts, retry_seconds=retry_seconds)}
        if commit_with_retry(lambda d=delivery_id, n=attempt, v=values: outbox.settle(_TABLE, d, n, v)):
            if outcome.ok:
                report.delivered += 1
            elif values["status"] == DeliveryStatus.FAILED:
                report.failed += 1
            else:
                report.retried += 1
    return report


def _post(send: Callable[[str, bytes, dict[str, str], float], int], url: str, secret: str, delivery_id: int,
          event: str, body: bytes, timeout: float, at: datetime) -> _Attempt:
    timestamp = int(at.timestamp())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Registry-Event": event,
        "X-Registry-Delivery": str(delivery_id),
        "X-Registry-Timestamp": str(timestamp),
        "X-Registry-Signature": signature(secret, timestamp, body),
    }
    try:
        status = send(url, body, headers, timeout)
    except (OSError, ValueError) as error:  # refused, timed out, DNS, TLS: no answer
        return _Attempt(False, error=f"no answer: {type(error).__name__}: {error}"[:500], unreachable=True)
    if 200 <= status < 300:
        return _Attempt(True, status=status)
    return _Attempt(False, status=status, error=f"HTTP {status}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not an instruction: the registry posts only where it was told."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def http_post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST `body`; the HTTP status (an error status is returned, not raised)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - http(s) only, checked at save
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            response.read(65536)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def run_once(now: datetime | None = None) -> WebhookReport:
    """Collect the new entries, then post what is due until nothing more is (a pass of the
    watch loop and of `flask webhooks deliver`)."""
    total = WebhookReport(made=collect())
    while True:
        report = deliver_due(now=now)
        total.delivered += report.delivered
        total.retried += report.retried
        total.failed += report.failed
        total.ids.extend(report.ids)
        if len(report.ids) < DELIVER_BATCH:
            if total.made or total.ids:
                log.info("webhooks: %s", total)
            return total
