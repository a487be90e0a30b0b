"""Draws the two-copy stamped complaint receipt as one A4 PDF page.

`render_receipt` is a pure function of a `ReceiptContext` (the record's values) and a
`ReceiptTemplate` (wording, organisation, layout, fonts): no Flask, database or clock,
and the same input always gives the same bytes. Copy 1 (for the organisation) fills
the top half, copy 2 (for the complainant) the bottom half, split by a dashed cut line.
Every value is wrapped or shortened with "…" to its box, so long input never spills
into the other copy.

The two copies differ only in their "Copy n — for …" tab, so the copy is drawn once
as a PDF form XObject and placed twice: half the drawing work and half the file.
"""

from __future__ import annotations

import io
import math
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import segno
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from app.receipts.context import ReceiptContext
from app.receipts.template import Layout, ReceiptTemplate, Wording

PAGE_WIDTH, PAGE_HEIGHT = A4
ELLIPSIS = "…"
NBSP = "\u00a0"  # keeps a name on one line when wrapping; printed as a plain space
_BREAKABLE_SPACE = re.compile(r"[^\S\u00a0]+")  # any whitespace except NBSP
_DARK_RUN = re.compile(rb"\x01+")  # segno matrix rows: 0x1 dark, 0x0 light
_COPY_FORM = "ReceiptCopy"

_registered_fonts: dict[Path, str] = {}
_fonts_lock = threading.Lock()


def register_font(path: Path) -> str:
    """Register a TTF with reportlab once per process and return its font name.

    Parsing a TrueType file costs far more than drawing a whole receipt, so it is
    done on first use only; each PDF embeds just the subset of glyphs it uses.
    """
    key = path.resolve()
    with _fonts_lock:
        name = _registered_fonts.get(key)
        if name is None:
            name = f"Receipt-{key.stem}-{len(_registered_fonts)}"
            pdfmetrics.registerFont(TTFont(name, str(key)))
            _registered_fonts[key] = name
        return name


@dataclass(frozen=True)
class _Fonts:
    regular: str
    bold: str


@dataclass(frozen=True)
class _Box:
    """One copy's drawing area in page coordinates."""

    left: float
    right: float
    top: float
    bottom: float


def render_receipt(context: ReceiptContext, template: ReceiptTemplate) -> bytes:
    """Return the PDF bytes of the two-copy receipt for one registered complaint."""
    layout, wording = template.layout, template.wording
    fonts = _Fonts(register_font(template.font_regular), register_font(template.font_bold))
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1, lang=template.language)
    canvas.setTitle(wording.document_title.format(number=context.number))
    canvas.setAuthor(template.organisation.name)
    canvas.setCreator(template.organisation.name)
    canvas.setSubject(wording.title)

    middle = PAGE_HEIGHT / 2
    box = _Box(layout.margin_x, PAGE_WIDTH - layout.margin_x, PAGE_HEIGHT - layout.margin_y, middle + layout.cut_gap)
    tabs = (wording.copy_organisation, wording.copy_complainant)
    tab_width = max(_width(tab, fonts.bold, layout.copy_label_size) for tab in tabs) + 12

    canvas.beginForm(_COPY_FORM)
    _draw_copy(canvas, box, tab_width, context, template, fonts)
    canvas.endForm()
    copy_offsets = (0.0, box.bottom - layout.margin_y)  # copy 2 is copy 1 moved down
    for tab, offset in zip(tabs, copy_offsets, strict=True):
        canvas.saveState()
        canvas.translate(0, -offset)
        canvas.doForm(_COPY_FORM)
        _draw_copy_tab(canvas, box, tab, layout, fonts)
        canvas.restoreState()
    _draw_cut_line(canvas, middle, wording.cut_here, layout, fonts)

    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# --- one copy ---------------------------------------------------------------------------


