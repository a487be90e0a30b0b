"""The monthly report's data: plain values for one calendar month, nothing to query later.

`MonthlyReportContext` is the whole contract between the figures and the PDF renderer
(`app.reports.render`), as `LetterContext` is for the letter: the renderer draws these
values and never touches the database, the clock or Flask.

The numbers are the dashboard's: the month becomes a dashboard filter (registered from the
1st, 00:00, to the 1st of the next month, in the organisation's time zone), and the lines of
every table come from the dashboard's own `Table` builders (app/manage/dashboard.py), so the
PDF and /manage?date_from=…&date_to=… show the same figures. Only the words change: a label
the wording owns (a status, a deadline, an age bucket) is kept as a `Term` for the renderer
to write in the report's language; names that are data (categories, tiers, owners) come in
the report's language already.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from msgspec import Struct

from ..clock import local_day_start
from ..complaints.filters import ComplaintFilter
from ..dates import format_day, format_moment, format_month
from ..manage import dashboard, figures, satisfaction
from ..manage.figures import Share
from ..workflow.models import DeadlineKind

#: How a column's (or a headline's) numbers are written.
Kind = Literal["text", "count", "percent", "hours", "decimal"]


class Term(Struct, frozen=True):
    """A label in the report's wording: `code` names it in the template's `terms`, and
    `params` fill its placeholders (counts)."""

    code: str
    params: tuple[tuple[str, int], ...] = ()


Cell = str | int | float | Term | None  # None: no data


class Column(Struct, frozen=True):
    code: str  # its heading in the template's `columns`
    kind: Kind


class ReportTable(Struct, frozen=True):
    """One of the dashboard's tables: `code` names its title in the template's `tables`."""

    code: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]


class Headline(Struct, frozen=True):
    """A headline figure: its value, and a detail line (`detail` names it in the template's
    `details`, `detail_values` fill it: name, value, kind)."""

    code: str
    value: int | float | None
    kind: Kind
    detail: str | None = None
    detail_values: tuple[tuple[str, int | float | None, Kind], ...] = ()


class BarChart(Struct, frozen=True):
    """A simple bar chart: `code` names its title in the template's `charts`; "columns" are
    upright (weeks in order), "bars" lie down (a label each, longest first)."""

    code: str
    shape: Literal["columns", "bars"]
    bars: tuple[tuple[str | Term, int], ...]


class MonthlyReportContext(Struct, frozen=True):
    """Everything printed in one monthly report, already in its language where it is data."""

    language: str  # "en", "ru", "ro" or "uk": selects the wording in pdf_templates/report/
    month: str  # "2026-11": printed in the stamp
    period: str  # the month named in the language: "November 2026", "noiembrie 2026"
    # Days and moments in the language's one style (app/dates.py), local time:
    first_day: str  # "1 Nov 2026", "01.11.2026"
    last_day: str  # "30 Nov 2026"
    as_of: str  # when the figures were read: "2 Dec 2026, 10:00"
    generated_on: str  # the day the report was made
    stamp_date: str  # the same day, in the stamp's centre
    complaints: int  # registered in the month (not annulled)
    headlines: tuple[Headline, ...]
    charts: tuple[BarChart, ...]
    tables: tuple[ReportTable, ...]


def month_filters(year: int, month: int, timezone: str) -> ComplaintFilter:
    """Complaints registered in the calendar month, in the organisation's time zone."""
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return ComplaintFilter(registered_from=local_day_start(first, timezone),
                           registered_before=local_day_start(following, timezone))


