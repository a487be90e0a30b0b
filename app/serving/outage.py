"""While the database cannot be reached, every request that needs it gets a clear 503 with
Retry-After (an HTML page, or JSON {"error", "message"} under /api), never a 500 with a
traceback.

Nothing is half-written: a registration is one transaction (number, complaint, signed entry),
so a connection lost before the commit rolls all of it back on the server. Recovery needs no
restart: the pool replaces a connection the server has closed before handing it out (its
socket looked at, app.database.configure_pool; or pinged, DATABASE_POOL_CHECK=ping),
and a connection that fails mid-request is invalidated with every older one in the pool.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, g
from flask_babel import gettext as _
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import ServiceUnavailable

from ..extensions import db, login_manager

log = logging.getLogger(__name__)


def _reason(error: Exception) -> str:
    """One line on what the database said (no traceback, no statement parameters)."""
    original = error.orig if isinstance(error, DBAPIError) else error
    text = str(original).strip().splitlines()
    return f"{type(original).__name__}: {text[0] if text else ''}"


def database_unavailable(error: Exception) -> Response:
    """The 503 answer for an error that says the database cannot serve right now: the server is
    down or restarting, the connection was cut, the pool is exhausted, or (SQLite) the file
    stayed locked through every retry."""
    log.warning("database unavailable, answering 503: %s", _reason(error))
    try:
        db.session.rollback()
    except SQLAlchemyError:  # the connection is gone; the pool has already dropped it
        pass
    if "_login_user" not in g:
        # Pages rendered from here must not try to load the signed-in user from the database.
        g._login_user = login_manager.anonymous_user()
    retry_after = current_app.config["DATABASE_UNAVAILABLE_RETRY_AFTER"]
    unavailable = ServiceUnavailable(
        _(
            "The registry's database cannot be reached at the moment. Please try again in a "
            "minute. Nothing you sent has been confirmed: a complaint is registered only when "
            "you see its incoming number."
        )
    )
    response = current_app.make_response(current_app.handle_http_exception(unavailable))
    response.headers["Retry-After"] = str(retry_after)
    return response


def init_app(app: Flask) -> None:
    for error_class in (OperationalError, InterfaceError, PoolTimeoutError):
        app.register_error_handler(error_class, database_unavailable)
