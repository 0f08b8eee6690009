"""The employee register, enrolling phones, and an employee's one-tap check-in."""

from __future__ import annotations

import io
import re
import sqlite3
from pathlib import Path

import openpyxl
import pytest

from app.employees.enrolment import EMPLOYEE_COOKIE
from app.extensions import db
from app.store.models import AuditEvent, Employee, EmployeeDevice, EnrolmentCode, User
from app.store.retention import purge
from tests.conftest import (
    ADMIN_PASSWORD,
    RECEPTIONIST_PASSWORD,
    TEST_DATABASE_URL,
    Phone,
    all_no,
    visits,
)
from tests.html_form import form_values
from tests.register import GOOD, HEADER, import_register, preview_rows, upload

PUBLIC_URL = "https://vao.example.vn"
# The enrolment sheet's QR codes carry the public address.
pytestmark = pytest.mark.app_settings(PUBLIC_URL=PUBLIC_URL)

def _employees(app) -> list[Employee]:
    with app.app_context():
        found = db.session.scalars(db.select(Employee).order_by(Employee.code)).all()
        for employee in found:
            _ = employee.devices
        return found


@pytest.fixture
def register(app, admin):
    """Three employees, imported from a CSV file by the admin."""
    import_register(admin)
    return {employee.code: employee.id for employee in _employees(app)}


def test_an_import_is_shown_first_and_stored_only_when_confirmed(app, admin):
    preview = upload(admin, "danh-sach.csv", GOOD.encode("utf-8-sig"))
    assert "3 người sẽ được thêm, 0 người được cập nhật, 0 người không thay đổi." in \
        preview.get_data(as_text=True)
    assert _employees(app) == []  # nothing written yet
    done = import_register(admin).get_data(as_text=True)
    assert "Đã nhập: thêm 3, cập nhật 0, không đổi 0." in done
    employees = _employees(app)
    assert [(e.code, e.full_name, e.department, e.phone, e.id_number) for e in employees] == [
        ("NV-001", "Nguyễn Văn Công", "Xưởng A", "0912000001", "001085012345"),
        ("NV-002", "Trần Thị Thợ", "Xưởng A", "0912000002", None),
        ("NV-003", "Lê Văn Kho", "Kho", "0912000003", None)]
    with app.app_context():
        [event] = db.session.scalars(db.select(AuditEvent).where(
            AuditEvent.action == "employee_import")).all()
    assert event.details == {"new": 3, "update": 0, "unchanged": 0} and event.row_count == 3


def test_importing_the_same_file_again_changes_nothing_and_a_known_code_updates(app, admin,
                                                                                 register):
    again = import_register(admin).get_data(as_text=True)
    assert "Đã nhập: thêm 0, cập nhật 0, không đổi 3." in again
    moved = HEADER + "Lê Văn Kho,NV-003,Xưởng B,0912000003,\r\n"
    assert "thêm 0, cập nhật 1, không đổi 0" in import_register(admin, "sua.csv", moved.encode()
                                                        ).get_data(as_text=True)
    assert [e.department for e in _employees(app)] == ["Xưởng A", "Xưởng A", "Xưởng B"]
    assert [e.id for e in _employees(app)] == list(register.values())


def test_an_xlsx_file_with_numbers_that_lost_their_zeros_imports(app, admin):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Họ và tên", "Mã NV", "Phòng ban", "SĐT", "CCCD"])
    sheet.append(["Phạm Thị Sổ", "KT-9", "Kế toán", 912345678, 1085012345])
    buffer = io.BytesIO()
    workbook.save(buffer)
    import_register(admin, "nv.xlsx", buffer.getvalue())
    [employee] = _employees(app)
    assert (employee.phone, employee.id_number) == ("0912345678", "001085012345")


