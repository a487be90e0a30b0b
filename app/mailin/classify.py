"""What a parsed message is: a reply to one of our complaints, a new message, an automatic one
(never answered, never registered), or a copy of one received before. Reads the database,
writes nothing.

A reply names its complaint by the number in the subject, or by In-Reply-To/References naming
one of our own e-mails (app/mail/compose.py `_message_id`: notification-<id>.<time>@domain); it is
added to the complaint only when it comes from the complainant's own address or carries the
complaint's access code. Anything else that names a complaint is held in the tray.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask import current_app
from msgspec import Struct
from sqlalchemy import select

from ..complaints.access import normalise_access_code
from ..complaints.models import Complaint
from ..extensions import db
from ..mail.transport import sender_domain
from ..notifications.models import Notification
from .models import InboundMail, MailKind
from .parse import ParsedMail

#: Our outgoing Message-IDs: notification-<outbox row id>.<its creation time>@<our domain>.
_OURS = re.compile(r"^notification-(\d{1,18})\.\d{14,20}@(.+)$", re.IGNORECASE)
#: What may be a complaint number in a subject: number formats are made of these characters.
_TOKEN = re.compile(r"[A-Za-z0-9/._-]{3,40}")


class Verdict(Struct, frozen=True):
    kind: MailKind
    reason: str | None = None
    #: The complaint a reply goes to (REPLY), or the ones a held message names (HELD).
    complaints: tuple[Complaint, ...] = ()


def our_notification_id(message_id: str | None) -> int | None:
    """The outbox row behind one of our own Message-IDs, else None."""
    match = _OURS.match(message_id or "")
    if match is None or match.group(2).lower() != sender_domain(current_app.config["MAIL_FROM"]).lower():
        return None
    return int(match.group(1))


def _numbers_in(subject: str) -> list[str]:
    tokens = set()
    for token in _TOKEN.findall(subject):
        stripped = token.strip("/._-")
        if any(ch.isdigit() for ch in stripped):
            tokens.update({token, stripped})
    return sorted(tokens)


def complaints_named(parsed: ParsedMail) -> list[Complaint]:
    """The complaints the message names: those of our e-mails it answers first, then the numbers
    in its subject; each once."""
    ids = [nid for nid in map(our_notification_id, (*parsed.in_reply_to, *parsed.references)) if nid is not None]
    found: dict[int, Complaint] = {}
    if ids:
        for complaint in db.session.scalars(
            select(Complaint).join(Notification, Notification.complaint_id == Complaint.id)
            .where(Notification.id.in_(ids[:50])).order_by(Complaint.id)
        ):
            found.setdefault(complaint.id, complaint)
    numbers = _numbers_in(parsed.subject)
    if numbers:
        for complaint in db.session.scalars(
            select(Complaint).where(Complaint.number.in_(numbers[:50])).order_by(Complaint.id)
        ):
            found.setdefault(complaint.id, complaint)
    return list(found.values())


def _same_address(a: str | None, b: str | None) -> bool:
    return bool(a and b) and a.strip().casefold() == b.strip().casefold()


def carries_access_code(parsed: ParsedMail, complaint: Complaint) -> bool:
    """The complaint's access code is in the subject or the text (dashes and case ignored)."""
    for text in (parsed.subject, parsed.full_text):
        if complaint.access_code in normalise_access_code(text):
            return True
    return False


def authorised(parsed: ParsedMail, complaint: Complaint) -> bool:
    """The message may speak for the complainant: their address, or the access code."""
    return _same_address(parsed.sender_address, complaint.email) or carries_access_code(parsed, complaint)


def _numbers(complaints: Iterable[Complaint]) -> str:
    return ", ".join(c.number for c in complaints)


def classify(parsed: ParsedMail, mail: InboundMail) -> Verdict:
    """What `mail` (whose parsed form is `parsed`) is; see the module's docstring."""
    if parsed.automatic:
        return Verdict(MailKind.AUTOMATIC, parsed.automatic)
    if our_notification_id(parsed.message_id) is not None:
        return Verdict(MailKind.AUTOMATIC, "one of the registry's own e-mails came back")
    if parsed.message_id:
        earlier = db.session.scalar(
            select(InboundMail.id).where(InboundMail.message_id == parsed.message_id[:500], InboundMail.id != mail.id)
            .order_by(InboundMail.id).limit(1)
        )
        if earlier is not None:
            return Verdict(MailKind.DUPLICATE, f"the same Message-ID as message #{earlier}, received before")
    named = complaints_named(parsed)
    if not named:
        if parsed.sender_address is None:
            return Verdict(MailKind.NEW, "the sender's address cannot be read")
        return Verdict(MailKind.NEW)
    for complaint in named:
        if authorised(parsed, complaint):
            return Verdict(MailKind.REPLY, None, (complaint,))
    return Verdict(MailKind.HELD, f"mentions complaint {_numbers(named)} but comes from another address "
                                  "and does not carry its access code", tuple(named))
