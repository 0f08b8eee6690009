"""The list for the district health centre: which columns, which rows, one row per person.

Rows are read from a database cursor and turned into cells as they come, so a month of visits
needs no more memory than a day; app.reports.export_files writes them as CSV or XLSX. The
columns are those of ../shared/declaration.md, in Vietnamese whatever the page's language, since
the file is for the health centre.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import Enum

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import (
    Select,
    String,
    Text,
    and_,
    cast,
    func,
    literal,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy import case as sql_case
from sqlalchemy.orm import aliased

from ..checkin.declaration import EXPOSURES, SYMPTOMS, is_flagged
from ..extensions import db
from ..store import clock
from ..store.models import (
    CheckoutReason,
    Companion,
    Decision,
    GateDecision,
    Location,
    Presence,
    User,
    UTCDateTime,
    Visit,
    VisitSource,
)
from ..store.normalise import fold_for_search
from .tracing import Meeting, Trace


class Kind(Enum):
    """What a column holds, which decides how the files write it."""

    NUMBER = "number"  # made by the application: a count, an id, a year, minutes
    TIME = "time"  # made by the application: a local time
    DATE = "date"  # made by the application: a local day
    TEXT = "text"  # typed by someone, or a label: never run as a formula
    PHONE = "phone"  # digits with a leading zero: kept as text
    ID = "id"  # an ID number (digits, or a passport's letters and digits): kept as text

    @property
    def may_be_typed(self) -> bool:
        """Whether a cell can hold what someone typed (and so must be neutralised)."""
        return self not in (Kind.NUMBER, Kind.TIME, Kind.DATE)

    @property
    def keeps_leading_zeros(self) -> bool:
        """Whether the digits must stay text in a spreadsheet (0912…, 001…)."""
        return self in (Kind.PHONE, Kind.ID)


@dataclass(frozen=True)
class Column:
    """A column of the file: its Vietnamese header, its XLSX width (at least: the XLSX widens
    it to fit its first rows) and what it holds; a number's XLSX format, if not the
    default."""

    header: str
    width: int
    kind: Kind
    number_format: str = ""


COLUMNS: tuple[Column, ...] = (
    Column("STT", 7, Kind.NUMBER), Column("Mã lượt vào", 11, Kind.NUMBER),
    Column("Thời gian vào", 18, Kind.TIME), Column("Thời gian ra", 18, Kind.TIME),
    Column("Điểm vào", 18, Kind.TEXT), Column("Họ và tên", 26, Kind.TEXT),
    Column("Năm sinh", 9, Kind.NUMBER), Column("Giới tính", 9, Kind.TEXT),
    Column("Số CCCD/CMND/Hộ chiếu", 17, Kind.ID), Column("Số điện thoại", 14, Kind.PHONE),
    Column("Quốc tịch", 12, Kind.TEXT), Column("Địa chỉ", 40, Kind.TEXT),
    Column("Triệu chứng", 24, Kind.TEXT), Column("Tiếp xúc/dịch tễ", 24, Kind.TEXT),
    Column("Đi về từ vùng dịch", 22, Kind.TEXT), Column("Cảnh báo", 10, Kind.TEXT),
    Column("Mục đích", 24, Kind.TEXT), Column("Nguồn", 12, Kind.TEXT),
    # A visitor or one of the organisation's employees (with their code and department).
    Column("Loại", 11, Kind.TEXT), Column("Mã nhân viên", 14, Kind.TEXT),
    Column("Bộ phận", 18, Kind.TEXT),
    Column("Đi cùng với", 26, Kind.TEXT),
    # What the gate did about the visit (the flagged ones, mostly), by whom and when.
    Column("Quyết định tại cổng", 20, Kind.TEXT), Column("Nhiệt độ (°C)", 10, Kind.NUMBER, "0.0"),
    Column("Ghi chú tại cổng", 26, Kind.TEXT), Column("Người quyết định", 14, Kind.TEXT),
    Column("Thời gian quyết định", 18, Kind.TIME),
)
HEADER = tuple(column.header for column in COLUMNS)
# A trace's file: the export's columns and two more.
OVERLAP_COLUMNS: tuple[Column, ...] = (Column("Thời gian trùng (phút)", 12, Kind.NUMBER),
                                       Column("Mã lượt của ca bệnh", 12, Kind.NUMBER),
                                       # Where and when: "Bộ phận một cửa 09:30–10:00, cùng
                                       # lúc 10 phút" (the contact's time at each point).
                                       Column("Nơi trùng với ca bệnh", 40, Kind.TEXT))
# The XLSX's second sheet: where each party that moved was, a row per place (the CSV keeps
# its columns: its format is what the health centre's tools read).
MOVES_TITLE = "Di chuyển"
MOVE_COLUMNS: tuple[Column, ...] = (
    Column("Mã lượt vào", 11, Kind.NUMBER), Column("Họ và tên", 26, Kind.TEXT),
    Column("Điểm", 22, Kind.TEXT), Column("Từ", 18, Kind.TIME), Column("Đến", 18, Kind.TIME))
# The XLSX's summary sheet: the counts of each day at each entry point, and of the day at
# all of them (when the file is not for one entry point).
SUMMARY_TITLE = "Tổng hợp"
SUMMARY_COLUMNS: tuple[Column, ...] = (
    Column("Ngày", 12, Kind.DATE), Column("Điểm vào", 22, Kind.TEXT),
    Column("Lượt vào", 10, Kind.NUMBER), Column("Số người", 10, Kind.NUMBER),
    Column("Nhân viên", 11, Kind.NUMBER), Column("Cảnh báo", 10, Kind.NUMBER),
    Column("Không cho vào", 15, Kind.NUMBER))
ALL_POINTS = "Tất cả điểm vào"
GENDER = {"male": "Nam", "female": "Nữ", "other": "Khác"}
SOURCE = {VisitSource.SELF: "Tự khai", VisitSource.STAFF: "Lễ tân nhập",
          VisitSource.PAPER: "Phiếu giấy"}
DECISION = {Decision.ADMIT: "Cho vào", Decision.MEDICAL: "Đưa đến phòng y tế",
            Decision.REFUSE: "Không cho vào"}
FLAG = "CẢNH BÁO"
_FLAG_INDEX = HEADER.index("Cảnh báo")
VISITOR, EMPLOYEE = "Khách", "Nhân viên"


def file_name(kind: str, start: date, end: date, extension: str) -> str:
    """gatebook-<organisation>-2021-07-14.csv, or …-2021-07-01_2021-07-14.csv for a range."""
    org = re.sub(r"[^a-z0-9]+", "-", fold_for_search(current_app.config["ORG_NAME"])).strip("-")
    days = start.isoformat() if start == end else f"{start.isoformat()}_{end.isoformat()}"
    parts = ["gatebook", org or "org", *([kind] if kind else []), days]
    return "-".join(parts) + "." + extension


# --- reading ---------------------------------------------------------------------------------

# The columns read for each person, as the database stores them (no per-row conversions by
# the ORM: the formatter below does only what the file needs, and caches what repeats). The
# time in is when the person came in, also for a declaration corrected later.
_DECIDER = aliased(User)
_RAW = (
    Visit.id, type_coerce(func.coalesce(Visit.arrived_at, Visit.checked_in_at), String),
    type_coerce(Visit.checked_out_at, String),
    Location.name, Visit.full_name, Visit.birth_year, Visit.gender, Visit.id_number, Visit.phone,
    Visit.nationality, Visit.street, Visit.ward, Visit.province,
    cast(Visit.declaration, Text).label("visit_declaration"),
    Visit.flagged, Visit.purpose, Visit.source, Visit.employee_code, Visit.department,
    GateDecision.decision, GateDecision.temperature,
    GateDecision.note, _DECIDER.username, type_coerce(GateDecision.at, String),
    Companion.full_name, Companion.birth_year,
    cast(Companion.declaration, Text).label("companion_declaration"),
)


def _people(statement: Select) -> Select:
    return (statement.join(Location, Location.id == Visit.location_id)
            .outerjoin(GateDecision, GateDecision.visit_id == Visit.id)
            .outerjoin(_DECIDER, _DECIDER.id == GateDecision.user_id)
            .outerjoin(Companion, Companion.visit_id == Visit.id)
            .order_by(Visit.checked_in_at, Visit.id, Companion.position))


def range_query(start: date, end: date, location_id: int | None = None) -> Select:
    """Everyone who checked in from local day `start` to `end` (both included)."""
    since, until = clock.local_range_bounds(start, end)
    statement = select(*_RAW).where(Visit.checked_in_at >= since, Visit.checked_in_at < until,
                                    Visit.counted())
    if location_id is not None:
        statement = statement.where(Visit.location_id == location_id)
    return _people(statement)


def movement_rows(start: date, end: date, location_id: int | None = None
                  ) -> Iterator[list[str]]:
    """MOVE_COLUMNS for each place of the stays, begun from local day `start` to `end`, whose
    party moved (a stay at one place says so in the main sheet), in order of check-in."""
    since, until = clock.local_range_bounds(start, end)
    stays = select(Visit.id).where(Visit.checked_in_at >= since, Visit.checked_in_at < until,
                                   Visit.counted())
    if location_id is not None:
        stays = stays.where(Visit.location_id == location_id)
    moved = (select(Presence.visit_id).where(Presence.visit_id.in_(stays))
             .group_by(Presence.visit_id).having(func.count() > 1))
    for visit_id, name, place, came, left in db.session.execute(
            select(Visit.id, Visit.full_name, Location.name, Presence.started_at,
                   Presence.ended_at)
            .join(Presence, Presence.visit_id == Visit.id)
            .join(Location, Location.id == Presence.location_id)
            .where(Visit.id.in_(moved))
            .order_by(Visit.checked_in_at, Visit.id, Presence.id)):
        yield [str(visit_id), name, place, _local_time(came), _local_time(left)]


def summary_rows(start: date, end: date, location_id: int | None = None) -> list[list[str]]:
    """SUMMARY_COLUMNS for each local day from `start` to `end`: a row for each entry point
    where someone checked in that day, then the day's total at all of them (always, even
    when nobody came); for one entry point, its row each day (even when nobody came).

    The counts come from one aggregate query, the days joined as a table of their UTC bounds
    (portable, and each day reads its own slice of the index): visits, people (the parties'
    sizes), employees' visits, flagged visits, and parties refused at the gate.
    """
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    since, until = clock.local_range_bounds(start, end)
    table = union_all(*(
        select(literal(number).label("day"), literal(begins, UTCDateTime).label("since"),
               literal(ends, UTCDateTime).label("until"))
        for number, (begins, ends) in enumerate(map(clock.local_day_bounds, days)))
    ).subquery("days")
    statement = (
        select(table.c.day, Location.name, func.count(Visit.id), func.sum(Visit.party_size),
               func.count(Visit.employee_code),
               func.sum(sql_case((Visit.flagged.is_(True), 1), else_=0)),
               func.sum(sql_case((Visit.checkout_by == CheckoutReason.REFUSED, 1), else_=0)))
        .join(Visit, and_(Visit.checked_in_at >= table.c.since,
                          Visit.checked_in_at < table.c.until))
        .join(Location, Location.id == Visit.location_id)
        # The whole range too, so that a planner reads only its slice of the index, whichever
        # way round it joins the days.
        .where(Visit.checked_in_at >= since, Visit.checked_in_at < until, Visit.counted())
        .group_by(table.c.day, Location.id, Location.name)
        .order_by(table.c.day, Location.name, Location.id))
    if location_id is not None:
        statement = statement.where(Visit.location_id == location_id)
    by_day: dict[int, list[tuple]] = {}
    for day, place, *counts in db.session.execute(statement):
        by_day.setdefault(day, []).append((place, *(int(count or 0) for count in counts)))
    only = None if location_id is None else db.session.get(Location, location_id)
    rows = []
    for number, day in enumerate(days):
        points = by_day.get(number, [])
        if only is None:  # the day's total, at every entry point
            points.append((ALL_POINTS, *(sum(point[i] for point in points) for i in range(1, 6))))
        elif not points:
            points = [(only.name, 0, 0, 0, 0, 0)]
        rows += [[day.isoformat(), place, *map(str, counts)] for place, *counts in points]
    return rows


def _local_time(moment: datetime | None) -> str:
    return "" if moment is None else clock.to_local(moment).strftime("%Y-%m-%d %H:%M:%S")


def visits_query(visit_ids: Iterable[int]) -> Select:
    """The people of these visits (tracing results)."""
    return _people(select(*_RAW).where(Visit.id.in_(list(visit_ids))))


def stream_query(statement: Select) -> Iterator[tuple]:
    """The rows of a query as the cursor yields them (a server-side cursor on PostgreSQL),
    through SQLAlchemy Core: the rows are plain columns, with nothing for the ORM to do."""
    result = db.session.connection().execute(statement, execution_options={
        "stream_results": True, "max_row_buffer": 2000})
    try:
        for partition in result.partitions(2000):
            yield from partition
    finally:  # an interrupted download closes the (server-side) cursor at once
        result.close()


# --- formatting ------------------------------------------------------------------------------

class PersonRows:
    """Turns raw visit rows into one row of cells per person: the visitor, then companions."""

    def __init__(self) -> None:
        with force_locale("vi"):
            self._symptoms = [(q.key, str(q.label)) for q in SYMPTOMS]
            self._exposures = [(q.key, str(q.label)) for q in EXPOSURES]
        self._zone = clock.local_zone()
        self._answers: dict[str, tuple[str, str, str]] = {}
        self._minutes: dict[str, str] = {}
        self.count = 0

    def _local(self, stored: str | datetime | None) -> str:
        if stored is None:
            return ""
        if isinstance(stored, str) and len(stored) >= 19 and stored[16] == ":":
            # SQLite hands back "YYYY-MM-DD HH:MM:SS[.ffffff]": the local day, hour and
            # minute are worked out once per minute; the seconds stay as they are (time zones
            # differ by whole minutes).
            minute = self._minutes.get(stored[:16])
            if minute is None:
                minute = self._local_minute(datetime.fromisoformat(stored[:16]))
                self._minutes[stored[:16]] = minute
            return minute + stored[16:19]
        moment = stored if isinstance(stored, datetime) else datetime.fromisoformat(stored)
        return self._local_minute(moment.replace(second=0, microsecond=0)) + f":{moment:%S}"

    def _local_minute(self, utc_minute: datetime) -> str:
        if len(self._minutes) > 100_000:
            self._minutes.clear()
        local = utc_minute.replace(tzinfo=UTC).astimezone(self._zone)
        return local.strftime("%Y-%m-%d %H:%M")

    def _declaration(self, raw: str) -> tuple[str, str, str, str]:
        """The symptoms, contacts and travel columns, and the flag, of one person's answers."""
        # Most visitors answer the same way: each distinct answer set is spelt out once.
        found = self._answers.get(raw)
        if found is None:
            answers = json.loads(raw) if raw else {}
            symptoms = answers.get("symptoms") or {}
            exposure = answers.get("exposure") or {}
            travel = answers.get("travel") or {}
            found = (
                "; ".join(label for key, label in self._symptoms if symptoms.get(key)) or "Không",
                "; ".join(label for key, label in self._exposures if exposure.get(key))
                or "Không",
                ("Có: " + travel.get("places", "")).rstrip(": ") if travel.get("answer")
                else "Không",
                FLAG if is_flagged(answers) else "",
            )
            if len(self._answers) > 10_000:
                self._answers.clear()
            self._answers[raw] = found
        return found

    def rows(self, raw_rows: Iterable[tuple], extra: dict[int, Sequence[str]] | None = None,
             skip_visitor: set[int] | frozenset[int] = frozenset()) -> Iterator[list[str]]:
        """The cells of each person, in COLUMNS order (plus `extra[visit id]`, if given); for
        the visits in `skip_visitor`, only their companions. Text is as stored: the writers
        neutralise formulas their own way (app.reports.export_files)."""
        last_visit = None
        for (visit_id, checked_in, checked_out, place, name, birth_year, gender, id_number,
             phone, nationality, street, ward, province, declaration, flagged, purpose, source,
             employee_code, department, decision, temperature, note, decider, decided_at,
             companion, companion_year, companion_declaration) in raw_rows:
            came, left = self._local(checked_in), self._local(checked_out)
            # The party's decision; the temperature and the note are the visitor's own.
            gate = [DECISION.get(decision, decision or ""), decider or "",
                    self._local(decided_at)]
            more = list(extra[visit_id]) if extra is not None else []
            if visit_id != last_visit and visit_id not in skip_visitor:
                self.count += 1
                symptoms, exposure, travel, flag = self._declaration(declaration)
                address = ", ".join(part for part in (street, ward, province) if part)
                # An employee's year of birth is not asked (the register does not hold it).
                yield [str(self.count), str(visit_id), came, left, place, name,
                       "" if birth_year is None else str(birth_year),
                       GENDER.get(gender, gender), id_number or "", phone, nationality, address,
                       symptoms, exposure, travel, flag, purpose, SOURCE.get(source, source),
                       VISITOR if employee_code is None else EMPLOYEE, employee_code or "",
                       department or "", "", gate[0], _temperature(temperature), note or "",
                       *gate[1:], *more]
            last_visit = visit_id
            if companion is not None:
                self.count += 1
                if companion_declaration not in (None, "null"):  # their own answers
                    symptoms, exposure, travel, flag = self._declaration(companion_declaration)
                else:  # recorded before companions were asked: the party's flag
                    symptoms, exposure, travel = "", "", ""
                    flag = FLAG if flagged else ""
                # A companion is reached through the person they came with.
                yield [str(self.count), str(visit_id), came, left, place, companion,
                       str(companion_year), "", "", phone, "", "", symptoms, exposure, travel,
                       flag, purpose, SOURCE.get(source, source), VISITOR, "", "", name,
                       gate[0], "", "", *gate[1:], *more]


