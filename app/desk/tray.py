"""The tray of letters to post: outgoing letters to complainants who gave no e-mail address
(so nothing sends them), not yet marked as posted, oldest first.

Most outgoing letters go by e-mail and are never marked as posted, so the unposted letters grow
with the registry; the complaints without an address are few. The tray reads those first, by
`ix_complaints_without_email` (migration `tray_index`), then their letters by complaint."""

from __future__ import annotations

from sqlalchemy import literal_column, or_, select

from ..complaints.models import Complaint
from ..extensions import db
from ..workflow.models import CaseMessage

#: The most letters the page lists at once (the oldest); the tray is meant to be emptied daily.
TRAY_LIMIT = 500

#: A complaint whose letters go on paper: no e-mail address. Its empty string is written into
#: the SQL (a constant, not a bound value), so the databases match it to the index's condition.
WITHOUT_EMAIL = or_(Complaint.email.is_(None), Complaint.email == literal_column("''"))
#: The complaints without an e-mail address, declared here beside the condition it must match
#: (its migration writes the same SQL). On the address itself, not the id, so that a planner
#: without statistics (a young SQLite registry's) reads it by equality (`email IS NULL`,
#: `email = ''`) and prefers it to walking every unposted letter.
TRAY_INDEX = db.Index("ix_complaints_without_email", Complaint.email,
                      postgresql_where=WITHOUT_EMAIL, sqlite_where=WITHOUT_EMAIL)


def letters_to_post(limit: int = TRAY_LIMIT) -> list[tuple[CaseMessage, Complaint]]:
    """(letter, its complaint) for each letter waiting to be posted, oldest first."""
    return [tuple(row) for row in db.session.execute(
        select(CaseMessage, Complaint)
        .join(Complaint, Complaint.id == CaseMessage.complaint_id)
        .where(CaseMessage.outgoing_number.is_not(None), CaseMessage.posted_at.is_(None), WITHOUT_EMAIL)
        .order_by(CaseMessage.created_at, CaseMessage.id)
        .limit(limit)
    )]


def awaits_post(message: CaseMessage, complaint: Complaint) -> bool:
    """A letter that goes on paper: the complainant has no e-mail address."""
    return message.outgoing_number is not None and not complaint.email
