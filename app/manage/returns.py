"""Regulator returns: which returns there are, the figures each states for a period, and the
return as a CSV, XLSX or PDF file (docs/returns.md).

- "fca": the FCA complaints return (DISP 1 Annex 1R): opened, closed (the final response: the
  decision), closed within 3 business days / after that but within 8 weeks / after 8 weeks
  (paused time left out, as for the closure bands), upheld (partly upheld included),
  outstanding at the start and at the end, total redress paid per currency.
- "ukgc": the Gambling Commission's regulatory return: complaints received, disputes, disputes
  referred to ADR (app/manage/outcomes.py says what a dispute is).

`return_figures` reads the database once; everything after it (`return_lines`, the files) is a
function of those plain figures, so a return issued once (app/manage/issued_returns.py) is
rendered in another format or language from the figures it signed. No request here.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from babel.numbers import format_decimal
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from msgspec import Struct

from ..clock import local_day_start
from ..clocks.calendar import WorkingCalendar
from ..clocks.policy import ClockPolicies, Period, Unit
from ..dates import format_day, format_moment
from ..spreadsheets import XLSX_MIMETYPE, as_text, xlsx
from . import outcomes

#: The FCA return's closure bands: by the close of the 3rd business day, within 8 weeks.
FCA_BANDS = (Period(3, Unit.WORKING_DAYS), Period(56, Unit.CALENDAR_DAYS))
FORMATS = ("pdf", "csv", "xlsx")
MIMETYPES = {"pdf": "application/pdf", "csv": "text/csv", "xlsx": XLSX_MIMETYPE}


class ReturnKind(StrEnum):
    FCA = "fca"
    UKGC = "ukgc"

    @property
    def title(self) -> str:
        return str(_TITLES[self])


_TITLES = {
    ReturnKind.FCA: _l("FCA complaints return (DISP 1 Annex 1R)"),
    ReturnKind.UKGC: _l("Gambling Commission regulatory return"),
}


class Line(Struct, frozen=True):
    """One figure of a return: `code` names it in the CSV, `value` a count or an amount."""

    code: str
    label: str
    value: int | str


class ReturnDocument(Struct, frozen=True):
    """A return ready to write out, in its language: plain text and numbers only."""

    kind: str
    language: str
    title: str
    period: str  # "1 Jan 2026 – 30 Jun 2026"
    first_day: str
    last_day: str
    as_of: str  # when the figures were read
    provisional: bool
    status: str  # "Provisional: the period has not ended" / "Final"
    heading_figure: str
    heading_value: str
    lines: tuple[Line, ...]
    notes: tuple[str, ...]


def period_of(first: date, last: date, timezone: str) -> tuple[datetime, datetime]:
    """[start, end) of the whole days `first` to `last` in `timezone`."""
    return local_day_start(first, timezone), local_day_start(last + timedelta(days=1), timezone)


def return_figures(kind: ReturnKind, start: datetime, end: datetime, *, policies: ClockPolicies,
                   calendar: WorkingCalendar) -> dict[str, Any]:
    """The figures the return states for [start, end), as plain JSON values (amounts as
    decimal strings): what a "return_issued" event signs."""
    if kind == ReturnKind.UKGC:
        d = outcomes.dispute_figures(start, end)
        return {"received": d.received, "disputes": d.disputes, "referred_to_adr": d.referred}
    f = outcomes.outcome_figures(start, end, policies=policies, calendar=calendar, bands=FCA_BANDS)
    within_3, within_8_weeks, after = (f.bands[outcomes.Band(FCA_BANDS[0])], f.bands[outcomes.Band(FCA_BANDS[1])],
                                       f.bands[outcomes.Band(FCA_BANDS[1], over=True)])
    return {
        "opened": f.opened, "closed": f.resolved, "closed_within_3_business_days": within_3,
        "closed_within_8_weeks": within_8_weeks, "closed_after_8_weeks": after, "upheld": f.upheld_fca,
        "outstanding_at_start": f.outstanding_at_start, "outstanding_at_end": f.outstanding_at_end,
        "redress_paid": {currency: str(total) for currency, (total, _count) in f.redress.items()},
    }


def _money(amount: str, language: str) -> str:
    return format_decimal(Decimal(amount), "#,##0.00", locale=language)


def return_lines(kind: ReturnKind, figures: dict[str, Any], language: str) -> tuple[Line, ...]:
    """The return's lines in `language` (call inside `force_locale(language)`)."""
    if kind == ReturnKind.UKGC:
        return (
            Line("received", _("Complaints received"), figures["received"]),
            Line("disputes", _("Disputes (not resolved at the first stage)"), figures["disputes"]),
            Line("referred_to_adr", _("Disputes referred to ADR"), figures["referred_to_adr"]),
        )
    lines = [
        Line("outstanding_at_start", _("Complaints outstanding at the start of the period"),
             figures["outstanding_at_start"]),
        Line("opened", _("Complaints opened"), figures["opened"]),
        Line("closed", _("Complaints closed"), figures["closed"]),
        Line("closed_within_3_business_days", _("Closed within 3 business days"),
             figures["closed_within_3_business_days"]),
        Line("closed_within_8_weeks", _("Closed after 3 business days and within 8 weeks"),
             figures["closed_within_8_weeks"]),
        Line("closed_after_8_weeks", _("Closed after 8 weeks"), figures["closed_after_8_weeks"]),
        Line("upheld", _("Complaints upheld (partly upheld included)"), figures["upheld"]),
        Line("outstanding_at_end", _("Complaints outstanding at the end of the period"),
             figures["outstanding_at_end"]),
    ]
    paid = figures["redress_paid"]
    if not paid:
        lines.append(Line("redress_paid", _("Total redress paid"), _money("0", language)))
    for currency, amount in sorted(paid.items()):
        lines.append(Line(f"redress_paid_{currency}", _("Total redress paid, %(currency)s", currency=currency),
                          _money(amount, language)))
    return tuple(lines)