def is_flagged_row(row: Sequence[str]) -> bool:
    """Whether a row of COLUMNS (and more) is a person who declared something: the XLSX
    highlights it."""
    return row[_FLAG_INDEX] == FLAG


def meeting_text(meeting: Meeting) -> str:
    """Bộ phận một cửa 09:30–10:00, cùng lúc 10 phút (local times)."""
    start, end = (clock.to_local(moment).strftime("%H:%M") for moment in (meeting.start,
                                                                          meeting.end))
    return f"{meeting.place} {start}–{end}, cùng lúc {meeting.minutes} phút"


def _temperature(value: float | None) -> str:
    """37,5: a decimal comma, as the health centre writes it."""
    return "" if value is None else f"{value:.1f}".replace(".", ",")


def trace_rows(trace: Trace) -> list[list[str]]:
    """A trace in the export's format plus OVERLAP_COLUMNS: the case's companions (who came with
    the case), then the contacts with their companions, longest overlap first. A trace is
    small: it is read whole."""
    extra: dict[int, tuple[str, str, str]] = {}
    for case in trace.cases:
        start, end = trace.stay(case)
        extra[case.id] = (str(int((end - start).total_seconds() // 60)), str(case.id), "")
    for contact in trace.contacts:
        extra[contact.visit.id] = (str(contact.overlap_minutes), str(contact.case_visit_id),
                                   "; ".join(meeting_text(m) for m in contact.meetings))
    by_visit: dict[int, list[tuple]] = {}
    for row in db.session.execute(visits_query(extra)):
        by_visit.setdefault(row[0], []).append(row)
    ordered = [row for visit_id in extra for row in by_visit.get(visit_id, [])]
    return list(PersonRows().rows(ordered, extra, skip_visitor={case.id for case in trace.cases}))
