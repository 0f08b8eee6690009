"""The gate's alerts: every flagged check-in of the day waits in a panel, for every
receptionist, until someone records what the gate did about it (let in, taken to the medical
room, or not let in), with the body temperature if taken, a note, who and when."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..checkin import presences
from ..checkin.declaration import EXPOSURES, SYMPTOMS
from ..extensions import db
from ..store import audit, clock
from ..store.models import CheckoutReason, Decision, GateDecision, Location, PointKind, User, Visit
from ..web.templating import label
from .day_list import UNDECIDED_OF_THE_DAY, undecided_flagged

# The panel shows this many, newest first; the counter says how many wait in all.
PANEL_SIZE = 10
# A decision recorded by mistake is undone from the panel for this long.
DECISION_UNDO = timedelta(minutes=1)


class DecisionError(Exception):
    """The decision cannot be recorded (someone else was quicker, the visit was replaced, or
    it takes no decision): the message says why."""


def _panel(condition):
    return (select(Visit).where(condition).options(joinedload(Visit.location))
            .order_by(Visit.checked_in_at.desc(), Visit.id.desc()).limit(PANEL_SIZE))


# Today's panel, on every page of the desk: built once, sent the day's bounds.
_WAITING_OF_THE_DAY = _panel(UNDECIDED_OF_THE_DAY)


def waiting(day: date) -> list[Visit]:
    """The day's flagged visits with no decision yet, newest first (at most PANEL_SIZE)."""
    if day < clock.local_today():  # a past day's slips never wait (undecided_flagged)
        return list(db.session.scalars(_panel(undecided_flagged(day))))
    start, end = clock.local_day_bounds(day)
    return list(db.session.scalars(_WAITING_OF_THE_DAY, {"start": start, "end": end}))


def reasons(visit: Visit) -> list[str]:
    """What flagged the visit, in words: the visitor's answers, then each companion's who
    declared something, by name (a companion alone flags the party). Companions are read
    only for a party (a visitor alone costs no query)."""
    said = declared(visit.declaration)
    said += [_("%(name)s: %(said)s", name=companion.full_name,
               said=", ".join(declared(companion.declaration)))
             for companion in visit.party if companion.flagged]
    return said


def declared(answers: dict | None) -> list[str]:
    """What one person declared, in words (empty when nothing)."""
    answers = answers or {}
    said = [str(q.label) for q in SYMPTOMS if (answers.get("symptoms") or {}).get(q.key)]
    said += [str(q.label) for q in EXPOSURES if (answers.get("exposure") or {}).get(q.key)]
    travel = answers.get("travel") or {}
    if travel.get("answer"):
        said.append(_("Travel: %(places)s", places=travel.get("places") or "—"))
    return said


def _already(decided: GateDecision) -> str:
    return _("%(user)s already recorded “%(decision)s” at %(time)s.",
             user=decided.user.username, decision=label(decided.decision),
             time=clock.to_local(decided.at).strftime("%H:%M"))


def refusal(visit: Visit) -> str | None:
    """Why a decision about the visit would be refused now, in the staff's words; None when
    one can be recorded. A decision answers a flagged check-in at the gate, on its day: a
    visit with nothing declared needs none, and another day's visit is read-only, as that
    day's list is (what the gate did then is not written in afterwards)."""
    if visit.is_replaced:
        return _("This declaration was replaced by a corrected one: decide on the corrected "
                 "visit.")
    if visit.gate_decision is not None:
        return _already(visit.gate_decision)
    if not visit.flagged:
        return _("Nothing was declared on this visit: a gate decision is recorded only for a "
                 "flagged check-in.")
    day = clock.to_local(visit.checked_in_at).date()
    if day != clock.local_today():
        return _("This visit is from %(date)s: a gate decision is recorded only on the day of "
                 "the visit.", date=day.strftime("%d/%m/%Y"))
    return None


def decide(visit: Visit, decision: Decision, temperature: float | None, note: str,
           user: User) -> GateDecision:
    """Record the gate's decision about a visit, once, with its audit entry; every open
    dashboard sees it at its next poll. Raises DecisionError, storing nothing, when refusal()
    says why not (decided already, replaced, nothing flagged, another day)."""
    refused = refusal(visit)
    if refused is not None:
        raise DecisionError(refused)
    now = clock.utcnow()
    recorded = GateDecision(decision=decision, temperature=temperature, note=note, user=user,
                            at=now)
    visit.gate_decision = recorded
    visit.changed_at = now
    _follow(visit, decision, now)
    audit.record("gate_decision", {"visit": visit.id, "decision": decision.value}, user=user)
    try:
        db.session.commit()
    except IntegrityError:  # two receptionists at once (PostgreSQL): the first one stands
        db.session.rollback()
        first = db.session.scalar(select(GateDecision).where(GateDecision.visit_id == visit.id))
        if first is None:
            raise
        raise DecisionError(_already(first)) from None
    return recorded


def medical_room() -> Location | None:
    """The entry point marked as the medical room, if one is open."""
    return db.session.scalar(select(Location).where(Location.kind == PointKind.MEDICAL,
                                                    Location.active.is_(True))
                             .order_by(Location.id).limit(1))


def _follow(visit: Visit, decision: Decision, now) -> None:
    """What the decision does to the stay: a refused party leaves at once; one taken to the
    medical room is there from now on (when a point is marked as that room)."""
    if not visit.is_open:
        return
    if decision == Decision.REFUSE:
        visit.checked_out_at, visit.checkout_by = now, CheckoutReason.REFUSED
        presences.close(visit.id, now)
    elif decision == Decision.MEDICAL and (room := medical_room()) is not None:
        presences.shift(visit.id, room.id, now)


def can_undo(visit: Visit) -> bool:
    """True while the visit's decision can be taken back (DECISION_UNDO after it)."""
    decided = visit.gate_decision
    return decided is not None and decided.at > clock.utcnow() - DECISION_UNDO


def undo(visit: Visit, user: User) -> bool:
    """Take back a decision recorded by mistake less than DECISION_UNDO ago: the alert waits
    again, and a stay the decision ended or moved is as it was. Returns whether it did."""
    decided = visit.gate_decision
    if not can_undo(visit):
        return False
    if visit.checkout_by == CheckoutReason.REFUSED and visit.checked_out_at == decided.at:
        visit.checked_out_at, visit.checkout_by = None, None
        presences.reopen_last(visit.id)
    elif decided.decision == Decision.MEDICAL:
        _undo_medical_move(visit, decided)
    visit.gate_decision = None
    visit.changed_at = clock.utcnow()
    audit.record("gate_decision_undone", {"visit": visit.id,
                                          "decision": decided.decision.value}, user=user)
    db.session.commit()
    return True


def _undo_medical_move(visit: Visit, decided: GateDecision) -> None:
    moved = presences.last_shift(visit.id)
    if moved is not None and moved[0].started_at == decided.at:  # the decision's own move
        presences.take_back(moved)
