"""Draws the two-copy stamped complaint receipt as one A4 PDF page.

`render_receipt` is a pure function of a `ReceiptContext` (the record's values) and a
`ReceiptTemplate` (wording, organisation, layout, fonts): no Flask, database or clock,
and the same input always gives the same bytes. Copy 1 (for the organisation) fills
the top half, copy 2 (for the complainant) the bottom half, split by a dashed cut line.
Every value is wrapped or shortened with "…" to its box, so long input never spills
into the other copy.

The two copies differ only in their "Copy n — for …" tab and in the complainant's tracking
block (the tracking address, the number and the access code), so the copy is drawn once as
a PDF form XObject and placed twice: half the drawing work and half the file. The access
code is drawn outside the form, on the complainant's copy only: the organisation's copy,
which staff keep and file, never carries it.
"""

from __future__ import annotations

import io

import segno
from babel import Locale
from msgspec import Struct
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from ..documents.drawing import (
    Fonts,
    document_canvas,
    draw_letterhead,
    draw_note_band,
    draw_number_block,
    draw_qr,
    draw_stamp,
    fit,
    fit_size,
    text_width,
    url_lines,
    wrap,
)
from .context import ReceiptContext
from .template import Layout, ReceiptTemplate, Wording

PAGE_WIDTH, PAGE_HEIGHT = A4
_COPY_FORM = "ReceiptCopy"


class _Box(Struct, frozen=True):
    """One copy's drawing area in page coordinates."""

    left: float
    right: float
    top: float
    bottom: float


def render_receipt(context: ReceiptContext, template: ReceiptTemplate) -> bytes:
    """Return the PDF bytes of the two-copy receipt for one registered complaint."""
    layout, wording = template.layout, template.wording
    fonts = Fonts.register(template.font_regular, template.font_bold)
    buffer = io.BytesIO()
    canvas = document_canvas(
        buffer,
        language=template.language,
        title=wording.document_title.format(number=context.number),
        organisation=template.organisation,
        subject=wording.title,
    )

    middle = PAGE_HEIGHT / 2
    box = _Box(layout.margin_x, PAGE_WIDTH - layout.margin_x, PAGE_HEIGHT - layout.margin_y, middle + layout.cut_gap)
    tabs = (wording.copy_organisation, wording.copy_complainant)
    tab_width = max(text_width(tab, fonts.bold, layout.copy_label_size) for tab in tabs) + 12

    canvas.beginForm(_COPY_FORM)
    verification_bottom = _draw_copy(canvas, box, tab_width, context, template, fonts)
    canvas.endForm()
    copy_offsets = (0.0, box.bottom - layout.margin_y)  # copy 2 is copy 1 moved down
    for copy, (tab, offset) in enumerate(zip(tabs, copy_offsets, strict=True), start=1):
        canvas.saveState()
        canvas.translate(0, -offset)
        canvas.doForm(_COPY_FORM)
        _draw_copy_tab(canvas, box, tab, layout, fonts)
        if copy == 2 and context.access_code:  # the complainant's copy, and only that one
            stamp_top = box.bottom + 2 * layout.stamp_radius + 6
            left = box.right - layout.right_column_width - layout.column_gap / 2
            _draw_tracking(canvas, left, box.right, verification_bottom - 6, stamp_top + 4, context, template, fonts)
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
    fonts: Fonts,
) -> float:
    """Draw everything both copies share inside `box` (all but the copy tab and the tracking
    block); return where the verification column ends."""
    layout, wording = template.layout, template.wording
    column_right = box.right - layout.right_column_width - layout.column_gap
    duplicate = wording.duplicate.format(n=context.duplicate_count) if context.duplicate_count > 0 else ""
    if duplicate:
        _draw_watermark(canvas, box, column_right, duplicate, layout, fonts)

    y = draw_letterhead(
        canvas, box.left, box.right, box.top, box.right - box.left - tab_width - 12,
        template.organisation, wording, layout, fonts,
    )
    verification_bottom = _draw_verification(
        canvas, box.right - layout.right_column_width, box.right, y - 8, context, template, fonts)

    # Title, with the duplicate mark after it.
    y -= 8 + layout.title_size
    duplicate_width = text_width(duplicate, fonts.bold, layout.value_size) + 20 if duplicate else 0
    title = fit(wording.title, fonts.bold, layout.title_size, column_right - box.left - duplicate_width)
    canvas.setFillColorRGB(*layout.text_color)
    canvas.setFont(fonts.bold, layout.title_size)
    canvas.drawString(box.left, y, title)
    if duplicate:
        x = box.left + text_width(title, fonts.bold, layout.title_size) + 10
        _draw_duplicate_label(canvas, x, y, duplicate, layout, fonts)

    y = draw_number_block(
        canvas, box.left, column_right, y - 10,
        label=wording.number_label, number=context.number,
        date_label=wording.registered_at_label, date=context.registered_at,
        style=layout, fonts=fonts,
    )
    _draw_fields(canvas, box.left, column_right, y - 12, context, wording, layout, fonts)
    _draw_footer(canvas, box, column_right, context, wording, layout, fonts)
    draw_stamp(
        canvas,
        box.right - layout.stamp_radius - 4,
        box.bottom + layout.stamp_radius + 6,
        ring_text=template.organisation.stamp_ring_text,
        word=wording.stamp_word,
        number=context.number,
        date=context.stamp_date,
        style=layout,
        fonts=fonts,
    )
    return verification_bottom


