"""The receipt's wording and layout (`pdf_templates/receipt/<language>.json`, `layout.json`),
loaded by the documents' shared loader (app/documents/template.py) with the organisation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..documents.template import Color, DocumentTemplate, HouseStyle, load_document_template


@dataclass(frozen=True)
class Wording:
    """All receipt text for one language; `{placeholders}` are filled by the renderer."""

    document_title: str  # {number}
    title: str
    copy_organisation: str
    copy_complainant: str
    cut_here: str
    phone_label: str
    email_label: str
    website_label: str
    number_label: str
    registered_at_label: str
    channel_label: str
    channels: Mapping[str, str]  # channel code ("web", "post", …) -> its printed name
    complainant_label: str
    contact_label: str
    postal_address_label: str
    category_label: str
    subject_label: str
    excerpt_label: str
    first_response_note: str  # {due} {hours}
    #: "{n} hours" per CLDR plural category ("one", "few", "many", "other"), in the case
    #: `first_response_note` needs; `other` is used for a category not given.
    first_response_hours: Mapping[str, str]
    signature_label: str
    signature_confirmed: str  # {name}
    signature_unconfirmed: str  # {name}
    officer_label: str
    officer_signature_label: str
    stamp_word: str
    duplicate: str  # {n}
    fingerprint_label: str
    verify_label: str
    tracking_label: str  # above the tracking address, on the complainant's copy
    access_code_label: str
    access_code_note: str  # how to use the code, and to keep it private


@dataclass(frozen=True)
class Layout(HouseStyle):
    """Geometry (PDF points), font sizes, line limits and colours of the receipt."""

    margin_x: float
    margin_y: float
    cut_gap: float  # space between the cut line and each copy's content
    copy_label_size: float
    title_size: float
    leading: float
    row_gap: float
    small_size: float
    label_column_max: float
    right_column_width: float
    column_gap: float
    qr_size: float
    # QR data mask 0-7, or null to let segno pick the lowest-penalty one (ISO 18004 7.8.3).
    # Every mask scans; evaluating all eight costs more than drawing the rest of the receipt.
    qr_mask: int | None
    address_lines: int
    subject_lines: int
    excerpt_lines: int
    signature_lines: int
    verify_url_lines: int
    tracking_url_lines: int
    duplicate_ink: Color
    watermark_ink: Color


ReceiptTemplate = DocumentTemplate[Wording, Layout]


def load_receipt_template(templates_dir: Path, language: str) -> ReceiptTemplate:
    """Return the (cached) receipt template for `language`, English when unsupported."""
    return load_document_template(templates_dir, "receipt", language, Wording, Layout)
