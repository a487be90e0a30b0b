"""Cells and workbooks for the files staff open in a spreadsheet (the CSV and XLSX exports).

Text that starts like a formula is written with a leading apostrophe, so that no spreadsheet
runs it (formula injection through a complainant's name or subject); numbers stay numbers.

Workbooks are written in memory by XlsxWriter, which a worker loads with its first workbook, not
at start-up. It writes a workbook in about a quarter of the CPU openpyxl took (docs/performance.md,
"XLSX by XlsxWriter, SQLite's contact searches from a trigram index, ...") and escapes control
characters instead of refusing them; openpyxl still reads workbooks in the tests.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: A spreadsheet would run a cell starting with one of these as a formula.
FORMULA_STARTS = "=+-@\t\r"
#: Text is written as text: never turned into a formula, a link or a number.
_WORKBOOK_OPTIONS = {
    "in_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


def as_text(value: Any) -> Any:
    """`value` for a cell: text that starts like a formula gets a leading apostrophe."""
    if isinstance(value, str) and value and value[0] in FORMULA_STARTS:
        return "'" + value
    return value


def xlsx(fill: Callable[[Any], None], *, author: str | None = None) -> bytes:
    """The XLSX file that `fill` writes into a new XlsxWriter workbook (given as its argument)."""
    import xlsxwriter  # loaded by the first workbook, not by every worker at start-up

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, _WORKBOOK_OPTIONS)
    if author:
        workbook.set_properties({"author": author})
    fill(workbook)
    workbook.close()
    return buffer.getvalue()