def _draw_copy_tab(canvas: Canvas, box: _Box, text: str, layout: Layout, fonts: Fonts) -> None:
    """The "Copy n — for …" label in a light pill at the copy's top right corner."""
    width = text_width(text, fonts.bold, layout.copy_label_size) + 12
    height = layout.copy_label_size + 6
    canvas.setFillColorRGB(0.92, 0.93, 0.95)
    canvas.roundRect(box.right - width, box.top - height, width, height, 3, stroke=0, fill=1)
    canvas.setFillColorRGB(*layout.rule_color)
    canvas.setFont(fonts.bold, layout.copy_label_size)
    canvas.drawRightString(box.right - 6, box.top - height + 3.6, text)


def _draw_fields(
    canvas: Canvas,
    left: float,
    right: float,
    top: float,
    context: ReceiptContext,
    wording: Wording,
    layout: Layout,
    fonts: Fonts,
) -> None:
    """Label/value rows, the first-response note and the complainant's signature."""
    rows = (
        (wording.channel_label, context.channel, layout.received_lines, fonts.regular),
        (wording.complainant_label, context.complainant_name, 1, fonts.bold),
        (wording.contact_label, context.complainant_contact, 1, fonts.regular),
        (wording.postal_address_label, context.postal_address, layout.address_lines, fonts.regular),
        (wording.category_label, context.category, 1, fonts.regular),
        (wording.subject_label, context.subject, layout.subject_lines, fonts.bold),
        (wording.excerpt_label, context.excerpt, layout.excerpt_lines, fonts.regular),
    )
    labels = (*(row[0] for row in rows), wording.signature_label)
    label_width = min(layout.label_column_max, max(text_width(label, fonts.regular, layout.label_size) for label in labels) + 10)
    value_left = left + label_width
    value_width = right - value_left
    y = top - layout.value_size
    for label, value, max_lines, font in rows:
        if not value.strip():
            continue
        _draw_label(canvas, left, y, label, label_width - 8, layout, fonts)
        y = _draw_lines(canvas, value_left, y, wrap(value, font, layout.value_size, value_width, max_lines), font, layout)

    hours = wording.first_response_hours
    hours_text = hours.get(Locale.parse(context.language).plural_form(context.first_response_hours), hours["other"])
    note = wording.first_response_note.format(due=context.first_response_due,
                                              hours=hours_text.format(n=context.first_response_hours))
    if context.final_response_due:
        note += " " + wording.final_response_note.format(due=context.final_response_due)
    note_lines = wrap(note, fonts.bold, layout.value_size, right - left - 14, 3 if context.final_response_due else 2)
    band_top = y + layout.leading - 1.5
    band_height = len(note_lines) * layout.leading + 3.5
    draw_note_band(canvas, left, right, band_top, band_height, layout)
    y = _draw_lines(canvas, left + 9, y - 1, note_lines, fonts.bold, layout) - 6

    signature_lines = wrap(context.signature, fonts.regular, layout.value_size, value_width, layout.signature_lines)
    _draw_label(canvas, left, y, wording.signature_label, label_width - 8, layout, fonts)
    _draw_lines(canvas, value_left, y, signature_lines, fonts.regular, layout)


