"""Draws the monthly complaints report on A4 pages, in the receipt's house style.

`render_monthly_report` is a pure function of a `MonthlyReportContext` (the month's
figures) and a `ReportTemplate` (wording, organisation, layout, fonts): no Flask, database
or clock, and the same input always gives the same bytes.

Page 1 carries the letterhead, the title with the month, what was counted, and the headline
figures as cards. Then come the bar charts (intake per week, categories, age of the open
complaints), the tables (each flowing over pages with its heading and column headings
repeated, "(continued)"), how the figures are counted, and, on the last page, the sign-off
with the organisation's round stamp. Pages 2, 3, ... start under a running header; every
page's footer says when the report was generated and "page n of m".

The pages are drawn twice: once to count them, once for real (the count is in every footer).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from babel.numbers import format_decimal
from msgspec import Struct
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from ..documents.drawing import (
    Fonts,
    document_canvas,
    draw_letterhead,
    draw_note_band,
    draw_stamp,
    fit,
    fit_size,
    text_width,
    wrap,
)
from ..documents.template import Color
from ..manage.charts import nice_step
from .context import BarChart, Cell, Column, Headline, Kind, MonthlyReportContext, ReportTable, Term
from .template import ReportTemplate

PAGE_WIDTH, PAGE_HEIGHT = A4
SIGNATURE_LINE_LENGTH = 150
CARD_GAP = 8
SECTION_GAP = 16
#: A text column of a narrow table (one or two number columns) is at most this wide.
NARROW_LABEL_WIDTH = 270
#: A table of at most this many lines is kept on one page; a longer one starts with at least KEEP_ROWS.
SHORT_TABLE_ROWS, KEEP_ROWS = 8, 4


def render_monthly_report(context: MonthlyReportContext, template: ReportTemplate) -> bytes:
    """Return the PDF bytes of the monthly report."""
    fonts = Fonts.register(template.font_regular, template.font_bold)
    pages = _draw(_canvas(io.BytesIO(), context, template), context, template, fonts, pages=0)
    buffer = io.BytesIO()
    canvas = _canvas(buffer, context, template)
    _draw(canvas, context, template, fonts, pages=pages)
    canvas.save()
    return buffer.getvalue()


def _canvas(buffer: io.BytesIO, context: MonthlyReportContext, template: ReportTemplate) -> Canvas:
    title = template.wording.document_title.format(period=context.period)
    return document_canvas(buffer, language=template.language, title=title,
                           organisation=template.organisation, subject=title)


def _draw(canvas: Canvas, context: MonthlyReportContext, template: ReportTemplate, fonts: Fonts, *, pages: int) -> int:
    """Draw every page; returns how many there are."""
    page = _Page(canvas, context, template, fonts, pages)
    page.y = _draw_head(page)
    _draw_headlines(page)
    _draw_charts(page)
    _draw_tables(page)
    _draw_definitions(page)
    _draw_sign_off(page)
    page.finish()
    return page.number


# --- the page and its flow ----------------------------------------------------------------------


class _Page:
    """The canvas with a cursor: `y` is where the next block starts; a block that does not
    fit under it goes to a new page."""

    def __init__(self, canvas: Canvas, context: MonthlyReportContext, template: ReportTemplate, fonts: Fonts,
                 pages: int) -> None:
        self.canvas, self.context, self.template, self.fonts, self.pages = canvas, context, template, fonts, pages
        self.layout, self.wording = template.layout, template.wording
        self.left = self.layout.margin_x
        self.right = PAGE_WIDTH - self.layout.margin_x
        self.width = self.right - self.left
        self.bottom = self.layout.margin_bottom + 10
        self.number = 1
        self.y = PAGE_HEIGHT - self.layout.margin_top

    def ensure(self, height: float) -> None:
        """Start a new page unless `height` fits under the cursor."""
        if self.y - height < self.bottom:
            self.new_page()

    def new_page(self) -> None:
        self._draw_footer()
        self.canvas.showPage()
        self.number += 1
        self.y = self._draw_running_header() - 18

    def finish(self) -> None:
        self._draw_footer()
        self.canvas.showPage()

    # formatting ------------------------------------------------------------------------------

    def number_text(self, value: float, pattern: str) -> str:
        return format_decimal(value, pattern, locale=self.context.language)

    def format(self, value: Cell, kind: Kind) -> str:
        """A cell or figure as printed: numbers in the language's way, None as "no data"."""
        wording = self.wording
        if value is None:
            return wording.no_data
        if isinstance(value, Term):
            params = {name: self.number_text(n, "#,##0") for name, n in value.params}
            return wording.terms[value.code].format(**params)
        if kind == "text" or isinstance(value, str):
            return str(value)
        if kind == "count":
            return self.number_text(value, "#,##0")
        if kind == "percent":
            return wording.percent.format(value=self.number_text(value, "#,##0.0"))
        if kind == "hours":
            return wording.hours.format(value=self.number_text(value, "#,##0.0"))
        return self.number_text(value, "#,##0.00")

    # drawing helpers ------------------------------------------------------------------------

    def text(self, x: float, y: float, text: str, *, bold: bool = False, size: float | None = None,
             color: Color | None = None, align: str = "left") -> None:
        font = self.fonts.bold if bold else self.fonts.regular
        self.canvas.setFont(font, size or self.layout.text_size)
        self.canvas.setFillColorRGB(*(color or self.layout.text_color))
        if align == "right":
            self.canvas.drawRightString(x, y, text)
        elif align == "centre":
            self.canvas.drawCentredString(x, y, text)
        else:
            self.canvas.drawString(x, y, text)

    def heading(self, text: str, size: float | None = None) -> None:
        """A section or block heading at the cursor (the caller has made room for it)."""
        size = size or self.layout.heading_size
        self.y -= size
        self.text(self.left, self.y, fit(text, self.fonts.bold, size, self.width), bold=True, size=size)
        self.y -= 7

    # every page -----------------------------------------------------------------------------

    def _draw_running_header(self) -> float:
        """The organisation and the report's title over a thin rule; returns the rule's y."""
        layout, size = self.layout, self.layout.running_header_size
        baseline = PAGE_HEIGHT - layout.margin_top - size
        title = self.wording.title.format(period=self.context.period)
        title_width = min(text_width(title, self.fonts.regular, size), self.width * 0.6)
        self.text(self.left, baseline, fit(self.template.organisation.name, self.fonts.bold, size,
                                           self.width - title_width - 20), bold=True, size=size)
        self.text(self.right, baseline, fit(title, self.fonts.regular, size, title_width), size=size,
                  color=layout.label_color, align="right")
        y = baseline - 5
        self.canvas.setStrokeColorRGB(*layout.rule_color)
        self.canvas.setLineWidth(0.6)
        self.canvas.line(self.left, y, self.right, y)
        return y

    def _draw_footer(self) -> None:
        """When the report was generated, and "page n of m", under a thin rule."""
        layout, size = self.layout, self.layout.footer_size
        self.canvas.setStrokeColorRGB(*layout.label_color)
        self.canvas.setLineWidth(0.4)
        self.canvas.line(self.left, layout.margin_bottom, self.right, layout.margin_bottom)
        baseline = layout.margin_bottom - 4 - size
        page_label = self.wording.page_label.format(page=self.number, pages=self.pages or "?")
        room = self.width - text_width(page_label, self.fonts.regular, size) - 20
        generated = self.wording.generated.format(date=self.context.generated_on)
        self.text(self.right, baseline, page_label, size=size, color=layout.label_color, align="right")
        self.text(self.left, baseline, fit(f"{self.template.organisation.name} · {generated}", self.fonts.regular,
                                           size, room), size=size)