def _draw_copy(
    canvas: Canvas,
    box: _Box,
    tab_width: float,
    context: ReceiptContext,
    template: ReceiptTemplate,
    fonts: _Fonts,
) -> None:
    """Draw everything both copies share inside `box` (all but the copy tab)."""
    layout, wording = template.layout, template.wording
    column_right = box.right - layout.right_column_width - layout.column_gap
    duplicate = wording.duplicate.format(n=context.duplicate_count) if context.duplicate_count > 0 else ""
    if duplicate:
        _draw_watermark(canvas, box, column_right, duplicate, layout, fonts)

    y = _draw_header(canvas, box, tab_width, template, fonts)
    _draw_verification(canvas, box.right - layout.right_column_width, box.right, y - 8, context, template, fonts)

    # Title, with the duplicate mark after it.
    y -= 8 + layout.title_size
    duplicate_width = _width(duplicate, fonts.bold, layout.value_size) + 20 if duplicate else 0
    title = _fit(wording.title, fonts.bold, layout.title_size, column_right - box.left - duplicate_width)
    canvas.setFillColorRGB(*layout.text_color)
    canvas.setFont(fonts.bold, layout.title_size)
    canvas.drawString(box.left, y, title)
    if duplicate:
        x = box.left + _width(title, fonts.bold, layout.title_size) + 10
        _draw_duplicate_label(canvas, x, y, duplicate, layout, fonts)

    y = _draw_number_block(canvas, box.left, column_right, y - 10, context, wording, layout, fonts)
    _draw_fields(canvas, box.left, column_right, y - 12, context, wording, layout, fonts)
    _draw_footer(canvas, box, column_right, context, wording, layout, fonts)
    _draw_stamp(
        canvas,
        box.right - layout.stamp_radius - 4,
        box.bottom + layout.stamp_radius + 6,
        context,
        template,
        fonts,
    )


def _draw_copy_tab(canvas: Canvas, box: _Box, text: str, layout: Layout, fonts: _Fonts) -> None:
    """The "Copy n — for …" label in a light pill at the copy's top right corner."""
    width = _width(text, fonts.bold, layout.copy_label_size) + 12
    height = layout.copy_label_size + 6
    canvas.setFillColorRGB(0.92, 0.93, 0.95)
    canvas.roundRect(box.right - width, box.top - height, width, height, 3, stroke=0, fill=1)
    canvas.setFillColorRGB(*layout.rule_color)
    canvas.setFont(fonts.bold, layout.copy_label_size)
    canvas.drawRightString(box.right - 6, box.top - height + 3.6, text)


def _draw_header(canvas: Canvas, box: _Box, tab_width: float, template: ReceiptTemplate, fonts: _Fonts) -> float:
    """Organisation name, address and contacts over a double rule; returns the rule's y."""
    layout, wording, organisation = template.layout, template.wording, template.organisation
    width = box.right - box.left

    y = box.top - layout.org_name_size
    canvas.setFillColorRGB(*layout.text_color)
    canvas.setFont(fonts.bold, layout.org_name_size)
    canvas.drawString(box.left, y, _fit(organisation.name, fonts.bold, layout.org_name_size, width - tab_width - 12))

    contacts = "   ·   ".join(
        f"{label} {value}"
        for label, value in (
            (wording.phone_label, organisation.phone),
            (wording.email_label, organisation.email),
            (wording.website_label, organisation.website),
        )
        if value
    )
    canvas.setFillColorRGB(*layout.label_color)
    canvas.setFont(fonts.regular, layout.header_size)
    for line in (organisation.address, contacts):
        y -= layout.header_size + 3
        canvas.drawString(box.left, y, _fit(line, fonts.regular, layout.header_size, width))

    y -= 6
    canvas.setStrokeColorRGB(*layout.rule_color)
    canvas.setLineWidth(1.2)
    canvas.line(box.left, y, box.right, y)
    canvas.setLineWidth(0.4)
    canvas.line(box.left, y - 2, box.right, y - 2)
    return y - 2


