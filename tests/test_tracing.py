"""Contact tracing: who stayed at the same place at the same time as the case, and how long."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime

import openpyxl
import pytest

from app.extensions import db
from app.reports.tracing import cases_by_phone, overlapping_visits
from app.store.models import Visit
from tests.builders import add_visit, hanoi
from tests.conftest import TEST_DATABASE_URL, VALID_VISITOR, Phone, csrf_from

CASE_PHONE = "0911111111"


@pytest.fixture
def case(app, clock):
    """The case: at the main gate on 14 July from 09:00 to 10:00."""
    clock.now = hanoi(14, 18)
    return add_visit(app, hanoi(14, 9), hanoi(14, 10), name="Ca Bệnh", phone=CASE_PHONE)


def contacts(app, case_ids, **options) -> dict[str, int]:
    """{contact's name: minutes together}."""
    with app.app_context():
        cases = [db.session.get(Visit, case_id) for case_id in case_ids]
        trace = overlapping_visits(cases, **options)
        return {c.visit.full_name: c.overlap_minutes for c in trace.contacts}


def test_stays_that_only_touch_or_miss_are_not_contacts(app, case):
    add_visit(app, hanoi(14, 10), hanoi(14, 11), name="Vào lúc ca bệnh ra", phone="0900000001")
    add_visit(app, hanoi(14, 8), hanoi(14, 9), name="Ra lúc ca bệnh vào", phone="0900000002")
    add_visit(app, hanoi(14, 11), hanoi(14, 12), name="Sau đó", phone="0900000003")
    assert contacts(app, [case]) == {}
    assert contacts(app, [case], min_minutes=0) == {}


def test_overlaps_are_measured_and_held_to_the_threshold(app, case):
    add_visit(app, hanoi(14, 9, 20), hanoi(14, 9, 40), name="Trọn trong", phone="0900000001")
    add_visit(app, hanoi(14, 8), hanoi(14, 11), name="Trùm ngoài", phone="0900000002")
    add_visit(app, hanoi(14, 9, 50), hanoi(14, 10, 30), name="Mười phút", phone="0900000003")
    add_visit(app, hanoi(14, 8, 30), hanoi(14, 9, 20), name="Hai mươi phút", phone="0900000004")
    add_visit(app, hanoi(14, 9, 45), hanoi(14, 11), name="Đúng mười lăm", phone="0900000005")
    add_visit(app, hanoi(14, 9, 45, 1), hanoi(14, 11), name="Thiếu một giây", phone="0900000006")
    assert contacts(app, [case]) == {"Trùm ngoài": 60, "Trọn trong": 20, "Hai mươi phút": 20,
                                     "Đúng mười lăm": 15}
    assert contacts(app, [case], min_minutes=5) == {
        "Trùm ngoài": 60, "Trọn trong": 20, "Hai mươi phút": 20, "Đúng mười lăm": 15,
        "Thiếu một giây": 14, "Mười phút": 10}
    assert contacts(app, [case], min_minutes=30) == {"Trùm ngoài": 60}


def test_an_open_stay_counts_until_now(app, clock, case):
    add_visit(app, hanoi(14, 9, 30), name="Chưa ra", phone="0900000001")
    clock.now = hanoi(14, 9, 50)
    assert contacts(app, [case], min_minutes=5) == {"Chưa ra": 20}  # 09:30 to now (09:50)
    clock.now = hanoi(14, 18)
    assert contacts(app, [case], min_minutes=5) == {"Chưa ra": 30}  # until the case left


def test_an_open_stay_ends_at_its_auto_check_out(app, clock):
    # Nobody closed the day (the server was off): the stay still ends at 23:59.
    late_case = add_visit(app, hanoi(14, 23, 40), hanoi(15, 0, 30), name="Ca Bệnh",
                          phone=CASE_PHONE)
    add_visit(app, hanoi(14, 23, 50), name="Quên ra", phone="0900000001")
    clock.now = hanoi(15, 10)
    assert contacts(app, [late_case], min_minutes=5) == {"Quên ra": 9}


def test_an_open_case_counts_until_now(app, clock):
    open_case = add_visit(app, hanoi(14, 9), name="Ca Bệnh", phone=CASE_PHONE)
    add_visit(app, hanoi(14, 9, 10), hanoi(14, 12), name="Còn ở đó", phone="0900000001")
    clock.now = hanoi(14, 9, 40)
    assert contacts(app, [open_case]) == {"Còn ở đó": 30}


def test_another_entry_point_only_with_the_switch(app, case):
    add_visit(app, hanoi(14, 9), hanoi(14, 10), place="Bộ phận một cửa", name="Ở một cửa",
              phone="0900000001")
    assert contacts(app, [case]) == {}
    assert contacts(app, [case], any_location=True) == {"Ở một cửa": 60}


def test_another_day_is_not_a_contact(app, case):
    add_visit(app, hanoi(13, 9), hanoi(13, 10), name="Hôm trước", phone="0900000001")
    add_visit(app, hanoi(15, 9), hanoi(15, 10), name="Hôm sau", phone="0900000002")
    assert contacts(app, [case]) == {}


def test_a_stay_that_began_days_before_and_ended_late_is_found(app, case):
    add_visit(app, hanoi(11, 9), hanoi(14, 9, 30), name="Ở lại nhiều ngày", phone="0900000001")
    assert contacts(app, [case]) == {"Ở lại nhiều ngày": 30}


def test_the_cases_own_visits_and_replaced_declarations_are_not_contacts(app, case):
    add_visit(app, hanoi(14, 9, 5), hanoi(14, 9, 55), name="Ca Bệnh", phone=CASE_PHONE)
    add_visit(app, hanoi(14, 9, 5), hanoi(14, 9, 6), name="Bản khai sai", phone="0900000001",
              by="replaced")
    assert contacts(app, [case]) == {}


def test_from_a_phone_number_over_several_days(app, clock):
    clock.now = hanoi(16, 18)
    first = add_visit(app, hanoi(13, 9), hanoi(13, 10), name="Ca Bệnh", phone=CASE_PHONE)
    second = add_visit(app, hanoi(15, 14), hanoi(15, 15), name="Ca Bệnh", phone=CASE_PHONE)
    add_visit(app, hanoi(13, 9, 30), hanoi(13, 11), name="Ngày 13", phone="0900000001")
    add_visit(app, hanoi(15, 14), hanoi(15, 14, 40), name="Ngày 15", phone="0900000002")
    with app.app_context():
        found = cases_by_phone(CASE_PHONE, date(2021, 7, 13), date(2021, 7, 15))
        assert [visit.id for visit in found] == [first, second]
    assert contacts(app, [first, second]) == {"Ngày 13": 30, "Ngày 15": 40}


# --- through the admin's pages ---------------------------------------------------------------

def trace(client, **fields):
    token = csrf_from(client.get("/admin/trace").get_data(as_text=True))
    data = {"by": "visit", "minutes": "15", "csrf_token": token, **fields}
    return client.post("/admin/trace" if "format" not in fields else "/admin/trace/download",
                       data=data)


def test_the_page_lists_contacts_with_companions_and_overlap(app, admin_client, case):
    add_visit(app, hanoi(14, 9, 30), hanoi(14, 11), name="Người Tiếp Xúc", phone="0900000001",
              companions=(("Bé Tiếp Xúc", 2017),))
    add_visit(app, hanoi(14, 9, 55), hanoi(14, 11), name="Năm phút", phone="0900000002")
    page = trace(admin_client, visit=str(case)).get_data(as_text=True)
    assert "3 người cần liên hệ" not in page  # the 5-minute stay is below 15 minutes
    assert "2 người cần liên hệ" in page
    row = re.search(r'<td class="number">30</td>.*?</tr>', page, re.S).group(0)
    assert "Người Tiếp Xúc" in row and "Bé Tiếp Xúc (2017)" in row and "0900000001" in row
    assert "Năm phút" not in page


def test_the_cases_companions_are_contacts_too(app, admin_client, clock):
    clock.now = hanoi(14, 18)
    case = add_visit(app, hanoi(14, 9), hanoi(14, 10), name="Ca Bệnh", phone=CASE_PHONE,
                     companions=(("Con Ca Bệnh", 2015),))
    page = trace(admin_client, visit=str(case)).get_data(as_text=True)
    assert "1 người cần liên hệ" in page and "Con Ca Bệnh (2015)" in page
    rows = csv_rows(trace(admin_client, visit=str(case), format="csv"))
    assert [(r["Họ và tên"], r["Thời gian trùng (phút)"], r["Đi cùng với"]) for r in rows] == [
        ("Con Ca Bệnh", "60", "Ca Bệnh")]


def csv_rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.get_data(as_text=True)
    text = response.get_data().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_the_trace_exports_as_csv_and_xlsx_with_the_overlap(app, admin_client, case):
    contact = add_visit(app, hanoi(14, 9, 30), hanoi(14, 11), name="Người Tiếp Xúc",
                        phone="0900000001", companions=(("Bé Tiếp Xúc", 2017),))
    add_visit(app, hanoi(14, 8), hanoi(14, 12), name="Cả buổi", phone="0900000002")
    rows = csv_rows(trace(admin_client, visit=str(case), format="csv"))
    assert [(r["Họ và tên"], r["Thời gian trùng (phút)"], r["Mã lượt của ca bệnh"])
            for r in rows] == [("Cả buổi", "60", str(case)),
                               ("Người Tiếp Xúc", "30", str(case)),
                               ("Bé Tiếp Xúc", "30", str(case))]
    assert rows[1]["Mã lượt vào"] == rows[2]["Mã lượt vào"] == str(contact)
    assert rows[1]["Số điện thoại"] == "0900 000 001"
    response = trace(admin_client, visit=str(case), format="xlsx")
    assert response.status_code == 200
    body = response.get_data()
    response.close()
    sheet = openpyxl.load_workbook(io.BytesIO(body)).worksheets[0]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][-3:] == ["Thời gian trùng (phút)", "Mã lượt của ca bệnh",
                              "Nơi trùng với ca bệnh"]
    # Minutes and visit numbers are numbers, times date-times, phones text.
    assert [(row[5], row[-3], row[-2], row[-1]) for row in values[1:]] == [
        ("Cả buổi", 60, case, "Cổng chính 08:00–12:00, cùng lúc 60 phút"),
        ("Người Tiếp Xúc", 30, case, "Cổng chính 09:30–11:00, cùng lúc 30 phút"),
        ("Bé Tiếp Xúc", 30, case, "Cổng chính 09:30–11:00, cùng lúc 30 phút")]
    assert values[2][9] == "0900000001"
    assert values[1][2] == datetime(2021, 7, 14, 8, 0)
    assert sheet["C2"].number_format == "dd/mm/yyyy hh:mm"
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:AD4"


