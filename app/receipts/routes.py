"""The complainant's receipt download."""

from __future__ import annotations

from flask import Blueprint, Response, request

from ..complaints.access import find_for_complainant_or_404
from ..ratelimits import tracking_limit
from .service import complaint_receipt_pdf, receipt_filename

bp = Blueprint("receipts", __name__)


@bp.get("/complaints/<path:reference>/receipt.pdf")
@tracking_limit
def receipt_pdf(reference: str) -> Response:
    complaint = find_for_complainant_or_404(reference, request.args.get("code"))
    language = request.args.get("lang") or complaint.language
    pdf = complaint_receipt_pdf(complaint, language=language)
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{receipt_filename(complaint)}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
