"""Employees beside visitors: the desk's counters, list and roll call, the export's columns,
and tracing from and to an employee."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest

from app.extensions import db
from app.store.models import AuditEvent
from tests.builders import add_visit, declaration, hanoi
from tests.conftest import Phone
from tests.html_form import form_values
from tests.register import import_register
from tests.test_tracing import trace

# An employee's visit as the one-tap check-in stores it: who they are comes from the register,
# which holds no year of birth, gender or address.
EMPLOYEE = {"birth_year": None, "gender": "", "nationality": "", "province": ""}


def employee_visit(app, came, left=None, *, name="Nguyễn Văn Công", code="NV-001",
                   department="Xưởng A", phone="0912000001", **fields) -> int:
    return add_visit(app, came, left, name=name, phone=phone, employee_code=code,
                     department=department, **{**EMPLOYEE, **fields})


@pytest.fixture
def morning(app, clock):
    """14 July, 08:30: two visitors (one still inside, with a child) and three employees (two
    still inside)."""
    add_visit(app, hanoi(14, 7), hanoi(14, 8), name="Khách Đã Về", phone="0987000001")
    add_visit(app, hanoi(14, 8), name="Khách Còn Trong", phone="0987000002",
              companions=(("Bé Con", 2018),))
    employee_visit(app, hanoi(14, 7, 30), hanoi(14, 8, 10), name="Thợ Đã Về", code="NV-003",
                   phone="0912000003")
    employee_visit(app, hanoi(14, 7, 45))
    employee_visit(app, hanoi(14, 7, 50), name="Trần Thị Thợ", code="NV-002",
                   department="Kho", phone="0912000002")


def _listed(html: str) -> list[str]:
    """The names in the page's list (not in its alert panel)."""
    rows = re.search(r'<tbody id="rows">(.*?)</tbody>', html, re.S).group(1)
    return re.findall(r'<a href="/dashboard/visits/\d+">([^<]+)</a>', rows)


def _counter(html: str, label: str) -> tuple[str, str]:
    """(the figure, the visitors/employees split) of the counter with this label."""
    found = re.search(rf"<dt>{label}</dt><dd>(\d+)</dd>\s*<dd class=\"split\">([^<]+)</dd>",
                      html)
    assert found, label
    return found.group(1), found.group(2)


def test_the_counters_split_visitors_and_employees(desk, morning):
    html = desk.client.get("/dashboard/").get_data(as_text=True)
    # People, side by side: the two visitors and one's child, three employees (five visits).
    assert _counter(html, "Người vào hôm nay") == ("6", "khách 3 · nhân viên 3 · 5 lượt vào")
    # Inside: the visitor and her child, and two employees.
    assert _counter(html, "Người đang ở bên trong") == ("4", "khách 2 · nhân viên 2")


def test_the_list_shows_visitors_with_a_switch_for_employees(desk, morning):
    def listed(**args):
        return _listed(desk.client.get("/dashboard/", query_string=args).get_data(as_text=True))

    assert listed() == ["Khách Còn Trong", "Khách Đã Về"]
    assert listed(who="employees") == ["Trần Thị Thợ", "Nguyễn Văn Công", "Thợ Đã Về"]
    assert listed(who="all") == ["Khách Còn Trong", "Trần Thị Thợ", "Nguyễn Văn Công",
                                 "Thợ Đã Về", "Khách Đã Về"]
    assert listed(who="employees", inside="1") == ["Trần Thị Thợ", "Nguyễn Văn Công"]
    assert listed(who="nobody") == ["Khách Còn Trong", "Khách Đã Về"]  # the default
    page = desk.client.get("/dashboard/", query_string={"who": "employees"})
    html = page.get_data(as_text=True)
    assert '<option value="employees" selected>Nhân viên</option>' in html
    assert "Nhân viên NV-002 · Kho" in html  # code and department beside the name
    born = re.search(r'id="visit-\d+"[^>]*>(?:(?!</tr>).)*Trần Thị Thợ.*?</tr>', html, re.S)
    assert '<td class="number born">—</td>' in born.group(0)  # not "None"


def test_a_search_finds_an_employee_by_code_whatever_the_switch_shows(desk, morning):
    def searched(query: str, **args):
        html = desk.client.get("/dashboard/", query_string={"q": query, **args})
        return _listed(html.get_data(as_text=True))

    assert searched("nv-002") == ["Trần Thị Thợ"]
    assert searched("0912000001") == ["Nguyễn Văn Công"]
    assert searched("Khách Còn") == ["Khách Còn Trong"]
    assert searched("nv-002", who="employees") == ["Trần Thị Thợ"]
    assert searched("Khách", who="employees") == []  # a choice made stands


