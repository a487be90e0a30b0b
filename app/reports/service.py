"""Make the monthly report: read the month, gather its figures, then render them."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from ..clock import now_utc
from ..settings.store import settings_at
from .context import build_monthly_report_context
from .render import render_monthly_report
from .template import load_report_template

_MONTH = re.compile(r"(\d{4})-(\d{2})")
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


def monthly_report_pdf(year: int, month: int, language: str) -> bytes:
    """The report on the complaints registered in the month (in the organisation's time zone),
    with the figures as of now, in `language` (English when unsupported)."""
    now = now_utc()
    template = replace(load_report_template(Path(current_app.config["PDF_TEMPLATES_DIR"]), language),
                       organisation=settings_at(now).organisation)
    context = build_monthly_report_context(
        year, month, language=template.language, timezone=current_app.config["REGISTRY_TIMEZONE"], now=now
    )
    return render_monthly_report(context, template)


def report_filename(year: int, month: int) -> str:
    """ASCII file name of the report, e.g. "complaints-report-2026-11.pdf"."""
    return f"complaints-report-{year:04d}-{month:02d}.pdf"