def _draw_label(canvas: Canvas, x: float, y: float, label: str, width: float, layout: Layout, fonts: Fonts) -> None:
    canvas.setFillColorRGB(*layout.label_color)
    canvas.setFont(fonts.regular, layout.label_size)
    canvas.drawString(x, y, fit(label, fonts.regular, layout.label_size, width))


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
    fonts: Fonts,
) -> None:
    """The registering officer's name (the clerk's, when one registered it) and signature lines,
    and the record fingerprint."""
    size = layout.label_size
    y = box.bottom + 24
    canvas.setFillColorRGB(*layout.label_color)
    canvas.setStrokeColorRGB(*layout.label_color)
    canvas.setLineWidth(0.5)
    canvas.setFont(fonts.regular, size)
    canvas.drawString(box.left, y, wording.officer_label)
    name_start = box.left + text_width(wording.officer_label, fonts.regular, size) + 6
    signature_width = text_width(wording.officer_signature_label, fonts.regular, size)
    line_end = column_right + 30  # runs under the stamp, as on paper
    name_end = name_start + (line_end - name_start - signature_width - 12) * 0.55
    canvas.line(name_start, y - 1.5, name_end, y - 1.5)
    if context.officer:
        canvas.setFillColorRGB(*layout.text_color)
        canvas.drawString(name_start + 2, y, fit(context.officer, fonts.regular, size, name_end - name_start - 4))
        canvas.setFillColorRGB(*layout.label_color)
    canvas.drawString(name_end + 6, y, wording.officer_signature_label)
    canvas.line(name_end + signature_width + 12, y - 1.5, line_end, y - 1.5)

    y = box.bottom + 2
    canvas.drawString(box.left, y, wording.fingerprint_label)
    x = box.left + text_width(wording.fingerprint_label, fonts.regular, size) + 5
    canvas.setFillColorRGB(*layout.text_color)
    canvas.setFont(fonts.bold, layout.value_size)
    canvas.drawString(x, y, fit(context.fingerprint, fonts.bold, layout.value_size, column_right - x))


def _draw_verification(
    canvas: Canvas,
    left: float,
    right: float,
    top: float,
    context: ReceiptContext,
    template: ReceiptTemplate,
    fonts: Fonts,
) -> float:
    """QR code of the verify URL, right-aligned, with a caption and the URL beneath it;
    return the last line's baseline."""
    layout = template.layout
    size = layout.qr_size
    draw_qr(canvas, segno.make(context.verify_url, error="m", mask=layout.qr_mask).matrix, right - size, top - size, size)

    width = right - left
    y = top - size - layout.small_size - 4
    canvas.setFillColorRGB(*layout.label_color)
    canvas.setFont(fonts.regular, layout.small_size)
    canvas.drawRightString(right, y, fit(template.wording.verify_label, fonts.regular, layout.small_size, width))
    canvas.setFillColorRGB(*layout.text_color)
    lines, size = url_lines(context.verify_url, fonts.regular, layout.small_size, width, layout.verify_url_lines)
    canvas.setFont(fonts.regular, size)
    for line in lines:
        y -= layout.small_size + 2
        canvas.drawRightString(right, y, line)
    return y


