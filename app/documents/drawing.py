"""Drawing pieces shared by the organisation's printed documents (receipt, outgoing letter).

The house style: the letterhead over a double rule, the round rubber stamp, QR codes,
and text fitting (shorten with "…", wrap to a width). Pure reportlab helpers: no Flask,
database or clock. A document's layout passes its sizes and colours as a `HouseStyle`.
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from msgspec import Struct
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from .template import HouseStyle, Organisation

ELLIPSIS = "…"
BREAKABLE_SPACE = re.compile(r"[^\S\u00a0]+")  # any whitespace except NBSP
_DARK_RUN = re.compile(rb"\x01+")  # segno matrix rows: 0x1 dark, 0x0 light



def _to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """reportlab's `makeToUnicodeCMap` (the map that lets a reader copy and search the text),
    with characters past U+FFFF written as UTF-16 surrogate pairs as PDF requires: reportlab
    5.1 writes them as five hex digits, so an emoji copied out of a receipt came out as a Greek
    letter. Characters up to U+FFFF come out byte for byte as before."""
    lines = [
        "/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap", "/CIDSystemInfo",
        f"<< /Registry ({fontname})", f"/Ordering ({fontname})", "/Supplement 0", ">> def",
        f"/CMapName /{fontname} def", "/CMapType 2 def", "1 begincodespacerange",
        f"<00> <{len(subset) - 1:02X}>", "endcodespacerange", f"{len(subset)} beginbfchar",
        *(f"<{i:02X}> <{chr(v).encode('utf-16-be', 'surrogatepass').hex().upper()}>" for i, v in enumerate(subset)),
        "endbfchar", "endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end",
    ]
    return "\n".join(lines)


# The one patch of reportlab here: ttfonts looks the function up by name when it embeds a font.
ttfonts.makeToUnicodeCMap = _to_unicode_cmap

_registered_fonts: dict[Path, str] = {}
_fonts_lock = threading.Lock()

#: Where a document font's fallbacks live: `fallback/*.ttf` beside it, tried in name order.
FALLBACK_DIR = "fallback"
#: Printed for a character that no font has: visible, and searchable in the text layer.
REPLACEMENT = "\ufffd"
_fallback_paths: dict[str, tuple[Path, ...]] = {}  # font name -> its fallbacks' files
_fallback_names: dict[str, tuple[str, ...]] = {}  # font name -> its fallbacks, registered
_missing: dict[str, re.Pattern[str]] = {}  # font name -> matches a character it has no glyph for


def register_font(path: Path) -> str:
    """Register a TTF with reportlab once per process and return its font name.

    Parsing a TrueType file costs far more than drawing a whole receipt, so it is
    done on first use only; each PDF embeds just the subset of glyphs it uses. The fonts in
    `fallback/` beside it are noted, and parsed only when a text first needs one (`font_runs`).
    """
    key = path.resolve()
    with _fonts_lock:
        name = _registered_fonts.get(key)
        if name is None:
            name = _register(key)
            _fallback_paths[name] = tuple(sorted((key.parent / FALLBACK_DIR).glob("*.ttf")))
        return name


def _register(key: Path) -> str:
    name = f"Receipt-{key.stem}-{len(_registered_fonts)}"
    font = TTFont(name, str(key))
    pdfmetrics.registerFont(font)
    _registered_fonts[key] = name
    _missing[name] = _missing_pattern(font.face.charToGlyph)
    return name


def _missing_pattern(char_to_glyph: dict[int, int]) -> re.Pattern[str]:
    """A regex matching any character outside `char_to_glyph` (one C-speed search per text)."""
    ranges: list[list[int]] = []
    for code in sorted(c for c in char_to_glyph if c > 0x1F):
        if ranges and code == ranges[-1][1] + 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    members = "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)
    return re.compile(f"[^{members}]")


def _fallbacks(font: str) -> tuple[str, ...]:
    names = _fallback_names.get(font)
    if names is None:
        with _fonts_lock:
            names = _fallback_names.get(font)
            if names is None:
                names = tuple(_registered_fonts.get(path.resolve()) or _register(path.resolve())
                              for path in _fallback_paths.get(font, ()))
                _fallback_names[font] = names
    return names


def _has_glyph(font: str, char: str) -> bool:
    pattern = _missing.get(font)
    return pattern is not None and pattern.match(char) is None


def font_runs(text: str, font: str) -> list[tuple[str, str]]:
    """`text` cut into (font, run) pieces so every character prints: in `font` where it has the
    glyph, else in the first of its fallbacks that has it, else as REPLACEMENT ("�"); invisible
    format characters no font has (emoji variation selectors, joiners) are left out."""
    pattern = _missing.get(font)
    if pattern is None or pattern.search(text) is None:
        return [(font, text)]  # the usual case: one search, no loop
    fallbacks = _fallbacks(font)
    runs: list[tuple[str, str]] = []
    for char in text:
        chosen = font if pattern.match(char) is None else next((f for f in fallbacks if _has_glyph(f, char)), None)
        if chosen is None:
            if unicodedata.category(char) in ("Cf", "Mn", "Me", "Cc"):
                continue
            chosen, char = font, REPLACEMENT
        if runs and runs[-1][0] == chosen:
            runs[-1] = (chosen, runs[-1][1] + char)
        else:
            runs.append((chosen, char))
    return runs


class DocumentCanvas(Canvas):
    """A canvas whose strings fall back to other fonts for characters the current font lacks
    (`font_runs`), so Chinese, emoji or Thai in a complainant's text never print as empty boxes.
    Text without such characters is drawn exactly as by reportlab's own Canvas."""

    def drawString(self, x: float, y: float, text: str, *args: Any, **kwargs: Any) -> None:  # noqa: N802
        font, size = self._fontname, self._fontsize
        runs = font_runs(text, font)
        if len(runs) == 1 and runs[0][0] == font:
            super().drawString(x, y, runs[0][1], *args, **kwargs)
            return
        text_object = self.beginText(x, y)
        for run_font, run in runs:
            text_object.setFont(run_font, size, self._leading)
            text_object.textOut(run)
        # The PDF keeps the last font after the text ends: leave the canvas's own in force.
        text_object.setFont(font, size, self._leading)
        self.drawText(text_object)

    def drawRightString(self, x: float, y: float, text: str, *args: Any, **kwargs: Any) -> None:  # noqa: N802
        self.drawString(x - text_width(text, self._fontname, self._fontsize), y, text, *args, **kwargs)

    def drawCentredString(self, x: float, y: float, text: str, *args: Any, **kwargs: Any) -> None:  # noqa: N802
        self.drawString(x - text_width(text, self._fontname, self._fontsize) / 2, y, text, *args, **kwargs)