def test_the_poll_keeps_to_the_list_shown(app, desk, morning, clock):
    since = clock.now.isoformat()
    clock.advance(seconds=10)
    employee_visit(app, clock.now, name="Mới Vào Ca", code="NV-009", phone="0912000009")
    visitors = desk.client.get("/dashboard/changes", query_string={"since": since})
    assert "Mới Vào Ca" not in visitors.get_data(as_text=True)
    employees = desk.client.get("/dashboard/changes",
                                query_string={"since": since, "who": "employees"})
    assert "Mới Vào Ca" in employees.get_data(as_text=True)
    # The counters come with either.
    assert _counter(visitors.get_data(as_text=True), "Người vào hôm nay") == (
        "7", "khách 3 · nhân viên 4 · 6 lượt vào")


def test_a_flagged_employee_alerts_whatever_the_list_shows(app, desk, morning, clock):
    since = clock.now.isoformat()
    clock.advance(seconds=10)
    employee_visit(app, clock.now, name="Thợ Bị Sốt", code="NV-010", phone="0912000010",
                   answers=declaration(fever=True))
    poll = desk.client.get("/dashboard/changes", query_string={"since": since})
    panel = re.search(r'<article class="alert-item".*?</article>', poll.get_data(as_text=True),
                      re.S).group(0)
    assert "Thợ Bị Sốt" in panel and "Nhân viên NV-010 · Xưởng A" in panel
    assert "flagged-checkin" in poll.headers["HX-Trigger"]
    assert "Thợ Bị Sốt" not in _listed(  # the list itself keeps to the visitors
        desk.client.get("/dashboard/").get_data(as_text=True))


def test_the_roll_call_lists_everyone_inside(desk, morning):
    html = desk.client.get("/dashboard/inside").get_data(as_text=True)
    assert "Còn ở bên trong: 4 người" in html and "khách 2, nhân viên 2" in html
    for name in ("Khách Còn Trong", "Bé Con", "Nguyễn Văn Công", "Trần Thị Thợ"):
        assert name in html
    assert "Khách Đã Về" not in html and "Thợ Đã Về" not in html
    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*Trần Thị Thợ.*?</tr>", html, re.S).group(0)
    assert "Nhân viên NV-002 · Kho" in row and "<td>—</td>" in row and "None" not in row


def test_an_employees_visit_page_shows_code_and_department(app, desk, clock):
    visit = employee_visit(app, hanoi(14, 8))
    html = desk.client.get(f"/dashboard/visits/{visit}").get_data(as_text=True)
    assert "<dt>Mã nhân viên</dt><dd>NV-001</dd>" in html
    assert "<dt>Bộ phận</dt><dd>Xưởng A</dd>" in html
    assert "None" not in html and "Năm sinh" not in html


# --- the export ------------------------------------------------------------------------------

def _download(client, file_format: str):
    response = client.get("/admin/export/download", query_string={
        "start": "2021-07-14", "end": "2021-07-14", "format": file_format})
    assert response.status_code == 200
    body = response.get_data()
    response.close()
    return body


def test_the_export_says_who_is_an_employee_formula_safe(app, admin_client, clock):
    add_visit(app, hanoi(14, 8), name="Khách Lạ", phone="0987000001",
              companions=(("Bé Con", 2018),))
    employee_visit(app, hanoi(14, 9), department="=HYPERLINK(\"x\")", code="NV-001")
    rows = list(csv.DictReader(io.StringIO(_download(admin_client, "csv").decode("utf-8-sig"),
                                           newline="")))
    assert [(r["Họ và tên"], r["Loại"], r["Mã nhân viên"], r["Bộ phận"], r["Năm sinh"])
            for r in rows] == [("Khách Lạ", "Khách", "", "", "1990"),
                               ("Bé Con", "Khách", "", "", "2018"),
                               ("Nguyễn Văn Công", "Nhân viên", "NV-001",
                                "'=HYPERLINK(\"x\")", "")]
    sheet = openpyxl.load_workbook(io.BytesIO(_download(admin_client, "xlsx"))).worksheets[0]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = values[0]
    employee = dict(zip(header, values[3], strict=True))
    assert (employee["Loại"], employee["Mã nhân viên"]) == ("Nhân viên", "NV-001")
    assert employee["Bộ phận"] == "=HYPERLINK(\"x\")"  # text, never run as a formula
    assert sheet.cell(4, header.index("Bộ phận") + 1).data_type == "s"
    assert employee["Năm sinh"] in (None, "")


