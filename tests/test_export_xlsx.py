"""The XLSX for the health centre, made to work with: times as date-times, numbers as numbers,
phone and ID numbers as text; the header frozen, a filter over the table, the columns fitted,
flagged rows highlighted; and a summary sheet of each day's counts at each entry point."""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
from sqlalchemy import event

from app.extensions import db
from app.reports import export
from app.reports.export import HEADER
from app.store.models import GateDecision
from tests.builders import add_visit, declaration, hanoi, location_id

DAY = "2021-07-14"
TIME_FORMAT = "dd/mm/yyyy hh:mm"
FLAGGED_COLOUR = "FFFFE699"


def workbook(client, **params) -> openpyxl.Workbook:
    query = {"start": DAY, "end": DAY, "format": "xlsx", **params}
    response = client.get("/admin/export/download", query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_data()
    response.close()
    return openpyxl.load_workbook(io.BytesIO(body))


def people(sheet) -> list[dict[str, openpyxl.cell.Cell]]:
    """Each row of the sheet's table as {header: cell}."""
    header = [cell.value for cell in sheet[1]]
    return [dict(zip(header, row, strict=True))
            for row in sheet.iter_rows(min_row=2, max_col=len(header))]


def decide(app, visit_id: int, user_id: int, temperature: float, at: datetime) -> None:
    with app.app_context():
        db.session.add(GateDecision(visit_id=visit_id, decision="admit", temperature=temperature,
                                    note="", user_id=user_id, at=at))
        db.session.commit()


def test_times_are_date_times_numbers_are_numbers_and_phones_stay_text(app, admin_client, clock,
                                                                       staff):
    visit = add_visit(app, hanoi(14, 9, 5, 30), hanoi(14, 10, 15), name="Phạm Văn Đồng",
                      phone="0912345678", id_number="001099012345", birth_year=1985,
                      companions=(("Phạm Bé Na", 2018),))
    decide(app, visit, staff["lan"], 37.5, hanoi(14, 9, 7))
    add_visit(app, hanoi(14, 11), name="Chưa ra", phone="0387654321", id_number="")
    visitor, companion, still_inside = people(workbook(admin_client)["Sổ vào ra"])

    for column, moment in (("Thời gian vào", datetime(2021, 7, 14, 9, 5, 30)),
                           ("Thời gian ra", datetime(2021, 7, 14, 10, 15)),
                           ("Thời gian quyết định", datetime(2021, 7, 14, 9, 7))):
        cell = visitor[column]
        assert cell.value == moment and cell.is_date, column  # local time, to the second
        assert TIME_FORMAT in cell.number_format, column
    assert companion["Thời gian vào"].value == datetime(2021, 7, 14, 9, 5, 30)
    assert still_inside["Thời gian ra"].value is None  # empty, not an empty string

    assert visitor["STT"].value == 1 and companion["STT"].value == 2
    assert visitor["Mã lượt vào"].value == companion["Mã lượt vào"].value == visit
    assert visitor["Năm sinh"].value == 1985 and companion["Năm sinh"].value == 2018
    assert visitor["Năm sinh"].data_type == "n"
    assert visitor["Nhiệt độ (°C)"].value == 37.5
    assert visitor["Nhiệt độ (°C)"].number_format == "0.0"

    # Phone and ID numbers are text, their leading zeros kept (no grouping: a cell is text).
    assert visitor["Số điện thoại"].value == "0912345678"
    assert visitor["Số CCCD/CMND/Hộ chiếu"].value == "001099012345"
    assert companion["Số điện thoại"].value == "0912345678"
    assert still_inside["Số điện thoại"].value == "0387654321"
    for cell in (visitor["Số điện thoại"], visitor["Số CCCD/CMND/Hộ chiếu"],
                 visitor["Họ và tên"], visitor["Điểm vào"]):
        assert cell.data_type == "s"


def test_a_typed_column_holding_text_is_written_as_safe_text():
    # Should a number or time column ever hold something else, it is text, never a formula.
    from app.reports.export_files import write_xlsx
    columns = (export.Column("Số", 8, export.Kind.NUMBER),
               export.Column("Lúc", 18, export.Kind.TIME))
    with write_xlsx(columns, [["=1+2", "=NOW()"], ["12", "2021-07-14 09:00:00"]]) as file:
        sheet = openpyxl.load_workbook(file).worksheets[0]
    assert [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)] == [
        ["=1+2", "=NOW()"], [12, datetime(2021, 7, 14, 9)]]
    assert [cell.data_type for cell in sheet[2]] == ["s", "s"]


