"""Database models: entry points, visits, companions, staff accounts, audit log, job turns,
the daily delivery by e-mail."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    String,
    TypeDecorator,
    or_,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from ..extensions import db
from . import clock
from .normalise import fold_for_search


class UTCDateTime(TypeDecorator):
    """A point in time stored as naive UTC on every database and returned as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("refusing to store a naive datetime; use an aware UTC time")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def stored_as_text(enum: type[StrEnum], length: int = 10) -> Enum:
    """A column holding a StrEnum's values as plain text (no database enum type, no CHECK), so
    rows written before the enum existed read back as its members."""
    return Enum(enum, native_enum=False, create_constraint=False, length=length,
                values_callable=lambda members: [member.value for member in members])


class CheckoutReason(StrEnum):
    """Who or what closed a visit."""

    VISITOR = "visitor"  # the visitor's own phone
    STAFF = "staff"  # at reception
    AUTO = "auto"  # the end-of-day automatic check-out
    REPLACED = "replaced"  # a corrected declaration took its place: not counted
    REFUSED = "refused"  # the gate did not let the party in ("Không cho vào")


class VisitSource(StrEnum):
    """Who typed the declaration in."""

    SELF = "self"  # the visitor, on their phone
    STAFF = "staff"  # a receptionist, for a visitor without a smartphone
    PAPER = "paper"  # a receptionist, from a paper slip filled in at the gate (with its times)


class PointKind(StrEnum):
    """What scanning an entry point means for someone already inside."""

    ENTRANCE = "entrance"  # a gate: scanned again, the stay ends ("Ra về")
    INNER = "inner"  # a counter, meeting room, canteen: scanned, the party is there now
    MEDICAL = "medical"  # the medical room: an inner point the gate can send a party to


class Decision(StrEnum):
    """What the gate did about a flagged check-in."""

    ADMIT = "admit"  # let in
    MEDICAL = "medical"  # taken to the medical room
    REFUSE = "refuse"  # not let in


class Role(StrEnum):
    """What a staff account may do."""

    ADMIN = "admin"  # the officer in charge: entry points, staff, export, tracing, the desk
    RECEPTIONIST = "receptionist"  # the desk
    HEALTH_OFFICER = "health_officer"  # the health centre's officer: export and tracing only


class DaysLater(ColumnElement):
    """A stored time moved by whole days, written out in the SQL itself: a partial index's
    condition takes no parameters, and a query uses the index only if it says the same."""

    inherit_cache = True
    _traverse_internals = [("moment", InternalTraversal.dp_clauseelement),
                           ("days", InternalTraversal.dp_plain_obj)]

    def __init__(self, moment: ColumnElement, days: int) -> None:
        self.moment = moment
        self.days = int(days)
        self.type = DateTime()


@compiles(DaysLater, "sqlite")
def _days_later_sqlite(element: DaysLater, compiler: Any, **kw: Any) -> str:
    # Stored times are text ("2021-07-14 01:30:00.000000"); datetime() drops the fraction,
    # which moves the result by less than a second.
    return f"datetime({compiler.process(element.moment, **kw)}, '{element.days:+d} days')"


@compiles(DaysLater)
def _days_later(element: DaysLater, compiler: Any, **kw: Any) -> str:
    return f"({compiler.process(element.moment, **kw)} + INTERVAL '{element.days} days')"


# The largest id an integer primary key holds on every database.
MAX_ID = 2**31 - 1


def new_location_token() -> str:
    """An unguessable token for a check-in URL (128 bits)."""
    return secrets.token_urlsafe(16)


