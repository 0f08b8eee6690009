"""The receptionist's view of a day: the list, its filters, counters, changes and chart."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, bindparam, exists, func, or_, select, text, true
from sqlalchemy.orm import joinedload, selectinload

from ..admin.entry_points import find_by_id
from ..checkin import presences
from ..extensions import db
from ..store import clock
from ..store.models import (
    MAX_ID,
    PARTY_SQL,
    REPLACED_SQL,
    CheckoutReason,
    Companion,
    Decision,
    GateDecision,
    Presence,
    Visit,
    VisitSource,
)
from ..store.normalise import fold_for_search, parse_whole_number

_VISIT, _PRESENCE = Visit.__table__, Presence.__table__

PAGE_SIZE = 50
# How often an open dashboard asks whether anything changed.
POLL_SECONDS = 2
# Transactions that commit out of order (PostgreSQL) are caught by looking back this far.
CHANGE_OVERLAP = timedelta(seconds=5)
# A check-out at reception can be undone from the list for this long; the server accepts the
# undo a little longer, for a slow network.
UNDO_SECONDS = 10
UNDO_ACCEPTED = timedelta(seconds=UNDO_SECONDS + 20)

# A place in the list: (check-in time, visit id). The list runs newest first.
Cursor = tuple[datetime, int]
_CURSOR = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6})Z/"
                     r"([0-9]{10})")


def cursor(visit: Visit) -> str:
    """The visit's place in the list as text that sorts as the list does (oldest first as
    text): its check-in time in UTC to the microsecond, then its number."""
    return f"{visit.checked_in_at:%Y-%m-%dT%H:%M:%S.%f}Z/{visit.id:010d}"


def parse_cursor(text: str | None) -> Cursor | None:
    """A place in the list written by cursor(), or None if the text is not one."""
    match = _CURSOR.fullmatch(text or "")
    if match is None:
        return None
    visit_id = parse_whole_number(match.group(2).lstrip("0") or "0", MAX_ID)
    try:
        at = datetime.fromisoformat(match.group(1) + "+00:00")
    except ValueError:
        return None
    return (at, visit_id) if visit_id is not None else None


def _older_than(place: Cursor):
    at, visit_id = place
    return or_(Visit.checked_in_at < at, and_(Visit.checked_in_at == at, Visit.id < visit_id))


def _not_older_than(place: Cursor):
    at, visit_id = place
    return or_(Visit.checked_in_at > at, and_(Visit.checked_in_at == at, Visit.id >= visit_id))


# Whose visits the list shows: the visitors (the desk's default), the organisation's own
# employees, or everyone.
VISITORS, EMPLOYEES, EVERYONE = "visitors", "employees", "all"


@dataclass(frozen=True)
class VisitFilters:
    """What the receptionist narrowed the list to."""

    location_id: int | None = None
    flagged_only: bool = False
    inside_only: bool = False
    query: str = ""
    who: str = EVERYONE

    def apply(self, statement, day: date):
        """Add these filters to a SELECT over Visit (of `day`, for the entry point: its party
        was there that day, whether it came in there or moved there)."""
        if self.who == VISITORS:
            statement = statement.where(Visit.employee_code.is_(None))
        elif self.who == EMPLOYEES:
            statement = statement.where(Visit.employee_code.is_not(None))
        if self.location_id:
            start, end = clock.local_day_bounds(day)
            statement = statement.where(presences.was_at(self.location_id, start, end))
        if self.flagged_only:
            statement = statement.where(Visit.flagged.is_(True))
        if self.inside_only:
            statement = statement.where(Visit.checked_out_at.is_(None))
        folded = fold_for_search(self.query.strip())
        if re.fullmatch(r"\+?[0-9 .\-()]{3,}", folded):  # a phone number, however it is typed
            folded = re.sub(r"[^0-9+]", "", folded)
            folded = "0" + folded[3:] if folded.startswith("+84") else folded.lstrip("+")
        if folded:
            statement = statement.where(Visit.search_text.contains(folded, autoescape=True))
        return statement


@dataclass(frozen=True)
class Counters:
    """The day's figures. People (a visitor's companions count) who came and who are inside,
    each with how many of them are employees; visits (check-ins) flagged and still waiting."""

    visits: int
    people: int
    inside: int
    flagged: int
    undecided: int  # flagged, and the gate has not recorded what it did
    employee_visits: int
    employees_inside: int
    # [(entry point name, people there now)]: where the people inside are.
    inside_by_point: tuple[tuple[str, int], ...] = ()


def _on_day(day: date):
    start, end = clock.local_day_bounds(day)
    return and_(Visit.checked_in_at >= start, Visit.checked_in_at < end, Visit.counted())


class Decided:
    """What the gate decided about a row's visit, as the row shows it."""

    __slots__ = ("decision",)

    def __init__(self, decision: Decision) -> None:
        self.decision = decision


