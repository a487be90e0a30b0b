"""Rate limits on the public endpoints, and the answer when one is exceeded.

Limits count per client address (`request.remote_addr`; behind a reverse proxy that must be
the client's address, see docs/security.md) in the storage named by RATELIMIT_STORAGE_URI: `memory://`
(one process) by default, `redis://host:6379` when several processes or servers share the load.
Each limit's value is a setting, so an installation tunes it without touching code.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import ngettext
from flask_limiter import RequestLimit, RouteLimit
from flask_limiter.errors import RateLimitExceeded
from werkzeug.wrappers import Response

from .extensions import limiter
from .i18n import posts_language_switch

#: Settings that give Flask-Limiter's request hooks work to do: limits on every route (default,
#: application), meta limits, in-memory fallback limits, X-RateLimit-* headers.
APP_WIDE_SETTINGS = ("RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION", "RATELIMIT_META", "RATELIMIT_IN_MEMORY_FALLBACK",
                     "RATELIMIT_HEADERS_ENABLED")


def init_app(app: Flask) -> None:
    """Bind the limiter to `app`, without its request hooks when they have nothing to do.

    Flask-Limiter adds three hooks to every request: a before-request pass that applies the
    limits all routes share, an after-request one that writes X-RateLimit-* headers and makes
    conditional deductions, a teardown that clears what they kept. This app declares each limit
    on its view (checked by the view's decorator), deducts nothing conditionally and sends no
    such headers, so the hooks only cost time: about 0.09 ms of CPU on every request. Unless one
    of APP_WIDE_SETTINGS is set they are left out, through Flask-Limiter's own guard (it adds
    them once per app, and not to an app whose `extensions["limiter"]` already lists it). A
    limit for a whole blueprint, or limits passed to `Limiter(...)` itself, would need them back.
    """
    if not any(app.config.get(name) for name in APP_WIDE_SETTINGS):
        app.extensions.setdefault("limiter", set()).add(limiter)
    limiter.init_app(app)


def _setting(name: str) -> Callable[[], str]:
    return lambda: current_app.config[name]


def _no_lookup() -> bool:
    """An empty look-up form costs nothing; only an attempt with a number counts."""
    return not request.args


F = TypeVar("F", bound=Callable[..., Any])


class _Refused(RateLimitExceeded):
    """`in_one_pass` refused the request; `refused` says which count and when it lets the address in."""

    def __init__(self, refused: RequestLimit, *args: Any) -> None:
        super().__init__(*args)
        self.refused = refused


def in_one_pass(definition: RouteLimit) -> Callable[[F], F]:
    """Check `definition` (a limit made with `limiter.limit`/`shared_limit`, not applied as a
    decorator) once, in the view's decorator, instead of Flask-Limiter's two passes (its app-wide
    before-request pass, then the view's). The count is the one Flask-Limiter keeps: the same
    strategy and storage (`limiter.limiter`), the same key, scope and prefix, the same exemptions;
    a refusal is the same RateLimitExceeded, answered by `too_many_requests` with its Retry-After.
    For a route that has no other limit (the app sets no default, application or meta limits)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def limited(*args: Any, **kwargs: Any) -> Any:
            _hit(definition)
            return view(*args, **kwargs)

        return limited  # type: ignore[return-value]

    return decorator


def _hit(definition: RouteLimit) -> None:
    if not limiter.enabled:
        return
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX")
    for limit in sorted(definition, key=lambda runtime: runtime.limit):  # as Flask-Limiter orders them
        if limit.is_exempt or limit.method_exempt:
            continue
        key = [limit.key_func(), limit.scope_for(request.endpoint or "", request.method)]
        if prefix:
            key.insert(0, prefix)
        if not limiter.limiter.hit(limit.limit, *key, cost=limit.deduction_amount):
            limiter.logger.info("ratelimit %s (%s) exceeded at endpoint: %s", limit.limit, key[-2], key[-1])
            raise _Refused(RequestLimit(limiter, limit.limit, key, True, limit.shared), limit)


#: Registering a complaint: the web form's POST and the API's POST share one count per address.
complaint_limit = in_one_pass(limiter.shared_limit(
    _setting("COMPLAINT_RATE_LIMIT"), scope="complaints", methods=["POST"],
    exempt_when=posts_language_switch,  # registers nothing
))
#: Looking a complaint up by number and access code: the tracking form and pages, the
#: confirmation, the receipt and letter downloads and the API's GET share one count.
tracking_limit = limiter.shared_limit(_setting("TRACKING_RATE_LIMIT"), scope="tracking", exempt_when=_no_lookup)
#: Checking a receipt's fingerprint on /verify.
verify_limit = limiter.limit(_setting("VERIFY_RATE_LIMIT"), exempt_when=_no_lookup)


def retry_after_seconds(error: RateLimitExceeded) -> int:
    """Seconds until the exceeded limit lets this address in again (at least 1)."""
    current = error.refused if isinstance(error, _Refused) else limiter.current_limit
    if current is None:
        return 60
    # The limiter's windows run on the real clock, not on app.clock (which tests may freeze).
    return max(1, int(current.reset_at - time.time()))


def too_many_requests(error: RateLimitExceeded) -> tuple[Response | str, int, dict[str, str]]:
    """A clear 429: a page for people, JSON for the API, and Retry-After for both."""
    seconds = retry_after_seconds(error)
    headers = {"Retry-After": str(seconds)}
    message = ngettext(
        "Too many requests from your address. Nothing was done; try again in %(num)d second.",
        "Too many requests from your address. Nothing was done; try again in %(num)d seconds.",
        seconds,
    )
    if request.path.startswith("/api/"):
        return jsonify(error="Too Many Requests", message=message, retry_after=seconds), 429, headers
    return render_template("error.html", error=error, message=message), 429, headers
