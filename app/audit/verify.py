"""Walk the audit trail's hash chain and report every event that was altered, removed or
reordered (`flask registry verify` reports these beside the registry's own findings).

It sits with app/registry/verify.py in the layer of pages and commands (tests/test_architecture.py),
above the records, because it reports with that module's `Problem`.
"""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..registry.digest import GENESIS_DIGEST
from ..registry.findings import Problem
from .chain import digest_of_event
from .models import AuditChainHead, AuditEvent


def verify_audit_trail(batch_size: int = 5000) -> list[Problem]:
    """Every break in the audit chain: an event edited (its fields no longer give its digest),
    events removed in the middle (a gap in the positions, a broken link) or at the end (the
    head names a later event), events reordered (moved positions or ids). `position` is the
    event's place in the audit chain."""
    problems: list[Problem] = []
    expected_position, previous_digest, previous_id = 1, GENESIS_DIGEST, 0
    events = db.session.scalars(
        select(AuditEvent).order_by(AuditEvent.position).execution_options(yield_per=batch_size)
    )
    for event in events:
        if event.position != expected_position:
            problems.append(Problem(
                f"audit trail: events #{expected_position}..#{event.position - 1} were removed",
                position=expected_position,
            ))
        if event.prev_digest != previous_digest:
            problems.append(Problem(
                "audit trail: the event does not follow the one before it (an event was removed or reordered)",
                position=event.position, expected=previous_digest, found=event.prev_digest,
            ))
        recomputed = digest_of_event(event)
        if recomputed != event.digest:
            problems.append(Problem(
                "audit trail: altered: the event's content does not match its digest",
                position=event.position, expected=event.digest, found=recomputed,
            ))
        # Ids come from a sequence while the head is locked, so they rise with the positions.
        if event.id <= previous_id:
            problems.append(Problem(
                f"audit trail: the event's id {event.id} is not after the previous event's {previous_id} "
                "(events were renumbered or reordered)",
                position=event.position,
            ))
        expected_position, previous_digest, previous_id = event.position + 1, event.digest, event.id

    head = db.session.get(AuditChainHead, 1)
    last = (expected_position - 1, previous_digest)
    if head is None:
        if last[0]:
            problems.append(Problem(f"audit trail: its head is missing, though the trail reaches event #{last[0]}"))
    elif (head.position, head.digest) != last:
        problems.append(Problem(
            f"audit trail: the trail ends at event #{last[0]} but its head names #{head.position}: "
            "events at the end were removed or replaced",
            position=head.position, expected=f"#{head.position} {head.digest}", found=f"#{last[0]} {last[1]}",
        ))
    return problems