def _lines(page: _Page, y: float, lines: Sequence[str], *, size: float, leading: float, bold: bool = False,
           color: Color | None = None, x: float | None = None) -> float:
    """Draw lines from baseline `y` down; returns the baseline after the last one."""
    for line in lines:
        page.text(page.left if x is None else x, y, line, bold=bold, size=size, color=color)
        y -= leading
    return y


# --- page 1: letterhead, title, headline figures -----------------------------------------------


def _draw_head(page: _Page) -> float:
    """Letterhead, title, what was counted (and a note for an empty month); returns the y below."""
    layout, wording, fonts, context = page.layout, page.wording, page.fonts, page.context
    y = draw_letterhead(page.canvas, page.left, page.right, page.y, page.width, page.template.organisation,
                        wording, layout, fonts)
    title = wrap(wording.title.format(period=context.period), fonts.bold, layout.title_size, page.width, 2)
    y = _lines(page, y - 18 - layout.title_size * 0.8, title, size=layout.title_size,
               leading=layout.title_size * 1.25, bold=True)
    period = wording.period_line.format(first=context.first_day, last=context.last_day, as_of=context.as_of)
    leading = layout.text_size * 1.4
    y = _lines(page, y + layout.title_size * 1.25 - layout.title_size - 6 - layout.text_size,
               wrap(period, fonts.regular, layout.text_size, page.width, 3),
               size=layout.text_size, leading=leading, color=layout.label_color)
    if context.complaints == 0:
        size = layout.value_size
        lines = wrap(wording.no_complaints, fonts.bold, size, page.width - 14, 2)
        height = len(lines) * size * 1.45 + 8
        top = y + leading - 8
        draw_note_band(page.canvas, page.left, page.right, top, height, layout)
        _lines(page, top - 4 - size, lines, size=size, leading=size * 1.45, bold=True, x=page.left + 9)
        y = top - height - 14
    return y + leading - SECTION_GAP


