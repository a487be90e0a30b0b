"""The receipt of a stored complaint: as issued (kept at its first delivery), or rendered from
its signed record (gather its values, then render them)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from flask import current_app
from msgspec.structs import replace

from ..complaints.models import CHANNEL_SIGNATURE, Channel, Complaint
from ..documents.signature import sign_document
from ..languages import normalise_language
from ..registry.chain import intake_entry, private_of
from ..registry.digest import fingerprint_of
from ..registry.issued import DocumentKey, issued_pdf
from ..registry.models import DocumentKind
from ..settings.store import settings_at
from ..urls import public_url
from .context import build_receipt_context
from .template import load_receipt_template


def receipt_filename(complaint: Complaint, duplicate_count: int = 0) -> str:
    """ASCII file name of the receipt, e.g. "receipt-2026-000012.pdf" ("...-duplicate-2.pdf")."""
    suffix = f"-duplicate-{duplicate_count}" if duplicate_count else ""
    return f"receipt-{complaint.slug}{suffix}.pdf"


def complaint_receipt_pdf(complaint: Complaint, *, language: str, duplicate_count: int = 0) -> bytes:
    """The receipt in `language` (its `duplicate_count`-th reprint: "DUPLICATE n") exactly as it
    was issued: the file kept at its first delivery, whatever changed in the code, the wording or
    the date style since (app/registry/issued.py). The desk's first print in a language is the
    receipt downloaded in that language, one document."""
    language = normalise_language(language)
    kind = DocumentKind.RECEIPT_PRINT if duplicate_count else DocumentKind.RECEIPT
    return issued_pdf(
        DocumentKey(kind, complaint.id, language, duplicate_number=duplicate_count), number=complaint.number,
        render=lambda: render_complaint_receipt(complaint, language=language, duplicate_count=duplicate_count),
    )


def render_complaint_receipt(complaint: Complaint, *, language: str, duplicate_count: int = 0) -> bytes:
    """Render the receipt in `language` from the signed intake record (what was registered,
    whatever was corrected since): the organisation and the category's name are those in force
    when it was registered. PDF-signed (PAdES) as issued at registration, with the signed entry
    behind its fingerprint embedded."""
    # Drawing and signing load reportlab, pyHanko and pypdf: only a process that renders does.
    from ..registry.document_check import document_record
    from .render import render_receipt

    settings = settings_at(complaint.registered_at)
    template = replace(load_receipt_template(Path(current_app.config["PDF_TEMPLATES_DIR"]), language),
                       organisation=settings.organisation)
    entry = intake_entry(complaint.id)
    registered = as_registered(complaint, json.loads(entry.payload), private_of(entry.position) or {})
    fingerprint = fingerprint_of(entry.digest)
    context = build_receipt_context(
        registered,
        language=template.language,
        timezone_name=current_app.config["REGISTRY_TIMEZONE"],
        channel_name=template.wording.received_line(registered.channel, clerk=registered.registered_by,
                                                    sender=registered.sender),
        signature=template.wording.signature_line(registered.signature, registered.signature_name,
                                                  declaration=registered.declaration_confirmed),
        category_name=settings.category_name(registered.category, template.language),
        fingerprint=fingerprint,
        verify_url=public_url("registry.verify", number=complaint.slug, fingerprint=fingerprint),
        duplicate_count=duplicate_count,
        tracking_url=public_url("intake.track"),
        officer=registered.registered_by,
    )
    return sign_document(render_receipt(context, template),
                         record=document_record(entry, kind="receipt", number=registered.number),
                         credentials=current_app.extensions["document_signer"], issued_at=registered.registered_at)


def as_registered(complaint: Complaint, payload: dict[str, Any], private: dict[str, Any]) -> SimpleNamespace:
    """The complaint as its intake record froze it: the values a receipt prints, with how it
    was signed and the clerk who registered it (a record from before these were signed: the
    channel's usual signature, no clerk named)."""
    person = private.get("complainant", {})
    channel = payload["channel"]
    registration = payload.get("registration") or {}
    return SimpleNamespace(
        number=payload["number"],
        channel=channel,
        signature=registration.get("signature") or CHANNEL_SIGNATURE[Channel(channel)].value,
        registered_by=(registration.get("by") or {}).get("name", ""),
        sender=(person.get("email") or "") if channel == Channel.EMAIL else "",
        category=payload["category"],
        registered_at=datetime.fromisoformat(payload["registered_at"]),
        received_at=datetime.fromisoformat(payload.get("received_at") or payload["registered_at"]),
        first_response_due=datetime.fromisoformat(payload["first_response_due"]),
        final_response_due=next((datetime.fromisoformat(clock["due_at"]) for clock in registration.get("clocks", ())
                                 if clock["kind"] == "final_response"), None),
        declaration_confirmed=payload["declaration"],
        full_name=person.get("full_name", ""),
        contact_line=", ".join(part for part in (person.get("email"), person.get("phone")) if part),
        postal_address=person.get("postal_address"),
        subject=private.get("subject", ""),
        description=private.get("description", ""),
        signature_name=private.get("signature_name", ""),
        access_code=complaint.access_code,
    )