# --- tracing ---------------------------------------------------------------------------------

def test_a_trace_starts_from_an_employee_code_and_finds_visitors(app, admin_client, clock):
    clock.now = hanoi(15, 18)
    employee_visit(app, hanoi(14, 8), hanoi(14, 17))
    employee_visit(app, hanoi(15, 8), hanoi(15, 12))
    add_visit(app, hanoi(14, 9), hanoi(14, 10), name="Khách Ngày 14", phone="0987000014")
    add_visit(app, hanoi(15, 11), hanoi(15, 13), name="Khách Ngày 15", phone="0987000015")
    employee_visit(app, hanoi(15, 7), hanoi(15, 9), name="Trần Thị Thợ", code="NV-002",
                   department="Kho", phone="0912000002")
    page = trace(admin_client, by="employee", code=" nv-001 ", start="2021-07-14",
                 end="2021-07-15").get_data(as_text=True)
    assert "3 người cần liên hệ" in page
    for name in ("Khách Ngày 14", "Khách Ngày 15", "Trần Thị Thợ"):
        assert name in page
    assert "Nhân viên NV-002 · Kho" in page  # an employee among the contacts says so
    rows = list(csv.DictReader(io.StringIO(trace(
        admin_client, by="employee", code="NV-001", start="2021-07-14", end="2021-07-15",
        format="csv").get_data().decode("utf-8-sig"), newline="")))
    assert {(r["Họ và tên"], r["Loại"], r["Mã nhân viên"]) for r in rows} == {
        ("Khách Ngày 14", "Khách", ""), ("Khách Ngày 15", "Khách", ""),
        ("Trần Thị Thợ", "Nhân viên", "NV-002")}
    with app.app_context():
        details = db.session.scalars(db.select(AuditEvent.details).where(
            AuditEvent.action.in_(["trace", "trace_export"]))).all()
    assert [d["by"] for d in details] == ["employee", "employee"]
    assert "NV-001" not in str(details)  # the case's visits are named, never their code


def test_a_visitors_trace_finds_the_employees_there(app, admin_client, clock):
    clock.now = hanoi(14, 18)
    case = add_visit(app, hanoi(14, 9), hanoi(14, 10), name="Ca Bệnh", phone="0911111111")
    employee_visit(app, hanoi(14, 8), hanoi(14, 17))
    page = trace(admin_client, visit=str(case)).get_data(as_text=True)
    assert "1 người cần liên hệ" in page and "Nhân viên NV-001 · Xưởng A" in page


@pytest.mark.parametrize(("fields", "message"), [
    ({"code": ""}, "Nhập mã nhân viên, ví dụ NV-001."),
    ({"code": "NV 001"}, "Nhập mã nhân viên, ví dụ NV-001."),
    ({"code": "NV-404"}, "Không có lượt vào nào của mã nhân viên này trong các ngày đã chọn."),
    ({"code": "NV-001", "start": "2021-07-15", "end": "2021-07-14"},
     "Ngày kết thúc phải bằng hoặc sau ngày bắt đầu."),
])
def test_a_bad_employee_trace_is_explained(app, admin_client, clock, fields, message):
    employee_visit(app, hanoi(14, 8), hanoi(14, 17))
    response = trace(admin_client, **{"by": "employee", "start": "2021-07-14",
                                      "end": "2021-07-14", **fields})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_an_employee_checked_in_by_one_tap_is_on_the_desk(app, admin, desk, clock):
    """The whole way: an enrolled phone's one tap reaches the employees' list and counters."""
    import_register(admin)
    phone = Phone(app.test_client())
    url = f"/c/{phone.token}/employee"
    token = form_values(phone.client.get(url).get_data(as_text=True), url)["csrf_token"]
    assert phone.client.post(url, data={"csrf_token": token, "code": "NV-003",
                                        "last_digits": "0003"}).status_code == 302
    values = form_values(phone.open_form().get_data(as_text=True), phone.form_url)
    assert phone.client.post(phone.form_url,
                             data={**values, "employee_tap": "1"}).status_code == 302
    html = desk.client.get("/dashboard/", query_string={"who": "employees"}).get_data(True)
    assert _listed(html) == ["Lê Văn Kho"] and "Nhân viên NV-003 · Kho" in html
    assert _counter(html, "Người đang ở bên trong") == ("1", "khách 0 · nhân viên 1")
