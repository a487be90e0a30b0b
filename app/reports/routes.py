"""Reports for the board and the regulator, under /manage/reports: the monthly report as a
PDF, and every dashboard table as one XLSX workbook (one sheet per table).

Thin routes: read the month or the dashboard's filters, make the file, audit the export.
"""

from __future__ import annotations

import io
import re
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from ..audit.models import AuditAction
from ..audit.service import record
from ..auth.access import requires
from ..auth.permissions import Permission
from ..clock import now_utc
from ..database import commit_with_retry
from ..languages import SUPPORTED_LANGUAGES, normalise_language
from ..manage.dashboard import TABLES, Context, DashboardFilterForm, Table
from .service import BadMonth, monthly_report_pdf, parse_month, report_filename

bp = Blueprint("reports", __name__, url_prefix="/manage/reports")

#: A spreadsheet would run a cell starting with one of these as a formula (as in the CSV files).
_FORMULA = re.compile(r"^[=+\-@\t\r]")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/monthly.pdf")
@requires(Permission.VIEW_DASHBOARD)
def monthly_pdf() -> Response:
    try:
        year, month = parse_month(request.args.get("month"))
    except BadMonth as error:
        abort(400, description=str(error))
    asked = request.args.get("language", "").strip()
    if asked and asked not in SUPPORTED_LANGUAGES:
        abort(400, description=_("The report is written in %(languages)s (asked: %(asked)s).",
                                  languages=", ".join(SUPPORTED_LANGUAGES), asked=asked))
    language = asked or normalise_language(str(get_locale() or "en"))
    pdf = monthly_report_pdf(year, month, language)
    commit_with_retry(lambda: record(
        AuditAction.MONTHLY_REPORT, target=f"monthly report {year:04d}-{month:02d}",
        details={"format": "pdf", "language": language, "month": f"{year:04d}-{month:02d}"},
    ))
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{report_filename(year, month)}"'})


@bp.get("/dashboard.xlsx")
@requires(Permission.VIEW_DASHBOARD)
def dashboard_xlsx() -> Response:
    form = DashboardFilterForm(request.args)
    if not form.validate():
        return redirect(url_for("manage.dashboard", **form.filter_args()))
    timezone = current_app.config["REGISTRY_TIMEZONE"]
    context = Context(form.to_filters(timezone), now_utc(), timezone, str(get_locale() or "en"), {})
    workbook = xlsx_bytes([build(context) for build in TABLES.values()])
    commit_with_retry(lambda: record(
        AuditAction.FIGURES_EXPORT, target="dashboard: all tables", details={"format": "xlsx", "filters": form.filter_args()}
    ))
    day = context.now.astimezone(ZoneInfo(timezone)).date()
    return Response(workbook, mimetype=XLSX_MIMETYPE,
                    headers={"Content-Disposition": f'attachment; filename="dashboard-{day.isoformat()}.xlsx"'})


def _xlsx_cell(value: Any) -> Any:
    """Numbers stay numbers, no data is an empty cell, text never becomes a formula."""
    if value is None:
        return None
    if isinstance(value, str) and _FORMULA.match(value):
        return "'" + value
    return value


def xlsx_bytes(tables: list[Table]) -> bytes:
    """One sheet per table, named after it: the column headings in bold on the first row
    (frozen), one row per line; columns wide enough for their headings."""
    from openpyxl import Workbook  # loaded by the first export, not by every worker at start-up
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    for table in tables:
        sheet = workbook.create_sheet(title=table.name[:31])
        sheet.append(list(table.columns))
        for cell in sheet[1]:
            cell.font = bold
        for row in table.rows:
            sheet.append([_xlsx_cell(value) for value in row])
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # even "=…" stays text
        for index, heading in enumerate(table.columns, start=1):
            longest = max([len(str(heading))] + [len(str(row[index - 1])) for row in table.rows if row[index - 1] is not None])
            sheet.column_dimensions[get_column_letter(index)].width = min(max(10, longest + 2), 60)
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
