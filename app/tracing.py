"""Contact tracing: who was at the same place at the same time as a case, and for how long."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload, selectinload

from . import clock
from .checkin import auto_checkout_deadline
from .extensions import db
from .models import Visit
from .normalise import fold_for_search

DEFAULT_MIN_OVERLAP_MINUTES = 15
MAX_MIN_OVERLAP_MINUTES = 24 * 60
# An open stay ends by its auto check-out, within its own day: one that began earlier than
# this before the case can only overlap it if it was checked out (late), which the check-out
# index finds.
RECENT = timedelta(days=2)


@dataclass(frozen=True)
class Contact:
    """A visit whose stay overlapped a case's: by how many whole minutes, with which case."""

    visit: Visit
    overlap_minutes: int
    case_visit_id: int


@dataclass(frozen=True)
class Trace:
    """The case's visits and the contacts found for them."""

    cases: list[Visit]
    contacts: list[Contact]
    min_minutes: int
    any_location: bool
    now: datetime

    def stay(self, visit: Visit) -> tuple[datetime, datetime]:
        """The visit's stay as the trace counted it."""
        return stay(visit, self.now)

    @property
    def people(self) -> int:
        """Everyone to contact: the contacts with their companions, and the case's companions."""
        return (sum(len(c.visit.companions) + 1 for c in self.contacts)
                + sum(len(case.companions) for case in self.cases))


def stay(visit: Visit, now: datetime) -> tuple[datetime, datetime]:
    """When the visit's person came in (before a corrected declaration, if any) and left; an
    open visit lasts until now or its auto check-out, whichever is earlier."""
    start = min(visit.arrived_at or visit.checked_in_at, visit.checked_in_at)
    end = visit.checked_out_at or min(now, auto_checkout_deadline(visit.checked_in_at))
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
    since, until = clock.local_range_bounds(start, end)
    return list(db.session.scalars(
        _with_place_and_companions()
        .where(Visit.phone == phone, Visit.checked_in_at >= since, Visit.checked_in_at < until,
               Visit.counted())
        .order_by(Visit.checked_in_at)))


def _candidates(case: Visit, case_stay: tuple[datetime, datetime], any_location: bool,
                excluded_ids: set[int]):
    start, end = case_stay
    statement = (
        _with_place_and_companions().where(Visit.counted(), Visit.id.not_in(excluded_ids), or_(
            and_(Visit.checked_in_at >= start - RECENT, Visit.checked_in_at < end,
                 or_(Visit.checked_out_at.is_(None), Visit.checked_out_at > start)),
            and_(Visit.checked_in_at < start - RECENT, Visit.checked_out_at > start),
            # corrected after the case left, by someone who came in before
            and_(Visit.arrived_at < end, Visit.checked_in_at >= end,
                 or_(Visit.checked_out_at.is_(None), Visit.checked_out_at > start)))))
    if not any_location:
        statement = statement.where(Visit.location_id == case.location_id)
    return db.session.scalars(statement)


def _person(visit: Visit) -> tuple[str, str]:
    """Who made a visit, as far as tracing can tell: the phone and the name as typed."""
    return visit.phone, " ".join(fold_for_search(visit.full_name).split())


def overlapping_visits(cases: list[Visit], min_minutes: int = DEFAULT_MIN_OVERLAP_MINUTES,
                       any_location: bool = False) -> Trace:
    """Every other visit at the case's entry point (or any, with `any_location`) whose stay
    overlaps one of the case's by at least `min_minutes`, longest overlap first.

    The case's own other visits (the same phone and name) are not contacts; someone else who
    gave the case's phone number (a child, a parent) is. A visit that overlaps several of the
    case's visits is listed once, with its longest overlap.
    """
    now = clock.utcnow()
    threshold = timedelta(minutes=min_minutes)
    own = {_person(case) for case in cases}
    excluded = {case.id for case in cases}
    found: dict[int, Contact] = {}
    for case in cases:
        case_stay = stay(case, now)
        for visit in _candidates(case, case_stay, any_location, excluded):
            if _person(visit) in own:
                continue
            shared = overlap(case_stay, stay(visit, now))
            if shared <= timedelta(0) or shared < threshold:
                continue
            minutes = int(shared.total_seconds() // 60)
            best = found.get(visit.id)
            if best is None or minutes > best.overlap_minutes:
                found[visit.id] = Contact(visit, minutes, case.id)
    contacts = sorted(found.values(),
                      key=lambda c: (-c.overlap_minutes, c.visit.checked_in_at, c.visit.id))
    return Trace(cases, contacts, min_minutes, any_location, now)