def build_monthly_report_context(
    year: int, month: int, *, language: str, timezone: str, now: datetime
) -> MonthlyReportContext:
    """Compute the month's figures (as of `now`) and lay them out for printing in `language`."""
    c = dashboard.Context(month_filters(year, month, timezone), now, timezone, language, {})
    page = dashboard.every_table(c)  # the dashboard's lines
    tables = _tables(c, page)
    first = date(year, month, 1)
    last = date(year + month // 12, month % 12 + 1, 1).toordinal() - 1
    return MonthlyReportContext(
        language=language,
        month=f"{year:04d}-{month:02d}",
        period=format_month(first, language),
        first_day=format_day(first, language),
        last_day=format_day(date.fromordinal(last), language),
        as_of=format_moment(now, language, timezone),
        generated_on=format_day(now, language, timezone),
        stamp_date=format_day(now, language, timezone),
        complaints=c.summary().complaints,
        headlines=_headlines(c),
        charts=_charts(tables),
        tables=tuple(tables.values()),
    )


# --- headline figures -------------------------------------------------------------------------


def _percent(share: Share) -> float | None:
    return None if share.percent is None else round(share.percent, 1)  # as the dashboard rounds


def _hours(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _headlines(c: dashboard.Context) -> tuple[Headline, ...]:
    s, t, b = c.summary(), c.timings(), c.breaches()
    first, resolution = DeadlineKind.FIRST_RESPONSE, DeadlineKind.RESOLUTION
    return (
        Headline("complaints", s.complaints, "count"),
        Headline("open", s.open, "count"),
        Headline("compliance", _percent(s.compliance), "percent", "share",
                 (("met", s.compliance.met, "count"), ("total", s.compliance.total, "count"))),
        Headline("first_response", _hours(t.first_response.median), "hours",
                 "timing" if t.first_response.p90 is not None else None,
                 (("p90", _hours(t.first_response.p90), "hours"),)),
        Headline("resolution", _hours(t.resolution.median), "hours",
                 "timing" if t.resolution.p90 is not None else None,
                 (("p90", _hours(t.resolution.p90), "hours"),)),
        Headline("reopened", _percent(s.reopen_rate), "percent", "answered",
                 (("met", s.reopen_rate.met, "count"), ("total", s.reopen_rate.total, "count"))),
        Headline("breaches", b.total, "count", "breaches",
                 (("first", b.by_kind.get(first, 0), "count"), ("resolution", b.by_kind.get(resolution, 0), "count"))),
        Headline("transfers", None if s.transfers_average is None else round(s.transfers_average, 2), "decimal",
                 "transfers" if s.transfers_max is not None else None,
                 (("most", s.transfers_max, "count"),)),
        Headline("satisfaction", c.satisfaction().overall.average, "decimal", "ratings",
                 (("count", c.satisfaction().overall.count, "count"),)),
    )


# --- tables: the dashboard's lines, labels in the report's words ------------------------------

_COMPLIANCE: tuple[tuple[str, Kind], ...] = (
    ("complaints", "count"), ("eligible", "count"), ("in_time", "count"), ("compliance", "percent"),
)


def _columns(*columns: tuple[str, Kind]) -> tuple[Column, ...]:
    return tuple(Column(code, kind) for code, kind in columns)


def _relabel(table: dashboard.Table, labels: list[str | Term]) -> tuple[tuple[Cell, ...], ...]:
    """The table's lines with the first cell replaced, line by line, by `labels`."""
    return tuple((label, *row[1:]) for label, row in zip(labels, table.rows, strict=True))


def _bucket_term(bucket: figures.Bucket) -> Term:
    if bucket.low_days == 0:
        return Term("backlog.under", (("high", bucket.high_days or 1),))
    if bucket.high_days is None:
        return Term("backlog.over", (("low", bucket.low_days),))
    return Term("backlog.range", (("low", bucket.low_days), ("high", bucket.high_days)))


def _tables(c: dashboard.Context, page: dict[str, dashboard.Table]) -> dict[str, ReportTable]:
    owners = c.owners()  # the keys of the owners' lines, same order
    rows: dict[str, tuple[tuple[Column, ...], tuple[tuple[Cell, ...], ...]]] = {
        "weeks": (_columns(("week", "text"), ("monday", "text"), ("registered", "count"), ("eligible", "count"),
                           ("in_time", "count"), ("compliance", "percent")),
                  tuple(page["weeks"].rows)),
        "categories": (_columns(("category", "text"), *_COMPLIANCE), tuple(page["categories"].rows)),
        "backlog": (_columns(("age", "text"), ("open", "count")),
                    _relabel(page["backlog"], [_bucket_term(b) for b in c.backlog()])),
        "open_status": (_columns(("status", "text"), ("open", "count")),
                        _relabel(page["open_status"], [Term(f"status.{s.value}") for s in c.open_counts().by_status])),
        "open_tier": (_columns(("tier", "text"), ("open", "count")), tuple(page["open_tier"].rows)),
        "tiers": (_columns(("tier", "text"), *_COMPLIANCE), tuple(page["tiers"].rows)),
        "owners": (_columns(("owner", "text"), *_COMPLIANCE),
                   _relabel(page["owners"], [g.name if g.key is not None else Term("owner.none") for g in owners])),
        "timings": (_columns(("measure", "text"), ("complaints", "count"), ("median", "hours"), ("p90", "hours")),
                    _relabel(page["timings"], [Term("measure.first_response"), Term("measure.resolution")])),
        "breaches": (_columns(("deadline", "text"), ("breaches", "count")),
                     _relabel(page["breaches"], [Term(f"deadline.{kind.value}") for kind in c.breaches().by_kind])),
        **_outcome_tables(c, page),
        **_satisfaction_tables(c),
    }
    return {code: ReportTable(code, columns, lines) for code, (columns, lines) in rows.items()}


def _satisfaction_tables(
    c: dashboard.Context,
) -> dict[str, tuple[tuple[Column, ...], tuple[tuple[Cell, ...], ...]]]:
    """The ratings complainants gave in the month (app/manage/satisfaction.py): count and
    average by category, tier and owner."""
    s = c.satisfaction()

    def lines(group: list[satisfaction.Line], none: Term | None = None) -> tuple[tuple[Cell, ...], ...]:
        return tuple((line.name if line.key is not None or none is None else none, line.count, line.average)
                     for line in group)

    return {
        f"satisfaction_{name}": (_columns((first, "text"), ("ratings", "count"), ("average_rating", "decimal")), rows)
        for name, first, rows in (("categories", "category", lines(s.by_category)), ("tiers", "tier", lines(s.by_tier)),
                                  ("owners", "owner", lines(s.by_owner, Term("owner.none"))))
    }


def _outcome_tables(
    c: dashboard.Context, page: dict[str, dashboard.Table]
) -> dict[str, tuple[tuple[Column, ...], tuple[tuple[Cell, ...], ...]]]:
    """The month's outcomes, redress, closure bands, extensions and breaches, by the day each
    happened (app/manage/outcomes.py): the dashboard's lines in the report's words."""
    o = c.outcomes()
    flow = ["flow.outstanding_start", "flow.received", "flow.decided", "flow.closed", "flow.outstanding_end"]
    outcome_terms = [Term(f"outcome.{resolution.value}") for resolution in o.outcomes] + [Term("outcome.upheld_fca")]
    currencies: list[str | Term] = [*o.redress, Term("redress.remedy")]
    bands = [Term(f"band.{'over' if band.over else 'within'}.{band.limit.unit.value}",
                  (("amount", band.limit.amount),)) for band in o.bands]
    extended = {kind.value for kind in o.extensions}
    deadlines = [Term(f"deadline.{kind.value}") for kind in DeadlineKind if kind in o.breaches or kind.value in extended]
    return {
        "flow": (_columns(("figure", "text"), ("complaints", "count")), _relabel(page["flow"], [Term(t) for t in flow])),
        "outcomes": (_columns(("outcome", "text"), ("complaints", "count")), _relabel(page["outcomes"], outcome_terms)),
        "redress": (_columns(("currency", "text"), ("paid", "decimal"), ("complaints", "count")),
                    _relabel(page["redress"], currencies)),
        "closure": (_columns(("band", "text"), ("complaints", "count")), _relabel(page["closure"], bands)),
        "extensions": (_columns(("deadline", "text"), ("extensions", "count"), ("breaches", "count")),
                       _relabel(page["extensions"], deadlines)),
    }


def _charts(tables: dict[str, ReportTable]) -> tuple[BarChart, ...]:
    """Intake per week, complaints per category (most first), open complaints by age."""
    return (
        BarChart("intake", "columns", tuple((str(row[0]), int(row[2] or 0)) for row in tables["weeks"].rows)),
        BarChart("categories", "bars", tuple((str(row[0]), int(row[1] or 0)) for row in tables["categories"].rows)),
        BarChart("backlog", "bars", tuple((row[0], int(row[1] or 0)) for row in tables["backlog"].rows)),  # type: ignore[misc]
    )