def test_tracing_by_phone_number_through_the_page(app, admin_client, case):
    add_visit(app, hanoi(14, 9, 30), hanoi(14, 11), name="Người Tiếp Xúc", phone="0900000001")
    page = trace(admin_client, by="phone", phone="+84 911 111 111", start="2021-07-14",
                 end="2021-07-14").get_data(as_text=True)
    assert "Người Tiếp Xúc" in page and "1 người cần liên hệ" in page


@pytest.mark.parametrize(("fields", "message"), [
    ({"visit": ""}, "Nhập mã lượt vào, ví dụ 1234."),
    ({"visit": "99999"}, "Không có lượt vào nào có mã này. Lượt vào được xóa sau 21 ngày."),
    ({"visit": "1", "minutes": "-5"}, "Nhập số phút nguyên từ 0 đến 1440."),
    ({"visit": "1", "minutes": "2000"}, "Nhập số phút nguyên từ 0 đến 1440."),
    ({"by": "phone", "phone": "12345", "start": "2021-07-14", "end": "2021-07-14"},
     "Nhập số di động 10 chữ số"),
    ({"by": "phone", "phone": "0912345678", "start": "2021-07-14", "end": "2021-07-14"},
     "Không có lượt vào nào khai số điện thoại này trong các ngày đã chọn."),
    ({"by": "phone", "phone": "0912345678", "start": "2021-07-15", "end": "2021-07-14"},
     "Ngày kết thúc phải bằng hoặc sau ngày bắt đầu."),
])
def test_a_bad_request_is_explained(app, admin_client, case, fields, message):
    response = trace(admin_client, **fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_the_visit_page_offers_tracing_to_admins_only(app, admin_client, browser_of, case):
    assert "Truy vết từ lượt vào này" in admin_client.get(
        f"/dashboard/visits/{case}").get_data(as_text=True)
    receptionist = browser_of()
    receptionist.login_receptionist()
    page = receptionist.client.get(f"/dashboard/visits/{case}").get_data(as_text=True)
    assert "/admin/trace" not in page


def test_someone_else_who_gave_the_cases_phone_is_a_contact(app, case):
    add_visit(app, hanoi(14, 9), hanoi(14, 10), name="Con Gái Ca Bệnh", phone=CASE_PHONE)
    add_visit(app, hanoi(14, 9, 30), hanoi(14, 10), name="ca  bệnh", phone=CASE_PHONE)
    assert contacts(app, [case]) == {"Con Gái Ca Bệnh": 60}


@pytest.mark.parametrize("fields", [
    {"minutes": "9" * 5000, "visit": "1"}, {"visit": "9" * 5000}, {"visit": "0"},
    {"visit": "١٢"}, {"visit": None}, {"by": "other", "visit": "1"},
])
def test_odd_input_is_refused_not_a_server_error(app, admin_client, case, fields):
    token = csrf_from(admin_client.get("/admin/trace").get_data(as_text=True))
    data = {"by": "visit", "minutes": "15", "csrf_token": token, **fields}
    response = admin_client.post("/admin/trace",
                                 data={k: v for k, v in data.items() if v is not None})
    assert response.status_code == 400


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="SQLite's write lock")
def test_a_trace_does_not_hold_up_check_ins(app, admin_client, case, monkeypatch):
    # A trace is a search: while it runs, a check-in can still take the write lock at once.
    import sqlite3

    import app.routes.tracing as tracing_routes
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    real_trace = tracing_routes.tracing.overlapping_visits
    took_lock = []

    def trace_while_checking_in(*args, **kwargs):
        result = real_trace(*args, **kwargs)
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        took_lock.append(True)
        other.execute("ROLLBACK")
        other.close()
        return result

    monkeypatch.setattr(tracing_routes.tracing, "overlapping_visits", trace_while_checking_in)
    assert trace(admin_client, visit=str(case)).status_code == 200
    assert took_lock == [True]


