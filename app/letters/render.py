"""Draws a numbered outgoing letter on A4 pages, in the receipt's house style.

`render_letter` is a pure function of a `LetterContext` (the message's values) and a
`LetterTemplate` (wording, organisation, layout, fonts): no Flask, database or clock, and
the same input always gives the same bytes.

Page 1 carries the letterhead, the framed outgoing number with the date, the addressee,
the reference to the complaint, the title (and, for a decision, the decision in a band).
The body flows over as many pages as it needs; pages 2, 3, ... start under a running
header. The last page ends with the signatory, the round stamp over the signature line,
and the verification block (registry fingerprint, verify URL and its QR code) at the
bottom. Every page's footer repeats the outgoing number and says "page n of m".
"""

from __future__ import annotations

import io
from typing import Any

import segno
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
    text_width,
    url_lines,
    wrap,
)
from ..documents.template import Color
from .context import LetterContext
from .template import LetterLayout, LetterTemplate

PAGE_WIDTH, PAGE_HEIGHT = A4
SIGNATURE_LINE_LENGTH = 150
HANDWRITING_ROOM = 40  # between the closing words and the signatory's name


class _Line(Struct, frozen=True):
    """One line of the flowing body text."""

    text: str
    gap_before: float  # extra space above it: it starts a paragraph


class _Frame(Struct, frozen=True):
    """The page's text column."""

    left: float
    right: float

    @property
    def width(self) -> float:
        return self.right - self.left


class _Signatory(Struct, frozen=True):
    """The wrapped sign-off of the last page and the height it takes below the body."""

    closing: str
    name_lines: list[str]
    on_behalf_lines: list[str]
    signature_left: float
    height: float


def render_letter(context: LetterContext, template: LetterTemplate) -> bytes:
    """Return the PDF bytes of one numbered outgoing letter."""
    layout, wording = template.layout, template.wording
    fonts = Fonts.register(template.font_regular, template.font_bold)
    frame = _Frame(layout.margin_x, PAGE_WIDTH - layout.margin_x)
    buffer = io.BytesIO()
    canvas = document_canvas(
        buffer,
        language=template.language,
        title=wording.document_title.format(number=context.outgoing_number),
        organisation=template.organisation,
        subject=wording.titles[context.kind],
    )

    # Page 1's head is drawn first: where it ends decides how the body flows.
    first_top = _draw_first_page_head(canvas, frame, context, template, fonts)
    next_top = _running_header_bottom(layout) - 12 - layout.body_size
    signatory = _signatory(context, template, frame, fonts)
    pages = _paginate(
        _body_lines(context.body, fonts.regular, layout, frame.width)
        + _body_lines(_after_body(context, wording), fonts.regular, layout, frame.width, gap_first=True)
        + _enclosure_lines(context, wording.enclosures_label, fonts.regular, layout, frame.width),
        first_top=first_top,
        next_top=next_top,
        bottom=_content_bottom(layout),
        tail=signatory.height + _verification_height(layout),
        leading=layout.body_leading,
    )
    for number, lines in enumerate(pages, start=1):
        if number > 1:
            _draw_running_header(canvas, frame, context, template, fonts)
        y = _draw_body(canvas, frame.left, first_top if number == 1 else next_top, lines, layout, fonts)
        if number == len(pages):
            _draw_signatory(canvas, frame, y, signatory, context, template, fonts)
            _draw_verification(canvas, frame, context, template, fonts)
        _draw_page_footer(canvas, frame, number, len(pages), context, template, fonts)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# --- page 1 -----------------------------------------------------------------------------


def _draw_first_page_head(
    canvas: Canvas, frame: _Frame, context: LetterContext, template: LetterTemplate, fonts: Fonts
) -> float:
    """Letterhead, number and date, addressee, reference, title, decision; returns the
    first body line's baseline."""
    layout, wording = template.layout, template.wording
    y = draw_letterhead(
        canvas, frame.left, frame.right, PAGE_HEIGHT - layout.margin_top, frame.width,
        template.organisation, wording, layout, fonts,
    )
    y = draw_number_block(
        canvas, frame.left, frame.right, y - 16,
        label=wording.number_label, number=context.outgoing_number,
        date_label=wording.date_label, date=context.date,
        style=layout, fonts=fonts,
    )
    y = _draw_addressee(canvas, frame.right - layout.addressee_width, frame.right, y - 14, context, template, fonts)

    reference = wording.reference.format(number=context.incoming_number, date=context.registered_on)
    y -= 18 + layout.value_size
    y = _draw_lines(
        canvas, frame.left, y, wrap(reference, fonts.regular, layout.value_size, frame.width, layout.reference_lines),
        fonts.regular, layout.value_size, layout.value_size * 1.4, layout.text_color,
    )
    title = wrap(wording.titles[context.kind], fonts.bold, layout.title_size, frame.width, layout.title_lines)
    y = _draw_lines(
        canvas, frame.left, y - 12 - layout.title_size * 0.5, title,
        fonts.bold, layout.title_size, layout.title_size * 1.25, layout.text_color,
    )
    if context.kind == "decision" and context.resolution:
        y = _draw_decision(canvas, frame, y, context, template, fonts)
    return y - 6 - layout.body_size


