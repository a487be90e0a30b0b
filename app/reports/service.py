"""Make the monthly report: read the month, gather its figures, then render them."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from msgspec.structs import replace

from ..clock import now_utc
from ..languages import normalise_language
from ..manage.issued_returns import ReturnKey, issued_file
from ..settings.store import settings_at
from .context import MonthlyReportContext, Term, build_monthly_report_context, month_filters
from .template import load_report_template

_MONTH = re.compile(r"(\d{4})-(\d{2})")
#: The kind of an issued monthly report (issued_returns.kind).
MONTHLY_REPORT = "monthly_report"
#: Months a report can be asked for (a typo like 0226-11 is refused, not rendered).
FIRST_YEAR, LAST_YEAR = 2000, 2999


class BadMonth(ValueError):
    """The month asked for is not a calendar month written as YYYY-MM."""


def parse_month(text: str | None) -> tuple[int, int]:
    """(year, month) of "2026-11"; raises `BadMonth` with a message for people otherwise."""
    match = _MONTH.fullmatch((text or "").strip())
    if not match:
        raise BadMonth(_("Give the month as YYYY-MM, e.g. 2026-11 (got %(text)s).", text=repr(text)) if text else
                       _("Give the month as YYYY-MM, e.g. 2026-11."))
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        raise BadMonth(_("There is no month %(month)02d: give the month as YYYY-MM, e.g. 2026-11.", month=month))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise BadMonth(_("The year must be between %(first)d and %(last)d (got %(year)d).", first=FIRST_YEAR,
                         last=LAST_YEAR, year=year))
    return year, month


def _rendered(year: int, month: int, language: str) -> tuple[bytes, MonthlyReportContext]:
    from .render import render_monthly_report  # reportlab loads with the first report drawn

    now = now_utc()
    template = replace(load_report_template(Path(current_app.config["PDF_TEMPLATES_DIR"]), language),
                       organisation=settings_at(now).organisation)
    context = build_monthly_report_context(
        year, month, language=template.language, timezone=current_app.config["REGISTRY_TIMEZONE"], now=now
    )
    return render_monthly_report(context, template), context


def monthly_report_pdf(year: int, month: int, language: str) -> bytes:
    """The report on the complaints registered in the month (in the organisation's time zone),
    in `language` (English when unsupported): for a month that has ended, the report as issued
    at its first download (kept and signed, app/manage/issued_returns.py; every later download
    gives the same bytes); for the current or a future month, made now with the figures as of
    now. Called outside a unit of work (the first download of an ended month commits)."""
    timezone = current_app.config["REGISTRY_TIMEZONE"]
    filters = month_filters(year, month, timezone)
    start, end = filters.registered_from, filters.registered_before
    if start is None or end is None or end > now_utc():  # (month_filters sets both)
        return _rendered(year, month, language)[0]

    def first(_signed: dict[str, Any] | None) -> tuple[bytes, dict[str, Any]]:
        # Each language is issued at its own first download; the figures signed are that copy's.
        pdf, context = _rendered(year, month, language)
        return pdf, report_figures(context)

    return issued_file(ReturnKey(MONTHLY_REPORT, start, end, "pdf", normalise_language(language)), first)


def report_figures(context: MonthlyReportContext) -> dict[str, Any]:
    """What the "return_issued" event of a monthly report signs: its headline figures and the
    lines of its tables (plain values)."""
    def plain(value: Any) -> Any:
        if isinstance(value, Term):
            return {"term": value.code, **dict(value.params)}
        if isinstance(value, Decimal):
            return str(value)
        return value

    return {
        "month": context.month, "complaints": context.complaints, "as_of": context.as_of,
        "headlines": {h.code: plain(h.value) for h in context.headlines},
        "tables": {t.code: [[plain(cell) for cell in row] for row in t.rows] for t in context.tables},
    }


def report_filename(year: int, month: int) -> str:
    """ASCII file name of the report, e.g. "complaints-report-2026-11.pdf"."""
    return f"complaints-report-{year:04d}-{month:02d}.pdf"
