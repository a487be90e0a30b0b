"""Desk pages: register, the case page and its actions, print receipts, annul, correct,
download evidence and letters. Thin routes: check the form, call one operation, commit, redirect;
a refused or invalid action shows the case page again with what was typed."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ..answers.operations import fill_for
from ..audit.models import AuditAction
from ..audit.service import record
from ..auth.access import requires
from ..auth.models import User
from ..auth.permissions import Permission
from ..complaints.access import find_by_reference
from ..complaints.download import complaint_attachment, evidence_response
from ..complaints.errors import ComplaintChangeRefused
from ..complaints.models import Channel, Complaint
from ..database import commit_with_retry
from ..extensions import db
from ..intake.operations import register_complaint
from ..languages import SUPPORTED_LANGUAGES
from ..letters.download import letter_response
from ..receipts.models import ReceiptPrint
from ..receipts.service import complaint_receipt_pdf, receipt_filename
from ..serving.headers import CONTENT_SECURITY_POLICY_SAME_ORIGIN_FRAME
from ..text import row_id
from ..urls import local_path
from ..workflow.forms import ConfirmForm
from ..workflow.models import CaseMessage
from ..workflow.operations import TransferOutcome, mark_letter_posted
from .actions import ACTIONS, CaseAction, make_form
from .case import case_page
from .forms import CorrectionForm, DeskComplaintForm, ReasonForm
from .operations import annul_complaint, correct_complaint, record_evidence_download, record_receipt_print
from .tray import letters_to_post

bp = Blueprint("desk", __name__, url_prefix="/staff/complaints", template_folder="templates")


def _complaint_or_404(reference: str) -> Complaint:
    complaint = find_by_reference(reference)
    if complaint is None:
        abort(404)
    return complaint


def _staff_user() -> User:
    return current_user._get_current_object()


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.REGISTER)
def register() -> Response | tuple[str, int]:
    form = DeskComplaintForm()
    if form.validate_on_submit():
        clerk = _staff_user()

        def work() -> Complaint:
            registration = register_complaint(
                form.submission(),
                channel=Channel(form.channel.data),
                received_at=form.received_at(),
                registered_by=clerk,
            )
            record(AuditAction.REGISTRATION, target=registration.complaint.number,
                   details={"channel": form.channel.data})
            return registration.complaint

        complaint = commit_with_retry(work)
        flash(_("Registered as %(number)s. Print the receipt, stamp and sign both copies.", number=complaint.number))
        return redirect(url_for("desk.case", reference=complaint.slug), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("desk/register.html", form=form, files_dropped=request.method == "POST"
                           and form.has_files()), status


@bp.get("/<path:reference>")
@requires(Permission.VIEW_JOURNAL)
def case(reference: str) -> tuple[str, int]:
    return render_case(_complaint_or_404(reference))


def render_case(
    complaint: Complaint, *, bound: dict | None = None, status: int = 200, files_dropped: bool = False
) -> tuple[str, int]:
    """The case page; `bound` holds a submitted action form to show again with its errors (and
    `files_dropped`: it had files, which are not kept)."""
    return render_template("desk/case.html", **case_page(complaint, _staff_user(), bound),
                           files_dropped=files_dropped), status


def _perform(action: CaseAction, reference: str) -> Response | tuple[str, int]:
    """One action of the case page's table: check its form, perform it, commit, redirect; a
    refused or invalid one shows the case page again with the form and why."""
    complaint = _complaint_or_404(reference)
    user = _staff_user()
    form = make_form(action, complaint, user, submitted=True)
    if form.validate_on_submit():
        try:
            outcome = commit_with_retry(lambda: action.perform(complaint, user, form))
        except ComplaintChangeRefused as refused:
            db.session.rollback()
            form.form_errors.append(str(refused))
        else:
            if isinstance(outcome, TransferOutcome) and outcome.escalation is not None:
                flash(_("%(number)s was transferred too many times; it is escalated to management instead.",
                        number=complaint.number))
            else:
                flash(action.success % {"number": complaint.number})
            return redirect(url_for("desk.case", reference=complaint.slug, _anchor="handling"), code=303)
    db.session.refresh(complaint)
    return render_case(complaint, bound={action.name: form}, status=422,
                       files_dropped=bool(getattr(form, "has_files", lambda: False)()))


def _register_action(action: CaseAction) -> None:
    def view(reference: str) -> Response | tuple[str, int]:
        return _perform(action, reference)

    view.__name__ = action.name
    bp.add_url_rule(f"/<path:reference>/{action.path}", endpoint=action.name,
                    view_func=requires(action.permission)(view), methods=["POST"])


def _fill_template(action: CaseAction, reference: str) -> tuple[str, int]:
    """The case page again, the letter form's text replaced by the chosen answer template filled
    in for this complaint (what else was typed is kept); nothing is saved. Sending it is the
    action's own route."""
    complaint = _complaint_or_404(reference)
    user = _staff_user()
    form = make_form(action, complaint, user, submitted=True)
    chosen = row_id(request.form.get("answer_template"))
    filled = fill_for(complaint, chosen, officer=user, zone=current_app.config["REGISTRY_TIMEZONE"]) \
        if chosen is not None and action.offered(user, complaint) else None
    if filled is None:
        form.form_errors.append(_("Choose one of the templates offered for this complaint."))
        return render_case(complaint, bound={action.name: form}, status=422)
    form[form.template_field].data = filled.text
    form[form.template_field].raw_data = [filled.text]
    form.template_version.data = str(filled.version.id)
    return render_case(complaint, bound={action.name: form})


