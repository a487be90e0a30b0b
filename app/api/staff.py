"""The staff integrations' endpoints (`/api/v1/staff/...`), behind personal API tokens.

Thin like the staff pages: the token's owner and their permission (auth.py), the queue's own
filter form and queries, the case page's own response form and `workflow.operations.respond`,
and the case page's other actions from its one table (app/desk/actions.py): the same forms,
operations, permissions and refusals.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, jsonify, request, url_for
from flask_babel import gettext as _
from msgspec import Struct, field
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from ..answers.operations import active_templates
from ..auth.models import User
from ..auth.permissions import Permission
from ..clock import now_utc
from ..complaints.access import find_by_reference
from ..complaints.download import complaint_attachment, evidence_response
from ..complaints.errors import ComplaintChangeForbidden, ComplaintChangeRefused
from ..complaints.guards import MAX_TEXT_LENGTH
from ..complaints.models import Complaint, Resolution
from ..database import commit_with_retry
from ..desk.actions import ACTIONS, make_form
from ..desk.operations import record_evidence_download
from ..extensions import db
from ..queue.forms import QueueFilterForm
from ..queue.queries import PAGE_SIZE, format_cursor, parse_cursor, queue_counts, queue_line, queue_page
from ..settings.store import current_policy
from ..text import ascii_integer
from ..workflow.operations import DOCUMENT_CHANNELS
from .auth import api_user, error_response, token_required
from .blueprint import SUB_RESOURCES, bp
from .views import message_item, queue_item, staff_complaint, template_item

MAX_PAGE_SIZE = 100


def _invalid(errors: dict[str, list[str]]) -> tuple[Response, int]:
    return jsonify(errors=errors), 422


def _commit_or_refusal(work: Callable[[], Any]) -> tuple[Any, Response | None]:
    """Run one unit of work and commit it: (its result, None), or (None, the answer to a
    refusal): 403 when it is who asks (not the owner), 409 when it is the complaint's state."""
    try:
        return commit_with_retry(work), None
    except ComplaintChangeForbidden as refused:
        db.session.rollback()
        return None, error_response(403, str(refused))
    except ComplaintChangeRefused as refused:
        db.session.rollback()
        return None, error_response(409, str(refused))


def _complaint_or_404(reference: str) -> Complaint:
    complaint = find_by_reference(reference)
    if complaint is None:
        abort(404, _("There is no complaint with this number."))  # JSON, by the app's error handler
    return complaint


def _page_size(errors: dict[str, list[str]]) -> int:
    text = request.args.get("limit")
    if text is None:
        return PAGE_SIZE
    size = ascii_integer(text, 1, MAX_PAGE_SIZE)
    if size is None or text != text.strip():
        errors["limit"] = [_("Give a whole number from 1 to %(n)d.", n=MAX_PAGE_SIZE)]
        return PAGE_SIZE
    return size


def _cursor(name: str, errors: dict[str, list[str]]) -> Any:
    """The page cursor `name`; absent or empty (`after=`, as a form leaves it) is no cursor."""
    text = request.args.get(name, "").strip()
    if not text:
        return None
    cursor = parse_cursor(text)
    if cursor is None:
        errors[name] = [_("This is not a cursor from this list.")]
    return cursor


