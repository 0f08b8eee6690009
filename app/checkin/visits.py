"""Checking visitors in and out, and recognising a second submit of the same check-in."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..admin.entry_points import STILL_OPEN, EntryPoint
from ..extensions import db
from ..store import audit, clock
from ..store.database import write_transaction
from ..store.models import (
    CheckoutReason,
    Companion,
    Location,
    User,
    Visit,
    VisitCorrection,
    VisitSource,
    search_text,
)
from ..store.normalise import normalise_phone
from ..store.tokens import hash_token
from . import presences
from .declaration import is_flagged

if TYPE_CHECKING:
    from ..employees.enrolment import EnrolledEmployee

# A visitor who checked out by mistake can undo it from the same phone for this long.
CHECKOUT_UNDO = timedelta(minutes=1)


@dataclass(frozen=True)
class CompanionDetails:
    """Someone checked in with the visitor, with their own answers."""

    full_name: str
    birth_year: int
    declaration: dict | None


@dataclass
class VisitorDetails:
    """A validated check-in, already normalised (phone in national form, text NFC)."""

    full_name: str
    phone: str
    birth_year: int | None
    gender: str
    nationality: str
    province: str
    declaration: dict
    id_number: str | None = None
    ward: str = ""
    street: str = ""
    purpose: str = ""
    companions: list[CompanionDetails] = field(default_factory=list)
    # An employee's check-in: who, from the register.
    employee_id: int | None = None
    employee_code: str | None = None
    department: str = ""


def employee_details(employee: EnrolledEmployee, declaration: dict) -> VisitorDetails:
    """An enrolled employee's check-in: who they are comes from the register, never typed."""
    return VisitorDetails(
        full_name=employee.full_name, phone=employee.phone, birth_year=None, gender="",
        nationality="", province="", declaration=declaration, id_number=employee.id_number,
        employee_id=employee.id, employee_code=employee.code, department=employee.department)


@dataclass
class CheckInResult:
    """The visit the visitor should see (by number; `visit` loads it), whether this request
    created it, and the per-visit secret the phone should keep for it (None when the phone
    holds it already)."""

    visit_id: int
    created: bool
    secret: str | None = None

    @property
    def visit(self) -> Visit:
        """The visit itself, read from the database."""
        return db.session.get(Visit, self.visit_id)


def _duplicate_window() -> timedelta:
    return timedelta(minutes=current_app.config["DUPLICATE_WINDOW_MINUTES"])


def details_of(visit: Visit) -> VisitorDetails:
    """What was declared for a stored visit, in the form check_in() takes."""
    return VisitorDetails(
        full_name=visit.full_name, phone=visit.phone, birth_year=visit.birth_year,
        gender=visit.gender, nationality=visit.nationality, province=visit.province,
        declaration=visit.declaration, id_number=visit.id_number, ward=visit.ward,
        street=visit.street, purpose=visit.purpose,
        companions=[CompanionDetails(c.full_name, c.birth_year, c.declaration)
                    for c in visit.companions],
        employee_id=visit.employee_id, employee_code=visit.employee_code,
        department=visit.department)


@dataclass(frozen=True)
class SlipTimes:
    """When a visitor entered by staff from a paper slip came and (if written) left."""

    came: datetime
    left: datetime | None = None


class EntryPointClosed(Exception):
    """The entry point was closed, or its poster replaced, since this process last read it:
    nothing was written."""


def check_in(location: Location | EntryPoint, details: VisitorDetails, secret: str,
             recent_visit_ids: list[int], entered_by: User | None = None,
             slip: SlipTimes | None = None, only_while_open: bool = False) -> CheckInResult:
    """Record a visit with its companions in one transaction, unless it is a repeat.

    A visit entered by staff (`entered_by`) is audited in the same transaction; with `slip`,
    it is a paper slip's, stored with the slip's times.

    A repeat is the same form submitted again (same secret), or the same person checking in at
    the same entry point from the same phone within the duplicate window, with the same
    answers: it shows the visit already stored. With different answers it is a correction:
    the new answers are recorded as a new visit and the earlier one is closed as replaced,
    so no answer ever given is lost. Only these reads and the write hold the write lock.

    With `only_while_open` (a scan's check-in), the write's first read also asks whether the
    entry point is still open under its token, and raises EntryPointClosed if not.
    """
    with write_transaction():
        return _check_in(location, details, secret, recent_visit_ids, entered_by, slip,
                         only_while_open)


