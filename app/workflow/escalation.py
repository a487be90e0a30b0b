"""What escalating a complaint means, as plain values: the one definition that both the case
page (`operations.escalate_to`, one complaint through the ORM) and the deadline sweep
(`enforcement`, a batch in bulk) write from.

A complaint rises from its tier to a higher one: the new tier's resolution clock starts (a
resolved or closed complaint's stays stopped), the owner stays answerable until someone at
the new tier takes it over, an escalation row records from, to, why, when and by whom, the
signed event that goes with it says the same, and the new tier is told. The alarm is re-armed
by the caller, once all its changes are made. No session, no request: plain computation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from msgspec import Struct

from ..complaints.models import ComplaintStatus
from ..notifications.models import Audience, NotificationKind
from ..notifications.queue import notification_row
from ..settings.tiers import TierPolicy
from .deadlines import restart_resolution_clock, stopped_resolution_clock
from .models import EscalationReason

#: Statuses in which escalating leaves the resolution clock stopped.
_CLOCK_STOPPED = (ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED)


class Escalating(Protocol):
    """What the planner reads from a complaint (a model instance or a plain row)."""

    id: int
    status: ComplaintStatus
    tier: int


class EscalationPlan(Struct, frozen=True):
    """Everything one escalation writes, except what only the writing knows (the entry position)."""

    #: The complaint's new column values: its tier and its resolution clock.
    changes: dict[str, Any]
    #: The `escalations` row, all but its `entry_position`.
    row: dict[str, Any]
    #: The `escalation` member of the signed event that records it: from, to, reason (the note,
    #: free text, goes in the event's private part).
    signed: dict[str, Any]
    #: Outbox rows (`notifications.queue.queue_rows`): the new tier is told.
    notices: tuple[dict[str, Any], ...]


def plan_escalation(
    complaint: Escalating, to_tier: int, reason: EscalationReason, *, note: str | None, by_id: int | None,
    at: datetime, policy: TierPolicy,
) -> EscalationPlan:
    """Raise `complaint` to `to_tier` at `at`, for `reason`, by the user `by_id` (None: the
    deadline sweep or the complainant). ValueError if `to_tier` is not above its tier."""
    from_tier = complaint.tier
    if to_tier <= from_tier:
        raise ValueError(f"an escalation rises: tier {from_tier} -> {to_tier}")
    clock = (stopped_resolution_clock() if complaint.status in _CLOCK_STOPPED
             else restart_resolution_clock(at, to_tier, policy))
    return EscalationPlan(
        changes={"tier": to_tier, **clock},
        row={"complaint_id": complaint.id, "from_tier": from_tier, "to_tier": to_tier, "reason": reason,
             "note": note, "escalated_at": at, "by_id": by_id},
        signed={"from": from_tier, "to": to_tier, "reason": reason.value},
        notices=(notification_row(
            NotificationKind.ESCALATED, complaint.id, Audience.TIER, tier=to_tier, at=at,
            params={"from_tier": from_tier, "to_tier": to_tier, "reason": reason.value, "note": note},
        ),),
    )
