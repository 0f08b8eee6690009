"""The audit log: every export, trace, opened visit, sign-in and change, without personal data."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from app.extensions import db
from app.store import audit
from app.store.models import AuditEvent, Employee, Location, User
from app.store.retention import purge
from tests.builders import add_visit, hanoi
from tests.conftest import ADMIN_PASSWORD, csrf_from

# Personal data that must never reach the log.
VISITOR = {"name": "Đoàn Thị Riêng Tư", "phone": "0977123456", "id_number": "001199054321"}
NEW_PASSWORD = "mật-khẩu-bí-mật-9"


@pytest.fixture
def admin(clock, staff, browser_of):
    """The admin signed in at 17:00 on 14 July, so the sign-in's entry has a known time."""
    clock.now = hanoi(14, 17)
    browser = browser_of()
    browser.login_admin()
    return browser


@pytest.fixture
def visit(app, clock):
    clock.now = hanoi(14, 18)
    return add_visit(app, hanoi(14, 9), hanoi(14, 10), name=VISITOR["name"],
                     phone=VISITOR["phone"], id_number=VISITOR["id_number"])


def events(app, action: str | None = None) -> list[AuditEvent]:
    with app.app_context():
        query = db.select(AuditEvent).order_by(AuditEvent.id)
        if action:
            query = query.where(AuditEvent.action == action)
        return list(db.session.scalars(query))


def no_personal_data(app) -> None:
    text = json.dumps([[e.username, e.action, e.details, e.address] for e in events(app)],
                      ensure_ascii=False)
    for secret in (*VISITOR.values(), "0977 123 456", ADMIN_PASSWORD, NEW_PASSWORD):
        assert secret not in text


def test_sign_ins_are_recorded_with_the_account_but_never_the_typed_text(app, staff, browser_of):
    browser = browser_of()
    assert browser.login("lan", ADMIN_PASSWORD).status_code == 302
    browser_of().login("lan", "wrong password")
    browser_of().login(ADMIN_PASSWORD, "typed into the wrong box")
    [login] = events(app, "login")
    assert (login.user_id, login.username, login.address) == (staff["lan"], "lan", "127.0.0.1")
    known, unknown = events(app, "login_failed")
    assert (known.username, known.details) == ("lan", {"known_account": True})
    assert (unknown.user_id, unknown.username, unknown.details) == (
        None, "", {"known_account": False})
    no_personal_data(app)


def test_a_throttled_sign_in_is_recorded_as_refused(make_app, app, staff, browser_of):
    app.config["LOGIN_MAX_FAILURES"] = 2
    for _ in range(3):
        browser_of().login("thu", "wrong password")
    assert [e.action for e in events(app)] == ["login_failed", "login_failed", "login_refused"]


def test_exports_traces_and_visit_views_are_recorded(app, admin, visit):
    client = admin.client
    assert client.get(f"/dashboard/visits/{visit}").status_code == 200
    response = client.get("/admin/export/download", query_string={
        "start": "2021-07-14", "end": "2021-07-14", "format": "csv"})
    assert VISITOR["name"] in response.get_data().decode("utf-8-sig")
    client.get("/admin/export/download", query_string={
        "start": "2021-07-13", "end": "2021-07-14", "format": "xlsx", "location": "1"}).close()
    token = csrf_from(client.get("/admin/trace").get_data(as_text=True))
    trace = {"by": "phone", "phone": VISITOR["phone"], "start": "2021-07-14",
             "end": "2021-07-14", "minutes": "10", "any_location": "y", "csrf_token": token}
    assert client.post("/admin/trace", data=trace).status_code == 200
    assert client.post("/admin/trace/download", data={**trace, "format": "csv"}).status_code \
        == 200

    [view] = events(app, "visit_view")
    assert (view.username, view.details) == ("lan", {"visit": visit})
    csv_export, xlsx_export = events(app, "export")
    assert csv_export.details == {"from": "2021-07-14", "to": "2021-07-14", "location": None,
                                  "format": "csv"}
    assert csv_export.row_count == 1
    assert xlsx_export.details["format"] == "xlsx" and xlsx_export.details["location"] == 1
    assert xlsx_export.row_count == 1
    [traced] = events(app, "trace")
    assert traced.details == {"by": "phone", "case_visits": [visit], "min_minutes": 10,
                              "any_location": True, "from": "2021-07-14", "to": "2021-07-14"}
    assert traced.row_count == 0
    [traced_file] = events(app, "trace_export")
    assert traced_file.details["format"] == "csv" and traced_file.row_count == 0
    no_personal_data(app)


