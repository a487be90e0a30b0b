"""Queue notifications inside the unit of work that causes them.

The rows commit (or roll back) with the event they announce; app/notifications/delivery.py
sends them afterwards. Queueing is a plain INSERT, cheap enough for the registration path.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Table

from ..clock import now_utc
from ..database import bulk_insert
from ..extensions import db
from .models import Audience, DeliveryStatus, Notification, NotificationKind


def notification_row(
    kind: NotificationKind,
    complaint_id: int | None,
    audience: Audience,
    *,
    user_id: int | None = None,
    tier: int | None = None,
    params: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """The values of one outbox row (for `queue_rows`; `complaint_id` None for `outbox_row`)."""
    at = at or now_utc()
    return {
        "kind": kind,
        "complaint_id": complaint_id,
        "audience": audience,
        "user_id": user_id,
        "tier": tier,
        "params": json.dumps(params or {}, sort_keys=True, ensure_ascii=False),
        "created_at": at,
        "status": DeliveryStatus.QUEUED,
        "attempts": 0,
        "next_attempt_at": at,
    }


def queue_rows(rows: list[dict[str, Any]]) -> None:
    """INSERT outbox rows: one statement for a few, COPY on PostgreSQL for thousands."""
    bulk_insert(Notification.__table__, rows)
    db.session.info["notifications_queued"] = True


def outbox_row(kind: NotificationKind, audience: Audience, **fields: Any) -> tuple[Table, dict[str, Any]]:
    """An outbox row (its table and values) that the caller INSERTs itself, in one statement
    with the complaint it announces (`registry.registration.append_intake_entry` fills in its
    `complaint_id`); queued like those of `queue_rows`: sent after the commit."""
    db.session.info["notifications_queued"] = True
    return Notification.__table__, notification_row(kind, None, audience, **fields)


def queue(kind: NotificationKind, complaint_id: int, audience: Audience, **fields: Any) -> None:
    queue_rows([notification_row(kind, complaint_id, audience, **fields)])