@bp.get("/staff/complaints")
@token_required(Permission.HANDLE_COMPLAINTS)
def staff_complaints() -> Response | tuple[Response, int]:
    """The staff queue: open complaints by the deadline each works against now, filtered and
    paged exactly as /staff/queue is."""
    user = api_user()
    policy = current_policy()
    form = QueueFilterForm(request.args, user_tier=user.tier, policy=policy, language=user.language,
                           meta={"csrf": False})
    errors: dict[str, list[str]] = {} if form.validate() else {k: list(v) for k, v in form.errors.items()}
    size = _page_size(errors)
    after, before = _cursor("after", errors), _cursor("before", errors)
    if after is not None and before is not None:
        errors.setdefault("before", []).append(_("Give after or before, not both."))
    if errors:
        return _invalid(errors)

    now, fraction = now_utc(), policy.due_soon_fraction
    queue_filter = form.to_filter(user.id)
    page = queue_page(queue_filter, now, fraction, after=after, before=before, size=size)
    counts = queue_counts(queue_filter, now, fraction)
    args = form.filter_args() | ({"limit": str(size)} if "limit" in request.args else {})

    def link(direction: str, cursor: Any) -> str | None:
        if cursor is None:
            return None
        return url_for("api.staff_complaints", **args, **{direction: format_cursor(cursor)}, _external=True)

    return jsonify({
        "complaints": [queue_item(queue_line(row, now, fraction)) for row in page.rows],
        "counts": {"total": counts.total, "overdue": counts.overdue, "due_soon": counts.due_soon,
                   "shown": counts.shown(queue_filter.due)},
        "next_url": link("after", page.next_after),
        "previous_url": link("before", page.previous_before),
    })


@bp.get("/staff/complaints/<number:reference>", endpoint="staff_complaint")
@token_required(Permission.VIEW_JOURNAL)
def staff_complaint_view(reference: str) -> Response:
    """A complaint as the case page shows it to the token's owner."""
    complaint = _complaint_or_404(reference)
    return jsonify(staff_complaint(complaint, api_user(), now_utc()))


@bp.post("/staff/complaints/<path:reference>/responses")
@token_required(Permission.HANDLE_COMPLAINTS)
def staff_respond(reference: str) -> Response | tuple[Response, int]:
    """Send the complainant a response, as the case page's "Respond" does: the same form, the
    same operation, the same rules (only the owner, only where the status allows), and the
    answer template it was started from counted as the page counts it."""
    complaint = _complaint_or_404(reference)
    user = api_user()
    form, errors = _validated("respond", RESPOND, complaint, user)
    if form is None:
        return _invalid(errors)
    message, refusal = _commit_or_refusal(lambda: ACTIONS["respond"].perform(complaint, user, form))
    if refusal is not None:
        return refusal
    db.session.refresh(complaint)
    response = jsonify({"message": message_item(message), "complaint": staff_complaint(complaint, user, now_utc())})
    response.status_code = 201
    response.headers["Location"] = url_for("api.staff_complaint", reference=complaint.slug, _external=True)
    return response


# The case workflow ---------------------------------------------------------------------

#: A member of staff by their id (as the case view names the owner).
USER_ID = {"type": "integer", "minimum": 1, "description": "A member of staff's id (e.g. the case view's owner.id)."}
TEXT = {"type": "string", "minLength": 1, "description": f"At most {MAX_TEXT_LENGTH:,} characters."}
NUMBER = {"type": "string", "minLength": 1, "example": "2026/000123"}
#: The answer template a letter's text was started from, as the case page's letter forms keep it.
TEMPLATE_VERSION = {"type": "integer", "minimum": 1, "maximum": 999_999_999, "description": (
    "The answer template version the text was started from (GET /staff/templates: version_id), if "
    "any: the letter counts as a use of that template. One that does not exist is refused (422).")}


class ApiAction(Struct, frozen=True):
    """One action of the case page (app/desk/actions.py, which holds its form, operation and
    permission) offered to integrations: `POST /staff/complaints/<number>/<path>` with a JSON
    object of `fields` (its JSON schema per field; `required` among them)."""

    operation_id: str
    summary: str
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    #: Files too: the fields come as multipart/form-data, not JSON (`files`: the file fields).
    files: tuple[str, ...] = ()


