"""Registering and changing webhook endpoints. Flush, never commit; each change is in the audit
trail with its old and new values (the secret never: only that it changed)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l

from ..audit.models import AuditAction
from ..audit.service import record
from ..auth.models import User
from ..clock import now_utc
from ..extensions import db
from ..notifications.models import DeliveryStatus
from ..text import clean_text, has_bidi_controls
from .dispatch import head_position
from .events import WebhookEvent, store_events
from .models import WebhookDelivery, WebhookEndpoint

URL_MAX_LENGTH = 2000
DESCRIPTION_MAX_LENGTH = 200


class InvalidEndpoint(Exception):
    """What was typed breaks a rule; `errors` holds the messages per field. Nothing was saved."""

    def __init__(self, errors: Mapping[str, list[Any]]) -> None:
        super().__init__("invalid webhook endpoint")
        self.errors = dict(errors)


def _netloc(url: str) -> tuple[str, int | None] | None:
    parts = urlsplit(url)
    try:
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        return None
    return (parts.hostname or "").lower(), port


def check_url(url: str, own_urls: Iterable[str]) -> str | None:
    """Why `url` cannot receive webhooks (None: it can): http(s) with a host, no user or
    password in it, no more than URL_MAX_LENGTH characters, not the registry itself."""
    if not url:
        return str(_l("Type the receiver's address."))
    if len(url) > URL_MAX_LENGTH:
        return str(_l("An address has at most %(n)d characters.", n=URL_MAX_LENGTH))
    if any(ch.isspace() for ch in url) or has_bidi_controls(url) or not url.isprintable():
        return str(_l("An address has no spaces or control characters."))
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return str(_l("This is not a web address."))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return str(_l("The address must start with http:// or https:// and name a host."))
    if parts.username or parts.password:
        return str(_l("Put no user name or password in the address: the signature authenticates the registry."))
    if _netloc(url) in {_netloc(own) for own in own_urls if own}:
        return str(_l("This is the registry's own address: webhooks go to another system."))
    return None


def _validated(url: str, description: str, events: Iterable[str], own_urls: Iterable[str]
               ) -> tuple[str, str, frozenset[WebhookEvent]]:
    url, description = clean_text(url or ""), clean_text(description or "")
    errors: dict[str, list[Any]] = {}
    if (problem := check_url(url, own_urls)) is not None:
        errors["url"] = [problem]
    if len(description) > DESCRIPTION_MAX_LENGTH:
        errors["label"] = [_l("A description has at most %(n)d characters.", n=DESCRIPTION_MAX_LENGTH)]
    values = set(events)
    known = {event.value for event in WebhookEvent}
    if not values or not values <= known:
        errors["events"] = [_l("Choose at least one event.")]
    if errors:
        raise InvalidEndpoint(errors)
    return url, description, frozenset(WebhookEvent(value) for value in values)


def _facts(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {"url": endpoint.url, "description": endpoint.description, "events": endpoint.events,
            "active": endpoint.active}


def _audit(endpoint: WebhookEndpoint, what: str, by: User | None, **details: Any) -> None:
    record(AuditAction.SETTINGS_CHANGED, target=f"webhook {endpoint.id}", details={"webhook": what, **details}, user=by)


def create_endpoint(*, url: str, description: str, events: Iterable[str], by: User | None,
                    own_urls: Iterable[str] = ()) -> WebhookEndpoint:
    """Register a receiver with a new secret; it receives the events recorded from now on."""
    url, description, wanted = _validated(url, description, events, own_urls)
    endpoint = WebhookEndpoint(
        url=url, description=description, events=store_events(wanted), secret=secrets.token_hex(32),
        active=True, cursor=head_position(), created_at=now_utc(), created_by_id=by.id if by else None,
    )
    db.session.add(endpoint)
    db.session.flush()
    _audit(endpoint, "created", by, new=_facts(endpoint))
    return endpoint


def update_endpoint(endpoint: WebhookEndpoint, *, url: str, description: str, events: Iterable[str], active: bool,
                    by: User | None, own_urls: Iterable[str] = ()) -> WebhookEndpoint:
    """Change a receiver. Switched back on, it starts from the events recorded from then on:
    what happened while it was off is not sent."""
    url, description, wanted = _validated(url, description, events, own_urls)
    old = _facts(endpoint)
    if active and not endpoint.active:
        endpoint.cursor = head_position()
    endpoint.url, endpoint.description, endpoint.events, endpoint.active = url, description, store_events(wanted), active
    db.session.flush()
    if _facts(endpoint) != old:
        _audit(endpoint, "changed", by, old=old, new=_facts(endpoint))
    return endpoint


def rotate_secret(endpoint: WebhookEndpoint, *, by: User | None) -> WebhookEndpoint:
    """A new secret, from the next delivery on (the receiver must be given it)."""
    endpoint.secret = secrets.token_hex(32)
    db.session.flush()
    _audit(endpoint, "secret_changed", by)
    return endpoint


def retry_delivery(delivery: WebhookDelivery, *, by: User | None) -> WebhookDelivery:
    """Queue a failed delivery again, due now, with a fresh count of attempts."""
    if delivery.status != DeliveryStatus.FAILED:
        raise InvalidEndpoint({"delivery": [_l("Only a failed delivery can be sent again.")]})
    delivery.status, delivery.attempts, delivery.next_attempt_at = DeliveryStatus.QUEUED, 0, now_utc()
    db.session.flush()
    _audit(delivery.endpoint, "delivery_retried", by, delivery=delivery.id, position=delivery.position)
    return delivery
