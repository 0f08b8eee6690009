"""Register workbooks for the import's tests, written part by part: a good one of any length,
and hostile ones (broken XML, bombs) that no spreadsheet program would write."""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape

import openpyxl

HEADINGS = ["Họ tên", "Mã nhân viên", "Bộ phận", "Số điện thoại"]
# The text the hostile files carry in their cells: it must never reach a log.
SECRET_NAME = "Nguyễn Văn Lộ"
SHEET = "xl/worksheets/sheet1.xml"
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _base_parts() -> dict[str, bytes]:
    """The parts of a one-sheet workbook as openpyxl writes it."""
    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def cell(reference: str, text: str) -> str:
    """An inline text cell."""
    return f'<c r="{reference}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'


def row_xml(number: int, values: list[str]) -> str:
    """A row of inline text cells from column A."""
    cells = "".join(cell(f"{chr(65 + i)}{number}", value) for i, value in enumerate(values))
    return f'<row r="{number}">{cells}</row>'


def sheet_xml(rows: str, dimension: str = "A1:D2", before: str = "") -> str:
    """A worksheet part holding `rows` (XML) under a declared dimension."""
    return (f'<?xml version="1.0" encoding="UTF-8"?>{before}<worksheet xmlns="{NS}">'
            f'<dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>')


def workbook(sheet: str | bytes | None = None, **parts: bytes | None) -> bytes:
    """A workbook whose sheet part is `sheet`; other parts replaced (bytes) or left out (None)
    by name, with '/' written as '__' (xl__sharedStrings_xml)."""
    contents = _base_parts()
    if sheet is not None:
        contents[SHEET] = sheet.encode() if isinstance(sheet, str) else sheet
    for key, value in parts.items():
        name = key.replace("__", "/").replace("_xml", ".xml")
        if value is None:
            contents.pop(name, None)
        else:
            contents[name] = value
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def register(count: int, dimension: str | None = None) -> bytes:
    """A good register of `count` employees (declaring `dimension` if given)."""
    rows = [row_xml(1, HEADINGS)]
    rows += [row_xml(n + 2, [f"Nguyễn Thị Công Nhân {n}", f"NV-{n:05d}", f"Xưởng {n % 7}",
                             f"0912{n:06d}"]) for n in range(count)]
    return workbook(sheet_xml("".join(rows), dimension or f"A1:D{count + 1}"))
