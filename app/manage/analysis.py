"""Complaint analysis (/manage/analysis): what keeps coming back, so causes get fixed.

- *Categories over time*: complaints per category per ISO week (organisation's time zone).
- *Spikes*: a category whose weekly count reached at least `SPIKE_MIN_COUNT` and grew by at
  least `SPIKE_GROWTH` (50 %) over the week before.
- *Repeat complainants*: the same e-mail address (case-insensitive) or phone number behind two
  or more complaints in the period, with their latest numbers (two statements, however many).
- *Why complaints rose*: escalations in the period by reason, breaches by deadline, and the
  complaints that were passed on (transferred at least once).

Every figure is one grouped query over the complaints counted by the dashboard's filters
(app.manage.figures.counted); comparing weeks is done on those few grouped rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import Subquery, and_, func, select, union_all

from ..auth.access import requires
from ..auth.permissions import Permission
from ..complaints.categories import category_name
from ..complaints.filters import ComplaintFilter
from ..complaints.models import Complaint
from ..extensions import db
from ..workflow.models import Breach, DeadlineKind, Escalation, EscalationReason
from . import charts
from .blueprint import bp
from .dashboard import DashboardFilterForm
from .figures import counted, week_limits

SPIKE_MIN_COUNT = 5
SPIKE_GROWTH = 0.5
REPEAT_LIMIT = 25


@dataclass(frozen=True)
class CategoryTrend:
    weeks: list[date]  # Mondays
    counts: dict[str, list[int]]  # category code -> complaints per week, in `weeks` order


@dataclass(frozen=True)
class Spike:
    category: str
    week: date
    count: int
    previous: int


@dataclass(frozen=True)
class Repeat:
    contact: str  # the e-mail address or phone number
    complaints: int
    numbers: list[str]  # the newest first, at most five


@dataclass(frozen=True)
class RiseReasons:
    escalations: dict[EscalationReason, int]
    breaches: dict[DeadlineKind, int]
    transferred: int  # complaints passed on at least once
    complaints: int


def category_trend(f: ComplaintFilter, timezone: str) -> CategoryTrend:
    limited = week_limits(f, timezone)
    if limited is None:
        return CategoryTrend([], {})
    mondays, limits = limited
    complaints = (
        select(Complaint.registered_at, Complaint.category).where(*counted(f, Complaint)).subquery("counted")
    )
    rows = db.session.execute(
        select(limits.c.week, complaints.c.category, func.count().label("complaints"))
        .select_from(limits)
        .join(complaints, and_(complaints.c.registered_at >= limits.c.starts,
                               complaints.c.registered_at < limits.c.ends))
        .group_by(limits.c.week, complaints.c.category)
    ).all()
    counts: dict[str, list[int]] = {}
    for row in rows:
        counts.setdefault(row.category, [0] * len(mondays))[row.week] = row.complaints
    ordered = dict(sorted(counts.items(), key=lambda item: (-sum(item[1]), item[0])))
    return CategoryTrend(mondays, ordered)


def spikes(trend: CategoryTrend, *, min_count: int = SPIKE_MIN_COUNT, growth: float = SPIKE_GROWTH) -> list[Spike]:
    """Weeks in which a category jumped, newest first."""
    found = [
        Spike(category, trend.weeks[i], counts[i], counts[i - 1])
        for category, counts in trend.counts.items()
        for i in range(1, len(counts))
        if counts[i] >= min_count and counts[i] >= counts[i - 1] * (1 + growth) and counts[i] > counts[i - 1]
    ]
    return sorted(found, key=lambda s: (s.week, s.count - s.previous), reverse=True)


def _contacts(f: ComplaintFilter, among: list[str] | None = None) -> Subquery:
    """Every counted complaint once per contact it gives: its e-mail address (lower case) and
    its phone number, one row each (UNION ALL). `among` narrows both halves to those contacts,
    so each half reads its own index (ix_complaints_lower_email, ix_complaints_phone).

    The two kinds never meet: an address holds an "@", a phone number is in E.164 ("+" and digits).
    """
    halves = []
    for column in (func.lower(Complaint.email), Complaint.phone):
        conditions = [*counted(f, Complaint), column.is_not(None)]
        if among is not None:
            conditions.append(column.in_(among))
        halves.append(
            select(column.label("contact"), Complaint.id, Complaint.number, Complaint.registered_at).where(*conditions)
        )
    return union_all(*halves).subquery("contacts")


def repeat_complainants(f: ComplaintFilter, limit: int = REPEAT_LIMIT) -> list[Repeat]:
    """Contacts behind two complaints or more in the period, the most frequent first (ties by
    contact), each with its five latest complaint numbers.

    Two statements whatever `limit` is: the grouped counts of e-mail addresses and phone numbers
    together, then the latest numbers of all the contacts found (a window per contact).
    """
    contacts = _contacts(f)
    complaints = func.count().label("complaints")
    # Ties in byte order on both databases (a PostgreSQL database's collation may sort "+", "."
    # and "_" unlike SQLite), so the same contacts make the cut at `limit`.
    in_order = contacts.c.contact
    if db.session.get_bind().dialect.name == "postgresql":
        in_order = in_order.collate("C")
    top = db.session.execute(
        select(contacts.c.contact, complaints)
        .group_by(contacts.c.contact)
        .having(func.count() > 1)
        .order_by(complaints.desc(), in_order)
        .limit(limit)
    ).all()
    if not top:
        return []
    theirs = _contacts(f, among=[row.contact for row in top])
    place = func.row_number().over(
        partition_by=theirs.c.contact, order_by=(theirs.c.registered_at.desc(), theirs.c.id.desc())
    ).label("place")
    ranked = select(theirs.c.contact, theirs.c.number, place).subquery("ranked")
    numbers: dict[str, list[str]] = {}
    for contact, number in db.session.execute(
        select(ranked.c.contact, ranked.c.number).where(ranked.c.place <= 5).order_by(ranked.c.contact, ranked.c.place)
    ):
        numbers.setdefault(contact, []).append(number)
    return [Repeat(row.contact, row.complaints, numbers.get(row.contact, [])) for row in top]


def rise_reasons(f: ComplaintFilter) -> RiseReasons:
    in_figures = and_(*counted(f, Complaint))
    escalations = dict(db.session.execute(
        select(Escalation.reason, func.count()).join(Complaint, Complaint.id == Escalation.complaint_id)
        .where(in_figures).group_by(Escalation.reason)
    ).all())
    breaches = dict(db.session.execute(
        select(Breach.kind, func.count()).join(Complaint, Complaint.id == Breach.complaint_id)
        .where(in_figures).group_by(Breach.kind)
    ).all())
    transferred, complaints = db.session.execute(
        select(func.count().filter(Complaint.transfer_count > 0), func.count()).where(in_figures)
    ).one()
    ordered = dict(sorted(((EscalationReason(r), n) for r, n in escalations.items()), key=lambda item: -item[1]))
    return RiseReasons(ordered, {DeadlineKind(k): n for k, n in breaches.items()}, transferred, complaints)


@bp.get("/analysis/", endpoint="analysis")
@requires(Permission.VIEW_DASHBOARD)
def index() -> tuple[str, int]:
    form = DashboardFilterForm(request.args)
    if not form.validate():
        return render_template("manage/analysis.html", form=form, trend=None), 400
    timezone = current_app.config["REGISTRY_TIMEZONE"]
    f = form.to_filters(timezone)
    trend = category_trend(f, timezone)
    reasons = rise_reasons(f)
    language = str(get_locale() or "en")
    names = {code: category_name(code, language) for code in trend.counts}
    chart = Markup(charts.bar_chart(  # noqa: S704  (charts escape every text they draw)
        [(reason.title, n) for reason, n in reasons.escalations.items()],
        chart_id="chart-escalation-reasons", title=_("Why complaints rose (escalations)"),
        empty_text=_("No escalations in this period"),
    ))
    return render_template(
        "manage/analysis.html", form=form, trend=trend, names=names, spikes=spikes(trend),
        repeats=repeat_complainants(f), reasons=reasons, chart=chart,
        spike_min_count=SPIKE_MIN_COUNT, spike_growth=int(SPIKE_GROWTH * 100),
    ), 200
