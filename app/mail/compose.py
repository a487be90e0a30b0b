"""What an outbox row says and to whom: recipients, subject, plain-text body, attachments.

The wording lives in text templates, app/mail/templates/mail/<kind>.txt,
rendered in the reader's language (`force_locale`): the first line is the subject (it always
names the incoming number), the rest is the body. Composing reads the database but never
writes; app/mail/delivery.py sends what it returns.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, has_request_context, render_template
from flask_babel import force_locale
from msgspec import Struct
from sqlalchemy import select

from ..auth.models import User
from ..auth.permissions import Permission
from ..clock import now_utc
from ..complaints.models import Complaint, ComplaintStatus
from ..complaints.storage import EvidenceStore
from ..dates import format_moment
from ..extensions import db
from ..intake.links import receipt_url, tracking_url
from ..languages import supported_or_fallback
from ..letters.service import letter_filename, message_letter_pdf
from ..notifications.models import Audience, Notification, NotificationKind
from ..receipts.service import complaint_receipt_pdf, receipt_filename
from ..settings.store import current_policy, current_settings
from ..urls import DEVELOPMENT_BASE_URL, public_url
from ..workflow.models import CaseMessage, DeadlineKind, EscalationReason
from ..workflow.verdict import rating_ends_at
from .transport import MailAttachment, OutgoingMail, sender_domain

log = logging.getLogger(__name__)

#: Registered by the factory so the mail templates (templates/mail/*.txt) are found; no routes.
bp = Blueprint("mail", __name__, template_folder="templates")

STAFF_DEFAULT_LANGUAGE = "en"


class NoRecipient(Exception):
    """Nobody to send the notification to; the message says why (stored as the row's last_error)."""


class Recipients(Struct, frozen=True):
    addresses: tuple[str, ...]
    language: str


def recipients_for(notification: Notification, complaint: Complaint) -> Recipients:
    """Who receives `notification`, in which language; raises NoRecipient when nobody can."""
    if notification.audience == Audience.COMPLAINANT:
        if not (complaint.email or "").strip():
            raise NoRecipient(f"complainant of {complaint.number} gave no e-mail address")
        return Recipients((complaint.email.strip(),), supported_or_fallback(complaint.language))
    if notification.audience == Audience.USER:
        user = db.session.get(User, notification.user_id)
        if user is None:
            raise NoRecipient(f"user {notification.user_id} does not exist")
        if not user.active:
            raise NoRecipient(f"user {user.username} is deactivated")
        if not (user.email or "").strip():
            raise NoRecipient(f"user {user.username} has no e-mail address")
        return Recipients((user.email.strip(),), supported_or_fallback(user.language))
    return _tier_recipients(notification.tier)


def _tier_recipients(tier: int | None) -> Recipients:
    """The tier's shared mailbox when configured, else every active handler at the tier."""
    shared = current_settings().tier_addresses.get(tier) if tier is not None else None
    if shared:
        return Recipients(shared, STAFF_DEFAULT_LANGUAGE)
    users = db.session.scalars(
        select(User).where(User.tier == tier, User.active.is_(True), User.email.is_not(None)).order_by(User.id)
    )
    handlers = [u for u in users if u.email.strip() and u.can(Permission.HANDLE_COMPLAINTS)]
    if not handlers:
        raise NoRecipient(f"tier {tier} has no shared address and no active handler with an e-mail address")
    addresses = tuple(dict.fromkeys(u.email.strip() for u in handlers))  # each address once, in order
    # One message for everyone: in their language when they all read the same one.
    languages = {supported_or_fallback(u.language) for u in handlers}
    language = languages.pop() if len(languages) == 1 else STAFF_DEFAULT_LANGUAGE
    return Recipients(addresses, language)


def reply_address(config: Any) -> str | None:
    """The address replies to the complainants' e-mails go to, when mail intake reads one
    (MAIL_REPLY_TO, else the IMAP user name when it is an address); None: nobody reads replies."""
    explicit = (config.get("MAIL_REPLY_TO") or "").strip()
    if explicit:
        return explicit
    username = (config.get("MAIL_IMAP_USERNAME") or "").strip()
    if config.get("MAIL_IMAP_HOST") and "@" in username:
        return username
    return None


def compose(notification: Notification) -> OutgoingMail:
    """The e-mail for one outbox row. Raises NoRecipient, or any error building it (retried)."""
    complaint = db.session.get(Complaint, notification.complaint_id, populate_existing=True)
    if complaint is None:
        raise LookupError(f"complaint {notification.complaint_id} does not exist")
    recipients = recipients_for(notification, complaint)
    params = json.loads(notification.params or "{}")
    language = recipients.language
    # Complainants may answer by e-mail when a mailbox is read: the reply lands on the complaint.
    reply_to = reply_address(current_app.config) if notification.audience == Audience.COMPLAINANT else None
    with _url_context(), force_locale(language):
        builder = _BUILDERS[notification.kind]
        context, attachments = builder(complaint, params, language)
        text = render_template(
            f"mail/{notification.kind.value}.txt",
            complaint=complaint,
            number=complaint.number,
            language=language,
            replies_by_mail=reply_to is not None,
            **context,
        )
    subject, _, body = text.strip().partition("\n")
    return OutgoingMail(
        to=recipients.addresses,
        subject=" ".join(subject.split()),
        body=body.strip("\n") + "\n",
        language=language,
        attachments=tuple(attachments),
        message_id=_message_id(notification),
        reply_to=reply_to,
    )


def _message_id(notification: Notification) -> str:
    created = notification.created_at.strftime("%Y%m%d%H%M%S%f")
    return f"<notification-{notification.id}.{created}@{sender_domain(current_app.config['MAIL_FROM'])}>"


@contextmanager
def _url_context() -> Iterator[None]:
    """Links are absolute (PUBLIC_BASE_URL): a sender outside a request gets a request context on it."""
    if has_request_context():
        yield
        return
    config = current_app.config
    base = config.get("PUBLIC_BASE_URL") or (
        f"{config.get('PREFERRED_URL_SCHEME', 'http')}://{config['SERVER_NAME']}" if config.get("SERVER_NAME") else ""
    )
    if not base:
        base = DEVELOPMENT_BASE_URL
        if not current_app.extensions.get("mail_links_warned"):
            current_app.extensions["mail_links_warned"] = True
            log.warning("PUBLIC_BASE_URL is not set: links in e-mails point to %s (flask run's default)", base)
    with current_app.test_request_context(base_url=base):
        yield


def _when(moment: datetime | str, language: str) -> str:
    """A moment in the registry's time zone, written for the reader's language."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return format_moment(moment, language, current_app.config["REGISTRY_TIMEZONE"])


def _case_url(complaint: Complaint) -> str:
    return public_url("desk.case", reference=complaint.slug)


def _message(params: dict[str, Any], complaint: Complaint) -> CaseMessage:
    message = db.session.get(CaseMessage, params["message_id"], populate_existing=True)
    if message is None or message.complaint_id != complaint.id:
        raise LookupError(f"message {params.get('message_id')} of complaint {complaint.number} does not exist")
    return message


def _tier_name(level: int | None, language: str) -> str:
    if level is None:
        return ""
    try:
        return current_policy().tier(int(level)).name(language)
    except KeyError:
        return str(level)


Built = tuple[dict[str, Any], list[MailAttachment]]


def _registered(complaint: Complaint, params: dict[str, Any], language: str) -> Built:
    """The acknowledgement goes to an address nobody has confirmed: only the number, the dates and
    the links behind the access code, never the submitter's own text, and no receipt attached (it
    carries the subject and the complaint): it is one click away, behind the code. Except for a
    complaint registered from an e-mail (`receipt` in params): the text came from that very
    address, so its receipt, the document as kept, goes back to it attached."""
    attachments = []
    if params.get("receipt"):
        pdf = complaint_receipt_pdf(complaint, language=complaint.language)
        attachments.append(MailAttachment(receipt_filename(complaint), pdf))
    return {
        "tracking_url": tracking_url(complaint),
        "receipt_url": receipt_url(complaint),
        "registered_at": _when(complaint.registered_at, language),
        "first_response_due": _when(complaint.first_response_due, language),
    }, attachments


def _outgoing_message(complaint: Complaint, params: dict[str, Any], language: str) -> Built:
    """The letter as its signed PDF, with the files enclosed with it when they fit in one sane
    e-mail (`MAIL_ENCLOSURES_MAX_BYTES`); else the e-mail names them and points to the tracking
    page, where they are."""
    message = _message(params, complaint)
    pdf = message_letter_pdf(message)  # in the complaint's language
    enclosures = list(message.attachments)
    carried = sum(a.size for a in enclosures) <= current_app.config["MAIL_ENCLOSURES_MAX_BYTES"]
    files = [MailAttachment(letter_filename(message), pdf)]
    if carried and enclosures:
        store = EvidenceStore(Path(current_app.config["ATTACHMENTS_DIR"]))
        files += [MailAttachment(a.filename, store.read(a.sha256), a.content_type) for a in enclosures]
    return {
        "message": message,
        "message_title": message.kind.title,
        "outgoing_number": message.outgoing_number,
        "tracking_url": tracking_url(complaint),
        "enclosures": [a.filename for a in enclosures],
        "enclosures_attached": carried,
    }, files


def _status_changed(complaint: Complaint, params: dict[str, Any], language: str) -> Built:
    return {
        "status_title": ComplaintStatus(params["status"]).title,
        "tracking_url": tracking_url(complaint),
    }, []


def _attachments_refused(complaint: Complaint, params: dict[str, Any], language: str) -> Built:
    """Which files of the complainant's e-mail were not taken as evidence, and why: by their place
    in the message and their size, never by the names the sender gave them."""
    config = current_app.config
    return {
        "refused": [{"position": int(item["position"]), "size": _megabytes(int(item["size"])),
                     "refusal": str(item["refusal"])} for item in params.get("refused", [])],
        "limit": _megabytes(int(config["ATTACHMENT_MAX_BYTES"])),
        "max_files": int(config["ATTACHMENT_MAX_FILES"]),
        "tracking_url": tracking_url(complaint),
    }, []


def _rating(complaint: Complaint, params: dict[str, Any], language: str) -> Built:
    """The invitation to rate the handling, and its one reminder: the form on the tracking page,
    and until when (`verdict.rating_ends_at`; now, if it was reopened meanwhile: the page says so)."""
    ends_at = rating_ends_at(complaint) or now_utc()
    return {"rating_url": tracking_url(complaint) + "#rating", "rate_until": _when(ends_at, language)}, []


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _assigned(complaint: Complaint, params: dict[str, Any], language: str) -> Built:
    return {"by": params.get("by") or "", "reason": params.get("reason"), "case_url": _case_url(complaint)}, []


def _staff_message(complaint: Complaint, params: dict[str, Any], language: str) -> Built:
    message = _message(params, complaint)
    return {
        "message": message,
        "message_title": message.kind.title,
        "author": message.author.full_name if message.author else complaint.full_name,
        "case_url": _case_url(complaint),
    }, []


def _deadline(complaint: Complaint, params: dict[str, Any], language: str) -> Built:
    return {
        "deadline_title": DeadlineKind(params["deadline"]).title,
        "due_at": _when(params["due_at"], language),
        "tier_name": _tier_name(params.get("tier", complaint.tier), language),
        "case_url": _case_url(complaint),
    }, []


def _escalated(complaint: Complaint, params: dict[str, Any], language: str) -> Built:
    """A rise to another tier, or a manager's move (`moved_by`, the reason as `note`; `owner`:
    to the owner, who keeps it), to the tier, its owner or the administrators."""
    moved_by = params.get("moved_by")
    return {
        "from_tier_name": _tier_name(params.get("from_tier"), language),
        "to_tier_name": _tier_name(params.get("to_tier"), language),
        "reason_title": None if moved_by else EscalationReason(params["reason"]).title,
        "note": params.get("note"),
        "moved_by": moved_by,
        "owner": bool(params.get("owner")),
        "case_url": _case_url(complaint),
    }, []


_BUILDERS: dict[NotificationKind, Callable[[Complaint, dict[str, Any], str], Built]] = {
    NotificationKind.REGISTERED: _registered,
    NotificationKind.MESSAGE: _outgoing_message,
    NotificationKind.STATUS_CHANGED: _status_changed,
    NotificationKind.ATTACHMENTS_REFUSED: _attachments_refused,
    NotificationKind.RATING_REQUEST: _rating,
    NotificationKind.RATING_REMINDER: _rating,
    NotificationKind.ASSIGNED: _assigned,
    NotificationKind.CONSULTATION: _staff_message,
    NotificationKind.COMPLAINANT_REPLY: _staff_message,
    NotificationKind.DUE_SOON: _deadline,
    NotificationKind.BREACH: _deadline,
    NotificationKind.ESCALATED: _escalated,
    NotificationKind.UNSTAFFED_ESCALATION: _escalated,
}
