"""The clerks' tray of received e-mail (/staff/mail): the messages, one message, its raw .eml and
its files as downloads, and the two decisions: register it as a complaint (one click), or file
it as not a complaint with a reason. Thin routes: the operations are in store.py.

Also what the rest of the app shows of mail intake: the mailbox's health on /health, and for
the clerks a warning in the staff frame and the count of waiting messages.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from urllib.parse import quote

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from ..audit.models import AuditAction
from ..audit.service import record
from ..auth.access import requires
from ..auth.permissions import Permission
from ..complaints.errors import ComplaintChangeRefused
from ..complaints.models import Complaint
from ..database import commit_with_retry
from ..extensions import db
from ..intake.operations import evidence_store
from .forms import FileMailForm, RegisterMailForm
from .imap import MailboxHealth, mailbox_health
from .models import InboundMail, MailOutcome
from .parse import parse
from .queries import by_outcome, tray_items, waiting_by_kind, waiting_count
from .store import check_files, file_mail, register_from_mail

bp = Blueprint("mailin", __name__, url_prefix="/staff/mail", template_folder="templates")


def _mail_or_404(mail_id: int) -> InboundMail:
    mail = db.session.get(InboundMail, mail_id)
    if mail is None:
        abort(404)
    return mail


@bp.get("/")
@requires(Permission.REGISTER)
def tray() -> str:
    shown = request.args.get("outcome", MailOutcome.WAITING.value)
    outcome = next((o for o in MailOutcome if o.value == shown), MailOutcome.WAITING)
    return render_template("mailin/tray.html", outcome=outcome, mails=tray_items(outcome),
                           kinds=waiting_by_kind(), outcomes=by_outcome())


@bp.get("/<int:mail_id>")
@requires(Permission.REGISTER)
def item(mail_id: int) -> tuple[str, int]:
    return _item_page(_mail_or_404(mail_id))


def _item_page(mail: InboundMail, *, file_form: FileMailForm | None = None, error: str | None = None,
               status: int = 200) -> tuple[str, int]:
    complaint = db.session.get(Complaint, mail.complaint_id) if mail.complaint_id else None
    return render_template("mailin/item.html", mail=mail, complaint=complaint, error=error,
                           register_form=RegisterMailForm(), file_form=file_form or FileMailForm()), status


def _download(content: bytes, mimetype: str, filename: str) -> Response:
    """Always a download, never shown inline (an e-mail's HTML is never rendered here)."""
    response = Response(content, mimetype=mimetype)
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    response.headers["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/<int:mail_id>/message.eml")
@requires(Permission.REGISTER)
def raw(mail_id: int) -> Response:
    """The message exactly as it arrived."""
    mail = _mail_or_404(mail_id)
    commit_with_retry(lambda: record(AuditAction.ATTACHMENT_DOWNLOAD, target=f"mail:{mail.id}",
                                     details={"file": "message.eml", "sha256": mail.sha256}))
    return _download(evidence_store().read(mail.sha256), "message/rfc822", f"message-{mail.id}.eml")


@bp.get("/<int:mail_id>/files/<int:position>")
@requires(Permission.REGISTER)
def file(mail_id: int, position: int) -> Response:
    """One file of the message, taken from the raw message and checked against its digest."""
    mail = _mail_or_404(mail_id)
    row = next((a for a in mail.attachments if a.position == position), None)
    if row is None:
        abort(404)
    checked = check_files(parse(evidence_store().read(mail.sha256)).files)
    if position > len(checked) or hashlib.sha256(checked[position - 1][0].content).hexdigest() != row.sha256:
        abort(404)
    commit_with_retry(lambda: record(AuditAction.ATTACHMENT_DOWNLOAD, target=f"mail:{mail.id}",
                                     details={"file": row.filename, "sha256": row.sha256}))
    mimetype = row.content_type if row.refusal is None else "application/octet-stream"
    return _download(checked[position - 1][0].content, mimetype, row.filename)


@bp.post("/<int:mail_id>/register")
@requires(Permission.REGISTER)
def register(mail_id: int) -> Response | tuple[str, int]:
    mail = _mail_or_404(mail_id)
    if not RegisterMailForm().validate_on_submit():
        return _item_page(mail, status=400)
    clerk = current_user._get_current_object()
    try:
        complaint = commit_with_retry(lambda: register_from_mail(mail, by=clerk))
    except ComplaintChangeRefused as refused:
        db.session.rollback()
        db.session.refresh(mail)
        return _item_page(mail, error=str(refused), status=422)
    flash(_("Registered as %(number)s. The acknowledgement goes to %(address)s.", number=complaint.number,
            address=mail.sender_address))
    return redirect(url_for("desk.case", reference=complaint.slug), code=303)


@bp.post("/<int:mail_id>/file")
@requires(Permission.REGISTER)
def file_as_not_a_complaint(mail_id: int) -> Response | tuple[str, int]:
    mail = _mail_or_404(mail_id)
    form = FileMailForm()
    if not form.validate_on_submit():
        return _item_page(mail, file_form=form, status=422)
    clerk = current_user._get_current_object()
    try:
        commit_with_retry(lambda: file_mail(mail, reason=form.reason.data, by=clerk))
    except ComplaintChangeRefused as refused:
        db.session.rollback()
        db.session.refresh(mail)
        return _item_page(mail, file_form=form, error=str(refused), status=422)
    flash(_("Filed as not a complaint. It stays listed under \"Filed\"."))
    return redirect(url_for(".tray"), code=303)


# --- what the rest of the app shows ------------------------------------------------------------


def _mailbox_check() -> str | None:
    health = mailbox_health(current_app.config)
    if not health.configured:
        return None
    return "failing" if health.failing else "ok"


def init_app(app: Flask) -> None:
    """The mailbox on /health, and for the staff frame: the mailbox warning and the tray's count."""
    app.extensions.setdefault("health_checks", {})["mailbox"] = _mailbox_check

    @app.context_processor
    def _mail_intake() -> dict[str, Callable[[], object]]:
        def mailbox_warning() -> MailboxHealth | None:
            """For staff who handle the tray, when the configured mailbox is failing."""
            if not (current_user.is_authenticated and current_user.can(Permission.REGISTER)):
                return None
            health = mailbox_health(current_app.config)
            return health if health.failing else None

        return {"mailbox_warning": mailbox_warning, "mail_waiting_count": waiting_count}
