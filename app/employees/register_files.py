"""Reading an uploaded register file (CSV or XLSX) into rows of cells, within bounds that hold
before the work is done.

A CSV may be separated by commas, semicolons (what Excel writes under Vietnamese settings) or
tabs: the header row decides, read as CSV with each in turn (so a separator inside a quoted
heading does not count).

A file is hostile until read: an XLSX is a zip of XML parts whose sizes, dimensions and cell
references say what they like. So the zip's directory is checked first (each part's size, as
zipfile never reads past the size it declares), the sheet is walked once with elements
cleared as they end (cells per row, cell references and text lengths), and only then does
openpyxl read it, told to read at most MAX_COLUMNS columns whatever the sheet declares. Rows
come one at a time and reading stops at the row limit. Both parse with defusedxml (openpyxl
does when it is installed), which refuses entity declarations, and so entity bombs. Any
failure of a parser, on any row, becomes one message for the admin; nothing of the file's
content goes to a log.
"""

from __future__ import annotations

import csv
import io
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from defusedxml.ElementTree import iterparse
from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook
from openpyxl.utils.cell import coordinate_to_tuple

MAX_FILE_BYTES = 2 * 1024 * 1024
# A register names its five columns near the left; anything further right is not read.
MAX_COLUMNS = 50
# Unpacked sizes of an XLSX's parts. A 10,000-row register's sheet is about 3 MB and is
# walked row by row; its shared strings (about 1 MB) are kept as a list, and styles and the
# workbook's other parts are read whole by openpyxl, so they get less.
MAX_SHEET_BYTES = 24 * 1024 * 1024
MAX_STRINGS_BYTES = 8 * 1024 * 1024
MAX_PART_BYTES = 2 * 1024 * 1024
MAX_PARTS = 200
MAX_CELLS_PER_ROW = 1000
MAX_CELL_CHARACTERS = 10_000
# Excel's own limits: a reference beyond them is not a spreadsheet's.
EXCEL_ROWS, EXCEL_COLUMNS = 1_048_576, 16_384
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
# The separators a CSV may use, as the import page names them; a comma when none splits it.
DELIMITERS = {",": _l("comma (,)"), ";": _l("semicolon (;)"), "\t": _l("tab")}


class FileError(ValueError):
    """The file cannot be read as a register; the message is for the admin."""


@dataclass
class Table:
    """A file's rows, and the separator its CSV uses (None for an XLSX)."""

    rows: list[tuple[int, list]]
    delimiter: str | None = None


def read(filename: str, data: bytes, limit: int) -> Table:
    """The file's rows, each as its number (as a spreadsheet shows it) and its cell values,
    blank ones left out: the header row and at most `limit - 1` rows after it (FileError says
    so at the next one). FileError too for a file that cannot be read, on whichever row."""
    if len(data) > MAX_FILE_BYTES:
        raise FileError(_l("The file is larger than %(mb)d MB.", mb=MAX_FILE_BYTES // 2**20))
    name = filename.lower()
    if name.endswith(".xlsx"):
        delimiter, found = None, _xlsx_rows(data)
    elif name.endswith(".csv"):
        text = _csv_text(data)
        delimiter = _delimiter(text)
        found = _csv_rows(text, delimiter)
    else:
        raise FileError(_l("Choose a .csv or .xlsx file."))
    # openpyxl's warnings may quote a cell; a warning printed once goes to the server's log.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Table(list(_counted(found, limit)), delimiter)


def _counted(found: Iterator[list], limit: int) -> Iterator[tuple[int, list]]:
    count = 0
    for number, row in enumerate(found, start=1):
        if row.count(None) == len(row) or not any(str(cell).strip() for cell in row
                                                   if cell is not None):
            continue
        count += 1
        if count > limit:
            raise FileError(_l("At most %(n)d employees in one file.", n=limit - 1))
        yield number, row


def _csv_text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileError(_l("Save the CSV file as UTF-8 and try again.")) from error


def _delimiter(text: str) -> str:
    """The separator that splits the first row with content into the most cells with content
    (the header row: a register names its columns there); a comma on a tie."""
    def headings(delimiter: str) -> int:
        try:
            for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
                if found := sum(1 for cell in row if cell.strip()):
                    return found
        except csv.Error:
            pass  # reading the file says so
        return 0
    return max(DELIMITERS, key=headings)


def _csv_rows(text: str, delimiter: str) -> Iterator[list]:
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            yield row[:MAX_COLUMNS]
    except csv.Error as error:
        raise FileError(_l("This is not a CSV file that can be read.")) from error


def _xlsx_rows(data: bytes) -> Iterator[list]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _check_parts(archive)
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                sheet = workbook.worksheets[0]
                # The sheet's part, as the workbook names it (openpyxl keeps it unexported).
                _check_sheet(archive, sheet._worksheet_path)
                sheet.reset_dimensions()  # what the sheet declares is not believed
                for row in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
                    yield list(row)
            finally:
                workbook.close()
    except FileError:
        raise
    except Exception as error:  # any parser's failure, on any row
        raise FileError(_l("This is not an XLSX file that can be read.")) from error


def _check_parts(archive: zipfile.ZipFile) -> None:
    parts = archive.infolist()
    if len(parts) > MAX_PARTS:
        raise FileError(_l("This XLSX file has too many parts to be a register."))
    for part in parts:
        limit = (MAX_SHEET_BYTES if part.filename.startswith("xl/worksheets/") else
                 MAX_STRINGS_BYTES if part.filename == "xl/sharedStrings.xml" else
                 MAX_PART_BYTES)
        if part.file_size > limit:
            raise FileError(_l("This XLSX file unpacks to more than a register can hold "
                               "(%(mb)d MB).", mb=limit // 2**20))


def _check_sheet(archive: zipfile.ZipFile, path: str) -> None:
    """Walk the sheet once, keeping nothing: FileError for a row of too many cells, a row or
    cell beyond Excel's grid, or a cell's text too long for any register."""
    too_big = FileError(_l("A row or cell of this file is larger than a register's "
                           "(%(cells)d cells in a row, %(chars)d characters in a cell).",
                           cells=MAX_CELLS_PER_ROW, chars=MAX_CELL_CHARACTERS))
    outside = FileError(_l("This XLSX file names a cell outside a spreadsheet."))
    row_number = cells = 0
    sheet_data = None
    with archive.open(path) as source:
        for event, element in iterparse(source, events=("start", "end")):
            tag = element.tag
            if event == "start":
                if tag == MAIN + "row":
                    row_number, cells = int(element.get("r") or row_number + 1), 0
                    if not 0 < row_number <= EXCEL_ROWS:
                        raise outside
                elif tag == MAIN + "sheetData":
                    sheet_data = element
            elif tag == MAIN + "c":
                cells += 1
                if cells > MAX_CELLS_PER_ROW:
                    raise too_big
                if (reference := element.get("r")) is not None:
                    row, column = coordinate_to_tuple(reference)
                    if not (0 < row <= EXCEL_ROWS and 0 < column <= EXCEL_COLUMNS):
                        raise outside
                element.clear()
            elif tag in (MAIN + "v", MAIN + "t"):
                if len(element.text or "") > MAX_CELL_CHARACTERS:
                    raise too_big
            elif tag == MAIN + "row" and sheet_data is not None:
                sheet_data.clear()  # the rows walked so far are not kept
