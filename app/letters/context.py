"""The outgoing letter's data: plain, pre-formatted values taken from a stored message.

`LetterContext` is the whole contract between the registry and the PDF renderer
(`app.letters.render`), as `ReceiptContext` is for the receipt: the renderer draws these
values and never touches the database, the clock or Flask.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from babel.dates import format_date

if TYPE_CHECKING:
    from ..complaints.models import Complaint
    from ..workflow.models import CaseMessage


@dataclass(frozen=True)
class LetterContext:
    """Everything printed on one outgoing letter, already formatted for its language."""

    language: str  # "en", "ru", "ro" or "uk": selects the wording in pdf_templates/letter/
    kind: str  # "response", "information_request" or "decision": selects the title
    outgoing_number: str  # e.g. "OUT-2026/000012"
    date: str  # the letter's local date, written out for the language ("22 noiembrie 2026")
    stamp_date: str  # short date in the stamp's centre, e.g. "22.11.2026"
    incoming_number: str  # the complaint's number, e.g. "2026/000123"
    registered_on: str  # the complaint's local registration date, written out
    addressee_name: str
    postal_address: str  # may be empty
    email: str  # may be empty
    phone: str  # may be empty
    resolution: str  # "upheld", "partly_upheld", "rejected"; empty unless a decision
    body: str  # the message as written; blank lines separate paragraphs
    signatory_name: str  # the member of staff who wrote it
    fingerprint: str  # short fingerprint of the registry entry that froze the message
    verify_url: str  # absolute URL of the public verify page (QR code target)


def build_letter_context(
    message: CaseMessage,
    *,
    complaint: Complaint,
    language: str,
    timezone_name: str,
    fingerprint: str,
    verify_url: str,
) -> LetterContext:
    """Format a stored outgoing message for printing in `language` and the organisation's time zone."""
    if not message.outgoing_number:
        raise ValueError(f"message {message.id} ({message.kind}) is not a numbered outgoing letter")
    zone = ZoneInfo(timezone_name)
    sent_on = message.created_at.astimezone(zone)
    resolution = complaint.resolution if message.kind == "decision" else None
    return LetterContext(
        language=language,
        kind=str(message.kind),
        outgoing_number=message.outgoing_number,
        date=format_date(sent_on, "long", locale=language),
        stamp_date=format_date(sent_on, "short", locale=language),
        incoming_number=complaint.number,
        registered_on=format_date(complaint.registered_at.astimezone(zone), "long", locale=language),
        addressee_name=complaint.full_name,
        postal_address=complaint.postal_address or "",
        email=complaint.email or "",
        phone=complaint.phone or "",
        resolution=str(resolution) if resolution else "",
        body=message.body,
        signatory_name=message.author.full_name if message.author else "",
        fingerprint=fingerprint,
        verify_url=verify_url,
    )
