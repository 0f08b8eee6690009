"""Writing the export's rows as files a spreadsheet opens safely: CSV and XLSX.

Whatever a cell holds, a spreadsheet shows it as text and never runs it as a formula (formula
neutralisation), and phone and ID numbers keep their leading zeros. Both follow from each
column's kind (app.reports.export.Kind), so a new column cannot slip past them.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .export import Column

CSV_MIMETYPE = "text/csv"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Worth of rows buffered before a CSV chunk goes out.
CHUNK_BYTES = 64 * 1024
# The most rows an XLSX sheet holds, header included; more go on a next sheet.
XLSX_SHEET_ROWS = 1_048_576
# A cell a spreadsheet would take as a formula (or split into a new cell or row).
FORMULA_START = "=+-@\t\r\n"


def mimetype(file_format: str) -> str:
    """The media type of "csv" or "xlsx"."""
    return XLSX_MIMETYPE if file_format == "xlsx" else CSV_MIMETYPE


def neutralise(value: str) -> str:
    """A text cell that a spreadsheet will show as text, never run as a formula."""
    return "'" + value if value and value[0] in FORMULA_START else value


def spreadsheet_digits(value: str) -> str:
    """A number written with leading zeros (phone, ID) grouped by spaces, which spreadsheets
    keep as text: "0912345678" -> "0912 345 678". Anything else is left as it is."""
    if not value.isdigit() or len(value) < 2:
        return value
    if len(value) == 10:  # a Vietnamese phone number, as people write it
        return f"{value[:4]} {value[4:7]} {value[7:]}"
    return " ".join(value[i:i + 3] for i in range(0, len(value), 3))


def csv_chunks(columns: Sequence[Column], rows: Iterable[list[str]]) -> Iterator[bytes]:
    """UTF-8 with a BOM (so Excel shows Vietnamese), CRLF, RFC 4180 quoting, formula-safe;
    yielded in chunks of about CHUNK_BYTES."""
    typed = [index for index, column in enumerate(columns) if column.kind.may_be_typed]
    digits = [index for index, column in enumerate(columns) if column.kind.keeps_leading_zeros]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([column.header for column in columns])
    yield b"\xef\xbb\xbf" + buffer.getvalue().encode()
    buffer.seek(0)
    buffer.truncate()
    for row in rows:
        for index in digits:
            row[index] = spreadsheet_digits(row[index])
        for index in typed:
            value = row[index]
            if value and value[0] in FORMULA_START:
                row[index] = neutralise(value)
        writer.writerow(row)
        if buffer.tell() >= CHUNK_BYTES:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()


def _xlsx_cell(sheet, value: str):
    # XML reads a lone CR as a line feed anyway: write the line break spreadsheets use.
    value = ILLEGAL_CHARACTERS_RE.sub("", value).replace("\r\n", "\n").replace("\r", "\n")
    if value.startswith("=") or value in ERROR_CODES:
        # openpyxl would store these as a formula or an error: force plain text.
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def write_xlsx(columns: Sequence[Column], rows: Iterable[list[str]],
               sheet_title: str = "Sổ vào ra",
               more: Sequence[tuple[str, Sequence[Column], Iterable[list[str]]]] = ()
               ) -> IO[bytes]:
    """The rows as an XLSX workbook in a temporary file (rewound), every cell a string, so
    nothing is ever a formula and numbers keep their leading zeros; then a sheet for each of
    `more` (title, columns, rows).

    openpyxl's write-only mode keeps each sheet's rows in its own temporary file, so memory
    stays flat however many rows there are.
    """
    workbook = Workbook(write_only=True)
    output = tempfile.TemporaryFile()
    try:
        sheets, sheet, used = 1, _new_sheet(workbook, sheet_title, columns), 1
        for row in rows:
            if used == XLSX_SHEET_ROWS:
                sheets += 1
                sheet, used = _new_sheet(workbook, f"{sheet_title} {sheets}", columns), 1
            sheet.append([_xlsx_cell(sheet, value) for value in row])
            used += 1
        for title, its_columns, its_rows in more:
            sheet = _new_sheet(workbook, title, its_columns)
            for row in its_rows:
                sheet.append([_xlsx_cell(sheet, value) for value in row])
        workbook.save(output)
    except BaseException:
        # openpyxl deletes its per-sheet files only when saving: visitors' data must not be
        # left behind in the temporary folder by a failed export.
        output.close()
        _remove_sheet_files(workbook)
        raise
    output.seek(0)
    return output


def _new_sheet(workbook: Workbook, title: str, columns: Sequence[Column]):
    sheet = workbook.create_sheet(title)
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    return sheet


def _remove_sheet_files(workbook: Workbook) -> None:
    for sheet in workbook.worksheets:
        writer = getattr(sheet, "_writer", None)
        if writer is None or not isinstance(writer.out, str) or not os.path.exists(writer.out):
            continue
        with contextlib.suppress(Exception):  # finish the sheet's writer, so it lets go
            sheet.close()
        writer.cleanup()
