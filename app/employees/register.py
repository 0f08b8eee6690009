"""The employee register: the organisation's own staff and workers, kept by an admin.

It holds only what the gate needs while the person is employed (name, code, department,
phone, optionally the ID number); a deactivated employee's entry is deleted once the
retention period has passed (app.store.retention).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..store import clock
from ..store.models import Employee, EmployeeDevice
from ..store.normalise import (
    EMPLOYEE_CODE,
    clean_text,
    fold_for_search,
    has_control_characters,
    normalise_code,
    normalise_id_number,
    normalise_phone,
)

PAGE_SIZE = 100


class EmployeeError(ValueError):
    """An entry that cannot be stored; the message is for the admin, `field` the field."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class EmployeeEntry:
    """A checked register entry, in its stored form."""

    code: str
    full_name: str
    department: str
    phone: str
    id_number: str | None = None


def _text(value: str | None, field: str, label: str, limit: int) -> str:
    text = " ".join((clean_text(value) or "").split())
    if not text:
        raise EmployeeError(_l("Enter the %(what)s.", what=label), field)
    if len(text) > limit:
        raise EmployeeError(_l("Use at most %(max)d characters.", max=limit), field)
    if has_control_characters(text):
        raise EmployeeError(_l("Please remove the special characters from this field."), field)
    return text


def check_entry(code: str | None, full_name: str | None, department: str | None,
                phone: str | None, id_number: str | None = None) -> EmployeeEntry:
    """The entry as stored, or EmployeeError naming the first field that is wrong."""
    code = normalise_code(code)
    if not code:
        raise EmployeeError(_l("Enter the employee code."), "code")
    if not EMPLOYEE_CODE.fullmatch(code):
        raise EmployeeError(_l("An employee code has up to 30 letters, digits, dots, dashes or "
                               "underscores."), "code")
    name = _text(full_name, "full_name", _l("full name"), 100)
    unit = _text(department, "department", _l("department"), 100)
    mobile = normalise_phone(phone or "")
    if mobile is None:
        raise EmployeeError(_l("Enter a mobile number of 10 digits starting with 0 (or +84), "
                               "e.g. 0912 345 678."), "phone")
    number = None
    if clean_text(id_number):
        number = normalise_id_number(id_number)
        if number is None:
            raise EmployeeError(_l("A CCCD has 12 digits, a CMND 9 digits; a passport number "
                                   "has 6 to 20 letters and digits."), "id_number")
    return EmployeeEntry(code, name, unit, mobile, number)


def by_code(code: str) -> Employee | None:
    """The employee with this code, if any."""
    return db.session.scalar(select(Employee).where(Employee.code == normalise_code(code)))


def differs(employee: Employee, entry: EmployeeEntry) -> bool:
    """True if storing `entry` would change the employee's register entry."""
    return (employee.full_name, employee.department, employee.phone, employee.id_number) != (
        entry.full_name, entry.department, entry.phone, entry.id_number)


def save(entry: EmployeeEntry, employee: Employee | None = None) -> Employee:
    """Add the entry, or write it over `employee` (the caller commits). Codes are unique."""
    holder = by_code(entry.code)
    if holder is not None and holder is not employee:
        raise EmployeeError(_l("The code %(code)s is already someone else's.", code=entry.code),
                            "code")
    return write(entry, employee)


def write(entry: EmployeeEntry, employee: Employee | None = None) -> Employee:
    """save() for a caller that knows the code is free or `employee`'s own (the import, which
    has just read the entries of its chunk's codes)."""
    if employee is None:
        employee = Employee(code=entry.code)
        db.session.add(employee)
    employee.code, employee.full_name, employee.department = (entry.code, entry.full_name,
                                                              entry.department)
    employee.phone, employee.id_number = entry.phone, entry.id_number
    return employee


def set_active(employee: Employee, active: bool) -> None:
    """Deactivate (every enrolled phone stops working at once) or reactivate an employee;
    the caller commits."""
    if active == employee.active:
        return  # again (a second tab, a double click): the retention clock keeps running
    employee.active = active
    employee.deactivated_at = None if active else clock.utcnow()
    if not active:
        employee.devices.clear()


def revoke_device(device: EmployeeDevice) -> None:
    """Stop one enrolled phone (lost, replaced); the caller commits."""
    db.session.delete(device)


def departments() -> list[str]:
    """Every department in the register, in order."""
    return list(db.session.scalars(select(Employee.department).distinct()
                                   .order_by(Employee.department)))


def search(query: str = "", department: str = "", include_inactive: bool = False,
           limit: int = PAGE_SIZE) -> list[Employee]:
    """Employees matching a name (without case or diacritics), a code or a phone number, in
    a department; the register is small (thousands), so names are compared here, the same on
    every database."""
    statement = select(Employee).order_by(Employee.department, Employee.code)
    if department:
        statement = statement.where(Employee.department == department)
    if not include_inactive:
        statement = statement.where(Employee.active.is_(True))
    folded = fold_for_search(query.strip())
    phone = normalise_phone(query) or ""
    found = []
    for employee in db.session.scalars(statement):
        if (not folded or folded in fold_for_search(employee.full_name)
                or folded in employee.code.casefold() or (phone and phone == employee.phone)):
            found.append(employee)
            if len(found) == limit:
                break
    return found