def test_the_header_is_frozen_the_table_filtered_and_the_columns_fit(app, admin_client, clock):
    long_street = "Số 123 ngõ 45 đường Nguyễn Văn Cừ, tổ dân phố số 7"
    add_visit(app, hanoi(14, 9), name="Người Có Địa Chỉ Dài", street=long_street,
              purpose="x" * 150, companions=(("Bé", 2019),))
    add_visit(app, hanoi(14, 10), name="Người Thứ Hai")
    sheet = workbook(admin_client)["Sổ vào ra"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:AA4"  # the header and the three people
    widths = {header: sheet.column_dimensions[openpyxl.utils.get_column_letter(index)].width
              for index, header in enumerate(HEADER, start=1)}
    address = f"{long_street}, Hà Nội"
    assert widths["Địa chỉ"] >= len(address)  # grown to fit the longest address
    assert widths["Mục đích"] == 60  # but never wider than this
    assert widths["Thời gian vào"] >= len("14/07/2021 09:00")
    # A header is never cut (its filter button beside it).
    assert all(widths[header] >= len(header) + 2 for header in HEADER)
    assert widths["STT"] < 10  # a short column stays short


def test_flagged_people_are_highlighted(app, admin_client, clock):
    add_visit(app, hanoi(14, 9), name="Không khai gì")
    add_visit(app, hanoi(14, 9, 5), name="Bị sốt", answers=declaration(fever=True))
    sheet = workbook(admin_client)["Sổ vào ra"]
    plain, flagged = people(sheet)
    assert flagged["Cảnh báo"].value == "CẢNH BÁO"
    # Every cell of the row, the empty ones too, is filled.
    assert len(flagged) == len(HEADER)
    for header, cell in flagged.items():
        assert cell.fill.fill_type == "solid", header
        assert cell.fill.fgColor.rgb == FLAGGED_COLOUR, header
    assert all(cell.fill.fill_type is None for cell in plain.values())


def _summary(sheet) -> list[list]:
    assert [cell.value for cell in sheet[1]] == [column.header for column in
                                                 export.SUMMARY_COLUMNS]
    return [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]


def test_the_summary_counts_each_day_at_each_entry_point(app, admin_client, clock):
    gate, counter = "Cổng chính", "Bộ phận một cửa"
    fever = declaration(fever=True)
    # 14 July at the gate: 5 visits, 8 people, an employee, 2 flagged, 1 refused.
    add_visit(app, hanoi(14, 0, 0), name="Đầu ngày")
    add_visit(app, hanoi(14, 8), name="Gia đình", companions=(("Con", 2015), ("Mẹ", 1950)),
              answers=fever)
    add_visit(app, hanoi(14, 8, 30), name="Nhân Viên", employee_code="NV01",
              department="Kế toán")
    add_visit(app, hanoi(14, 9), hanoi(14, 9, 2), name="Bị từ chối", by="refused",
              answers=fever, companions=(("Bạn", 1991),))
    add_visit(app, hanoi(14, 23, 59, 59), name="Cuối ngày")
    # Not counted: a declaration replaced by a corrected one, and days outside the range.
    add_visit(app, hanoi(14, 10), hanoi(14, 10, 1), name="Bản cũ", by="replaced")
    add_visit(app, hanoi(13, 23, 59, 59), name="Hôm trước")
    add_visit(app, hanoi(17, 0, 0), name="Sau khoảng")
    # 14 July at the counter: 2 visits, 3 people, an employee.
    add_visit(app, hanoi(14, 9), place=counter, name="Ở một cửa", companions=(("Bé", 2020),))
    add_visit(app, hanoi(14, 10), place=counter, name="Nhân Viên Hai", employee_code="NV02")
    # 15 July at the gate only; 16 July nobody.
    add_visit(app, hanoi(15, 0, 0), name="Hôm sau", answers=fever)

    book = workbook(admin_client, start="2021-07-14", end="2021-07-16")
    assert book.sheetnames == ["Sổ vào ra", "Tổng hợp"]
    sheet = book["Tổng hợp"]
    day = {n: datetime(2021, 7, n) for n in (14, 15, 16)}
    assert _summary(sheet) == [
        [day[14], counter, 2, 3, 1, 0, 0],
        [day[14], gate, 5, 8, 1, 2, 1],
        [day[14], "Tất cả điểm vào", 7, 11, 2, 2, 1],
        [day[15], gate, 1, 1, 0, 1, 0],
        [day[15], "Tất cả điểm vào", 1, 1, 0, 1, 0],
        [day[16], "Tất cả điểm vào", 0, 0, 0, 0, 0],
    ]
    assert sheet["A2"].is_date and sheet["A2"].number_format == "dd/mm/yyyy"
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:G7"
    # The same figures as the list itself: a row per person, a visit number per visit.
    listed: dict[tuple, list] = {}
    for person in people(book["Sổ vào ra"]):
        key = (person["Thời gian vào"].value.date(), person["Điểm vào"].value)
        listed.setdefault(key, []).append(person)
    for when, place, visits, persons, employees, _flagged, _refused in _summary(sheet):
        if place == "Tất cả điểm vào":
            continue
        rows = listed[(when.date(), place)]
        assert len(rows) == persons
        assert len({row["Mã lượt vào"].value for row in rows}) == visits
        assert sum(row["Loại"].value == "Nhân viên" for row in rows) == employees

    # For one entry point: its row each day, even an empty one, and no total.
    only = workbook(admin_client, start="2021-07-14", end="2021-07-16",
                    location=str(location_id(app, counter)))
    assert _summary(only["Tổng hợp"]) == [[day[14], counter, 2, 3, 1, 0, 0],
                                          [day[15], counter, 0, 0, 0, 0, 0],
                                          [day[16], counter, 0, 0, 0, 0, 0]]


def test_the_summary_is_one_query_whatever_the_days(app, clock):
    add_visit(app, hanoi(3, 9), name="Đầu tháng")
    add_visit(app, hanoi(31, 9), name="Cuối tháng", place="Bộ phận một cửa")
    statements = []
    with app.app_context():
        engine = db.engine

        def count(_connection, _cursor, statement, *_args) -> None:
            if statement.startswith("SELECT"):  # not the transaction's BEGIN
                statements.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            rows = export.summary_rows(date(2021, 7, 1), date(2021, 7, 31))
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1, statements
    assert len(rows) == 31 + 2  # every day's total, and the two days' entry points
    assert [row[:3] for row in rows if row[2] != "0"] == [
        ["2021-07-03", "Cổng chính", "1"], ["2021-07-03", "Tất cả điểm vào", "1"],
        ["2021-07-31", "Bộ phận một cửa", "1"], ["2021-07-31", "Tất cả điểm vào", "1"]]
