"""Draws the printable registry journal: the bound book, A4 landscape.

`render_journal` is a pure function of a `JournalDocument` (plain strings: headings, lines,
wording) and the fonts to embed: no Flask, database or clock, and the same input gives the
same bytes. Each page repeats the organisation, the title, the filter line and the table's
heading row, and ends with "page n of m". Every cell is wrapped to its column and shortened
with "…" past its line limit, so long input never spills into the next cell or row. The
last column is left empty and wide, for the signature of the person who takes the document.
"""

from __future__ import annotations

import io
from pathlib import Path

from msgspec import Struct
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfgen.canvas import Canvas

from ..documents.drawing import (
    BREAKABLE_SPACE,
    DocumentCanvas,
    font_runs,
    register_font,
    text_width,
    wrap_paragraphs,
)

PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 28.0, 26.0, 30.0
ORG_SIZE, TITLE_SIZE, SUBTITLE_SIZE = 10.0, 13.0, 7.5
HEAD_SIZE, BODY_SIZE, FOOTER_SIZE = 7.5, 7.5, 7.5
LEADING = 9.0  # body and heading lines
PAD_X, PAD_Y = 3.0, 3.5  # inside each cell
MIN_ROW_HEIGHT = 24.0  # room for a handwritten signature
SUBTITLE_LINES = 2
#: A cell's text is taken as one line without wrapping only when it is at least this much
#: narrower than its room, so that rounding in the sums of word widths that `wrap` adds
#: up can never decide a line differently.
FIT_MARGIN = 1e-6

INK = (0.1, 0.12, 0.15)
MUTED = (0.36, 0.38, 0.44)
RULE = (0.55, 0.58, 0.63)
HEAD_FILL = (0.92, 0.94, 0.97)
SHADE_FILL = (0.94, 0.94, 0.94)


class Column(Struct, frozen=True):
    heading: str
    weight: float  # share of the table's width
    max_lines: int = 3


class Line(Struct, frozen=True):
    """One journal line: a cell per column (the signature column's cell is usually empty)."""

    cells: tuple[str, ...]
    shaded: bool = False  # e.g. an annulled record: it keeps its number and its line


class JournalDocument(Struct, frozen=True):
    """Everything printed, as plain text."""

    language: str
    organisation: str
    title: str
    subtitle: str  # what the journal was filtered to, and when it was printed
    columns: tuple[Column, ...]
    lines: tuple[Line, ...]
    page_label: str  # e.g. "Page {page} of {pages}"
    empty_note: str  # printed when there are no lines


class JournalFonts(Struct, frozen=True):
    regular: Path
    bold: Path


Color = tuple[float, float, float]


class _Row(Struct, frozen=True):
    cells: tuple[tuple[str, ...], ...]
    height: float
    fill: Color | None


def render_journal(document: JournalDocument, fonts: JournalFonts) -> bytes:
    """Return the PDF bytes of the journal."""
    regular, bold = register_font(fonts.regular), register_font(fonts.bold)
    table_width = PAGE_WIDTH - 2 * MARGIN_X
    total = sum(c.weight for c in document.columns)
    widths = [table_width * c.weight / total for c in document.columns]

    heading = _layout_row(
        [c.heading for c in document.columns], widths, bold, HEAD_SIZE, [3] * len(widths), HEAD_FILL
    )
    subtitle = wrap_paragraphs(document.subtitle, regular, SUBTITLE_SIZE, table_width, SUBTITLE_LINES)
    table_top = PAGE_HEIGHT - MARGIN_TOP - ORG_SIZE - 4 - TITLE_SIZE - 6 - len(subtitle) * (SUBTITLE_SIZE + 2) - 4
    room = table_top - heading.height - (MARGIN_BOTTOM + 6)
    body_limits = [c.max_lines for c in document.columns]
    cell_lines: dict[tuple[str, float, int], tuple[str, ...]] = {}  # statuses, categories: wrapped once
    body = [
        _layout_row(line.cells, widths, regular, BODY_SIZE, body_limits, SHADE_FILL if line.shaded else None,
                    cell_lines)
        for line in document.lines
    ]
    pages = _paginate(body, room)

    buffer = io.BytesIO()
    canvas = DocumentCanvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=1, lang=document.language)
    canvas.setTitle(document.title)
    canvas.setAuthor(document.organisation)
    canvas.setCreator(document.organisation)
    canvas.setSubject(document.subtitle)
    for number, rows in enumerate(pages, start=1):
        _draw_page_header(canvas, document, subtitle, regular, bold)
        y = _draw_rows(canvas, [heading], widths, table_top, bold, HEAD_SIZE)
        y = _draw_rows(canvas, rows, widths, y, regular, BODY_SIZE)
        if not document.lines:
            canvas.setFont(regular, BODY_SIZE + 1)
            canvas.setFillColorRGB(*MUTED)
            canvas.drawString(MARGIN_X + PAD_X, y - 14, document.empty_note)
        _draw_column_rules(canvas, widths, table_top, y)
        canvas.setFont(regular, FOOTER_SIZE)
        canvas.setFillColorRGB(*MUTED)
        canvas.drawString(MARGIN_X, MARGIN_BOTTOM - 14, document.organisation)
        canvas.drawRightString(
            PAGE_WIDTH - MARGIN_X, MARGIN_BOTTOM - 14, document.page_label.format(page=number, pages=len(pages))
        )
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# --- layout ------------------------------------------------------------------------------


