"""Make the outgoing letter of a stored message: gather its values, then render them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from flask import current_app

from ..complaints.models import Complaint
from ..extensions import db
from ..registry.digest import fingerprint_of
from ..registry.models import RegistryEntry
from ..registry.numbering import number_slug
from ..settings.store import settings_at
from ..urls import public_url
from ..workflow.models import CaseMessage
from .context import build_letter_context
from .render import render_letter
from .template import load_letter_template


def message_letter_pdf(message: CaseMessage) -> bytes:
    """The numbered letter in the complaint's language, rendered from the stored message and
    its signed registry entry, so every download is the same (the organisation as it was on the
    letter's date)."""
    complaint = db.session.get_one(Complaint, message.complaint_id)
    template = replace(load_letter_template(Path(current_app.config["PDF_TEMPLATES_DIR"]), complaint.language),
                       organisation=settings_at(message.created_at).organisation)
    fingerprint = fingerprint_of(db.session.get_one(RegistryEntry, message.entry_position).digest)
    context = build_letter_context(
        message,
        complaint=complaint,
        language=template.language,
        timezone_name=current_app.config["REGISTRY_TIMEZONE"],
        fingerprint=fingerprint,
        verify_url=public_url("registry.verify", number=complaint.slug, fingerprint=fingerprint),
    )
    return render_letter(context, template)


def letter_filename(message: CaseMessage) -> str:
    """ASCII file name of the letter, e.g. "letter-OUT-2026-000012.pdf"."""
    return f"letter-{number_slug(message.outgoing_number or str(message.id))}.pdf"
