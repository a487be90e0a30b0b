"""An evidence file as an HTTP download: for staff (the case page) and for the complainant (the
tracking page) alike."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from flask import Response, current_app

from .models import Attachment
from .storage import EvidenceStore


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
