"""The audit trail, for administrators: newest first, filtered, paged by id; each event's details
as lines in the reader's language (details.py)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import Length, Optional

from ..auth.access import requires
from ..auth.permissions import Permission
from ..extensions import db
from ..forms import SEARCH_MAX_LENGTH, AppForm
from .details import detail_lines
from .models import AuditAction, AuditEvent

bp = Blueprint("audit", __name__, url_prefix="/staff/audit", template_folder="templates")

PAGE_SIZE = 50


class AuditFilterForm(AppForm):
    class Meta:
        csrf = False  # a read-only search by GET

    username = StringField(_l("User"), validators=[Optional(), Length(max=SEARCH_MAX_LENGTH)])
    action = SelectField(_l("Action"), validators=[Optional()], validate_choice=True)
    target = StringField(_l("Concerning"), validators=[Optional(), Length(max=SEARCH_MAX_LENGTH)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    before = IntegerField(validators=[Optional()])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.action.choices = [("", _l("Any"))] + [(a.value, a.title) for a in AuditAction]


@bp.get("/")
@requires(Permission.VIEW_AUDIT)
def events() -> tuple[str, int]:
    form = AuditFilterForm(request.args)
    query = select(AuditEvent).options(selectinload(AuditEvent.user)).order_by(AuditEvent.id.desc())
    valid = form.validate()
    if valid:
        zone = current_app.config["REGISTRY_TIMEZONE"]
        if form.username.data:
            query = query.where(AuditEvent.username == form.username.data.strip().lower())
        if form.action.data:
            query = query.where(AuditEvent.action == AuditAction(form.action.data))
        if form.target.data:
            query = query.where(AuditEvent.target.contains(form.target.data.strip(), autoescape=True))
        start, end = form.day_range(form.date_from.data, form.date_to.data, zone)
        if start:
            query = query.where(AuditEvent.at >= start)
        if end:
            query = query.where(AuditEvent.at < end)
        if form.before.data:
            query = query.where(AuditEvent.id < form.before.data)
    rows = db.session.scalars(query.limit(PAGE_SIZE + 1)).all()
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    next_args = {k: v for k, v in request.args.items() if k != "before"}
    if more:
        next_args["before"] = rows[-1].id
    language = str(get_locale() or "en")
    details = {event.id: detail_lines(event.details, language) for event in rows}
    return render_template("audit/events.html", form=form, events=rows, details=details, more=more,
                           next_args=next_args), (
        200 if valid else 400
    )
