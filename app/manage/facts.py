"""The dashboard's copy of each complaint (`complaint_facts`, app/manage/models.py) computed from
scratch: what the triggers must have written. The tests compare the two after a sequence of
workflow operations; bulk loads that bypass the triggers (the benchmark's seeding) call
`rebuild()`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, delete, exists, func, insert, select

from ..complaints.models import Complaint
from ..extensions import db
from ..workflow.models import Breach, CaseMessage, DeadlineKind, Escalation, EscalationReason, MessageKind
from .models import ComplaintFacts

#: Columns copied from the complaint as they are (the same list as the migration's triggers).
COPIED = ("registered_at", "category", "channel", "tier", "status", "owner_id", "transfer_count",
          "first_response_due", "first_responded_at", "resolved_at")
#: complaint_facts' count of escalation rows per reason and of breach rows per kind of deadline.
ESCALATION_COUNTS = {reason: f"escalations_{reason.value}" for reason in EscalationReason}
BREACH_COUNTS = {kind: f"{kind.value}_breaches" for kind in DeadlineKind}
COLUMNS = ("complaint_id", *COPIED, "disputed", *BREACH_COUNTS.values(), "email", "phone",
           *ESCALATION_COUNTS.values())


def _breaches(kind: DeadlineKind) -> Any:
    return (
        select(func.count()).where(Breach.complaint_id == Complaint.id, Breach.kind == kind)
        .scalar_subquery()
    )


def _escalations(reason: EscalationReason) -> Any:
    return (
        select(func.count()).where(Escalation.complaint_id == Complaint.id, Escalation.reason == reason)
        .scalar_subquery()
    )


def recomputed() -> Select:
    """Every complaint's facts row, from the complaints, their dispute messages, breaches and
    escalations."""
    return select(
        Complaint.id,
        *(getattr(Complaint, name) for name in COPIED),
        exists().where(CaseMessage.complaint_id == Complaint.id, CaseMessage.kind == MessageKind.DISPUTE),
        *(_breaches(kind) for kind in BREACH_COUNTS),
        func.lower(Complaint.email),
        Complaint.phone,
        *(_escalations(reason) for reason in ESCALATION_COUNTS),
    )


def stored() -> Select:
    """The facts rows as the triggers keep them, in the same column order."""
    return select(*(getattr(ComplaintFacts, name) for name in COLUMNS))


def rebuild_statement() -> Any:
    """INSERT every complaint's recomputed facts row (into an empty table)."""
    return insert(ComplaintFacts).from_select(list(COLUMNS), recomputed())


def rebuild() -> int:
    """Replace every facts row by its recomputation (in the caller's transaction); the count."""
    db.session.execute(delete(ComplaintFacts))
    db.session.execute(rebuild_statement())
    return db.session.scalar(select(func.count()).select_from(ComplaintFacts)) or 0