class Fonts(Struct, frozen=True):
    """Registered reportlab font names of a document."""

    regular: str
    bold: str

    @classmethod
    def register(cls, regular: Path, bold: Path) -> Fonts:
        return cls(register_font(regular), register_font(bold))


class ContactLabels(Protocol):
    """The letterhead's labels, from a document's wording."""

    @property
    def phone_label(self) -> str: ...
    @property
    def email_label(self) -> str: ...
    @property
    def website_label(self) -> str: ...


def document_canvas(buffer: BinaryIO, *, language: str, title: str, organisation: Organisation, subject: str) -> Canvas:
    """An A4 canvas writing into `buffer`, with the document's metadata. Invariant: no
    creation date or random file ID, so the same drawing gives the same bytes."""
    canvas = DocumentCanvas(buffer, pagesize=A4, invariant=1, lang=language)
    canvas.setTitle(title)
    canvas.setAuthor(organisation.name)
    canvas.setCreator(organisation.name)
    canvas.setSubject(subject)
    return canvas


# --- the letterhead ---------------------------------------------------------------------


def draw_letterhead(
    canvas: Canvas,
    left: float,
    right: float,
    top: float,
    name_width: float,
    organisation: Organisation,
    labels: ContactLabels,
    style: HouseStyle,
    fonts: Fonts,
) -> float:
    """Organisation name (within `name_width`), address and contacts over a double rule;
    returns the lower rule's y."""
    width = right - left
    y = top - style.org_name_size
    canvas.setFillColorRGB(*style.text_color)
    canvas.setFont(fonts.bold, style.org_name_size)
    canvas.drawString(left, y, fit(organisation.name, fonts.bold, style.org_name_size, name_width))

    contacts = "   ·   ".join(
        f"{label} {value}"
        for label, value in (
            (labels.phone_label, organisation.phone),
            (labels.email_label, organisation.email),
            (labels.website_label, organisation.website),
        )
        if value
    )
    canvas.setFillColorRGB(*style.label_color)
    canvas.setFont(fonts.regular, style.header_size)
    for line in (organisation.address, contacts):
        y -= style.header_size + 3
        canvas.drawString(left, y, fit(line, fonts.regular, style.header_size, width))

    y -= 6
    canvas.setStrokeColorRGB(*style.rule_color)
    canvas.setLineWidth(1.2)
    canvas.line(left, y, right, y)
    canvas.setLineWidth(0.4)
    canvas.line(left, y - 2, right, y - 2)
    return y - 2