def test_a_bad_file_names_each_error_by_row_and_column_and_stores_nothing(app, admin):
    bad = HEADER + ("Nguyễn Văn Công,NV-001,Xưởng A,0912000001,\r\n"
                    ",NV-002,Xưởng A,0912000002,\r\n"
                    "Trần Văn Sai,NV-003,Xưởng A,12345,\r\n"
                    "Lê Thị Trùng,NV-001,Kho,0912000004,\r\n"
                    "Đỗ Văn Mã,NV 004!,Kho,0912000005,\r\n"
                    "Hồ Văn Số,NV-005,Kho,0912000006,123\r\n")
    response = upload(admin, "loi.csv", bad.encode())
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Có 5 dòng chưa đúng" in html
    assert preview_rows(html, "import-errors") == [
        ["3", "Họ tên", "Nhập họ tên."],
        ["4", "Số điện thoại", "Nhập số di động 10 chữ số bắt đầu bằng 0 (hoặc +84), ví dụ "
                               "0912 345 678."],
        ["5", "Mã nhân viên", "Mã NV-001 đã có ở dòng 2."],
        ["6", "Mã nhân viên", "Mã nhân viên gồm tối đa 30 chữ cái, chữ số, dấu chấm, gạch "
                              "ngang hoặc gạch dưới."],
        ["7", "Số CCCD", "Số CCCD gồm 12 chữ số, CMND gồm 9 chữ số; số hộ chiếu gồm 6 đến 20 "
                         "chữ cái và chữ số."]]
    assert "/admin/employees/import/confirm" not in html
    assert _employees(app) == []


@pytest.mark.parametrize(("name", "body", "message"), [
    ("x.csv", "Tên,Điện thoại\r\nA,0912000001\r\n".encode(), "còn thiếu: Họ tên, Mã nhân viên"),
    ("x.csv", "Họ tên,Mã nhân viên\r\nÁ,1\r\n".encode("cp1258", errors="replace"), "UTF-8"),
    ("x.xlsx", b"not a workbook", "Không đọc được tệp XLSX này."),
    ("x.pdf", b"%PDF", "Vui lòng chọn tệp .csv hoặc .xlsx."),
    ("x.csv", b"", "Tệp không có dữ liệu."),
])
def test_a_file_that_cannot_be_read_is_explained(app, admin, name, body, message):
    response = upload(admin, name, body)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert _employees(app) == []


def test_a_register_larger_than_any_form_imports_but_only_for_signed_in_staff(app, admin,
                                                                               client):
    rows = "".join(f"Nguyễn Thị Công Nhân Số {n},NV-{n:05d},Xưởng lắp ráp điện tử số {n % 9},"
                   f"0912{n:06d},001085{n:06d}\r\n" for n in range(3000))
    body = (HEADER + rows).encode("utf-8-sig")
    assert app.config["MAX_CONTENT_LENGTH"] < len(body) < 2 * 1024 * 1024
    done = import_register(admin, "ca-nha-may.csv", body).get_data(as_text=True)
    assert "Đã nhập: thêm 3000, cập nhật 0, không đổi 0." in done
    # Anyone else is refused before the body is read: 413, not a redirect to the sign-in page.
    response = client.post("/admin/employees/import", content_type="multipart/form-data",
                           data={"register_file": (io.BytesIO(body), "x.csv")})
    assert response.status_code == 413
    assert len(_employees(app)) == 3000


def test_a_tampered_confirmation_stores_nothing(app, admin):
    token = form_values(admin.client.get("/admin/employees/import").get_data(as_text=True),
                        "/admin/employees/import")["csrf_token"]
    response = admin.client.post("/admin/employees/import/confirm", data={
        "csrf_token": token, "sealed": "W1siWCIsIlgiLCJYIiwiMDkxMjAwMDAwMSIsbnVsbF1d.forged"},
        follow_redirects=True)
    assert "quá hạn hoặc không hợp lệ" in response.get_data(as_text=True)
    assert _employees(app) == []


