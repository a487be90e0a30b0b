"""Make the outgoing letter of a stored message: gather its values, then render them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from flask import current_app

from ..documents.signature import sign_document
from ..documents.template import Organisation
from ..extensions import db
from ..registry.chain import private_of
from ..registry.digest import fingerprint_of
from ..registry.document_check import document_record
from ..registry.models import RegistryEntry
from ..registry.numbering import number_slug
from ..urls import public_url
from ..workflow.models import CaseMessage
from .context import build_letter_context
from .render import render_letter
from .template import load_letter_template


def message_letter_pdf(message: CaseMessage) -> bytes:
    """The numbered letter exactly as it was issued: rendered from the values frozen in its
    signed entry's private part when it was sent (addressee, decision, organisation, language),
    so every download, e-mail and reprint is the same letter; PDF-signed (PAdES) as issued."""
    entry = db.session.get_one(RegistryEntry, message.entry_position)
    issued = (private_of(entry.position) or {}).get("letter")
    if issued is None:
        raise LetterUnavailable(f"letter {message.outgoing_number} has no frozen record (erased)")
    template = replace(load_letter_template(Path(current_app.config["PDF_TEMPLATES_DIR"]), issued["language"]),
                       organisation=Organisation(**issued["organisation"]))
    fingerprint = fingerprint_of(entry.digest)
    slug = number_slug(issued["incoming_number"])
    context = build_letter_context(
        issued,
        language=template.language,
        fingerprint=fingerprint,
        verify_url=public_url("registry.verify", number=slug, fingerprint=fingerprint),
    )
    return sign_document(
        render_letter(context, template),
        record=document_record(entry, kind="letter", number=issued["incoming_number"],
                               outgoing_number=issued["outgoing_number"]),
        credentials=current_app.extensions["document_signer"], issued_at=message.created_at,
    )


class LetterUnavailable(LookupError):
    """The letter's frozen record is gone (its personal data was erased)."""


def letter_filename(message: CaseMessage) -> str:
    """ASCII file name of the letter, e.g. "letter-OUT-2026-000012.pdf"."""
    return f"letter-{number_slug(message.outgoing_number or str(message.id))}.pdf"
