"""Draws a regulator return on one A4 page in the house style: the letterhead, the return's
title and period, a band saying whether it is provisional or final, the figures as a table, and
how they are counted.

`render_return_pdf` is a pure function of a `ReturnDocument` (already in its language), the
organisation and the fonts (the monthly report's: DejaVu, with the fallbacks of
app/documents, so Cyrillic and Romanian letters render): no Flask, database or clock.
"""

from __future__ import annotations

import io
from pathlib import Path

from msgspec import Struct

from ..documents.template import HouseStyle, Organisation
from .returns import ReturnDocument

MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 50.0, 40.0, 46.0
ROW_HEIGHT = 17.0
VALUE_WIDTH = 120.0

STYLE = HouseStyle(
    org_name_size=13, header_size=8, number_label_size=7.5, number_size=15, label_size=7.5, value_size=9.5,
    stamp_radius=49, stamp_rotation=8, stamp_ring_size=7.2, text_color=(0.09, 0.10, 0.13),
    label_color=(0.40, 0.42, 0.46), rule_color=(0.20, 0.22, 0.26), stamp_ink=(0.22, 0.33, 0.72),
)
BAND = (0.95, 0.96, 0.97)


class ReturnLabels(Struct, frozen=True):
    """The letterhead's contact labels and the other fixed words, in the return's language."""

    phone_label: str
    email_label: str
    website_label: str
    period_label: str  # "Period"
    as_of_label: str  # "Figures as of"
    notes_heading: str


def render_return_pdf(document: ReturnDocument, organisation: Organisation, labels: ReturnLabels,
                      fonts_paths: tuple[Path, Path]) -> bytes:
    """The PDF bytes of the return (the same input, the same bytes)."""
    # reportlab and the fonts load with the first return drawn, not when a worker starts.
    from reportlab.lib.pagesizes import A4

    from ..documents.drawing import Fonts, document_canvas, draw_letterhead, draw_note_band, fit, wrap

    page_width, page_height = A4
    fonts = Fonts.register(*fonts_paths)
    buffer = io.BytesIO()
    canvas = document_canvas(buffer, language=document.language, title=document.title,
                             organisation=organisation, subject=f"{document.title} — {document.period}")
    left, right = MARGIN_X, page_width - MARGIN_X
    width = right - left
    y = draw_letterhead(canvas, left, right, page_height - MARGIN_TOP, width, organisation, labels, STYLE, fonts)

    def text(x: float, baseline: float, value: str, *, bold: bool = False, size: float = 9.0,
             color: tuple[float, float, float] = STYLE.text_color, align: str = "left") -> None:
        canvas.setFont(fonts.bold if bold else fonts.regular, size)
        canvas.setFillColorRGB(*color)
        (canvas.drawRightString if align == "right" else canvas.drawString)(x, baseline, value)

    y -= 30
    for line in wrap(document.title, fonts.bold, 15, width, 2):
        text(left, y, line, bold=True, size=15)
        y -= 19
    text(left, y, fit(f"{labels.period_label}: {document.period}", fonts.regular, 9.5, width), size=9.5)
    y -= 14
    text(left, y, fit(f"{labels.as_of_label}: {document.as_of}", fonts.regular, 8.5, width), size=8.5,
         color=STYLE.label_color)
    y -= 14
    status = wrap(document.status, fonts.bold, 10, width - 16, 2)
    band_height = len(status) * 14 + 8
    draw_note_band(canvas, left, right, y, band_height, STYLE)
    for index, line in enumerate(status):
        text(left + 9, y - 15 - index * 14, line, bold=True, size=10,
             color=(0.62, 0.12, 0.10) if document.provisional else STYLE.text_color)
    y -= band_height + 18

    label_width = width - VALUE_WIDTH
    canvas.setStrokeColorRGB(*STYLE.rule_color)
    canvas.setLineWidth(0.8)
    text(left + 4, y - 12, document.heading_figure, bold=True)
    text(right - 4, y - 12, document.heading_value, bold=True, align="right")
    y -= ROW_HEIGHT
    canvas.line(left, y, right, y)
    for index, line in enumerate(document.lines):
        if index % 2:
            canvas.setFillColorRGB(*BAND)
            canvas.rect(left, y - ROW_HEIGHT, width, ROW_HEIGHT, stroke=0, fill=1)
        text(left + 4, y - 12, fit(line.label, fonts.regular, 9, label_width - 8))
        value = f"{line.value:,}".replace(",", "\u202f") if isinstance(line.value, int) else line.value
        text(right - 4, y - 12, value, bold=True, align="right")
        y -= ROW_HEIGHT
    canvas.setLineWidth(0.4)
    canvas.line(left, y, right, y)

    y -= 26
    text(left, y, labels.notes_heading, bold=True, size=10)
    y -= 6
    for note in document.notes:
        lines = wrap(note, fonts.regular, 8.5, width - 12)
        y -= 12
        text(left + 2, y, "•", size=8.5, color=STYLE.label_color)
        for line in lines:
            text(left + 12, y, line, size=8.5)
            y -= 12
        y = max(y, MARGIN_BOTTOM)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
