"""Reports for the board and the regulator, under /manage/reports: the monthly report as a
PDF, and every dashboard table as one XLSX workbook (one sheet per table).

Thin routes: read the month or the dashboard's filters, make the file, audit the export.
"""

from __future__ import annotations

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
from ..manage.dashboard import Context, DashboardFilterForm, Table, every_table
from ..spreadsheets import XLSX_MIMETYPE, as_text, xlsx
from .service import BadMonth, monthly_report_pdf, parse_month, report_filename

bp = Blueprint("reports", __name__, url_prefix="/manage/reports")



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
    workbook = xlsx_bytes(list(every_table(context).values()))
    commit_with_retry(lambda: record(
        AuditAction.FIGURES_EXPORT, target="dashboard: all tables", details={"format": "xlsx", "filters": form.filter_args()}
    ))
    day = context.now.astimezone(ZoneInfo(timezone)).date()
    return Response(workbook, mimetype=XLSX_MIMETYPE,
                    headers={"Content-Disposition": f'attachment; filename="dashboard-{day.isoformat()}.xlsx"'})


def xlsx_bytes(tables: list[Table]) -> bytes:
    """One sheet per table, named after it: the column headings in bold on the first row
    (frozen), one row per line (numbers as numbers, no data as an empty cell, text never a
    formula); columns wide enough for their headings and values."""

    def fill(workbook: Any) -> None:
        bold = workbook.add_format({"bold": True})
        for table in tables:
            sheet = workbook.add_worksheet(table.name[:31])
            sheet.write_row(0, 0, [str(heading) for heading in table.columns], bold)
            for index, row in enumerate(table.rows, start=1):
                sheet.write_row(index, 0, [as_text(value) for value in row])
            for index, heading in enumerate(table.columns):
                longest = max([len(str(heading))] + [len(str(row[index])) for row in table.rows if row[index] is not None])
                sheet.set_column(index, index, min(max(10, longest + 2), 60))
            sheet.freeze_panes(1, 0)

    return xlsx(fill)