def _layout_row(
    cells: tuple[str, ...] | list[str], widths: list[float], font: str, size: float, max_lines: list[int],
    fill: Color | None, known: dict[tuple[str, float, int], tuple[str, ...]] | None = None,
) -> _Row:
    known = {} if known is None else known
    wrapped = []
    for text, width, limit in zip(cells, widths, max_lines, strict=True):
        key = (text, width, limit)
        lines = known.get(key)
        if lines is None:
            lines = _cell_lines(text, font, size, width - 2 * PAD_X, limit)
            if len(known) < 1000:
                known[key] = lines
        wrapped.append(lines)
    tallest = max((len(lines) for lines in wrapped), default=1)
    return _Row(tuple(wrapped), max(MIN_ROW_HEIGHT, tallest * LEADING + 2 * PAD_Y), fill)


def _cell_lines(text: str, font: str, size: float, room: float, limit: int) -> tuple[str, ...]:
    """`wrap_paragraphs` of a cell. Most cells are a line or two that fit their column as
    they are (a number, a moment, a name over its e-mail address): each such line is measured
    once and kept, and only a line that is too wide, or has spaces `wrap` would tidy, is wrapped."""
    paragraphs = text.split("\n")
    if len(paragraphs) <= limit and all(_fits_as_is(line, font, size, room) for line in paragraphs):
        return tuple(paragraphs)
    return tuple(wrap_paragraphs(text, font, size, room, limit))


def _fits_as_is(line: str, font: str, size: float, room: float) -> bool:
    """Whether `wrap` would return `line` unchanged as its one line."""
    return line == " ".join(BREAKABLE_SPACE.split(line.strip())) and text_width(line, font, size) < room - FIT_MARGIN


def _paginate(rows: list[_Row], room: float) -> list[list[_Row]]:
    """Cut the rows into pages of at most `room` points; always at least one page."""
    pages: list[list[_Row]] = [[]]
    used = 0.0
    for row in rows:
        if pages[-1] and used + row.height > room:
            pages.append([])
            used = 0.0
        pages[-1].append(row)
        used += row.height
    return pages


# --- drawing -----------------------------------------------------------------------------


def _draw_page_header(
    canvas: Canvas, document: JournalDocument, subtitle: list[str], regular: str, bold: str
) -> None:
    y = PAGE_HEIGHT - MARGIN_TOP - ORG_SIZE
    canvas.setFillColorRGB(*INK)
    canvas.setFont(bold, ORG_SIZE)
    canvas.drawString(MARGIN_X, y, document.organisation)
    y -= TITLE_SIZE + 4
    canvas.setFont(bold, TITLE_SIZE)
    canvas.drawString(MARGIN_X, y, document.title)
    canvas.setFillColorRGB(*MUTED)
    canvas.setFont(regular, SUBTITLE_SIZE)
    y -= 6
    for line in subtitle:
        y -= SUBTITLE_SIZE + 2
        canvas.drawString(MARGIN_X, y, line)


def _draw_rows(canvas: Canvas, rows: list[_Row], widths: list[float], top: float, font: str, size: float) -> float:
    """Draw `rows` one below the other from `top`; return the y of the last one's bottom edge.

    The rows' text is one PDF text object, drawn after their fills and rules (a cell's text
    keeps PAD_X and PAD_Y off them, so nothing overlaps): each cell starts at its own origin
    and its lines follow `LEADING` apart. A line with characters `font` lacks is drawn by the
    canvas on its own, in its fallback fonts (DocumentCanvas). Each row's fill is drawn after
    the rule above it, as before, so a shaded row covers the same half of that rule.
    """
    right = MARGIN_X + sum(widths)
    canvas.setFont(font, size)
    canvas.setFillColorRGB(*INK)
    canvas.setStrokeColorRGB(*RULE)
    canvas.setLineWidth(0.5)
    text = canvas.beginText()
    text.setFont(font, size, LEADING)
    for row in rows:
        bottom = top - row.height
        if row.fill is not None:
            canvas.setFillColorRGB(*row.fill)
            canvas.rect(MARGIN_X, bottom, right - MARGIN_X, row.height, stroke=0, fill=1)
            canvas.setFillColorRGB(*INK)
        x = MARGIN_X
        for lines, width in zip(row.cells, widths, strict=True):
            baseline = top - PAD_Y - size
            if any(lines):
                text.setTextOrigin(x + PAD_X, baseline)
                for line in lines:
                    if line and not _plain(line, font):
                        canvas.drawString(x + PAD_X, baseline, line)
                        line = ""
                    text.textLine(line)
                    baseline -= LEADING
            x += width
        canvas.line(MARGIN_X, bottom, right, bottom)
        top = bottom
    canvas.drawText(text)
    return top


def _plain(line: str, font: str) -> bool:
    """Whether `font` has every character of `line` (no fallback font needed)."""
    runs = font_runs(line, font)
    return len(runs) == 1 and runs[0] == (font, line)


def _draw_column_rules(canvas: Canvas, widths: list[float], top: float, bottom: float) -> None:
    """The table's frame and the lines between its columns, from the heading to the last row."""
    canvas.setStrokeColorRGB(*RULE)
    canvas.setLineWidth(0.5)
    x = MARGIN_X
    canvas.line(x, top, x + sum(widths), top)
    for width in [0.0, *widths]:
        x += width
        canvas.line(x, top, x, bottom)