def draw_number_block(
    canvas: Canvas,
    left: float,
    right: float,
    top: float,
    *,
    label: str,
    number: str,
    date_label: str,
    date: str,
    style: HouseStyle,
    fonts: Fonts,
) -> float:
    """A document's number in a framed box under its `label`, the date beside it; returns the box bottom."""
    padding = 7
    number_size = fit_size(number, fonts.bold, style.number_size, (right - left) * 0.6)
    label = fit(label, fonts.regular, style.number_label_size, (right - left) * 0.6)
    inner_width = max(
        text_width(number, fonts.bold, number_size),
        text_width(label, fonts.regular, style.number_label_size),
    )
    height = style.number_label_size + number_size + 2.2 * padding
    bottom = top - height
    canvas.setStrokeColorRGB(*style.rule_color)
    canvas.setLineWidth(1)
    canvas.roundRect(left, bottom, inner_width + 2 * padding, height, 3, stroke=1, fill=0)

    canvas.setFillColorRGB(*style.label_color)
    canvas.setFont(fonts.regular, style.number_label_size)
    canvas.drawString(left + padding, top - padding - style.number_label_size * 0.8, label)
    canvas.setFillColorRGB(*style.text_color)
    canvas.setFont(fonts.bold, number_size)
    canvas.drawString(left + padding, bottom + padding + 1, number)

    x = left + inner_width + 2 * padding + 14
    canvas.setFillColorRGB(*style.label_color)
    canvas.setFont(fonts.regular, style.label_size)
    canvas.drawString(x, top - padding - style.label_size * 0.8, fit(date_label, fonts.regular, style.label_size, right - x))
    canvas.setFillColorRGB(*style.text_color)
    size = style.value_size + 2
    canvas.setFont(fonts.bold, size)
    canvas.drawString(x, bottom + padding + 1, fit(date, fonts.bold, size, right - x))
    return bottom


def draw_note_band(canvas: Canvas, left: float, right: float, top: float, height: float, style: HouseStyle) -> None:
    """The light band with a dark bar at its left that sets off a note not to be missed."""
    canvas.setFillColorRGB(0.93, 0.94, 0.96)
    canvas.rect(left, top - height, right - left, height, stroke=0, fill=1)
    canvas.setFillColorRGB(*style.rule_color)
    canvas.rect(left, top - height, 2.2, height, stroke=0, fill=1)


# --- QR code ------------------------------------------------------------------------------


def draw_qr(canvas: Canvas, matrix: tuple[bytearray, ...], x: float, y: float, size: float) -> None:
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


# --- the round stamp --------------------------------------------------------------------


