"""An evidence file as an HTTP download: for staff (the case page) and for the complainant (the
tracking page) alike; the file of a complaint by the id in its URL."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from flask import Response, current_app

from ..extensions import db
from .models import Attachment, Complaint
from .storage import EvidenceStore


def complaint_attachment(complaint: Complaint, attachment_id: int) -> Attachment | None:
    """The file `attachment_id` of `complaint`; None if there is none (or it is another's)."""
    attachment = db.session.get(Attachment, attachment_id)
    return attachment if attachment is not None and attachment.complaint_id == complaint.id else None


def evidence_response(evidence: Attachment) -> Response:
    """The file, always as a download (never shown inline, whatever it contains), with its real
    type (checked by content at upload); nosniff is global."""
    content = EvidenceStore(Path(current_app.config["ATTACHMENTS_DIR"])).read(evidence.sha256)
    response = Response(content, mimetype=evidence.content_type)
    response.headers["Content-Disposition"] = attachment_disposition(evidence.filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def attachment_disposition(filename: str) -> str:
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