class PartyMember:
    """A companion, as the row names them."""

    __slots__ = ("full_name", "birth_year", "flagged")

    def __init__(self, full_name: str, birth_year: int, flagged: bool) -> None:
        self.full_name, self.birth_year, self.flagged = full_name, birth_year, flagged


class DeskRow:
    """One visit as a row of the desk's list shows it, read as a plain row (the list never
    writes, and a page of ORM objects with their identity map and change tracking costs
    several times more): the visit's columns the row shows, its entry point, the gate's
    decision, where its party is now and its companions, under the names Visit gives them;
    and what the row writes of them worked out here once (see shown()), not by the
    template's filters for each row."""

    __slots__ = ("id", "location_id", "checked_in_at", "checked_out_at", "checkout_by",
                 "full_name", "phone", "birth_year", "flagged", "source", "changed_at",
                 "party_size", "employee_code", "department", "gate_decision", "location",
                 "place_now", "party", "state", "key", "version", "came", "left")

    def __init__(self, id, location_id, checked_in_at, checked_out_at, checkout_by,  # noqa: A002
                 full_name, phone, birth_year, flagged, source, changed_at, party_size,
                 employee_code, department, decision) -> None:
        self.id, self.location_id = id, location_id
        self.checked_in_at, self.checked_out_at = checked_in_at, checked_out_at
        self.checkout_by, self.full_name, self.phone = checkout_by, full_name, phone
        self.birth_year, self.flagged, self.source = birth_year, flagged, source
        self.changed_at, self.party_size = changed_at, party_size
        self.employee_code, self.department = employee_code, department
        self.gate_decision = Decided(decision) if decision is not None else None
        self.place_now = None
        self.party: list = []

    @classmethod
    def of(cls, visit: Visit) -> DeskRow:
        """The row of a visit loaded whole (one row after a change made from it)."""
        decided = visit.gate_decision
        row = cls(*(getattr(visit, name) for name in cls.__slots__[:14]),
                  decided.decision if decided is not None else None)
        row.party = visit.party
        return row.shown(find_by_id(visit.location_id), clock.local_zone())

    def shown(self, location, zone) -> DeskRow:
        """With its entry point, and what the row writes: the state (its class), its place
        in the list, its version, and the local times it came and left (`zone`)."""
        self.location = location
        self.state = (("flagged " if self.flagged else "")
                      + ("" if self.checked_out_at is None else "closed")).strip()
        self.key = cursor(self)
        self.version = self.changed_at.isoformat()
        self.came = self.checked_in_at.astimezone(zone).strftime("%H:%M")
        self.left = (self.checked_out_at.astimezone(zone).strftime("%H:%M")
                     if self.checked_out_at is not None else "")
        return self

    @property
    def is_open(self) -> bool:
        """True while the visitor has not checked out."""
        return self.checked_out_at is None


_DECISION = GateDecision.__table__
_COMPANION = Companion.__table__
# What a row shows, with the gate's decision: the list's statements start from it.
_ROWS = select(*(_VISIT.c[name] for name in DeskRow.__slots__[:14]),
               _DECISION.c.decision).select_from(
    _VISIT.outerjoin(_DECISION, _DECISION.c.visit_id == _VISIT.c.id))
