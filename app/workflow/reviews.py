"""Which review decisions still stand: a complaint reviewed on the escalation desk shows as
reviewed (who, when, what was decided, the instruction) until it escalates again, that is until
an escalation is signed after the review's entry."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from .models import Escalation, EscalationReview


def standing_reviews(complaint_ids: Iterable[int]) -> dict[int, EscalationReview]:
    """The latest review of each complaint that no later escalation overtook, by complaint id."""
    ids = list(complaint_ids)
    if not ids:
        return {}
    escalated = (select(func.coalesce(func.max(Escalation.entry_position), 0))
                 .where(Escalation.complaint_id == EscalationReview.complaint_id).scalar_subquery())
    reviews = db.session.scalars(
        select(EscalationReview)
        .where(EscalationReview.complaint_id.in_(ids), EscalationReview.entry_position > escalated)
        .options(selectinload(EscalationReview.by), selectinload(EscalationReview.owner))
        .order_by(EscalationReview.entry_position)
    )
    return {review.complaint_id: review for review in reviews}
