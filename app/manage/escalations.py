"""The escalation review desk (/manage/escalations): what rose to management or broke a
deadline, oldest first, with why and how it was reviewed; the review decision (keep with the
owner, take over, send back) on its own page, the other actions on each case page."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from msgspec import Struct
from sqlalchemy import exists, func, or_, select, text, tuple_

from ..auth.access import requires
from ..auth.models import User
from ..auth.permissions import Permission
from ..clock import now_utc
from ..complaints.access import find_by_reference
from ..complaints.errors import ComplaintChangeRefused
from ..complaints.models import Complaint
from ..database import commit_with_retry
from ..desk.actions import handlers
from ..extensions import db
from ..settings.store import current_policy
from ..workflow import rules
from ..workflow.deadlines import open_sql
from ..workflow.forms import ReviewForm
from ..workflow.models import Breach, Escalation, EscalationReview, ReviewDecision
from ..workflow.operations import latest_escalation, review_escalation
from ..workflow.reviews import standing_reviews
from ..workflow.staffing import unstaffed_tiers
from ..workflow.states import OPEN
from . import rollup
from .blueprint import bp
from .facts import BREACH_COUNTS
from .models import ROLLED_OPEN_SQL
from .models import ComplaintFacts as Facts

PAGE_SIZE = 50


class DeskLine(Struct, frozen=True):
    complaint: Complaint
    escalations: list[Escalation]
    breaches: list[Breach]
    age_days: float
    #: The review decision that still stands (None: not reviewed since it last escalated).
    review: EscalationReview | None = None


def on_the_desk():
    """Open complaints (a joined one is not: it is handled through its main one) at the management
    tiers or with a breach on record."""
    policy = current_policy()
    breached = exists().where(Breach.complaint_id == Complaint.id)
    return (
        open_sql(),
        or_(Complaint.tier >= policy.management_tier, Complaint.first_response_breached_at.is_not(None), breached),
    )


def desk_total() -> int:
    """How many complaints are on the desk (as `on_the_desk`), counted from the dashboard's copy
    of the open work: complaint_facts' partial index of unsettled complaints carries the status,
    the tier and a count of breach rows per kind of deadline, so the count is read from that
    index alone instead of one complaint row and one breach lookup per open complaint. (A
    first-response breach is recorded as a breach row; `first_response_breached_at` is set with it.)"""
    on_desk = or_(Facts.tier >= current_policy().management_tier,
                  *(getattr(Facts, column) > 0 for column in BREACH_COUNTS.values()))
    # The open work read live, and the old open work the rollups count (`rollup.roll`): each
    # from its own partial index, never the same complaint twice.
    live = select(func.count()).select_from(Facts).where(rollup.unsettled(), Facts.status.in_(sorted(OPEN)), on_desk)
    rolled = select(func.count()).select_from(Facts).where(text(ROLLED_OPEN_SQL), on_desk)
    return db.session.scalar(select(live.scalar_subquery() + rolled.scalar_subquery())) or 0


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
    reviews = standing_reviews(ids)
    lines = [DeskLine(c, escalations[c.id], breaches[c.id], (now - c.registered_at).total_seconds() / 86400,
                      reviews.get(c.id)) for c in complaints]
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
    total = desk_total()
    return render_template(
        "manage/escalations.html", lines=lines, total=total,
        next_after=f"{cursor[0].isoformat()}_{cursor[1]}" if cursor else None,
        tiers={t.level: t for t in current_policy().tiers}, unstaffed=unstaffed_tiers(current_policy()),
    )


def review_form(complaint: Complaint, *, submitted: bool) -> tuple[ReviewForm, int | None]:
    """The review form, empty or bound to the request, and the tier a "send back" returns the
    complaint to (None: it did not rise from a lower tier). The officers offered are those
    `rules.may_take_back` allows; the owner, who kept it through the escalation, is chosen first."""
    escalation = latest_escalation(complaint)
    back_to = escalation.from_tier if escalation is not None and escalation.from_tier < complaint.tier else None
    officers = [u for u in handlers() if back_to is not None and rules.may_take_back(u, back_to, complaint)]
    form = ReviewForm(prefix="review", colleagues=officers, **({} if submitted else {"formdata": None}))
    if not submitted and any(u.id == complaint.owner_id for u in officers):
        form.to.data = complaint.owner_id
    return form, back_to


@bp.route("/escalations/<path:reference>/review", methods=["GET", "POST"], endpoint="review")
@requires(Permission.REVIEW_ESCALATIONS)
def review(reference: str) -> Response | tuple[str, int]:
    """Record a review decision on one complaint; back to the desk once done, or the page
    again with what was chosen and why it was refused."""
    complaint = find_by_reference(reference)
    if complaint is None:
        abort(404)
    user: User = current_user._get_current_object()
    form, back_to = review_form(complaint, submitted=request.method == "POST")
    if form.validate_on_submit():
        to = db.session.get(User, form.to.data) if form.to.data else None
        try:
            commit_with_retry(lambda: review_escalation(
                complaint, decision=ReviewDecision(form.decision.data), instruction=form.instruction.data,
                by=user, to=to))
        except ComplaintChangeRefused as refused:
            db.session.rollback()
            form.form_errors.append(str(refused))
        else:
            flash(_("The review of %(number)s is recorded: %(decision)s.", number=complaint.number,
                    decision=ReviewDecision(form.decision.data).title))
            return redirect(url_for("manage.escalations"), code=303)
        db.session.refresh(complaint)
    escalations = list(db.session.scalars(
        select(Escalation).where(Escalation.complaint_id == complaint.id).order_by(Escalation.id)))
    return render_template(
        "manage/review.html", complaint=complaint, form=form, back_to=back_to, escalations=escalations,
        review=standing_reviews([complaint.id]).get(complaint.id), open=rules.can_review(user, complaint),
        tiers={t.level: t for t in current_policy().tiers},
    ), 422 if request.method == "POST" else 200
