"""The registry journal for staff: the filtered page, and its CSV and PDF exports."""

from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ..audit.models import AuditAction
from ..audit.service import record
from ..auth.access import requires
from ..auth.permissions import Permission
from ..clock import local_today, now_utc
from ..complaints.filters import ComplaintFilter
from ..database import commit_with_retry
from ..documents.template import house_fonts
from ..settings.store import current_settings
from .export import Titles, csv_chunks, journal_document
from .forms import JournalFilterForm
from .queries import format_cursor, iter_journal, journal_page, journal_rows, parse_cursor

bp = Blueprint("journal", __name__, url_prefix="/staff/registry", template_folder="templates")

#: The PDF book is for printing: beyond this many lines, narrow the filter or take the CSV.
PDF_MAX_LINES = 3000
AUDIT_TARGET = "registry journal"


def _titles() -> Titles:
    return Titles.for_language(str(get_locale() or "en"), current_app.config["REGISTRY_TIMEZONE"])


def _file_name(extension: str) -> str:
    return f"registry-journal-{local_today(current_app.config['REGISTRY_TIMEZONE']).isoformat()}.{extension}"


def _record_export(form: JournalFilterForm, file_format: str, **details: object) -> None:
    commit_with_retry(
        lambda: record(
            AuditAction.EXPORT,
            target=AUDIT_TARGET,
            details={"format": file_format, "filters": form.filter_args(), **details},
        )
    )


def _filter(form: JournalFilterForm) -> ComplaintFilter:
    """The form's filter; internal notes are searched only for those who handle complaints
    (internal notes are theirs: app/workflow/rules.can_consult)."""
    return form.to_filter(current_app.config["REGISTRY_TIMEZONE"],
                          internal_notes=current_user.can(Permission.HANDLE_COMPLAINTS))


@bp.get("")
@requires(Permission.VIEW_JOURNAL)
def index() -> tuple[str, int]:
    form = JournalFilterForm(request.args)
    args = form.filter_args()
    if not form.validate():
        return render_template("journal/index.html", form=form, page=None, args=args), 400
    page = journal_page(
        _filter(form),
        after=parse_cursor(request.args.get("after")),
        before=parse_cursor(request.args.get("before")),
        newest=request.args.get("newest") == "1",
    )
    return render_template(
        "journal/index.html", form=form, page=page, args=args, titles=_titles(), format_cursor=format_cursor,
        first_page=not (request.args.get("after") or request.args.get("before") or request.args.get("newest")),
    ), 200


@bp.get("/export.csv")
@requires(Permission.EXPORT_JOURNAL)
def export_csv() -> Response:
    form = JournalFilterForm(request.args)
    if not form.validate():
        return redirect(url_for(".index", **form.filter_args()))
    journal_filter = _filter(form)
    _record_export(form, "csv")
    chunks = csv_chunks(iter_journal(journal_filter), _titles())
    return Response(
        stream_with_context(chunks),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{_file_name("csv")}"'},
    )


@bp.get("/export.pdf")
@requires(Permission.EXPORT_JOURNAL)
def export_pdf() -> Response:
    form = JournalFilterForm(request.args)
    if not form.validate():
        return redirect(url_for(".index", **form.filter_args()))
    rows = journal_rows(_filter(form), PDF_MAX_LINES + 1)
    if len(rows) > PDF_MAX_LINES:
        flash(_(
            "The printed journal holds at most %(limit)d entries, and this filter matches more. "
            "Narrow it (for example to a date or number range), or export CSV.",
            limit=PDF_MAX_LINES,
        ))
        return redirect(url_for(".index", **form.filter_args()))
    _record_export(form, "pdf", entries=len(rows))
    document = journal_document(
        rows, _titles(), language=str(get_locale() or "en"), organisation=current_settings().organisation.name,
        filters=form.described_filters(), printed_at=now_utc(),
    )
    from .pdf import JournalFonts, render_journal  # reportlab with it: on the first PDF, not at start-up

    pdf = render_journal(document, JournalFonts(*house_fonts(Path(current_app.config["PDF_TEMPLATES_DIR"]))))
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{_file_name("pdf")}"'},
    )