def _register_template_fill(action: CaseAction) -> None:
    """`<action>/template`: insert an answer template into the action's letter form."""
    def view(reference: str) -> tuple[str, int]:
        return _fill_template(action, reference)

    view.__name__ = f"{action.name}_template"
    bp.add_url_rule(f"/<path:reference>/{action.path}/template", endpoint=view.__name__,
                    view_func=requires(Permission.HANDLE_COMPLAINTS)(view), methods=["POST"])


for _action in ACTIONS.values():
    _register_action(_action)
    if hasattr(_action.form, "template_field"):
        _register_template_fill(_action)


@bp.get("/<path:reference>/letters/<int:message_id>.pdf")
@requires(Permission.VIEW_JOURNAL)
def letter(reference: str, message_id: int) -> Response:
    """An outgoing letter as the complainant received it."""
    return letter_response(_complaint_or_404(reference), message_id, disposition="inline")


@bp.get("/to-post")
@requires(Permission.CORRESPONDENCE)
def to_post() -> str:
    """The letters to put in the post: to complainants without e-mail, not posted yet."""
    return render_template("desk/to_post.html", letters=letters_to_post(), form=ConfirmForm())


@bp.post("/<path:reference>/letters/<int:message_id>/posted")
@requires(Permission.CORRESPONDENCE)
def letter_posted(reference: str, message_id: int) -> Response:
    """Mark a letter as put in the post (a signed event); back to the tray or the case page."""
    complaint = _complaint_or_404(reference)
    message = db.session.get(CaseMessage, message_id)
    if message is None or message.complaint_id != complaint.id:
        abort(404)
    back = local_path(request.form.get("next"), url_for("desk.case", reference=complaint.slug, _anchor="correspondence"))
    if not ConfirmForm().validate_on_submit():
        flash(_("Not marked as posted: the form expired; try again."), "error")
        return redirect(back, code=303)
    clerk = _staff_user()
    try:
        commit_with_retry(lambda: mark_letter_posted(message, by=clerk))
    except ComplaintChangeRefused as refused:
        db.session.rollback()
        flash(_("Not marked as posted: %(why)s", why=str(refused)), "error")
    else:
        flash(_("Letter %(number)s is marked as posted.", number=message.outgoing_number))
    return redirect(back, code=303)