def test_add_edit_search_and_filter_by_department(app, admin, register):
    page = admin.client.get("/admin/employees/", query_string={"q": "tho"}).get_data(
        as_text=True)
    assert "Trần Thị Thợ" in page and "Lê Văn Kho" not in page
    kho = admin.client.get("/admin/employees/", query_string={"department": "Kho"}).get_data(
        as_text=True)
    assert "Lê Văn Kho" in kho and "Nguyễn Văn Công" not in kho
    added = admin.post("/admin/employees/", {"code": "nv-010", "full_name": "Vũ Thị Mới",
                                             "department": "Kho", "phone": "0987000010"},
                       page="/admin/employees/", follow_redirects=True)
    assert "Đã thêm nhân viên NV-010." in added.get_data(as_text=True)
    taken = admin.post("/admin/employees/", {"code": "NV-010", "full_name": "Khác",
                                             "department": "Kho", "phone": "0987000011"},
                       page="/admin/employees/")
    assert taken.status_code == 400 and "Mã NV-010 đã thuộc về người khác." in \
        taken.get_data(as_text=True)
    kho_id = register["NV-003"]
    admin.post(f"/admin/employees/{kho_id}", {"code": "NV-003", "full_name": "Lê Văn Kho",
                                              "department": "Kho lạnh", "phone": "0912000003"},
               page=f"/admin/employees/{kho_id}")
    assert "Kho lạnh" in [e.department for e in _employees(app)]
    actions = [e.action for e in _audit(app)]
    assert "employee_create" in actions and "employee_update" in actions


def _audit(app) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id)))


# --- enrolling a phone ----------------------------------------------------------------------

def _sheet(admin, department: str) -> dict[str, str]:
    """Print the department's sheet; {employee name: the path its QR code opens}."""
    html = admin.post("/admin/employees/sheet", {"department": department},
                      page="/admin/employees/", follow_redirects=True).get_data(as_text=True)
    return codes_on_sheet(html)


def codes_on_sheet(html: str) -> dict[str, str]:
    """{employee name: path} read back from each card's QR code, as a phone camera would."""
    import base64

    import zxingcpp
    from PIL import Image
    found = {}
    for png, name in re.findall(r'<img src="data:image/png;base64,([^"]+)" alt="[^"]*">\s*'
                                r'<p class="who"><strong>([^<]+)</strong>', html):
        [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(base64.b64decode(png))))
        found[name] = code.text.removeprefix(PUBLIC_URL)
    return found


def _enrol(phone: Phone, path: str):
    page = phone.client.get(path)
    token = form_values(page.get_data(as_text=True), "")["csrf_token"]
    return phone.client.post(path, data={"csrf_token": token})


def test_a_phone_enrolled_from_the_sheet_checks_in_with_one_tap(app, admin, register, clock):
    codes = _sheet(admin, "Xưởng A")
    assert set(codes) == {"Nguyễn Văn Công", "Trần Thị Thợ"}
    # The code rides in the query string, which no access log keeps (they log paths).
    assert all(path.startswith("/e?code=") for path in codes.values())
    phone = Phone(app.test_client())
    confirm = phone.client.get(codes["Trần Thị Thợ"]).get_data(as_text=True)
    assert "Trần Thị Thợ" in confirm and "Đây là điện thoại của tôi" in confirm
    assert _enrol(phone, codes["Trần Thị Thợ"]).headers["Location"] == "/employee"
    assert phone.client.get_cookie(EMPLOYEE_COOKIE) is not None
    # Used once: the same code does nothing for another phone.
    assert Phone(app.test_client()).client.get(codes["Trần Thị Thợ"]).status_code == 410

    page = phone.open_form().get_data(as_text=True)
    assert "Trần Thị Thợ" in page and "Xưởng A · NV-002" in page
    assert 'name="full_name"' not in page  # nothing about who they are is typed
    values = form_values(page, phone.form_url)
    assert set(values) == {"csrf_token", "visit_secret"}
    done = phone.client.post(phone.form_url, data={**values, "employee_tap": "1"})
    assert done.status_code == 302
    [visit] = visits(app)
    assert (visit.full_name, visit.phone, visit.employee_code, visit.department) == (
        "Trần Thị Thợ", "0912000002", "NV-002", "Xưởng A")
    assert visit.employee_id == register["NV-002"] and visit.flagged is False
    assert visit.birth_year is None and not any(visit.declaration["symptoms"].values())
    # Scanning again while inside offers Ra về.
    assert "Anh/chị đang ở bên trong từ" in phone.open_form().get_data(as_text=True)
    with app.app_context():
        [device] = db.session.scalars(db.select(EmployeeDevice)).all()
    assert device.last_used_at == clock.now


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="SQLite's write transactions")
def test_a_tap_writes_the_visit_and_the_phones_last_use_in_one_transaction(app, admin,
                                                                           register):
    from tests.test_database import _statements, _write_transactions
    phone = Phone(app.test_client())
    _enrol(phone, _sheet(admin, "Xưởng A")["Trần Thị Thợ"])
    values = form_values(phone.open_form().get_data(as_text=True), phone.form_url)
    sent = _statements(app, lambda: phone.client.post(
        phone.form_url, data={**values, "employee_tap": "1"}))
    [write] = _write_transactions(sent)
    assert any(s.startswith("INSERT INTO visit ") for s in write)
    assert any(s.startswith("UPDATE employee_device SET last_used_at") for s in write)


