"""The JSON API for integrations (chat bots, call-centre tools). A contract: keep the names.

Numbers in URLs: the slug ('2026-000123') as given in `tracking_url`/`receipt_url`, or the
display number percent-encoded ('2026%2F000123').
"""

from __future__ import annotations

import re
from typing import Any

from flask import current_app, jsonify, request
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..complaints.access import display_access_code, find_for_complainant_or_404
from ..complaints.categories import category_choices, category_name
from ..complaints.models import Channel, Complaint
from ..database import commit_with_retry
from ..intake.links import receipt_url, tracking_url
from ..intake.operations import IdempotencyKeyReused, register_complaint
from ..intake.validation import FIELDS, rules_from_config, validate_complaint
from ..ratelimits import complaint_limit, tracking_limit
from ..registry.digest import fingerprint_of
from ..urls import public_url
from ..workflow.messages import complainant_messages
from .blueprint import bp

MAX_IDEMPOTENCY_KEY = 120


def _errors(errors: dict[str, list[str]]) -> tuple[Response, int]:
    return jsonify(errors=errors), 422


def _iso(moment: Any) -> str:
    return moment.isoformat(timespec="seconds")


def _typed_fields(payload: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Keep the known fields of the right JSON type; type errors read like validation errors."""
    data: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, value in payload.items():
        if name not in FIELDS:
            errors[name] = [_("Unknown field.")]
        elif value is None:
            continue
        elif name == "declaration":
            if isinstance(value, bool):
                data[name] = value
            else:
                errors[name] = [_("Must be true or false.")]
        elif isinstance(value, str):
            data[name] = value
        else:
            errors[name] = [_("Must be a string.")]
    return data, errors


def public_view(complaint: Complaint) -> dict[str, Any]:
    return {
        "number": complaint.number,
        "status": complaint.status.value,
        "status_title": complaint.status.title,
        "registered_at": _iso(complaint.registered_at),
        "first_response_due": _iso(complaint.first_response_due),
        "category": complaint.category,
        "category_name": category_name(complaint.category, complaint.language),
        "subject": complaint.subject,
    }


@bp.get("/categories")
def categories() -> Response:
    language = request.args.get("language") or str(get_locale())
    return jsonify([{"code": code, "name": name} for code, name in category_choices(language)])


@bp.post("/complaints")
@complaint_limit
def create_complaint() -> tuple[Response, int]:
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return _errors({"body": [_("Send a JSON object (Content-Type: application/json).")]})
    data, errors = _typed_fields(payload)
    submission, invalid = validate_complaint(data, rules_from_config(current_app.config))
    for name, messages in invalid.items():
        errors.setdefault(name, []).extend(messages)
    if errors or submission is None:
        return _errors(errors)

    key = request.headers.get("Idempotency-Key")
    if key is not None and not (0 < len(key) <= MAX_IDEMPOTENCY_KEY and key.isprintable()):
        return _errors(
            {"Idempotency-Key": [_("Use 1 to %(n)d printable characters.", n=MAX_IDEMPOTENCY_KEY)]}
        )
    try:
        registration = commit_with_retry(
            lambda: register_complaint(
                submission,
                channel=Channel.API,
                idempotency_key=f"api:{key}" if key else None,
            )
        )
    except IdempotencyKeyReused:
        # 409, not 422: the request itself is valid; it conflicts with an earlier registration.
        return jsonify(errors={"Idempotency-Key": [_("This key was already used for a different complaint.")]}), 409

    complaint = registration.complaint
    body = public_view(complaint) | {
        "access_code": display_access_code(complaint.access_code),
        **_links(complaint),
        "fingerprint": fingerprint_of(registration.digest),
    }
    response = jsonify(body)
    response.headers["Location"] = body["api_url"]
    if not registration.created:
        response.headers["Idempotent-Replayed"] = "true"
    return response, 201


def _api_url(complaint: Complaint) -> str:
    return public_url("api.get_complaint", reference=complaint.slug, code=complaint.access_code)


_LINK_ENDPOINTS = {
    "receipt_url": "receipts.receipt_pdf",
    "tracking_url": "intake.track_complaint",
    "api_url": "api.get_complaint",
}
_REFERENCE, _CODE = "__reference__", "__code__"
_PLAIN = re.compile(r"[0-9A-Za-z-]+")


def _links(complaint: Complaint) -> dict[str, str]:
    """The complaint's three links, as `receipt_url`, `tracking_url` and `_api_url` build them.

    One URL is built; the other two are the same scheme, host and script root followed by
    their route's path, kept per app with placeholders for the slug and the code (both plain
    letters, digits and dashes, which URLs carry as they are; anything else goes the long way).
    """
    api_url = _api_url(complaint)
    paths = current_app.extensions.get("api_link_paths")
    if paths is None:
        adapter = current_app.url_map.bind("localhost")
        paths = current_app.extensions["api_link_paths"] = {
            name: adapter.build(endpoint, {"reference": _REFERENCE, "code": _CODE})
            for name, endpoint in _LINK_ENDPOINTS.items()
        }
    slug, code = complaint.slug, complaint.access_code
    filled = {name: path.replace(_REFERENCE, slug).replace(_CODE, code) for name, path in paths.items()}
    if not (_PLAIN.fullmatch(slug) and _PLAIN.fullmatch(code) and api_url.endswith(filled["api_url"])):
        return {"receipt_url": receipt_url(complaint), "tracking_url": tracking_url(complaint), "api_url": api_url}
    root = api_url[: len(api_url) - len(filled["api_url"])]
    return {name: root + path for name, path in filled.items()}


@bp.get("/complaints/<path:reference>")
@tracking_limit
def get_complaint(reference: str) -> Response:
    complaint = find_for_complainant_or_404(reference, request.args.get("code"))
    return jsonify(public_view(complaint) | {
        "first_responded_at": _iso(complaint.first_responded_at) if complaint.first_responded_at else None,
        "resolution": complaint.resolution.value if complaint.resolution else None,
        "messages": [
            {
                "kind": m.kind.value,
                "from_complainant": m.kind.from_complainant,
                "outgoing_number": m.outgoing_number,
                "created_at": _iso(m.created_at),
                "body": m.body,
            }
            for m in complainant_messages(complaint)
        ],
    })
