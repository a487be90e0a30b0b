"""The receipt's wording and layout (`pdf_templates/receipt/<language>.json`, `layout.json`),
loaded by the documents' shared loader (app/documents/template.py) with the organisation."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from msgspec import Struct

from ..documents.template import NBSP, Color, DocumentTemplate, HouseStyle, load_document_template


class Wording(Struct, frozen=True):
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
    channel_label: str  # before the line that says how the complaint was received
    #: channel code ("web", "post", …) -> how a complaint came that way ("By post")
    received: Mapping[str, str]
    received_from: str  # {channel} {sender}: an e-mail and the address it came from
    #: channel code -> who took it in ("received by {clerk}"); "other" for a channel not given
    received_by: Mapping[str, str]
    complainant_label: str
    contact_label: str
    postal_address_label: str
    category_label: str
    subject_label: str
    excerpt_label: str
    first_response_note: str  # {due} {hours}
    final_response_note: str  # {due}: the final response's due time, where a regulatory clock runs one
    #: "{n} hours" per CLDR plural category ("one", "few", "many", "other"), in the case
    #: `first_response_note` needs; `other` is used for a category not given.
    first_response_hours: Mapping[str, str]
    signature_label: str
    #: how the complainant signed ("electronic", "handwritten", "oral", "email"; "unconfirmed":
    #: electronically, without the declaration) -> the sentence saying so, {name} their name
    signatures: Mapping[str, str]
    officer_label: str
    officer_signature_label: str
    stamp_word: str
    duplicate: str  # {n}
    fingerprint_label: str
    verify_label: str
    tracking_label: str  # above the tracking address, on the complainant's copy
    access_code_label: str
    access_code_note: str  # how to use the code, and to keep it private

    def received_line(self, channel: str, *, clerk: str = "", sender: str = "") -> str:
        """How the complaint came in and who took it in: "By e-mail from ana@example.md;
        registered by Irina Popescu". Names do not break across lines."""
        line = self.received.get(channel, channel)
        if sender:
            line = self.received_from.format(channel=line, sender=sender)
        if clerk:
            who = self.received_by.get(channel, self.received_by["other"])
            line = f"{line}; {who.format(clerk=_unbroken(clerk))}"
        return line

    def signature_line(self, signature: str, name: str, *, declaration: bool) -> str:
        """How the complainant signed, in a sentence naming them: signed electronically with
        the declaration, by hand on paper, or not signed (by phone, by e-mail)."""
        if signature == "electronic" and not declaration:
            signature = "unconfirmed"
        return self.signatures.get(signature, self.signatures["electronic"]).format(name=_unbroken(name))


def _unbroken(name: str) -> str:
    return name.strip().replace(" ", NBSP)


class Layout(HouseStyle, frozen=True):
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
    received_lines: int  # how it was received and by whom
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
