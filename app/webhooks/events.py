"""Which registry entries a webhook announces, and under which event type."""

from __future__ import annotations

import json
from typing import Any

from flask_babel import lazy_gettext as _l

from ..enums import TitledEnum
from ..registry.digest import canonical_json, fingerprint_of, iso_utc
from ..registry.models import EntryKind


class WebhookEvent(TitledEnum):
    """The event types an endpoint may subscribe to."""

    REGISTERED = "registered", _l("Registered")
    TAKEN = "taken", _l("Taken")
    RESPONDED = "responded", _l("Response sent")
    BREACHED = "breached", _l("Deadline breached")
    ESCALATED = "escalated", _l("Escalated")
    DECIDED = "decided", _l("Decision sent")
    CLOSED = "closed", _l("Closed")
    RATED = "rated", _l("Rated by the complainant")


#: The signed workflow event types (the payload's "type") each webhook event stands for.
_BY_EVENT_TYPE = {
    "taken": WebhookEvent.TAKEN,
    "responded": WebhookEvent.RESPONDED,
    "deadline_breached": WebhookEvent.BREACHED,
    "escalated": WebhookEvent.ESCALATED,
    "resolved": WebhookEvent.DECIDED,
    "closed": WebhookEvent.CLOSED,
    "rated": WebhookEvent.RATED,
}


def events_of(kind: EntryKind | str, payload: dict[str, Any]) -> tuple[WebhookEvent, ...]:
    """The webhook events a registry entry is (none, one, or two: a breach the sweep escalated
    is one signed entry, announced as "breached" and as "escalated")."""
    if kind == EntryKind.INTAKE:
        return (WebhookEvent.REGISTERED,)
    if kind != EntryKind.EVENT:
        return ()
    event = _BY_EVENT_TYPE.get(payload.get("type", ""))
    if event is None:
        return ()
    if event == WebhookEvent.BREACHED and payload.get("escalation"):
        return (WebhookEvent.BREACHED, WebhookEvent.ESCALATED)
    return (event,)


def parse_events(stored: str) -> frozenset[WebhookEvent]:
    """An endpoint's stored event list ("registered,taken,...") as event types."""
    return frozenset(WebhookEvent(value) for value in stored.split(",") if value)


def store_events(events: set[WebhookEvent] | frozenset[WebhookEvent]) -> str:
    """Event types as stored on an endpoint: their values in the enum's order, comma-separated."""
    return ",".join(event.value for event in WebhookEvent if event in events)


def body_of(event: WebhookEvent, entry: Any) -> str:
    """The JSON a delivery posts: the event, its complaint, and the signed entry it announces
    (its public part: personal data and free text stay in the registry), the same for every
    endpoint. The delivery's id and signature travel in headers."""
    record = json.loads(entry.payload)
    return canonical_json({
        "event": event.value,
        "number": record.get("number"),
        "recorded_at": iso_utc(entry.recorded_at),
        "entry": {"position": entry.position, "digest": entry.digest, "fingerprint": fingerprint_of(entry.digest)},
        "record": record,
    })
