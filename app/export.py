"""The list for the district health centre: one row per person, as CSV or XLSX, streamed.

Rows are read from a database cursor and written out as they come, so a month of visits needs
no more memory than a day. The columns are those of ../shared/declaration.md, in Vietnamese
whatever the page's language, since the file is for the health centre.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import IO

from flask import current_app
from flask_babel import force_locale
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import Select, String, Text, cast, func, select, type_coerce

from . import clock
from .declaration import EXPOSURES, SYMPTOMS
from .extensions import db
from .models import Companion, Location, Visit
from .normalise import fold_for_search

# (header, XLSX column width)
COLUMNS: tuple[tuple[str, int], ...] = (
    ("STT", 7), ("Mã lượt vào", 11), ("Thời gian vào", 20), ("Thời gian ra", 20),
    ("Điểm vào", 18), ("Họ và tên", 26), ("Năm sinh", 9), ("Giới tính", 9),
    ("Số CCCD/CMND/Hộ chiếu", 17), ("Số điện thoại", 14), ("Quốc tịch", 12), ("Địa chỉ", 40),
    ("Triệu chứng", 24), ("Tiếp xúc/dịch tễ", 24), ("Đi về từ vùng dịch", 22),
    ("Cảnh báo", 10), ("Mục đích", 24), ("Nguồn", 12), ("Đi cùng với", 26),
)
HEADER = tuple(name for name, _width in COLUMNS)
OVERLAP_COLUMNS: tuple[tuple[str, int], ...] = (("Thời gian trùng (phút)", 12),
                                                ("Mã lượt của ca bệnh", 12))
# Worth of rows buffered before a CSV chunk goes out.
CHUNK_BYTES = 64 * 1024
# The most rows an XLSX sheet holds, header included; more go on a next sheet.
XLSX_SHEET_ROWS = 1_048_576
# A cell a spreadsheet would take as a formula (or split into a new cell or row).
FORMULA_START = "=+-@\t\r\n"
GENDER = {"male": "Nam", "female": "Nữ", "other": "Khác"}
SOURCE = {"self": "Tự khai", "staff": "Lễ tân nhập"}
FLAG = "CẢNH BÁO"


def neutralise(value: str) -> str:
    """A text cell that a spreadsheet will show as text, never run as a formula."""
    return "'" + value if value and value[0] in FORMULA_START else value


def spreadsheet_digits(value: str) -> str:
    """A number written with leading zeros (phone, ID) grouped by spaces, which spreadsheets
    keep as text: "0912345678" -> "0912 345 678". Anything else is left as it is."""
    if not value.isdigit() or len(value) < 2:
        return value
    if len(value) == 10:  # a Vietnamese phone number, as people write it
        return f"{value[:4]} {value[4:7]} {value[7:]}"
    return " ".join(value[i:i + 3] for i in range(0, len(value), 3))


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
_RAW = (
    Visit.id, type_coerce(func.coalesce(Visit.arrived_at, Visit.checked_in_at), String),
    type_coerce(Visit.checked_out_at, String),
    Location.name, Visit.full_name, Visit.birth_year, Visit.gender, Visit.id_number, Visit.phone,
    Visit.nationality, Visit.street, Visit.ward, Visit.province, cast(Visit.declaration, Text),
    Visit.flagged, Visit.purpose, Visit.source, Companion.full_name, Companion.birth_year,
)


def _people(statement: Select) -> Select:
    return (statement.join(Location, Location.id == Visit.location_id)
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

    def _declaration(self, raw: str) -> tuple[str, str, str]:
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
            )
            if len(self._answers) > 10_000:
                self._answers.clear()
            self._answers[raw] = found
        return found

    def rows(self, raw_rows: Iterable[tuple], extra: dict[int, Sequence[str]] | None = None,
             skip_visitor: set[int] | frozenset[int] = frozenset()) -> Iterator[list[str]]:
        """The cells of each person, in COLUMNS order (plus `extra[visit id]`, if given); for
        the visits in `skip_visitor`, only their companions. Text is as stored: the writers
        neutralise formulas their own way."""
        last_visit = None
        for (visit_id, checked_in, checked_out, place, name, birth_year, gender, id_number,
             phone, nationality, street, ward, province, declaration, flagged, purpose, source,
             companion, companion_year) in raw_rows:
            came, left = self._local(checked_in), self._local(checked_out)
            flag = FLAG if flagged else ""
            more = list(extra[visit_id]) if extra is not None else []
            if visit_id != last_visit and visit_id not in skip_visitor:
                self.count += 1
                symptoms, exposure, travel = self._declaration(declaration)
                address = ", ".join(part for part in (street, ward, province) if part)
                yield [str(self.count), str(visit_id), came, left, place, name, str(birth_year),
                       GENDER.get(gender, gender), id_number or "", phone, nationality, address,
                       symptoms, exposure, travel, flag, purpose, SOURCE.get(source, source), "",
                       *more]
            last_visit = visit_id
            if companion is not None:
                self.count += 1
                # A companion is reached through the person they came with.
                yield [str(self.count), str(visit_id), came, left, place, companion,
                       str(companion_year), "", "", phone, "", "", "", "", "", flag, purpose,
                       SOURCE.get(source, source), name, *more]


# --- writing ---------------------------------------------------------------------------------

# Columns that hold what people typed (or numbers with leading zeros).
_TEXT_COLUMNS = (4, 5, 8, 10, 11, 14, 16, 18)
_ID_COLUMN, _PHONE_COLUMN = 8, 9


def csv_chunks(header: Sequence[str], rows: Iterable[list[str]]) -> Iterator[bytes]:
    """UTF-8 with a BOM (so Excel shows Vietnamese), CRLF, RFC 4180 quoting, formula-safe;
    yielded in chunks of about CHUNK_BYTES."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    yield b"\xef\xbb\xbf" + buffer.getvalue().encode()
    buffer.seek(0)
    buffer.truncate()
    for row in rows:
        for index in _TEXT_COLUMNS:
            value = row[index]
            if value and value[0] in FORMULA_START:
                row[index] = neutralise(value)
        row[_ID_COLUMN] = spreadsheet_digits(row[_ID_COLUMN])
        row[_PHONE_COLUMN] = spreadsheet_digits(row[_PHONE_COLUMN])
        writer.writerow(row)
        if buffer.tell() >= CHUNK_BYTES:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()