_COMPANIONS_OF = (select(_COMPANION.c.visit_id, _COMPANION.c.full_name, _COMPANION.c.birth_year,
                   _COMPANION.c.flagged)
            .where(_COMPANION.c.visit_id.in_(bindparam("parties", expanding=True)))
            .order_by(_COMPANION.c.visit_id, _COMPANION.c.position))
_NEWEST_FIRST = (_VISIT.c.checked_in_at.desc(), _VISIT.c.id.desc())


def _rows(statement) -> list[DeskRow]:
    """The rows a statement built on _ROWS selects, each with its entry point (looked up once
    per entry point), what it writes, where its party is now and its companions."""
    zone, points = clock.local_zone(), {}
    rows = []
    for found in db.session.connection().execute(statement):
        row = DeskRow(*found)
        point = points.get(row.location_id)
        if point is None:
            point = points[row.location_id] = find_by_id(row.location_id)
        rows.append(row.shown(point, zone))
    return _with_places(_with_parties(rows))


def _with_places(visits: list) -> list:
    """The visits, each with where its party is now when it moved from where it came in."""
    points = presences.current_points([visit.id for visit in visits])
    for visit in visits:
        point = points.get(visit.id, visit.location_id)
        visit.place_now = find_by_id(point).name if point != visit.location_id else None
    return visits


def _with_parties(rows: list[DeskRow]) -> list[DeskRow]:
    """The rows, each party's companions read with one query for all of them: a visitor
    alone (most rows) has none to read, and a page of them costs no query at all."""
    parties = {row.id: row for row in rows if row.party_size > 1}
    if parties:
        for visit_id, *member in db.session.connection().execute(
                _COMPANIONS_OF, {"parties": list(parties)}):
            parties[visit_id].party.append(PartyMember(*member))
    return rows


def day_visits(day: date, filters: VisitFilters, before: Cursor | None = None,
               limit: int = PAGE_SIZE) -> list[DeskRow]:
    """The day's visits, newest first, `limit` at a time (older than `before` for "more")."""
    statement = filters.apply(_ROWS.where(_on_day(day)), day)
    if before is not None:
        statement = statement.where(_older_than(before))
    return _rows(statement.order_by(*_NEWEST_FIRST).limit(limit))


def undecided_flagged(day: date):
    """SQL condition: a flagged visit of the day the gate has not decided about yet and still
    can (see _slips_of_a_past_day)."""
    condition = and_(_undecided(), _on_day(day))
    return and_(condition, Visit.source != VisitSource.PAPER) if _is_past(day) else condition


def _undecided():
    """SQL condition: a flagged visit the gate has not decided about yet."""
    return and_(Visit.flagged.is_(True), ~Visit.gate_decision.has())


def _is_past(day: date) -> bool:
    return day < clock.local_today()


# undecided_flagged() of the day whose bounds a statement is given as the parameters "start"
# and "end", when it is today or later: a condition built once, for the statements the desk
# sends on every page.
UNDECIDED_OF_THE_DAY = and_(_undecided(), Visit.checked_in_at >= bindparam("start"),
                            Visit.checked_in_at < bindparam("end"), Visit.counted())


def _slips_of_a_past_day(day: date):
    """How many of a past day's undecided flagged visits are paper slips: a slip records what
    happened at the gate then, and no decision can be recorded for it now (app.desk.alerts.refusal),
    so it must not wait, however long. A subquery over the flagged visits' index."""
    return (select(func.count()).select_from(Visit)
            .where(_undecided(), _on_day(day), Visit.source == VisitSource.PAPER)
            .correlate(None).scalar_subquery())


# The counters, each figure read from the narrowest index that holds it over the day's range
# (built once: a request sends the day's bounds). Nearly every visit is one visitor's plain
# entry; the few others (replaced declarations, parties) and the open ones have indexes of
# their own, so the day's busy range is counted from a two-column index alone.
_IN_DAY = and_(_VISIT.c.checked_in_at >= bindparam("start"),
               _VISIT.c.checked_in_at < bindparam("end"))
_COUNTED = or_(_VISIT.c.checkout_by.is_(None),
               _VISIT.c.checkout_by != CheckoutReason.REPLACED.value)
