"""Contact tracing: who was at the same place at the same time as a case, and for how long."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, or_, select, union_all
from sqlalchemy.orm import joinedload, selectinload

from ..checkin.visits import auto_checkout_deadline
from ..extensions import db
from ..store import clock
from ..store.models import Companion, Location, Presence, Visit, VisitSource
from ..store.normalise import fold_for_search

DEFAULT_MIN_OVERLAP_MINUTES = 15
MAX_MIN_OVERLAP_MINUTES = 24 * 60
# The automatic check-out ends a stay on the local day it began, so no stay it closed, and no
# open one, lasts longer than a local day (24 hours; 25 or, in one zone, 26 with daylight
# saving). Only a stay longer than a day (Visit.longer_than_a_day) can have begun more than
# this before a case, or been corrected more than this after its person came in.
LONGEST_DAY = timedelta(hours=26)


@dataclass(frozen=True)
class ContactVisit:
    """What a trace shows of a contact's visit (read as plain rows: a trace may find a
    thousand, and nothing about them is changed)."""

    id: int
    full_name: str
    phone: str
    location_name: str
    checked_in_at: datetime
    arrived_at: datetime | None
    checked_out_at: datetime | None
    flagged: bool
    source: VisitSource
    employee_code: str | None
    department: str | None
    companions: list[tuple[str, int]]


@dataclass(frozen=True)
class Meeting:
    """Where a contact was with the case: the point, the contact's time there, and how many
    whole minutes of it the case was there too."""

    place: str
    start: datetime
    end: datetime
    minutes: int


@dataclass(frozen=True)
class Contact:
    """A visit whose stay overlapped a case's: by how many whole minutes, with which case,
    and where (per entry point; none when traced at any entry point)."""

    visit: ContactVisit
    overlap_minutes: int
    case_visit_id: int
    meetings: tuple[Meeting, ...] = ()


@dataclass(frozen=True)
class Trace:
    """The case's visits and the contacts found for them."""

    cases: list[Visit]
    contacts: list[Contact]
    min_minutes: int
    any_location: bool
    now: datetime

    def stay(self, visit: Visit | ContactVisit) -> tuple[datetime, datetime]:
        """The visit's stay as the trace counted it."""
        return stay(visit, self.now)

    @property
    def people(self) -> int:
        """Everyone to contact: the contacts with their companions, and the case's companions."""
        return (sum(len(c.visit.companions) + 1 for c in self.contacts)
                + sum(len(case.companions) for case in self.cases))


def stay(visit: Visit | ContactVisit, now: datetime) -> tuple[datetime, datetime]:
    """When the visit's person came in (before a corrected declaration, if any) and left; an
    open visit lasts until now or its auto check-out, whichever is earlier."""
    return _stay(visit.checked_in_at, visit.arrived_at, visit.checked_out_at, now)


