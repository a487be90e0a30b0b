"""Charts as SVG text, drawn on the server: no script, no library, nothing from another site.

Pure functions of plain values (labels, numbers, wording): the same input gives the same
string, so tests parse it as XML and read it back. Every chart has a fixed size (a viewBox
the page scales to its width), a <title> and a <desc> named by aria-labelledby, and a
<title> on every bar or point with its exact value (a tooltip, and read by screen readers).
Text is escaped; long labels are cut with "…" (the full label stays in the tooltip), and
with many weeks only every n-th label is written, so labels never run into each other.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from markupsafe import escape

WIDTH, HEIGHT = 640, 280
FONT = 'font-family="DejaVu Sans, Arial, sans-serif" font-size="14"'
INK, MUTED, GRID, BAR, LINE = "#1b1f27", "#5b6270", "#d9dde4", "#1f4fa3", "#1e7b43"
#: Horizontal bars: room for the labels on the left, for the values on the right.
LABEL_WIDTH, VALUE_WIDTH = 220, 64
MAX_BARS = 12
LABEL_CHARS = 26
#: Column and line charts: at most this many labels along the bottom.
MAX_X_LABELS = 10
ELLIPSIS = "…"

Format = Callable[[float], str]


def _e(text: object) -> str:
    return str(escape(str(text)))


def _number(value: float) -> str:
    return f"{value:g}" if value != int(value) else str(int(value))


def _shorten(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def _open(chart_id: str, title: str, description: str) -> list[str]:
    cid = _e(chart_id)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-labelledby="{cid}-title {cid}-desc" {FONT}>',
        f'<title id="{cid}-title">{_e(title)}</title>',
        f'<desc id="{cid}-desc">{_e(description)}</desc>',
    ]


def _empty(chart_id: str, title: str, empty_text: str) -> str:
    parts = _open(chart_id, title, empty_text)
    parts.append(f'<rect x="0.5" y="0.5" width="{WIDTH - 1}" height="{HEIGHT - 1}" fill="#f4f5f7" stroke="{GRID}"/>')
    parts.append(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" fill="{MUTED}" font-size="15">'
                 f"{_e(empty_text)}</text>")
    parts.append("</svg>")
    return "\n".join(parts)


def nice_step(largest: float, intervals: int = 4, integer: bool = False) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) so that `intervals` steps reach `largest`."""
    if largest <= 0:
        return 1
    rough = largest / intervals
    power = 10 ** math.floor(math.log10(rough))
    for multiple in (1, 2, 2.5, 5, 10):
        step = multiple * power
        if step >= rough and (not integer or step == int(step)):
            return max(step, 1) if integer else step
    return 10 * power


def bar_chart(
    bars: Sequence[tuple[str, float]],
    *,
    chart_id: str,
    title: str,
    empty_text: str,
    others_label: Callable[[int], str] = lambda n: f"{n} more",
    value_format: Format = _number,
    max_bars: int = MAX_BARS,
) -> str:
    """Horizontal bars, one per (label, value), in the order given. Past `max_bars`, the last
    ones are added up into one bar (named by `others_label(how many)`): the table under the chart has every line."""
    if not bars or all(value == 0 for _, value in bars):
        return _empty(chart_id, title, empty_text)
    bars = list(bars)
    if len(bars) > max_bars:
        rest = bars[max_bars - 1:]
        bars = bars[: max_bars - 1] + [(others_label(len(rest)), sum(v for _, v in rest))]
    description = "; ".join(f"{label}: {value_format(value)}" for label, value in bars)
    parts = _open(chart_id, title, description)
    top, bottom = 8, 8
    row = min(34.0, (HEIGHT - top - bottom) / len(bars))
    bar_height = row * 0.68
    x0 = LABEL_WIDTH + 8
    span = WIDTH - x0 - VALUE_WIDTH
    largest = max(value for _, value in bars)
    parts.append(f'<line x1="{x0}" y1="{top}" x2="{x0}" y2="{top + row * len(bars)}" stroke="{MUTED}"/>')
    for index, (label, value) in enumerate(bars):
        y = top + index * row
        length = span * value / largest if largest else 0
        middle = y + row / 2
        parts.append("<g>")
        parts.append(f"<title>{_e(label)}: {_e(value_format(value))}</title>")
        parts.append(f'<text x="{LABEL_WIDTH}" y="{middle:.1f}" dy="0.35em" text-anchor="end" fill="{INK}">'
                     f"{_e(_shorten(label))}</text>")
        parts.append(f'<rect x="{x0}" y="{y + (row - bar_height) / 2:.1f}" width="{length:.1f}" '
                     f'height="{bar_height:.1f}" fill="{BAR}"/>')
        parts.append(f'<text x="{x0 + length + 6:.1f}" y="{middle:.1f}" dy="0.35em" fill="{INK}">'
                     f"{_e(value_format(value))}</text>")
        parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts)


