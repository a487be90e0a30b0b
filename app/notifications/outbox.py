"""Claiming and settling rows of an outbox table: the e-mail outbox (`notifications`) and the
webhook deliveries (`webhook_deliveries`) alike.

An outbox table has `id`, `status` (DeliveryStatus), `attempts`, `next_attempt_at` and
`last_error`, and a partial index on `next_attempt_at` for the rows queued or being sent. A
sender claims due rows in one short transaction (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite:
the write lock that `commit_with_retry` takes), so two senders never claim the same row; sends
with no transaction open; then settles each row in another short transaction, only while the
claim is still its own (same status and attempt number). A claimed row's `next_attempt_at` is
the moment its claim expires: if the sender dies, the row is due again then.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Table, select, text, update

from ..extensions import db
from .models import DeliveryStatus

log = logging.getLogger(__name__)

#: How long a sender may hold a claimed row before another run may take it over.
CLAIM_TIMEOUT = timedelta(minutes=10)
#: Longest stored error text.
ERROR_LIMIT = 2000


def claim_due(
    table: Table, now: datetime, limit: int, max_attempts: int, *, where: Sequence[ColumnElement[bool]] = (),
) -> tuple[list[tuple[int, int]], int]:
    """Mark up to `limit` due rows `sending` (attempts + 1); return [(id, attempt)] in the order
    due, and how many rows were given up (a sender died during their last allowed attempt)."""
    c = table.c
    due = db.session.execute(
        select(c.id, c.status, c.attempts)
        # The same predicate as the table's partial index, written out as text: a bound parameter
        # list would keep a prepared (generic) plan from using the index.
        .where(text(f"{table.name}.status IN ('queued', 'sending')"), c.next_attempt_at <= now, *where)
        .order_by(c.next_attempt_at, c.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=table)  # PostgreSQL; SQLite already holds the write lock
    ).all()
    abandoned = [row.id for row in due if row.status == DeliveryStatus.SENDING and row.attempts >= max_attempts]
    if abandoned:
        # The last allowed attempt may or may not have reached its recipient.
        db.session.execute(
            update(table).where(c.id.in_(abandoned))
            .values(status=DeliveryStatus.FAILED,
                    last_error="the sender stopped during the last attempt, before recording its outcome")
        )
        log.warning("%s %s: sender died during the last attempt; marked failed", table.name, abandoned)
    ids = [row.id for row in due if row.id not in abandoned]
    if not ids:
        return [], len(abandoned)
    stale = [row.id for row in due if row.status == DeliveryStatus.SENDING and row.id in ids]
    if stale:
        log.warning("%s %s: claim expired (sender died?); claiming them again", table.name, stale)
    claimed = db.session.execute(
        update(table).where(c.id.in_(ids))
        .values(status=DeliveryStatus.SENDING, attempts=c.attempts + 1, next_attempt_at=now + CLAIM_TIMEOUT)
        .returning(c.id, c.attempts)
    ).all()
    order = {row_id: index for index, row_id in enumerate(ids)}
    return sorted(((row.id, row.attempts) for row in claimed), key=lambda pair: order[pair[0]]), len(abandoned)


def release(table: Table, claims: Sequence[tuple[int, int]], now: datetime) -> None:
    """Give claimed rows back unattempted: queued again, due now, the attempt not counted."""
    c = table.c
    for row_id, attempt in claims:
        db.session.execute(
            update(table)
            .where(c.id == row_id, c.status == DeliveryStatus.SENDING, c.attempts == attempt)
            .values(status=DeliveryStatus.QUEUED, attempts=attempt - 1, next_attempt_at=now)
        )


def failure_values(
    error: str, attempt: int, now: datetime, *, max_attempts: int, retry_seconds: int, permanent: bool = False,
) -> dict[str, Any]:
    """How a failed attempt leaves its row: queued again after a doubling wait
    (`retry_seconds`, twice that, ...), or failed for good after `max_attempts`."""
    if permanent or attempt >= max_attempts:
        why = "refused for good" if permanent else f"gave up after {attempt} attempts"
        return {"status": DeliveryStatus.FAILED, "last_error": f"{why}: {error}"[:ERROR_LIMIT]}
    wait = timedelta(seconds=retry_seconds * 2 ** (attempt - 1))
    return {"status": DeliveryStatus.QUEUED, "next_attempt_at": now + wait,
            "last_error": f"attempt {attempt}: {error}"[:ERROR_LIMIT]}


def settle(table: Table, row_id: int, attempt: int, values: dict[str, Any]) -> bool:
    """Write an attempt's outcome while the claim is still this attempt's; False if it was lost."""
    c = table.c
    written = db.session.execute(
        update(table)
        .where(c.id == row_id, c.status == DeliveryStatus.SENDING, c.attempts == attempt)
        .values(**values)
    ).rowcount
    if not written:
        log.warning("%s %s: claim lost before the outcome (%s) was recorded", table.name, row_id, values["status"])
    return bool(written)
