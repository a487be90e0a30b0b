"""GET /health: is this process able to serve? For load balancers and monitoring.

Features add checks of their own (`app.extensions["health_checks"]`: name -> a callable answering
"ok", "failing", or None when it has nothing to say, e.g. the mail intake's mailbox when none is
configured): a failing one makes the status
"degraded", still with 200, since the web server itself serves."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)
_PING = text("SELECT 1")


@bp.get("/health")
def health() -> tuple[Response, int]:
    """200 when the database answers a trivial query, 503 (with the reason) when it does not.
    The query goes through a plain connection, not the ORM session: a load balancer asks often,
    and the session is only made if a feature's check needs it."""
    try:
        with db.engine.connect() as connection:
            connection.execute(_PING).scalar_one()
        checks = {name: state for name, check in current_app.extensions.get("health_checks", {}).items()
                  if (state := check()) is not None}
    except SQLAlchemyError as error:
        db.session.rollback()
        log.warning("health check: the database does not answer: %s", error)
        return jsonify(status="unavailable", database="unreachable"), 503
    finally:
        db.session.remove()
    failing = sorted(name for name, state in checks.items() if state == "failing")
    if failing:
        log.warning("health check: failing: %s", ", ".join(failing))
    return jsonify(status="degraded" if failing else "ok", database="ok", **checks), 200
