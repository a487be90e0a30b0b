"""GET /health: is this process able to serve? For load balancers and monitoring."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/health")
def health() -> tuple[Response, int]:
    """200 when the database answers a trivial query, 503 (with the reason) when it does not."""
    try:
        db.session.execute(text("SELECT 1")).scalar_one()
    except SQLAlchemyError as error:
        db.session.rollback()
        log.warning("health check: the database does not answer: %s", error)
        return jsonify(status="unavailable", database="unreachable"), 503
    finally:
        db.session.remove()
    return jsonify(status="ok", database="ok"), 200