def test_a_corrected_declaration_counts_from_the_first_check_in(app, clock):
    # The contact checks in at 09:00 and corrects the answers at 09:04 (a new visit replaces
    # the first at that moment); the case was there from 09:00 to 09:16.
    clock.now = hanoi(14, 9)
    phone = Phone(app.test_client())
    phone.check_in(full_name="Người Sửa Tờ Khai")
    clock.now = hanoi(14, 9, 4)
    phone.check_in(full_name="Người Sửa Tờ Khai", symptom_fever="yes")
    clock.now = hanoi(14, 9, 16)
    case = add_visit(app, hanoi(14, 9), hanoi(14, 9, 16), name="Ca Bệnh", phone=CASE_PHONE)
    assert contacts(app, [case]) == {"Người Sửa Tờ Khai": 16}
    # And the other way round: the case corrected theirs.
    clock.now = hanoi(14, 10)
    case_phone = Phone(app.test_client())
    case_phone.check_in(full_name="Ca Thứ Hai", phone="0922222222")
    clock.now = hanoi(14, 10, 3)
    case_phone.check_in(full_name="Ca Thứ Hai", phone="0922222222", symptom_cough="yes")
    add_visit(app, hanoi(14, 10), hanoi(14, 10, 16), name="Ở Cùng", phone="0900000001")
    clock.now = hanoi(14, 10, 20)
    with app.app_context():
        second_case = db.session.scalar(db.select(Visit.id).where(
            Visit.full_name == "Ca Thứ Hai", Visit.checkout_by.is_(None)))
    assert contacts(app, [second_case], min_minutes=15) == {"Ở Cùng": 16,
                                                            "Người Sửa Tờ Khai": 20}


