"""Serving in production: trusted proxy headers, one structured log line per request, and a
clear 503 (never a 500) while the database cannot be reached, and no caching of personal data,
and the session cookie's signer made once (session_cookie.py). `init_app` binds all five;
workers.py is what a long-running server process does once started or forked."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import headers, logs, outage
from .session_cookie import SessionCookie


def init_app(app: Flask) -> None:
    """Called first in `create_app`, so the request log sees every request from its start."""
    proxies = app.config["PROXY_COUNT"]
    if proxies:
        # Behind nginx: the client's address (rate limits, logs), scheme and host come from the
        # X-Forwarded-* headers the proxy sets; never trusted when no proxy is configured.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
    logs.configure_logging(app.config["LOG_FORMAT"])
    logs.init_app(app)
    outage.init_app(app)
    headers.init_app(app)
    app.session_interface = SessionCookie()