def draw_stamp(
    canvas: Canvas,
    cx: float,
    cy: float,
    *,
    ring_text: str,
    word: str,
    number: str,
    date: str,
    style: HouseStyle,
    fonts: Fonts,
) -> None:
    """The organisation's round rubber stamp: double ring, `ring_text` around it, `word`,
    `number` and `date` in the centre; blue ink, slightly turned."""
    radius = style.stamp_radius
    ring_inner = radius - 3
    centre_radius = ring_inner - style.stamp_ring_size - 4.5

    canvas.saveState()
    canvas.translate(cx, cy)
    canvas.rotate(style.stamp_rotation)
    canvas.setStrokeColorRGB(*style.stamp_ink)
    canvas.setFillColorRGB(*style.stamp_ink)
    canvas.setLineWidth(1.8)
    canvas.circle(0, 0, radius)
    canvas.setLineWidth(0.6)
    canvas.circle(0, 0, ring_inner)
    canvas.setLineWidth(1)
    canvas.circle(0, 0, centre_radius)

    ring = canvas.beginText()
    size, glyphs = _ring_glyphs(ring_text, fonts.bold, style.stamp_ring_size, centre_radius + 2.2)
    ring.setFont(fonts.bold, size)
    for char, cos, sin, x, y in glyphs:
        ring.setTextTransform(cos, sin, -sin, cos, x, y)
        ring.textOut(char)
    canvas.drawText(ring)

    word_top = centre_radius * 0.6
    _draw_condensed(canvas, word, fonts.bold, 7, _chord(centre_radius, word_top) - 5, word_top - 7 * 0.73)
    rule_y = centre_radius * 0.27
    canvas.setLineWidth(0.6)
    for y in (rule_y, -rule_y):
        half = _chord(centre_radius, y) / 2 - 3
        canvas.line(-half, y, half, y)
    _draw_condensed(canvas, number, fonts.bold, 9.5, _chord(centre_radius, rule_y) - 8, -9.5 * 0.36)
    date_bottom = -centre_radius * 0.62
    _draw_condensed(canvas, date, fonts.regular, 7, _chord(centre_radius, date_bottom) - 5, date_bottom)
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
    size = min(size, size * circumference * 0.94 / text_width(text, font, size))
    widths = [text_width(char, font, size) for char in text]
    gap = (circumference - sum(widths)) / len(text)
    first_part = len(text.split("•")[0].rstrip())
    centre_offset = (sum(widths[:first_part]) + gap * (first_part - 1)) / 2

    glyphs = []
    position = 0.0
    for char, char_width in zip(text, widths, strict=True):
        turn = -(position + char_width / 2 - centre_offset) / baseline_radius  # radians, clockwise
        cos, sin = math.cos(turn), math.sin(turn)
        # The character's left end of baseline, (-width/2, radius), turned about the centre.
        glyphs.append(
            (char, cos, sin, -char_width / 2 * cos - baseline_radius * sin, -char_width / 2 * sin + baseline_radius * cos)
        )
        position += char_width + gap
    return size, tuple(glyphs)


def _draw_condensed(canvas: Canvas, text: str, font: str, size: float, room: float, baseline: float) -> None:
    """Centre `text` on x=0 within `room`, narrowing letters (down to 75 %) before
    shrinking the size, as rubber-stamp makers do with long words."""
    natural = text_width(text, font, size)
    if natural > room:
        scale = max(room / natural, 0.75)
        size *= room / (natural * scale)
    else:
        scale = 1.0
    text_object = canvas.beginText()
    text_object.setFont(font, size)
    text_object.setHorizScale(scale * 100)
    text_object.setTextOrigin(-text_width(text, font, size) * scale / 2, baseline)
    text_object.textOut(text)
    text_object.setHorizScale(100)  # Tz outlives the text object in PDF
    canvas.drawText(text_object)


def _chord(radius: float, y: float) -> float:
    """Width of the circle of `radius` at height `y` from its centre."""
    return 2 * math.sqrt(max(radius * radius - y * y, 0.0))


# --- text fitting -----------------------------------------------------------------------


def text_width(text: str, font: str, size: float) -> float:
    """The width `text` takes as a DocumentCanvas draws it (fallback fonts included)."""
    pattern = _missing.get(font)
    if pattern is None or pattern.search(text) is None:
        return pdfmetrics.stringWidth(text, font, size)
    return sum(pdfmetrics.stringWidth(run, run_font, size) for run_font, run in font_runs(text, font))


def fit_size(text: str, font: str, size: float, room: float) -> float:
    """The largest font size up to `size` at which `text` fits into `room`."""
    natural = text_width(text, font, size)
    return size if natural <= room else size * room / natural


def fit(text: str, font: str, size: float, room: float) -> str:
    """`text` on one line, shortened with "…" when it does not fit `room`."""
    text = " ".join(BREAKABLE_SPACE.split(text.strip()))
    return text if text_width(text, font, size) <= room else truncate(text, font, size, room)