@bp.post("/<path:reference>/receipt")
@requires(Permission.PRINT_RECEIPT)
def print_receipt(reference: str) -> Response:
    complaint = _complaint_or_404(reference)
    language = request.form.get("language") or complaint.language
    if language not in SUPPORTED_LANGUAGES:
        language = complaint.language
    clerk = _staff_user()

    printed = commit_with_retry(lambda: record_receipt_print(complaint, language=language, by=clerk))
    return redirect(url_for("desk.print_page", reference=complaint.slug, print_id=printed.id), code=303)


def _print_or_404(complaint: Complaint, print_id: int) -> ReceiptPrint:
    printed = db.session.get(ReceiptPrint, print_id)
    if printed is None or printed.complaint_id != complaint.id:
        abort(404)
    return printed


@bp.get("/<path:reference>/prints/<int:print_id>")
@requires(Permission.PRINT_RECEIPT)
def print_page(reference: str, print_id: int) -> str:
    """The print as a page that opens the browser's print dialog for the PDF."""
    complaint = _complaint_or_404(reference)
    printed = _print_or_404(complaint, print_id)
    return render_template("desk/print.html", complaint=complaint, printed=printed)


@bp.get("/<path:reference>/prints/<int:print_id>.pdf")
@requires(Permission.PRINT_RECEIPT)
def print_pdf(reference: str, print_id: int) -> Response:
    complaint = _complaint_or_404(reference)
    printed = _print_or_404(complaint, print_id)
    pdf = complaint_receipt_pdf(complaint, language=printed.language, duplicate_count=printed.reprint_number)
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{receipt_filename(complaint, printed.reprint_number)}"'
    response.headers["Cache-Control"] = "private, no-store"
    # The print page shows it in a frame to print it; only this site may frame it.
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY_SAME_ORIGIN_FRAME
    return response


@bp.post("/<path:reference>/annul")
@requires(Permission.ANNUL)
def annul(reference: str) -> Response:
    complaint = _complaint_or_404(reference)
    form = ReasonForm(prefix="annul")
    if not form.validate_on_submit():
        for message in form.reason.errors:
            flash(_("Not annulled: %(why)s", why=message), "error")
        return redirect(url_for("desk.case", reference=complaint.slug), code=303)
    clerk = _staff_user()

    try:
        commit_with_retry(lambda: annul_complaint(complaint, reason=form.reason.data, by=clerk))
    except ComplaintChangeRefused as refused:
        flash(_("Not annulled: %(why)s", why=str(refused)), "error")
    else:
        flash(_("%(number)s is annulled. It keeps its number in the registry.", number=complaint.number))
    return redirect(url_for("desk.case", reference=complaint.slug), code=303)


@bp.route("/<path:reference>/correct", methods=["GET", "POST"])
@requires(Permission.CORRECT)
def correct(reference: str) -> Response | tuple[str, int]:
    complaint = _complaint_or_404(reference)
    form = CorrectionForm(obj=complaint, language=str(get_locale() or "en"))  # categories named for the reader
    refused = None
    if complaint.is_annulled:
        refused = _("%(number)s is annulled; an annulled record is not corrected.", number=complaint.number)
    elif form.validate_on_submit() and (changes := form.changes(complaint)) is not None:
        clerk = _staff_user()

        try:
            commit_with_retry(lambda: correct_complaint(complaint, changes=changes, reason=form.reason.data, by=clerk))
        except ComplaintChangeRefused as error:
            refused = str(error)
        else:
            flash(_("The correction is recorded; the original stays in the history."))
            return redirect(url_for("desk.case", reference=complaint.slug), code=303)
    status = 422 if request.method == "POST" or refused else 200
    return render_template("desk/correct.html", complaint=complaint, form=form, refused=refused), status


@bp.get("/<path:reference>/attachments/<int:attachment_id>")
@requires(Permission.VIEW_JOURNAL)
def attachment(reference: str, attachment_id: int) -> Response:
    """Evidence, always as a download (never shown inline, whatever it contains)."""
    complaint = _complaint_or_404(reference)
    evidence = complaint_attachment(complaint, attachment_id)
    if evidence is None:
        abort(404)
    clerk = _staff_user()
    commit_with_retry(lambda: record_evidence_download(complaint, evidence, by=clerk))
    return evidence_response(evidence)
