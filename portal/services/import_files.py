"""Reading an import file: CSV as Finnish Excel writes it, or an Excel workbook (.xlsx).

CSV: UTF-8 with or without a byte order mark ("CSV UTF-8" in Excel); a file that is not valid
UTF-8 is read as Windows-1252, what Excel's plain "CSV" writes on Finnish Windows, and the
report says so. The separator is found from the header line: `;` (Excel in Finnish), `,` or
a tab. XLSX: the first worksheet, its first row the header.

A row is handed on as (line number, list of cell texts); the header is line 1.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

FALLBACK_ENCODING = "cp1252"
SEPARATORS = (";", ",", "\t")


class ImportFileError(Exception):
    """The file cannot be read as a table at all; `code` says why, `column` names a header."""

    def __init__(self, code: str, column: str | None = None):
        super().__init__(code)
        self.code, self.column = code, column


@dataclass
class Table:
    """An import file's header and rows, and how it was read."""

    header: list[str]
    rows: Iterator[tuple[int, list[str]]] = field(repr=False)
    encoding: str
    separator: str | None
    total: int | None  # about how many rows, for the progress bar


def _decode(data: bytes, encoding: str | None) -> tuple[str, str]:
    """The text and the encoding it was read in (UTF-8, BOM or not; else Windows-1252)."""
    if encoding:
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError):
            raise ImportFileError("encoding") from None
    try:
        return data.decode("utf-8-sig"), "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    except UnicodeDecodeError:
        return data.decode(FALLBACK_ENCODING, errors="replace"), FALLBACK_ENCODING


def _separator(header_line: str) -> str:
    """The separator the header uses most: ';', ',' or a tab."""
    counts = {sep: header_line.count(sep) for sep in SEPARATORS}
    best = max(SEPARATORS, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _csv_rows(reader) -> Iterator[tuple[int, list[str]]]:
    """Each record with the line it starts on; blank lines are skipped."""
    start = reader.line_num + 1
    for record in reader:
        if any(cell.strip() for cell in record):
            yield start, record
        start = reader.line_num + 1


def read_csv(data: bytes, encoding: str | None = None) -> Table:
    """A CSV file's header and rows."""
    text, used = _decode(data, encoding)
    if "\x00" in text:
        raise ImportFileError("encoding")
    first_line = text.split("\n", 1)[0]
    separator = _separator(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError("empty") from None
    return Table(header, _csv_rows(reader), used, separator, max(text.count("\n") - 1, 1))


def _cell_text(value) -> str:
    """An Excel cell as the text a CSV would hold (dates ISO, whole numbers without '.0')."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(Decimal(repr(value)))
    return str(value)


def read_xlsx(path: Path) -> Table:
    """The first worksheet of an Excel workbook as a table (needs openpyxl)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any unreadable workbook is the same answer
        raise ImportFileError("xlsx") from None
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    try:
        header = [_cell_text(v) for v in next(rows)]
    except StopIteration:
        book.close()
        raise ImportFileError("empty") from None
    while header and not header[-1]:
        header.pop()

    def body() -> Iterator[tuple[int, list[str]]]:
        """The rows under the header, as text, cut to the header's width (blank rows skipped)."""
        for line, values in enumerate(rows, start=2):
            cells = [_cell_text(v) for v in values[:len(header)]]
            if any(cell.strip() for cell in cells):
                yield line, cells
        book.close()

    return Table(header, body(), "xlsx", None, (sheet.max_row or 2) - 1)


def read_table(path: Path, encoding: str | None = None) -> Table:
    """The file at `path` as a table: .xlsx by its name, anything else as CSV."""
    if path.suffix.lower() == ".xlsx":
        return read_xlsx(path)
    return read_csv(path.read_bytes(), encoding)
