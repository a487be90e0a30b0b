"""Staff administration (/admin/staff): the accounts, and for each one its role and tier,
deactivation and reactivation, unlocking, a password reset and ending its sessions. Each button
calls one operation of app/auth/operations.py, the same as `flask users ...`; a refusal comes
back next to its field and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from ..auth import operations
from ..auth.access import requires
from ..auth.lockout import unlock_account
from ..auth.models import User
from ..auth.operations import AccountError, Issued
from ..auth.permissions import Permission
from ..auth.routes import lifetime, set_password_url
from ..auth.sessions import session_count
from ..auth.tokens import ApiToken
from ..clock import now_utc
from ..database import commit_with_retry
from ..extensions import db
from ..settings.store import current_policy
from ..workflow.staffing import unstaffed_tiers
from .staff_forms import NewStaffForm, ResetPasswordForm, RoleTierForm, StaffActionForm

bp = Blueprint("staff", __name__, url_prefix="/staff")

VIA = "admin page"


def _admin() -> User:
    return current_user._get_current_object()


def _levels() -> list[int]:
    return [tier.level for tier in current_policy().tiers]


def _role_form(**kwargs: Any) -> RoleTierForm:
    return RoleTierForm(current_policy().tiers, str(get_locale()), **kwargs)


def _user(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


@bp.get("/")
@requires(Permission.MANAGE_USERS)
def index() -> str:
    return render_template("admin/staff.html", lines=operations.staff_list(), now=now_utc(),
                           unstaffed=unstaffed_tiers(current_policy()))


def _issued_page(user: User, issued: Issued, created: bool) -> str:
    """The new link or temporary password, shown once, on the answer to the POST itself."""
    link = set_password_url(issued.link) if issued.link else None
    return render_template("admin/staff_issued.html", user=user, issued=issued, link=link, created=created)


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_USERS)
def new() -> Response | tuple[str, int] | str:
    form = NewStaffForm(current_policy().tiers, str(get_locale()))
    if form.validate_on_submit():
        admin = _admin()
        try:
            user, issued = commit_with_retry(lambda: operations.create_account(
                username=form.username.data, full_name=form.full_name.data, email=form.email.data,
                role=form.role.data, tier=form.tier_level, language=form.language.data,
                temporary_password=form.temporary_password.data or None, levels=_levels(), by=admin, via=VIA))
        except AccountError as error:
            _show(form, error)
        else:
            return _issued_page(user, issued, created=True)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/staff_new.html", form=form), status


def _show(form: Any, error: AccountError) -> str | None:
    """Put a refusal next to its field; return it when it belongs to no field of `form`."""
    field = getattr(form, error.field, None) if error.field else None
    if field is None:
        return str(error)
    field.errors = [*field.errors, str(error)]
    return None


def _account_page(user: User, *, refusal: str | None = None, **forms: Any) -> tuple[str, int]:
    now = now_utc()
    tokens = db.session.scalar(select(func.count()).select_from(ApiToken)
                               .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)))
    forms = {"role_form": _role_form(formdata=None, data={"role": user.role.value, "tier": str(user.tier or "")}),
             "password_form": ResetPasswordForm(formdata=None), "action_form": StaffActionForm()} | forms
    refused = refusal is not None or any(form.errors for form in forms.values())
    return render_template(
        "admin/staff_user.html", user=user, now=now, refusal=refusal, tokens=tokens,
        sessions=session_count(user, lifetime=lifetime()), **forms,
    ), 422 if refused else 200


@bp.get("/<int:user_id>")
@requires(Permission.MANAGE_USERS)
def account(user_id: int) -> tuple[str, int]:
    return _account_page(_user(user_id))


def _act(user_id: int, form: Any, change: Callable[[User], Any], done: Callable[[User, Any], str],
         form_name: str = "action_form") -> Response | tuple[str, int]:
    """Run one operation on the account from a valid form, commit, say what happened and go
    back to its page; a refusal is shown on the page and changes nothing."""
    user = _user(user_id)
    if not form.validate_on_submit():
        return _account_page(user, **{form_name: form})
    try:
        result = commit_with_retry(lambda: change(user))
    except AccountError as error:
        db.session.refresh(user)
        return _account_page(user, refusal=_show(form, error), **{form_name: form})
    flash(done(user, result))
    return redirect(url_for(".account", user_id=user.id), code=303)


@bp.post("/<int:user_id>/role")
@requires(Permission.MANAGE_USERS)
def role(user_id: int) -> Response | tuple[str, int]:
    form = _role_form()
    return _act(user_id, form, lambda user: operations.change_role_and_tier(
        user, role=form.role.data, tier=form.tier_level, levels=_levels(), by=_admin(), via=VIA),
        lambda user, changed: _("%(name)s: role and tier saved.", name=user.username) if changed
        else _("Nothing changed."), "role_form")


@bp.post("/<int:user_id>/deactivate")
@requires(Permission.MANAGE_USERS)
def deactivate(user_id: int) -> Response | tuple[str, int]:
    return _act(user_id, StaffActionForm(), lambda user: operations.deactivate_user(user, by=_admin(), via=VIA),
                lambda user, _result: _("%(name)s is deactivated: their sessions ended and their API tokens are "
                                        "revoked.", name=user.username))


@bp.post("/<int:user_id>/reactivate")
@requires(Permission.MANAGE_USERS)
def reactivate(user_id: int) -> Response | tuple[str, int]:
    return _act(user_id, StaffActionForm(), lambda user: operations.reactivate_user(user, by=_admin(), via=VIA),
                lambda user, _result: _("%(name)s is active again.", name=user.username))


@bp.post("/<int:user_id>/unlock")
@requires(Permission.MANAGE_USERS)
def unlock(user_id: int) -> Response | tuple[str, int]:
    return _act(user_id, StaffActionForm(), lambda user: unlock_account(user, by=_admin(), via=VIA),
                lambda user, _result: _("%(name)s is unlocked: every address may try to sign in again.",
                                        name=user.username))


@bp.post("/<int:user_id>/sessions/end")
@requires(Permission.MANAGE_USERS)
def end_sessions(user_id: int) -> Response | tuple[str, int]:
    return _act(user_id, StaffActionForm(), lambda user: operations.end_user_sessions(user, by=_admin(), via=VIA),
                lambda user, ended: ngettext("%(num)d session of theirs ended.", "%(num)d sessions of theirs ended.",
                                             ended))


@bp.post("/<int:user_id>/password")
@requires(Permission.MANAGE_USERS)
def password(user_id: int) -> Response | tuple[str, int] | str:
    user = _user(user_id)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        admin = _admin()
        try:
            issued = commit_with_retry(lambda: operations.reset_password(
                user, temporary_password=form.temporary_password.data or None, by=admin, via=VIA))
        except AccountError as error:
            db.session.refresh(user)
            return _account_page(user, refusal=_show(form, error), password_form=form)
        return _issued_page(user, issued, created=False)
    return _account_page(user, password_form=form)
