"""The outgoing letter's data: plain, pre-formatted values taken from a stored message.

`LetterContext` is the whole contract between the registry and the PDF renderer
(`app.letters.render`), as `ReceiptContext` is for the receipt: the renderer draws these
values and never touches the database, the clock or Flask.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal
from msgspec import Struct

from ..dates import format_day


class LetterContext(Struct, frozen=True):
    """Everything printed on one outgoing letter, already formatted for its language."""

    language: str  # "en", "ru", "ro" or "uk": selects the wording in pdf_templates/letter/
    kind: str  # "response", "information_request" or "decision": selects the title
    outgoing_number: str  # e.g. "OUT-2026/000012"
    date: str  # the letter's local date in the language's style (app/dates.py), e.g. "22.11.2026"
    stamp_date: str  # the same date, in the stamp's centre
    incoming_number: str  # the complaint's number, e.g. "2026/000123"
    registered_on: str  # the complaint's local registration date, in the same style
    addressee_name: str
    postal_address: str  # may be empty
    email: str  # may be empty
    phone: str  # may be empty
    resolution: str  # "upheld", "partly_upheld", "rejected"; empty unless a decision
    body: str  # the message as written; blank lines separate paragraphs
    signatory_name: str  # the member of staff who wrote it
    fingerprint: str  # short fingerprint of the registry entry that froze the message
    verify_url: str  # absolute URL of the public verify page (QR code target)
    #: The files enclosed with the letter: (name, the start of its SHA-256), as issued.
    enclosures: tuple[tuple[str, str], ...] = ()
    #: The redress a decision offers: the amount in the language's number style ("1 500,00")
    #: and its currency, and a remedy that is not money; empty: none.
    redress_amount: str = ""
    redress_currency: str = ""
    remedy: str = ""
    #: The paragraphs the regulator requires (where to refer the complaint next, the extension's
    #: terms), as they read when the letter was sent; after the body.
    statutory: tuple[str, ...] = ()


def build_letter_context(issued: dict[str, Any], *, language: str, fingerprint: str, verify_url: str) -> LetterContext:
    """Format a letter as it was issued (`app.workflow.operations.issued_letter`: the values
    captured when it was sent, kept in its signed entry's private part) for printing in
    `language` (the letter's own, or the template's fallback for it)."""
    zone = issued["timezone"]
    sent_on = format_day(datetime.fromisoformat(issued["sent_at"]), language, zone)
    registered_on = format_day(datetime.fromisoformat(issued["registered_at"]), language, zone)
    addressee = issued["addressee"]
    redress = issued.get("redress") or {}  # letters issued before redress existed have none
    return LetterContext(
        language=language,
        kind=issued["kind"],
        outgoing_number=issued["outgoing_number"],
        date=sent_on,
        stamp_date=sent_on,
        incoming_number=issued["incoming_number"],
        registered_on=registered_on,
        addressee_name=addressee["name"],
        postal_address=addressee["postal_address"],
        email=addressee["email"],
        phone=addressee["phone"],
        resolution=issued["resolution"],
        body=issued["body"],
        signatory_name=issued["signatory"],
        fingerprint=fingerprint,
        verify_url=verify_url,
        enclosures=tuple((file["name"], file["sha256"][:16]) for file in issued.get("attachments", ())),
        redress_amount=format_decimal(Decimal(redress["amount"]), "#,##0.00", locale=language)
        if redress.get("amount") else "",
        redress_currency=redress.get("currency") or "",
        remedy=redress.get("remedy") or "",
        statutory=tuple((issued.get("statutory") or {}).get("paragraphs", ())),
    )