class _Card(Struct, frozen=True):
    label: list[str]
    value: str
    detail: list[str]


def _draw_headlines(page: _Page) -> None:
    """The headline figures as cards, `card_columns` to a row."""
    layout, fonts = page.layout, page.fonts
    columns = layout.card_columns
    card_width = (page.width - CARD_GAP * (columns - 1)) / columns
    room = card_width - 16
    small = layout.small_size
    cards = [_card(page, headline, room) for headline in page.context.headlines]
    page.ensure(layout.heading_size + 7 + 60)
    page.heading(page.wording.headline_heading)
    for start in range(0, len(cards), columns):
        row = cards[start:start + columns]
        label_lines = max(len(card.label) for card in row)
        detail_lines = max(len(card.detail) for card in row)
        height = 8 + label_lines * (small + 2.5) + layout.card_value_size * 1.3 + detail_lines * (small + 2.5) + 6
        page.ensure(height + CARD_GAP)
        top = page.y
        for index, card in enumerate(row):
            x = page.left + index * (card_width + CARD_GAP)
            page.canvas.setFillColorRGB(*layout.band_color)
            page.canvas.setStrokeColorRGB(*layout.grid_color)
            page.canvas.setLineWidth(0.6)
            page.canvas.roundRect(x, top - height, card_width, height, 4, stroke=1, fill=1)
            y = _lines(page, top - 8 - small * 0.8, card.label, size=small, leading=small + 2.5,
                       color=layout.label_color, x=x + 8)
            y = top - 8 - label_lines * (small + 2.5) - layout.card_value_size * 0.95
            value_size = min(layout.card_value_size,
                             layout.card_value_size * room / max(text_width(card.value, fonts.bold,
                                                                            layout.card_value_size), 1))
            page.text(x + 8, y, card.value, bold=True, size=value_size)
            _lines(page, y - 4 - small, card.detail, size=small, leading=small + 2.5, color=layout.label_color,
                   x=x + 8)
        page.y = top - height - CARD_GAP
    page.y -= SECTION_GAP - CARD_GAP


def _card(page: _Page, headline: Headline, room: float) -> _Card:
    small, fonts = page.layout.small_size, page.fonts
    label = wrap(page.wording.cards[headline.code], fonts.regular, small, room, 2)
    value = page.format(headline.value, headline.kind)
    if headline.value is None:
        value = page.wording.no_data
    detail: list[str] = []
    if headline.detail:
        values = {name: page.format(v, kind) for name, v, kind in headline.detail_values}
        detail = wrap(page.wording.details[headline.detail].format(**values), fonts.regular, small, room, 2)
    return _Card(label, value, detail)