def _notes(kind: ReturnKind) -> tuple[str, ...]:
    if kind == ReturnKind.UKGC:
        return (_("A complaint becomes a dispute the first time the complainant disputes a response or decision, "
                  "it is escalated beyond the first tier, or it is referred to the ADR entity; it counts in the "
                  "period in which that happened."),
                _("Annulled records (registered by mistake) are never counted."))
    return (_("Closed: the final response (the decision) was sent in the period. Upheld counts partly upheld "
              "complaints too."),
            _("Closure times run from receipt on the working calendar; time paused waiting for the complainant is "
              "left out."),
            _("Outstanding: received before the moment and not decided before it. Redress: paid in the period, "
              "per currency."),
            _("Annulled records (registered by mistake) are never counted."))


def return_document(kind: ReturnKind, figures: dict[str, Any], *, start: datetime, end: datetime, language: str,
                    timezone: str, as_of: datetime, provisional: bool) -> ReturnDocument:
    """Lay the figures out in `language` (needs an application context for the translations)."""
    with force_locale(language):
        last = end - timedelta(microseconds=1)
        first_day, last_day = format_day(start, language, timezone), format_day(last, language, timezone)
        return ReturnDocument(
            kind=kind.value, language=language, title=kind.title, period=f"{first_day} – {last_day}",
            first_day=first_day, last_day=last_day, as_of=format_moment(as_of, language, timezone),
            provisional=provisional,
            status=_("Provisional: the period has not ended, the figures will change") if provisional
            else _("Final: issued once the period had ended"),
            heading_figure=_("Figure"), heading_value=_("Value"),
            lines=return_lines(kind, figures, language), notes=_notes(kind),
        )


def return_csv(document: ReturnDocument) -> bytes:
    """The return as CSV (UTF-8 with a byte order mark): code, figure, value; the period and
    the status first."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(("code", document.heading_figure, document.heading_value))
    writer.writerow(("return", document.title, document.kind))
    writer.writerow(("period", document.period, ""))
    writer.writerow(("status", document.status, "provisional" if document.provisional else "final"))
    for line in document.lines:
        writer.writerow((line.code, as_text(line.label), as_text(line.value)))
    return buffer.getvalue().encode("utf-8")


def return_xlsx(document: ReturnDocument) -> bytes:
    """The return as one sheet: the title, period and status, then the figures (counts as
    numbers, amounts as text in the language's way)."""

    def fill(workbook: Any) -> None:
        sheet = workbook.add_worksheet(document.kind.upper())
        sheet.write(0, 0, document.title, workbook.add_format({"bold": True, "font_size": 13}))
        sheet.write(1, 0, document.period)
        sheet.write(2, 0, document.status)
        sheet.write_row(4, 0, [document.heading_figure, document.heading_value], workbook.add_format({"bold": True}))
        row = 5
        for line in document.lines:
            sheet.write_row(row, 0, [as_text(line.label), as_text(line.value)])
            row += 1
        for note in document.notes:
            sheet.write(row + 1, 0, note)
            row += 2
        sheet.set_column(0, 0, 60)
        sheet.set_column(1, 1, 18)

    return xlsx(fill, author="complaints registry")
