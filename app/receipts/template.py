"""Loads the receipt's wording, organisation data and layout from `pdf_templates/`.

Everything a reader might want to reword or restyle lives in JSON next to the
vendored fonts, not in Python: `organisation.json`, `receipt/<language>.json` and
`receipt/layout.json`. The files never change while the process runs, so each
(directory, language) pair is parsed once and cached.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

SUPPORTED_LANGUAGES = ("en", "ru", "ro", "uk")
FALLBACK_LANGUAGE = "en"

Color = tuple[float, float, float]


@dataclass(frozen=True)
class Organisation:
    """The organisation printed in the receipt header and on its round stamp."""

    name: str
    address: str
    phone: str
    email: str
    website: str
    stamp_ring_text: str  # written along the stamp's ring, e.g. "DEMO BETTING SRL • CHIȘINĂU •"


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
    first_response_note: str  # {due}
    signature_label: str
    signature_confirmed: str  # {name}
    signature_unconfirmed: str  # {name}
    officer_label: str
    officer_signature_label: str
    stamp_word: str
    duplicate: str  # {n}
    fingerprint_label: str
    verify_label: str


@dataclass(frozen=True)
class Layout:
    """Geometry (PDF points), font sizes, line limits and colours of the receipt."""

    margin_x: float
    margin_y: float
    cut_gap: float  # space between the cut line and each copy's content
    org_name_size: float
    header_size: float
    copy_label_size: float
    title_size: float
    number_label_size: float
    number_size: float
    label_size: float
    value_size: float
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
    stamp_radius: float
    stamp_rotation: float  # degrees, counter-clockwise
    stamp_ring_size: float
    address_lines: int
    subject_lines: int
    excerpt_lines: int
    signature_lines: int
    verify_url_lines: int
    text_color: Color
    label_color: Color
    rule_color: Color
    stamp_ink: Color
    duplicate_ink: Color
    watermark_ink: Color


@dataclass(frozen=True)
class ReceiptTemplate:
    """Everything constant about a receipt in one language: what `render_receipt` needs
    besides the record's own values."""

    language: str
    organisation: Organisation
    wording: Wording
    layout: Layout
    font_regular: Path
    font_bold: Path


def normalise_language(language: str) -> str:
    """Map a language tag ("ro", "ro-MD", "RU_ru") to a supported code, else English."""
    primary = language.strip().lower().replace("_", "-").split("-")[0]
    return primary if primary in SUPPORTED_LANGUAGES else FALLBACK_LANGUAGE


def load_receipt_template(templates_dir: Path, language: str) -> ReceiptTemplate:
    """Return the (cached) receipt template for `language`, English when unsupported."""
    return _load(Path(templates_dir), normalise_language(language))


@cache
def _load(templates_dir: Path, language: str) -> ReceiptTemplate:
    """Parse and validate the JSON files; unknown or missing keys raise at load time."""
    layout_data = _read_json(templates_dir / "receipt" / "layout.json")
    fonts = layout_data.pop("fonts")
    font_regular = templates_dir / fonts["regular"]
    font_bold = templates_dir / fonts["bold"]
    for font in (font_regular, font_bold):
        if not font.is_file():
            raise FileNotFoundError(f"receipt font not found: {font}")
    return ReceiptTemplate(
        language=language,
        organisation=Organisation(**_read_json(templates_dir / "organisation.json")),
        wording=_wording(_read_json(templates_dir / "receipt" / f"{language}.json")),
        layout=_layout(layout_data),
        font_regular=font_regular,
        font_bold=font_bold,
    )


def _wording(data: dict[str, Any]) -> Wording:
    """Build a Wording; the channel names become a read-only mapping."""
    return Wording(**{**data, "channels": MappingProxyType(dict(data["channels"]))})


def _layout(data: dict[str, Any]) -> Layout:
    """Build a Layout, turning JSON colour lists into tuples so it stays immutable."""
    values = {
        f.name: tuple(data[f.name]) if isinstance(data[f.name], list) else data[f.name]
        for f in fields(Layout)
    }
    unknown = set(data) - set(values)
    if unknown:
        raise ValueError(f"unknown layout keys: {sorted(unknown)}")
    return Layout(**values)


def _read_json(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)