def test_a_tap_at_an_entry_point_closed_meanwhile_elsewhere_is_refused(app, admin, register):
    from app.store.models import Location
    phone = Phone(app.test_client())
    _enrol(phone, _sheet(admin, "Xưởng A")["Trần Thị Thợ"])
    values = form_values(phone.open_form().get_data(as_text=True), phone.form_url)
    with app.app_context():  # closed through another server: this one still trusts its read
        db.session.execute(db.update(Location).values(active=False))
        db.session.commit()
    refused = phone.client.post(phone.form_url, data={**values, "employee_tap": "1"})
    assert refused.status_code == 404
    assert visits(app) == []


def test_an_employee_with_something_to_declare_is_flagged(app, admin, register):
    phone = Phone(app.test_client())
    _enrol(phone, _sheet(admin, "Kho")["Lê Văn Kho"])
    page = phone.open_form(declare=1).get_data(as_text=True)
    values = form_values(page, phone.form_url)
    sent = {**values, **all_no(), "symptom_fever": "yes", "confirm_true": "y",
            "employee_declare": "1"}
    assert phone.client.post(phone.form_url, data=sent).status_code == 302
    [visit] = visits(app)
    assert visit.flagged and visit.declaration["symptoms"]["fever"] and visit.employee_code
    unanswered = phone.client.post(phone.form_url, data={
        **values, "employee_declare": "1", "confirm_true": "y"}).get_data(as_text=True)
    assert "Vui lòng trả lời Có hoặc Không" in unanswered and len(visits(app)) == 1


def test_enrolling_at_the_gate_with_the_code_and_last_digits(app, register, clock):
    phone = Phone(app.test_client())
    url = f"/c/{phone.token}/employee"

    def attempt(code, digits, address="10.0.0.5"):
        token = form_values(phone.client.get(url).get_data(as_text=True), url)["csrf_token"]
        return phone.client.post(url, data={"csrf_token": token, "code": code,
                                            "last_digits": digits},
                                 environ_base={"REMOTE_ADDR": address})

    wrong = "Mã nhân viên hoặc 4 số cuối không đúng."
    # A wrong code and wrong digits get the same words: nothing tells which part was wrong.
    assert wrong in attempt("NV-999", "0002").get_data(as_text=True)
    assert wrong in attempt("NV-002", "9999").get_data(as_text=True)
    assert phone.client.get_cookie(EMPLOYEE_COOKIE) is None
    right = attempt("nv-002", "0002")
    assert right.status_code == 302 and right.headers["Location"] == phone.form_url
    assert "Trần Thị Thợ" in phone.open_form().get_data(as_text=True)


def _gate_attempt(phone: Phone, code: str, digits: str, address: str):
    url = f"/c/{phone.token}/employee"
    token = form_values(phone.client.get(url).get_data(as_text=True), url)["csrf_token"]
    return phone.client.post(url, data={"csrf_token": token, "code": code,
                                        "last_digits": digits},
                             environ_base={"REMOTE_ADDR": address})