class Location(db.Model):
    """An entry point (a gate, a one-stop counter) with its own poster and check-in URL."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_location_token)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: clock.utcnow())
    kind: Mapped[PointKind] = mapped_column(stored_as_text(PointKind), default=PointKind.ENTRANCE,
                                            server_default=PointKind.ENTRANCE.value)

    visits: Mapped[list[Visit]] = relationship(back_populates="location")

    @property
    def is_inner(self) -> bool:
        """True for a point inside the building (scanning it there moves, not leaves)."""
        return self.kind != PointKind.ENTRANCE


def search_text(phone: str, id_number: str | None, names: list[str],
                employee_code: str | None) -> str:
    """A visit's Visit.search_text: phone, ID number, the party's names and the employee's
    code, folded."""
    code = [employee_code] if employee_code else []
    return " | ".join(fold_for_search(part) for part in
                      [phone, id_number or "", *names, *code])[:600]


class Visit(db.Model):
    """One person's entry: who they are, their declaration, and when they came and went."""

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the person came in, if earlier than checked_in_at: a corrected declaration is a new
    # visit from the moment of the correction, but its person has been there since the first.
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checkout_by: Mapped[CheckoutReason | None] = mapped_column(stored_as_text(CheckoutReason))

    full_name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(10))  # national form: 0 + 9 digits
    # Not known for an employee (the register holds name, code, department, phone and, at
    # most, an ID number).
    birth_year: Mapped[int | None]
    gender: Mapped[str] = mapped_column(String(10))  # male | female | other; "" if not known
    id_number: Mapped[str | None] = mapped_column(String(20))
    nationality: Mapped[str] = mapped_column(String(60))
    province: Mapped[str] = mapped_column(String(60))
    ward: Mapped[str] = mapped_column(String(100), default="")
    street: Mapped[str] = mapped_column(String(200), default="")
    purpose: Mapped[str] = mapped_column(String(200), default="")

    # Every answer as asked, e.g. {"symptoms": {"fever": false, ...}, "exposure": {...},
    # "travel": {"answer": false, "places": ""}}; kept as data so the questions can change.
    declaration: Mapped[dict] = mapped_column(JSON)
    # Anyone of the party (the visitor or a companion) declared a symptom, contact or travel.
    flagged: Mapped[bool] = mapped_column(default=False)
    source: Mapped[VisitSource] = mapped_column(stored_as_text(VisitSource),
                                                default=VisitSource.SELF)
    # SHA-256 of the per-visit secret held by the visitor's phone; also makes a double submit
    # of the same form land on the same visit.
    secret_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The staff member who entered the visit (source VisitSource.STAFF or PAPER).
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # Name, phone, ID number and companions' names without case or diacritics, for search.
    search_text: Mapped[str] = mapped_column(String(600), default="")
    # When anything about the visit last changed: the dashboard polls for changes after it.
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The visitor and their companions: the people this visit brought in.
    party_size: Mapped[int] = mapped_column(default=1)
    # An employee's visit: who (while the register keeps them), and their code and department
    # as they were that day.
    employee_id: Mapped[int | None] = mapped_column(
        ForeignKey("employee.id", ondelete="SET NULL"), index=True)
    employee_code: Mapped[str | None] = mapped_column(String(30))
    department: Mapped[str] = mapped_column(String(100), default="")

    location: Mapped[Location] = relationship(back_populates="visits")
    entered_by: Mapped[User | None] = relationship()
    gate_decision: Mapped[GateDecision | None] = relationship(
        back_populates="visit", cascade="all, delete-orphan", passive_deletes=True)
    corrections: Mapped[list[VisitCorrection]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="VisitCorrection.at")
    companions: Mapped[list[Companion]] = relationship(
        back_populates="visit", cascade="all, delete-orphan", passive_deletes=True,
        order_by="Companion.position",
    )
    presences: Mapped[list[Presence]] = relationship(
        back_populates="visit", cascade="all, delete-orphan", passive_deletes=True,
        order_by="Presence.id")

    __table_args__ = (
        # The day's list, newest first.
        Index("ix_visit_checked_in_at_id", "checked_in_at", "id"),
        # The day's visits and how many of them were employees', counted from the index alone
        # (the counters; the few replaced, parties and open visits from their own indexes).
        Index("ix_visit_day", "checked_in_at", "employee_code"),
        # Tracing from an employee's code.
        Index("ix_visit_employee_code_checked_in_at", "employee_code", "checked_in_at"),
        # An entry point's visits by time, with when they left: tracing reads the index alone.
        Index("ix_visit_location_stay", "location_id", "checked_in_at", "checked_out_at"),
        # Tracing by phone number.
        Index("ix_visit_phone_checked_in_at", "phone", "checked_in_at"),
        Index("ix_visit_changed_at", "changed_at"),
        # The visits still open by check-in time (people inside, the roll call, the end of
        # the day's check-out), with what the counters of people inside read.
        Index("ix_visit_open", "checked_out_at", "checked_in_at", "checkout_by", "party_size",
              "employee_code"),
        # The day's flagged visits: the alert panel and its counter.
        Index("ix_visit_flagged_checked_in_at", "flagged", "checked_in_at"),
    )

    # Where the party is now, when that is not where it came in (set by app.desk.day_list for the
    # desk's rows and roll call; never stored here).
    place_now = None

    def refresh_search_text(self) -> None:
        """Recompute search_text after the name, phone, ID number or companions change."""
        self.search_text = search_text(self.phone, self.id_number,
                                       [self.full_name, *(c.full_name for c in self.companions)],
                                       self.employee_code)

    @property
    def is_open(self) -> bool:
        """True while the visitor has not checked out."""
        return self.checked_out_at is None

    @property
    def party(self) -> list[Companion]:
        """The companions, read from the database only for a party: a visitor alone (most
        visits) costs no query."""
        return self.companions if self.party_size > 1 else []

    @property
    def is_employee(self) -> bool:
        """True for a visit made by one of the organisation's own employees."""
        return self.employee_code is not None

    @property
    def is_replaced(self) -> bool:
        """True for a declaration later replaced by a corrected one (not a real entry)."""
        return self.checkout_by == CheckoutReason.REPLACED

    @classmethod
    def counted(cls):
        """SQL condition: a real entry, not a declaration later replaced by a corrected one."""
        return or_(cls.checkout_by.is_(None), cls.checkout_by != CheckoutReason.REPLACED)

    @classmethod
    def longer_than_a_day(cls):
        """SQL condition: checked out more than a day after the check-in, or came in more than a
        day before it (a corrected declaration). The automatic check-out ends every stay on its
        own day; only a visit it had not closed yet (the server was off at the time), checked
        out or corrected later, lasts longer."""
        return or_(cls.checked_out_at > DaysLater(cls.checked_in_at, 1),
                   cls.arrived_at < DaysLater(cls.checked_in_at, -1))


