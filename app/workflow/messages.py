"""A complaint's correspondence as the complainant sees it (the tracking page, the API)."""

from __future__ import annotations

from sqlalchemy import select

from ..complaints.download import complaint_attachment
from ..complaints.models import Attachment, Complaint
from ..extensions import db
from .models import CaseMessage, MessageKind


def complainant_messages(complaint: Complaint) -> list[CaseMessage]:
    """The correspondence the complainant sees: letters to them and their own messages."""
    return list(db.session.scalars(
        select(CaseMessage)
        .where(CaseMessage.complaint_id == complaint.id, CaseMessage.kind != MessageKind.CONSULTATION)
        .order_by(CaseMessage.id)
    ))


def later_documents(complaint: Complaint) -> list[Attachment]:
    """Documents the desk added after registration on their own (not with a message): what the
    complainant brought or posted later."""
    return list(db.session.scalars(
        select(Attachment)
        .where(Attachment.complaint_id == complaint.id, Attachment.entry_position.is_not(None),
               Attachment.message_id.is_(None))
        .order_by(Attachment.id)
    ))


def complainant_attachment(complaint: Complaint, attachment_id: int) -> Attachment | None:
    """A file of `complaint` the complainant may download: the evidence they filed or sent
    later, and what was enclosed with a letter to them (never a file of an internal note)."""
    attachment = complaint_attachment(complaint, attachment_id)
    if attachment is None:
        return None
    if attachment.message_id is not None:
        message = db.session.get(CaseMessage, attachment.message_id)
        if message is None or message.kind.internal:
            return None
    return attachment