def test_an_interrupted_download_has_no_row_count(app, admin, visit):
    for minute in range(30):
        add_visit(app, hanoi(14, 8, minute), name=f"Người {minute}", phone="0900000000")
    response = admin.client.get("/admin/export/download", buffered=False, query_string={
        "start": "2021-07-14", "end": "2021-07-14", "format": "csv"})
    next(iter(response.response))  # the header row, then the reader goes away
    response.close()
    [export] = events(app, "export")
    assert export.row_count is None


def test_changes_to_accounts_and_entry_points_are_recorded(app, admin, staff):
    post = admin.post
    post("/admin/users", {"username": "mai", "role": "receptionist", "password": NEW_PASSWORD,
                          "confirm": NEW_PASSWORD}, page="/admin/users")
    post(f"/admin/users/{staff['thu']}/role", {"role": "admin"}, page="/admin/users")
    post(f"/admin/users/{staff['thu']}/deactivate", page="/admin/users")
    post(f"/admin/users/{staff['thu']}/reactivate", page="/admin/users")
    post(f"/admin/users/{staff['thu']}/password", {"password": NEW_PASSWORD,
                                                  "confirm": NEW_PASSWORD}, page="/admin/users")
    post(f"/admin/users/{staff['thu']}/role", {"role": "boss"}, page="/admin/users")  # refused
    post("/admin/locations/", {"name": "Bộ phận một cửa"}, page="/admin/locations/")
    post("/admin/locations/1/rename", {"name": "Cổng số 1"}, page="/admin/locations/")
    post("/admin/locations/1/deactivate", page="/admin/locations/")
    post("/admin/locations/1/reactivate", page="/admin/locations/")
    post("/admin/locations/1/rotate", page="/admin/locations/")
    recorded = [(e.action, e.details) for e in events(app) if e.action != "login"]
    assert recorded == [
        ("user_create", {"account": "mai", "role": "receptionist"}),
        ("user_role", {"account": "thu", "role": "admin"}),
        ("user_deactivate", {"account": "thu"}),
        ("user_reactivate", {"account": "thu"}),
        ("user_password", {"account": "thu"}),
        ("location_create", {"name": "Bộ phận một cửa"}),
        ("location_rename", {"location": 1, "name": "Cổng chính", "new_name": "Cổng số 1"}),
        ("location_deactivate", {"location": 1, "name": "Cổng số 1"}),
        ("location_reactivate", {"location": 1, "name": "Cổng số 1"}),
        ("location_rotate", {"location": 1, "name": "Cổng số 1"}),
    ]
    assert {e.username for e in events(app)} == {"lan"}
    no_personal_data(app)


