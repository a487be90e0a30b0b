"""Staff sign-in, sign-out, password change and own settings."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    current_app,
    flash,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext, refresh
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.exceptions import BadRequest
from werkzeug.wrappers import Response

from ..audit.models import AuditAction
from ..audit.service import record
from ..database import commit_with_retry
from ..extensions import limiter, login_manager
from ..i18n import page_languages
from ..urls import DEVELOPMENT_BASE_URL, local_path, public_url
from .access import requires
from .forms import LoginForm, PasswordChangeForm, SetPasswordForm, SettingsForm, SignOutElsewhereForm
from .lockout import sign_in
from .models import User
from .operations import AccountError, change_language, set_password_with_link, sign_out_elsewhere
from .operations import change_password as change_password_operation
from .password_links import live_link
from .permissions import Permission
from .sessions import end_session, session_count, start_session, user_for_session
from .token_routes import bp as tokens_bp

bp = Blueprint("auth", __name__, url_prefix="/staff", template_folder="templates")
bp.register_blueprint(tokens_bp)  # /staff/tokens: the endpoints auth.tokens.*

login_manager.login_message = None  # the sign-in page explains itself


#: Where the signed session cookie keeps the key of the server-side session (app/auth/sessions.py),
#: beside Flask-Login's `_user_id`. Without a live session row behind it, the cookie is worthless.
SESSION_KEY = "_staff_session"


def lifetime() -> timedelta:
    lifetime = current_app.config["PERMANENT_SESSION_LIFETIME"]
    return lifetime if isinstance(lifetime, timedelta) else timedelta(seconds=lifetime)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The user of this request's session, if the session is still live on the server (one
    indexed look-up). Flask-Login's remember-me cookie is not used: it carries no session key,
    so it would be refused here anyway."""
    return user_for_session(user_id, session.get(SESSION_KEY), lifetime=lifetime())


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _password_change_limit() -> str:
    return current_app.config["PASSWORD_CHANGE_RATE_LIMIT"]


def _signed_in_account() -> str:
    """Password changes count per account (and per address when no one is signed in)."""
    return f"user:{current_user.id}" if current_user.is_authenticated else (request.remote_addr or "")


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
        username = form.username.data.strip().lower()[:80]
        address = request.remote_addr

        chosen = session.get("language")  # chosen on this page (or the public pages) in this session

        def work() -> tuple[User | None, str | None]:
            attempt = sign_in(username, form.password.data, address=address)
            if attempt.user is None:
                return None, None
            if chosen in page_languages():  # the language the sign-in page was read in becomes theirs
                change_language(attempt.user, chosen)
            return attempt.user, start_session(attempt.user, ip=address, lifetime=lifetime())

        user, key = commit_with_retry(work)
        if user is not None:
            login_user(user)
            session[SESSION_KEY] = key
            return redirect(_safe_next(request.args.get("next")))
        failed = True
    return render_template("auth/login.html", form=form, failed=failed), (401 if failed else 200)


@bp.post("/logout")
@login_required
def logout() -> Response:
    key = session.pop(SESSION_KEY, None)

    def work() -> None:
        end_session(key)  # a copy of the cookie stops working too
        record(AuditAction.LOGOUT)

    commit_with_retry(work)
    logout_user()
    session.pop("language", None)  # the next person at this computer starts from their own language
    flash(_("You are signed out."))
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@requires(Permission.USE_STAFF_DESK)
@limiter.limit(_password_change_limit, methods=["POST"], key_func=_signed_in_account)
def change_password() -> Response | tuple[str, int]:
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if current_user.check_password(form.current_password.data):
            user = current_user._get_current_object()
            key = session.get(SESSION_KEY)
            ended = commit_with_retry(lambda: change_password_operation(user, form.new_password.data, keep_session=key))
            flash(_("Your password is changed."))
            if ended:
                flash(ngettext("Your %(num)d other session is signed out.",
                               "Your %(num)d other sessions are signed out.", ended))
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
    return render_template("auth/settings.html", form=form, elsewhere=SignOutElsewhereForm(),
                           sessions=session_count(user, lifetime=lifetime())), status


@bp.post("/language")
@requires(Permission.USE_STAFF_DESK)
def choose_language() -> Response:
    """The staff frame's language switcher: my language (as in My settings), audited when it
    changes; back to the page it was used on. A plain form, no script."""
    language = request.form.get("language", "")
    if language not in page_languages():
        raise BadRequest()
    user = current_user._get_current_object()
    if commit_with_retry(lambda: change_language(user, language)):
        refresh()
    return redirect(local_path(request.form.get("next"), url_for("staff.home")), code=303)


@bp.post("/sessions/end")
@requires(Permission.USE_STAFF_DESK)
def end_other_sessions() -> Response:
    """"Sign out everywhere else": every session of mine but this one ends."""
    user = current_user._get_current_object()
    if SignOutElsewhereForm().validate_on_submit():
        key = session.get(SESSION_KEY)
        ended = commit_with_retry(lambda: sign_out_elsewhere(user, keep_session=key))
        flash(ngettext("%(num)d other session is signed out.", "%(num)d other sessions are signed out.", ended))
    return redirect(url_for("auth.settings"), code=303)


def set_password_url(secret: str) -> str:
    """The absolute address of a one-time set-password link (PUBLIC_BASE_URL; outside a request,
    as from `flask users`, flask run's default when it is not set)."""
    if has_request_context():
        return public_url("auth.set_password", key=secret)
    base = current_app.config.get("PUBLIC_BASE_URL") or DEVELOPMENT_BASE_URL
    with current_app.test_request_context(base_url=base):
        return public_url("auth.set_password", key=secret)


@bp.route("/set-password", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def set_password() -> Response | tuple[str, int]:
    """A one-time set-password link an administrator gave: choose a password, then sign in. The
    secret is in the query string, which the request log leaves out (app/serving/logs.py)."""
    secret = request.args.get("key", "")
    form = SetPasswordForm()
    if live_link(secret) is None:
        return render_template("auth/set_password.html", form=None), 404
    if form.validate_on_submit():
        try:
            commit_with_retry(lambda: set_password_with_link(secret, form.new_password.data))
        except AccountError as error:
            form.new_password.errors.append(str(error))
        else:
            flash(_("Your password is set: sign in with it."))
            return redirect(url_for("auth.login"), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("auth/set_password.html", form=form), status