# --- charts --------------------------------------------------------------------------------------


def _draw_charts(page: _Page) -> None:
    layout = page.layout
    page.ensure(layout.heading_size + 7 + layout.value_size + layout.column_chart_height + 40)
    page.heading(page.wording.charts_heading)
    for chart in page.context.charts:
        if chart.shape == "columns":
            _draw_column_chart(page, chart)
        else:
            _draw_bar_chart(page, chart)
        page.y -= SECTION_GAP
    page.y -= SECTION_GAP / 2


def _chart_title(page: _Page, chart: BarChart) -> None:
    size = page.layout.value_size
    page.y -= size
    page.text(page.left, page.y, fit(page.wording.charts[chart.code], page.fonts.bold, size, page.width),
              bold=True, size=size)
    page.y -= 8


def _draw_empty_chart(page: _Page, chart: BarChart, height: float) -> None:
    """The chart's title over a light box saying there is nothing to draw."""
    page.ensure(page.layout.value_size + 8 + height)
    _chart_title(page, chart)
    layout = page.layout
    page.canvas.setFillColorRGB(*layout.band_color)
    page.canvas.setStrokeColorRGB(*layout.grid_color)
    page.canvas.rect(page.left, page.y - height, page.width, height, stroke=1, fill=1)
    text = fit(page.wording.empty_table, page.fonts.regular, layout.text_size, page.width - 20)
    page.text(page.left + page.width / 2, page.y - height / 2 - layout.text_size * 0.35, text,
              color=layout.label_color, align="centre")
    page.y -= height


