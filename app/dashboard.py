"""The receptionist's view of a day: the list, its filters, counters, changes and chart."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from . import clock
from .extensions import db
from .models import Visit
from .normalise import fold_for_search

PAGE_SIZE = 50
# How often an open dashboard asks whether anything changed.
POLL_SECONDS = 2
# Transactions that commit out of order (PostgreSQL) are caught by looking back this far.
CHANGE_OVERLAP = timedelta(seconds=5)


@dataclass(frozen=True)
class VisitFilters:
    """What the receptionist narrowed the list to."""

    location_id: int | None = None
    flagged_only: bool = False
    inside_only: bool = False
    query: str = ""

    def apply(self, statement):
        """Add these filters to a SELECT over Visit."""
        if self.location_id:
            statement = statement.where(Visit.location_id == self.location_id)
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
    """The day's figures."""

    visits: int
    inside: int
    flagged: int


def _on_day(day: date):
    start, end = clock.local_day_bounds(day)
    return and_(Visit.checked_in_at >= start, Visit.checked_in_at < end, Visit.counted())


def day_visits(day: date, filters: VisitFilters, before: tuple[datetime, int] | None = None,
               limit: int = PAGE_SIZE) -> list[Visit]:
    """The day's visits, newest first, `limit` at a time (older than `before` for "more")."""
    statement = filters.apply(select(Visit).where(_on_day(day)))
    if before is not None:
        at, visit_id = before
        statement = statement.where(or_(Visit.checked_in_at < at,
                                        and_(Visit.checked_in_at == at, Visit.id < visit_id)))
    statement = (statement.options(joinedload(Visit.location), selectinload(Visit.companions))
                 .order_by(Visit.checked_in_at.desc(), Visit.id.desc()).limit(limit))
    return list(db.session.scalars(statement))


def counters(day: date) -> Counters:
    """Visits, people inside now (companions too), flagged visits: one pass over the day's
    counter index."""
    visits, inside, flagged = db.session.execute(select(
        func.count(),
        func.coalesce(func.sum(case((Visit.checked_out_at.is_(None), Visit.party_size),
                                    else_=0)), 0),
        func.coalesce(func.sum(case((Visit.flagged.is_(True), 1), else_=0)), 0),
    ).select_from(Visit).where(_on_day(day))).one()
    return Counters(visits, inside, flagged)


def last_change() -> datetime | None:
    """When any visit last changed (one look at the end of an index)."""
    return db.session.scalar(select(func.max(Visit.changed_at)))


def changed_since(since: datetime, day: date, filters: VisitFilters) -> list[Visit]:
    """The day's visits (as filtered) changed after `since` (with the overlap), newest first."""
    return list(db.session.scalars(
        filters.apply(select(Visit)).where(_on_day(day),
                                           Visit.changed_at > since - CHANGE_OVERLAP)
        .options(joinedload(Visit.location), selectinload(Visit.companions))
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


def still_inside() -> list[Visit]:
    """Everyone not yet checked out, entry point by entry point: the roll call."""
    return list(db.session.scalars(
        select(Visit).where(Visit.checked_out_at.is_(None))
        .options(joinedload(Visit.location), selectinload(Visit.companions))
        .order_by(Visit.location_id, Visit.checked_in_at)))


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