# The counters' partial indexes: the visits that are not one visitor's plain entry, each kind
# read from the index alone over the day's range. Their conditions are written out as SQL
# (a partial index is used only by a query that says the same, parameters do not).
REPLACED_SQL = "checkout_by = 'replaced'"
PARTY_SQL = "party_size > 1"
Index("ix_visit_replaced", Visit.checked_in_at, Visit.checkout_by, Visit.party_size, Visit.flagged,
      Visit.employee_code, Visit.checked_out_at,
      sqlite_where=text(REPLACED_SQL), postgresql_where=text(REPLACED_SQL))
Index("ix_visit_party", Visit.checked_in_at, Visit.party_size, Visit.checkout_by,
      Visit.checked_out_at, sqlite_where=text(PARTY_SQL), postgresql_where=text(PARTY_SQL))
# The few stays longer than a day, for tracing: whatever its age, such a stay can overlap a case.
Index("ix_visit_long_stay", Visit.checked_in_at,
      sqlite_where=Visit.longer_than_a_day(), postgresql_where=Visit.longer_than_a_day())


class VisitCorrection(db.Model):
    """A staff member corrected a typo in a visit: who, when, which field, from what to what."""

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    field: Mapped[str] = mapped_column(String(20))
    old_value: Mapped[str] = mapped_column(String(200))
    new_value: Mapped[str] = mapped_column(String(200))

    user: Mapped[User] = relationship()


class GateDecision(db.Model):
    """What the gate decided about a visit (a flagged one, mostly): who, when, the body
    temperature if it was taken, and a note. One per visit."""

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id", ondelete="CASCADE"),
                                          unique=True)
    decision: Mapped[Decision] = mapped_column(stored_as_text(Decision))
    temperature: Mapped[float | None]  # °C, one decimal
    note: Mapped[str] = mapped_column(String(200), default="")
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    visit: Mapped[Visit] = relationship(back_populates="gate_decision")
    user: Mapped[User] = relationship()