def test_guessing_the_digits_of_one_code_is_throttled_like_sign_in(app, register, clock):
    phone = Phone(app.test_client())
    for n in range(5):
        _gate_attempt(phone, "NV-001", f"{9990 + n}", f"10.0.1.{n}")  # five addresses
    refused = _gate_attempt(phone, "NV-001", "0001", "10.0.2.1")  # the right digits, too late
    assert refused.status_code == 429 and "Nhập sai quá nhiều lần" in refused.get_data(
        as_text=True)
    assert phone.client.get_cookie(EMPLOYEE_COOKIE) is None
    clock.advance(minutes=16)
    assert _gate_attempt(phone, "NV-001", "0001", "10.0.2.1").status_code == 302


def test_guessing_from_one_address_is_throttled_but_staff_can_still_sign_in(app, staff,
                                                                            register, clock,
                                                                            browser_of):
    phone = Phone(app.test_client())
    for n in range(5):  # five wrong tries from one address, at five different codes
        _gate_attempt(phone, f"NV-00{n + 1}", "9999", "10.0.3.3")
    refused = _gate_attempt(phone, "NV-002", "0002", "10.0.3.3")
    assert refused.status_code == 429
    assert _gate_attempt(phone, "NV-002", "0002", "10.0.3.4").status_code == 302  # elsewhere
    # The gate's mistakes do not lock staff sign-in from that address, nor the other way.
    desk = browser_of()
    assert desk.login("lan", ADMIN_PASSWORD,
                      environ_base={"REMOTE_ADDR": "10.0.3.3"}).status_code == 302
    with app.app_context():
        refusals = db.session.scalars(db.select(AuditEvent).where(
            AuditEvent.action == "employee_enrol_refused")).all()
    assert [(e.address, e.user_id) for e in refusals] == [("10.0.3.3", None)]  # once


def test_a_code_guessed_all_day_closes_until_the_next(app, register, clock):
    phone = Phone(app.test_client())
    for round_ in range(3):  # 4 wrong tries every 16 minutes stays under each lockout...
        for n in range(4):
            _gate_attempt(phone, "NV-003", f"{9000 + n}", f"10.1.{round_}.{n}")
        clock.advance(minutes=16)
    # ...but ten in a day close the code, even to the right digits.
    assert _gate_attempt(phone, "NV-003", "0003", "10.2.0.1").status_code == 429
    clock.advance(hours=23)  # still within a day of the first wrong try
    assert _gate_attempt(phone, "NV-003", "0003", "10.2.0.1").status_code == 429
    clock.advance(minutes=20)  # a day after it: the first four have aged out
    assert _gate_attempt(phone, "NV-003", "0003", "10.2.0.1").status_code == 302


def test_this_is_not_my_phone_forgets_it_here_and_on_the_server(app, admin, register):
    phone = Phone(app.test_client())
    _enrol(phone, _sheet(admin, "Kho")["Lê Văn Kho"])
    page = phone.open_form().get_data(as_text=True)
    token = form_values(page, "/employee/forget")["csrf_token"]
    response = phone.client.post("/employee/forget", data={
        "csrf_token": token, "then": phone.form_url})
    assert response.headers["Location"] == phone.form_url
    # Removed with the attributes it was set with (PUBLIC_URL is https: Secure).
    [removal] = [line for line in response.headers.getlist("Set-Cookie")
                 if line.startswith(EMPLOYEE_COOKIE + "=")]
    assert "Secure" in removal and "HttpOnly" in removal
    assert phone.client.get_cookie(EMPLOYEE_COOKIE) is None
    assert "Lê Văn Kho" not in phone.open_form().get_data(as_text=True)
    assert all(employee.devices == [] for employee in _employees(app))
    outside = phone.client.post("/employee/forget", data={
        "csrf_token": token, "then": "https://evil.example/"})
    assert outside.headers["Location"] == "/"


