"""The receipt's data: plain, pre-formatted values taken from a stored record.

`ReceiptContext` is the whole contract between the registry and the PDF renderer:
the renderer (`app.receipts.render`) draws exactly these values and never touches
the database, the clock or Flask. `build_receipt_context()` formats one from a stored complaint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from msgspec import Struct

from ..complaints.access import display_access_code
from ..dates import format_day, format_deadline, format_moment

if TYPE_CHECKING:
    from ..complaints.models import Complaint


class ReceiptContext(Struct, frozen=True):
    """Everything printed on a two-copy receipt, already formatted for its language."""

    language: str  # "en", "ru", "ro" or "uk": selects the wording in pdf_templates/
    number: str  # display incoming number, e.g. "2026/000123"
    registered_at: str  # local date and time of registration, formatted for the language
    first_response_due: str  # local date and time of the first-response deadline
    channel: str  # how it was received and by whom, worded ("By post; registered by Irina Popescu")
    complainant_name: str
    complainant_contact: str  # e-mail and/or phone, one line ("ana@example.md, +373 69 123 456")
    postal_address: str  # may be empty
    category: str  # category name in the receipt's language
    subject: str
    excerpt: str  # start of the description, already shortened (ends with "…" when cut)
    #: how the complainant signed, worded with their name ("Signed by hand on paper: Ana Munteanu";
    #: electronically with the declaration; by phone or e-mail: not signed, and how it came)
    signature: str
    fingerprint: str  # short record fingerprint, e.g. "3F2A-9C1B-77D0-E4A5"
    verify_url: str  # absolute URL of the public verify page for this record (QR code target)
    stamp_date: str  # short date shown in the stamp's centre, e.g. "22.11.2026"
    duplicate_count: int = 0  # 0 for the first print; n > 0 prints "DUPLICATE n" on both copies
    first_response_hours: int = 24  # the promise the record was registered with (deadline - receipt)
    #: The final response's due time where the complaint's policy runs that clock (the
    #: acknowledgement states when the organisation will respond), formatted; empty: none.
    final_response_due: str = ""
    #: The complainant's access code in display form ("ABCD-2345-WXYZ"), printed on the
    #: complainant's copy only; empty: no tracking block.
    access_code: str = ""
    tracking_url: str = ""  # absolute URL of the public tracking page, short enough to type
    officer: str = ""  # the clerk who registered it, printed on the registering officer's line


def excerpt(text: str, limit: int = 320) -> str:
    """The start of a text on one line, cut at a word boundary with '…' when longer than `limit`."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1].rsplit(" ", 1)[0] if " " in flat[: limit - 1] else flat[: limit - 1]
    return cut.rstrip(" ,.;:") + "…"


def build_receipt_context(
    record: Complaint,
    *,
    language: str,
    timezone_name: str,
    channel_name: str,
    signature: str,
    category_name: str,
    fingerprint: str,
    verify_url: str,
    duplicate_count: int = 0,
    tracking_url: str = "",
    officer: str = "",
) -> ReceiptContext:
    """Format a stored complaint for printing in `language` and the organisation's time zone."""
    return ReceiptContext(
        language=language,
        number=record.number,
        registered_at=format_moment(record.registered_at, language, timezone_name),
        first_response_due=format_moment(record.first_response_due, language, timezone_name),
        channel=channel_name,
        complainant_name=record.full_name,
        complainant_contact=record.contact_line,
        postal_address=record.postal_address or "",
        category=category_name,
        subject=record.subject,
        excerpt=excerpt(record.description),
        signature=signature,
        fingerprint=fingerprint,
        verify_url=verify_url,
        stamp_date=format_day(record.registered_at, language, timezone_name),
        duplicate_count=duplicate_count,
        first_response_hours=round((record.first_response_due - record.received_at).total_seconds() / 3600),
        final_response_due=format_deadline(record.final_response_due, language, timezone_name)
        if record.final_response_due else "",
        access_code=display_access_code(record.access_code),
        tracking_url=tracking_url,
        officer=officer,
    )