#: The actions, by the case page's name for them (their URL part is the name with dashes).
API_ACTIONS: dict[str, ApiAction] = {
    "take": ApiAction("takeComplaint", "Take the complaint: the token's owner owns it from now on."),
    "assign": ApiAction("assignOwner", "Give the complaint an owner at any tier (management; not a transfer).",
                        {"to": USER_ID, "note": TEXT}, ("to",)),
    "transfer": ApiAction("transferComplaint", "Hand the complaint on to a colleague, with a reason (the owner).",
                          {"to": USER_ID, "reason": TEXT}, ("to", "reason")),
    "escalate": ApiAction("escalateComplaint", "Raise the complaint to the next tier, with a reason (the owner).",
                          {"reason": TEXT}, ("reason",)),
    "request_information": ApiAction(
        "requestInformation", "Ask the complainant for something: a numbered letter; the complaint waits.",
        {"body": TEXT, "template_version": TEMPLATE_VERSION}, ("body",)),
    "resolve": ApiAction(
        "decide", "Decide: the final response (a numbered letter with the statutory wording) with its reasons.",
        {"resolution": {"type": "string", "enum": [r.value for r in Resolution]}, "reasons": TEXT,
         "redress_amount": {"type": "string", "pattern": r"^[0-9]{1,12}(\.[0-9]{1,2})?$",
                            "description": "Money offered, e.g. \"150.00\" (optional)."},
         "redress_currency": {"type": "string", "pattern": "^[A-Za-z]{3}$",
                              "description": "Its currency (ISO 4217), with an amount."},
         "redress_remedy": {**TEXT, "description": "Another remedy offered (optional)."},
         "template_version": TEMPLATE_VERSION},
        ("resolution", "reasons")),
    "consult": ApiAction("addNote", "Add an internal note (staff only), optionally asking a colleague for input.",
                         {"note": TEXT, "colleague": USER_ID}, ("note",)),
    "send_back": ApiAction("sendBack", "Send the complaint down to a lower tier's officer, with an instruction "
                                       "(management).", {"to": USER_ID, "instruction": TEXT}, ("to", "instruction")),
    "move": ApiAction("moveToTier", "Move the complaint to another tier, with a reason (management; the owner "
                                    "stays; the tier, the owner and, for a tier nobody works at, the administrators "
                                    "are told).",
                      {"tier": {"type": "integer", "minimum": 1, "description": "The tier's level."},
                       "reason": TEXT}, ("tier", "reason")),
    "close": ApiAction("closeComplaint", "Close the decided complaint (the owner)."),
    "join": ApiAction("joinComplaint", "Join this complaint to an earlier one of the same complainant about the same "
                                       "matter: it keeps its number and receipt, its clocks follow the main one.",
                      {"into": {**NUMBER, "description": "The earlier complaint's number."}, "reason": TEXT},
                      ("into", "reason")),
    "link": ApiAction("linkComplaint", "Link a related complaint (the same incident), with a note.",
                      {"to": {**NUMBER, "description": "The related complaint's number."}, "note": TEXT},
                      ("to", "note")),
    "unlink": ApiAction("unlinkComplaint", "Undo a link, with a note (the history keeps both).",
                        {"other": {**NUMBER, "description": "The linked complaint's number."}, "note": TEXT},
                        ("other", "note")),
    "add_documents": ApiAction(
        "addDocuments", "Add documents that arrived later (multipart/form-data: files checked as at intake).",
        {"attachments": {"type": "array", "items": {"type": "string", "format": "binary"}, "minItems": 1,
                         "description": "The files (PDF, images, office documents; the intake's limits)."},
         "channel": {"type": "string", "enum": [c.value for c in DOCUMENT_CHANNELS]},
         "received_on": {"type": "string", "format": "date", "description": "The day they came (not in the future)."},
         "note": {**TEXT, "description": "A note, if it helps (optional)."}},
        ("attachments", "channel", "received_on"), files=("attachments",)),
}