def test_revoking_the_phone_or_deactivating_the_employee_ends_it_at_once(app, admin,
                                                                         register):
    phone = Phone(app.test_client())
    _enrol(phone, _sheet(admin, "Xưởng A")["Nguyễn Văn Công"])
    other = Phone(app.test_client())
    _enrol(other, _sheet(admin, "Xưởng A")["Nguyễn Văn Công"])  # a second phone
    employee_id = register["NV-001"]
    [first, second] = _employees(app)[0].devices
    admin.post(f"/admin/employees/{employee_id}/devices/{first.id}/revoke",
               page=f"/admin/employees/{employee_id}")
    assert "Nguyễn Văn Công" not in phone.open_form().get_data(as_text=True)
    assert "Nguyễn Văn Công" in other.open_form().get_data(as_text=True)
    admin.post(f"/admin/employees/{employee_id}/deactivate",
               page=f"/admin/employees/{employee_id}")
    assert "Nguyễn Văn Công" not in other.open_form().get_data(as_text=True)
    assert _employees(app)[0].devices == [] and not _employees(app)[0].active
    actions = [e.action for e in _audit(app)]
    assert actions.count("employee_enrol") == 2 and "employee_device_revoke" in actions
    assert "employee_deactivate" in actions and "employee_sheet" in actions


@pytest.mark.parametrize("ended_by", ["revoke", "deactivate"])
def test_a_phone_no_longer_enrolled_is_told_so_and_its_cookie_removed(app, admin, register,
                                                                       ended_by):
    phone = Phone(app.test_client())
    _enrol(phone, _sheet(admin, "Xưởng A")["Nguyễn Văn Công"])
    employee_id = register["NV-001"]
    [device] = _employees(app)[0].devices
    action = (f"devices/{device.id}/revoke" if ended_by == "revoke" else "deactivate")
    admin.post(f"/admin/employees/{employee_id}/{action}", page=f"/admin/employees/{employee_id}")
    response = phone.open_form()
    page = response.get_data(as_text=True)
    assert "Điện thoại này không còn được đăng ký khai báo dành cho nhân viên" in page
    assert "liên hệ quản trị viên" in page and "khai báo như khách" in page
    assert 'name="full_name"' in page  # the visitor's form, right below
    # Removed with the attributes it was set with (PUBLIC_URL is https: Secure).
    [removal] = [line for line in response.headers.getlist("Set-Cookie")
                 if line.startswith(EMPLOYEE_COOKIE + "=")]
    assert "Secure" in removal and "HttpOnly" in removal and "SameSite=Lax" in removal
    assert phone.client.get_cookie(EMPLOYEE_COOKIE) is None
    again = phone.open_form().get_data(as_text=True)  # said once: now a phone like any other
    assert "không còn được đăng ký" not in again and 'name="full_name"' in again


def test_an_old_sheet_stops_working_when_a_new_one_is_printed(app, admin, register):
    old = _sheet(admin, "Kho")["Lê Văn Kho"]
    new = _sheet(admin, "Kho")["Lê Văn Kho"]
    assert Phone(app.test_client()).client.get(old).status_code == 410
    assert Phone(app.test_client()).client.get(new).status_code == 200


def test_reloading_the_sheet_keeps_the_codes_printed_from_it(app, admin, register):
    issued = admin.post("/admin/employees/sheet", {"department": "Xưởng A"},
                        page="/admin/employees/")
    assert issued.status_code == 302  # Post/Redirect/Get: the sheet is a page of its own
    sheet_url = issued.headers["Location"]
    assert sheet_url.startswith("/admin/employees/sheet?sheet=")
    printed = codes_on_sheet(admin.client.get(sheet_url).get_data(as_text=True))
    assert set(printed) == {"Nguyễn Văn Công", "Trần Thị Thợ"}
    # The address holds no code: the codes are found again, not carried.
    assert not any(path.partition("=")[2] in sheet_url for path in printed.values())
    for _reload in range(2):  # reloaded, and come back to
        assert codes_on_sheet(admin.client.get(sheet_url).get_data(as_text=True)) == printed
    phone = Phone(app.test_client())
    assert _enrol(phone, printed["Trần Thị Thợ"]).headers["Location"] == "/employee"
    # A used code leaves the sheet, the others stay as printed.
    later = admin.client.get(sheet_url).get_data(as_text=True)
    assert codes_on_sheet(later) == {"Nguyễn Văn Công": printed["Nguyễn Văn Công"]}
    assert "Trang này không còn mã dùng được cho: Trần Thị Thợ (" in later
    assert _enrol(Phone(app.test_client()), printed["Nguyễn Văn Công"]).status_code == 302
    assert "Không còn mã nào trên trang này dùng được." in admin.client.get(
        sheet_url).get_data(as_text=True)
    assert [e.action for e in _audit(app)].count("employee_sheet") == 1