def _draw_number_block(
    canvas: Canvas,
    left: float,
    right: float,
    top: float,
    context: ReceiptContext,
    wording: Wording,
    layout: Layout,
    fonts: _Fonts,
) -> float:
    """The incoming number in a framed box, the registration time beside it; returns the box bottom."""
    padding = 7
    number_size = _fit_size(context.number, fonts.bold, layout.number_size, (right - left) * 0.6)
    label = _fit(wording.number_label, fonts.regular, layout.number_label_size, (right - left) * 0.6)
    inner_width = max(
        _width(context.number, fonts.bold, number_size),
        _width(label, fonts.regular, layout.number_label_size),
    )
    height = layout.number_label_size + number_size + 2.2 * padding
    bottom = top - height
    canvas.setStrokeColorRGB(*layout.rule_color)
    canvas.setLineWidth(1)
    canvas.roundRect(left, bottom, inner_width + 2 * padding, height, 3, stroke=1, fill=0)

    canvas.setFillColorRGB(*layout.label_color)
    canvas.setFont(fonts.regular, layout.number_label_size)
    canvas.drawString(left + padding, top - padding - layout.number_label_size * 0.8, label)
    canvas.setFillColorRGB(*layout.text_color)
    canvas.setFont(fonts.bold, number_size)
    canvas.drawString(left + padding, bottom + padding + 1, context.number)

    x = left + inner_width + 2 * padding + 14
    canvas.setFillColorRGB(*layout.label_color)
    canvas.setFont(fonts.regular, layout.label_size)
    registered_label = _fit(wording.registered_at_label, fonts.regular, layout.label_size, right - x)
    canvas.drawString(x, top - padding - layout.label_size * 0.8, registered_label)
    canvas.setFillColorRGB(*layout.text_color)
    size = layout.value_size + 2
    canvas.setFont(fonts.bold, size)
    canvas.drawString(x, bottom + padding + 1, _fit(context.registered_at, fonts.bold, size, right - x))
    return bottom


def _draw_fields(
    canvas: Canvas,
    left: float,
    right: float,
    top: float,
    context: ReceiptContext,
    wording: Wording,
    layout: Layout,
    fonts: _Fonts,
) -> None:
    """Label/value rows, the first-response note and the complainant's signature."""
    rows = (
        (wording.channel_label, context.channel, 1, fonts.regular),
        (wording.complainant_label, context.complainant_name, 1, fonts.bold),
        (wording.contact_label, context.complainant_contact, 1, fonts.regular),
        (wording.postal_address_label, context.postal_address, layout.address_lines, fonts.regular),
        (wording.category_label, context.category, 1, fonts.regular),
        (wording.subject_label, context.subject, layout.subject_lines, fonts.bold),
        (wording.excerpt_label, context.excerpt, layout.excerpt_lines, fonts.regular),
    )
    labels = (*(row[0] for row in rows), wording.signature_label)
    label_width = min(layout.label_column_max, max(_width(label, fonts.regular, layout.label_size) for label in labels) + 10)
    value_left = left + label_width
    value_width = right - value_left
    y = top - layout.value_size
    for label, value, max_lines, font in rows:
        if not value.strip():
            continue
        _draw_label(canvas, left, y, label, label_width - 8, layout, fonts)
        y = _draw_lines(canvas, value_left, y, _wrap(value, font, layout.value_size, value_width, max_lines), font, layout)

    note = wording.first_response_note.format(due=context.first_response_due)
    note_lines = _wrap(note, fonts.bold, layout.value_size, right - left - 14, 2)
    band_top = y + layout.leading - 1.5
    band_height = len(note_lines) * layout.leading + 3.5
    canvas.setFillColorRGB(0.93, 0.94, 0.96)
    canvas.rect(left, band_top - band_height, right - left, band_height, stroke=0, fill=1)
    canvas.setFillColorRGB(*layout.rule_color)
    canvas.rect(left, band_top - band_height, 2.2, band_height, stroke=0, fill=1)
    y = _draw_lines(canvas, left + 9, y - 1, note_lines, fonts.bold, layout) - 6

    sentence = wording.signature_confirmed if context.declaration_confirmed else wording.signature_unconfirmed
    signature = sentence.format(name=context.signature_name.strip().replace(" ", NBSP))
    signature_lines = _wrap(signature, fonts.regular, layout.value_size, value_width, layout.signature_lines)
    _draw_label(canvas, left, y, wording.signature_label, label_width - 8, layout, fonts)
    _draw_lines(canvas, value_left, y, signature_lines, fonts.regular, layout)


def _draw_label(canvas: Canvas, x: float, y: float, label: str, width: float, layout: Layout, fonts: _Fonts) -> None:
    canvas.setFillColorRGB(*layout.label_color)
    canvas.setFont(fonts.regular, layout.label_size)
    canvas.drawString(x, y, _fit(label, fonts.regular, layout.label_size, width))


def _draw_lines(canvas: Canvas, x: float, y: float, lines: list[str], font: str, layout: Layout) -> float:
    """Draw value lines from baseline `y` down; return the next row's baseline."""
    canvas.setFillColorRGB(*layout.text_color)
    canvas.setFont(font, layout.value_size)
    for line in lines:
        canvas.drawString(x, y, line)
        y -= layout.leading
    return y - layout.row_gap


