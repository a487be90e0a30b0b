"""The complainant's private links. Numbers travel in URLs as slugs ('2026-000123'); the
display form, percent-encoded ('2026%2F000123'), is accepted too."""

from __future__ import annotations

from flask import url_for

from ..complaints.models import Complaint


def tracking_url(complaint: Complaint, *, external: bool = True) -> str:
    return url_for(
        "intake.track_complaint", reference=complaint.slug, code=complaint.access_code, _external=external
    )


def receipt_url(complaint: Complaint, *, external: bool = True) -> str:
    return url_for(
        "receipts.receipt_pdf", reference=complaint.slug, code=complaint.access_code, _external=external
    )


def confirmation_url(complaint: Complaint) -> str:
    return url_for("intake.confirmation", reference=complaint.slug, code=complaint.access_code)
