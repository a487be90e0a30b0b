"""The staff page where people make and revoke their personal API tokens (/staff/tokens)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ..audit.models import AuditAction
from ..audit.service import record
from ..database import commit_with_retry
from .access import requires
from .forms import RevokeTokenForm, TokenForm
from .permissions import Permission
from .tokens import ApiToken, NewToken, TokenError, create_token, revoke_token, token_of, tokens_of

#: Nested in the auth blueprint (registered there): endpoints `auth.tokens.*`, under /staff/tokens.
bp = Blueprint("tokens", __name__, url_prefix="/tokens")


def audit_created(new: NewToken, *, via: str) -> None:
    token = new.token
    record(AuditAction.API_TOKEN_CREATED, target=token.user.username,
           details={"token_id": token.id, "name": token.name, "via": via})


def audit_revoked(token: ApiToken, *, via: str) -> None:
    record(AuditAction.API_TOKEN_REVOKED, target=token.user.username,
           details={"token_id": token.id, "name": token.name, "via": via})


def _page(form: TokenForm, new: NewToken | None = None, status: int = 200) -> tuple[str, int]:
    return render_template("auth/tokens.html", form=form, new=new, tokens=tokens_of(current_user.id),
                           revoke_form=RevokeTokenForm()), status


@bp.get("")
@requires(Permission.USE_STAFF_DESK)
def index() -> tuple[str, int]:
    return _page(TokenForm(formdata=None))


@bp.post("")
@requires(Permission.USE_STAFF_DESK)
def create() -> tuple[str, int]:
    """Make a token and show it this once (the page is not cached; reloading does not show it)."""
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    user = current_user._get_current_object()

    def work() -> NewToken:
        new = create_token(user, form.name.data)
        audit_created(new, via="web")
        return new

    try:
        new = commit_with_retry(work)
    except TokenError as error:
        form.name.errors.append(str(error))
        return _page(form, status=422)
    return _page(TokenForm(formdata=None), new=new, status=201)


@bp.post("/revoke")
@requires(Permission.USE_STAFF_DESK)
def revoke() -> Response:
    form = RevokeTokenForm()
    if not form.validate_on_submit():
        flash(_("Choose a token to revoke."), "error")
        return redirect(url_for("auth.tokens.index"), code=303)
    token = token_of(current_user.id, form.token_id.data)
    if token is None:
        abort(404)

    def work() -> ApiToken:
        revoke_token(token)
        audit_revoked(token, via="web")
        return token

    try:
        commit_with_retry(work)
    except TokenError as error:
        flash(str(error), "error")
    else:
        flash(_("The token “%(name)s” is revoked: it no longer works.", name=token.name))
    return redirect(url_for("auth.tokens.index"), code=303)


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"  # a new token is on the page once
    return response