def _draw_tracking(
    canvas: Canvas,
    left: float,
    right: float,
    top: float,
    bottom: float,
    context: ReceiptContext,
    template: ReceiptTemplate,
    fonts: Fonts,
) -> None:
    """The complainant's way back in, framed between `top` and `bottom` in the right column:
    the tracking address, the incoming number and the access code, and a line on using them.
    The note gets the lines that are left; every value is fitted to the column."""
    layout, wording = template.layout, template.wording
    pad, small = 3.0, layout.small_size
    step = small + 2
    width = right - left - 2 * pad
    tracking_lines, url_size = url_lines(context.tracking_url, fonts.regular, small, width, layout.tracking_url_lines)
    number_size = fit_size(context.number, fonts.bold, small + 1.5, width)
    code_size = fit_size(context.access_code, fonts.bold, layout.value_size + 1.5, width)
    fixed = pad + step * (1 + len(tracking_lines)) + step + (number_size + 2) + step + (code_size + 3) + pad
    room = max(0, int((top - bottom - fixed) // step))
    note = wrap(wording.access_code_note, fonts.regular, small, width, room) if room else []
    height = fixed + step * len(note)

    canvas.saveState()
    canvas.setStrokeColorRGB(*layout.rule_color)
    canvas.setFillColorRGB(0.96, 0.97, 0.98)
    canvas.setLineWidth(0.8)
    canvas.roundRect(left, top - height, right - left, height, 3, stroke=1, fill=1)
    x, y = left + pad, top - pad - small

    def label(text: str) -> None:
        canvas.setFillColorRGB(*layout.label_color)
        canvas.setFont(fonts.regular, small)
        canvas.drawString(x, y, fit(text, fonts.regular, small, width))

    def value(text: str, font: str, size: float) -> None:
        canvas.setFillColorRGB(*layout.text_color)
        canvas.setFont(font, size)
        canvas.drawString(x, y, text)

    label(wording.tracking_label)
    for line in tracking_lines:
        y -= step
        value(line, fonts.regular, url_size)
    y -= step
    label(wording.number_label)
    y -= number_size + 2
    value(context.number, fonts.bold, number_size)
    y -= step
    label(wording.access_code_label)
    y -= code_size + 3
    value(context.access_code, fonts.bold, code_size)
    for line in note:
        y -= step
        label(line)
    canvas.restoreState()


def _draw_duplicate_label(canvas: Canvas, x: float, baseline: float, text: str, layout: Layout, fonts: Fonts) -> None:
    """A red outlined "DUPLICATE n" tag sitting on the title's baseline."""
    size = layout.value_size
    width = text_width(text, fonts.bold, size) + 10
    canvas.saveState()
    canvas.setStrokeColorRGB(*layout.duplicate_ink)
    canvas.setFillColorRGB(*layout.duplicate_ink)
    canvas.setLineWidth(1.2)
    canvas.roundRect(x, baseline - 3.5, width, size + 7, 2, stroke=1, fill=0)
    canvas.setFont(fonts.bold, size)
    canvas.drawString(x + 5, baseline, text)
    canvas.restoreState()


def _draw_watermark(canvas: Canvas, box: _Box, right: float, text: str, layout: Layout, fonts: Fonts) -> None:
    """A light diagonal "DUPLICATE n" behind the copy's text column (up to `right`);
    drawn first so every value stays readable on top of it."""
    size = fit_size(text, fonts.bold, 64, (right - box.left) * 0.85)
    canvas.saveState()
    canvas.translate((box.left + right) / 2, (box.top + box.bottom) / 2)
    canvas.rotate(22)
    canvas.setFillColorRGB(*layout.watermark_ink)
    canvas.setFont(fonts.bold, size)
    canvas.drawCentredString(0, -size * 0.35, text)
    canvas.restoreState()


def _draw_cut_line(canvas: Canvas, y: float, text: str, layout: Layout, fonts: Fonts) -> None:
    """Dashed line across the page with scissors at the left and the cut text in the centre."""
    size = layout.small_size + 0.5
    left, right = layout.margin_x / 2, PAGE_WIDTH - layout.margin_x / 2
    centre = PAGE_WIDTH / 2
    half_gap = text_width(text, fonts.regular, size) / 2 + 6
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