def _check_in(location: Location | EntryPoint, details: VisitorDetails, secret: str,
              recent_visit_ids: list[int], entered_by: User | None,
              slip: SlipTimes | None, only_while_open: bool) -> CheckInResult:
    # The session's connection for the write, asked for once (each ask walks the session).
    connection = db.session.connection()
    previous = (_by_secret_while_open(location, secret, connection) if only_while_open
                else _by_secret(secret, connection))
    previous = previous or _same_person_recently(location, details, recent_visit_ids)
    arrived_at = None
    if previous is not None:
        if previous.location_id == location.id and details_of(previous) == details:
            phone_keeps = secret if holds_secret(previous, secret) else None
            return CheckInResult(previous.id, created=False, secret=phone_keeps)
        if previous.is_open:
            previous.checked_out_at, previous.checkout_by = clock.utcnow(), CheckoutReason.REPLACED
            previous.changed_at = clock.utcnow()
            presences.close(previous.id, previous.checked_out_at)
            if previous.location_id == location.id:  # the same stay, with corrected answers
                arrived_at = previous.arrived_at or previous.checked_in_at
            db.session.flush()
        if holds_secret(previous, secret):  # the same form, edited: give the new visit its own
            secret = secrets.token_urlsafe(32)
    try:
        visit_id = _insert(connection, location, details, secret, arrived_at, entered_by,
                           slip)
        if entered_by is not None:
            audit.record("visit_paper_entry" if slip else "visit_manual_entry",
                         {"visit": visit_id, "location": location.id}, user=entered_by)
    except IntegrityError:
        # The same form arrived twice at once (PostgreSQL lets both start): keep the first.
        db.session.rollback()
        first = _by_secret(secret)
        if first is None:  # some other constraint failed: not a double submit
            raise
        return CheckInResult(first.id, created=False, secret=secret)
    return CheckInResult(visit_id, created=True, secret=secret)


_VISIT, _COMPANION = Visit.__table__, Companion.__table__
# The check-in's own statements, built once: each request only sends its values.
_BY_SECRET = select(_VISIT.c.id).where(_VISIT.c.secret_hash == bindparam("secret_hash"))
_INSERT_VISIT, _INSERT_COMPANION = _VISIT.insert(), _COMPANION.insert()


def _by_secret(secret: str, connection: Connection | None = None) -> Visit | None:
    """The visit made with this per-visit secret, if any (one look into its unique index;
    the row is loaded only when there is one, which is rare)."""
    found = (connection or db.session.connection()).execute(
        _BY_SECRET, {"secret_hash": hash_token(secret)}).scalar()
    return db.session.get(Visit, found) if found is not None else None


_OPEN_AND_BY_SECRET = select(STILL_OPEN, _BY_SECRET.scalar_subquery())


def _by_secret_while_open(location: Location | EntryPoint, secret: str,
                          connection: Connection) -> Visit | None:
    """_by_secret(), asked in one statement with whether the entry point is still open under
    its token (EntryPointClosed if not)."""
    is_open, found = connection.execute(_OPEN_AND_BY_SECRET, {
        "id": location.id, "token": location.token, "secret_hash": hash_token(secret)}).one()
    if not is_open:
        raise EntryPointClosed()
    return db.session.get(Visit, found) if found is not None else None