def week_chart(
    points: Sequence[tuple[str, float | None]],
    *,
    chart_id: str,
    title: str,
    empty_text: str,
    kind: str = "columns",
    y_max: float | None = None,
    value_format: Format = _number,
    integer: bool = True,
) -> str:
    """Columns or a line over weeks, one (label, value) per week, oldest first. None is a gap
    (a week with no data): no column, and the line breaks there. `y_max` fixes the scale
    (100 for a percentage); otherwise it is a round number above the largest value."""
    values = [value for _, value in points if value is not None]
    if not points or not values:
        return _empty(chart_id, title, empty_text)
    left, right, top, bottom = 56, 16, 14, 66
    plot_w, plot_h = WIDTH - left - right, HEIGHT - top - bottom
    if y_max is None:
        step = nice_step(max(values), integer=integer)
        y_max = step * max(1, math.ceil(max(values) / step))
    else:
        step = nice_step(y_max, integer=integer)
    description = "; ".join(f"{label}: {'–' if value is None else value_format(value)}" for label, value in points)
    parts = _open(chart_id, title, description)

    def y_of(value: float) -> float:
        return top + plot_h * (1 - value / y_max)

    tick = 0.0
    while tick <= y_max + 1e-9:
        y = y_of(tick)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(f'<text x="{left - 6}" y="{y:.1f}" dy="0.35em" text-anchor="end" fill="{MUTED}" font-size="12">'
                     f"{_e(value_format(tick))}</text>")
        tick += step
    slot = plot_w / len(points)
    every = max(1, math.ceil(len(points) / MAX_X_LABELS))
    for index, (label, _value) in enumerate(points):
        if index % every:
            continue
        x = left + slot * (index + 0.5)
        y = top + plot_h + 10
        parts.append(f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="end" fill="{MUTED}" font-size="12" '
                     f'transform="rotate(-40 {x:.1f} {y:.1f})">{_e(label)}</text>')
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{WIDTH - right}" y2="{top + plot_h}" stroke="{MUTED}"/>')

    if kind == "columns":
        width = max(1.0, slot * 0.7)
        for index, (label, value) in enumerate(points):
            if value is None:
                continue
            x = left + slot * index + (slot - width) / 2
            y = y_of(value)
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{top + plot_h - y:.1f}" '
                         f'fill="{BAR}"><title>{_e(label)}: {_e(value_format(value))}</title></rect>')
    else:
        segment: list[str] = []
        segments = [segment]
        for index, (_label, value) in enumerate(points):
            if value is None:
                segment = []
                segments.append(segment)
                continue
            segment.append(f"{left + slot * (index + 0.5):.1f},{y_of(value):.1f}")
        for line in segments:
            if len(line) > 1:
                parts.append(f'<polyline points="{" ".join(line)}" fill="none" stroke="{LINE}" stroke-width="2"/>')
        radius = 3.5 if len(points) <= 60 else 2
        for index, (label, value) in enumerate(points):
            if value is None:
                continue
            parts.append(f'<circle cx="{left + slot * (index + 0.5):.1f}" cy="{y_of(value):.1f}" r="{radius}" '
                         f'fill="{LINE}"><title>{_e(label)}: {_e(value_format(value))}</title></circle>')
    parts.append("</svg>")
    return "\n".join(parts)