def truncate(text: str, font: str, size: float, room: float) -> str:
    """The longest prefix of `text` that fits `room` together with a trailing "…"."""
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if text_width(text[:middle].rstrip() + ELLIPSIS, font, size) <= room:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + ELLIPSIS


def wrap(text: str, font: str, size: float, room: float, max_lines: int | None = None) -> list[str]:
    """Greedy word wrap into at most `max_lines` lines (no limit when None); words wider
    than a line are split, and text that does not fit ends with "…". NBSP never breaks.

    Each word is measured once (reportlab widths have no kerning, so they add up).
    """
    space = text_width(" ", font, size)
    lines: list[str] = []
    line, line_width = "", 0.0
    for word in BREAKABLE_SPACE.split(text.strip()):
        word_width = text_width(word, font, size)
        if line and line_width + space + word_width <= room:
            line, line_width = f"{line} {word}", line_width + space + word_width
            continue
        if line:
            lines.append(line)
        while word_width > room:
            cut = max(len(truncate(word, font, size, room)) - 1, 1)
            lines.append(word[:cut])
            word = word[cut:]
            word_width = text_width(word, font, size)
        line, line_width = word, word_width
        if max_lines is not None and len(lines) > max_lines:
            break
    if line:
        lines.append(line)
    if max_lines is not None and len(lines) > max_lines:
        lines = lines[: max_lines - 1] + [_end_with_ellipsis(lines[max_lines - 1], font, size, room)]
    return lines


def url_lines(url: str, font: str, size: float, room: float, max_lines: int) -> tuple[list[str], float]:
    """A web address on at most `max_lines` lines and the size to draw it at: on one line when
    it fits at 85 % of `size` or more, else broken only where a reader expects (after a "/" of
    its path, before "?", "&" or "#"), never inside a word, at a smaller size (down to 70 %) when
    its pieces do not fit otherwise. Only an address that does not fit even then is wrapped like
    text, ending with "…"."""
    url = url.strip()
    one_line = fit_size(url, font, size, room)
    if one_line >= size * 0.85:
        return [url], one_line
    pieces = _URL_BREAK.split(url)
    step = size
    while step >= size * 0.7:
        lines = _pack(pieces, font, step, room)
        if lines is not None and len(lines) <= max_lines:
            return lines, step
        step = round(step - 0.25, 2)
    smallest = size * 0.7
    return wrap(url, font, smallest, room, max_lines), smallest


#: The places a web address may break: after a "/" of its path (not the scheme's "//"), before
#: "?", "&" or "#".
_URL_BREAK = re.compile(r"(?<=[^/]/)(?!/)|(?=[?&#])")


def _pack(pieces: list[str], font: str, size: float, room: float) -> list[str] | None:
    """The pieces joined greedily into lines no wider than `room`; None if one piece is wider."""
    lines: list[str] = []
    for piece in filter(None, pieces):
        if text_width(piece, font, size) > room:
            return None
        if lines and text_width(lines[-1] + piece, font, size) <= room:
            lines[-1] += piece
        else:
            lines.append(piece)
    return lines


def wrap_paragraphs(text: str, font: str, size: float, room: float, max_lines: int) -> list[str]:
    """`wrap`, keeping the text's own line breaks (a table cell of the journal book): each
    line of `text` wrapped on its own, an empty one kept empty, "…" past `max_lines`."""
    lines = [line for paragraph in text.split("\n") for line in wrap(paragraph, font, size, room) or [""]]
    if len(lines) > max_lines:
        lines = lines[: max_lines - 1] + [_end_with_ellipsis(lines[max_lines - 1], font, size, room)]
    return lines


def _end_with_ellipsis(line: str, font: str, size: float, room: float) -> str:
    """Mark a cut-off line with "…", dropping whole words to make room when possible."""
    kept = line
    while " " in kept and text_width(kept + ELLIPSIS, font, size) > room:
        kept = kept.rsplit(" ", 1)[0]
    return kept + ELLIPSIS if text_width(kept + ELLIPSIS, font, size) <= room else truncate(line, font, size, room)
