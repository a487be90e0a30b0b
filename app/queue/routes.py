"""The staff queue page, and the countdown's wording (shared with app/static/countdown.js)."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.access import requires
from ..auth.permissions import Permission
from ..clock import now_utc
from ..complaints.categories import category_choices
from ..settings.store import current_policy
from .forms import QueueFilterForm
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


@bp.get("")
@requires(Permission.HANDLE_COMPLAINTS)
def index() -> tuple[str, int]:
    policy, language = current_policy(), str(get_locale() or "en")
    form = QueueFilterForm(request.args, user_tier=current_user.tier, policy=policy, language=language)
    args = form.filter_args()
    context = {
        "form": form, "args": args, "tier_names": {t.level: t.name(language) for t in policy.tiers},
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
    ), 200
