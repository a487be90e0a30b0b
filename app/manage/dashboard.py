"""The SLA dashboard (/manage): the figures of app/manage/figures/ as tables and charts,
filtered by period, category, channel and tier, each table also as a CSV file.

Routes stay thin: read the filter form, compute the figures, lay them out as `Table`s (the
same lines feed the page and the CSV), draw the charts from those lines.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from msgspec import Struct
from wtforms import DateField, SelectField
from wtforms.validators import Optional

from ..audit.models import AuditAction
from ..audit.service import record
from ..auth.access import requires
from ..auth.permissions import Permission
from ..clock import local_day_start, now_utc
from ..complaints.categories import category_choices
from ..complaints.filters import ComplaintFilter
from ..complaints.models import Channel, ComplaintStatus
from ..database import commit_with_retry
from ..dates import format_day, local
from ..forms import AppForm
from ..settings.store import current_policy, current_settings
from ..spreadsheets import as_text
from ..workflow.models import DeadlineKind
from . import charts, figures, outcomes, rollup
from .blueprint import bp
from .figures import Share
from .satisfaction import Line as RatingLine
from .satisfaction import SatisfactionFigures, satisfaction_figures

# --- the filter form -------------------------------------------------------------------------


class DashboardFilterForm(AppForm):
    """Period, category, channel and tier; empty fields do not filter."""

    class Meta:
        csrf = False  # a read-only view by GET

    date_from = DateField(_l("Registered from"), validators=[Optional()])
    date_to = DateField(_l("Registered to"), validators=[Optional()])
    category = SelectField(_l("Category"), validators=[Optional()], validate_choice=True)
    channel = SelectField(_l("Channel"), validators=[Optional()], validate_choice=True)
    tier = SelectField(_l("Tier"), validators=[Optional()], validate_choice=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language = _language()
        any_ = ("", _l("Any"))
        self.category.choices = [any_] + category_choices(language, include_retired=True)
        self.channel.choices = [any_] + [(c.value, c.title) for c in Channel]
        self.tier.choices = [any_] + [(str(t.level), f"{t.level}. {t.name(language)}") for t in current_policy().tiers]

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        return self.registered_in_order(self.date_from, self.date_to) and valid

    def to_filters(self, timezone: str) -> ComplaintFilter:
        """The filters the (validated) fields stand for; dates are whole days in `timezone`."""
        registered_from, registered_before = self.day_range(self.date_from.data, self.date_to.data, timezone)
        return ComplaintFilter(
            registered_from=registered_from,
            registered_before=registered_before,
            category=self.category.data or None,
            channel=Channel(self.channel.data) if self.channel.data else None,
            tier=int(self.tier.data) if self.tier.data else None,
        )


# --- tables: the same lines for the page and the CSV ----------------------------------------


class Table(Struct, frozen=True):
    """Lines of plain values (None: no data); the page and the CSV print the same lines."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


