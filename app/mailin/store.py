"""The one operation every received e-mail goes through, however it came (`flask mail fetch` from
the mailbox, `flask mail receive` from the mail server): `take_message`. And what a clerk (or the
automatic registration) does with a message in the tray: `register_from_mail`, `file_mail`.

`take_message`, in the caller's one transaction:
1. a message already stored (the same raw bytes) is answered as it is: nothing new;
2. the raw bytes become an evidence file named by their SHA-256, and a signed "mail_received"
   entry records the arrival (digest, size, Message-ID, when, how; the sender and subject in
   its private part) BEFORE the message is read;
3. the message is read and classified (app/mailin/parse.py, classify.py);
4. a reply from the complainant becomes their message on the complaint (the same operation and
   state machine as a reply on the tracking page); anything else waits in the tray, with why;
   with the administrators' setting `mail_auto_register`, a new message is registered at once.

Nothing is lost: a message that cannot be read is kept raw, as unreadable, with the reason; and
`store_message` (the edge that commits) stores a message whose handling failed as unreadable
instead. The operations flush, never commit.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from msgspec import Struct
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from ..audit.models import AuditAction
from ..audit.service import record
from ..auth.models import User
from ..clock import now_utc
from ..complaints.errors import ComplaintChangeRefused
from ..complaints.guards import MAX_TEXT_LENGTH, check_reason, lock
from ..complaints.models import Channel, Complaint
from ..complaints.storage import (
    EXTENSIONS,
    Evidence,
    detect_content_type,
    has_room_for,
    name_fits_type,
    safe_filename,
)
from ..database import commit_with_retry
from ..dates import format_day
from ..extensions import db
from ..intake.operations import ComplaintSubmission, evidence_store, register_complaint
from ..languages import supported_or_fallback
from ..notifications.models import Audience, NotificationKind
from ..notifications.queue import notification_row, queue_rows
from ..registry.chain import Private, append_entry
from ..registry.digest import iso_utc, new_salt
from ..registry.models import EntryKind
from ..settings.store import current_settings
from ..text import has_bidi_controls, single_line
from ..workflow.operations import complainant_reply
from ..workflow.states import Action, allowed_for
from .classify import Verdict, classify
from .models import InboundMail, InboundMailAttachment, MailKind, MailOutcome, MailSource, arrival_facts
from .parse import MailFile, ParsedMail, language_of, parse, peek_headers

log = logging.getLogger(__name__)

#: The signed event that records a message's arrival.
MAIL_RECEIVED = "mail_received"


class Taken(Struct, frozen=True):
    mail: InboundMail
    created: bool  # False: the same message was stored before; nothing new was done


# --- the arrival ----------------------------------------------------------------------------


def arrival_payload(mail: InboundMail) -> dict[str, Any]:
    """What the signed arrival entry says in the clear: the message by its digest, not its content."""
    return {
        "type": MAIL_RECEIVED,
        "at": iso_utc(mail.stored_at),
        "by": None,
        "mail": arrival_facts(mail),
    }


def _stored(sha256: str) -> InboundMail | None:
    return db.session.scalar(select(InboundMail).where(InboundMail.sha256 == sha256))


def take_message(
    raw: bytes, *, received_at: datetime, source: MailSource, failure: str | None = None
) -> Taken:
    """Store one raw message and act on it (see the module's docstring). `failure`: an earlier
    attempt to handle it failed so; store it as unreadable with that reason, and do nothing else."""
    digest = hashlib.sha256(raw).hexdigest()
    earlier = _stored(digest)
    if earlier is not None:
        return Taken(earlier, created=False)
    peek = peek_headers(raw)
    mail = InboundMail(
        sha256=digest, size=len(raw), message_id=peek.get("message_id", "")[:500] or None, source=source,
        received_at=received_at, stored_at=now_utc(), personal_salt=new_salt(), kind=MailKind.UNREADABLE,
        reason="not read yet", outcome=MailOutcome.WAITING,
    )
    private = {"from": peek.get("from", ""), "subject": peek.get("subject", "")}
    entry = append_entry(EntryKind.EVENT, arrival_payload(mail), private=Private(mail.personal_salt, private))
    mail.entry_position = entry.position
    db.session.add(mail)
    db.session.flush()  # the unique digest: of two fetchers storing the same message, one stores it
    evidence_store().put(db.session, Evidence("message.eml", "message/rfc822", raw))
    log.info("mail %s stored (%d bytes, %s)", mail.id, len(raw), source.value)
    if failure is not None:
        return _unreadable(mail, failure)
    if len(raw) > current_app.config["MAIL_MAX_MESSAGE_BYTES"]:
        return _unreadable(mail, f"too large to read: {len(raw)} bytes (MAIL_MAX_MESSAGE_BYTES is "
                                 f"{current_app.config['MAIL_MAX_MESSAGE_BYTES']}); kept raw")
    try:
        parsed = parse(raw)
    except Exception as error:  # noqa: BLE001 - whatever the bytes are, the message is kept
        return _unreadable(mail, f"cannot be read: {type(error).__name__}: {error}"[:2000])
    _describe(mail, parsed)
    verdict = classify(parsed, mail)
    _act(mail, parsed, verdict)
    db.session.flush()
    log.info("mail %s: %s%s", mail.id, mail.kind.value, f" ({mail.reason})" if mail.reason else "")
    return Taken(mail, created=True)


def _unreadable(mail: InboundMail, reason: str) -> Taken:
    mail.kind, mail.reason = MailKind.UNREADABLE, reason
    db.session.flush()
    log.warning("mail %s kept raw as unreadable: %s", mail.id, reason)
    return Taken(mail, created=True)


def _describe(mail: InboundMail, parsed: ParsedMail) -> None:
    """The tray item's description of the message, and its files, each checked as evidence."""
    mail.sender_name = parsed.sender_name or None
    mail.sender_address = parsed.sender_address
    mail.subject = parsed.subject or None
    mail.text = parsed.text
    mail.language = language_of(f"{parsed.subject}\n{parsed.text}",
                                supported_or_fallback(current_app.config["MAIL_DEFAULT_LANGUAGE"]))
    for position, (file, content_type, refusal) in enumerate(check_files(parsed.files), start=1):
        mail.attachments.append(InboundMailAttachment(
            position=position, filename=file.filename, content_type=content_type, size=len(file.content),
            sha256=hashlib.sha256(file.content).hexdigest(), inline=file.inline, refusal=refusal,
        ))


def check_files(files: tuple[MailFile, ...]) -> list[tuple[MailFile, str, str | None]]:
    """Each file of a message with the type it really is (by content; as declared when it is no
    accepted type) and why it is refused as evidence (None: taken), under the same limits as
    files uploaded with a complaint. A file taken keeps a name that fits its type."""
    config = current_app.config
    checked = []
    taken = 0
    for file in files:
        detected = detect_content_type(file.content, file.filename)
        name = safe_filename(file.filename)
        if len(file.content) > config["ATTACHMENT_MAX_BYTES"]:
            refusal = "too_large"
        elif detected is None or not file.content:
            refusal = "type"
        elif taken >= config["ATTACHMENT_MAX_FILES"]:
            refusal = "too_many"
        else:
            refusal = None
            taken += 1
            if not name_fits_type(name, detected):
                name = f"{name}{EXTENSIONS[detected][0]}"
        checked.append((MailFile(name, detected or file.content_type[:100], file.content, file.inline),
                        detected or file.content_type[:100], refusal))
    return checked


# --- acting on it ---------------------------------------------------------------------------


def _act(mail: InboundMail, parsed: ParsedMail, verdict: Verdict) -> None:
    mail.kind, mail.reason = verdict.kind, verdict.reason
    if verdict.kind == MailKind.REPLY:
        _add_reply(mail, parsed, verdict.complaints[0])
    elif verdict.kind == MailKind.NEW and mail.sender_address and current_settings().mail_auto_register:
        register_from_mail(mail, by=None, parsed=parsed)


def _add_reply(mail: InboundMail, parsed: ParsedMail, complaint: Complaint) -> None:
    """The complainant's reply by e-mail becomes their message on the complaint, as a reply on the
    tracking page does; held in the tray when the complaint's status takes no reply."""
    lock(complaint)
    if not allowed_for(complaint, Action.COMPLAINANT_REPLY):
        mail.kind = MailKind.HELD
        mail.reason = (f"a reply to complaint {complaint.number}, which is {complaint.status.value}: "
                       "it takes no reply by e-mail now (a clerk records a dispute by hand)")
        return
    evidence = tuple(_accepted_files(mail, parsed))  # they become the message's own files, as on the page
    files = [row for row in mail.attachments if row.refusal is None]
    with force_locale(supported_or_fallback(complaint.language)):
        body = _bounded(mail.text or "", _("[The e-mail has no text; see the files that came with it.]"))
    reply = complainant_reply(complaint, body=body, evidence=evidence, mail={
        "sha256": mail.sha256,
        "attachments": [{"sha256": row.sha256, "size": row.size, "content_type": row.content_type} for row in files],
    })
    mail.outcome, mail.complaint_id, mail.case_message_id = MailOutcome.ADDED, complaint.id, reply.message.id
    mail.decided_at = now_utc()
    _tell_refused(mail, complaint)
    log.info("mail %s added to complaint %s as message %s", mail.id, complaint.number, reply.message.id)


def _accepted_files(mail: InboundMail, parsed: ParsedMail) -> list[Evidence]:
    """The message's files taken as evidence (the tray item's rows say which were refused, and
    why); none, each marked "no_room", when the evidence store has no room for them."""
    checked = check_files(parsed.files)
    rows = {row.position: row for row in mail.attachments}
    files = [Evidence(file.filename, content_type, file.content)
             for position, (file, content_type, refusal) in enumerate(checked, start=1) if refusal is None]
    if files and not has_room_for(db.session, files, current_app.config["EVIDENCE_STORAGE_MAX_BYTES"]):
        for position, (_file, _type, refusal) in enumerate(checked, start=1):
            if refusal is None and position in rows:
                rows[position].refusal = "no_room"
        return []
    return files


def _bounded(text: str, empty: str) -> str:
    text = text.strip()
    if not text:
        return empty
    if len(text) > MAX_TEXT_LENGTH:
        return text[:MAX_TEXT_LENGTH - 200].rstrip() + "\n[…]"
    return text


def _tell_refused(mail: InboundMail, complaint: Complaint) -> None:
    """Tell the complainant which files of their e-mail were not taken, and why."""
    refused = [{"position": row.position, "size": row.size, "refusal": row.refusal}
               for row in mail.attachments if row.refusal is not None]
    if refused and complaint.email:
        queue_rows([notification_row(NotificationKind.ATTACHMENTS_REFUSED, complaint.id, Audience.COMPLAINANT,
                                     params={"mail_id": mail.id, "refused": refused})])


# --- the tray: register, file ----------------------------------------------------------------


def _lock_mail(mail: InboundMail) -> None:
    db.session.refresh(mail, with_for_update=True)


def submission_from_mail(mail: InboundMail, files: list[Evidence], raw: bytes) -> ComplaintSubmission:
    """The complaint a message makes: the sender's name and address, the subject, the text as
    what happened, and its files with the raw message itself as evidence."""
    config = current_app.config
    language = supported_or_fallback(mail.language)
    name = single_line(mail.sender_name or "").strip()
    if has_bidi_controls(name) or len(name) < 2:
        name = (mail.sender_address or "").split("@")[0]
    name = name[:200]
    settings = current_settings()
    offered = [c.code for c in settings.offered_categories]
    category = config["MAIL_CATEGORY"] if config["MAIL_CATEGORY"] in offered else offered[0]
    with force_locale(language):
        subject = single_line(mail.subject or "").strip()
        if len(subject) < 3 or has_bidi_controls(subject):
            subject = _("E-mail of %(date)s without a subject", date=format_day(mail.received_at, language,
                                                                        config["REGISTRY_TIMEZONE"]))
        description = _bounded(mail.text or "", _("[The e-mail has no text; see the files that came with it.]"))
        if len(description) < 10:
            description = "\n".join((description, _("[The whole e-mail is attached.]")))
        outcome = _("Not stated: the complaint was received by e-mail.")
    stamp = mail.received_at.strftime("%Y%m%d-%H%M%S")
    return ComplaintSubmission(
        full_name=name, email=mail.sender_address, phone=None, postal_address=None, category=category,
        subject=subject[:200], description=description[:10_000], desired_outcome=outcome, language=language,
        signature_name=name, declaration_confirmed=True,
        attachments=(*files, Evidence(f"e-mail-{stamp}.eml", "message/rfc822", raw)),
    )


def register_from_mail(mail: InboundMail, *, by: User | None, parsed: ParsedMail | None = None) -> Complaint:
    """Register a message of the tray as a complaint (the clerk's one click, or `by` None: the
    automatic registration): channel e-mail, received when it reached the mailbox, its files and
    the raw message as evidence; the acknowledgement goes to the sender in the message's language,
    and a note of any file not taken."""
    _lock_mail(mail)
    if not mail.registrable:
        raise ComplaintChangeRefused(_("This message cannot be registered: it is %(what)s.",
                                       what=(mail.kind.title if mail.outcome == MailOutcome.WAITING
                                             else mail.outcome.title).lower()))
    if not mail.sender_address:
        raise ComplaintChangeRefused(_("This message has no sender address to answer: register it by hand."))
    raw = evidence_store().read(mail.sha256)
    parsed = parsed or parse(raw)
    files = _accepted_files(mail, parsed)
    registration = register_complaint(submission_from_mail(mail, files, raw), channel=Channel.EMAIL,
                                      received_at=mail.received_at, registered_by=by,
                                      receipt_to_sender=True)
    complaint = registration.complaint
    record(AuditAction.REGISTRATION, target=complaint.number, user=by,
           details={"channel": Channel.EMAIL.value, "mail": mail.id})
    mail.outcome, mail.complaint_id = MailOutcome.REGISTERED, complaint.id
    mail.decided_at, mail.decided_by_id = now_utc(), by.id if by else None
    _tell_refused(mail, complaint)
    db.session.flush()
    log.info("mail %s registered as complaint %s by %s", mail.id, complaint.number, by.username if by else "itself")
    return complaint


def file_mail(mail: InboundMail, *, reason: str, by: User) -> InboundMail:
    """A clerk files a message of the tray as not a complaint, with a reason (audited). It stays
    listed, as filed: nothing received is ever deleted."""
    given = reason
    reason = check_reason(reason)
    _lock_mail(mail)
    if not mail.fileable:
        raise ComplaintChangeRefused(_("This message was dealt with already: %(what)s.",
                                       what=mail.outcome.title.lower()))
    mail.outcome, mail.filed_reason = MailOutcome.FILED, reason
    mail.decided_at, mail.decided_by_id = now_utc(), by.id
    db.session.flush()
    record(AuditAction.MAIL_FILED, target=f"mail:{mail.id}", user=by,
           details={"reason": given, "kind": mail.kind.value, "sha256": mail.sha256})
    log.info("mail %s filed as not a complaint by %s", mail.id, by.username)
    return mail


# --- the edge ------------------------------------------------------------------------------


def store_message(raw: bytes, *, received_at: datetime, source: MailSource) -> Taken:
    """Store one message in a unit of work of its own and commit it (the edge `flask mail
    fetch` and `flask mail receive` call). A database that cannot be reached raises (the message
    stays where it was, to be fetched or delivered again); a failure while acting on the message
    stores it as unreadable with the reason instead; the same message stored meanwhile by another
    process is answered as stored."""
    try:
        return commit_with_retry(lambda: take_message(raw, received_at=received_at, source=source))
    except IntegrityError:
        earlier = _stored(hashlib.sha256(raw).hexdigest())
        db.session.rollback()
        if earlier is not None:
            return Taken(earlier, created=False)
        failure = "could not be handled: a database constraint refused it"
    except (SQLAlchemyError, OSError):
        raise
    except Exception as error:  # noqa: BLE001 - a bug in reading or acting must not lose the message
        log.exception("mail could not be handled; kept raw as unreadable")
        failure = f"could not be handled: {type(error).__name__}: {error}"[:2000]
    return commit_with_retry(lambda: take_message(raw, received_at=received_at, source=source, failure=failure))