def _draw_addressee(
    canvas: Canvas,
    left: float,
    right: float,
    top: float,
    context: LetterContext,
    template: LetterTemplate,
    fonts: Fonts,
) -> float:
    """The complainant's name, postal address and contacts under a "To" label; returns the
    baseline below the block."""
    layout, wording = template.layout, template.wording
    size, leading, room = layout.value_size, layout.value_size * 1.35, right - left
    canvas.setFillColorRGB(*layout.label_color)
    canvas.setFont(fonts.regular, layout.label_size)
    y = top - layout.label_size
    canvas.drawString(left, y, fit(wording.addressee_label, fonts.regular, layout.label_size, room))
    y -= 4 + size
    y = _draw_lines(
        canvas, left, y, wrap(context.addressee_name, fonts.bold, size + 1, room, layout.name_lines),
        fonts.bold, size + 1, leading + 1, layout.text_color,
    )
    lines = wrap(context.postal_address, fonts.regular, size, room, layout.address_lines)
    lines += [
        fit(f"{label} {value}", fonts.regular, size, room)
        for label, value in ((wording.email_label, context.email), (wording.phone_label, context.phone))
        if value.strip()
    ]
    return _draw_lines(canvas, left, y, lines, fonts.regular, size, leading, layout.text_color) + leading


def _draw_decision(
    canvas: Canvas, frame: _Frame, y: float, context: LetterContext, template: LetterTemplate, fonts: Fonts
) -> float:
    """The decision ("Decision: Upheld") in the receipt's note band, its top at `y`; returns
    the y below it."""
    layout = template.layout
    size, leading = layout.value_size + 0.5, layout.value_size * 1.45
    resolution = template.wording.resolutions.get(context.resolution, context.resolution)
    lines = wrap(template.wording.decision_line.format(resolution=resolution), fonts.bold, size, frame.width - 14, 2)
    height = len(lines) * leading + 6
    draw_note_band(canvas, frame.left, frame.right, y, height, layout)
    _draw_lines(canvas, frame.left + 9, y - 3 - size, lines, fonts.bold, size, leading, layout.text_color)
    return y - height - 6


# --- the flowing body ---------------------------------------------------------------------


def _after_body(context: LetterContext, wording: Any) -> str:
    """What follows the writer's text, each a paragraph: the redress offered, then the
    paragraphs the regulator requires, as issued."""
    paragraphs = []
    if context.redress_amount:
        paragraphs.append(wording.redress_line.format(amount=context.redress_amount,
                                                      currency=context.redress_currency))
    if context.remedy:
        paragraphs.append(wording.remedy_line.format(remedy=context.remedy))
    return "\n\n".join([*paragraphs, *context.statutory])


def _body_lines(body: str, font: str, layout: LetterLayout, width: float, *, gap_first: bool = False) -> list[_Line]:
    """The body wrapped to the column: a line break is kept, a blank line opens a paragraph
    (`gap_first`: so does the first line, which follows other text)."""
    lines: list[_Line] = []
    gap = layout.paragraph_gap if gap_first else 0.0
    for source in body.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not source.strip():
            gap = layout.paragraph_gap if lines or gap_first else 0.0
            continue
        for index, text in enumerate(wrap(source, font, layout.body_size, width)):
            lines.append(_Line(text, gap if index == 0 else 0.0))
        gap = 0.0
    return lines


def _enclosure_lines(context: LetterContext, label: str, font: str, layout: LetterLayout,
                     width: float) -> list[_Line]:
    """The enclosed files after the body, a paragraph of their own: each by name and the start
    of its SHA-256, so the complainant can match what they received."""
    if not context.enclosures:
        return []
    lines = [_Line(label, layout.paragraph_gap)]
    for index, (name, digest) in enumerate(context.enclosures, start=1):
        for text in wrap(f"{index}. {name} (SHA-256 {digest}…)", font, layout.body_size, width):
            lines.append(_Line(text, 0.0))
    return lines