class Context(Struct):
    """What every table is computed for; figures already computed are kept for the others."""

    filters: ComplaintFilter
    now: datetime
    timezone: str
    language: str
    cache: dict[str, Any]
    #: Whether the tables are built together (the page, the spreadsheet: the overview is read
    #: once for all of them) or one alone (a CSV: the overview reads only the part it shows).
    every_table: bool = True

    def figure(self, name: str, compute: Callable[[], Any]) -> Any:
        if name not in self.cache:
            self.cache[name] = compute()
        return self.cache[name]

    def overview(self, part: str) -> figures.Overview:
        """Every figure but the timings, read in one statement; only `part` (of
        `figures.PARTS`) when the tables are built one alone."""
        if self.every_table:
            return self.figure("overview", lambda: figures.overview(self.filters, self.now, self.timezone))
        return self.figure(f"overview {part}", lambda: figures.overview(
            self.filters, self.now, self.timezone, parts=frozenset({part})))

    def summary(self) -> figures.Summary:
        return self.overview("total").summary

    def weeks(self) -> list[figures.Week]:
        return self.overview("week").weeks

    def categories(self) -> list[figures.Group]:
        return self.overview("category").categories

    def tiers(self) -> list[figures.Group]:
        return self.overview("tier").tiers

    def owners(self) -> list[figures.Group]:
        return self.overview("owner").owners

    def open_counts(self) -> figures.OpenCounts:
        return self.overview("open").open_counts

    def timings(self) -> figures.Timings:
        return self.figure("timings", lambda: figures.timings(self.filters))

    def breaches(self) -> figures.Breaches:
        return self.overview("total").breaches

    def backlog(self) -> list[figures.Bucket]:
        return self.overview("total").backlog

    def period(self) -> tuple[datetime, datetime]:
        """The period of the outcome figures: the filter's days; without a first day, the
        current month (in the organisation's time zone); without a last, up to now."""
        start = self.filters.registered_from
        if start is None:
            today = local(self.now, self.timezone).date()
            start = local_day_start(today.replace(day=1), self.timezone)
        return start, self.filters.registered_before or self.now

    def outcomes(self) -> outcomes.OutcomeFigures:
        """Outcomes, redress, closure bands, extensions and breaches of the period, by the dates
        they happened (app/manage/outcomes.py), for the category chosen."""
        def compute() -> outcomes.OutcomeFigures:
            settings = current_settings()
            start, end = self.period()
            return outcomes.outcome_figures(start, end, category=self.filters.category,
                                            policies=settings.clock_policies, calendar=settings.calendar)

        return self.figure("outcomes", compute)

    def satisfaction(self) -> SatisfactionFigures:
        """The complainants' ratings given in the period (app/manage/satisfaction.py), for the
        category chosen."""
        return self.figure("satisfaction", lambda: satisfaction_figures(
            *self.period(), language=self.language, category=self.filters.category, no_owner=_("Nobody")))


def _percent(share: Share) -> float | None:
    return None if share.percent is None else round(share.percent, 1)