def test_the_first_admin_is_recorded(app, runner, client):
    output = runner.invoke(args=["setup-link"]).output
    path = re.search(r"^  (/setup/\S+)$", output, re.M)[1]
    token = csrf_from(client.get(path).get_data(as_text=True))
    response = client.post(path, data={"username": "lan", "password": ADMIN_PASSWORD,
                                             "confirm": ADMIN_PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert [(e.action, e.username) for e in events(app)] == [("first_admin", "lan")]


def test_the_purge_is_recorded_and_old_entries_go_after_a_year(app, admin, clock, visit):
    # The sign-in (14 July, 17:00) is the first entry.
    clock.now = hanoi(14, 18) + timedelta(days=22)
    with app.app_context():
        assert purge() == 1
    [purged] = events(app, "purge")
    assert purged.row_count == 1 and purged.user_id is None
    clock.now = hanoi(14, 17, 0, 1) + timedelta(days=365)
    with app.app_context():
        purge()
    assert [e.action for e in events(app)] == ["purge"]  # the sign-in, a year old, is gone
    clock.now = hanoi(14, 18, 0, 1) + timedelta(days=22 + 365)
    with app.app_context():
        purge()
    assert events(app) == []


def test_the_admin_page_lists_and_filters_entries(app, admin, browser_of, staff, visit, clock):
    client = admin.client
    client.get(f"/dashboard/visits/{visit}")
    receptionist = browser_of()
    receptionist.login_receptionist()
    receptionist.client.get(f"/dashboard/visits/{visit}")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert page.count("Xem chi tiết lượt vào") >= 3  # two rows, and the action filter's option
    assert "<td>Đăng nhập thành công</td>" in page and f"Lượt vào: #{visit}" in page
    by_thu = client.get("/admin/audit", query_string={"user": staff["thu"]}).get_data(
        as_text=True)
    assert "<td>thu</td>" in by_thu and "<td>lan</td>" not in by_thu
    views = client.get("/admin/audit", query_string={"action": "visit_view"}).get_data(
        as_text=True)
    assert views.count("<td>Xem chi tiết lượt vào</td>") == 2
    assert "<td>Đăng nhập thành công</td>" not in views
    none = client.get("/admin/audit", query_string={"from": "2021-07-15"}).get_data(
        as_text=True)
    assert "Không có mục nào phù hợp." in none
    today = client.get("/admin/audit", query_string={"from": "2021-07-14", "to": "2021-07-14"})
    assert "<td>Xem chi tiết lượt vào</td>" in today.get_data(as_text=True)
    bad = client.get("/admin/audit", query_string={"from": "14/07"}).get_data(as_text=True)
    assert "14/07 không phải là ngày" in bad


def test_older_entries_are_a_page_away(app, admin, clock):
    with app.app_context():
        for n in range(150):
            db.session.add(AuditEvent(at=clock.now, action="visit_view", details={"visit": n}))
        db.session.commit()
    first = admin.client.get("/admin/audit").get_data(as_text=True)
    assert "Lượt vào: #149" in first and "Lượt vào: #49<" not in first
    older = admin.client.get(re.search(r'href="(/admin/audit\?before=[0-9]+)"', first)[1])
    text = older.get_data(as_text=True)
    assert "Lượt vào: #49<" in text and "Lượt vào: #149" not in text


def test_receptionists_cannot_export_trace_or_read_the_log(app, browser_of, staff, visit):
    receptionist = browser_of()
    receptionist.login_receptionist()
    client = receptionist.client
    for url in ("/admin/export", "/admin/export/download?start=2021-07-14&end=2021-07-14",
                "/admin/trace", "/admin/audit"):
        assert client.get(url).status_code == 403, url
    token = csrf_from(client.get("/dashboard/").get_data(as_text=True))
    for url in ("/admin/trace", "/admin/trace/download"):
        response = client.post(url, data={"by": "visit", "visit": str(visit), "minutes": "15",
                                          "format": "csv", "csrf_token": token})
        assert response.status_code == 403
    assert events(app, "export") == [] and events(app, "trace") == []


def test_signed_out_visitors_are_sent_to_sign_in(client):
    for url in ("/admin/export", "/admin/trace", "/admin/audit"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def _snapshot(app) -> list[tuple]:
    return [(e.id, e.at, e.user_id, e.username, e.action, e.details, e.row_count, e.address)
            for e in events(app)]


def test_the_log_cannot_be_changed_from_the_application(app, admin, visit, clock):
    admin.client.get("/admin/export/download", query_string={"start": "2021-07-14",
                                                             "end": "2021-07-14"})
    admin.client.get(f"/dashboard/visits/{visit}")
    before = _snapshot(app)
    assert {entry[4] for entry in before} == {"login", "export", "visit_view"}
    ids = [str(entry[0]) for entry in before]
    page = admin.client.get("/admin/audit")
    content = page.get_data(as_text=True).split("<main>", 1)[1]  # below the staff menu
    assert page.status_code == 200 and 'method="post"' not in content
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert admin.client.open("/admin/audit", method=method).status_code == 405
    # Every route of the application, with every method it takes, as an admin with a valid
    # token, handed the entries' ids every way a form could: the entries stay as they were.
    token = csrf_from(admin.client.get("/dashboard/").get_data(as_text=True))
    rules = sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint == "auth.logout")
    asked = 0
    for rule in rules:
        values = {arg: ids[0] for arg in rule.arguments}
        url = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            data = {"csrf_token": token, "id": ids, "event": ids, "before": ids[-1],
                    "action": "purge", "details": "{}", "delete": "1"}
            admin.client.open(url, method=method, data=data if method != "GET" else None,
                              query_string=data if method == "GET" else None)
            asked += 1
    assert asked >= 35
    assert _snapshot(app)[:len(before)] == before


def test_user_ids_stay_valid_when_an_account_is_deleted(app, staff, browser_of):
    browser_of().login("thu", "wrong password")
    with app.app_context():
        db.session.delete(db.session.get(User, staff["thu"]))
        db.session.commit()
        [event] = db.session.scalars(db.select(AuditEvent)).all()
        assert (event.user_id, event.username) == (None, "thu")


def test_a_refused_change_leaves_no_entry(app, admin, staff):
    admin.post(f"/admin/users/{staff['lan']}/deactivate", page="/admin/users")  # the last admin
    admin.post("/admin/users", {"username": "thu", "role": "receptionist",
                                "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
               page="/admin/users")  # the name is taken
    admin.post("/admin/locations/1/rename", {"name": "x" * 101}, page="/admin/locations/")
    assert [e.action for e in events(app)] == ["login"]


def test_command_line_changes_are_recorded(app, runner):
    runner.invoke(args=["add-location", "Cổng sau"])
    runner.invoke(args=["create-user", "mai", "--role", "admin", "--password-stdin"],
                  input=NEW_PASSWORD + "\n")
    runner.invoke(args=["create-user", "x y", "--role", "admin", "--password-stdin"],
                  input=NEW_PASSWORD + "\n")  # refused: not recorded
    assert [(e.action, e.username, e.details) for e in events(app)] == [
        ("location_create", "", {"name": "Cổng sau", "via": "command line"}),
        ("user_create", "", {"account": "mai", "role": "admin", "via": "command line"})]


def test_refused_sign_ins_are_recorded_once_per_lockout(app, staff, browser_of, clock):
    for _ in range(5):
        browser_of().login("thu", "wrong password")
    for _ in range(20):
        assert browser_of().login("thu", "wrong password").status_code == 429
    assert [e.action for e in events(app)].count("login_refused") == 1
    clock.advance(minutes=15, seconds=1)
    for _ in range(5):
        browser_of().login("thu", "wrong password")
    browser_of().login("thu", "wrong password")
    assert [e.action for e in events(app)].count("login_refused") == 2
    assert len(events(app)) == 12


def test_the_purge_adds_up_to_one_entry_a_day(app, clock):
    clock.now = hanoi(14, 9)
    for minute in range(3):
        add_visit(app, hanoi(14, 9, minute), hanoi(14, 9, minute + 1), phone="0900000000")
    add_visit(app, hanoi(15, 9), phone="0900000000")
    for minute in range(3):
        clock.now = hanoi(14, 9, minute, 30) + timedelta(days=21)
        with app.app_context():
            assert purge() == 1
    [entry] = events(app, "purge")
    assert entry.row_count == 3 and entry.details == {
        "day": "2021-08-04", "backups_deleted": 0, "visits_deleted_from_backups": 0}
    clock.now = hanoi(15, 9) + timedelta(days=21)
    with app.app_context():
        assert purge() == 1
    assert [(e.row_count, e.details["day"]) for e in events(app, "purge")] == [
        (3, "2021-08-04"), (1, "2021-08-05")]


def test_a_head_request_exports_nothing(app, admin):
    for file_format in ("csv", "xlsx"):
        response = admin.client.head("/admin/export/download", query_string={
            "start": "2021-07-14", "end": "2021-07-14", "format": file_format})
        assert response.status_code == 200
    assert events(app, "export") == []


@pytest.mark.parametrize(("query", "message"), [
    ({"user": "999"}, "Chọn một nhân viên trong danh sách."),
    ({"user": "9" * 5000}, "Chọn một nhân viên trong danh sách."),
    ({"action": "exprot"}, "Chọn một thao tác trong danh sách."),
    ({"from": "2021-07-15", "to": "2021-07-14"}, "Ngày kết thúc phải bằng hoặc sau ngày bắt đầu."),
])
def test_bad_filters_are_explained(app, admin, query, message):
    response = admin.client.get("/admin/audit", query_string=query)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_odd_parameters_do_not_break_the_page(app, admin, clock):
    with app.app_context():
        db.session.add_all(AuditEvent(at=clock.now, action="visit_view", details={"visit": n})
                           for n in range(120))
        db.session.commit()
    for query in ({"_method": "POST", "_external": "1", "_anchor": "x"},
                  {"before": "-1"}, {"before": "9" * 5000}, {"before": "١٢"}):
        response = admin.client.get("/admin/audit", query_string=query)
        assert response.status_code == 200, query
        assert 'href="/admin/audit?before=' in response.get_data(as_text=True)


def test_every_detail_reads_in_words_not_keys(app, admin, clock):
    """The entries a working day leaves, each detail named and its value in words; a detail
    without a name is refused when it is recorded, so none reaches the page as a key."""
    with app.app_context():
        gate = db.session.scalar(db.select(Location.id))
        worker = Employee(code="NV001", full_name="Lê Văn Kho", department="Kho",
                          phone="0912000001")
        db.session.add(worker)
        db.session.flush()
        for action, details in [
                ("trace", {"by": "phone", "case_visits": [3, 4], "min_minutes": 15,
                           "any_location": True, "from": "2021-07-13", "to": "2021-07-14"}),
                ("employee_update", {"employee": worker.id}),
                ("employee_update", {"employee": 999}),
                ("gate_decision", {"visit": 7, "decision": "medical"}),
                ("export", {"from": "2021-07-14", "to": "2021-07-14", "location": gate,
                            "format": "xlsx"}),
                ("export", {"from": "2021-07-14", "to": "2021-07-14", "location": None,
                            "format": "csv"}),
                ("location_kind", {"location": gate, "name": "Cổng chính", "kind": "inner"}),
                ("visit_correct", {"visit": 7, "fields": ["full_name", "phone"]}),
                ("user_create", {"account": "mai", "role": "receptionist",
                                 "via": "command line"}),
                ("login_failed", {"known_account": False})]:
            db.session.add(AuditEvent(at=clock.now, action=action, details=details))
        db.session.commit()
    html = admin.client.get("/admin/audit").get_data(as_text=True)
    shown = re.findall(r'<td class="details">(.*?)</td>', html, re.S)
    text = "\n".join(re.sub(r"</?span>", "", cell) for cell in shown)
    for expected in (
            "Bắt đầu từ: số điện thoại; Lượt vào của ca bệnh: #3, #4; "
            "Thời gian ở cùng tối thiểu (phút): 15; Tính tiếp xúc ở mọi điểm vào: có; "
            "Từ ngày: 13/07/2021; Đến ngày: 14/07/2021",
            "Nhân viên: NV001 · Lê Văn Kho",
            "Nhân viên: #999 (không còn trong danh sách)",
            "Lượt vào: #7; Quyết định: Đưa đến phòng y tế",
            "Điểm vào: Cổng chính; Định dạng: XLSX",
            "Điểm vào: mọi điểm vào; Định dạng: CSV",
            "Loại điểm: Điểm bên trong (quầy, phòng họp…)",
            "Trường đã sửa: Họ và tên, Số điện thoại",
            "Tài khoản: mai; Vai trò: Lễ tân; Qua: dòng lệnh",
            "Tài khoản có tồn tại: không"):
        assert expected in text, (expected, text)
    assert not re.search(r"\b(case_visits|employee|min_minutes|any_location|by|fields)\b", text)
    with app.app_context(), pytest.raises(ValueError, match="without a name"):
        audit.record("export", {"secret_key": 1})
