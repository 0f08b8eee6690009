"""Importing the employee register from a CSV or XLSX file: read, check every row, show what
would change, and change it only when the admin confirms. Importing the same file again
changes nothing; a row whose code is already in the register updates that entry."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from ..extensions import db
from ..store.database import write_transaction
from ..store.models import Employee
from ..store.normalise import fold_for_search
from . import register_files
from .register import EmployeeEntry, EmployeeError, check_entry, differs, write

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
# Each field's heading in the sample file, and on the page for a column the file lacks.
HEADINGS = {"full_name": "Họ tên", "code": "Mã nhân viên", "department": "Bộ phận",
            "phone": "Số điện thoại", "id_number": "Số CCCD"}
MAX_ROWS = 10_000
# A confirmation page left open longer than this is read again from the file.
CONFIRM_SECONDS = 3600
# Rows stored per write transaction: about 30 ms on SQLite (bench figures in the README).
CHUNK_ROWS = 200


class ImportError_(ValueError):
    """The file cannot be read as a register at all; the message is for the admin."""


@dataclass
class Row:
    """One row of the file: its number as a spreadsheet shows it, and what it means."""

    number: int
    entry: EmployeeEntry | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column heading, why)
    action: str = ""  # "new", "update" or "unchanged" for a row without errors
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # (heading, old, new)


@dataclass
class Preview:
    """What importing the file would do, row by row."""

    rows: list[Row]
    delimiter: str | None = None  # the CSV's separator

    @property
    def errors(self) -> list[Row]:
        return [row for row in self.rows if row.errors]

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def separator(self) -> str | None:
        """The CSV's separator as the page names it ("semicolon (;)")."""
        return register_files.DELIMITERS[self.delimiter] if self.delimiter else None

    def with_action(self, action: str) -> list[Row]:
        """The rows that would be added ("new"), updated or left unchanged, in file order."""
        return [row for row in self.rows if row.action == action]

    @property
    def entries(self) -> list[EmployeeEntry]:
        return [row.entry for row in self.rows if row.entry is not None]


def _cell(value, field_name: str) -> str:
    """A cell as text; numbers that lost their leading zero in a spreadsheet get it back."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    # A CSV saved by a spreadsheet loses the zeros as a number cell does.
    if isinstance(value, int) or (isinstance(value, str) and value.isascii()
                                  and value.strip().isdigit()):
        digits = str(value).strip()
        if field_name == "phone" and len(digits) == 9:
            return "0" + digits  # 912345678 was typed as 0912345678
        if field_name == "id_number" and len(digits) in (10, 11):
            return digits.zfill(12)  # a CCCD starts with 0: 001085012345
        return digits
    return str(value)


def preview(filename: str, data: bytes) -> Preview:
    """Every row of the file checked, and what importing it would do; ImportError_ when the
    file cannot be read or lacks a required column. The file is read before the register is,
    so no transaction is open while it is."""
    try:
        table = register_files.read(filename, data, limit=MAX_ROWS + 1)
    except register_files.FileError as error:
        raise ImportError_(str(error)) from error
    if not table.rows:
        raise ImportError_(_l("The file is empty."))
    headings = [str(cell or "").strip() for cell in table.rows[0][1]]
    columns = _columns(headings)
    found = [(number, _cells(values, columns)) for number, values in table.rows[1:]]
    return Preview(_checked(found, headings, columns, _register()), table.delimiter)


def _columns(headings: list[str]) -> dict[str, int | None]:
    folded = [fold_for_search(heading) for heading in headings]
    columns = {name: next((i for i, h in enumerate(folded) if h in accepted), None)
               for name, accepted in FIELDS.items()}
    missing = [name for name in REQUIRED if columns[name] is None]
    if missing:
        raise ImportError_(_l("The first row must name the columns; missing: %(names)s.",
                              names=", ".join(HEADINGS[name] for name in missing)))
    return columns


def _cells(values: list, columns: dict[str, int | None]) -> dict[str, str]:
    return {name: _cell(values[i], name) if i is not None and i < len(values) else ""
            for name, i in columns.items()}


def _checked(found: list[tuple[int, dict[str, str]]], headings: list[str],
             columns: dict[str, int | None], register: dict[str, Employee]) -> list[Row]:
    rows, seen = [], {}
    for number, cells in found:
        if not any(value.strip() for value in cells.values()):
            continue  # a line with nothing in the register's columns
        row = Row(number)
        try:
            row.entry = check_entry(**cells)
        except EmployeeError as error:
            index = columns.get(error.field)
            row.errors.append((headings[index] if index is not None else HEADINGS[error.field],
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
            if row.action == "update":
                row.changes = _changes(existing, row.entry, headings, columns)
        rows.append(row)
    return rows


def _changes(employee: Employee, entry: EmployeeEntry, headings: list[str],
             columns: dict[str, int | None]) -> list[tuple[str, str, str]]:
    """(the column's heading, the register's value, the file's) for each field that changes;
    "" for none (a file without the ID column clears the ID numbers it had)."""
    changed = []
    for name in ("full_name", "department", "phone", "id_number"):
        old, new = getattr(employee, name) or "", getattr(entry, name) or ""
        if old != new:
            index = columns[name]
            changed.append((headings[index] if index is not None else HEADINGS[name], old, new))
    return changed


def _register() -> dict[str, Employee]:
    """Every entry of the register by code (read once: the register is thousands at most)."""
    return {employee.code: employee for employee in db.session.scalars(select(Employee))}


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
    """Add the new entries and update the changed ones, CHUNK_ROWS at a time, each chunk a
    write transaction of its own: a check-in waits for one chunk at most, never for the whole
    file. {action: count}. Stopped half-way, the same file imported again completes it."""
    counts = {"new": 0, "update": 0, "unchanged": 0}
    for start in range(0, len(entries), CHUNK_ROWS):
        chunk = entries[start:start + CHUNK_ROWS]
        with write_transaction():
            register = {employee.code: employee for employee in db.session.scalars(
                select(Employee).where(Employee.code.in_([entry.code for entry in chunk])))}
            for entry in chunk:
                action = _store(entry, register.get(entry.code))
                counts[action] += 1
    return counts


def _store(entry: EmployeeEntry, existing: Employee | None) -> str:
    if existing is None:
        write(entry)
        return "new"
    if differs(existing, entry):
        write(entry, existing)
        return "update"
    return "unchanged"