class Presence(db.Model):
    """Where a visit's party was during its stay: one entry point, from, until (None while
    still there). The check-in opens the first; moving to an inner point closes one and opens
    the next; leaving (or the gate's refusal, or the end of the day) closes the last."""

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id", ondelete="CASCADE"))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    visit: Mapped[Visit] = relationship(back_populates="presences")
    location: Mapped[Location] = relationship()

    __table_args__ = (
        # A visit's presences (in the order of their ids: the order they were opened).
        Index("ix_presence_visit_id", "visit_id"),
        # A point's presences by time, with when they ended and whose: tracing reads the
        # index alone.
        Index("ix_presence_location_stay", "location_id", "started_at", "ended_at", "visit_id"),
    )

    @classmethod
    def longer_than_a_day(cls):
        """SQL condition: ended more than a day after it began (a stay the automatic
        check-out had not closed in time; see Visit.longer_than_a_day)."""
        return cls.ended_at > DaysLater(cls.started_at, 1)


# The few presences longer than a day, for tracing (as ix_visit_long_stay for visits).
Index("ix_presence_long_stay", Presence.location_id, Presence.started_at,
      sqlite_where=Presence.longer_than_a_day(), postgresql_where=Presence.longer_than_a_day())
# The presences still open (today's, and any the automatic check-out has not closed yet): the
# few that tracing may find begun more than a day before a case.
Index("ix_presence_open", Presence.location_id, Presence.started_at,
      sqlite_where=Presence.ended_at.is_(None), postgresql_where=Presence.ended_at.is_(None))
# The open presences by visit, for where the people inside are (the counters join them to the
# day's open visits). "visit_id IS NOT NULL" (always true) keeps it to lookups by visit: a join
# on visit_id implies it, tracing's lookups by entry point do not, and keep ix_presence_open.
OPEN_BY_VISIT_SQL = "ended_at IS NULL AND visit_id IS NOT NULL"
Index("ix_presence_open_visit", Presence.visit_id, Presence.location_id, Presence.ended_at,
      sqlite_where=text(OPEN_BY_VISIT_SQL), postgresql_where=text(OPEN_BY_VISIT_SQL))


class Companion(db.Model):
    """Someone checked in under another person's visit (a child, an elderly parent)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    full_name: Mapped[str] = mapped_column(String(100))
    birth_year: Mapped[int]
    # The companion's own answers, in the shape of Visit.declaration; None for companions
    # recorded before companions were asked.
    declaration: Mapped[dict | None] = mapped_column(JSON)
    flagged: Mapped[bool] = mapped_column(default=False)

    visit: Mapped[Visit] = relationship(back_populates="companions")


class User(UserMixin, db.Model):
    """A staff account: an admin (the officer in charge), a receptionist or a health officer
    (cán bộ y tế)."""

    ROLES = tuple(role.value for role in Role)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(stored_as_text(Role, length=20))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: clock.utcnow())

    # The sign-in this User object was loaded for (set by app.auth.access, never stored here).
    login_token = None

    @property
    def is_active(self) -> bool:  # Flask-Login refuses deactivated accounts
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_health_officer(self) -> bool:
        """True for the health centre's officer, who opens the export and tracing only."""
        return self.role == Role.HEALTH_OFFICER

    def get_id(self) -> str | None:
        """Flask-Login keeps the sign-in's token in the session, not the user's id, so that
        signing out (or a password reset) ends that session for good."""
        return self.login_token


class LoginSession(db.Model):
    """A staff member's signed-in browser; deleting the row signs that browser out."""

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    user: Mapped[User] = relationship()