def _insert(connection: Connection, location: Location | EntryPoint,
            details: VisitorDetails, secret: str, arrived_at: datetime | None,
            entered_by: User | None, slip: SlipTimes | None) -> int:
    """Write the visit and its companions with two plain INSERTs (the busiest write there is:
    no unit of work to build) on the write's connection, and return the visit's number."""
    now = clock.utcnow()
    source = (VisitSource.SELF if entered_by is None
              else VisitSource.PAPER if slip is not None else VisitSource.STAFF)
    companions = [{"position": i, "full_name": c.full_name, "birth_year": c.birth_year,
                   "declaration": c.declaration,
                   "flagged": bool(c.declaration) and is_flagged(c.declaration)}
                  for i, c in enumerate(details.companions)]
    visit_id = connection.execute(_INSERT_VISIT, {
        "location_id": location.id, "checked_in_at": slip.came if slip else now,
        "arrived_at": arrived_at, "checked_out_at": slip.left if slip else None,
        "checkout_by": CheckoutReason.STAFF if slip and slip.left else None,
        "changed_at": now, "secret_hash": hash_token(secret), "full_name": details.full_name,
        "phone": details.phone, "birth_year": details.birth_year, "gender": details.gender,
        "id_number": details.id_number, "nationality": details.nationality,
        "province": details.province, "ward": details.ward or "",
        "street": details.street or "", "purpose": details.purpose or "",
        "declaration": details.declaration,
        "employee_id": details.employee_id, "employee_code": details.employee_code,
        "department": details.department or "", "source": source,
        "entered_by_id": entered_by.id if entered_by is not None else None,
        # The party is flagged when anyone in it declared something.
        "flagged": is_flagged(details.declaration) or any(c["flagged"] for c in companions),
        "party_size": 1 + len(companions),
        "search_text": search_text(
            details.phone, details.id_number,
            [details.full_name, *(c.full_name for c in details.companions)],
            details.employee_code),
    }).inserted_primary_key[0]
    if companions:
        connection.execute(_INSERT_COMPANION,
                           [{"visit_id": visit_id, **companion} for companion in companions])
    came = slip.came if slip else now
    presences.open_first(visit_id, location.id, min(arrived_at or came, came),
                         slip.left if slip else None, connection=connection)
    return visit_id


_RECENT_OPEN = (
    select(_VISIT.c.id, _VISIT.c.phone, _VISIT.c.full_name)
    .where(_VISIT.c.id.in_(bindparam("ids", expanding=True)),
           _VISIT.c.location_id == bindparam("location_id"),
           _VISIT.c.checked_in_at >= bindparam("since"), _VISIT.c.checked_out_at.is_(None))
    .order_by(_VISIT.c.checked_in_at.desc()))


def _same_person_recently(location: Location | EntryPoint, details: VisitorDetails,
                          recent_visit_ids: list[int]) -> Visit | None:
    """This phone's newest open visit at this entry point within the duplicate window by the
    same person (phone number and name)."""
    if not recent_visit_ids:
        return None
    name = details.full_name.casefold()
    rows = db.session.connection().execute(_RECENT_OPEN, {
        "ids": recent_visit_ids, "location_id": location.id,
        "since": clock.utcnow() - _duplicate_window()})
    found = next((row.id for row in rows
                  if row.phone == details.phone and row.full_name.casefold() == name), None)
    return db.session.get(Visit, found) if found is not None else None


def open_visits_today(visit_secrets: dict[int, str]) -> list[Visit]:
    """The visits this phone made today (local time), at any entry point, that are still open,
    newest first: a phone that scans a poster while these are open is on its way out."""
    if not visit_secrets:
        return []
    start, end = clock.local_day_bounds(clock.local_today())
    visits = db.session.scalars(
        select(Visit).options(joinedload(Visit.location))
        .where(Visit.id.in_(list(visit_secrets)), Visit.checked_out_at.is_(None),
               Visit.checked_in_at >= start, Visit.checked_in_at < end)
        .order_by(Visit.checked_in_at.desc(), Visit.id.desc()))
    return [visit for visit in visits if holds_secret(visit, visit_secrets[visit.id])]


def declared_by(visit: Visit) -> tuple[bool, list[str]]:
    """Who in a flagged party declared something: whether the visitor did, and the names of
    the companions who did (the pass must not blame a visitor who answered No)."""
    companions = [companion.full_name for companion in visit.party if companion.flagged]
    # A flag no one's answers explain (none such are written now) is shown as the visitor's.
    return is_flagged(visit.declaration) or not companions, companions


def holds_secret(visit: Visit, secret: str | None) -> bool:
    """True if `secret` is the visit's per-visit secret (the phone that checked in)."""
    return bool(secret and visit.secret_hash
                and hmac.compare_digest(hash_token(secret), visit.secret_hash))


def check_out(visit: Visit, by: CheckoutReason) -> datetime:
    """Close the visit now, once: checking out again keeps the first time. A check-out at
    reception is audited."""
    now = clock.utcnow()
    with write_transaction():
        closed = db.session.execute(
            update(Visit).where(Visit.id == visit.id, Visit.checked_out_at.is_(None))
            .values(checked_out_at=now, checkout_by=by, changed_at=now)
        ).rowcount
        if closed:
            presences.close(visit.id, now)
        if closed and by == CheckoutReason.STAFF:
            audit.record("visit_checkout", {"visit": visit.id})
    db.session.refresh(visit)
    return visit.checked_out_at


