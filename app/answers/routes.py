"""The managers' pages of answer templates (/manage/templates): the list, a new template, a
template's page (edit: a new version; its earlier versions), retire. Thin routes."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.access import requires
from ..auth.permissions import Permission
from ..complaints.categories import category_name
from ..complaints.errors import ComplaintChangeRefused
from ..database import commit_with_retry
from ..extensions import db
from .forms import RetireForm, TemplateForm
from .models import AnswerTemplate
from .operations import all_templates, create_template, retire_template, revise_template, texts_of
from .placeholders import PLACEHOLDERS

bp = Blueprint("answers", __name__, url_prefix="/manage/templates", template_folder="templates")


def _language() -> str:
    return str(get_locale() or "en")


def _template_or_404(template_id: int) -> AnswerTemplate:
    template = db.session.get(AnswerTemplate, template_id)
    if template is None:
        abort(404)
    return template


def _page(form: TemplateForm, template: AnswerTemplate | None = None, status: int = 200) -> tuple[str, int]:
    return render_template("answers/edit.html", form=form, template=template, placeholders=PLACEHOLDERS,
                           retire_form=RetireForm(), language=_language(), category_name=category_name), status


@bp.get("/", endpoint="index")
@requires(Permission.MANAGE_TEMPLATES)
def index() -> str:
    return render_template("answers/index.html", templates=all_templates(), language=_language(),
                           category_name=category_name)


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_TEMPLATES)
def new() -> Response | tuple[str, int]:
    form = TemplateForm(language=_language())
    if form.validate_on_submit():
        user = current_user._get_current_object()
        template = commit_with_retry(lambda: create_template(category=form.category.data, texts=form.texts(), by=user))
        flash(_("The template is saved (version 1)."))
        return redirect(url_for(".edit", template_id=template.id), code=303)
    return _page(form, status=422 if request.method == "POST" else 200)


@bp.route("/<int:template_id>", methods=["GET", "POST"])
@requires(Permission.MANAGE_TEMPLATES)
def edit(template_id: int) -> Response | tuple[str, int]:
    template = _template_or_404(template_id)
    form = TemplateForm(language=_language())
    if request.method == "GET":
        form.fill_from(template.category, texts_of(template.current))
    elif form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            version = commit_with_retry(lambda: revise_template(template, category=form.category.data,
                                                                texts=form.texts(), by=user))
        except ComplaintChangeRefused as refused:
            db.session.rollback()
            form.form_errors.append(str(refused))
        else:
            flash(_("Saved as version %(n)d. Letters already sent keep the text they were sent with.",
                    n=version.number) if version else _("The texts did not change; the category is saved."))
            return redirect(url_for(".edit", template_id=template.id), code=303)
    return _page(form, template, status=422 if request.method == "POST" else 200)


@bp.post("/<int:template_id>/retire")
@requires(Permission.MANAGE_TEMPLATES)
def retire(template_id: int) -> Response | tuple[str, int]:
    template = _template_or_404(template_id)
    if not RetireForm().validate_on_submit():
        abort(400)
    user = current_user._get_current_object()
    commit_with_retry(lambda: retire_template(template, by=user))
    flash(_("The template is retired: officers no longer see it."))
    return redirect(url_for(".index"), code=303)