_NO_DECISION = ~exists().where(GateDecision.__table__.c.visit_id == _VISIT.c.id)
_FLAGGED = _VISIT.c.flagged.is_(True)


def _figures(*columns, where=()):
    return select(*columns).select_from(_VISIT).where(_IN_DAY, *where).subquery()


_ALL = _figures(func.count().label("visits"),
                func.count(_VISIT.c.employee_code).label("employees"))
_REPLACED = _figures(func.count().label("visits"),
                     func.coalesce(func.sum(_VISIT.c.party_size), 0).label("people"),
                     func.count().filter(_FLAGGED).label("flagged"),
                     func.count().filter(_FLAGGED, _NO_DECISION).label("undecided"),
                     func.count(_VISIT.c.employee_code).label("employees"),
                     where=[text(REPLACED_SQL)])
_PARTIES = _figures(func.coalesce(func.sum(_VISIT.c.party_size - 1), 0).label("more"),
                    where=[text(PARTY_SQL), _COUNTED])
_INSIDE = _figures(func.coalesce(func.sum(_VISIT.c.party_size), 0).label("people"),
                   func.count(_VISIT.c.employee_code).label("employees"),
                   where=[_VISIT.c.checked_out_at.is_(None), _COUNTED])
_FLAGGED_ALL = _figures(func.count().label("flagged"),
                        func.count().filter(_NO_DECISION).label("undecided"),
                        where=[_FLAGGED])
_COUNTERS = select(
    (_ALL.c.visits - _REPLACED.c.visits).label("visits"),
    (_ALL.c.visits - _REPLACED.c.visits + _PARTIES.c.more).label("people"),
    _INSIDE.c.people.label("inside"),
    (_FLAGGED_ALL.c.flagged - _REPLACED.c.flagged).label("flagged"),
    (_FLAGGED_ALL.c.undecided - _REPLACED.c.undecided).label("undecided"),
    (_ALL.c.employees - _REPLACED.c.employees).label("employee_visits"),
    _INSIDE.c.employees.label("employees_inside"),
).select_from(_ALL.join(_REPLACED, true()).join(_PARTIES, true()).join(_INSIDE, true())
              .join(_FLAGGED_ALL, true()))
# Where the people inside are: the day's open visits, each with its open presence.
_INSIDE_BY_POINT = (
    select(_PRESENCE.c.location_id, func.sum(_VISIT.c.party_size))
    .select_from(_VISIT.join(_PRESENCE, _PRESENCE.c.visit_id == _VISIT.c.id))
    .where(_IN_DAY, _VISIT.c.checked_out_at.is_(None), _COUNTED,
           # ix_presence_open_visit's condition (OPEN_BY_VISIT_SQL)
           _PRESENCE.c.ended_at.is_(None), _PRESENCE.c.visit_id.is_not(None))
    .group_by(_PRESENCE.c.location_id).order_by(_PRESENCE.c.location_id))


def counters(day: date) -> Counters:
    """Visits, people who came and people inside now (companions too), flagged visits and
    those of them still waiting for the gate's decision, and the employees among them: one
    query of narrow index ranges (see _COUNTERS); a past day's paper slips never wait."""
    start, end = clock.local_day_bounds(day)
    bounds = {"start": start, "end": end}
    figures = db.session.execute(_COUNTERS, bounds).one()
    undecided = figures.undecided
    if undecided and _is_past(day):
        undecided -= db.session.scalar(select(_slips_of_a_past_day(day)))
    by_point = tuple((find_by_id(point).name, people) for point, people in
                     db.session.execute(_INSIDE_BY_POINT, bounds)) if figures.inside else ()
    return Counters(figures.visits, figures.people, figures.inside, figures.flagged, undecided,
                    figures.employee_visits, figures.employees_inside, by_point)


_LAST_CHANGE = select(func.max(_VISIT.c.changed_at))


def last_change() -> datetime | None:
    """When any visit last changed (one look at the end of an index): a statement built once,
    run on the session's connection (the poll asks it every few seconds)."""
    return db.session.connection().scalar(_LAST_CHANGE)


