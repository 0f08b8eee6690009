"""The register's sample files, to start a list from: the headings the import reads and one
example row, as a CSV that Excel opens with its Vietnamese intact and as an XLSX whose phone
and ID columns are text (so their leading zeros stay, in the example and in rows typed
below it)."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font

from ..reports.export_files import spreadsheet_digits
from .register_import import HEADINGS

# An employee nobody is: importing the sample as it is adds this one row.
EXAMPLE = {"full_name": "Nguyễn Văn An", "code": "NV-001", "department": "Hành chính",
           "phone": "0912345678", "id_number": "001085012345"}
FIELDS = ("full_name", "code", "department", "phone", "id_number")
DIGITS = ("phone", "id_number")
TEXT_FORMAT = "@"  # a spreadsheet's "Text" number format


def sample_csv() -> bytes:
    """UTF-8 with a BOM (so Excel shows Vietnamese), CRLF; the example's numbers grouped by
    spaces, which spreadsheets keep as text and the import reads back."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([HEADINGS[name] for name in FIELDS])
    writer.writerow([spreadsheet_digits(EXAMPLE[name]) if name in DIGITS else EXAMPLE[name]
                     for name in FIELDS])
    return buffer.getvalue().encode("utf-8-sig")


def sample_xlsx() -> bytes:
    """One sheet: the headings in bold, the example as text cells, the phone and ID columns
    formatted as text."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Nhân viên"
    sheet.append([HEADINGS[name] for name in FIELDS])
    sheet.append([EXAMPLE[name] for name in FIELDS])
    for index, name in enumerate(FIELDS, start=1):
        letter = sheet.cell(1, index).column_letter
        sheet.cell(1, index).font = Font(bold=True)
        sheet.column_dimensions[letter].width = 22
        if name in DIGITS:
            sheet.column_dimensions[letter].number_format = TEXT_FORMAT
            sheet.cell(2, index).number_format = TEXT_FORMAT
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
