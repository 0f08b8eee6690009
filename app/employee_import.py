"""Importing the employee register from a CSV or XLSX file: read, check every row, show what
would change, and change it only when the admin confirms. Importing the same file again
changes nothing; a row whose code is already in the register updates that entry."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from openpyxl import load_workbook
from sqlalchemy import select

from .employees import EmployeeEntry, EmployeeError, check_entry, differs, write
from .extensions import db
from .models import Employee
from .normalise import fold_for_search

# The register's fields, and the headings a file may give them (compared without case or
# diacritics): the Vietnamese the organisation's own lists use, or English.
FIELDS: dict[str, tuple[str, ...]] = {
    "full_name": ("ho ten", "ho va ten", "full name", "name"),
    "code": ("ma nhan vien", "ma nv", "employee code", "code"),
    "department": ("bo phan", "phong ban", "department"),
    "phone": ("so dien thoai", "dien thoai", "sdt", "phone", "phone number"),
    "id_number": ("so cccd", "cccd", "so cccd/cmnd", "so cccd / cmnd", "id number"),
}
REQUIRED = ("full_name", "code", "department", "phone")
MAX_ROWS = 10_000
MAX_FILE_BYTES = 2 * 1024 * 1024
# A confirmation page left open longer than this is read again from the file.
CONFIRM_SECONDS = 3600


class ImportError_(ValueError):
    """The file cannot be read as a register at all; the message is for the admin."""


@dataclass
class Row:
    """One row of the file: its number as a spreadsheet shows it, and what it means."""

    number: int
    entry: EmployeeEntry | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column heading, why)
    action: str = ""  # "new", "update" or "unchanged" for a row without errors


@dataclass
class Preview:
    """What importing the file would do."""

    rows: list[Row]

    @property
    def errors(self) -> list[Row]:
        return [row for row in self.rows if row.errors]

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def entries(self) -> list[EmployeeEntry]:
        return [row.entry for row in self.rows if row.entry is not None]


def _cell(value, field_name: str) -> str:
    """A cell as text; numbers that lost their leading zero in a spreadsheet get it back."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        digits = str(value)
        if field_name == "phone" and len(digits) == 9:
            return "0" + digits  # 912345678 was typed as 0912345678
        if field_name == "id_number" and len(digits) in (10, 11):
            return digits.zfill(12)  # a CCCD starts with 0: 001085012345
        return digits
    return str(value)


def _table(filename: str, data: bytes) -> list[list]:
    if len(data) > MAX_FILE_BYTES:
        raise ImportError_(_l("The file is larger than %(mb)d MB.", mb=MAX_FILE_BYTES // 2**20))
    if filename.lower().endswith(".xlsx"):
        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
            raise ImportError_(_l("This is not an XLSX file that can be read.")) from error
        try:
            return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
        finally:
            workbook.close()
    if filename.lower().endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ImportError_(_l("Save the CSV file as UTF-8 and try again.")) from error
        try:
            return list(csv.reader(io.StringIO(text, newline="")))
        except csv.Error as error:
            raise ImportError_(_l("This is not a CSV file that can be read.")) from error
    raise ImportError_(_l("Choose a .csv or .xlsx file."))


def preview(filename: str, data: bytes) -> Preview:
    """Every row of the file checked, and what importing it would do; ImportError_ when the
    file cannot be read or lacks a required column."""
    table = _table(filename, data)
    if not table:
        raise ImportError_(_l("The file is empty."))
    headings = [str(cell or "").strip() for cell in table[0]]
    folded = [fold_for_search(heading) for heading in headings]
    columns = {name: next((i for i, h in enumerate(folded) if h in accepted), None)
               for name, accepted in FIELDS.items()}
    missing = [name for name in REQUIRED if columns[name] is None]
    if missing:
        raise ImportError_(_l("The first row must name the columns; missing: %(names)s.",
                              names=", ".join(_heading(name) for name in missing)))
    if len(table) - 1 > MAX_ROWS:
        raise ImportError_(_l("At most %(n)d employees in one file.", n=MAX_ROWS))
    rows, seen, register = [], {}, _register()
    for number, values in enumerate(table[1:], start=2):
        cells = {name: _cell(values[i], name) if i is not None and i < len(values) else ""
                 for name, i in columns.items()}
        if not any(value.strip() for value in cells.values()):
            continue  # an empty line
        row = Row(number)
        try:
            row.entry = check_entry(**cells)
        except EmployeeError as error:
            index = columns.get(error.field)
            row.errors.append((headings[index] if index is not None else _heading(error.field),
                               str(error)))
        if row.entry is not None and row.entry.code in seen:
            row.errors.append((headings[columns["code"]], str(_l(
                "The code %(code)s is on row %(row)d too.", code=row.entry.code,
                row=seen[row.entry.code]))))
        if row.entry is not None:
            seen.setdefault(row.entry.code, number)
        if row.errors:
            row.entry = None
        else:
            existing = register.get(row.entry.code)
            row.action = ("new" if existing is None else
                          "update" if differs(existing, row.entry) else "unchanged")
        rows.append(row)
    return Preview(rows)


def _register() -> dict[str, Employee]:
    """Every entry of the register by code (read once: the register is thousands at most)."""
    return {employee.code: employee for employee in db.session.scalars(select(Employee))}


def _heading(field_name: str) -> str:
    return {"full_name": "Họ tên", "code": "Mã nhân viên", "department": "Bộ phận",
            "phone": "Số điện thoại", "id_number": "Số CCCD"}[field_name]


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"],
                                  salt="gatebook-employee-import")


def sealed(entries: list[EmployeeEntry]) -> str:
    """The checked entries, signed, for the confirmation form to send back."""
    return _serializer().dumps([[e.code, e.full_name, e.department, e.phone, e.id_number]
                                for e in entries])


def unsealed(token: str) -> list[EmployeeEntry] | None:
    """The entries of a confirmation form, or None if it was altered or left open too long."""
    try:
        rows = _serializer().loads(token, max_age=CONFIRM_SECONDS)
    except BadSignature:
        return None
    return [EmployeeEntry(*row) for row in rows]


def apply(entries: list[EmployeeEntry]) -> dict[str, int]:
    """Add the new entries and update the changed ones (the caller commits): {action: count}."""
    counts = {"new": 0, "update": 0, "unchanged": 0}
    register = _register()
    for entry in entries:
        existing = register.get(entry.code)
        if existing is None:
            register[entry.code] = write(entry)
            counts["new"] += 1
        elif differs(existing, entry):
            write(entry, existing)
            counts["update"] += 1
        else:
            counts["unchanged"] += 1
    return counts
