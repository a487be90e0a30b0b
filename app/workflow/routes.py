"""The case page's actions: thin routes that check the form, call one operation, commit, and
redirect; a refused or invalid action shows the case page again with what was typed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..auth.access import requires
from ..auth.models import User
from ..auth.permissions import Permission
from ..complaints.access import find_by_reference
from ..complaints.errors import ComplaintChangeRefused
from ..complaints.models import Complaint, Resolution
from ..database import commit_with_retry
from ..extensions import db
from ..letters.download import letter_response
from . import operations as ops
from .panel import make_form

bp = Blueprint("cases", __name__, url_prefix="/staff/complaints", template_folder="templates")


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise ComplaintChangeRefused(_("Choose a colleague from the list."))
    return user


#: form name -> (operation(complaint, user, form), message on success)
_OPERATIONS: dict[str, tuple[Callable[[Complaint, User, Any], Any], Any]] = {
    "take": (lambda c, u, f: ops.take_complaint(c, by=u), _l("You own %(number)s now.")),
    "respond": (lambda c, u, f: ops.respond(c, body=f.body.data, by=u),
                _l("The response to %(number)s is recorded and sent.")),
    "request_information": (lambda c, u, f: ops.request_information(c, body=f.body.data, by=u),
                            _l("The request is sent; %(number)s waits for the complainant.")),
    "resolve": (lambda c, u, f: ops.resolve(c, resolution=Resolution(f.resolution.data), reasons=f.reasons.data, by=u),
                _l("The decision on %(number)s is recorded and sent.")),
    "resume": (lambda c, u, f: ops.resume(c, by=u), _l("%(number)s is in progress again.")),
    "close": (lambda c, u, f: ops.close(c, by=u), _l("%(number)s is closed.")),
    "transfer": (lambda c, u, f: ops.transfer_complaint(c, to=_user(f.to.data), reason=f.reason.data, by=u),
                 _l("%(number)s is handed on.")),
    "escalate": (lambda c, u, f: ops.escalate(c, reason=f.reason.data, by=u), _l("%(number)s is escalated.")),
    "assign": (lambda c, u, f: ops.assign_owner(c, to=_user(f.to.data), note=f.note.data, by=u),
               _l("%(number)s has a new owner.")),
    "send_back": (lambda c, u, f: ops.send_back(c, to=_user(f.to.data), instruction=f.instruction.data, by=u),
                  _l("%(number)s is sent back down.")),
    "consult": (lambda c, u, f: ops.add_consultation(
        c, note=f.note.data, by=u, colleague=_user(f.colleague.data) if f.colleague.data else None),
        _l("The note on %(number)s is added.")),
}


def _perform(reference: str, name: str) -> Response | tuple[str, int]:
    from ..desk.routes import render_case

    complaint = find_by_reference(reference)
    if complaint is None:
        abort(404)
    user = current_user._get_current_object()
    form = make_form(name, complaint, user, formdata=True)
    operation, success = _OPERATIONS[name]
    if form.validate_on_submit():
        try:
            outcome = commit_with_retry(lambda: operation(complaint, user, form))
        except ComplaintChangeRefused as refused:
            db.session.rollback()
            form.form_errors.append(str(refused))
        else:
            if isinstance(outcome, ops.TransferOutcome) and outcome.escalation is not None:
                flash(_("%(number)s was transferred too many times; it is escalated to management instead.",
                        number=complaint.number))
            else:
                flash(success % {"number": complaint.number})
            return redirect(url_for("desk.case", reference=complaint.slug, _anchor="handling"), code=303)
    db.session.refresh(complaint)
    return render_case(complaint, bound={name: form}, status=422)


#: Actions of management only; every other one needs HANDLE_COMPLAINTS.
_PERMISSIONS = {"assign": Permission.REVIEW_ESCALATIONS, "send_back": Permission.REVIEW_ESCALATIONS}


def _register(name: str) -> None:
    def view(reference: str) -> Response | tuple[str, int]:
        return _perform(reference, name)

    view.__name__ = name
    permission = _PERMISSIONS.get(name, Permission.HANDLE_COMPLAINTS)
    bp.add_url_rule(f"/<path:reference>/{name.replace('_', '-')}", endpoint=name,
                    view_func=requires(permission)(view), methods=["POST"])


for _name in _OPERATIONS:
    _register(_name)


@bp.get("/<path:reference>/letters/<int:message_id>.pdf")
@requires(Permission.VIEW_JOURNAL)
def letter(reference: str, message_id: int) -> Response:
    """An outgoing letter as the complainant received it."""
    complaint = find_by_reference(reference)
    if complaint is None:
        abort(404)
    return letter_response(complaint, message_id, disposition="inline")
