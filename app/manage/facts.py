"""The dashboard's copy of each complaint (`complaint_facts`, app/manage/models.py) computed from
scratch: what the triggers must have written. The tests compare the two after a sequence of
workflow operations; bulk loads that bypass the triggers (the benchmark's seeding) call
`rebuild()`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, case, delete, func, insert, select

from ..complaints.models import Complaint
from ..extensions import db
from ..workflow.models import Breach, CaseMessage, DeadlineKind, Escalation, EscalationReason, MessageKind
from .models import BREACH_COLUMNS, ComplaintFacts

#: Columns copied from the complaint as they are (the same list as the migration's triggers).
COPIED = ("registered_at", "category", "channel", "tier", "status", "owner_id", "transfer_count",
          "first_response_due", "first_responded_at", "resolved_at")
#: complaint_facts' count of escalation rows per reason and of breach rows per kind of deadline.
ESCALATION_COUNTS = {reason: f"escalations_{reason.value}" for reason in EscalationReason}
BREACH_COUNTS = dict(zip(DeadlineKind, BREACH_COLUMNS, strict=True))
COLUMNS = ("complaint_id", *COPIED, "disputed", *BREACH_COUNTS.values(), "email", "phone",
           *ESCALATION_COUNTS.values())


def _counted_per_complaint(column: Any, values: Any) -> Any:
    """Per complaint, the rows of `column`'s table holding each of `values`: one grouped read of
    the table (a join, not a subquery per complaint: the bulk loads rebuild without indexes)."""
    return (
        select(column.table.c.complaint_id.label("complaint_id"),
               *(func.sum(case((column == value, 1), else_=0)).label(f"n{i}") for i, value in enumerate(values)))
        .group_by(column.table.c.complaint_id).subquery()
    )


def recomputed() -> Select:
    """Every complaint's facts row, from the complaints, their dispute messages, breaches and
    escalations."""
    breaches = _counted_per_complaint(Breach.__table__.c.kind, list(BREACH_COUNTS))
    escalations = _counted_per_complaint(Escalation.__table__.c.reason, list(ESCALATION_COUNTS))
    disputed = (select(CaseMessage.complaint_id).where(CaseMessage.kind == MessageKind.DISPUTE)
                .group_by(CaseMessage.complaint_id).subquery())
    return (
        select(
            Complaint.id,
            *(getattr(Complaint, name) for name in COPIED),
            disputed.c.complaint_id.is_not(None),
            *(func.coalesce(breaches.c[f"n{i}"], 0) for i in range(len(BREACH_COUNTS))),
            func.lower(Complaint.email),
            Complaint.phone,
            *(func.coalesce(escalations.c[f"n{i}"], 0) for i in range(len(ESCALATION_COUNTS))),
        )
        .outerjoin(disputed, disputed.c.complaint_id == Complaint.id)
        .outerjoin(breaches, breaches.c.complaint_id == Complaint.id)
        .outerjoin(escalations, escalations.c.complaint_id == Complaint.id)
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
