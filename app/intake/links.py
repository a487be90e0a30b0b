"""The complainant's private links. Numbers travel in URLs as slugs ('2026-000123'); the
display form, percent-encoded ('2026%2F000123'), is accepted too."""

from __future__ import annotations

from flask import url_for

from ..complaints.models import Complaint
from ..urls import public_url


def tracking_url(complaint: Complaint, *, external: bool = True) -> str:
    """The complainant's tracking link: absolute on the registry's public address (the same in
    an e-mail, an API answer and on paper), or a path for a link within the site."""
    return _link("intake.track_complaint", complaint, external)


def receipt_url(complaint: Complaint, *, external: bool = True) -> str:
    return _link("receipts.receipt_pdf", complaint, external)


def _link(endpoint: str, complaint: Complaint, external: bool) -> str:
    values = {"reference": complaint.slug, "code": complaint.access_code}
    return public_url(endpoint, **values) if external else url_for(endpoint, **values)


def confirmation_url(complaint: Complaint) -> str:
    return url_for("intake.confirmation", reference=complaint.slug, code=complaint.access_code)
