"""The monthly report's wording and layout, read from `pdf_templates/report/`.

Loaded like the receipt and the letter (app/receipts/template.py): `organisation.json`,
`report/<language>.json` and `report/layout.json`, parsed once per (directory, language)
and cached.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from msgspec import Struct

from ..documents.template import Color, DocumentTemplate, HouseStyle, load_document_template


class ReportWording(Struct, frozen=True):
    """All report text for one language; `{placeholders}` are filled by the renderer."""

    document_title: str  # {period}
    title: str  # {period}: "Monthly complaints report — November 2026"
    period_line: str  # {first} {last} {as_of}
    phone_label: str
    email_label: str
    website_label: str
    headline_heading: str
    cards: Mapping[str, str]  # headline figure code -> its label
    details: Mapping[str, str]  # the small line under a headline figure, with placeholders
    no_data: str
    no_complaints: str  # said once under the title of an empty month
    empty_table: str
    charts_heading: str
    charts: Mapping[str, str]  # chart code -> title
    tables_heading: str
    tables: Mapping[str, str]  # table code -> title
    columns: Mapping[str, str]  # column code -> heading
    terms: Mapping[str, str]  # row label code -> text, with placeholders
    continued: str  # {title}
    percent: str  # {value}
    hours: str  # {value}
    definitions_heading: str
    definitions: tuple[str, ...]
    on_behalf: str  # {organisation}
    signature_label: str
    stamp_word: str
    page_label: str  # {page} {pages}
    generated: str  # {date}


class ReportLayout(HouseStyle, frozen=True):
    """Geometry (PDF points), font sizes and colours of the report. The names it shares
    with the receipt's and letter's layouts are what the shared drawing pieces read."""

    margin_x: float
    margin_top: float
    margin_bottom: float  # the page footer sits below it
    running_header_size: float
    title_size: float
    heading_size: float
    text_size: float
    small_size: float
    footer_size: float
    card_columns: int
    card_height: float
    card_value_size: float
    table_size: float
    table_padding: float
    header_lines: int  # a column heading wraps to at most this many lines
    label_lines: int  # a row label wraps to at most this many lines
    number_column_width: float
    chart_bar_height: float
    chart_bar_gap: float
    chart_label_width: float
    chart_max_bars: int
    column_chart_height: float
    bar_color: Color
    band_color: Color  # every other table row, and the card background
    grid_color: Color


ReportTemplate = DocumentTemplate[ReportWording, ReportLayout]


def load_report_template(templates_dir: Path, language: str) -> ReportTemplate:
    """Return the (cached) report template for `language`, English when unsupported."""
    return load_document_template(templates_dir, "report", language, ReportWording, ReportLayout)
