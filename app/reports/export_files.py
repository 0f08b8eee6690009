"""Writing the export's rows as files a spreadsheet opens safely: CSV and XLSX.

Whatever text a cell holds, a spreadsheet shows it as text and never runs it as a formula
(formula neutralisation), and phone and ID numbers keep their leading zeros; in the XLSX, the
times and numbers the application writes itself are real date-times and numbers. All of it
follows from each column's kind (app.reports.export.Kind), so a new column cannot slip past.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from copy import copy
from datetime import date, datetime
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter

from .export import Column, Kind

CSV_MIMETYPE = "text/csv"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Worth of rows buffered before a CSV chunk goes out.
CHUNK_BYTES = 64 * 1024
# The most rows an XLSX sheet holds, header included; more go on a next sheet.
XLSX_SHEET_ROWS = 1_048_576
# A cell a spreadsheet would take as a formula (or split into a new cell or row).
FORMULA_START = "=+-@\t\r\n"
# How the XLSX shows a local time, and a day.
TIME_FORMAT = "dd/mm/yyyy hh:mm"
DATE_FORMAT = "dd/mm/yyyy"
# A highlighted row (someone declared symptoms, contacts or travel): light amber.
FLAGGED_FILL = PatternFill(fill_type="solid", start_color="FFFFE699", end_color="FFFFE699")
# The rows read ahead to fit the columns' widths to their content, and the widest column.
WIDTH_SAMPLE_ROWS = 500
MAX_WIDTH = 60


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


def _typed_value(kind: Kind, value: str) -> object:
    """What a cell of the application's own (a time, a day, a number) holds in the XLSX:
    a date-time, a date or a number; the text as it is should it ever not read as its kind
    (it is then written as text, like any other)."""
    try:
        if kind is Kind.TIME:  # "2021-07-14 09:05:00", local time
            return datetime.fromisoformat(value)
        if kind is Kind.DATE:
            return date.fromisoformat(value)
        if value.lstrip("-").isdigit():
            return int(value)
        return float(value.replace(",", "."))  # 37,5 °C
    except ValueError:
        return value


class _SheetWriter:
    """Makes the cells of a sheet's rows: each by its column's kind (a date-time, a date,
    a number, or text that is never a formula), a highlighted row's cells filled."""

    def __init__(self, sheet, columns: Sequence[Column]) -> None:
        self.kinds = [column.kind for column in columns]
        self.typed = [not column.kind.may_be_typed for column in columns]
        formats = [TIME_FORMAT if column.kind is Kind.TIME
                   else DATE_FORMAT if column.kind is Kind.DATE
                   else column.number_format for column in columns]
        # Each column's style, plain and highlighted, made once (a cell gets a copy): a
        # workbook's styles are its sheets'.
        self.plain = [_style(sheet, number_format, False) for number_format in formats]
        self.highlighted = [_style(sheet, number_format, True) for number_format in formats]
        self.filled = _style(sheet, "", True)

    def cells(self, sheet, row: Sequence[str], highlight: bool) -> list:
        cells = []
        for typed, kind, style, value in zip(self.typed, self.kinds,
                                             self.highlighted if highlight else self.plain,
                                             row, strict=True):
            if not value:  # an empty cell is left out (unless it is to be filled)
                value = None
            elif typed:
                value = _typed_value(kind, value)
            if isinstance(value, str):  # typed by someone, or a number that is not one
                value = _xlsx_cell(sheet, value)
                style = self.filled if highlight else None
            if style is not None and (value is not None or highlight):
                if isinstance(value, Cell):
                    value.fill = FLAGGED_FILL
                else:
                    value = Cell(sheet, row=1, column=1, value=value, style_array=copy(style))
            cells.append(value)
        return cells


def _style(sheet, number_format: str, highlighted: bool) -> StyleArray | None:
    """A cell style with this number format, filled if `highlighted`; None for the default."""
    if not number_format and not highlighted:
        return None
    cell = WriteOnlyCell(sheet)
    if number_format:
        cell.number_format = number_format
    if highlighted:
        cell.fill = FLAGGED_FILL
    return cell._style


