"""Hostile input, refused once for every route before any view sees it.

A NUL byte, another control character, or a lone surrogate anywhere in the path, the query
string, a form field, an upload's file name or a JSON body (keys and strings, at any depth) is
answered with a 400 naming the field, in the shape of the rest of the app's errors: the error
page, or `{"error", "message"}` under /api/ (the app's HTTPException handler). PostgreSQL
refuses NUL in text and no database stores a lone surrogate, so without this each of them was a
500. A JSON body that does not parse, for any reason (bad syntax, bad UTF-8, nesting deep enough
to exhaust Python's recursion), or that nests deeper than `MAX_JSON_DEPTH`, is a 400 too.

The `int` converter of every rule takes the digits 0-9 up to a signed 64-bit integer.

Also here: unhandled exceptions are logged by type, route and traceback frames only, never with
the exception's message, which may quote what a complainant typed (`ComplaintStatus(' ')`, a
database error with its statement).
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import unquote_to_bytes

from flask import Flask, abort, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

from .serving.logs import where_raised
from .text import ROW_ID_MAX

#: Never in a one-line value (the path, the query string, names): C0, DEL, C1, surrogates.
_NOT_IN_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
#: Never in a form or JSON value: the same, except tab, line feed and carriage return.
_NOT_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
#: Deeper JSON than any of our documents (a complaint is one flat object).
MAX_JSON_DEPTH = 32
_MAX_NAME = 60

error_log = logging.getLogger("app.errors")


def _shown(name: str) -> str:
    """A field's name as the message can show it: refused characters as '?', kept short."""
    return _NOT_IN_LINE.sub("?", name)[:_MAX_NAME]


def _refuse(field: str) -> None:
    abort(400, _("“%(field)s” contains a character that is not allowed (a control character or an "
                 "invalid character code). Remove it and try again.", field=_shown(field)))


def _query_pairs(query: bytes) -> list[tuple[str, str]]:
    """The query string's names and values, percent-decoded as UTF-8; bytes that are not UTF-8
    become lone surrogates (so they are refused like the rest)."""
    pairs = []
    for part in query.split(b"&"):
        if not part:
            continue
        name, _sep, value = part.partition(b"=")
        pairs.append(tuple(
            unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8", "surrogateescape") for raw in (name, value)
        ))
    return pairs  # type: ignore[return-value]


def _check_json(document: Any) -> None:
    """Every key and string of `document`, at every depth, without recursion."""
    stack: list[tuple[Any, str, int]] = [(document, "body", 1)]
    while stack:
        value, where, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            abort(400, _("The JSON body is nested too deeply."))
        if isinstance(value, str):
            if _NOT_IN_TEXT.search(value):
                _refuse(where)
        elif isinstance(value, dict):
            for key, item in value.items():
                if _NOT_IN_LINE.search(key):
                    _refuse(key)
                stack.append((item, key if where == "body" else f"{where}.{key}", depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{where}[{index}]", depth + 1) for index, item in enumerate(value))


def guard_request() -> None:
    """The before_request hook: abort(400) on the first refused character or bad JSON."""
    path = request.environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "surrogateescape")
    if _NOT_IN_LINE.search(path):
        abort(400, _("The address contains a character that is not allowed (a control character or an "
                     "invalid character code)."))
    for name, value in _query_pairs(request.query_string):
        if _NOT_IN_LINE.search(name) or _NOT_IN_LINE.search(value):
            _refuse(name)
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for name, value in request.form.items(multi=True):
            if _NOT_IN_LINE.search(name) or _NOT_IN_TEXT.search(value):
                _refuse(name)
        for name, upload in request.files.items(multi=True):
            if _NOT_IN_LINE.search(name) or _NOT_IN_LINE.search(upload.filename or ""):
                _refuse(name)
    elif request.is_json:
        body = request.get_data(cache=True)
        if not body:
            return
        try:
            # Parsed once for the whole request: the view's `request.get_json()` gets this document.
            document = request.get_json(cache=True)
        except (BadRequest, RecursionError):  # syntax, encoding (UnicodeDecodeError), depth
            abort(400, _("The body is not valid JSON."))
        _check_json(document)


def log_exception(app: Flask, exc_info: Any) -> None:
    """Flask's `log_exception` without the values: the exception's type, the route, and where
    it was raised (file, line, function per frame), never its message."""
    _type, error, _tb = exc_info
    rule = request.url_rule.rule if request.url_rule is not None else "(no route)"
    error_log.error(
        "Unhandled %s on %s %s", where_raised(error), request.method, rule,
        extra={"exception": type(error).__qualname__, "route": rule, "method": request.method},
    )


class RowIdConverter(IntegerConverter):
    """`<int:...>` in every rule: the digits 0-9 and at most the largest row id (`ROW_ID_MAX`: a
    larger id matched, then overflowed the database driver: a 500); anything else is no match, a
    404."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002  (werkzeug's name)
        kwargs.setdefault("max", ROW_ID_MAX)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    """Before the blueprints: their rules compile with the bounded `int` converter."""
    app.url_map.converters["int"] = RowIdConverter
    app.before_request(guard_request)
    app.log_exception = lambda exc_info: log_exception(app, exc_info)  # type: ignore[method-assign]