def _form_data(name: str, spec: ApiAction) -> tuple[MultiDict | None, dict[str, list[str]]]:
    """The request as the action's form data (names prefixed), or the errors per field: a JSON
    object, or multipart/form-data for an action that takes files."""
    if spec.files:
        if not request.content_type or not request.content_type.startswith("multipart/form-data"):
            return None, {"body": [_("Send the fields and files as multipart/form-data.")]}
        sent = [*request.form.items(multi=True), *request.files.items(multi=True)]
        errors = {key: [_("Unknown field.")] for key, _value in sent if key not in spec.fields}
        return MultiDict([(f"{name}-{key}", value) for key, value in sent if key in spec.fields]), errors
    payload = request.get_json(silent=True)
    if payload is None and not request.get_data() and not spec.fields:
        payload = {}  # an action without fields may be posted with no body
    if not isinstance(payload, dict):
        return None, {"body": [_("Send a JSON object (Content-Type: application/json).")]}
    errors = {key: [_("Unknown field.")] for key in payload if key not in spec.fields}
    data = MultiDict()
    for key, schema in spec.fields.items():
        value = payload.get(key)
        if value is None:
            continue
        if schema["type"] == "integer":
            if isinstance(value, bool) or not isinstance(value, int):
                errors[key] = [_("Must be a whole number.")]
                continue
        elif not isinstance(value, str):
            errors[key] = [_("Must be a string.")]
            continue
        data.add(f"{name}-{key}", str(value))
    return data, errors


def _validated(name: str, spec: ApiAction, complaint: Complaint, user: User) -> tuple[Any, dict[str, list[str]]]:
    """The case-page action's own form filled from the request and valid: (the form, {}), or
    (None, the errors per field, named as the API names them)."""
    data, errors = _form_data(name, spec)
    if data is None or errors:
        return None, errors
    form = make_form(ACTIONS[name], complaint, user, data=data)
    if form.validate():
        return form, {}
    prefix = f"{name}-"
    return None, {key.removeprefix(prefix): list(messages) for key, messages in form.errors.items()}


def _perform(name: str, reference: str) -> Response | tuple[Response, int]:
    """One case-page action through the API: its own form (the same rules and messages), its own
    operation, committed once; 403 for who asks, 409 for what the complaint's state refuses."""
    action = ACTIONS[name]
    complaint = _complaint_or_404(reference)
    user = api_user()
    form, errors = _validated(name, API_ACTIONS[name], complaint, user)
    if form is None:
        return _invalid(errors)
    _done, refusal = _commit_or_refusal(lambda: action.perform(complaint, user, form))
    if refusal is not None:
        return refusal
    db.session.refresh(complaint)
    return jsonify({"complaint": staff_complaint(complaint, user, now_utc())})


def _register(name: str) -> None:
    def view(reference: str) -> Response | tuple[Response, int]:
        return _perform(name, reference)

    view.__name__ = f"staff_{name}"
    bp.add_url_rule(f"/staff/complaints/<path:reference>/{ACTIONS[name].path}", endpoint=f"staff_{name}",
                    view_func=token_required(ACTIONS[name].permission)(view), methods=["POST"])


#: `POST .../responses` (its own path and answer, 201 with the letter): the case page's "respond".
RESPOND = ApiAction("respond", "Send the complainant a response, as the case page's Respond does.",
                    {"body": {**TEXT, "description": f"The response to the complainant (at most {MAX_TEXT_LENGTH:,} "
                                                     "characters)."},
                     "template_version": TEMPLATE_VERSION}, ("body",))


for _name in API_ACTIONS:
    _register(_name)
    SUB_RESOURCES.append(ACTIONS[_name].path)


@bp.get("/staff/templates")
@token_required(Permission.HANDLE_COMPLAINTS)
def staff_templates() -> Response:
    """The answer templates offered to officers, each with its current version: what an
    integration fills in itself and names as `template_version` when it sends the letter."""
    return jsonify({"templates": [template_item(template) for template in active_templates()]})


@bp.get("/staff/complaints/<path:reference>/attachments/<int:attachment_id>")
@token_required(Permission.VIEW_JOURNAL)
def staff_attachment(reference: str, attachment_id: int) -> Response:
    """A document of the complaint (the case view lists them), as the case page gives it: always
    a download, its downloading in the audit trail."""
    complaint = _complaint_or_404(reference)
    evidence = complaint_attachment(complaint, attachment_id)
    if evidence is None:
        abort(404, _("The complaint has no such document."))
    user = api_user()
    commit_with_retry(lambda: record_evidence_download(complaint, evidence, by=user))
    return evidence_response(evidence)