def _hours(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _compliance_columns(first: str) -> tuple[str, ...]:
    return (first, _("Complaints"), _("Deadline passed or answered"), _("Answered in time"), _("Compliance, %"))


def _compliance_cells(group: figures.Group) -> tuple[Any, ...]:
    return (group.complaints, group.compliance.total, group.compliance.met, _percent(group.compliance))


def _tier_name(level: int, language: str) -> str:
    try:
        return f"{level}. {current_policy().tier(level).name(language)}"
    except KeyError:
        return str(level)


def bucket_label(bucket: figures.Bucket) -> str:
    if bucket.low_days == 0:
        return _("Under 1 day")
    if bucket.high_days is None:
        return ngettext("%(num)d day or more", "%(num)d days or more", bucket.low_days)
    return _("%(low)d to %(high)d days", low=bucket.low_days, high=bucket.high_days)


def summary_table(c: Context) -> Table:
    s, breaches, timings = c.summary(), c.breaches(), c.timings()
    rows = [
        (_("Complaints registered"), s.complaints),
        (_("Open now"), s.open),
        (_("First response within the deadline, %"), _percent(s.compliance)),
        (_("Answered in time / deadline passed or answered"), f"{s.compliance.met} / {s.compliance.total}"),
        (_("Median time to first response, hours"), _hours(timings.first_response.median)),
        (_("Median time to resolution, hours"), _hours(timings.resolution.median)),
        (_("Reopen rate, %"), _percent(s.reopen_rate)),
        (_("Disputed / answered"), f"{s.reopen_rate.met} / {s.reopen_rate.total}"),
        (_("Transfers per complaint, average"), None if s.transfers_average is None else round(s.transfers_average, 2)),
        (_("Transfers per complaint, most"), s.transfers_max),
        (_("Deadlines breached"), breaches.total),
    ]
    return Table("summary", _("Summary"), (_("Figure"), _("Value")), rows)


def weeks_table(c: Context) -> Table:
    rows = [
        (w.iso, format_day(w.monday, c.language), w.intake, w.compliance.total, w.compliance.met, _percent(w.compliance))
        for w in c.weeks()
    ]
    return Table("weeks", _("Intake and first-response compliance per week"),
                 (_("Week"), _("Monday"), _("Complaints registered"), _("Deadline passed or answered"),
                  _("Answered in time"), _("Compliance, %")), rows)


def categories_table(c: Context) -> Table:
    names = dict(category_choices(c.language, include_retired=True))
    groups = sorted(c.categories(), key=lambda g: (-g.complaints, names.get(g.key, g.key)))
    rows = [(names.get(g.key, g.key), *_compliance_cells(g)) for g in groups]
    return Table("categories", _("Complaints and first-response compliance per category"),
                 _compliance_columns(_("Category")), rows)


def tiers_table(c: Context) -> Table:
    rows = [(_tier_name(g.key, c.language), *_compliance_cells(g))
            for g in c.tiers()]
    return Table("tiers", _("First-response compliance per current tier"), _compliance_columns(_("Tier")), rows)


def owners_table(c: Context) -> Table:
    rows = [(g.name if g.key is not None else _("Not taken yet"), *_compliance_cells(g))
            for g in c.owners()]
    return Table("owners", _("First-response compliance per owner"), _compliance_columns(_("Owner")), rows)


def open_status_table(c: Context) -> Table:
    rows = [(status.title, count) for status, count in c.open_counts().by_status.items()]
    return Table("open_status", _("Open complaints by status"), (_("Status"), _("Open complaints")), rows)


def open_tier_table(c: Context) -> Table:
    rows = [(_tier_name(tier, c.language), count) for tier, count in c.open_counts().by_tier.items()]
    return Table("open_tier", _("Open complaints by tier"), (_("Tier"), _("Open complaints")), rows)


def timings_table(c: Context) -> Table:
    t = c.timings()
    rows = [
        (_("Time to first response"), t.first_response.count, _hours(t.first_response.median), _hours(t.first_response.p90)),
        (_("Time to resolution"), t.resolution.count, _hours(t.resolution.median), _hours(t.resolution.p90)),
    ]
    return Table("timings", _("Time to first response and to resolution"),
                 (_("Measure"), _("Complaints"), _("Median, hours"), _("90th percentile, hours")), rows)


def breaches_table(c: Context) -> Table:
    rows = [(kind.title, count) for kind, count in c.breaches().by_kind.items()]
    return Table("breaches", _("Deadlines breached"), (_("Deadline"), _("Breaches")), rows)


def backlog_table(c: Context) -> Table:
    rows = [(bucket_label(b), b.count) for b in c.backlog()]
    return Table("backlog", _("Age of the open complaints"), (_("Registered"), _("Open complaints")), rows)


def band_label(band: outcomes.Band) -> str:
    """"Within 3 working days", "Over 56 calendar days"."""
    unit = band.limit.unit.title
    if band.over:
        return _("Over %(amount)d %(unit)s", amount=band.limit.amount, unit=unit)
    return _("Within %(amount)d %(unit)s", amount=band.limit.amount, unit=unit)


def flow_table(c: Context) -> Table:
    o = c.outcomes()
    rows = [
        (_("Outstanding at the start of the period"), o.outstanding_at_start),
        (_("Received in the period"), o.opened),
        (_("Decided in the period"), o.resolved),
        (_("Closed in the period"), o.closed),
        (_("Outstanding at the end of the period"), o.outstanding_at_end),
    ]
    return Table("flow", _("Complaints received, decided and outstanding"), (_("Figure"), _("Complaints")), rows)


def outcomes_table(c: Context) -> Table:
    o = c.outcomes()
    rows = [(resolution.title, count) for resolution, count in o.outcomes.items()]
    rows.append((_("Upheld or partly upheld (FCA)"), o.upheld_fca))
    return Table("outcomes", _("Outcomes of the complaints decided in the period"), (_("Outcome"), _("Complaints")),
                 rows)


def redress_table(c: Context) -> Table:
    o = c.outcomes()
    rows: list[tuple[Any, ...]] = [(currency, total, count) for currency, (total, count) in o.redress.items()]
    rows.append((_("Non-monetary remedy"), None, o.remedies))
    return Table("redress", _("Redress paid in the period"), (_("Currency"), _("Paid"), _("Complaints")), rows)


def closure_table(c: Context) -> Table:
    o = c.outcomes()
    rows = [(band_label(band), count) for band, count in o.bands.items()]
    return Table("closure", _("Time from receipt to the decision, paused time left out"),
                 (_("Decided"), _("Complaints")), rows)


def extensions_table(c: Context) -> Table:
    o = c.outcomes()
    extended_kinds = {kind.value for kind in o.extensions}
    kinds = [kind for kind in DeadlineKind if kind in o.breaches or kind.value in extended_kinds]
    extended = {kind.value: count for kind, count in o.extensions.items()}  # a clock kind is a deadline kind
    rows = [(kind.title, extended.get(kind.value, 0), o.breaches.get(kind, 0)) for kind in kinds]
    return Table("extensions", _("Deadlines extended and breached in the period"),
                 (_("Deadline"), _("Extensions"), _("Breaches")), rows)


def satisfaction_table(c: Context) -> Table:
    s = c.satisfaction().overall
    rows = [(_("Ratings"), s.count), (_("Average rating"), s.average)]
    return Table("satisfaction", _("Satisfaction with the handling"), (_("Figure"), _("Value")), rows)


def _ratings_table(name: str, title: str, first: str, lines: list[RatingLine]) -> Table:
    rows = [(line.name, line.count, line.average) for line in lines]
    return Table(name, title, (first, _("Ratings"), _("Average rating")), rows)


def satisfaction_categories_table(c: Context) -> Table:
    return _ratings_table("satisfaction_categories", _("Ratings by category"), _("Category"),
                          c.satisfaction().by_category)


def satisfaction_tiers_table(c: Context) -> Table:
    return _ratings_table("satisfaction_tiers", _("Ratings by tier"), _("Tier"), c.satisfaction().by_tier)


def satisfaction_owners_table(c: Context) -> Table:
    return _ratings_table("satisfaction_owners", _("Ratings by owner"), _("Owner"), c.satisfaction().by_owner)


#: Every table, by the name in its CSV address, in the order the page shows them.
TABLES: dict[str, Callable[[Context], Table]] = {
    "summary": summary_table,
    "weeks": weeks_table,
    "categories": categories_table,
    "backlog": backlog_table,
    "open_status": open_status_table,
    "open_tier": open_tier_table,
    "tiers": tiers_table,
    "owners": owners_table,
    "timings": timings_table,
    "breaches": breaches_table,
    "flow": flow_table,
    "outcomes": outcomes_table,
    "redress": redress_table,
    "closure": closure_table,
    "extensions": extensions_table,
    "satisfaction": satisfaction_table,
    "satisfaction_categories": satisfaction_categories_table,
    "satisfaction_tiers": satisfaction_tiers_table,
    "satisfaction_owners": satisfaction_owners_table,
}


def every_table(c: Context) -> dict[str, Table]:
    """Every table of the page (TABLES), read from one snapshot of the database: its figures
    agree with each other, and the rollups' calendar is looked up once for all of them."""
    with rollup.snapshot():
        return {name: build(c) for name, build in TABLES.items()}


# --- charts from the tables ------------------------------------------------------------------


def _charts(tables: dict[str, Table]) -> dict[str, Markup]:
    weeks = tables["weeks"].rows
    no_complaints = _("No complaints in this period")

    def percent(value: float) -> str:
        return f"{value:g} %"

    drawn = {
        "intake": charts.week_chart(
            [(row[0], row[2]) for row in weeks], chart_id="chart-intake", title=_("Complaints registered per week"),
            empty_text=no_complaints),
        "compliance": charts.week_chart(
            [(row[0], row[5]) for row in weeks], chart_id="chart-compliance", kind="line", y_max=100,
            title=_("First response within the deadline per week, %"), value_format=percent,
            empty_text=no_complaints if not weeks else _("No first-response deadline has passed yet")),
        "categories": charts.bar_chart(
            [(row[0], row[1]) for row in tables["categories"].rows], chart_id="chart-categories",
            title=_("Complaints per category"), empty_text=no_complaints,
            others_label=lambda n: ngettext("%(num)d more category", "%(num)d more categories", n)),
        "backlog": charts.bar_chart(
            [(row[0], row[1]) for row in tables["backlog"].rows], chart_id="chart-backlog",
            title=_("Open complaints by age"), empty_text=_("No open complaints")),
    }
    return {name: Markup(svg) for name, svg in drawn.items()}  # noqa: S704  (charts escape every text they draw)


# --- routes ----------------------------------------------------------------------------------


def _language() -> str:
    return str(get_locale() or "en")


def _context(form: DashboardFilterForm, every_table: bool = True) -> Context:
    timezone = current_app.config["REGISTRY_TIMEZONE"]
    return Context(form.to_filters(timezone), now_utc(), timezone, _language(), {}, every_table)


@bp.get("/", endpoint="dashboard")
@requires(Permission.VIEW_DASHBOARD)
def index() -> tuple[str, int]:
    form = DashboardFilterForm(request.args)
    args = form.filter_args()
    if not form.validate():
        return render_template("manage/dashboard.html", form=form, tables=None, args=args), 400
    context = _context(form)
    tables = every_table(context)
    return render_template(
        "manage/dashboard.html", form=form, args=args, tables=tables, charts=_charts(tables),
        summary=context.summary(), timings=context.timings(), breaches=context.breaches(),
        now=context.now, DeadlineKind=DeadlineKind, ComplaintStatus=ComplaintStatus,
        report_month=f"{local(context.now, context.timezone):%Y-%m}",  # the month input's (ISO) value
        outcome_period=context.period(),
        satisfaction=context.satisfaction(),
        weeks_cut=context.overview("week").weeks_cut, weeks_shown=figures.WEEKS_SHOWN,
    ), 200


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    return as_text(value)


def csv_lines(table: Table) -> Iterator[str]:
    """The table as CSV, line by line (a response streams them): a UTF-8 byte order mark (so
    spreadsheet programs read Cyrillic and Romanian letters right), the heading line, one line
    per row; no data is an empty cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values: list[Any]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    yield "\ufeff" + line(list(table.columns))
    for row in table.rows:
        yield line([_csv_cell(value) for value in row])


def csv_text(table: Table) -> str:
    """The table as CSV in one string (`csv_lines` joined)."""
    return "".join(csv_lines(table))


@bp.get(f"/<any({', '.join(TABLES)}):table>.csv")
@requires(Permission.VIEW_DASHBOARD)
def export_csv(table: str) -> Response:
    form = DashboardFilterForm(request.args)
    if not form.validate():
        return redirect(url_for(".dashboard", **form.filter_args()))
    context = _context(form, every_table=False)
    built = TABLES[table](context)
    commit_with_retry(lambda: record(
        AuditAction.FIGURES_EXPORT, target=f"dashboard: {table}", details={"format": "csv", "filters": form.filter_args()}
    ))
    day = context.now.astimezone(ZoneInfo(context.timezone)).date()
    return Response(  # streamed: the figures were read above, the lines are written as they are sent
        csv_lines(built),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="dashboard-{table}-{day.isoformat()}.csv"'},
    )