def _draw_column_chart(page: _Page, chart: BarChart) -> None:
    """Upright columns in order (weeks), a value over each, a scale on the left."""
    layout, fonts = page.layout, page.fonts
    height, small = layout.column_chart_height, layout.small_size
    if not chart.bars or not any(value for _, value in chart.bars):
        _draw_empty_chart(page, chart, 50)
        return
    page.ensure(layout.value_size + 8 + height + small + 10)
    _chart_title(page, chart)
    canvas = page.canvas
    largest = max(value for _, value in chart.bars)
    step = nice_step(largest, 4, integer=True)
    top_value = step * max(1, -(-largest // step))
    axis_width = text_width(page.number_text(top_value, "#,##0"), fonts.regular, small) + 6
    area_left, area_right = page.left + axis_width, page.right
    base = page.y - height + small + 4  # the columns stand on it; their labels go under it
    area_height = page.y - small - 6 - base  # room for the value over the highest column
    canvas.setLineWidth(0.4)
    tick = 0.0
    while tick <= top_value:
        y = base + area_height * tick / top_value
        canvas.setStrokeColorRGB(*layout.grid_color)
        canvas.line(area_left, y, area_right, y)
        page.text(area_left - 4, y - small * 0.35, page.number_text(tick, "#,##0"), size=small,
                  color=layout.label_color, align="right")
        tick += step
    slot = (area_right - area_left) / len(chart.bars)
    column_width = min(slot * 0.6, 46)
    every = max(1, -(-len(chart.bars) * 60 // int(area_right - area_left)))  # labels at least 60 pt apart
    for index, (label, value) in enumerate(chart.bars):
        centre = area_left + slot * (index + 0.5)
        column_height = area_height * value / top_value
        canvas.setFillColorRGB(*layout.bar_color)
        canvas.rect(centre - column_width / 2, base, column_width, column_height, stroke=0, fill=1)
        page.text(centre, base + column_height + 2.5, page.number_text(value, "#,##0"), bold=True, size=small,
                  align="centre")
        if index % every == 0:
            text = fit(page.format(label, "text"), fonts.regular, small, slot * every - 4)
            page.text(centre, base - small - 3, text, size=small, color=layout.label_color, align="centre")
    canvas.setStrokeColorRGB(*layout.rule_color)
    canvas.setLineWidth(0.8)
    canvas.line(area_left, base, area_right, base)
    page.y -= height


def _draw_bar_chart(page: _Page, chart: BarChart) -> None:
    """Lying bars, one per label (at most `chart_max_bars`: the rest summed in one last bar),
    the label on the left, the value at the end of the bar."""
    layout, fonts = page.layout, page.fonts
    bars = list(chart.bars)
    if len(bars) > layout.chart_max_bars:
        kept, rest = bars[: layout.chart_max_bars - 1], bars[layout.chart_max_bars - 1:]
        bars = kept + [(Term("more_categories", (("n", len(rest)),)), sum(value for _, value in rest))]
    if not bars or not any(value for _, value in bars):
        _draw_empty_chart(page, chart, 40)
        return
    small = layout.small_size
    label_width = min(layout.chart_label_width, page.width * 0.4)
    labels = [wrap(page.format(label, "text"), fonts.regular, small, label_width, 2) for label, _ in bars]
    row = max(layout.chart_bar_height, max(len(lines) for lines in labels) * (small + 2)) + layout.chart_bar_gap
    page.ensure(layout.value_size + 8 + row * len(bars) + 4)
    _chart_title(page, chart)
    canvas = page.canvas
    values = [page.number_text(value, "#,##0") for _, value in bars]
    value_width = max(text_width(v, fonts.bold, small) for v in values) + 6
    bar_left = page.left + label_width + 6
    room = page.right - value_width - bar_left
    largest = max(value for _, value in bars)
    top = page.y
    for index, ((_, value), lines, value_text) in enumerate(zip(bars, labels, values, strict=True)):
        middle = top - index * row - (row - layout.chart_bar_gap) / 2  # of the bar and of its label
        label_top = middle + len(lines) * (small + 2) / 2
        _lines(page, label_top - small * 0.85, lines, size=small, leading=small + 2)
        length = room * value / largest if largest else 0
        canvas.setFillColorRGB(*layout.bar_color)
        if length:
            canvas.rect(bar_left, middle - layout.chart_bar_height / 2, max(length, 0.8), layout.chart_bar_height,
                        stroke=0, fill=1)
        page.text(bar_left + length + 3, middle - small * 0.35, value_text, bold=True, size=small)
    bottom = top - len(bars) * row + layout.chart_bar_gap
    canvas.setStrokeColorRGB(*layout.rule_color)
    canvas.setLineWidth(0.8)
    canvas.line(bar_left, top + 2, bar_left, bottom - 2)
    page.y = bottom - 4


# --- tables --------------------------------------------------------------------------------------


class _Row(Struct, frozen=True):
    cells: list[list[str]]  # the lines of each cell
    height: float


def _draw_tables(page: _Page) -> None:
    plans = [_plan(page, table) for table in page.context.tables]
    if not plans:
        return
    page.ensure(page.layout.heading_size + 7 + plans[0].opening)  # the heading never ends a page alone
    page.heading(page.wording.tables_heading)
    for plan in plans:
        _draw_table(page, plan)
        page.y -= SECTION_GAP


def _widths(page: _Page, columns: Sequence[Column]) -> list[float]:
    """Number columns are as wide as the layout says, or as their heading's longest word (up
    to a third more); text columns share the rest (narrow tables stay narrow)."""
    layout, fonts = page.layout, page.fonts
    base = layout.number_column_width
    widths: list[float | None] = []
    for column in columns:
        if column.kind == "text":
            widths.append(None)
            continue
        longest = max(text_width(word, fonts.bold, layout.table_size)
                      for word in page.wording.columns[column.code].split())
        widths.append(min(max(base, longest + 2 * layout.table_padding), base * 1.35))
    numbers = sum(w for w in widths if w is not None)
    texts = sum(1 for w in widths if w is None)
    share = (page.width - numbers) / max(texts, 1)
    if len(columns) - texts <= 2:
        share = min(share, NARROW_LABEL_WIDTH)
    return [share if w is None else w for w in widths]


def _heading_size(page: _Page, columns: Sequence[Column], widths: Sequence[float]) -> float:
    """The column headings' font size: the table's, smaller if a word is wider than its column."""
    layout, fonts = page.layout, page.fonts
    size = layout.table_size
    for column, width in zip(columns, widths, strict=True):
        for word in page.wording.columns[column.code].split():
            size = min(size, fit_size(word, fonts.bold, layout.table_size, width - 2 * layout.table_padding))
    return max(size, layout.small_size - 1)


class _TablePlan(Struct, frozen=True):
    """A table measured before it is drawn."""

    table: ReportTable
    widths: list[float]
    heading_size: float
    headings: list[list[str]]
    header_height: float
    rows: list[_Row]
    title: str
    title_height: float

    @property
    def opening(self) -> float:
        """The height that must fit where the table starts: title, headings and the lines
        kept with them (a short table whole, a long one its first KEEP_ROWS)."""
        kept = self.rows if len(self.rows) <= SHORT_TABLE_ROWS else self.rows[:KEEP_ROWS]
        return self.title_height + self.header_height + sum(row.height for row in kept)


def _plan(page: _Page, table: ReportTable) -> _TablePlan:
    layout, fonts, wording = page.layout, page.fonts, page.wording
    size, pad = layout.table_size, layout.table_padding
    widths = _widths(page, table.columns)
    heading_size = _heading_size(page, table.columns, widths)
    headings = [wrap(wording.columns[c.code], fonts.bold, heading_size, w - 2 * pad, layout.header_lines)
                for c, w in zip(table.columns, widths, strict=True)]
    rows = [_row(page, table.columns, widths, cells) for cells in table.rows]
    if not rows:
        rows = [_Row([[fit(wording.empty_table, fonts.regular, size, sum(widths) - 2 * pad)]], size * 1.3 + 2 * pad)]
    title = wording.tables[table.code]
    return _TablePlan(
        table=table,
        widths=widths,
        heading_size=heading_size,
        headings=headings,
        header_height=max(len(lines) for lines in headings) * heading_size * 1.3 + 2 * pad,
        rows=rows,
        title=title,
        title_height=len(wrap(title, fonts.bold, layout.value_size, page.width, 2)) * (layout.value_size + 2) + 6,
    )


def _draw_table(page: _Page, plan: _TablePlan) -> None:
    """The table's title, its column headings and its lines; a line that does not fit goes to
    a new page under the title "(continued)" and the headings again."""
    columns, widths = plan.table.columns, plan.widths
    page.ensure(plan.opening)
    _table_title(page, plan.title)
    _table_header(page, columns, widths, plan.headings, plan.header_height, plan.heading_size)
    for index, row in enumerate(plan.rows):
        if page.y - row.height < page.bottom:
            page.new_page()
            _table_title(page, page.wording.continued.format(title=plan.title))
            _table_header(page, columns, widths, plan.headings, plan.header_height, plan.heading_size)
        _table_row(page, columns, widths, row, shaded=index % 2 == 1)
    page.canvas.setStrokeColorRGB(*page.layout.rule_color)
    page.canvas.setLineWidth(0.6)
    page.canvas.line(page.left, page.y, page.left + sum(widths), page.y)


def _row(page: _Page, columns: Sequence[Column], widths: Sequence[float], cells: Sequence[Cell]) -> _Row:
    layout, fonts = page.layout, page.fonts
    size, pad = layout.table_size, layout.table_padding
    texts: list[list[str]] = []
    for column, width, cell in zip(columns, widths, cells, strict=True):
        text = page.format(cell, column.kind)
        if column.kind == "text":
            texts.append(wrap(text, fonts.regular, size, width - 2 * pad, layout.label_lines) or [""])
        else:
            texts.append([fit(text, fonts.regular, size, width - 2 * pad)])
    return _Row(texts, max(len(lines) for lines in texts) * size * 1.3 + 2 * pad)


def _table_title(page: _Page, title: str) -> None:
    size = page.layout.value_size
    lines = wrap(title, page.fonts.bold, size, page.width, 2)
    for line in lines:
        page.y -= size + 2
        page.text(page.left, page.y, line, bold=True, size=size)
    page.y -= 6


def _table_header(page: _Page, columns: Sequence[Column], widths: Sequence[float], headings: list[list[str]],
                  height: float, size: float) -> None:
    layout = page.layout
    pad = layout.table_padding
    canvas = page.canvas
    top = page.y
    canvas.setFillColorRGB(*layout.grid_color)
    canvas.rect(page.left, top - height, sum(widths), height, stroke=0, fill=1)
    x = page.left
    for column, width, lines in zip(columns, widths, headings, strict=True):
        y = top - pad - size * 0.85
        for line in lines:
            if column.kind == "text":
                page.text(x + pad, y, line, bold=True, size=size)
            else:
                page.text(x + width - pad, y, line, bold=True, size=size, align="right")
            y -= size * 1.3
        x += width
    page.y = top - height


def _table_row(page: _Page, columns: Sequence[Column], widths: Sequence[float], row: _Row, *, shaded: bool) -> None:
    layout = page.layout
    size, pad = layout.table_size, layout.table_padding
    top = page.y
    if shaded:
        page.canvas.setFillColorRGB(*layout.band_color)
        page.canvas.rect(page.left, top - row.height, sum(widths), row.height, stroke=0, fill=1)
    x = page.left
    for index, (width, lines) in enumerate(zip(widths, row.cells, strict=False)):
        numeric = index < len(columns) and columns[index].kind != "text"
        y = top - pad - size * 0.85
        for line in lines:
            if numeric:
                page.text(x + width - pad, y, line, size=size, align="right")
            else:
                page.text(x + pad, y, line, size=size)
            y -= size * 1.3
        x += width
    page.y = top - row.height


# --- the end ---------------------------------------------------------------------------------------


def _draw_definitions(page: _Page) -> None:
    """How the figures are counted, one bulleted paragraph each."""
    layout, fonts = page.layout, page.fonts
    size, leading = layout.text_size, layout.text_size * 1.4
    paragraphs = [wrap(text, fonts.regular, size, page.width - 12) for text in page.wording.definitions]
    page.ensure(layout.heading_size + 7 + (len(paragraphs[0]) * leading if paragraphs else 0))
    page.heading(page.wording.definitions_heading)
    for lines in paragraphs:
        page.ensure(len(lines) * leading)
        baseline = page.y - size
        page.text(page.left + 2, baseline, "•", size=size, color=layout.label_color)
        _lines(page, baseline, lines, size=size, leading=leading, x=page.left + 12)
        page.y -= len(lines) * leading + 3
    page.y -= SECTION_GAP / 2


def _draw_sign_off(page: _Page) -> None:
    """On behalf of the organisation, a signature line and the round stamp over its right end."""
    layout, wording, fonts = page.layout, page.wording, page.fonts
    page.ensure(2 * layout.stamp_radius + 30)
    line_left = page.left + page.width * 0.5
    line_right = line_left + SIGNATURE_LINE_LENGTH
    baseline = page.y - layout.stamp_radius - 10
    size = layout.value_size
    on_behalf = wrap(wording.on_behalf.format(organisation=page.template.organisation.name), fonts.bold, size,
                     line_left - page.left - 14, 2)
    _lines(page, baseline, on_behalf, size=size, leading=size * 1.4, bold=True)
    canvas = page.canvas
    canvas.setStrokeColorRGB(*layout.label_color)
    canvas.setLineWidth(0.5)
    canvas.line(line_left, baseline - 1.5, line_right, baseline - 1.5)
    page.text((line_left + line_right) / 2, baseline - 3 - layout.small_size,
              fit(wording.signature_label, fonts.regular, layout.small_size, SIGNATURE_LINE_LENGTH),
              size=layout.small_size, color=layout.label_color, align="centre")
    draw_stamp(
        canvas,
        line_right + layout.stamp_radius * 0.35,
        baseline + 6,
        ring_text=page.template.organisation.stamp_ring_text,
        word=wording.stamp_word,
        number=page.context.month,
        date=page.context.stamp_date,
        style=layout,
        fonts=fonts,
    )
    page.y = baseline - layout.stamp_radius