def _xlsx_cell(sheet, value: str):
    # XML reads a lone CR as a line feed anyway: write the line break spreadsheets use.
    value = ILLEGAL_CHARACTERS_RE.sub("", value).replace("\r\n", "\n").replace("\r", "\n")
    if value.startswith("=") or value in ERROR_CODES:
        # openpyxl would store these as a formula or an error: force plain text.
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def write_xlsx(columns: Sequence[tuple[str, int]], rows: Iterable[list[str]],
               sheet_title: str = "Sổ vào ra") -> IO[bytes]:
    """The rows as an XLSX workbook in a temporary file (rewound), every cell a string.

    openpyxl's write-only mode keeps each sheet's rows in its own temporary file, so memory
    stays flat however many rows there are.
    """
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)

    def new_sheet(number: int):
        sheet = workbook.create_sheet(sheet_title if number == 1 else f"{sheet_title} {number}")
        for index, (_name, width) in enumerate(columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "A2"
        header = []
        for name, _width in columns:
            cell = WriteOnlyCell(sheet, value=name)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        return sheet

    output = tempfile.TemporaryFile()
    try:
        sheets, sheet, used = 1, new_sheet(1), 1
        for row in rows:
            if used == XLSX_SHEET_ROWS:
                sheets += 1
                sheet, used = new_sheet(sheets), 1
            sheet.append([_xlsx_cell(sheet, value) for value in row])
            used += 1
        workbook.save(output)
    except BaseException:
        # openpyxl deletes its per-sheet files only when saving: visitors' data must not be
        # left behind in the temporary folder by a failed export.
        output.close()
        _remove_sheet_files(workbook)
        raise
    output.seek(0)
    return output


def _remove_sheet_files(workbook: Workbook) -> None:
    for sheet in workbook.worksheets:
        writer = getattr(sheet, "_writer", None)
        if writer is None or not isinstance(writer.out, str) or not os.path.exists(writer.out):
            continue
        with contextlib.suppress(Exception):  # finish the sheet's writer, so it lets go
            sheet.close()
        writer.cleanup()
