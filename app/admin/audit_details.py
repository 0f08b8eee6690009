"""How an audit entry's details read on the admin's page: each key by its name, each value as
a person says it (a visit as #12, an employee and an entry point by name, a day as 14/07/2021,
a decision by its words), never a raw key. Every detail recorded has a name here."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..store import clock
from ..store.audit import DETAIL_LABELS as LABELS
from ..store.models import AuditEvent, Decision, Employee, Location, PointKind, Role
from ..web.templating import label

# The words for values that are codes.
_WORDS = {
    "by": {"visit": _l("a visit"), "phone": _l("a phone number"),
           "employee": _l("an employee code")},
    "fields": {"full_name": _l("Full name"), "phone": _l("Phone number")},
    "via": {"command line": _l("the command line"), "daily": _l("the daily job"),
            "code": _l("employee code at the gate"), "sheet": _l("the printed sheet"),
            "test": _l("the test button")},
}


def _day(value: str) -> str:
    try:
        return date.fromisoformat(value).strftime("%d/%m/%Y")
    except (TypeError, ValueError):
        return str(value)


def _moment(value: str) -> str:
    try:
        return clock.to_local(datetime.fromisoformat(value)).strftime("%H:%M %d/%m/%Y")
    except (TypeError, ValueError):
        return str(value)


def _visit(value) -> str:
    return f"#{value}"


def _state(kind: type) -> Callable[[str], str]:
    def words(value: str) -> str:
        try:
            return str(label(kind(value)))
        except ValueError:
            return str(value)
    return words


_FORMATS: dict[str, Callable] = {
    "day": _day, "from": _day, "to": _day, "until": _moment, "visit": _visit,
    "decision": _state(Decision), "kind": _state(PointKind), "role": _state(Role),
    "format": str.upper,
}


class _Names:
    """The employees and entry points the shown entries name, read with one query each."""

    def __init__(self, events: list[AuditEvent]) -> None:
        wanted = {key: {event.details.get(key) for event in events} - {None}
                  for key in ("employee", "location")}
        self.employees = {row.id: f"{row.code} · {row.full_name}" for row in db.session.execute(
            select(Employee.id, Employee.code, Employee.full_name)
            .where(Employee.id.in_(wanted["employee"])))} if wanted["employee"] else {}
        self.locations = {row.id: row.name for row in db.session.execute(
            select(Location.id, Location.name).where(Location.id.in_(wanted["location"])))
            } if wanted["location"] else {}

    def employee(self, value) -> str:
        return self.employees.get(value) or _("#%(id)s (no longer in the register)", id=value)

    def location(self, value) -> str:
        if value is None:
            return _("every entry point")
        return self.locations.get(value) or f"#{value}"


def _value(key: str, value, names: _Names) -> str:
    if key == "employee":
        return names.employee(value)
    if key == "location":
        return names.location(value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(_value(key, item, names) for item in value) or "—"
    if key == "case_visits":
        return _visit(value)
    if key in _WORDS:
        return str(_WORDS[key].get(value, value))
    return _FORMATS.get(key, str)(value)


def describe(events: Iterable[AuditEvent]) -> dict[int, list[tuple[str, str]]]:
    """Each entry's details, by its id: [(what, value)] in words."""
    events = list(events)
    names = _Names(events)
    return {event.id: [(str(LABELS.get(key, key)), _value(key, value, names))
                       for key, value in event.details.items()] for event in events}