def test_a_correction_long_after_the_case_left_still_counts_from_the_first(app, clock):
    # The same form sent again (Back, change an answer, send) hours later replaces the visit.
    clock.now = hanoi(14, 9)
    phone = Phone(app.test_client())
    hidden = phone.hidden_fields()
    phone.submit({**VALID_VISITOR, "full_name": "Người Gửi Lại"}, hidden)
    clock.now = hanoi(14, 11, 5)
    phone.submit({**VALID_VISITOR, "full_name": "Người Gửi Lại", "symptom_cough": "yes"},
                 hidden)
    case = add_visit(app, hanoi(14, 9), hanoi(14, 10), name="Ca Bệnh", phone=CASE_PHONE)
    assert contacts(app, [case]) == {"Người Gửi Lại": 60}


def test_two_people_in_the_same_second_are_not_mixed_up(app, clock):
    clock.now = hanoi(14, 10, 26)
    first = Phone(app.test_client())
    first.check_in(full_name="Nguyễn Văn An", phone="0911000001")
    clock.now = hanoi(14, 10, 30)
    first.check_in(full_name="Nguyễn Văn An", phone="0911000001", symptom_cough="yes")
    Phone(app.test_client()).check_in(full_name="Nguyễn Văn Ân", phone="0911000002")
    case = add_visit(app, hanoi(14, 10), hanoi(14, 11), name="Ca Bệnh", phone=CASE_PHONE)
    clock.now = hanoi(14, 12)
    assert contacts(app, [case], min_minutes=1) == {"Nguyễn Văn An": 34, "Nguyễn Văn Ân": 30}


def test_a_replaced_declaration_is_not_a_case(app, admin_client, clock):
    clock.now = hanoi(14, 9)
    phone = Phone(app.test_client())
    phone.check_in()
    clock.now = hanoi(14, 9, 4)
    phone.check_in(symptom_cough="yes")
    with app.app_context():
        replaced = db.session.scalar(db.select(Visit.id).where(Visit.checkout_by == "replaced"))
    response = trace(admin_client, visit=str(replaced))
    assert response.status_code == 400
    assert "Tờ khai này đã được thay bằng tờ khai sửa lại" in response.get_data(as_text=True)
    page = admin_client.get(f"/dashboard/visits/{replaced}").get_data(as_text=True)
    assert "Truy vết từ lượt vào này" not in page
