"""The regulator returns page (/manage/returns): choose a return and a period, see its figures,
download it as PDF, CSV or XLSX.

A period that has ended is issued once, at its first download, and served as issued ever after
(app/manage/issued_returns.py); a period not yet ended is rendered live and marked provisional.
Thin routes: read the form, get the file from `return_file`, audit the download.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Response, abort, current_app, render_template, request
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from wtforms import DateField, SelectField
from wtforms.validators import InputRequired

from ..audit.models import AuditAction
from ..audit.service import record
from ..auth.access import requires
from ..auth.permissions import Permission
from ..clock import local_today, now_utc
from ..database import commit_with_retry
from ..extensions import db
from ..forms import AppForm
from ..languages import LANGUAGES, normalise_language
from ..settings.store import current_settings, settings_at
from .blueprint import bp
from .issued_returns import ReturnKey, issued_figures, issued_file
from .models import IssuedReturn
from .returns import (
    FORMATS,
    MIMETYPES,
    ReturnDocument,
    ReturnKind,
    period_of,
    return_csv,
    return_document,
    return_figures,
    return_xlsx,
)
from .returns_pdf import ReturnLabels, render_return_pdf


def last_half_year(today: date) -> tuple[date, date]:
    """The last half-year (January to June, or July to December) that ended before `today`."""
    if today.month > 6:
        return date(today.year, 1, 1), date(today.year, 6, 30)
    return date(today.year - 1, 7, 1), date(today.year - 1, 12, 31)


class ReturnForm(AppForm):
    """Which return, for which days (both included), in which language."""

    class Meta:
        csrf = False  # a read-only view by GET

    kind = SelectField(_l("Return"), validators=[InputRequired()], validate_choice=True)
    date_from = DateField(_l("From"), validators=[InputRequired()])
    date_to = DateField(_l("To"), validators=[InputRequired()])
    language = SelectField(_l("Language"), validators=[InputRequired()], validate_choice=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = [(kind.value, kind.title) for kind in ReturnKind]
        self.language.choices = list(LANGUAGES.items())

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if valid and self.date_from.data > self.date_to.data:
            self.date_to.errors.append(_l("“To” is before “From”."))
            return False
        return valid


def _fonts() -> tuple[Path, Path]:
    """The monthly report's fonts (pdf_templates/report/layout.json)."""
    templates = Path(current_app.config["PDF_TEMPLATES_DIR"])
    fonts = json.loads((templates / "report" / "layout.json").read_text(encoding="utf-8"))["fonts"]
    return templates / fonts["regular"], templates / fonts["bold"]


def _render(document: ReturnDocument, file_format: str) -> bytes:
    if file_format == "csv":
        return return_csv(document)
    if file_format == "xlsx":
        return return_xlsx(document)
    with force_locale(document.language):
        labels = ReturnLabels(phone_label=_("Tel."), email_label=_("E-mail"), website_label=_("Web"),
                              period_label=_("Period"), as_of_label=_("Figures as of"),
                              notes_heading=_("How these figures are counted"))
    return render_return_pdf(document, settings_at(now_utc()).organisation, labels, _fonts())


def return_file(kind: ReturnKind, start: datetime, end: datetime, file_format: str, language: str) -> tuple[bytes, bool]:
    """The return's file and whether it is provisional: issued once for a period that has
    ended (the same bytes at every download), rendered live otherwise."""
    timezone = current_app.config["REGISTRY_TIMEZONE"]
    now = now_utc()
    settings = current_settings()

    def figures() -> dict[str, Any]:
        return return_figures(kind, start, end, policies=settings.clock_policies, calendar=settings.calendar)

    def render(figures_: dict[str, Any], provisional: bool) -> bytes:
        document = return_document(kind, figures_, start=start, end=end, language=language, timezone=timezone,
                                   as_of=now, provisional=provisional)
        return _render(document, file_format)

    if end > now:
        return render(figures(), True), True

    def first(signed: dict[str, Any] | None) -> tuple[bytes, dict[str, Any]]:
        stated = signed if signed is not None else figures()
        return render(stated, False), stated

    return issued_file(ReturnKey(kind.value, start, end, file_format, language), first), False


def _form() -> ReturnForm:
    """The form as asked (each field read by name), the last half-year in the user's language
    where a field was not given."""
    first, last = last_half_year(local_today(current_app.config["REGISTRY_TIMEZONE"]))
    defaults = {"kind": ReturnKind.FCA.value, "date_from": first.isoformat(), "date_to": last.isoformat(),
                "language": normalise_language(str(get_locale() or "en"))}
    return ReturnForm(MultiDict({name: request.args.get(name, default) for name, default in defaults.items()}))


@bp.get("/returns", endpoint="returns")
@requires(Permission.VIEW_DASHBOARD)
def returns_page() -> tuple[str, int]:
    form = _form()
    titles = {kind.value: kind.title for kind in ReturnKind} | {"monthly_report": _("Monthly report")}
    issued = [(row, titles.get(row.kind, row.kind), row.period_end - timedelta(microseconds=1))
              for row in db.session.scalars(select(IssuedReturn).order_by(IssuedReturn.id.desc()).limit(20))]
    if not form.validate():
        return render_template("manage/returns.html", form=form, document=None, args={}, issued=issued,
                               FORMATS=FORMATS), 400
    timezone = current_app.config["REGISTRY_TIMEZONE"]
    kind = ReturnKind(form.kind.data)
    start, end = period_of(form.date_from.data, form.date_to.data, timezone)
    now = now_utc()
    # A period already issued shows the figures its files state (signed once), not a recount.
    signed = issued_figures(kind.value, start, end) if end <= now else None
    frozen = signed is not None
    if signed is None:
        settings = current_settings()
        signed = return_figures(kind, start, end, policies=settings.clock_policies, calendar=settings.calendar)
    document = return_document(kind, signed, start=start, end=end, language=str(get_locale() or "en"),
                               timezone=timezone, as_of=now, provisional=end > now)
    args = {"date_from": form.date_from.data.isoformat(), "date_to": form.date_to.data.isoformat(),
            "language": form.language.data}
    return render_template("manage/returns.html", form=form, document=document, kind=kind, args=args,
                           issued=issued, frozen=frozen, FORMATS=FORMATS, timezone=timezone), 200


@bp.get("/returns/<any(fca, ukgc):kind>.<any(pdf, csv, xlsx):file_format>", endpoint="return_download")
@requires(Permission.VIEW_DASHBOARD)
def return_download(kind: str, file_format: str) -> Response:
    form = _form()
    form.kind.data = kind
    if not form.validate():
        abort(400, description="; ".join(f"{field.label.text}: {' '.join(map(str, field.errors))}"
                                         for field in form if field.errors))
    timezone = current_app.config["REGISTRY_TIMEZONE"]
    first, last = form.date_from.data, form.date_to.data
    start, end = period_of(first, last, timezone)
    content, provisional = return_file(ReturnKind(kind), start, end, file_format, form.language.data)
    commit_with_retry(lambda: record(
        AuditAction.FIGURES_EXPORT, target=f"return: {kind} {first.isoformat()}..{last.isoformat()}",
        details={"format": file_format, "language": form.language.data, "provisional": provisional},
    ))
    name = f"return-{kind}-{first.isoformat()}-{last.isoformat()}{'-provisional' if provisional else ''}.{file_format}"
    return Response(content, mimetype=MIMETYPES[file_format],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})