def _paginate(
    lines: list[_Line], *, first_top: float, next_top: float, bottom: float, tail: float, leading: float
) -> list[list[_Line]]:
    """Split the body into pages; the last page keeps room for the sign-off and verification
    (`tail`) and, when the letter has more pages, at least two body lines to go with them."""
    pages: list[list[_Line]] = [[]]
    y = first_top
    for line in lines:
        gap = line.gap_before if pages[-1] else 0.0
        if pages[-1] and y - gap < bottom:
            pages.append([])
            y, gap = next_top, 0.0
        pages[-1].append(line)
        y -= gap + leading
    if y + leading - tail < bottom:  # the sign-off does not fit under the last line
        pages.append([])
    short = 2 - len(pages[-1])
    if len(pages) > 1 and short > 0 and len(pages[-2]) > short + 1:
        # A continuation page has room for both the carried lines and the sign-off.
        pages[-1][:0] = pages[-2][-short:]
        del pages[-2][-short:]
    return pages


def _draw_body(canvas: Canvas, left: float, top: float, lines: list[_Line], layout: LetterLayout, fonts: Fonts) -> float:
    """Draw a page's body lines from baseline `top` down; returns the last line's baseline."""
    canvas.setFillColorRGB(*layout.text_color)
    canvas.setFont(fonts.regular, layout.body_size)
    y = top + layout.body_leading
    for index, line in enumerate(lines):
        y -= layout.body_leading + (line.gap_before if index else 0.0)
        canvas.drawString(left, y, line.text)
    return y


# --- the last page ------------------------------------------------------------------------


def _signatory(context: LetterContext, template: LetterTemplate, frame: _Frame, fonts: Fonts) -> _Signatory:
    """Wrap the sign-off once, so the pagination knows its height before it is drawn; no
    closing words when the body has its own."""
    layout, wording = template.layout, template.wording
    signature_left = frame.left + frame.width * 0.5
    room = signature_left - frame.left - 14
    name_lines = wrap(context.signatory_name, fonts.bold, layout.value_size + 0.5, room, layout.signatory_lines)
    on_behalf = wording.on_behalf.format(organisation=template.organisation.name)
    on_behalf_lines = wrap(on_behalf, fonts.regular, layout.value_size, room, layout.signatory_lines)
    text_depth = (len(name_lines) + len(on_behalf_lines)) * layout.value_size * 1.4
    stamp_depth = layout.stamp_radius - 4
    height = layout.body_leading + 10 + HANDWRITING_ROOM + max(text_depth, stamp_depth) + 8
    return _Signatory(
        # A body that ends with its writer's own "Cu stimă," is not signed off twice.
        closing="" if wording.signed_off(context.body) else fit(wording.closing, fonts.regular, layout.body_size,
                                                                frame.width),
        name_lines=name_lines,
        on_behalf_lines=on_behalf_lines,
        signature_left=signature_left,
        height=height,
    )


def _draw_signatory(
    canvas: Canvas,
    frame: _Frame,
    last_baseline: float,
    signatory: _Signatory,
    context: LetterContext,
    template: LetterTemplate,
    fonts: Fonts,
) -> None:
    """Closing words, the signatory's name on behalf of the organisation, the signature line
    and the round stamp set over its right end, as on paper."""
    layout, wording = template.layout, template.wording
    size, leading = layout.value_size, layout.value_size * 1.4
    y = last_baseline - layout.body_leading - 10
    canvas.setFillColorRGB(*layout.text_color)
    canvas.setFont(fonts.regular, layout.body_size)
    canvas.drawString(frame.left, y, signatory.closing)

    name_baseline = y - HANDWRITING_ROOM
    y = _draw_lines(
        canvas, frame.left, name_baseline, signatory.name_lines, fonts.bold, size + 0.5, leading, layout.text_color
    )
    _draw_lines(canvas, frame.left, y, signatory.on_behalf_lines, fonts.regular, size, leading, layout.label_color)

    line_left = signatory.signature_left
    line_right = line_left + SIGNATURE_LINE_LENGTH
    canvas.setStrokeColorRGB(*layout.label_color)
    canvas.setLineWidth(0.5)
    canvas.line(line_left, name_baseline - 1.5, line_right, name_baseline - 1.5)
    canvas.setFillColorRGB(*layout.label_color)
    canvas.setFont(fonts.regular, layout.small_size)
    canvas.drawCentredString(
        (line_left + line_right) / 2,
        name_baseline - 3 - layout.small_size,
        fit(wording.signature_label, fonts.regular, layout.small_size, SIGNATURE_LINE_LENGTH),
    )
    draw_stamp(
        canvas,
        line_right + layout.stamp_radius * 0.35,
        name_baseline + 6,
        ring_text=template.organisation.stamp_ring_text,
        word=wording.stamp_word,
        number=context.outgoing_number,
        date=context.stamp_date,
        style=layout,
        fonts=fonts,
    )


def _verification_height(layout: LetterLayout) -> float:
    return layout.qr_size + 24


