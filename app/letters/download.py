"""An outgoing letter as an HTTP download: the one answer the case page and the tracking page
both give."""

from __future__ import annotations

from flask import Response, abort

from ..complaints.models import Complaint
from ..extensions import db
from ..workflow.models import CaseMessage
from .service import letter_filename, message_letter_pdf


def letter_response(complaint: Complaint, message_id: int, *, disposition: str) -> Response:
    """The PDF of outgoing letter `message_id` of `complaint` (404 for anything else: another
    complaint's message, an internal note, a reply), never cached."""
    message = db.session.get(CaseMessage, message_id)
    if message is None or message.complaint_id != complaint.id or not message.kind.outgoing:
        abort(404)
    response = Response(message_letter_pdf(message), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'{disposition}; filename="{letter_filename(message)}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
