"""The API's contract: the OpenAPI 3.1 document served at /api/v1/openapi.json.

Written by hand, in this one place, and held to the code twice by tests/test_openapi.py: its
paths and methods must be exactly the /api/v1 rules of the URL map, and schemathesis calls
every operation and checks each answer against these schemas (which forbid undocumented
fields). Enumerations come from the code (statuses, message kinds, ...) and from this
installation's settings (categories, languages, tiers), so they cannot disagree with it.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify
from werkzeug.wrappers import Response

from ..answers.placeholders import PLACEHOLDERS
from ..auth.tokens import TOKEN_PREFIX
from ..complaints.models import Channel, ComplaintStatus, Resolution
from ..languages import LANGUAGES
from ..queue.queries import PAGE_SIZE, DueFilter, Scope
from ..registry.models import EntryKind
from ..settings.store import current_policy
from ..workflow.deadlines import FIRST_RESPONSE, RESOLUTION, DueState
from ..workflow.models import DeadlineKind, EscalationReason, MessageKind
from .blueprint import bp
from .intake import MAX_IDEMPOTENCY_KEY
from .staff import API_ACTIONS, MAX_PAGE_SIZE, RESPOND

JSON = "application/json"
_REF = "#/components/schemas/"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF + name}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    nullable = {**schema, "type": [schema["type"], "null"]}
    if "enum" in schema:
        nullable["enum"] = [*schema["enum"], None]
    return nullable


def _obj(properties: dict[str, Any], required: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    """An object with exactly these properties (all of them required unless said otherwise)."""
    return {"type": "object", "properties": properties,
            "required": list(properties) if required is None else required, "additionalProperties": False, **extra}


def _enum(values: Any) -> dict[str, Any]:
    return {"type": "string", "enum": [getattr(v, "value", v) for v in values]}


STRING = {"type": "string"}
MOMENT = {"type": "string", "format": "date-time", "description": "ISO 8601 with the UTC offset."}
URL = {"type": "string", "format": "uri"}
#: A page cursor as next_url and previous_url carry it (`20261122T101500000000-2026-123`: the
#: sort moment in UTC, the number's year and sequence), or empty for none.
CURSOR = {"type": "string", "pattern": (
    r"^(|[1-9][0-9]{3}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3])[0-5][0-9][0-5][0-9][0-9]{6}"
    r"-[0-9]{1,4}-[0-9]{1,18})$")}
NUMBER = {"type": "string", "description": "The incoming number, e.g. 2026/000123.", "example": "2026/000123"}


def _response(description: str, schema: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description, "content": {JSON: {"schema": _ref(schema)}}}
    if headers:
        response["headers"] = headers
    return response


def _error(description: str) -> dict[str, Any]:
    return _response(description, "Error")


UNAUTHORIZED = _response(
    "No token, or not a valid one (unknown, revoked, or its owner deactivated).", "Error",
    {"WWW-Authenticate": {"description": "The Bearer challenge (RFC 6750).", "required": True, "schema": STRING}},
)
FORBIDDEN = _error("The token's owner lacks the permission, or (for an action) is not the complaint's owner.")
INVALID = _response("Invalid input: a list of messages per field; nothing is changed.", "ValidationErrors")
#: Every operation: the input guard (app/input_guard.py) refuses control characters, lone
#: surrogates and JSON that does not parse before any endpoint runs.
REFUSED = _error("A control character or a lone surrogate in the path, a parameter or the body, or a "
                 "body that is not JSON (or nests too deeply): refused, the field named in the message.")
STAFF = [{"staffToken": []}]

REFERENCE = {
    "name": "reference", "in": "path", "required": True,
    "description": "The incoming number as the slug (`2026-000123`) or percent-encoded (`2026%2F000123`).",
    "schema": {"type": "string", "minLength": 1}, "example": "2026-000123",
}


def _schemas(categories: list[str], languages: list[str], tiers: list[int]) -> dict[str, Any]:
    tier = {"type": "integer", "enum": tiers}
    person = _nullable(_ref("Person"))
    file = {"id": {"type": "integer"}, "filename": STRING, "content_type": STRING,
            "size": {"type": "integer", "minimum": 0}, "sha256": STRING}
    public = {
        "number": NUMBER,
        "status": _enum(ComplaintStatus),
        "status_title": STRING,
        "registered_at": MOMENT,
        "first_response_due": MOMENT,
        "category": STRING,
        "category_name": STRING,
        "subject": STRING,
    }
    return {
        "Error": _obj({"error": {**STRING, "description": "The HTTP reason phrase."},
                       "message": {**STRING, "description": "What went wrong, for a person."}}),
        "ValidationErrors": _obj({"errors": {
            "type": "object", "description": "Messages per field (or per header, or `body`).",
            "additionalProperties": {"type": "array", "items": STRING, "minItems": 1},
        }}),
        "Category": _obj({"code": _enum(categories), "name": STRING}),
        "ComplaintSubmission": _obj(
            {
                "full_name": {**STRING, "minLength": 2, "description": "2 to 200 characters."},
                "email": _nullable({**STRING, "description": "E-mail and/or phone: at least one."}),
                "phone": _nullable({**STRING, "description": "With the country code, e.g. +373 69 123 456."}),
                "postal_address": _nullable({**STRING, "description": "At most 500 characters."}),
                "category": _enum(categories),
                "subject": {**STRING, "minLength": 3, "description": "3 to 200 characters."},
                "description": {**STRING, "minLength": 10, "description": "10 to 10,000 characters."},
                "desired_outcome": {**STRING, "minLength": 3, "description": "3 to 2,000 characters."},
                "language": _enum(languages),
                "signature": {**STRING, "minLength": 2, "description": "The typed full name, as `full_name`."},
                "declaration": {"const": True, "description": "I confirm this complaint is true and I sign it."},
            },
            required=["full_name", "category", "subject", "description", "desired_outcome", "language",
                      "signature", "declaration"],
            description="Text is trimmed and normalised before the length rules apply. Unknown fields are errors.",
            example={
                "full_name": "Ana-Maria Ștefănescu", "email": "ana.maria@example.md", "phone": "+373 69 123 456",
                "postal_address": "str. Mihai Eminescu 5, Chișinău", "category": categories[0],
                "subject": "A withdrawal did not arrive",
                "description": "I asked for a withdrawal of 500 MDL on 20 November; it did not arrive.",
                "desired_outcome": "Pay the withdrawal and explain the delay.", "language": languages[0],
                "signature": "Ana-Maria Ștefănescu", "declaration": True,
            },
        ),
        "PublicComplaint": _obj({
            **public,
            "first_responded_at": _nullable(MOMENT),
            "resolution": _nullable(_enum(Resolution)),
            "messages": {"type": "array", "items": _ref("PublicMessage")},
        }),
        "PublicMessage": _obj({
            "kind": _enum(k for k in MessageKind if not k.internal),
            "from_complainant": {"type": "boolean"},
            "outgoing_number": _nullable(STRING),
            "created_at": MOMENT,
            "body": STRING,
        }),
        "Registration": _obj({
            **public,
            "access_code": {**STRING, "description": "The complainant's access code, e.g. ABCD-2345-WXYZ."},
            "receipt_url": {**URL, "description": "The two-copy stamped receipt (PDF)."},
            "tracking_url": {**URL, "description": "The complainant's tracking page."},
            "api_url": {**URL, "description": "GET it for the public view (also the Location header)."},
            "fingerprint": {**STRING, "description": "The record's short fingerprint, as on the receipt."},
        }),
        "Person": _obj({"id": {"type": "integer"}, "name": STRING}),
        "QueueItem": _obj({
            "number": NUMBER,
            "subject": STRING,
            "category": STRING,
            "status": _enum(ComplaintStatus),
            "tier": {"type": "integer"},
            "owner": person,
            "registered_at": MOMENT,
            "first_response_due": MOMENT,
            "first_responded_at": _nullable(MOMENT),
            "resolution_due": _nullable(MOMENT),
            "deadline": _obj({
                "kind": {"type": ["string", "null"], "enum": [FIRST_RESPONSE, RESOLUTION, None],
                         "description": "The deadline the complaint works against now (null: none runs)."},
                "due": _nullable(MOMENT),
                "warn_at": _nullable({**MOMENT, "description": "When it turns due soon."}),
                "state": _enum(DueState),
            }),
            "first_response_breached": {"type": "boolean"},
            "url": {**URL, "description": "The staff view of the complaint."},
        }),
        "QueuePage": _obj({
            "complaints": {"type": "array", "items": _ref("QueueItem")},
            "counts": _obj({name: {"type": "integer", "minimum": 0}
                            for name in ("total", "overdue", "due_soon", "shown")}),
            "next_url": _nullable({**URL, "description": "The next page (same filters), or null at the end."}),
            "previous_url": _nullable({**URL, "description": "The previous page, or null on the first."}),
        }),
        "StaffMessage": _obj({
            "id": {"type": "integer"},
            "kind": _enum(MessageKind),
            "from_complainant": {"type": "boolean"},
            "outgoing_number": _nullable({**STRING, "description": "Letters to the complainant: OUT-2026/000012."}),
            "created_at": MOMENT,
            "author": person,
            "consulted": person,
            "body": STRING,
        }),
        "StaffComplaint": _obj({
            "number": NUMBER,
            "status": _enum(ComplaintStatus),
            "status_title": STRING,
            "channel": _enum(Channel),
            "registered_at": MOMENT,
            "received_at": MOMENT,
            "complainant": _obj({
                "full_name": STRING, "email": _nullable(STRING), "phone": _nullable(STRING),
                "postal_address": _nullable(STRING), "language": STRING,
            }),
            "category": STRING,
            "category_name": STRING,
            "subject": STRING,
            "description": STRING,
            "desired_outcome": STRING,
            "signature": STRING,
            "attachments": {"type": "array", "items": _obj(file), "description": "The intake's files."},
            "documents": {"type": "array", "items": _obj({**file, "entry_position": _nullable({"type": "integer"})}),
                          "description": "Every file of the complaint (GET .../attachments/{id} gives one), with "
                                         "the position of the signed event that brought it (null: the intake)."},
            "tier": tier,
            "owner": person,
            "transfer_count": {"type": "integer", "minimum": 0},
            "first_response": _obj({"due": MOMENT, "responded_at": _nullable(MOMENT), "state": _enum(DueState)}),
            "resolution": _obj({
                "due": _nullable(MOMENT), "decision": _nullable(_enum(Resolution)), "resolved_at": _nullable(MOMENT),
                "closed_at": _nullable(MOMENT), "state": _enum(DueState),
            }),
            "can_respond": {"type": "boolean", "description": "Whether the token's owner may respond now."},
            "messages": {"type": "array", "items": _ref("StaffMessage"),
                         "description": "Letters, the complainant's messages and internal notes, oldest first."},
            "escalations": {"type": "array", "items": _obj({
                "from_tier": {"type": "integer"}, "to_tier": {"type": "integer"},
                "reason": _enum(EscalationReason), "note": _nullable(STRING), "escalated_at": MOMENT,
            })},
            "breaches": {"type": "array", "items": _obj({
                "kind": _enum(DeadlineKind), "tier": {"type": "integer"}, "due_at": MOMENT, "detected_at": MOMENT,
            })},
            "history": {"type": "array", "description": "The complaint's signed registry entries, in order.",
                        "items": _obj({
                            "position": {"type": "integer"}, "at": MOMENT, "kind": _enum(EntryKind),
                            "title": STRING, "by": _nullable(STRING), "reason": _nullable(STRING),
                            "fingerprint": STRING,
                        })},
            "url": URL,
        }),
        "ResponseSubmission": _obj(
            RESPOND.fields, list(RESPOND.required),
            example={"body": "We have checked your withdrawal: it was paid today. We apologise for the delay."},
        ),
        "AnswerTemplates": _obj({"templates": {"type": "array", "items": _obj({
            "id": {"type": "integer"},
            "category": _nullable({**STRING, "description": "For this category (its code); null: for every one."}),
            "version_id": {"type": "integer", "description": "The current version: send it as template_version."},
            "version": {"type": "integer", "minimum": 1, "description": "Its number, 1, 2, ... per template."},
            "texts": _obj({language: _obj({
                "title": STRING,
                "body": {**STRING, "description": "With its placeholders ({number}, {name}, ...) unfilled."},
                "placeholders": {"type": "array", "items": _enum(PLACEHOLDERS), "uniqueItems": True,
                                 "description": "The placeholders the body holds, in order."},
            }) for language in languages}, [], description="Per language written (at least one)."),
        })}}),
        "ResponseSent": _obj({"message": _ref("StaffMessage"), "complaint": _ref("StaffComplaint")}),
        "ActionDone": _obj({"complaint": _ref("StaffComplaint")}),
    }


def _action_paths() -> dict[str, Any]:
    """The case page's actions offered to integrations (staff.API_ACTIONS), one path each."""
    paths = {}
    for name, spec in API_ACTIONS.items():
        body = _obj(spec.fields, list(spec.required))
        media = "multipart/form-data" if spec.files else JSON
        paths[f"/staff/complaints/{{reference}}/{name.replace('_', '-')}"] = {"post": {
            "operationId": spec.operation_id, "tags": ["staff"], "security": STAFF,
            "summary": spec.summary,
            "description": "The case page's action of the same name: the same form rules, the same operation "
                           "(a signed event, the letters and e-mails it sends), the same permission.",
            "parameters": [REFERENCE],
            "requestBody": {"required": bool(spec.fields), "content": {media: {"schema": body}}},
            "responses": {
                "200": _response("Done: the complaint as it is now.", "ActionDone"),
                "401": UNAUTHORIZED,
                "403": _error("The token's owner may not do this (not their role, or not the complaint's owner)."),
                "404": _error("No complaint has this number."),
                "409": _error("The complaint's status, tier or owner does not allow this now."),
                "422": INVALID,
            },
        }}
    paths["/staff/complaints/{reference}/attachments/{attachment_id}"] = {"get": {
        "operationId": "getAttachment", "tags": ["staff"], "security": STAFF,
        "summary": "A document of the complaint (the case view lists them), always as a download.",
        "parameters": [REFERENCE, {"name": "attachment_id", "in": "path", "required": True,
                                   "schema": {"type": "integer", "minimum": 1}}],
        "responses": {
            "200": {"description": "The file, with its type as checked at upload.",
                    "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}},
            "401": UNAUTHORIZED, "403": FORBIDDEN,
            "404": _error("No complaint has this number, or it has no such document."),
        },
    }}
    return paths


def _paths(tiers: list[int]) -> dict[str, Any]:
    def query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
        return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}

    return {
        "/openapi.json": {"get": {
            "operationId": "getOpenApi", "tags": ["contract"], "summary": "This document.", "security": [],
            "responses": {"200": {"description": "The OpenAPI document.",
                                  "content": {JSON: {"schema": {"type": "object"}}}}},
        }},
        "/categories": {"get": {
            "operationId": "listCategories", "tags": ["intake"], "summary": "The complaint categories.",
            "security": [],
            "parameters": [query("language", "Names in this language (en, ru, ro, uk); English for any other. "
                                 "Without it, the request's language.", STRING)],
            "responses": {"200": {"description": "Every category, in the configured order.",
                                  "content": {JSON: {"schema": {"type": "array", "items": _ref("Category")}}}}},
        }},
        "/complaints": {"post": {
            "operationId": "registerComplaint", "tags": ["intake"], "security": [],
            "summary": "Register a formal complaint: it gets its incoming number at once.",
            "parameters": [{
                "name": "Idempotency-Key", "in": "header", "required": False,
                "description": "Retries with the same key and content return the first registration; "
                               "the same key with other content is refused (409).",
                "schema": {"type": "string", "minLength": 1, "maxLength": MAX_IDEMPOTENCY_KEY},
            }],
            "requestBody": {"required": True, "content": {JSON: {"schema": _ref("ComplaintSubmission")}}},
            "responses": {
                "201": _response("Registered (or, with a replayed Idempotency-Key, the first registration).",
                                 "Registration", {
                                     "Location": {"description": "The public view (api_url).", "required": True,
                                                  "schema": URL},
                                     "Idempotent-Replayed": {"description": "`true` when this answers a retry.",
                                                             "schema": {"type": "string", "enum": ["true"]}},
                                 }),
                "409": _response("The Idempotency-Key was already used for a different complaint: nothing is "
                                 "registered (a message under `Idempotency-Key`).", "ValidationErrors"),
                "422": INVALID,
            },
        }},
        "/complaints/{reference}": {"get": {
            "operationId": "getComplaint", "tags": ["intake"], "security": [],
            "summary": "The complainant's view of a complaint, with the access code.",
            "parameters": [REFERENCE, query("code", "The access code (dashes optional).", STRING)],
            "responses": {
                "200": _response("The public view, with the letters sent and the complainant's replies.",
                                 "PublicComplaint"),
                "404": _error("No such complaint, or a wrong code (the two look the same)."),
            },
        }},
        "/staff/complaints": {"get": {
            "operationId": "listQueue", "tags": ["staff"], "security": STAFF,
            "summary": "The staff queue: open complaints by the deadline each works against now.",
            "description": "The same filters and order as the queue page (/staff/queue). Needs the "
                           "handle_complaints permission.",
            "parameters": [
                query("show", "Whose complaints: mine_and_tier (the user's own, at any tier, and every "
                      "one at their tier: the default for a user with a tier; only for them), mine, my_tier "
                      "(only for a user with a tier), unassigned, all (the default otherwise).", _enum(Scope)),
                query("tier", "Only this tier (empty: any).",
                      {"anyOf": [{"type": "integer", "enum": tiers}, {"type": "string", "enum": [""]}]}),
                query("due", "Only overdue, or only due soon (empty: all).", _enum([*DueFilter, ""])),
                query("after", "A cursor: the page after it (from next_url). Empty: none. "
                      "Not together with before (422).", CURSOR),
                query("before", "A cursor: the page before it (from previous_url). Empty: none.", CURSOR),
                query("limit", f"Page size (default {PAGE_SIZE}).",
                      {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE}),
            ],
            "responses": {
                "200": _response("One page of the queue and the counts of the whole filter.", "QueuePage"),
                "401": UNAUTHORIZED, "403": FORBIDDEN,
                "422": INVALID,
            },
        }},
        "/staff/complaints/{reference}": {"get": {
            "operationId": "getStaffComplaint", "tags": ["staff"], "security": STAFF,
            "summary": "A complaint as its case page shows it (needs the view_journal permission).",
            "parameters": [REFERENCE],
            "responses": {
                "200": _response("The record, handling, deadlines, correspondence and signed history.",
                                 "StaffComplaint"),
                "401": UNAUTHORIZED, "403": FORBIDDEN,
                "404": _error("No complaint has this number."),
            },
        }},
        "/staff/templates": {"get": {
            "operationId": "listAnswerTemplates", "tags": ["staff"], "security": STAFF,
            "summary": "The answer templates offered to officers, each with its current version.",
            "description": "The case page inserts a template filled in with the complaint's details; an "
                           "integration fills the placeholders itself and names the version it started from "
                           "as `template_version` when it sends the letter (respond, request-information, "
                           "resolve), so the letter counts as a use of the template. Needs the "
                           "handle_complaints permission.",
            "responses": {
                "200": _response("Every template not retired, by id.", "AnswerTemplates"),
                "401": UNAUTHORIZED, "403": FORBIDDEN,
            },
        }},
        "/staff/complaints/{reference}/responses": {"post": {
            "operationId": "respond", "tags": ["staff"], "security": STAFF,
            "summary": "Send the complainant a response, as the case page's Respond does.",
            "description": "Only the complaint's owner may respond, and only in a status that allows it "
                           "(in progress, waiting, responded, reopened). The response is a numbered "
                           "letter; the first one stops the first-response clock.",
            "parameters": [REFERENCE],
            "requestBody": {"required": True, "content": {JSON: {"schema": _ref("ResponseSubmission")}}},
            "responses": {
                "201": _response("The response is recorded and sent.", "ResponseSent", {
                    "Location": {"description": "The staff view of the complaint.", "required": True, "schema": URL},
                }),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "404": _error("No complaint has this number."),
                "409": _error("The complaint's status does not allow a response now (e.g. it is closed)."),
                "422": INVALID,
            },
        }},
    }


