"""Bearer-token authentication for the staff endpoints of the API, and its JSON errors.

Only `Authorization: Bearer <token>` counts here: a staff session cookie does not, so the
CSRF-exempt API cannot be driven by another site through a signed-in browser.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, jsonify, request
from flask_babel import gettext as _
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Response

from ..audit.models import AuditAction
from ..audit.service import record
from ..auth.models import User
from ..auth.permissions import Permission
from ..auth.tokens import ApiToken, authenticate_token, needs_touch, touch
from ..clock import now_utc
from ..database import commit_with_retry

F = TypeVar("F", bound=Callable[..., Any])

REALM = "complaint-registry"


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """`{"error": <HTTP reason>, "message": ...}`, the shape of every API error but 422."""
    response = jsonify(error=HTTP_STATUS_CODES[status], message=message)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _unauthorized(message: str, *, invalid: bool) -> Response:
    challenge = f'Bearer realm="{REALM}"'
    if invalid:  # RFC 6750 3.1: say why only when a token was sent
        challenge += ', error="invalid_token", error_description="The token is unknown, revoked or its owner deactivated."'
    return error_response(401, message, {"WWW-Authenticate": challenge})


def _bearer() -> str | None:
    scheme, _space, credentials = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip()


def api_user() -> User:
    """The member of staff whose token the request carries (inside `token_required` views)."""
    return g.api_token.user


def token_required(permission: Permission) -> Callable[[F], F]:
    """Let the view run only for a request with a valid token whose owner's role has
    `permission`: 401 (with a WWW-Authenticate challenge) without one, 403 (audited) without
    the permission. The permission is kept on the view, like `auth.access.requires`."""

    def decorator(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            secret = _bearer()
            if secret is None:
                return _unauthorized(_("Send a personal API token: Authorization: Bearer <token>."), invalid=False)
            token = authenticate_token(secret)
            if token is None:
                return _unauthorized(_("This token is not valid: it is unknown or revoked, or its owner is "
                                       "deactivated."), invalid=True)
            now = now_utc()
            if needs_touch(token, now):
                commit_with_retry(lambda: touch(token.id, now))
            if not token.user.can(permission):
                commit_with_retry(lambda: _refused(token, permission))
                return error_response(403, _("Your account is not allowed to do this (it needs the "
                                             "permission %(permission)s).", permission=permission.value))
            g.api_token = token
            return view(*args, **kwargs)

        guarded.required_permission = permission  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]

    return decorator


def _refused(token: ApiToken, permission: Permission) -> None:
    record(AuditAction.FORBIDDEN, target=request.path[:100], user=token.user,
           details={"needs": permission.value, "api_token": token.id})
