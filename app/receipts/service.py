"""Make the receipt of a stored complaint: gather its values, then render them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from flask import current_app

from ..complaints.models import Complaint
from ..registry.chain import intake_entry
from ..registry.digest import fingerprint_of
from ..settings.store import settings_at
from ..urls import public_url
from .context import build_receipt_context
from .render import render_receipt
from .template import load_receipt_template


def complaint_receipt_pdf(complaint: Complaint, *, language: str, duplicate_count: int = 0) -> bytes:
    """The receipt in `language`, rendered from the stored record, so every download is the same:
    the organisation and the category's name are those in force when it was registered."""
    settings = settings_at(complaint.registered_at)
    template = replace(load_receipt_template(Path(current_app.config["PDF_TEMPLATES_DIR"]), language),
                       organisation=settings.organisation)
    fingerprint = fingerprint_of(intake_entry(complaint.id).digest)
    context = build_receipt_context(
        complaint,
        language=template.language,
        timezone_name=current_app.config["REGISTRY_TIMEZONE"],
        channel_name=template.wording.channels.get(complaint.channel.value, complaint.channel.value),
        category_name=settings.category_name(complaint.category, template.language),
        fingerprint=fingerprint,
        verify_url=public_url("registry.verify", number=complaint.slug, fingerprint=fingerprint),
        duplicate_count=duplicate_count,
        tracking_url=public_url("intake.track"),
    )
    return render_receipt(context, template)