def _draw_footer(
    canvas: Canvas,
    box: _Box,
    column_right: float,
    context: ReceiptContext,
    wording: Wording,
    layout: Layout,
    fonts: _Fonts,
) -> None:
    """The registering officer's name and signature lines and the record fingerprint."""
    size = layout.label_size
    y = box.bottom + 24
    canvas.setFillColorRGB(*layout.label_color)
    canvas.setStrokeColorRGB(*layout.label_color)
    canvas.setLineWidth(0.5)
    canvas.setFont(fonts.regular, size)
    canvas.drawString(box.left, y, wording.officer_label)
    name_start = box.left + _width(wording.officer_label, fonts.regular, size) + 6
    signature_width = _width(wording.officer_signature_label, fonts.regular, size)
    line_end = column_right + 30  # runs under the stamp, as on paper
    name_end = name_start + (line_end - name_start - signature_width - 12) * 0.55
    canvas.line(name_start, y - 1.5, name_end, y - 1.5)
    canvas.drawString(name_end + 6, y, wording.officer_signature_label)
    canvas.line(name_end + signature_width + 12, y - 1.5, line_end, y - 1.5)

    y = box.bottom + 2
    canvas.drawString(box.left, y, wording.fingerprint_label)
    x = box.left + _width(wording.fingerprint_label, fonts.regular, size) + 5
    canvas.setFillColorRGB(*layout.text_color)
    canvas.setFont(fonts.bold, layout.value_size)
    canvas.drawString(x, y, _fit(context.fingerprint, fonts.bold, layout.value_size, column_right - x))


def _draw_verification(
    canvas: Canvas,
    left: float,
    right: float,
    top: float,
    context: ReceiptContext,
    template: ReceiptTemplate,
    fonts: _Fonts,
) -> None:
    """QR code of the verify URL, right-aligned, with a caption and the URL beneath it."""
    layout = template.layout
    size = layout.qr_size
    _draw_qr(canvas, segno.make(context.verify_url, error="m", mask=layout.qr_mask).matrix, right - size, top - size, size)

    width = right - left
    y = top - size - layout.small_size - 4
    canvas.setFillColorRGB(*layout.label_color)
    canvas.setFont(fonts.regular, layout.small_size)
    canvas.drawRightString(right, y, _fit(template.wording.verify_label, fonts.regular, layout.small_size, width))
    canvas.setFillColorRGB(*layout.text_color)
    for line in _wrap(context.verify_url, fonts.regular, layout.small_size, width, layout.verify_url_lines):
        y -= layout.small_size + 2
        canvas.drawRightString(right, y, line)


def _draw_qr(canvas: Canvas, matrix: tuple[bytearray, ...], x: float, y: float, size: float) -> None:
    """Fill the QR matrix as one path, one rectangle per horizontal run of dark modules.

    The path is written in module units (small integers) under a scaling transform and
    handed to the canvas as raw operators: formatting a few hundred rectangles through
    reportlab's float formatter would cost more than the rest of the page.
    """
    count = len(matrix)
    operators = [
        f"{run.start()} {count - 1 - row_index} {run.end() - run.start()} 1 re"
        for row_index, row in enumerate(matrix)
        for run in _DARK_RUN.finditer(row)
    ]
    canvas.saveState()
    canvas.translate(x, y)
    canvas.scale(size / count, size / count)
    canvas.setFillColorRGB(0, 0, 0)
    canvas.addLiteral(" ".join(operators) + " f")
    canvas.restoreState()


def _draw_duplicate_label(canvas: Canvas, x: float, baseline: float, text: str, layout: Layout, fonts: _Fonts) -> None:
    """A red outlined "DUPLICATE n" tag sitting on the title's baseline."""
    size = layout.value_size
    width = _width(text, fonts.bold, size) + 10
    canvas.saveState()
    canvas.setStrokeColorRGB(*layout.duplicate_ink)
    canvas.setFillColorRGB(*layout.duplicate_ink)
    canvas.setLineWidth(1.2)
    canvas.roundRect(x, baseline - 3.5, width, size + 7, 2, stroke=1, fill=0)
    canvas.setFont(fonts.bold, size)
    canvas.drawString(x + 5, baseline, text)
    canvas.restoreState()


