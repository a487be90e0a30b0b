"""Logs on stderr: one JSON object per line (LOG_FORMAT=json, the production default) or plain
text (development), and one line per request with its id, method, path, status, duration and
the signed-in user.

The path is logged without its query string: tracking and receipt links carry the
complainant's access code there. The request id comes from the proxy's X-Request-ID header when
it is a sane token, else it is made here; it is sent back in the response's X-Request-ID and
added to every line logged while the request runs, so one request's lines can be found
together.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import traceback
import uuid
from typing import Any, TextIO

from flask import Flask, Response, current_app, g, has_request_context, request, session
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@+=-]{1,128}")
_HANDLER_NAME = "registry-stderr"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

request_log = logging.getLogger("app.requests")


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is when a line is logged (gunicorn, pytest and shells
    swap it), so a handler made once never writes to a closed stream."""

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


class _RequestIdFilter(logging.Filter):
    """Adds the current request's id to every record logged while a request runs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id") and has_request_context():
            request_id = g.get("request_id")
            if request_id is not None:
                record.request_id = request_id
        return True


def where_raised(error: BaseException) -> str:
    """An exception for the logs without its values: its type and where it was raised (file,
    line, function per frame), never its message, which may quote a complainant's data."""
    frames = "".join(
        f"\n  {frame.filename}:{frame.lineno} in {frame.name}" for frame in traceback.extract_tb(error.__traceback__)
    )
    return f"{type(error).__qualname__}{frames}"


def json_formatter() -> logging.Formatter:
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, and whatever the
    call passed in `extra` (gunicorn.conf.py uses it for gunicorn's own log too)."""
    return JsonFormatter(
        "{levelname}{name}{message}",
        style="{",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
        json_ensure_ascii=False,
    )


def configure_logging(log_format: str) -> None:
    """Send the root logger's INFO and above to stderr in `log_format` ("json" or "text").
    Idempotent: every app made in one process shares the one handler."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if h.get_name() == _HANDLER_NAME), None)
    if handler is None:
        handler = _StderrHandler()
        handler.set_name(_HANDLER_NAME)
        handler.addFilter(_RequestIdFilter())
        root.addHandler(handler)
    handler.setFormatter(json_formatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root.setLevel(logging.INFO)


def _request_id() -> str:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    return given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def _user_id() -> str | None:
    """The signed-in staff member's id as the session cookie carries it (no database query:
    the line is also written while the database is down)."""
    if current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        return None
    return session.get("_user_id")


def init_app(app: Flask) -> None:
    @app.before_request
    def _start() -> None:
        g.request_id = _request_id()
        g.request_started = time.perf_counter()

    @app.after_request
    def _log(response: Response) -> Response:
        request_id = g.get("request_id") or _request_id()
        response.headers[REQUEST_ID_HEADER] = request_id
        started = g.get("request_started")
        duration_ms = round((time.perf_counter() - started) * 1000, 1) if started is not None else None
        status = response.status_code
        level = logging.ERROR if status == 500 else logging.WARNING if status >= 500 else logging.INFO
        fields: dict[str, Any] = {
            "request_id": request_id,
            "method": request.method,
            "path": request.path,
            "status": status,
            "duration_ms": duration_ms,
            "user_id": _user_id(),
            "client": request.remote_addr,
        }
        request_log.log(level, "%s %s %s %s ms", request.method, request.path, status, duration_ms, extra=fields)
        return response