def _widths(columns: Sequence[Column], first_rows: Sequence[Sequence[str]]) -> list[int]:
    """Each column's width: its estimate, or wider to fit its header (and the filter's
    button beside it) or the longest line of its first rows' cells, up to MAX_WIDTH."""
    widths = []
    for index, column in enumerate(columns):
        if column.kind is Kind.TIME:
            longest = len("dd/mm/yyyy hh:mm")
        elif column.kind is Kind.DATE:
            longest = len("dd/mm/yyyy")
        else:
            longest = max((len(line) for row in first_rows
                           for line in row[index].splitlines()), default=0)
        widths.append(min(MAX_WIDTH, max(column.width, len(column.header) + 3, longest + 2)))
    return widths


def write_xlsx(columns: Sequence[Column], rows: Iterable[list[str]],
               sheet_title: str = "Sổ vào ra",
               more: Sequence[tuple[str, Sequence[Column], Iterable[list[str]]]] = (),
               highlight: Callable[[Sequence[str]], bool] | None = None) -> IO[bytes]:
    """The rows as an XLSX workbook in a temporary file (rewound), then a sheet for each of
    `more` (title, columns, rows). Times are date-times (local, shown dd/mm/yyyy hh:mm),
    numbers are numbers, everything else (phone and ID numbers included) is text, never a
    formula. Each sheet has its header frozen and a filter over its table, and columns fitted
    to its first rows; the rows for which `highlight` is true are filled.

    openpyxl's write-only mode keeps each sheet's rows in its own temporary file, so memory
    stays flat however many rows there are.
    """
    workbook = Workbook(write_only=True)
    output = tempfile.TemporaryFile()
    try:
        _write_sheets(workbook, sheet_title, columns, rows, highlight)
        for title, its_columns, its_rows in more:
            _write_sheets(workbook, title, its_columns, its_rows)
        workbook.save(output)
    except BaseException:
        # openpyxl deletes its per-sheet files only when saving: visitors' data must not be
        # left behind in the temporary folder by a failed export.
        output.close()
        _remove_sheet_files(workbook)
        raise
    output.seek(0)
    return output


def _write_sheets(workbook: Workbook, title: str, columns: Sequence[Column],
                  rows: Iterable[list[str]],
                  highlight: Callable[[Sequence[str]], bool] | None = None) -> None:
    """The rows on a sheet called `title`, going on to "`title` 2" and so on when they are more
    than a sheet holds. The columns' widths fit the first WIDTH_SAMPLE_ROWS rows, read ahead
    of the others (a month of rows is never held in memory)."""
    rows = iter(rows)
    first_rows = list(itertools.islice(rows, WIDTH_SAMPLE_ROWS))
    widths = _widths(columns, first_rows)
    sheets, sheet, used = 1, _new_sheet(workbook, title, columns, widths), 1
    writer = _SheetWriter(sheet, columns)
    for row in itertools.chain(first_rows, rows):
        if used == XLSX_SHEET_ROWS:
            _end_sheet(sheet, columns, used)
            sheets += 1
            sheet, used = _new_sheet(workbook, f"{title} {sheets}", columns, widths), 1
        sheet.append(writer.cells(sheet, row, highlight is not None and highlight(row)))
        used += 1
    _end_sheet(sheet, columns, used)


def _new_sheet(workbook: Workbook, title: str, columns: Sequence[Column],
               widths: Sequence[float]):
    sheet = workbook.create_sheet(title)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.print_title_rows = "1:1"  # printed, each page repeats the header
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    return sheet


def _end_sheet(sheet, columns: Sequence[Column], rows: int) -> None:
    """A filter over the sheet's table: the header and its `rows` - 1 rows."""
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{rows}"


def _remove_sheet_files(workbook: Workbook) -> None:
    for sheet in workbook.worksheets:
        writer = getattr(sheet, "_writer", None)
        if writer is None or not isinstance(writer.out, str) or not os.path.exists(writer.out):
            continue
        with contextlib.suppress(Exception):  # finish the sheet's writer, so it lets go
            sheet.close()
        writer.cleanup()
