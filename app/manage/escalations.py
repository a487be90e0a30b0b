"""The escalation review desk (/manage/escalations): what rose to management or broke a
deadline, oldest first, with why; the actions are on each case page."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from flask import render_template, request
from sqlalchemy import exists, or_, select, tuple_

from ..auth.access import requires
from ..auth.permissions import Permission
from ..clock import now_utc
from ..complaints.models import Complaint
from ..extensions import db
from ..settings.store import current_policy
from ..workflow.deadlines import open_sql
from ..workflow.models import Breach, Escalation
from ..workflow.staffing import unstaffed_tiers
from .blueprint import bp

PAGE_SIZE = 50


@dataclass(frozen=True)
class DeskLine:
    complaint: Complaint
    escalations: list[Escalation]
    breaches: list[Breach]
    age_days: float


def on_the_desk():
    """Open complaints at the management tiers or with a breach on record."""
    policy = current_policy()
    breached = exists().where(Breach.complaint_id == Complaint.id)
    return (
        open_sql(),
        or_(Complaint.tier >= policy.management_tier, Complaint.first_response_breached_at.is_not(None), breached),
    )


def desk_page(after: tuple[datetime, int] | None) -> tuple[list[DeskLine], tuple[datetime, int] | None]:
    """One page, oldest first, and the cursor of the next page (None at the end)."""
    statement = select(Complaint).where(*on_the_desk()).order_by(Complaint.registered_at, Complaint.id)
    if after is not None:
        statement = statement.where(tuple_(Complaint.registered_at, Complaint.id) > tuple_(*after))
    complaints = list(db.session.scalars(statement.limit(PAGE_SIZE + 1)))
    more = len(complaints) > PAGE_SIZE
    complaints = complaints[:PAGE_SIZE]
    ids = [c.id for c in complaints]
    escalations, breaches = defaultdict(list), defaultdict(list)
    for escalation in db.session.scalars(
            select(Escalation).where(Escalation.complaint_id.in_(ids)).order_by(Escalation.id)):
        escalations[escalation.complaint_id].append(escalation)
    for breach in db.session.scalars(select(Breach).where(Breach.complaint_id.in_(ids)).order_by(Breach.id)):
        breaches[breach.complaint_id].append(breach)
    now = now_utc()
    lines = [DeskLine(c, escalations[c.id], breaches[c.id], (now - c.registered_at).total_seconds() / 86400)
             for c in complaints]
    cursor = (complaints[-1].registered_at, complaints[-1].id) if more else None
    return lines, cursor


def _parse_cursor(text: str | None) -> tuple[datetime, int] | None:
    try:
        moment, _, ident = (text or "").partition("_")
        return (datetime.fromisoformat(moment), int(ident)) if text else None
    except ValueError:
        return None


@bp.get("/escalations/", endpoint="escalations")
@requires(Permission.REVIEW_ESCALATIONS)
def index() -> str:
    lines, cursor = desk_page(_parse_cursor(request.args.get("after")))
    total = db.session.scalar(select(db.func.count()).select_from(Complaint).where(*on_the_desk()))
    return render_template(
        "manage/escalations.html", lines=lines, total=total,
        next_after=f"{cursor[0].isoformat()}_{cursor[1]}" if cursor else None,
        tiers={t.level: t for t in current_policy().tiers}, unstaffed=unstaffed_tiers(current_policy()),
    )
