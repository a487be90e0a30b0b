"""Public pages: file a complaint, see the confirmation, track it."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from ..complaints.access import (
    display_access_code,
    find_for_complainant,
    find_for_complainant_or_404,
)
from ..complaints.categories import category_name
from ..complaints.download import evidence_response
from ..complaints.errors import ComplaintChangeRefused
from ..complaints.models import Channel, Complaint
from ..database import commit_with_retry
from ..extensions import db, limiter
from ..i18n import follow_complaint_language, remember_language, switched_language
from ..letters.download import letter_response
from ..ratelimits import complaint_limit, tracking_limit
from ..workflow.forms import DisputeForm, RatingForm, ReplyForm
from ..workflow.messages import complainant_attachment, complainant_messages, later_documents
from ..workflow.operations import complainant_reply
from ..workflow.states import Action, allowed_for
from ..workflow.verdict import rate_handling, verdict_of
from .forms import ComplaintForm
from .links import confirmation_url, receipt_url, tracking_url
from .operations import IdempotencyKeyReused, register_complaint

bp = Blueprint("intake", __name__, template_folder="templates")

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def _valid_token(token: str | None) -> str | None:
    return token if token and _TOKEN.match(token) else None


@bp.route("/", methods=["GET", "POST"])
@bp.route("/complaints/new", methods=["GET", "POST"])
@complaint_limit
def new_complaint() -> Response | tuple[str, int]:
    form = ComplaintForm()
    notice = None
    if request.method == "GET":
        form.submission_token.data = secrets.token_urlsafe(24)
    elif switched_language():
        return render_template("intake/new.html", form=form, notice=None, switched=True,
                               files_dropped=form.has_files())
    elif form.validate_on_submit():
        token = _valid_token(form.submission_token.data)
        try:
            registration = commit_with_retry(
                lambda: register_complaint(
                    form.submission(),
                    channel=Channel.WEB,
                    idempotency_key=f"form:{token}" if token else None,
                )
            )
        except IdempotencyKeyReused as reused:
            number = reused.complaint.number if reused.complaint else ""
            notice = _(
                "This form was already sent and registered as %(number)s. Your changes were not "
                "registered; send them now to file them as a new complaint.",
                number=number,
            )
            form.submission_token.data = secrets.token_urlsafe(24)
        else:
            remember_language(registration.complaint.language)
            return redirect(confirmation_url(registration.complaint), code=303)
    status = 422 if request.method == "POST" else 200
    files_dropped = request.method == "POST" and form.has_files()
    return render_template(
        "intake/new.html", form=form, notice=notice, files_dropped=files_dropped
    ), status


@bp.get("/complaints/<path:reference>/confirmation")
@tracking_limit
def confirmation(reference: str) -> str:
    complaint = find_for_complainant_or_404(reference, request.args.get("code"))
    follow_complaint_language(complaint.language)
    return render_template(
        "intake/confirmation.html",
        complaint=complaint,
        access_code=display_access_code(complaint.access_code),
        receipt_url=receipt_url(complaint, external=False),
        tracking_url=tracking_url(complaint),
        category=category_name(complaint.category, str(get_locale())),
    )


class TrackForm(FlaskForm):
    class Meta:
        csrf = False  # a read-only lookup

    number = StringField(_l("Incoming number"), validators=[DataRequired(), Length(max=40)])
    code = StringField(_l("Access code"), validators=[DataRequired(), Length(max=40)])


@bp.get("/track")
@tracking_limit
def track() -> Response | tuple[str, int]:
    form = TrackForm(request.args)
    not_found = False
    if request.args and form.validate():
        complaint = find_for_complainant(form.number.data, form.code.data)
        if complaint is not None:
            return redirect(tracking_url(complaint, external=False), code=303)
        not_found = True
    return render_template("intake/track_form.html", form=form, not_found=not_found), (
        404 if not_found else 200
    )


@bp.get("/track/<path:reference>")
@tracking_limit
def track_complaint(reference: str) -> tuple[str, int]:
    complaint = find_for_complainant_or_404(reference, request.args.get("code"))
    return _tracking_page(complaint)


def _tracking_page(
    complaint: Complaint, *, bound: dict | None = None, status: int = 200, files_dropped: bool = False,
    rating_form: RatingForm | None = None,
) -> tuple[str, int]:
    follow_complaint_language(complaint.language)
    forms = {
        name: form_class(prefix=name, formdata=None)
        for name, (form_class, action) in REPLY_FORMS.items()
        if allowed_for(complaint, action)
    }
    forms.update(bound or {})
    return render_template(
        "intake/track.html",
        complaint=complaint,
        receipt_url=receipt_url(complaint, external=False),
        category=category_name(complaint.category, str(get_locale())),
        messages=complainant_messages(complaint),
        documents=later_documents(complaint),
        forms=forms,
        code=complaint.access_code,
        files_dropped=files_dropped,
        verdict=verdict_of(complaint),
        rating_form=rating_form or RatingForm(prefix="rating", formdata=None),
    ), status


#: The complainant's two ways to write back: name -> (form, the action it performs).
REPLY_FORMS = {"reply": (ReplyForm, Action.COMPLAINANT_REPLY), "dispute": (DisputeForm, Action.DISPUTE)}


@bp.post("/track/<path:reference>/<any(reply, dispute):name>")
@limiter.limit(lambda: current_app.config["REPLY_RATE_LIMIT"])
def reply(reference: str, name: str) -> Response | tuple[str, int]:
    """The complainant replies, or disputes the response (reopening it, escalating if asked).
    A wrong access code is the same 404 as an unknown number, and changes nothing."""
    complaint = find_for_complainant_or_404(reference, request.args.get("code"))
    follow_complaint_language(complaint.language)  # error messages too
    form = REPLY_FORMS[name][0](prefix=name)
    dispute = name == "dispute"
    done = _complainant_acts(complaint, form, lambda: complainant_reply(
        complaint, body=form.body.data, dispute=dispute, evidence=form.evidence,
        ask_escalation=dispute and bool(form.escalate.data)),
        _("Your message is registered with complaint %(number)s. We will answer you.", number=complaint.number),
        "correspondence")
    return done or _tracking_page(complaint, bound={name: form}, status=422, files_dropped=form.has_files())


def _complainant_acts(complaint: Complaint, form: FlaskForm, perform: Callable[[], object], thanks: str,
                      anchor: str) -> Response | None:
    """Perform what the complainant sent from the tracking page when its form is valid, commit,
    say `thanks` and go back to the page at `anchor`; None (the refusal on the form, nothing
    changed, the complaint read again) when the form or the operation refuses it."""
    if form.validate_on_submit():
        try:
            commit_with_retry(perform)
        except ComplaintChangeRefused as refused:
            db.session.rollback()
            form.form_errors.append(str(refused))
        else:
            flash(thanks)
            return redirect(tracking_url(complaint, external=False) + f"#{anchor}", code=303)
    db.session.refresh(complaint)
    return None


@bp.post("/track/<path:reference>/rating")
@limiter.limit(lambda: current_app.config["REPLY_RATE_LIMIT"])
def rate(reference: str) -> Response | tuple[str, int]:
    """The complainant rates the handling of their closed complaint, once, within the window.
    A wrong access code is the same 404 as an unknown number, and changes nothing."""
    complaint = find_for_complainant_or_404(reference, request.args.get("code"))
    follow_complaint_language(complaint.language)  # error messages too
    form = RatingForm(prefix="rating")
    done = _complainant_acts(complaint, form, lambda: rate_handling(
        complaint, score=form.score.data, reason=form.reason.data),
        _("Thank you: your rating of the handling is recorded with complaint %(number)s.", number=complaint.number),
        "rating")
    return done or _tracking_page(complaint, status=422, rating_form=form)


@bp.get("/track/<path:reference>/attachments/<int:attachment_id>")
@tracking_limit
def attachment(reference: str, attachment_id: int) -> Response:
    """A file of the complainant's correspondence (theirs, or enclosed with a letter to them),
    behind the access code; always a download."""
    complaint = find_for_complainant_or_404(reference, request.args.get("code"))
    evidence = complainant_attachment(complaint, attachment_id)
    if evidence is None:
        abort(404)
    return evidence_response(evidence)


@bp.get("/track/<path:reference>/letters/<int:message_id>.pdf")
@tracking_limit
def letter(reference: str, message_id: int) -> Response:
    """A letter the organisation sent, as a download for the complainant."""
    complaint = find_for_complainant_or_404(reference, request.args.get("code"))
    return letter_response(complaint, message_id, disposition="attachment")
