"""Absolute URLs printed on paper (QR codes) and sent to integrations; safe redirect targets."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, url_for

#: Where `flask run` listens unless told otherwise: the base of links made outside a request
#: when PUBLIC_BASE_URL is unset (development only; production requires PUBLIC_BASE_URL).
DEVELOPMENT_BASE_URL = "http://127.0.0.1:5000/"


def public_url(endpoint: str, **values: Any) -> str:
    """Absolute URL of `endpoint`, on PUBLIC_BASE_URL when set (behind a proxy), else this host."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


#: Where the staff's pages live; an error under one of them is shown in the staff frame.
STAFF_PREFIXES = ("/staff/", "/manage/", "/admin/")


def is_staff_path(path: str) -> bool:
    """True for a staff page's path (an error page there keeps the staff menu)."""
    return path.startswith(STAFF_PREFIXES) or f"{path}/" in STAFF_PREFIXES


def local_path(target: str | None, default: str) -> str:
    """`target` when it is a path on this site, else `default`: a redirect taken from the
    request never sends anyone to another site."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return default