def _draw_watermark(canvas: Canvas, box: _Box, right: float, text: str, layout: Layout, fonts: _Fonts) -> None:
    """A light diagonal "DUPLICATE n" behind the copy's text column (up to `right`);
    drawn first so every value stays readable on top of it."""
    size = _fit_size(text, fonts.bold, 64, (right - box.left) * 0.85)
    canvas.saveState()
    canvas.translate((box.left + right) / 2, (box.top + box.bottom) / 2)
    canvas.rotate(22)
    canvas.setFillColorRGB(*layout.watermark_ink)
    canvas.setFont(fonts.bold, size)
    canvas.drawCentredString(0, -size * 0.35, text)
    canvas.restoreState()


def _draw_cut_line(canvas: Canvas, y: float, text: str, layout: Layout, fonts: _Fonts) -> None:
    """Dashed line across the page with scissors at the left and the cut text in the centre."""
    size = layout.small_size + 0.5
    left, right = layout.margin_x / 2, PAGE_WIDTH - layout.margin_x / 2
    centre = PAGE_WIDTH / 2
    half_gap = _width(text, fonts.regular, size) / 2 + 6
    canvas.saveState()
    canvas.setStrokeColorRGB(*layout.label_color)
    canvas.setLineWidth(0.6)
    canvas.setDash(4, 3)
    canvas.line(left + 16, y, centre - half_gap, y)
    canvas.line(centre + half_gap, y, right, y)
    canvas.setFillColorRGB(*layout.label_color)
    canvas.setFont(fonts.regular, 12)
    canvas.drawString(left, y - 4.2, "✂")
    canvas.setFont(fonts.regular, size)
    canvas.drawCentredString(centre, y - size * 0.35, text)
    canvas.restoreState()


# --- the round stamp --------------------------------------------------------------------


def _draw_stamp(
    canvas: Canvas,
    cx: float,
    cy: float,
    context: ReceiptContext,
    template: ReceiptTemplate,
    fonts: _Fonts,
) -> None:
    """The organisation's round rubber stamp: double ring, name around it, the
    registration word, number and date in the centre; blue ink, slightly turned."""
    layout = template.layout
    radius = layout.stamp_radius
    ring_inner = radius - 3
    centre_radius = ring_inner - layout.stamp_ring_size - 4.5

    canvas.saveState()
    canvas.translate(cx, cy)
    canvas.rotate(layout.stamp_rotation)
    canvas.setStrokeColorRGB(*layout.stamp_ink)
    canvas.setFillColorRGB(*layout.stamp_ink)
    canvas.setLineWidth(1.8)
    canvas.circle(0, 0, radius)
    canvas.setLineWidth(0.6)
    canvas.circle(0, 0, ring_inner)
    canvas.setLineWidth(1)
    canvas.circle(0, 0, centre_radius)

    ring_text = canvas.beginText()
    size, glyphs = _ring_glyphs(template.organisation.stamp_ring_text, fonts.bold, layout.stamp_ring_size, centre_radius + 2.2)
    ring_text.setFont(fonts.bold, size)
    for char, cos, sin, x, y in glyphs:
        ring_text.setTextTransform(cos, sin, -sin, cos, x, y)
        ring_text.textOut(char)
    canvas.drawText(ring_text)

    word_top = centre_radius * 0.6
    _draw_condensed(canvas, template.wording.stamp_word, fonts.bold, 7, _chord(centre_radius, word_top) - 5, word_top - 7 * 0.73)
    rule_y = centre_radius * 0.27
    canvas.setLineWidth(0.6)
    for y in (rule_y, -rule_y):
        half = _chord(centre_radius, y) / 2 - 3
        canvas.line(-half, y, half, y)
    _draw_condensed(canvas, context.number, fonts.bold, 9.5, _chord(centre_radius, rule_y) - 8, -9.5 * 0.36)
    date_bottom = -centre_radius * 0.62
    _draw_condensed(canvas, context.stamp_date, fonts.regular, 7, _chord(centre_radius, date_bottom) - 5, date_bottom)
    canvas.restoreState()


