"""Where each visit's party is and was: a stay is one presence or more in a row (entry point,
from, until). The check-in opens the first; scanning an inner point's poster while inside
moves the party there (the open presence closes, one opens at that point); whatever ends the
stay (leaving, the gate's refusal, the end of the day) closes the last.

These functions write within the caller's transaction (app.checkin holds the write lock) or,
for the moves a phone or the gate makes, in a write transaction of their own.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, func, or_, select, update

from . import clock
from .database import write_transaction
from .extensions import db
from .models import Location, Presence, Visit

# A move made by mistake is undone from the same phone (or the gate) for this long.
MOVE_UNDO = timedelta(minutes=1)

_PRESENCE = Presence.__table__
_INSERT = _PRESENCE.insert()
_CLOSE_OPEN = (update(_PRESENCE)
               .where(_PRESENCE.c.visit_id == bindparam("visit"),
                      _PRESENCE.c.ended_at.is_(None))
               .values(ended_at=bindparam("at")))


def open_first(visit_id: int, location_id: int, started_at: datetime,
               ended_at: datetime | None = None) -> None:
    """The presence a check-in opens (closed already for a paper slip with its time out)."""
    db.session.connection().execute(_INSERT, {
        "visit_id": visit_id, "location_id": location_id, "started_at": started_at,
        "ended_at": ended_at})


def close(visit_id: int, at: datetime) -> None:
    """End the visit's open presence, if any, at `at` (the stay ends there)."""
    db.session.connection().execute(_CLOSE_OPEN, {"visit": visit_id, "at": at})


def close_for(visits, at) -> None:
    """End the open presences of the visits a statement selects (`visits`: a select of ids)
    at `at` (a time, or a column of it): the end of the day closes many stays at once."""
    db.session.execute(update(Presence).where(Presence.ended_at.is_(None),
                                              Presence.visit_id.in_(visits))
                       .values(ended_at=at))


def reopen_last(visit_id: int) -> None:
    """The visit's last presence goes on (its stay was ended by mistake)."""
    last = select(func.max(Presence.id)).where(Presence.visit_id == visit_id).scalar_subquery()
    db.session.execute(update(Presence).where(Presence.id == last).values(ended_at=None))


def last(visit_id: int) -> Presence | None:
    """Where the visit's party is now (its open presence), or was last."""
    return db.session.scalar(select(Presence).where(Presence.visit_id == visit_id)
                             .order_by(Presence.id.desc()).limit(1))


def current_points(visit_ids: list[int]) -> dict[int, int]:
    """{visit id: the entry point its party is at now (or was last)} for these visits, in one
    query."""
    found: dict[int, int] = {}
    if visit_ids:
        for visit_id, location_id in db.session.execute(
                select(Presence.visit_id, Presence.location_id)
                .where(Presence.visit_id.in_(visit_ids)).order_by(Presence.id)):
            found[visit_id] = location_id
    return found


def inside_by_point(visits_of_day) -> list[tuple[int, int]]:
    """[(entry point, people there now)] of the open visits a condition selects, from the
    open presences' own index."""
    return list(db.session.execute(
        select(Presence.location_id, func.sum(Visit.party_size))
        .join(Visit, Visit.id == Presence.visit_id)
        .where(Presence.ended_at.is_(None), Visit.checked_out_at.is_(None), visits_of_day)
        .group_by(Presence.location_id).order_by(Presence.location_id)).all())


def was_at(location_id: int, since: datetime, until: datetime):
    """SQL condition on Visit: its party was at the entry point at some time from `since`
    to `until` (a presence there began in that time, or a day before it)."""
    return Visit.id.in_(select(Presence.visit_id).where(
        Presence.location_id == location_id, Presence.started_at >= since - timedelta(days=1),
        Presence.started_at < until, or_(Presence.ended_at.is_(None),
                                          Presence.ended_at > since)))


def move(visit: Visit, location: Location | int) -> bool:
    """The party is at `location` from now: its open presence closes and one opens there.
    Nothing changes when the visit is closed or already there. Returns whether it moved."""
    location_id = location if isinstance(location, int) else location.id
    with write_transaction():
        now = clock.utcnow()
        current = last(visit.id)
        still_open = db.session.scalar(select(Visit.checked_out_at.is_(None))
                                       .where(Visit.id == visit.id))
        if not still_open or current is None or current.ended_at is not None \
                or current.location_id == location_id:
            return False
        current.ended_at = now
        db.session.add(Presence(visit_id=visit.id, location_id=location_id, started_at=now))
        _changed(visit.id, now)
    return True


def _moved_last(visit_id: int) -> tuple[Presence, Presence] | None:
    """(the presence a move opened, the one it closed) if the last thing that happened to the
    visit was a move less than MOVE_UNDO ago."""
    found = list(db.session.scalars(select(Presence).where(Presence.visit_id == visit_id)
                                    .order_by(Presence.id.desc()).limit(2)))
    if len(found) < 2:
        return None
    latest, before = found
    recent = latest.started_at > clock.utcnow() - MOVE_UNDO
    if latest.ended_at is None and before.ended_at == latest.started_at and recent:
        return latest, before
    return None


def can_undo_move(visit: Visit) -> bool:
    """True while the visit's last move can still be undone (within MOVE_UNDO)."""
    return visit.checked_out_at is None and _moved_last(visit.id) is not None


def undo_move(visit: Visit) -> bool:
    """Take back the visit's last move, made less than MOVE_UNDO ago: the party is where it
    was, as if it had never left. Returns whether it did."""
    with write_transaction():
        moved = _moved_last(visit.id)
        if moved is None or not db.session.scalar(
                select(Visit.checked_out_at.is_(None)).where(Visit.id == visit.id)):
            return False
        latest, before = moved
        db.session.execute(delete(Presence).where(Presence.id == latest.id))
        before.ended_at = None
        _changed(visit.id, clock.utcnow())
    return True


def _changed(visit_id: int, now: datetime) -> None:
    # The desk's poll looks for visits changed after its cursor.
    db.session.execute(update(Visit).where(Visit.id == visit_id).values(changed_at=now))