def _draw_verification(
    canvas: Canvas, frame: _Frame, context: LetterContext, template: LetterTemplate, fonts: Fonts
) -> None:
    """At the foot of the last page: a rule, the verify URL's QR code, the registry
    fingerprint of the message and the URL written out."""
    layout, wording = template.layout, template.wording
    bottom = _content_bottom(layout)
    size = layout.qr_size
    top = bottom + size
    canvas.setStrokeColorRGB(*layout.label_color)
    canvas.setLineWidth(0.4)
    canvas.line(frame.left, top + 8, frame.right, top + 8)
    draw_qr(canvas, segno.make(context.verify_url, error="m", mask=layout.qr_mask).matrix, frame.left, bottom, size)

    x = frame.left + size + 12
    room = frame.right - x
    y = top - layout.value_size - 2
    label = fit(wording.fingerprint_label, fonts.regular, layout.label_size, room / 2)
    canvas.setFillColorRGB(*layout.label_color)
    canvas.setFont(fonts.regular, layout.label_size)
    canvas.drawString(x, y, label)
    value_x = x + text_width(label, fonts.regular, layout.label_size) + 5
    canvas.setFillColorRGB(*layout.text_color)
    canvas.setFont(fonts.bold, layout.value_size)
    canvas.drawString(value_x, y, fit(context.fingerprint, fonts.bold, layout.value_size, frame.right - value_x))

    y -= layout.value_size + 8
    canvas.setFillColorRGB(*layout.label_color)
    canvas.setFont(fonts.regular, layout.label_size)
    canvas.drawString(x, y, fit(wording.verify_label, fonts.regular, layout.label_size, room))
    lines, size = url_lines(context.verify_url, fonts.regular, layout.small_size, room, layout.verify_url_lines)
    _draw_lines(
        canvas, x, y - layout.small_size - 4, lines, fonts.regular, size, layout.small_size + 2.5, layout.text_color,
    )


# --- every page ---------------------------------------------------------------------------


def _content_bottom(layout: LetterLayout) -> float:
    """The lowest baseline of the body and of the verification block, above the page footer."""
    return layout.margin_bottom + 14


def _running_header_bottom(layout: LetterLayout) -> float:
    """The y of the rule under the running header of pages 2, 3, ..."""
    return PAGE_HEIGHT - layout.margin_top - layout.running_header_size - 5


def _draw_running_header(
    canvas: Canvas, frame: _Frame, context: LetterContext, template: LetterTemplate, fonts: Fonts
) -> None:
    """The organisation's name and the letter's date over a thin rule."""
    layout = template.layout
    size = layout.running_header_size
    baseline = PAGE_HEIGHT - layout.margin_top - size
    date_width = text_width(context.date, fonts.regular, size)
    canvas.setFillColorRGB(*layout.text_color)
    canvas.setFont(fonts.bold, size)
    canvas.drawString(frame.left, baseline, fit(template.organisation.name, fonts.bold, size, frame.width - date_width - 20))
    canvas.setFillColorRGB(*layout.label_color)
    canvas.setFont(fonts.regular, size)
    canvas.drawRightString(frame.right, baseline, context.date)
    canvas.setStrokeColorRGB(*layout.rule_color)
    canvas.setLineWidth(0.6)
    y = _running_header_bottom(layout)
    canvas.line(frame.left, y, frame.right, y)


def _draw_page_footer(
    canvas: Canvas,
    frame: _Frame,
    page: int,
    pages: int,
    context: LetterContext,
    template: LetterTemplate,
    fonts: Fonts,
) -> None:
    """The outgoing number and "page n of m" under a thin rule."""
    layout, wording = template.layout, template.wording
    size = layout.footer_size
    canvas.setStrokeColorRGB(*layout.label_color)
    canvas.setLineWidth(0.4)
    canvas.line(frame.left, layout.margin_bottom, frame.right, layout.margin_bottom)
    baseline = layout.margin_bottom - 4 - size
    page_label = wording.page_label.format(page=page, pages=pages)
    number_room = frame.width - text_width(page_label, fonts.regular, size) - 20
    canvas.setFont(fonts.regular, size)
    canvas.setFillColorRGB(*layout.label_color)
    canvas.drawRightString(frame.right, baseline, page_label)
    canvas.setFillColorRGB(*layout.text_color)
    canvas.drawString(
        frame.left, baseline, fit(f"{wording.number_label} {context.outgoing_number}", fonts.regular, size, number_room)
    )


def _draw_lines(
    canvas: Canvas,
    x: float,
    y: float,
    lines: list[str],
    font: str,
    size: float,
    leading: float,
    color: Color,
) -> float:
    """Draw lines from baseline `y` down; returns the baseline after the last one."""
    canvas.setFillColorRGB(*color)
    canvas.setFont(font, size)
    for line in lines:
        canvas.drawString(x, y, line)
        y -= leading
    return y