@lru_cache(maxsize=64)
def _ring_glyphs(
    text: str, font: str, size: float, baseline_radius: float
) -> tuple[float, tuple[tuple[str, float, float, float, float], ...]]:
    """Place `text` clockwise around the whole circle, letters upright to the rim and
    evenly spread, the part before the first "•" centred at the top.

    Returns the font size used (smaller if the text is too long for the circle) and,
    per character, the text matrix (cos, sin, x, y). Constant for a template, so cached.
    """
    circumference = 2 * math.pi * baseline_radius
    size = min(size, size * circumference * 0.94 / _width(text, font, size))
    widths = [_width(char, font, size) for char in text]
    gap = (circumference - sum(widths)) / len(text)
    first_part = len(text.split("•")[0].rstrip())
    centre_offset = (sum(widths[:first_part]) + gap * (first_part - 1)) / 2

    glyphs = []
    position = 0.0
    for char, width in zip(text, widths, strict=True):
        turn = -(position + width / 2 - centre_offset) / baseline_radius  # radians, clockwise
        cos, sin = math.cos(turn), math.sin(turn)
        # The character's left end of baseline, (-width/2, radius), turned about the centre.
        glyphs.append((char, cos, sin, -width / 2 * cos - baseline_radius * sin, -width / 2 * sin + baseline_radius * cos))
        position += width + gap
    return size, tuple(glyphs)


def _draw_condensed(canvas: Canvas, text: str, font: str, size: float, width: float, baseline: float) -> None:
    """Centre `text` on x=0 within `width`, narrowing letters (down to 75 %) before
    shrinking the size, as rubber-stamp makers do with long words."""
    natural = _width(text, font, size)
    if natural > width:
        scale = max(width / natural, 0.75)
        size *= width / (natural * scale)
    else:
        scale = 1.0
    text_object = canvas.beginText()
    text_object.setFont(font, size)
    text_object.setHorizScale(scale * 100)
    text_object.setTextOrigin(-_width(text, font, size) * scale / 2, baseline)
    text_object.textOut(text)
    text_object.setHorizScale(100)  # Tz outlives the text object in PDF
    canvas.drawText(text_object)


def _chord(radius: float, y: float) -> float:
    """Width of the circle of `radius` at height `y` from its centre."""
    return 2 * math.sqrt(max(radius * radius - y * y, 0.0))


# --- text fitting -----------------------------------------------------------------------


def _width(text: str, font: str, size: float) -> float:
    return pdfmetrics.stringWidth(text, font, size)


def _fit_size(text: str, font: str, size: float, width: float) -> float:
    """The largest font size up to `size` at which `text` fits into `width`."""
    natural = _width(text, font, size)
    return size if natural <= width else size * width / natural


def _fit(text: str, font: str, size: float, width: float) -> str:
    """`text` on one line, shortened with "…" when it does not fit `width`."""
    text = " ".join(_BREAKABLE_SPACE.split(text.strip()))
    return text if _width(text, font, size) <= width else _truncate(text, font, size, width)


def _truncate(text: str, font: str, size: float, width: float) -> str:
    """The longest prefix of `text` that fits `width` together with a trailing "…"."""
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if _width(text[:middle].rstrip() + ELLIPSIS, font, size) <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + ELLIPSIS


def _wrap(text: str, font: str, size: float, width: float, max_lines: int) -> list[str]:
    """Greedy word wrap into at most `max_lines` lines; words wider than a line are
    split, and text that does not fit ends with "…". NBSP never breaks.

    Each word is measured once (reportlab widths have no kerning, so they add up).
    """
    space = _width(" ", font, size)
    lines: list[str] = []
    line, line_width = "", 0.0
    for word in _BREAKABLE_SPACE.split(text.strip()):
        word_width = _width(word, font, size)
        if line and line_width + space + word_width <= width:
            line, line_width = f"{line} {word}", line_width + space + word_width
            continue
        if line:
            lines.append(line)
        while word_width > width:
            cut = max(len(_truncate(word, font, size, width)) - 1, 1)
            lines.append(word[:cut])
            word = word[cut:]
            word_width = _width(word, font, size)
        line, line_width = word, word_width
        if len(lines) > max_lines:
            break
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[: max_lines - 1] + [_end_with_ellipsis(lines[max_lines - 1], font, size, width)]
    return lines


def _end_with_ellipsis(line: str, font: str, size: float, width: float) -> str:
    """Mark a cut-off line with "…", dropping whole words to make room when possible."""
    kept = line
    while " " in kept and _width(kept + ELLIPSIS, font, size) > width:
        kept = kept.rsplit(" ", 1)[0]
    return kept + ELLIPSIS if _width(kept + ELLIPSIS, font, size) <= width else _truncate(line, font, size, width)
