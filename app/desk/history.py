"""A case's history for people: its signed registry entries, read back into plain lines."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from msgspec import Struct
from sqlalchemy import select

from ..complaints.categories import category_name
from ..complaints.models import FIELD_TITLES, Channel
from ..extensions import db
from ..registry.digest import fingerprint_of
from ..registry.models import EntryKind, EntryPrivate, RegistryEntry
from ..workflow.models import ReviewDecision

#: Titles of the signed events, by the kind of entry or the event's type.
TITLES = {
    EntryKind.INTAKE.value: _l("Registered"),
    EntryKind.ANNULMENT.value: _l("Annulled"),
    EntryKind.CORRECTION.value: _l("Corrected"),
    "taken": _l("Taken"),
    "transferred": _l("Transferred"),
    "consulted": _l("Internal note"),
    "responded": _l("Response sent"),
    "information_requested": _l("Information requested"),
    "resolved": _l("Decision sent"),
    "closed": _l("Closed"),
    "resumed": _l("Resumed"),
    "escalated": _l("Escalated"),
    "assigned": _l("Owner assigned"),
    "sent_back": _l("Sent back down"),
    "moved": _l("Moved to another tier"),
    "deadline_breached": _l("Deadline breached"),
    "complainant_replied": _l("The complainant replied"),
    "disputed": _l("The complainant disputed"),
    "receipt_printed": _l("Receipt printed"),
    "reopened": _l("Reopened"),
    "letter_posted": _l("Letter posted"),
    "document_issued": _l("Document issued and kept"),
    "documents_added": _l("Documents added"),
    "holding_response_sent": _l("Holding response sent"),
    "clock_extended": _l("Deadline extended"),
    "redress_paid": _l("Redress paid"),
    "referred": _l("Referred to the ADR entity or ombudsman"),
    "joined": _l("Joined to an earlier complaint"),
    "join_received": _l("A repeated complaint joined here"),
    "linked": _l("Related complaint linked"),
    "unlinked": _l("Link undone"),
    "rated": _l("The complainant rated the handling"),
}


class HistoryItem(Struct, frozen=True):
    at: datetime
    kind: EntryKind
    title: str
    by: str | None  # who did it (a member of staff), None for the complainant or the system
    reason: str | None
    changes: dict[str, dict[str, Any]]  # the field's name, for people -> {"from": old, "to": new}
    details: dict[str, Any]  # the event's own facts (escalation, deadline, recipient, ...)
    fingerprint: str
    position: int


def case_history(complaint_id: int, language: str = "en") -> list[HistoryItem]:
    """The complaint's signed entries in order, named for people reading `language`."""
    rows = db.session.execute(
        select(RegistryEntry, EntryPrivate.data)
        .outerjoin(EntryPrivate, EntryPrivate.position == RegistryEntry.position)
        .where(RegistryEntry.complaint_id == complaint_id)
        .order_by(RegistryEntry.position)
    )
    items = []
    for entry, private_text in rows:
        payload = json.loads(entry.payload)
        private = json.loads(private_text) if private_text else {}
        by = payload.get("by")
        key = payload["type"] if entry.kind == EntryKind.EVENT else entry.kind.value
        items.append(
            HistoryItem(
                at=entry.recorded_at,
                kind=entry.kind,
                title=_review_title(payload) if key == "reviewed" else str(TITLES.get(key, key)),
                by=by["name"] if by else None,
                reason=private.get("reason") or private.get("note") or private.get("instruction"),
                changes=_changes(private.get("changes", {}), language),
                details=_details(payload),
                fingerprint=fingerprint_of(entry.digest),
                position=entry.position,
            )
        )
    return items


def _review_title(payload: dict[str, Any]) -> str:
    """"Escalation reviewed: Take it over"."""
    return _("Escalation reviewed: %(decision)s", decision=ReviewDecision(payload["review"]["decision"]).title)


def _changes(changes: dict[str, dict[str, Any]], language: str) -> dict[str, dict[str, Any]]:
    """A correction's changes with each field named for people, a category by its name."""
    named = {}
    for field, change in changes.items():
        if field == "category":
            change = {side: category_name(code, language) if code else code for side, code in change.items()}
        named[str(FIELD_TITLES.get(field, field))] = change
    return named


def _details(payload: dict[str, Any]) -> dict[str, Any]:
    details = {k: payload[k] for k in ("escalation", "tiers", "to", "consulted", "receipt", "received", "letter",
                                       "join", "joined", "link", "rating")
               if payload.get(k)}
    if payload.get("received"):  # a reply or dispute on paper: its channel by name
        details["received"] = {**payload["received"], "channel": Channel(payload["received"]["channel"]).title}
    if payload.get("deadline"):
        details["deadline_due"] = datetime.fromisoformat(payload["deadline"]["due_at"])
    if payload.get("document"):
        details["document"] = {**payload["document"], "what": _document_title(payload["document"])}
    return details


def _document_title(document: dict[str, Any]) -> str:
    """"Receipt (ro)", "Receipt, duplicate 2 (ro)", "Letter OUT-2026/000012 (ro)"."""
    if document["kind"] == "letter":
        return _("Letter %(number)s (%(language)s)", number=document["outgoing_number"], language=document["language"])
    if document["duplicate"]:
        return _("Receipt, duplicate %(n)d (%(language)s)", n=document["duplicate"], language=document["language"])
    return _("Receipt (%(language)s)", language=document["language"])
