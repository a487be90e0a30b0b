"""Guarding staff routes: sign-in required, then the role's permission, checked on the server."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, redirect, request, url_for
from flask_login import current_user

from ..audit.models import AuditAction
from ..audit.service import record
from ..database import commit_with_retry
from ..extensions import login_manager
from .permissions import Permission

F = TypeVar("F", bound=Callable[..., Any])

#: The one page open to someone who signed in with a temporary password: where they replace it.
PASSWORD_CHANGE_ENDPOINT = "auth.change_password"  # noqa: S105  (an endpoint, not a password)


def requires(permission: Permission) -> Callable[[F], F]:
    """Let the view run only for a signed-in user whose role has `permission`.

    Anonymous users are sent to sign in; someone who signed in with a temporary password is
    sent to change it first; others without the permission get 403, and the refusal is written
    to the audit trail. The permission is kept on the view, so a test can
    check every staff route against the role table.
    """

    def decorator(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.must_change_password and request.endpoint != PASSWORD_CHANGE_ENDPOINT:
                return redirect(url_for(PASSWORD_CHANGE_ENDPOINT))
            if not current_user.can(permission):
                commit_with_retry(
                    lambda: record(AuditAction.FORBIDDEN, target=request.path[:100],
                                   details={"needs": permission.value})
                )
                abort(403)
            return view(*args, **kwargs)

        guarded.required_permission = permission  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]

    return decorator
