"""A complaint's correspondence as the complainant sees it (the tracking page, the API)."""

from __future__ import annotations

from sqlalchemy import select

from ..complaints.models import Complaint
from ..extensions import db
from .models import CaseMessage, MessageKind


def complainant_messages(complaint: Complaint) -> list[CaseMessage]:
    """The correspondence the complainant sees: letters to them and their own messages."""
    return list(db.session.scalars(
        select(CaseMessage)
        .where(CaseMessage.complaint_id == complaint.id, CaseMessage.kind != MessageKind.CONSULTATION)
        .order_by(CaseMessage.id)
    ))
