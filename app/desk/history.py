"""A case's history for people: its signed registry entries, read back into plain lines."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..registry.chain import fingerprint_of
from ..registry.models import EntryKind, RegistryEntry


@dataclass(frozen=True)
class HistoryItem:
    at: datetime
    kind: EntryKind
    by: str | None  # who did it (a member of staff), None for the complainant's own filing
    reason: str | None
    changes: dict[str, dict[str, Any]]  # field -> {"from": old, "to": new}
    fingerprint: str
    position: int


def case_history(complaint_id: int) -> list[HistoryItem]:
    entries = db.session.scalars(
        select(RegistryEntry).where(RegistryEntry.complaint_id == complaint_id).order_by(RegistryEntry.position)
    )
    items = []
    for entry in entries:
        payload = json.loads(entry.payload)
        by = payload.get("by")
        items.append(
            HistoryItem(
                at=entry.recorded_at,
                kind=entry.kind,
                by=by["name"] if by else None,
                reason=payload.get("reason"),
                changes=payload.get("changes", {}),
                fingerprint=fingerprint_of(entry.digest),
                position=entry.position,
            )
        )
    return items