def _stay(checked_in_at: datetime, arrived_at: datetime | None,
          checked_out_at: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    start = min(arrived_at or checked_in_at, checked_in_at)
    end = checked_out_at or min(now, auto_checkout_deadline(checked_in_at))
    return start, max(end, start)


def overlap(first: tuple[datetime, datetime], second: tuple[datetime, datetime]) -> timedelta:
    """How long two stays overlap (zero when they only touch or do not meet)."""
    return max(min(first[1], second[1]) - max(first[0], second[0]), timedelta(0))


def _with_place_and_companions():
    return select(Visit).options(joinedload(Visit.location), selectinload(Visit.companions))


def case_visit(visit_id: int) -> Visit | None:
    """The visit a trace starts from, if it exists."""
    return db.session.scalar(_with_place_and_companions().where(Visit.id == visit_id))


def cases_by_phone(phone: str, start: date, end: date) -> list[Visit]:
    """Every visit made with this (normalised) phone number from day `start` to `end`."""
    return _cases(Visit.phone == phone, start, end)


def cases_by_employee(code: str, start: date, end: date) -> list[Visit]:
    """Every visit of the employee with this (normalised) code from day `start` to `end`
    (their code stays on their visits after the register forgets them)."""
    return _cases(Visit.employee_code == code, start, end)


def _cases(whose, start: date, end: date) -> list[Visit]:
    since, until = clock.local_range_bounds(start, end)
    return list(db.session.scalars(
        _with_place_and_companions()
        .where(whose, Visit.checked_in_at >= since, Visit.checked_in_at < until,
               Visit.counted())
        .order_by(Visit.checked_in_at)))


# What a candidate is judged by; the contacts found are then loaded whole.
_STAY_COLUMNS = (Visit.id, Visit.checked_in_at, Visit.arrived_at, Visit.checked_out_at)
_LOAD_CHUNK = 1000


def _candidates(case_stay: tuple[datetime, datetime], threshold: timedelta,
                excluded_ids: set[int]) -> list[tuple]:
    """Every visit whose stay may overlap the case's by `threshold`, wherever (a superset of
    the contacts), as a row of _STAY_COLUMNS, read as four disjoint ranges of indexes bounded
    by what a stay can be. Per entry point, presences are read instead (_per_point)."""
    start, end = case_stay
    # one who left before the case came, or too soon after, shared too little
    open_or_left_after_start = or_(Visit.checked_out_at.is_(None), and_(
        Visit.checked_out_at > start, Visit.checked_out_at >= start + threshold))
    branches = (
        # came in before the case left, at most a day before it came (or longer: below)
        (Visit.checked_in_at >= start - LONGEST_DAY, Visit.checked_in_at < end,
         open_or_left_after_start),
        # came in before the case left but declared (corrected) after it: few, with an index
        # of their own
        (Visit.arrived_at >= end - LONGEST_DAY, Visit.arrived_at < end,
         Visit.checked_in_at >= end, open_or_left_after_start),
        # the same two for the stays longer than a day
        (Visit.longer_than_a_day(), Visit.checked_in_at < start - LONGEST_DAY,
         Visit.checked_out_at > start, Visit.checked_out_at >= start + threshold),
        (Visit.longer_than_a_day(), Visit.arrived_at < end - LONGEST_DAY,
         Visit.checked_in_at >= end, open_or_left_after_start),
    )
    return list(db.session.execute(union_all(*(
        select(*_STAY_COLUMNS).where(*branch, Visit.counted(), Visit.id.not_in(excluded_ids))
        for branch in branches))))


def _person(phone: str, full_name: str) -> tuple[str, str]:
    """Who made a visit, as far as tracing can tell: the phone and the name as typed."""
    return phone, " ".join(fold_for_search(full_name).split())


def _contact_visits(ids: list[int], places: dict[int, str]) -> dict[int, ContactVisit]:
    """The contacts' visits (a replaced declaration is none) with their companions and the
    names of their entry points, as plain rows (SQLAlchemy Core)."""
    found: dict[int, ContactVisit] = {}
    for first in range(0, len(ids), _LOAD_CHUNK):
        chunk = ids[first:first + _LOAD_CHUNK]
        companions: dict[int, list[tuple[str, int]]] = {}
        for visit_id, name, born in db.session.execute(
                select(Companion.visit_id, Companion.full_name, Companion.birth_year)
                .where(Companion.visit_id.in_(chunk)).order_by(Companion.position)):
            companions.setdefault(visit_id, []).append((name, born))
        for row in db.session.execute(select(*_CONTACT_COLUMNS).where(Visit.id.in_(chunk),
                                                                      Visit.counted())):
            found[row.id] = ContactVisit(
                row.id, row.full_name, row.phone, places.get(row.location_id, ""),
                row.checked_in_at, row.arrived_at, row.checked_out_at, row.flagged,
                VisitSource(row.source), row.employee_code, row.department,
                companions.get(row.id, []))
    return found


_CONTACT_COLUMNS = (Visit.id, Visit.full_name, Visit.phone, Visit.location_id,
                    Visit.checked_in_at, Visit.arrived_at, Visit.checked_out_at, Visit.flagged,
                    Visit.source, Visit.employee_code, Visit.department)


def overlapping_visits(cases: list[Visit], min_minutes: int = DEFAULT_MIN_OVERLAP_MINUTES,
                       any_location: bool = False) -> Trace:
    """Every other visit whose party was at the same entry point as a case's at the same time
    for at least `min_minutes` in all (per point, over presences: a case at the gate for two
    minutes, then at the counter for half an hour, meets the counter's people), or, with
    `any_location`, whose stay overlaps a case's anywhere; longest overlap first.

    The case's own other visits (the same phone and name) are not contacts; someone else who
    gave the case's phone number (a child, a parent) is. A visit that overlaps several of the
    case's visits is listed once, with its longest overlap.
    """
    now = clock.utcnow()
    threshold = timedelta(minutes=min_minutes)
    own = {_person(case.phone, case.full_name) for case in cases}
    excluded = {case.id for case in cases}
    found: dict[int, tuple[timedelta, int, list[tuple]]] = {}
    for case in cases:
        shared = (_anywhere(case, now, threshold, excluded) if any_location
                  else _per_point(case, now, excluded))
        for visit_id, (together, met) in shared.items():
            if together >= threshold and together > timedelta(0) and (
                    visit_id not in found or together > found[visit_id][0]):
                found[visit_id] = (together, case.id, met)
    # A declaration replaced by a corrected one is not a contact (the corrected one counts from
    # the same moment), nor is the case's own other visit.
    own_phones = {phone for phone, _name in own}
    names = dict(db.session.execute(select(Location.id, Location.name)).all())
    visits = {visit_id: visit for visit_id, visit in _contact_visits(list(found), names).items()
              if visit.phone not in own_phones or _person(visit.phone, visit.full_name)
              not in own}
    contacts = sorted((Contact(visits[visit_id], int(together.total_seconds() // 60), case_id,
                               _meetings(met, names))
                       for visit_id, (together, case_id, met) in found.items()
                       if visit_id in visits),
                      key=lambda c: (-c.overlap_minutes, c.visit.checked_in_at, c.visit.id))
    return Trace(cases, contacts, min_minutes, any_location, now)


def _meetings(met: list[tuple], names: dict[int, str]) -> tuple[Meeting, ...]:
    return tuple(Meeting(names.get(place, ""), came, until, int(part.total_seconds() // 60))
                 for place, came, until, part in met)


def _anywhere(case: Visit, now: datetime, threshold: timedelta, excluded: set[int]
              ) -> dict[int, tuple[timedelta, list[tuple]]]:
    """{visit id: (how long its stay overlapped the case's, no meetings)}, wherever."""
    case_stay = stay(case, now)
    return {visit_id: (overlap(case_stay, _stay(came, arrived, left, now)), [])
            for visit_id, came, arrived, left in _candidates(
                case_stay, threshold, excluded)}


def _case_presences(case: Visit, now: datetime) -> list[tuple[int, datetime, datetime]]:
    """Where the case was: (entry point, from, until) in order; a presence still open lasts
    until now or the visit's automatic check-out, whichever is earlier."""
    deadline = min(now, auto_checkout_deadline(case.checked_in_at))
    return [(place, start, max(end or deadline, start)) for place, start, end in
            db.session.execute(select(Presence.location_id, Presence.started_at,
                                      Presence.ended_at)
                               .where(Presence.visit_id == case.id).order_by(Presence.id))]


def _per_point(case: Visit, now: datetime, excluded: set[int]
               ) -> dict[int, tuple[timedelta, list[tuple]]]:
    """{visit id: (how long its party was where the case was, when the case was, and the
    meetings)} over the case's presences, each read as three bounded index ranges of
    presences alone (who they were is checked for the few found: overlapping_visits)."""
    together: dict[int, timedelta] = {}
    met: dict[int, list[tuple]] = {}  # visit id: [(point, from, until, shared)]
    for place, start, end in _case_presences(case, now):
        branches = (
            # came there at most a day before the case, and before it left
            (Presence.started_at >= start - LONGEST_DAY, Presence.started_at < end,
             or_(Presence.ended_at.is_(None), Presence.ended_at > start)),
            # came there longer ago: the few that lasted longer than a day, and the few still
            # open (a corrected declaration counts from its person's first check-in)
            (Presence.longer_than_a_day(), Presence.started_at < start - LONGEST_DAY,
             Presence.ended_at > start),
            (Presence.ended_at.is_(None), Presence.started_at < start - LONGEST_DAY),
        )
        rows = db.session.execute(union_all(*(
            select(Presence.visit_id, Presence.started_at, Presence.ended_at)
            .where(Presence.location_id == place, *branch) for branch in branches))).all()
        checked_in = _checked_in([visit_id for visit_id, _came, left in rows if left is None])
        for visit_id, came, left in rows:
            if visit_id in excluded:
                continue
            until = max(left or min(now, auto_checkout_deadline(checked_in[visit_id])), came)
            shared = min(end, until) - max(start, came)
            if shared > _NOTHING:
                together[visit_id] = together.get(visit_id, _NOTHING) + shared
                met.setdefault(visit_id, []).append((place, came, until, shared))
    return {visit_id: (shared, met[visit_id]) for visit_id, shared in together.items()}


def _checked_in(visit_ids: list[int]) -> dict[int, datetime]:
    """When these visits were checked in (an open presence lasts until its visit's automatic
    check-out)."""
    found: dict[int, datetime] = {}
    for first in range(0, len(visit_ids), _LOAD_CHUNK):
        found.update(db.session.execute(select(Visit.id, Visit.checked_in_at).where(
            Visit.id.in_(visit_ids[first:first + _LOAD_CHUNK]))).all())
    return found


_NOTHING = timedelta(0)
