"""The district health centre's list: CSV and XLSX, one row per person, formula-safe."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import UTC, datetime

import openpyxl
import pytest
from sqlalchemy import Enum, String
from werkzeug.http import parse_options_header

from app.extensions import db
from app.reports import export, export_files
from app.reports.export import HEADER
from app.store.models import AuditEvent, Companion, Location, Presence, Visit
from tests.builders import add_visit, declaration, hanoi, location_id
from tests.conftest import Phone

DAY = "2021-07-14"


def download(client, **params):
    query = {"start": DAY, "end": DAY, "format": "csv", **params}
    return client.get("/admin/export/download", query_string=query)


def attachment_name(response) -> str:
    kind, options = parse_options_header(response.headers["Content-Disposition"])
    assert kind == "attachment"
    return options["filename"]


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"), newline="")))


def as_dicts(rows: list[list[str]]) -> list[dict[str, str]]:
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_the_csv_has_one_row_per_person_in_vietnamese_and_local_time(app, admin_client, clock):
    Phone(app.test_client()).check_in(**{"companions-0-full_name": "Nguyễn Bảo Ngọc",
                                         "companions-0-birth_year": "2016",
                                         "companions-0-answer": "none"})
    clock.advance(minutes=12)
    Phone(app.test_client()).check_in(full_name="Lê Thị Hồng Nhung", phone="0987 654 321",
                                      id_number="", symptom_fever="yes",
                                      none_of_these="")
    response = download(admin_client)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert attachment_name(response) == "gatebook-phuong-trang-tien-2021-07-14.csv"
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    assert body.count(b"\r\n") == 4 and body.count(b"\n") == 4  # header + 3 people, CRLF
    rows = csv_rows(response)
    assert rows[0] == list(HEADER)
    assert rows[0][:6] == ["STT", "Mã lượt vào", "Thời gian vào", "Thời gian ra", "Điểm vào",
                           "Họ và tên"]
    visitor, companion, flagged = as_dicts(rows)
    assert visitor["Họ và tên"] == "Nguyễn Văn An"
    assert visitor["Thời gian vào"] == "2021-07-14 08:30:00"  # 01:30 UTC, in Hanoi
    assert visitor["Thời gian ra"] == ""
    assert visitor["Điểm vào"] == "Cổng chính"
    assert visitor["Địa chỉ"] == "12 Hàng Bài, Phường Hoàn Kiếm, Hà Nội"
    assert visitor["Giới tính"] == "Nam" and visitor["Năm sinh"] == "1985"
    assert visitor["Số điện thoại"] == "0912 345 678"
    assert visitor["Số CCCD/CMND/Hộ chiếu"] == "001 085 012 345"
    assert visitor["Triệu chứng"] == "Không" and visitor["Cảnh báo"] == ""
    assert visitor["Nguồn"] == "Tự khai"
    assert visitor["Mục đích"] == "Nộp hồ sơ ở bộ phận một cửa"
    # The companion is a person of their own, linked to the visit they came with.
    assert companion["Họ và tên"] == "Nguyễn Bảo Ngọc" and companion["Năm sinh"] == "2016"
    assert companion["Mã lượt vào"] == visitor["Mã lượt vào"]
    assert companion["Đi cùng với"] == "Nguyễn Văn An"
    assert companion["Số điện thoại"] == "0912 345 678"
    assert flagged["Họ và tên"] == "Lê Thị Hồng Nhung"
    assert flagged["Thời gian vào"] == "2021-07-14 08:42:00"
    assert flagged["Triệu chứng"] == "Sốt" and flagged["Cảnh báo"] == "CẢNH BÁO"
    assert [row["STT"] for row in (visitor, companion, flagged)] == ["1", "2", "3"]


def test_times_out_and_a_range_of_days(app, admin_client, clock):
    add_visit(app, hanoi(13, 23, 59, 59), hanoi(14, 0, 20), name="Hôm trước")
    add_visit(app, hanoi(14, 0, 0), hanoi(14, 17, 5, 9), name="Hôm nay")
    add_visit(app, hanoi(15, 0, 0), name="Hôm sau")
    names = [row["Họ và tên"] for row in as_dicts(csv_rows(download(admin_client)))]
    assert names == ["Hôm nay"]
    row = as_dicts(csv_rows(download(admin_client)))[0]
    assert (row["Thời gian vào"], row["Thời gian ra"]) == ("2021-07-14 00:00:00",
                                                           "2021-07-14 17:05:09")
    response = download(admin_client, start="2021-07-13", end="2021-07-15")
    assert [row["Họ và tên"] for row in as_dicts(csv_rows(response))] == [
        "Hôm trước", "Hôm nay", "Hôm sau"]
    assert attachment_name(response) == "gatebook-phuong-trang-tien-2021-07-13_2021-07-15.csv"


def test_one_entry_point_only(app, admin_client, clock):
    add_visit(app, hanoi(14, 9), name="Ở cổng")
    add_visit(app, hanoi(14, 9), place="Bộ phận một cửa", name="Ở một cửa")
    counter = location_id(app, "Bộ phận một cửa")
    rows = as_dicts(csv_rows(download(admin_client, location=str(counter))))
    assert [(row["Họ và tên"], row["Điểm vào"]) for row in rows] == [
        ("Ở một cửa", "Bộ phận một cửa")]
    assert len(as_dicts(csv_rows(download(admin_client, location="")))) == 2


def test_a_declaration_replaced_by_a_correction_is_not_exported(app, admin_client, clock):
    add_visit(app, hanoi(14, 9), hanoi(14, 9, 1), name="Bản khai cũ", by="replaced")
    add_visit(app, hanoi(14, 9, 1), name="Bản khai đúng")
    rows = as_dicts(csv_rows(download(admin_client)))
    assert [row["Họ và tên"] for row in rows] == ["Bản khai đúng"]


def test_travel_and_exposure_are_spelt_out(app, admin_client, clock):
    add_visit(app, hanoi(14, 9), answers=declaration(case_contact=True, cough=True,
                                                      travel="Đà Nẵng"))
    row = as_dicts(csv_rows(download(admin_client)))[0]
    assert row["Triệu chứng"] == "Ho"
    assert row["Tiếp xúc/dịch tễ"] == "Người bệnh hoặc nghi ngờ mắc COVID-19"
    assert row["Đi về từ vùng dịch"] == "Có: Đà Nẵng"
    assert row["Cảnh báo"] == "CẢNH BÁO"


def test_an_empty_day_is_a_header_only(app, admin_client, clock):
    rows = csv_rows(download(admin_client))
    assert rows == [list(HEADER)]


def xlsx_sheet(response):
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    body = response.get_data()
    response.close()  # the server closes the workbook's temporary file
    return openpyxl.load_workbook(io.BytesIO(body)).worksheets[0]


def test_the_xlsx_keeps_leading_zeros_and_has_a_bold_header(app, admin_client, clock):
    add_visit(app, hanoi(14, 9), name="Phạm Văn Đồng", phone="0912345678",
              id_number="001099012345", companions=(("Phạm Bé Na", 2018),))
    response = download(admin_client, format="xlsx")
    assert response.status_code == 200
    assert attachment_name(response) == "gatebook-phuong-trang-tien-2021-07-14.xlsx"
    sheet = xlsx_sheet(response)
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == list(HEADER)
    assert all(cell.font.b for cell in sheet[1])
    people = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert people[0]["Số điện thoại"] == "0912345678"
    assert people[0]["Số CCCD/CMND/Hộ chiếu"] == "001099012345"
    assert people[0]["Họ và tên"] == "Phạm Văn Đồng"
    assert people[1]["Họ và tên"] == "Phạm Bé Na" and people[1]["Đi cùng với"] == "Phạm Văn Đồng"
    assert people[0]["Thời gian vào"] == datetime(2021, 7, 14, 9, 0)  # local, a date-time
    # Text is text (phone and ID numbers with their zeros); only the application's own
    # numbers and times are typed.
    kinds = {column.header: column.kind for column in export.COLUMNS}
    for row in sheet.iter_rows(min_row=2):
        for header, cell in zip(rows[0], row, strict=True):
            if cell.value is not None and kinds[header].may_be_typed:
                assert cell.data_type == "s", header
    assert sheet.column_dimensions["F"].width >= 20  # the name column is wide enough


FORMULAS = ["=1+2", "+1", "-1", "@SUM(1)", '=1+2";=1+2', '=HYPERLINK("http://x","y")',
            "\t=1+2", "\r=1+2", "\n=1+2"]


@pytest.mark.parametrize("payload", FORMULAS)
def test_formulas_are_neutralised_in_the_csv(app, admin_client, clock, payload):
    add_visit(app, hanoi(14, 9), name=payload, street=payload, purpose=payload,
              nationality=payload, id_number=payload[:20])  # the column holds 20
    row = as_dicts(csv_rows(download(admin_client)))[0]
    assert row["Họ và tên"] == "'" + payload
    assert row["Mục đích"] == "'" + payload
    assert row["Quốc tịch"] == "'" + payload
    assert row["Số CCCD/CMND/Hộ chiếu"] == "'" + payload[:20]
    assert row["Địa chỉ"] == "'" + payload + ", Hà Nội"


def test_every_text_cell_of_the_csv_is_checked(app, admin_client, clock):
    add_visit(app, hanoi(14, 9), place="=cmd|' /C calc'!A0", name="-2+3",
              companions=(("=1+1", 2015),), answers=declaration(travel="=evil()"))
    visitor, companion = as_dicts(csv_rows(download(admin_client)))
    for row in (visitor, companion):
        for column, value in row.items():
            assert not value.startswith(tuple("=+-@\t\r\n")), (column, value)
    assert visitor["Điểm vào"] == "'=cmd|' /C calc'!A0"
    assert companion["Họ và tên"] == "'=1+1" and companion["Đi cùng với"] == "'-2+3"
    assert visitor["Đi về từ vùng dịch"] == "Có: =evil()"  # starts with "Có", not a formula


def _text_columns(model) -> list[tuple[str, int]]:
    """(attribute, length) of every plain text column of a model (not its named states)."""
    return [(column.key, column.type.length or 200) for column in model.__table__.columns
            if isinstance(column.type, String) and not isinstance(column.type, Enum)]


def test_no_stored_text_reaches_a_cell_as_a_formula(app, admin_client, clock):
    # Every text column of the visits, their companions and their entry point holds a
    # formula; no cell of the export, or of a trace's file, starts like one. A column added
    # to the files from stored text fails here unless its kind has it neutralised.
    payload = "=1+2"
    clock.now = hanoi(14, 12)
    with app.app_context():
        place = Location(**{name: payload + str(i) for i, (name, _n) in
                            enumerate(_text_columns(Location))})
        people = []
        for hour in (9, 10):
            visit = Visit(location=place, checked_in_at=hanoi(14, hour),
                          changed_at=hanoi(14, hour), birth_year=1990, flagged=False,
                          declaration=declaration(travel=payload),
                          **{name: (payload + str(hour) + name)[:length]
                             for name, length in _text_columns(Visit)})
            visit.companions = [Companion(birth_year=2015, **{
                name: payload for name, _length in _text_columns(Companion)})]
            # Where the party was (the trace's file names the point: a formula too).
            visit.presences = [Presence(location=place, started_at=hanoi(14, hour))]
            people.append(visit)
        db.session.add_all(people)
        db.session.commit()
        case_id = people[0].id
    exported = csv_rows(download(admin_client))
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                      admin_client.get("/admin/trace").get_data(as_text=True)).group(1)
    traced = csv_rows(admin_client.post("/admin/trace/download", data={
        "by": "visit", "visit": str(case_id), "minutes": "0", "csrf_token": token,
        "format": "csv"}))
    assert len(exported) == 5 and len(traced) == 4  # the contact and both companions
    for rows in (exported, traced):
        for row in rows[1:]:
            for column, value in zip(rows[0], row, strict=True):
                assert not value.startswith(tuple("=+-@\t\r\n")), (column, value)
    assert as_dicts(exported)[0]["Họ và tên"] == "'=1+29full_name"


@pytest.mark.parametrize("column", export.COLUMNS + export.OVERLAP_COLUMNS,
                         ids=lambda column: column.header)
def test_each_column_is_written_as_its_kind_says(column):
    # A typed value in a column that may hold what someone typed comes out as text; the
    # columns the application fills itself (numbers, times) are written as they are.
    columns = export.COLUMNS + export.OVERLAP_COLUMNS
    row = ["7"] * len(columns)
    row[columns.index(column)] = "-0912345678"
    [_header, cells] = list(csv.reader(io.StringIO(
        b"".join(export_files.csv_chunks(columns, [row])).decode("utf-8-sig"), newline="")))
    written = cells[columns.index(column)]
    if column.kind.may_be_typed:
        assert written == "'-0912345678"
    else:
        assert column.kind in (export.Kind.NUMBER, export.Kind.TIME) and written == "-0912345678"


@pytest.mark.parametrize("payload", FORMULAS)
def test_formulas_are_plain_strings_in_the_xlsx(app, admin_client, clock, payload):
    add_visit(app, hanoi(14, 9), name=payload, street=payload, purpose=payload)
    response = download(admin_client, format="xlsx")
    body = response.get_data()
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml
    sheet = xlsx_sheet(response)
    header = [cell.value for cell in sheet[1]]
    cells = dict(zip(header, sheet[2], strict=True))
    # A line break in a cell is a line feed in XLSX (XML reads a lone CR as one anyway).
    expected = payload.replace("\r", "\n")
    for column in ("Họ và tên", "Mục đích"):
        assert cells[column].value == expected and cells[column].data_type == "s"
    assert cells["Địa chỉ"].value == expected + ", Hà Nội"


@pytest.mark.parametrize(("params", "field", "message"), [
    ({"end": "2021-07-13"}, "end", "Ngày kết thúc phải bằng hoặc sau ngày bắt đầu."),
    ({"start": "14/07/2021"}, "start", "Nhập ngày theo dạng YYYY-MM-DD, ví dụ 2021-07-14."),
    ({"start": ""}, "start", "Nhập ngày."),
    ({"start": "2020-01-01", "end": "2021-07-14"}, "end", "Chọn tối đa 366 ngày."),
    ({"location": "999"}, "location", "Chọn một điểm vào trong danh sách."),
    ({"format": "pdf"}, "format", "Chọn CSV hoặc XLSX."),
])
def test_a_bad_request_is_explained_in_vietnamese(app, admin_client, clock, params, field, message):
    response = download(admin_client, **params)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(AuditEvent.id)).where(
            AuditEvent.action == "export")) == 0


def test_the_export_page_offers_today_every_entry_point_and_csv(app, admin_client, clock):
    page = admin_client.get("/admin/export").get_data(as_text=True)
    assert 'value="2021-07-14"' in page and "Tất cả điểm vào" in page
    assert re.search(r'<input checked[^>]*value="csv"', page)


def test_local_times_follow_daylight_saving(staff_app_admin):
    # Berlin moved its clocks from 02:00 to 03:00 on 28 March 2021 (01:00 UTC).
    app, admin = staff_app_admin(TIMEZONE="Europe/Berlin")
    add_visit(app, datetime(2021, 3, 28, 0, 59, 59, tzinfo=UTC),
              datetime(2021, 3, 28, 1, 0, 0, 250000, tzinfo=UTC), name="Qua giờ đổi")
    rows = as_dicts(csv_rows(download(admin.client, start="2021-03-28", end="2021-03-28")))
    assert (rows[0]["Thời gian vào"], rows[0]["Thời gian ra"]) == ("2021-03-28 01:59:59",
                                                                   "2021-03-28 03:00:00")


def test_an_xlsx_too_long_for_one_sheet_goes_on(app, admin_client, clock, monkeypatch):
    # A header and two people per sheet.
    monkeypatch.setattr("app.reports.export_files.XLSX_SHEET_ROWS", 3)
    for minute in range(5):
        add_visit(app, hanoi(14, 9, minute), name=f"Người {minute + 1}")
    response = download(admin_client, format="xlsx")
    body = response.get_data()
    response.close()
    *sheets, summary = openpyxl.load_workbook(io.BytesIO(body)).worksheets
    assert [sheet.title for sheet in sheets] == ["Sổ vào ra", "Sổ vào ra 2", "Sổ vào ra 3"]
    assert summary.title == "Tổng hợp"
    assert all([c.value for c in sheet[1]] == list(HEADER) for sheet in sheets)
    # Each sheet is a table of its own: its header frozen, a filter over its rows.
    assert all(sheet.freeze_panes == "A2" for sheet in sheets)
    assert [sheet.auto_filter.ref for sheet in sheets] == ["A1:AA3", "A1:AA3", "A1:AA2"]
    names = [row[5].value for sheet in sheets for row in sheet.iter_rows(min_row=2)]
    assert names == [f"Người {n}" for n in range(1, 6)]


def test_rows_go_out_before_the_cursor_is_read_to_the_end(app, admin_client, clock, monkeypatch):
    import app.reports.export as export_module
    for minute in range(40):
        add_visit(app, hanoi(14, 8, minute), name=f"Người thứ {minute}")
    fetched = []
    real_stream = export_module.stream_query

    def counting_stream(statement):
        for row in real_stream(statement):
            fetched.append(row[0])
            yield row

    monkeypatch.setattr(export_module, "stream_query", counting_stream)
    monkeypatch.setattr("app.reports.export_files.CHUNK_BYTES", 1)  # one chunk per row
    response = admin_client.get("/admin/export/download", buffered=False,
                         query_string={"start": DAY, "end": DAY, "format": "csv"})
    chunks = iter(response.response)
    try:
        next(chunks)  # the header
        assert "Người thứ 0,".encode() in next(chunks)
        assert len(fetched) < 40
        assert sum(1 for _ in chunks) == 39
    finally:
        response.close()


def test_a_download_cut_short_after_some_rows_keeps_no_count(app, admin_client, clock, monkeypatch):
    monkeypatch.setattr("app.reports.export_files.CHUNK_BYTES", 1)
    for minute in range(10):
        add_visit(app, hanoi(14, 8, minute), name=f"Người thứ {minute}")
    response = admin_client.get("/admin/export/download", buffered=False,
                         query_string={"start": DAY, "end": DAY, "format": "csv"})
    chunks = iter(response.response)
    for _ in range(11):  # the header and every row: the reader leaves before the end
        next(chunks)
    response.close()
    with app.app_context():
        [event] = db.session.scalars(db.select(AuditEvent)
                                     .where(AuditEvent.action == "export")).all()
        assert event.row_count is None


def test_a_failure_to_record_the_count_does_not_cut_the_file(app, admin_client, clock, monkeypatch,
                                                              caplog):
    from sqlalchemy.exc import OperationalError

    def locked(*_args):
        raise OperationalError("UPDATE audit_event", {}, Exception("database is locked"))

    monkeypatch.setattr("app.store.audit.set_rows", locked)
    for minute in range(3):
        add_visit(app, hanoi(14, 8, minute), name=f"Người thứ {minute}")
    rows = csv_rows(download(admin_client))
    assert len(rows) == 4
    assert "could not record the row count of export" in caplog.text


def test_a_failed_xlsx_leaves_no_temporary_file(app, clock, monkeypatch):
    import glob
    import tempfile

    from app.reports.export import COLUMNS
    from app.reports.export_files import write_xlsx

    def rows():
        yield ["Họ Tên Bí Mật"] * len(COLUMNS)
        raise RuntimeError("the database went away")

    before = set(glob.glob(tempfile.gettempdir() + "/openpyxl.*"))
    with pytest.raises(RuntimeError):
        write_xlsx(COLUMNS, rows())
    assert set(glob.glob(tempfile.gettempdir() + "/openpyxl.*")) == before


def test_a_corrected_declaration_keeps_the_time_its_person_came_in(app, admin_client, clock):
    phone = Phone(app.test_client())
    phone.check_in()  # 08:30
    clock.advance(minutes=3)
    phone.check_in(symptom_cough="yes")
    [row] = as_dicts(csv_rows(download(admin_client)))
    assert (row["Thời gian vào"], row["Triệu chứng"]) == ("2021-07-14 08:30:00", "Ho")