class LoginFailure(db.Model):
    """A failed sign-in, kept a short while to slow down password guessing."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    username_key: Mapped[str] = mapped_column(String(60))
    address: Mapped[str] = mapped_column(String(45))

    __table_args__ = (
        Index("ix_login_failure_username_key_at", "username_key", "at"),
        Index("ix_login_failure_address_at", "address", "at"),
    )


class SetupToken(db.Model):
    """The one-time link that creates the first admin (hash only)."""

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RetiredToken(db.Model):
    """A check-in token replaced by a new one: its posters show "this QR code was replaced"."""

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id", ondelete="CASCADE"),
                                             index=True)
    retired_at: Mapped[datetime] = mapped_column(UTCDateTime)

    location: Mapped[Location] = relationship()


class AuditEvent(db.Model):
    """Who did what and when: exports, traces, visit views, sign-ins, changes to accounts and
    entry points. Never holds a visitor's personal data, only ids, dates and counts."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # The staff member; None for the system (the retention purge) or an unknown user name.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # The user name at the time, kept even if the account is renamed or gone.
    username: Mapped[str] = mapped_column(String(60), default="")
    action: Mapped[str] = mapped_column(String(30))
    # The parameters: dates, entry point, visit or account ids, thresholds.
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    # Rows exported, contacts found, visits deleted; None when the download did not finish.
    row_count: Mapped[int | None]
    address: Mapped[str] = mapped_column(String(45), default="")

    __table_args__ = (
        Index("ix_audit_event_action_at", "action", "at"),
        Index("ix_audit_event_user_id_at", "user_id", "at"),
    )


class Setting(db.Model):
    """A setting an admin changes on the settings page (e.g. the health-measures notice)."""

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(2000), default="")
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))


class Employee(db.Model):
    """One of the organisation's own staff or workers, in the register an admin keeps."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)  # mã nhân viên
    full_name: Mapped[str] = mapped_column(String(100))
    department: Mapped[str] = mapped_column(String(100), default="", index=True)
    phone: Mapped[str] = mapped_column(String(10))  # national form, as for visitors
    id_number: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: clock.utcnow())
    # When the employee left: the entry is deleted once the retention period has passed.
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    devices: Mapped[list[EmployeeDevice]] = relationship(
        back_populates="employee", cascade="all, delete-orphan", passive_deletes=True,
        order_by="EmployeeDevice.created_at")


class EmployeeDevice(db.Model):
    """A phone enrolled for an employee: it keeps a long-lived token, the server its hash."""

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employee.id", ondelete="CASCADE"),
                                             index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    employee: Mapped[Employee] = relationship(back_populates="devices")


class EnrolmentCode(db.Model):
    """A personal QR code on an enrolment sheet: used once, within its days (hash only)."""

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employee.id", ondelete="CASCADE"),
                                             index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    employee: Mapped[Employee] = relationship()

class JobRun(db.Model):
    """A periodic job's turn for one period (an interval, a day), taken by the first process
    that inserts it: however many servers and workers run the jobs, each runs once a period."""

    job: Mapped[str] = mapped_column(String(30), primary_key=True)
    period: Mapped[str] = mapped_column(String(30), primary_key=True)
    # Old turns are deleted by the purge.
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # Host name and process id, for the log reader.
    claimed_by: Mapped[str] = mapped_column(String(100))


class DeliveryStatus(StrEnum):
    """Where a day's delivery by e-mail stands."""

    PENDING = "pending"  # not sent yet: tried again at next_try_at
    SENT = "sent"  # every recipient has it
    FAILED = "failed"  # given up (6 hours past its time, or past retention): `flask deliver`


class DeliverySettings(db.Model):
    """The daily delivery of the day's file to the health centre, as the admins set it: one
    row (id 1). The file password must be usable by the server, so it is kept encrypted (with a
    key derived from SECRET_KEY: app.reports.delivery_settings), never hashed."""

    id: Mapped[int] = mapped_column(primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=False)
    # Since when it is on: a day is sent only if it was on at that day's time.
    enabled_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recipients: Mapped[str] = mapped_column(String(2000), default="")  # one address a line
    send_at: Mapped[str] = mapped_column(String(5), default="07:00")  # local HH:MM
    password_encrypted: Mapped[str] = mapped_column(String(1000), default="")
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))


class Delivery(db.Model):
    """One day's delivery by e-mail: its state, its tries, who has it. Never holds anything
    about the day's visitors: the error is the mail server's, the addresses the recipients'."""

    day: Mapped[date] = mapped_column(Date, primary_key=True)  # the local day the file lists
    status: Mapped[DeliveryStatus] = mapped_column(stored_as_text(DeliveryStatus),
                                                   default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_try_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The recipients who have it, one a line (a retry sends to the others only).
    sent_to: Mapped[str] = mapped_column(String(2000), default="")
    last_error: Mapped[str] = mapped_column(String(300), default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
