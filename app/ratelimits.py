"""Rate limits on the public endpoints, and the answer when one is exceeded.

Limits count per client address (`request.remote_addr`; behind a reverse proxy that must be
the client's address, see docs/security.md) in the storage named by RATELIMIT_STORAGE_URI: `memory://`
(one process) by default, `redis://host:6379` when several processes or servers share the load.
Each limit's value is a setting, so an installation tunes it without touching code.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import current_app, jsonify, render_template, request
from flask_babel import ngettext
from flask_limiter.errors import RateLimitExceeded
from werkzeug.wrappers import Response

from .extensions import limiter
from .i18n import posts_language_switch


def _setting(name: str) -> Callable[[], str]:
    return lambda: current_app.config[name]


def _no_lookup() -> bool:
    """An empty look-up form costs nothing; only an attempt with a number counts."""
    return not request.args


#: Registering a complaint: the web form's POST and the API's POST share one count per address.
complaint_limit = limiter.shared_limit(_setting("COMPLAINT_RATE_LIMIT"), scope="complaints", methods=["POST"],
                                       exempt_when=posts_language_switch)  # registers nothing
#: Looking a complaint up by number and access code: the tracking form and pages, the
#: confirmation, the receipt and letter downloads and the API's GET share one count.
tracking_limit = limiter.shared_limit(_setting("TRACKING_RATE_LIMIT"), scope="tracking", exempt_when=_no_lookup)
#: Checking a receipt's fingerprint on /verify.
verify_limit = limiter.limit(_setting("VERIFY_RATE_LIMIT"), exempt_when=_no_lookup)


def retry_after_seconds() -> int:
    """Seconds until the exceeded limit lets this address in again (at least 1)."""
    current = limiter.current_limit
    if current is None:
        return 60
    # The limiter's windows run on the real clock, not on app.clock (which tests may freeze).
    return max(1, int(current.reset_at - time.time()))


def too_many_requests(error: RateLimitExceeded) -> tuple[Response | str, int, dict[str, str]]:
    """A clear 429: a page for people, JSON for the API, and Retry-After for both."""
    seconds = retry_after_seconds()
    headers = {"Retry-After": str(seconds)}
    message = ngettext(
        "Too many requests from your address. Nothing was done; try again in %(num)d second.",
        "Too many requests from your address. Nothing was done; try again in %(num)d seconds.",
        seconds,
    )
    if request.path.startswith("/api/"):
        return jsonify(error="Too Many Requests", message=message, retry_after=seconds), 429, headers
    return render_template("error.html", error=error, message=message), 429, headers