def test_a_sheets_page_is_its_admins_for_a_working_day(app, admin, register, clock,
                                                      browser_of, staff):
    sheet_url = admin.post("/admin/employees/sheet", {"department": "Kho"},
                           page="/admin/employees/").headers["Location"]
    [code] = codes_on_sheet(admin.client.get(sheet_url).get_data(as_text=True)).values()
    refused = "Trang mã đăng ký này không còn xem lại được"
    tampered = admin.client.get(sheet_url[:-2] + "xx", follow_redirects=True)
    assert refused in tampered.get_data(as_text=True)
    with app.app_context():  # another admin, who could print a sheet of their own
        db.session.execute(db.update(User).where(User.username == "thu").values(role="admin"))
        db.session.commit()
    other = browser_of()
    assert other.login("thu", RECEPTIONIST_PASSWORD).status_code == 302
    assert refused in other.client.get(sheet_url, follow_redirects=True).get_data(as_text=True)
    clock.advance(hours=8, seconds=-1)
    assert codes_on_sheet(admin.client.get(sheet_url).get_data(as_text=True)) == {
        "Lê Văn Kho": code}
    clock.advance(seconds=2)
    late = admin.client.get(sheet_url, follow_redirects=True).get_data(as_text=True)
    assert refused in late and "8 giờ" in late
    # The page is gone, the code is not: it works its 7 days.
    assert _enrol(Phone(app.test_client()), code).headers["Location"] == "/employee"


@pytest.mark.app_settings(PUBLIC_URL="")
def test_without_a_public_address_no_sheet_is_printed(app, admin, register):
    response = admin.post("/admin/employees/sheet", {"department": "Kho"},
                          page="/admin/employees/", follow_redirects=True)
    assert "Chưa cấu hình địa chỉ công khai nên chưa có mã QR" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(EnrolmentCode)) == 0


def test_an_enrolment_code_expires_after_seven_days(app, admin, register, clock):
    code = _sheet(admin, "Kho")["Lê Văn Kho"]
    clock.advance(days=7, seconds=-1)
    assert Phone(app.test_client()).client.get(code).status_code == 200
    clock.advance(seconds=2)
    assert Phone(app.test_client()).client.get(code).status_code == 410


def test_a_deactivated_employee_is_deleted_after_the_retention_period(app, admin, register,
                                                                      clock):
    phone = Phone(app.test_client())
    _enrol(phone, _sheet(admin, "Kho")["Lê Văn Kho"])
    values = form_values(phone.open_form().get_data(as_text=True), phone.form_url)
    phone.client.post(phone.form_url, data={**values, "employee_tap": "1"})
    kho = register["NV-003"]
    admin.post(f"/admin/employees/{kho}/deactivate", page=f"/admin/employees/{kho}")
    clock.advance(days=20)
    with app.app_context():
        purge()
    assert "NV-003" in [e.code for e in _employees(app)] and len(visits(app)) == 1
    clock.advance(days=1, minutes=1)
    with app.app_context():
        purge()
    assert "NV-003" not in [e.code for e in _employees(app)]
    assert visits(app) == []  # the visit went with the retention period too
    assert [e.code for e in _employees(app)] == ["NV-001", "NV-002"]  # still employed: kept


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="SQLite's backups")
def test_a_deactivated_employee_leaves_the_backups_too(app, admin, register, clock, runner):
    kho = register["NV-003"]
    admin.post(f"/admin/employees/{kho}/deactivate", page=f"/admin/employees/{kho}")
    clock.advance(days=10)
    assert runner.invoke(args=["backup"]).exit_code == 0  # holds the deactivated employee
    clock.advance(days=11, minutes=1)  # 21 days after the deactivation, 11 after the backup
    runner.invoke(args=["purge"])
    [kept] = [path for path in (Path(app.instance_path) / "backups").iterdir()]
    with sqlite3.connect(kept) as conn:
        codes = [row[0] for row in conn.execute("SELECT code FROM employee ORDER BY code")]
    assert codes == ["NV-001", "NV-002"]

