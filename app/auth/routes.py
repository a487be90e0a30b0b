"""Staff sign-in, sign-out, password change and own settings."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from ..audit.models import AuditAction
from ..audit.service import record
from ..database import commit_with_retry
from ..extensions import db, limiter, login_manager
from ..urls import local_path
from .access import requires
from .forms import LoginForm, PasswordChangeForm, SettingsForm
from .models import User
from .operations import authenticate, change_language
from .permissions import Permission
from .token_routes import bp as tokens_bp

bp = Blueprint("auth", __name__, url_prefix="/staff", template_folder="templates")
bp.register_blueprint(tokens_bp)  # /staff/tokens: the endpoints auth.tokens.*

login_manager.login_message = None  # the sign-in page explains itself


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never send a user elsewhere after signing in."""
    return local_path(target, url_for("staff.home"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login() -> Response | tuple[str, int] | str:
    if current_user.is_authenticated:
        return redirect(url_for("staff.home"))
    form = LoginForm()
    failed = False
    if form.validate_on_submit():
        username = form.username.data.strip().lower()
        user = authenticate(username, form.password.data)
        if user is not None:
            commit_with_retry(lambda: record(AuditAction.LOGIN, user=user))
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        commit_with_retry(lambda: record(AuditAction.LOGIN_FAILED, username=username[:80]))
        failed = True
    return render_template("auth/login.html", form=form, failed=failed), (401 if failed else 200)


@bp.post("/logout")
@login_required
def logout() -> Response:
    commit_with_retry(lambda: record(AuditAction.LOGOUT))
    logout_user()
    flash(_("You are signed out."))
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@requires(Permission.USE_STAFF_DESK)
def change_password() -> Response | tuple[str, int]:
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if current_user.check_password(form.current_password.data):
            user = current_user._get_current_object()

            def work() -> None:
                user.set_password(form.new_password.data)
                record(AuditAction.PASSWORD_CHANGED)

            commit_with_retry(work)
            flash(_("Your password is changed."))
            return redirect(url_for("staff.home"))
        form.current_password.errors.append(_("This is not your current password."))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/password.html", form=form), status


@bp.route("/settings", methods=["GET", "POST"])
@requires(Permission.USE_STAFF_DESK)
def settings() -> Response | tuple[str, int]:
    """My settings: the language of my staff pages and of the e-mails sent to me."""
    user = current_user._get_current_object()
    form = SettingsForm(obj=user)
    if form.validate_on_submit():
        if commit_with_retry(lambda: change_language(user, form.language.data)):
            refresh()  # this very answer already in the new language
        flash(_("Your settings are saved."))
        return redirect(url_for("auth.settings"), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("auth/settings.html", form=form), status
