"""Where each visit's party is and was: a stay is one presence or more in a row (entry point,
from, until). The check-in opens the first; scanning an inner point's poster while inside
moves the party there (the open presence closes, one opens at that point); whatever ends the
stay (leaving, the gate's refusal, the end of the day) closes the last.

These functions write within the caller's transaction (app.checkin.visits holds the write lock) or,
for the moves a phone or the gate makes, in a write transaction of their own.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, func, or_, select, update
from sqlalchemy.engine import Connection

from ..extensions import db
from ..store import clock
from ..store.database import write_transaction
from ..store.models import GateDecision, Presence, Visit
from .passes import VisitPass

# A move made by mistake is undone from the same phone (or the gate) for this long.
MOVE_UNDO = timedelta(minutes=1)

_PRESENCE = Presence.__table__
_INSERT = _PRESENCE.insert()
_CLOSE_OPEN = (update(_PRESENCE)
               .where(_PRESENCE.c.visit_id == bindparam("visit"),
                      _PRESENCE.c.ended_at.is_(None))
               .values(ended_at=bindparam("at")))


def open_first(visit_id: int, location_id: int, started_at: datetime,
               ended_at: datetime | None = None, connection: Connection | None = None) -> None:
    """The presence a check-in opens (closed already for a paper slip with its time out), on
    the check-in's connection when given."""
    (connection or db.session.connection()).execute(_INSERT, {
        "visit_id": visit_id, "location_id": location_id, "started_at": started_at,
        "ended_at": ended_at})


def close(visit_id: int, at: datetime) -> None:
    """End the visit's open presence, if any, at `at` (the stay ends there)."""
    db.session.connection().execute(_CLOSE_OPEN, {"visit": visit_id, "at": at})


def close_for(visits, at: datetime) -> None:
    """End the open presences of the visits a statement selects (`visits`: a select of ids)
    at `at`, or where one began after it (a move the end-of-day job came late for): the end of
    the day closes many stays at once."""
    db.session.execute(update(Presence).where(Presence.ended_at.is_(None),
                                              Presence.visit_id.in_(visits))
                       .values(ended_at=case((Presence.started_at > at, Presence.started_at),
                                             else_=at)))


def reopen_last(visit_id: int) -> None:
    """The visit's last presence goes on (its stay was ended by mistake)."""
    last = select(func.max(Presence.id)).where(Presence.visit_id == visit_id).scalar_subquery()
    db.session.execute(update(Presence).where(Presence.id == last).values(ended_at=None))


def last(visit_id: int) -> Presence | None:
    """Where the visit's party is now (its open presence), or was last."""
    return db.session.scalar(select(Presence).where(Presence.visit_id == visit_id)
                             .order_by(Presence.id.desc()).limit(1))


# Built once (the desk's list asks for every page and poll): each request sends the visits.
_POINTS_NOW = (select(_PRESENCE.c.visit_id, _PRESENCE.c.location_id)
               .where(_PRESENCE.c.visit_id.in_(bindparam("visits", expanding=True)))
               .order_by(_PRESENCE.c.id))


def current_points(visit_ids: list[int]) -> dict[int, int]:
    """{visit id: the entry point its party is at now (or was last)} for these visits, in one
    query: the last of each visit's presences."""
    if not visit_ids:
        return {}
    return dict(db.session.connection().execute(_POINTS_NOW, {"visits": visit_ids}).all())


def was_at(location_id: int, since: datetime, until: datetime):
    """SQL condition on Visit: its party was at the entry point at some time from `since`
    to `until` (a presence there began in that time, or a day before it)."""
    return Visit.id.in_(select(Presence.visit_id).where(
        Presence.location_id == location_id, Presence.started_at >= since - timedelta(days=1),
        Presence.started_at < until, or_(Presence.ended_at.is_(None),
                                          Presence.ended_at > since)))


def move(visit_id: int, location_id: int) -> bool:
    """The party is at the entry point from now: its open presence closes and one opens
    there. Nothing moves when the visit is closed or the party is there already. Returns
    whether it moved."""
    with write_transaction():
        now = clock.utcnow()
        return _still_open(visit_id, now) and shift(visit_id, location_id, now)


def shift(visit_id: int, location_id: int, at: datetime) -> bool:
    """Within the caller's transaction: the party's open presence ends at `at` and one opens
    at the entry point (nothing when it is there already, or has left)."""
    current = last(visit_id)
    if current is None or current.ended_at is not None or current.location_id == location_id:
        return False
    current.ended_at = at
    db.session.add(Presence(visit_id=visit_id, location_id=location_id, started_at=at))
    return True


def last_shift(visit_id: int) -> tuple[Presence, Presence] | None:
    """(the presence the last move opened, the one it closed) when a move is the last thing
    that happened to the stay, the party still there."""
    return _shift_of(_last_two(visit_id))


def _shift_of(found: list[Presence]) -> tuple[Presence, Presence] | None:
    if len(found) == 2 and found[0].ended_at is None and found[1].ended_at == found[0].started_at:
        return found[0], found[1]
    return None


def take_back(moved: tuple[Presence, Presence]) -> None:
    """Within the caller's transaction: the party is where it was before the move, as if it
    had never left."""
    latest, before = moved
    db.session.delete(latest)
    before.ended_at = None


def _last_two(visit_id: int) -> list[Presence]:
    return list(db.session.scalars(select(Presence).where(Presence.visit_id == visit_id)
                                   .order_by(Presence.id.desc()).limit(2)))


def _phones_to_undo(visit_id: int, moved: tuple[Presence, Presence] | None
                    ) -> tuple[Presence, Presence] | None:
    """The move, if the phone may take it back: made less than MOVE_UNDO ago, and not the
    gate's (taken to the medical room: the gate takes back its own decision)."""
    if moved is None or moved[0].started_at <= clock.utcnow() - MOVE_UNDO:
        return None
    decided_at = db.session.scalar(select(GateDecision.at)
                                   .where(GateDecision.visit_id == visit_id))
    return None if decided_at == moved[0].started_at else moved


def where_now(visit: Visit | VisitPass) -> tuple[int | None, datetime | None, bool]:
    """(the entry point the party moved to and since when, when it is not where it came in;
    whether the phone may still take that move back). A stay nothing has happened to since
    its check-in (nearly all) reads no presence: its check-in wrote changed_at."""
    if not visit.is_open or visit.changed_at == visit.checked_in_at:
        return None, None, False
    found = _last_two(visit.id)
    if not found or found[0].location_id == visit.location_id:
        return None, None, False
    undo = _phones_to_undo(visit.id, _shift_of(found)) is not None
    return found[0].location_id, found[0].started_at, undo


def undo_move(visit: Visit | VisitPass) -> bool:
    """Take back the visit's last move, made from the phone less than MOVE_UNDO ago. Returns
    whether it did."""
    with write_transaction():
        if not _still_open(visit.id, clock.utcnow()):
            return False
        moved = _phones_to_undo(visit.id, last_shift(visit.id))
        if moved is None:
            return False
        take_back(moved)
    return True


def _still_open(visit_id: int, now: datetime) -> bool:
    """Mark the visit changed now (the desk's poll looks for visits changed after its cursor),
    if it is still open. One UPDATE: on PostgreSQL it locks the row a check-out updates
    first, so a move and a check-out of the same visit run one after the other."""
    return db.session.execute(update(Visit).where(
        Visit.id == visit_id, Visit.checked_out_at.is_(None)).values(changed_at=now)
    ).rowcount == 1
