"""Printed documents' templates: the organisation, fonts and per-language wording and layout
read from `pdf_templates/`, shared by every document the registry issues (receipt, outgoing
letter, monthly report, the journal book).

Everything a reader might want to reword or restyle lives in JSON next to the vendored fonts,
not in Python: `organisation.json`, `<document>/<language>.json` and `<document>/layout.json`.
The files never change while the process runs, so each (directory, document, language) is
parsed once and cached.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from msgspec import Struct
from msgspec.structs import fields

from ..languages import normalise_language

Color = tuple[float, float, float]
#: A no-break space: keeps a name on one line when wrapping; printed as a plain space. Here, not
#: in drawing.py, so that the templates' wording needs no reportlab.
NBSP = "\u00a0"
T = TypeVar("T")
WordingT = TypeVar("WordingT")
LayoutT = TypeVar("LayoutT")


class Organisation(Struct, frozen=True):
    """The organisation printed in the receipt header and on its round stamp."""

    name: str
    address: str
    phone: str
    email: str
    website: str
    stamp_ring_text: str  # written along the stamp's ring, e.g. "DEMO BETTING SRL • CHIȘINĂU •"


class HouseStyle(Struct, frozen=True):
    """The sizes and colours every document's layout has, read by the shared drawing pieces
    (letterhead, number block, stamp); each document's layout adds its own."""

    org_name_size: float
    header_size: float
    number_label_size: float
    number_size: float
    label_size: float
    value_size: float
    stamp_radius: float
    stamp_rotation: float  # degrees, counter-clockwise
    stamp_ring_size: float
    text_color: Color
    label_color: Color
    rule_color: Color
    stamp_ink: Color


class DocumentTemplate(Struct, Generic[WordingT, LayoutT], frozen=True):
    """Everything constant about a printed document (receipt, letter) in one language: what
    its renderer needs besides the record's own values."""

    language: str
    organisation: Organisation
    wording: WordingT
    layout: LayoutT
    font_regular: Path
    font_bold: Path


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
    """Build the frozen Struct `cls` from JSON: lists become tuples (colours), objects
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


def load_organisation(templates_dir: Path) -> Organisation:
    """The organisation as `pdf_templates/organisation.json` describes it (the defaults the
    administrators' settings start from)."""
    return Organisation(**_read_json(Path(templates_dir) / "organisation.json"))


def house_fonts(templates_dir: Path) -> tuple[Path, Path]:
    """The regular and bold font files of the house style: the receipt's, which every other
    document of the registry prints with too."""
    return _font_paths(Path(templates_dir), _read_json(Path(templates_dir) / "receipt" / "layout.json")["fonts"])