def can_undo_check_out(visit: Visit) -> bool:
    """True for a visit its visitor checked out less than CHECKOUT_UNDO ago."""
    return (visit.checkout_by == CheckoutReason.VISITOR and visit.checked_out_at is not None
            and visit.checked_out_at > clock.utcnow() - CHECKOUT_UNDO)


def undo_check_out(visit: Visit, by: CheckoutReason = CheckoutReason.VISITOR,
                   within: timedelta = CHECKOUT_UNDO) -> bool:
    """Reopen a visit checked out `by` the visitor or at reception less than `within` ago, if
    nothing else has happened to it since (a check-out tapped by mistake): once, and never one
    by anyone else or the end of the day. Undoing reception's check-out is audited. Returns
    whether it was reopened."""
    now = clock.utcnow()
    with write_transaction():
        reopened = db.session.execute(
            update(Visit).where(Visit.id == visit.id, Visit.checkout_by == by,
                                Visit.checked_out_at > now - within,
                                Visit.changed_at == Visit.checked_out_at)
            .values(checked_out_at=None, checkout_by=None, changed_at=now)).rowcount
        if reopened:
            presences.reopen_last(visit.id)
        if reopened and by == CheckoutReason.STAFF:
            audit.record("visit_checkout_undone", {"visit": visit.id})
    db.session.refresh(visit)
    return bool(reopened)


def _auto_checkout_moment(day: date) -> datetime:
    hour, minute = (int(part) for part in current_app.config["AUTO_CHECKOUT_TIME"].split(":"))
    local = datetime.combine(day, time(hour, minute), tzinfo=clock.local_zone())
    return local.astimezone(UTC)


def _day_cutoffs(day: date) -> tuple[datetime, datetime]:
    """(the day's auto check-out moment, the end of the day), in UTC."""
    start, end = clock.local_day_bounds(day)
    return min(max(_auto_checkout_moment(day), start), end), end


def auto_checkout_deadline(checked_in_at: datetime) -> datetime:
    """When auto check-out closes a visit that began at `checked_in_at` (see below)."""
    cutoff, end = _day_cutoffs(clock.to_local(checked_in_at).date())
    return cutoff if checked_in_at < cutoff else end


def auto_check_out() -> int:
    """Close the visits still open at the end of their day, at the configured time.

    A visit is closed at AUTO_CHECKOUT_TIME on its own (local) day; one that began after that
    time, at the end of that day. Running it again changes nothing. Returns how many closed.
    """
    now = clock.utcnow()
    oldest = db.session.scalar(select(func.min(Visit.checked_in_at))
                               .where(Visit.checked_out_at.is_(None)))
    closed = 0
    day = clock.to_local(oldest).date() if oldest else None
    while day is not None and day <= clock.to_local(now).date():
        start, _ = clock.local_day_bounds(day)
        cutoff, end = _day_cutoffs(day)
        for upto, moment in ((cutoff, cutoff), (end, end)):
            if moment > now:
                break
            still_open = (Visit.checked_out_at.is_(None), Visit.checked_in_at >= start,
                          Visit.checked_in_at < upto)
            presences.close_for(select(Visit.id).where(*still_open), moment)
            closed += db.session.execute(
                update(Visit).where(*still_open)
                .values(checked_out_at=moment, checkout_by=CheckoutReason.AUTO, changed_at=now)
            ).rowcount
        day += timedelta(days=1)
    db.session.commit()
    return closed


def correct_visit(visit: Visit, user: User, full_name: str, phone: str) -> bool:
    """Correct a typo in the name or phone, keeping who changed what and when."""
    now = clock.utcnow()
    changes = [(name, old, new) for name, old, new in (
        ("full_name", visit.full_name, full_name),
        ("phone", visit.phone, normalise_phone(phone) or phone)) if old != new]
    for name, old, new in changes:
        visit.corrections.append(VisitCorrection(user_id=user.id, at=now, field=name,
                                                 old_value=old, new_value=new))
        setattr(visit, name, new)
    if changes:
        visit.changed_at = now
        visit.refresh_search_text()
        audit.record("visit_correct", {"visit": visit.id,
                                       "fields": [name for name, _old, _new in changes]},
                     user=user)
        db.session.commit()
    return bool(changes)
