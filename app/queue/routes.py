"""The staff queue page with management's bulk actions, and the countdown's wording (shared with app/static/countdown.js)."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.access import requires
from ..auth.models import User
from ..auth.permissions import Permission
from ..clock import now_utc
from ..complaints.categories import category_choices
from ..database import commit_with_retry
from ..desk.actions import handlers
from ..extensions import db
from ..settings.store import current_policy
from .bulk import BulkAction, BulkRefused, apply_to_each, operation
from .forms import BulkForm, QueueFilterForm
from .queries import format_cursor, parse_cursor, queue_counts, queue_line, queue_page

bp = Blueprint("queue", __name__, url_prefix="/staff/queue", template_folder="templates")


def countdown_words() -> dict[str, str]:
    """The countdown's wording with {d}, {h}, {m} and {span} to fill in; the page hands the
    same words to countdown.js, so the text reads alike before and after it updates."""
    return {
        "span-days": _("%(days)s d %(hours)s h", days="{d}", hours="{h}"),
        "span-hours": _("%(hours)s h %(minutes)s min", hours="{h}", minutes="{m}"),
        "span-minutes": _("%(minutes)s min", minutes="{m}"),
        "span-under-minute": _("less than 1 min"),
        "future": _("in %(span)s", span="{span}"),
        "past": _("overdue by %(span)s", span="{span}"),
    }


def countdown_text(due: datetime, now: datetime, words: dict[str, str]) -> str:
    """'in 3 h 12 min', 'overdue by 25 min': whole minutes, rounded down."""
    seconds = (due - now).total_seconds()
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        span = words["span-days"]
    elif hours:
        span = words["span-hours"]
    elif minutes:
        span = words["span-minutes"]
    else:
        span = words["span-under-minute"]
    span = span.replace("{d}", str(days)).replace("{h}", str(hours)).replace("{m}", str(minutes))
    return words["past" if seconds <= 0 else "future"].replace("{span}", span)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def bulk_form(*, submitted: bool) -> BulkForm | None:
    """Management's bulk form (None for everyone else), empty or bound to the request."""
    if not current_user.can(Permission.REVIEW_ESCALATIONS):
        return None
    return BulkForm(**({} if submitted else {"formdata": None}), officers=handlers(), policy=current_policy(),
                    language=str(get_locale() or "en"))


def _queue(bulk: BulkForm | None, status: int = 200) -> tuple[str, int]:
    """The queue page for the filter in the query string, with management's bulk form."""
    policy, language = current_policy(), str(get_locale() or "en")
    form = QueueFilterForm(request.args, user_tier=current_user.tier, policy=policy, language=language)
    args = form.filter_args()
    context = {
        "form": form, "args": args, "tier_names": {t.level: t.name(language) for t in policy.tiers}, "bulk": bulk,
    }
    if not form.validate():
        return render_template("queue/index.html", page=None, **context), 400
    now, fraction = now_utc(), policy.due_soon_fraction
    queue_filter = form.to_filter(current_user.id)
    page = queue_page(
        queue_filter, now, fraction,
        after=parse_cursor(request.args.get("after")), before=parse_cursor(request.args.get("before")),
    )
    words = countdown_words()
    return render_template(
        "queue/index.html", page=page, lines=[queue_line(row, now, fraction) for row in page.rows],
        counts=queue_counts(queue_filter, now, fraction), due_filter=queue_filter.due, now=now,
        categories=dict(category_choices(language, include_retired=True)), words=words,
        countdown=lambda due: countdown_text(due, now, words), iso=_iso, format_cursor=format_cursor,
        first_page=not (request.args.get("after") or request.args.get("before")), **context,
    ), status


@bp.get("")
@requires(Permission.HANDLE_COMPLAINTS)
def index() -> tuple[str, int]:
    return _queue(bulk_form(submitted=False))


@bp.post("/bulk")
@requires(Permission.REVIEW_ESCALATIONS)
def bulk() -> Response | tuple[str, int]:
    """Management's bulk action on the ticked complaints: all of them or none (the queue again,
    with what was ticked and why it was refused); back to the same queue view once done."""
    form = bulk_form(submitted=True)
    if form.validate_on_submit():
        user = current_user._get_current_object()
        action = BulkAction(form.action.data)
        to = db.session.get(User, form.to.data) if action == BulkAction.ASSIGN else None
        perform = operation(action, by=user, to=to, tier=form.tier.data, note=form.note.data)
        try:
            done = commit_with_retry(lambda: [c.number for c in apply_to_each(form.ids.data, perform)])
        except BulkRefused as refused:
            form.refusals = refused.refusals
        else:
            numbers = ", ".join(done)
            flash(_("Assigned to %(name)s: %(numbers)s.", name=to.full_name, numbers=numbers)
                  if action == BulkAction.ASSIGN else
                  _("Moved to tier %(tier)d: %(numbers)s.", tier=form.tier.data, numbers=numbers))
            return redirect(url_for("queue.index", **request.args), code=303)
    return _queue(form, 422)
