"""Make the receipt of a stored complaint: gather its values, then render them."""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from ..complaints.categories import category_name
from ..complaints.models import Complaint
from ..registry.chain import fingerprint_of, intake_entry
from ..urls import public_url
from .context import build_receipt_context
from .render import render_receipt
from .template import load_receipt_template


def complaint_receipt_pdf(complaint: Complaint, *, language: str, duplicate_count: int = 0) -> bytes:
    """The receipt in `language`, rendered from the stored record, so every download is the same."""
    template = load_receipt_template(Path(current_app.config["PDF_TEMPLATES_DIR"]), language)
    fingerprint = fingerprint_of(intake_entry(complaint.id).digest)
    context = build_receipt_context(
        complaint,
        language=template.language,
        timezone_name=current_app.config["REGISTRY_TIMEZONE"],
        channel_name=template.wording.channels.get(complaint.channel.value, complaint.channel.value),
        category_name=category_name(complaint.category, template.language),
        fingerprint=fingerprint,
        verify_url=public_url("registry.verify", number=complaint.slug, fingerprint=fingerprint),
        duplicate_count=duplicate_count,
    )
    return render_receipt(context, template)
