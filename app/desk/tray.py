"""The tray of letters to post: outgoing letters to complainants who gave no e-mail address
(so nothing sends them), not yet marked as posted, oldest first."""

from __future__ import annotations

from sqlalchemy import or_, select

from ..complaints.models import Complaint
from ..extensions import db
from ..workflow.models import CaseMessage

#: The most letters the page lists at once (the oldest); the tray is meant to be emptied daily.
TRAY_LIMIT = 500


def letters_to_post(limit: int = TRAY_LIMIT) -> list[tuple[CaseMessage, Complaint]]:
    """(letter, its complaint) for each letter waiting to be posted, oldest first."""
    return [tuple(row) for row in db.session.execute(
        select(CaseMessage, Complaint)
        .join(Complaint, Complaint.id == CaseMessage.complaint_id)
        .where(CaseMessage.outgoing_number.is_not(None), CaseMessage.posted_at.is_(None),
               or_(Complaint.email.is_(None), Complaint.email == ""))
        .order_by(CaseMessage.created_at, CaseMessage.id)
        .limit(limit)
    )]


def awaits_post(message: CaseMessage, complaint: Complaint) -> bool:
    """A letter that goes on paper: the complainant has no e-mail address."""
    return message.outgoing_number is not None and not complaint.email
