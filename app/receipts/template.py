"""Loads the receipt's wording, organisation data and layout from `pdf_templates/`.

Everything a reader might want to reword or restyle lives in JSON next to the
vendored fonts, not in Python: `organisation.json`, `receipt/<language>.json` and
`receipt/layout.json`. The files never change while the process runs, so each
(directory, language) pair is parsed once and cached. The outgoing letter
(app/letters/template.py) is loaded the same way from `letter/`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Generic, TypeVar

SUPPORTED_LANGUAGES = ("en", "ru", "ro", "uk")
FALLBACK_LANGUAGE = "en"

Color = tuple[float, float, float]
T = TypeVar("T")
WordingT = TypeVar("WordingT")
LayoutT = TypeVar("LayoutT")


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
class DocumentTemplate(Generic[WordingT, LayoutT]):
    """Everything constant about a printed document (receipt, letter) in one language: what
    its renderer needs besides the record's own values."""

    language: str
    organisation: Organisation
    wording: WordingT
    layout: LayoutT
    font_regular: Path
    font_bold: Path


ReceiptTemplate = DocumentTemplate[Wording, Layout]


def normalise_language(language: str) -> str:
    """Map a language tag ("ro", "ro-MD", "RU_ru") to a supported code, else English."""
    primary = language.strip().lower().replace("_", "-").split("-")[0]
    return primary if primary in SUPPORTED_LANGUAGES else FALLBACK_LANGUAGE


def load_receipt_template(templates_dir: Path, language: str) -> ReceiptTemplate:
    """Return the (cached) receipt template for `language`, English when unsupported."""
    return load_document_template(templates_dir, "receipt", language, Wording, Layout)


# --- loaders shared with the other printed documents (app/letters) -----------------------


def load_document_template(
    templates_dir: Path, folder: str, language: str, wording: type[WordingT], layout: type[LayoutT]
) -> DocumentTemplate[WordingT, LayoutT]:
    """The (cached) template of the document whose files are in `templates_dir / folder`:
    `<language>.json` read as `wording`, `layout.json` as `layout` (English when the
    language is unsupported), with the shared `organisation.json`."""
    return _load(Path(templates_dir), folder, normalise_language(language), wording, layout)


@cache
def _load(
    templates_dir: Path, folder: str, language: str, wording: type[WordingT], layout: type[LayoutT]
) -> DocumentTemplate[WordingT, LayoutT]:
    """Parse and validate the JSON files; unknown or missing keys raise at load time."""
    layout_data = _read_json(templates_dir / folder / "layout.json")
    font_regular, font_bold = _font_paths(templates_dir, layout_data.pop("fonts"))
    return DocumentTemplate(
        language=language,
        organisation=Organisation(**_read_json(templates_dir / "organisation.json")),
        wording=_frozen_from_json(wording, _read_json(templates_dir / folder / f"{language}.json")),
        layout=_frozen_from_json(layout, layout_data),
        font_regular=font_regular,
        font_bold=font_bold,
    )


def _font_paths(templates_dir: Path, fonts: Mapping[str, str]) -> tuple[Path, Path]:
    """The regular and bold font files named by a layout's "fonts"; raises when one is missing."""
    paths = (templates_dir / fonts["regular"], templates_dir / fonts["bold"])
    for font in paths:
        if not font.is_file():
            raise FileNotFoundError(f"font not found: {font}")
    return paths


def _frozen_from_json(cls: type[T], data: Mapping[str, Any]) -> T:
    """Build the frozen dataclass `cls` from JSON: lists become tuples (colours), objects
    read-only mappings (channel names), and unknown or missing keys raise."""
    names = {f.name for f in fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise ValueError(f"unknown keys for {cls.__name__}: {sorted(unknown)}")
    missing = names - set(data)
    if missing:
        raise ValueError(f"missing keys for {cls.__name__}: {sorted(missing)}")
    return cls(**{name: _frozen(data[name]) for name in names})


def _frozen(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, dict):
        return MappingProxyType(dict(value))
    return value


def _read_json(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)
