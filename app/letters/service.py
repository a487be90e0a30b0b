"""The outgoing letter of a stored message: as issued (kept at its first delivery), or rendered
from the values frozen when it was sent (gather them, then render)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app
from msgspec.structs import replace

from ..documents.signature import sign_document
from ..documents.template import Organisation
from ..extensions import db
from ..languages import normalise_language
from ..registry.chain import private_of
from ..registry.digest import fingerprint_of
from ..registry.issued import DocumentKey, issued_pdf
from ..registry.models import DocumentKind, RegistryEntry
from ..registry.numbering import number_slug
from ..urls import public_url
from ..workflow.models import CaseMessage
from .context import build_letter_context
from .template import load_letter_template


def message_letter_pdf(message: CaseMessage) -> bytes:
    """The numbered letter exactly as it was issued: the file kept at its first delivery (e-mail,
    download or reprint), whatever changed in the code, the wording or the date style since
    (app/registry/issued.py)."""
    entry, issued = _issued_letter(message)
    return issued_pdf(
        DocumentKey(DocumentKind.LETTER, message.complaint_id, normalise_language(issued["language"]),
                    message_id=message.id),
        number=issued["incoming_number"], outgoing_number=message.outgoing_number,
        render=lambda: _render(message, entry, issued),
    )


def render_message_letter(message: CaseMessage) -> bytes:
    """Render the letter from the values frozen in its signed entry's private part when it was
    sent (addressee, decision, organisation, language), never from the live rows; PDF-signed
    (PAdES) as issued."""
    return _render(message, *_issued_letter(message))


def _issued_letter(message: CaseMessage) -> tuple[RegistryEntry, dict[str, Any]]:
    entry = db.session.get_one(RegistryEntry, message.entry_position)
    issued = (private_of(entry.position) or {}).get("letter")
    if issued is None:
        raise LetterUnavailable(f"letter {message.outgoing_number} has no frozen record (erased)")
    return entry, issued


def _render(message: CaseMessage, entry: RegistryEntry, issued: dict[str, Any]) -> bytes:
    # Drawing and signing load reportlab, pyHanko and pypdf: only a process that renders does.
    from ..registry.document_check import document_record
    from .render import render_letter

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