def changed_after(since: datetime) -> list[int]:
    """The ids of the visits changed after `since` (with the overlap), read from the end of
    the change index alone: the narrowest start, whatever the planner would guess."""
    return list(db.session.scalars(select(Visit.id).where(
        Visit.changed_at > since - CHANGE_OVERLAP)))


def _among(ids: list[int], day: date, floor: Cursor | None):
    """SQL condition: one of these visits (found by their ids, written into the statement so
    that however many there are, no limit on parameters is met), of the day, and with
    `floor`, not older than it (the list shows no older ones yet)."""
    start, end = clock.local_day_bounds(day)
    condition = and_(Visit.id.in_(bindparam("changed", ids, expanding=True,
                                            literal_execute=True)),
                     Visit.checked_in_at >= start, Visit.checked_in_at < end)
    return and_(condition, _not_older_than(floor)) if floor is not None else condition


def changed_visits(ids: list[int], day: date, filters: VisitFilters,
                   floor: Cursor | None = None) -> list[DeskRow]:
    """Of these changed visits, the day's that the list (as filtered) shows, newest first."""
    if not ids:
        return []
    return _rows(filters.apply(_ROWS, day).where(_among(ids, day, floor), Visit.counted())
                 .order_by(*_NEWEST_FIRST))


def changed_of_day(ids: list[int], day: date, floor: Cursor | None = None) -> set[int]:
    """Of these changed visits, the day's, whatever the filters, replaced declarations too:
    those not in changed_visits() have left the list."""
    if not ids:
        return set()
    return set(db.session.scalars(select(Visit.id).where(_among(ids, day, floor))))


def newly_flagged(ids: list[int], day: date, since: datetime) -> list[int]:
    """Of these changed visits, the ids of the day's flagged ones still open that came in
    after `since` (with the overlap), whatever the list is filtered to: the poll's alerts.
    Ids alone, without the rows' details."""
    if not ids:
        return []
    return list(db.session.scalars(select(Visit.id).where(
        _among(ids, day, None), Visit.counted(), Visit.flagged.is_(True),
        Visit.checked_out_at.is_(None), Visit.checked_in_at > since - CHANGE_OVERLAP)
        .order_by(Visit.checked_in_at.desc(), Visit.id.desc())))


def arrivals_per_hour(day: date) -> list[int]:
    """How many visits began in each local hour of the day (24 numbers).

    One count per hour over its own slice of the index, all in one query: portable (no
    database-specific hour functions) and cheap however busy the day.
    """
    start, _end = clock.local_day_bounds(day)
    local_start = start.astimezone(clock.local_zone())
    bounds = [(local_start + timedelta(hours=h)).astimezone(start.tzinfo) for h in range(25)]
    counts = [select(func.count()).select_from(Visit).where(
        Visit.checked_in_at >= bounds[h], Visit.checked_in_at < bounds[h + 1], Visit.counted()
    ).scalar_subquery() for h in range(24)]
    return list(db.session.execute(select(*counts)).one())


def still_inside() -> list[tuple[str, list[Visit]]]:
    """Everyone not yet checked out, by the entry point where they are now: the roll call
    (a refused party has left)."""
    visits = _with_places(list(db.session.scalars(
        select(Visit).where(Visit.checked_out_at.is_(None))
        .options(joinedload(Visit.location), selectinload(Visit.companions))
        .order_by(Visit.checked_in_at, Visit.id))))
    groups: dict[str, list[Visit]] = {}
    for visit in visits:
        groups.setdefault(visit.place_now or visit.location.name, []).append(visit)
    return sorted(groups.items())


def open_visits_of(phone: str | None, id_number: str | None, day: date) -> list[Visit]:
    """The day's visits not checked out made with this phone number or ID number: the
    person may be inside already."""
    people = [column == value for column, value in ((Visit.phone, phone),
                                                    (Visit.id_number, id_number)) if value]
    if not people:
        return []
    return list(db.session.scalars(
        select(Visit).where(_on_day(day), Visit.checked_out_at.is_(None), or_(*people))
        .options(joinedload(Visit.location)).order_by(Visit.checked_in_at)))
