"""Recording staff actions. Called at the edge (routes, CLI) inside the same unit of work as
the action itself, so an action and its audit row are committed together or not at all.

Each event is linked into the audit chain (chain.py), which locks the chain's head row until
the commit: record the event last in a unit of work, after any registry entry (whose head is
then always locked first, so two units of work never wait on each other's head)."""

from __future__ import annotations

import json
from typing import Any

from flask import has_request_context, request
from flask_login import current_user

from ..auth.models import User
from ..clock import now_utc
from ..extensions import db
from .chain import link
from .models import AuditAction, AuditEvent


def record(
    action: AuditAction,
    *,
    target: str | None = None,
    details: dict[str, Any] | None = None,
    user: User | None = None,
    username: str | None = None,
) -> AuditEvent:
    """Append an audit event for the signed-in user (or `user`), from the request's address."""
    if user is None and has_request_context() and current_user.is_authenticated:
        user = current_user._get_current_object()
    event = AuditEvent(
        at=now_utc(),
        user_id=user.id if user else None,
        username=user.username if user else username,
        action=action,
        target=target,
        details=json.dumps(details, ensure_ascii=False, sort_keys=True) if details else None,
        ip=request.remote_addr if has_request_context() else None,
    )
    link(event)
    db.session.add(event)
    db.session.flush()
    return event