def _with_refusals(paths: dict[str, Any]) -> dict[str, Any]:
    for operations in paths.values():
        for operation in operations.values():
            operation["responses"].setdefault("400", REFUSED)
    return paths


def openapi_document() -> dict[str, Any]:
    """The document for the running app (its categories, languages and tiers)."""
    config = current_app.config
    categories = [c["code"] for c in config["CATEGORIES"]]
    languages = list(LANGUAGES)
    tiers = [t.level for t in current_policy().tiers]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Complaint registry API",
            "version": "1.0.0",
            "description": (
                "Register formal complaints and follow them (public, no authentication), and work the "
                "staff queue from an integration (`/staff/...`: a personal API token). Errors are "
                "`{\"error\", \"message\"}`, except invalid input: 422 `{\"errors\": {field: [messages]}}`."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "paths": _with_refusals({**_paths(tiers), **_action_paths()}),
        "components": {
            "schemas": _schemas(categories, languages, tiers),
            "securitySchemes": {"staffToken": {
                "type": "http", "scheme": "bearer",
                "description": f"A personal API token (`{TOKEN_PREFIX}...`), made on the staff page "
                               "/staff/tokens or with `flask users token create`. It acts with its owner's "
                               "role; revoked tokens and those of deactivated staff are refused.",
            }},
        },
    }


@bp.get("/openapi.json")
def openapi_json() -> Response:
    return jsonify(openapi_document())
