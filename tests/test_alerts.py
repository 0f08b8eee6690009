"""Alerts are a queue with a decision: every flagged check-in of the day waits in the panel
until someone records what the gate did; the decision, who and when show on the visit's page
and in the export."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest

from app.extensions import db
from app.store.models import AuditEvent, GateDecision, Visit, VisitSource
from tests.builders import add_visit, declaration, hanoi
from tests.conftest import TEST_DATABASE_URL, Phone, visits


@pytest.fixture
def flagged(app, clock):
    """Two flagged check-ins (a cough at 08:30, travel at 08:40) and one with nothing."""
    Phone(app.test_client()).check_in(symptom_cough="yes")
    clock.advance(minutes=10)
    Phone(app.test_client()).check_in(full_name="Trần Thị Mai", phone="0987654321", id_number="",
                                      travel="yes", travel_places="Đà Nẵng")
    clock.advance(minutes=10)
    Phone(app.test_client()).check_in(full_name="Lê Văn Khỏe", phone="0971234567",
                                      id_number="")
    return [visit.id for visit in visits(app)]


def _panel(html: str) -> list[str]:
    """The names in the alert panel, top to bottom."""
    panel = re.search(r'<div id="alert-list">(.*?)</div>\s*<p class="empty"', html, re.S).group(1)
    return re.findall(r'<a href="/dashboard/visits/\d+">([^<]+)</a>', panel)


def _counter(html: str, name: str) -> str:
    return dict(re.findall(r"<dt>([^<]+)</dt><dd>(\d+)</dd>", html))[name]


def _decide(desk, visit_id: int, htmx: bool = True, **fields):
    headers = {"HX-Request": "true"} if htmx else {}
    return desk.post(f"/dashboard/alerts/{visit_id}", {"decision": "admit", **fields},
                     headers=headers)


def test_every_flagged_check_in_waits_in_the_panel_newest_first(desk, flagged):
    html = desk.client.get("/dashboard/").get_data(as_text=True)
    assert _panel(html) == ["Trần Thị Mai", "Nguyễn Văn An"]
    assert "Đi về từ: Đà Nẵng" in html and "<p class=\"why\">Ho</p>" in html
    assert _counter(html, "Lượt cảnh báo hôm nay") == "2"
    assert _counter(html, "Lượt chờ quyết định") == "2"
    for label in ("Cho vào", "Đưa đến phòng y tế", "Không cho vào"):
        assert html.count(f">{label}</button>") == 2


def test_a_decision_takes_the_alert_off_for_everyone(app, desk, browser_of, flagged, clock):
    an, mai, _ = flagged
    clock.advance(minutes=1)
    response = _decide(desk, an, decision="medical", temperature="38,2", note="Sốt, ho khan")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r'<article class="alert-item decided" id="alert-\d+"', html)
    assert "Đưa đến phòng y tế" in html and "38,2 °C" in html and "thu 08:51" in html
    assert re.search(r'id="counters" hx-swap-oob="true"', html)
    assert _counter(html, "Lượt chờ quyết định") == "1"
    # Another receptionist's page, and a reload, no longer list it.
    other = browser_of()
    other.login_admin()
    assert _panel(other.client.get("/dashboard/").get_data(as_text=True)) == ["Trần Thị Mai"]
    with app.app_context():
        decided = db.session.scalar(db.select(GateDecision))
        assert (decided.visit_id, decided.decision, decided.temperature, decided.note,
                decided.user.username, decided.at) == (an, "medical", 38.2, "Sốt, ho khan", "thu",
                                                       clock.now)
        # The decision is a change of the visit: every open dashboard's poll sees it.
        assert db.session.get(Visit, an).changed_at == clock.now


def test_the_visit_page_shows_the_decision_who_and_when(desk, flagged, clock):
    an = flagged[0]
    _decide(desk, an, decision="refuse", temperature="39", note="Về nhà theo dõi")
    html = desk.client.get(f"/dashboard/visits/{an}").get_data(as_text=True)
    section = html.split('id="decision"')[1].split("</section>")[0]
    for text in ("Không cho vào", "39,0", "Về nhà theo dõi", "thu, 08:50 14/07/2021"):
        assert text in section
    assert "<button" not in section  # decided once: no form any more
    listed = desk.client.get("/dashboard/").get_data(as_text=True)
    row = re.search(rf'<tr id="visit-{an}"[^>]*>(.*?)</tr>', listed, re.S).group(1)
    assert '<span class="tag decision refuse">Không cho vào</span>' in row


def test_the_second_decision_is_refused_and_says_whose_stands(app, desk, browser_of, flagged):
    an = flagged[0]
    other = browser_of()
    other.login_admin()
    _decide(other, an, decision="admit")
    html = _decide(desk, an, decision="refuse").get_data(as_text=True)
    assert "lan đã ghi quyết định “Cho vào” lúc 08:50." in html
    with app.app_context():
        assert [d.decision for d in db.session.scalars(db.select(GateDecision))] == ["admit"]
    page = _decide(desk, an, htmx=False, decision="refuse")
    assert page.status_code == 302
    followed = desk.client.get(page.headers["Location"]).get_data(as_text=True)
    assert "lan đã ghi quyết định “Cho vào”" in followed


@pytest.mark.parametrize(("typed", "stored"), [
    ("37,5", 37.5), ("37.5", 37.5), ("37", 37.0), ("37.5 °C", 37.5), ("36,65", 36.7),
    ("34", 34.0), ("43.0", 43.0), ("", None)])
def test_a_temperature_is_read_with_a_comma_or_a_dot(app, desk, flagged, typed, stored):
    assert _decide(desk, flagged[0], temperature=typed).status_code == 200
    with app.app_context():
        assert db.session.scalar(db.select(GateDecision.temperature)) == stored


@pytest.mark.parametrize(("fields", "message"), [
    ({"temperature": "33,9"}, "Nhập nhiệt độ từ 34,0 đến 43,0 °C, ví dụ 37,5."),
    ({"temperature": "43.1"}, "Nhập nhiệt độ từ 34,0 đến 43,0 °C, ví dụ 37,5."),
    ({"temperature": "sốt cao"}, "Nhập nhiệt độ từ 34,0 đến 43,0 °C, ví dụ 37,5."),
    ({"temperature": "375"}, "Nhập nhiệt độ từ 34,0 đến 43,0 °C, ví dụ 37,5."),
    ({"note": "ghi\u202echú"}, "các ký tự đặc biệt trong ô này."),
    ({"note": "x" * 201}, "Nhập tối đa 200 ký tự (hiện có 201)."),
    ({"decision": "maybe"}, "Chọn quyết định tại cổng."),
    ({"decision": ""}, "Chọn quyết định tại cổng."),
])
def test_what_the_form_cannot_take_is_explained(app, desk, flagged, fields, message):
    from_panel = _decide(desk, flagged[0], **fields).get_data(as_text=True)
    assert message in from_panel and 'class="alert-item"' in from_panel  # the item, again
    page = _decide(desk, flagged[0], htmx=False, **fields)
    assert page.status_code == 400 and message in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(GateDecision.id))) == 0


def test_a_party_flagged_by_a_companion_says_who_declared_what(app, desk):
    Phone(app.test_client()).check_in(**{
        "companions-0-full_name": "Bé Na", "companions-0-birth_year": "2016",
        "companions-0-answer": "yes", "companions-0-items": "fever"})
    html = desk.client.get("/dashboard/").get_data(as_text=True)
    assert _panel(html) == ["Nguyễn Văn An"]
    assert '<p class="why">Bé Na: Sốt</p>' in html


def test_a_decision_from_the_visit_page(desk, flagged):
    response = _decide(desk, flagged[1], htmx=False, decision="admit", temperature="36.8")
    assert response.headers["Location"] == f"/dashboard/visits/{flagged[1]}"
    html = desk.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã ghi cho Trần Thị Mai: Cho vào." in html and "36,8" in html


def _nothing_recorded(app) -> None:
    """No decision stored, and none in the audit log."""
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(GateDecision.id))) == 0
        assert db.session.scalar(db.select(db.func.count(AuditEvent.id)).where(
            AuditEvent.action == "gate_decision")) == 0


def _refused(desk, visit_id: int, message: str) -> None:
    """A decision sent from the panel (htmx) and from the visit's page (a plain post) is
    refused with the message, shown where "already decided" is shown."""
    from_panel = _decide(desk, visit_id, decision="medical", temperature="38,5", note="sốt")
    assert from_panel.status_code == 200  # htmx swaps it in place of the item
    html = from_panel.get_data(as_text=True)
    assert re.search(rf'<article class="alert-item decided" id="alert-{visit_id}"[^>]*'
                     rf'role="alert"><p class="error">{re.escape(message)}</p></article>', html)
    page = _decide(desk, visit_id, htmx=False, decision="refuse")
    assert page.status_code == 302
    assert page.headers["Location"] == f"/dashboard/visits/{visit_id}"
    followed = desk.client.get(page.headers["Location"]).get_data(as_text=True)
    assert f'<p class="flash error" role="alert">{message}</p>' in followed


def _decision_section(desk, visit_id: int) -> str:
    html = desk.client.get(f"/dashboard/visits/{visit_id}").get_data(as_text=True)
    return html.split('id="decision"')[1].split("</section>")[0]


NOT_FLAGGED = ("Lượt này không khai báo gì: quyết định tại cổng chỉ ghi cho lượt vào có "
               "cảnh báo.")


def test_a_visit_with_nothing_declared_takes_no_decision(app, desk, flagged):
    section = _decision_section(desk, flagged[2])
    assert NOT_FLAGGED in section and "<button" not in section  # no buttons to be refused
    _refused(desk, flagged[2], NOT_FLAGGED)
    _nothing_recorded(app)
    assert _panel(desk.client.get("/dashboard/").get_data(as_text=True)) == [
        "Trần Thị Mai", "Nguyễn Văn An"]


def test_yesterdays_visit_is_read_only(app, desk, flagged, clock):
    clock.advance(days=1)
    message = ("Lượt vào này là của ngày 14/07/2021: quyết định tại cổng chỉ ghi được trong "
               "ngày của lượt vào.")
    section = _decision_section(desk, flagged[0])
    assert message in section and "<button" not in section
    _refused(desk, flagged[0], message)
    _nothing_recorded(app)
    past = desk.client.get("/dashboard/?day=2021-07-14").get_data(as_text=True)
    assert _counter(past, "Lượt chờ quyết định") == "2"


@pytest.mark.parametrize(("now", "recorded"), [(hanoi(14, 23, 59, 59), True),
                                               (hanoi(15, 0, 0), False)])
def test_the_visits_day_ends_at_local_midnight(app, desk, flagged, clock, now, recorded):
    clock.now = now
    html = _decide(desk, flagged[0]).get_data(as_text=True)
    assert ("Lượt vào này là của ngày 14/07/2021" in html) is not recorded
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(GateDecision.id))) == int(recorded)


def test_a_flagged_paper_slip_of_today_is_decided_on_and_yesterdays_is_not(app, desk, staff,
                                                                            clock):
    """A slip typed in later carries the time written on it: today's takes a decision like any
    flagged check-in; one from yesterday, typed in this morning, is of a read-only day."""
    today = add_visit(app, hanoi(14, 7, 45), name="Đỗ Văn Giấy", source=VisitSource.PAPER,
                      entered_by_id=staff["thu"], answers=declaration(fever=True))
    yesterday = add_visit(app, hanoi(13, 16, 10), name="Hồ Thị Hôm Qua",
                          source=VisitSource.PAPER, entered_by_id=staff["thu"],
                          answers=declaration(cough=True))
    assert "Lượt vào này là của ngày 13/07/2021" in _decide(desk, yesterday).get_data(
        as_text=True)
    assert "<button" in _decision_section(desk, today)
    decided = _decide(desk, today, htmx=False, decision="medical", temperature="38,4")
    assert decided.status_code == 302
    assert "Đã ghi cho Đỗ Văn Giấy: Đưa đến phòng y tế." in desk.client.get(
        decided.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        [stored] = db.session.scalars(db.select(GateDecision)).all()
        assert (stored.visit_id, stored.decision, stored.temperature) == (today, "medical", 38.4)


def test_a_replaced_declaration_is_not_decided_on(app, desk, clock):
    phone = Phone(app.test_client())
    phone.check_in(symptom_cough="yes")
    phone.check_in(symptom_cough="yes", symptom_fever="yes")  # corrected: the first is replaced
    first, corrected = visits(app)
    assert first.is_replaced
    html = _decide(desk, first.id).get_data(as_text=True)
    assert "Tờ khai này đã được thay bằng tờ khai sửa lại" in html
    assert _panel(desk.client.get("/dashboard/").get_data(as_text=True)) == ["Nguyễn Văn An"]
    assert f'id="alert-{corrected.id}"' in desk.client.get("/dashboard/").get_data(as_text=True)


def test_yesterdays_alerts_are_not_todays(app, desk, flagged, clock):
    clock.advance(days=1)
    html = desk.client.get("/dashboard/").get_data(as_text=True)
    assert _panel(html) == [] and "Không có cảnh báo nào đang chờ." in html
    past = desk.client.get("/dashboard/?day=2021-07-14").get_data(as_text=True)
    assert 'id="alerts"' not in past and _counter(past, "Lượt chờ quyết định") == "2"


def test_the_panel_shows_the_newest_and_counts_the_rest(app, desk, clock):
    for minute in range(15):
        add_visit(app, hanoi(14, 7, minute), name=f"Người {minute:02d}",
                  answers=declaration(fever=True))
    html = desk.client.get("/dashboard/").get_data(as_text=True)
    assert _panel(html) == [f"Người {minute:02d}" for minute in range(14, 4, -1)]
    assert "Còn 5 lượt đang chờ: xem các lượt có cảnh báo" in html
    assert _counter(html, "Lượt chờ quyết định") == "15"


def test_the_poll_carries_the_waiting_alerts(app, desk, flagged, clock):
    since = clock.now.isoformat()
    clock.advance(seconds=10)
    _decide(desk, flagged[0])
    clock.advance(seconds=10)
    poll = desk.client.get("/dashboard/changes", query_string={"since": since})
    assert poll.status_code == 200
    html = poll.get_data(as_text=True)
    waiting = re.search(r'<div id="alerts-incoming" hidden data-fresh hx-swap-oob="true">(.*?)'
                        r'</div>\s*$', html, re.S).group(1)
    assert re.findall(r'<a href="/dashboard/visits/\d+">([^<]+)</a>', waiting) == ["Trần Thị Mai"]
    assert '<span class="count" id="alerts-count" hx-swap-oob="true">1</span>' in html


# --- the export ------------------------------------------------------------------------------

def _export(admin_client, file_format: str = "csv"):
    return admin_client.get("/admin/export/download", query_string={
        "start": "2021-07-14", "end": "2021-07-14", "format": file_format})


def test_the_decision_who_and_when_are_columns_of_the_export(app, desk, admin_client, clock):
    add_visit(app, hanoi(14, 9), name="Phạm Văn Sốt", answers=declaration(fever=True),
              companions=(("Phạm Bé Na", 2018),))
    add_visit(app, hanoi(14, 9, 5), name="Không Cảnh Báo")
    clock.now = hanoi(14, 9, 7)
    _decide(desk, 1, decision="medical", temperature="38.6", note="Phòng y tế tầng 1")
    people = list(csv.DictReader(io.StringIO(_export(admin_client).get_data().decode(
        "utf-8-sig"), newline="")))
    visitor, companion, other = people
    assert (visitor["Quyết định tại cổng"], visitor["Nhiệt độ (°C)"], visitor["Ghi chú tại cổng"],
            visitor["Người quyết định"], visitor["Thời gian quyết định"]) == (
        "Đưa đến phòng y tế", "38,6", "Phòng y tế tầng 1", "thu", "2021-07-14 09:07:00")
    # The companion shares the party's decision; the temperature and note were the visitor's.
    assert (companion["Quyết định tại cổng"], companion["Nhiệt độ (°C)"],
            companion["Ghi chú tại cổng"], companion["Người quyết định"]) == (
        "Đưa đến phòng y tế", "", "", "thu")
    assert all(other[column] == "" for column in ("Quyết định tại cổng", "Nhiệt độ (°C)",
                                                   "Người quyết định", "Thời gian quyết định"))


@pytest.mark.parametrize("payload", ["=1+2", "+1", "-1", "@SUM(1)", '=HYPERLINK("http://x","y")'])
def test_the_decision_columns_are_formula_safe(app, admin_client, clock, staff, payload):
    visit_id = add_visit(app, hanoi(14, 9), answers=declaration(cough=True))
    with app.app_context():
        db.session.add(GateDecision(visit_id=visit_id, decision="refuse", note=payload,
                                    user_id=staff["thu"], at=hanoi(14, 9, 1)))
        from app.store.models import User
        db.session.get(User, staff["thu"]).username = payload[:60]
        db.session.commit()
    [row] = list(csv.DictReader(io.StringIO(_export(admin_client).get_data().decode(
        "utf-8-sig"), newline="")))
    assert row["Ghi chú tại cổng"] == "'" + payload
    assert row["Người quyết định"] == "'" + payload
    response = _export(admin_client, "xlsx")
    body = response.get_data()
    response.close()
    sheet = openpyxl.load_workbook(io.BytesIO(body)).worksheets[0]
    cells = dict(zip([cell.value for cell in sheet[1]], sheet[2], strict=True))
    for column in ("Ghi chú tại cổng", "Người quyết định", "Quyết định tại cổng"):
        assert cells[column].data_type == "s"
    assert cells["Ghi chú tại cổng"].value == payload
    assert cells["Quyết định tại cổng"].value == "Không cho vào"


# --- the queries -----------------------------------------------------------------------------

def test_the_panel_and_its_counter_read_indexes(app):
    from datetime import date

    from app.desk import alerts
    from app.desk import day_list as dashboard
    from tests.test_dashboard import _plans, assert_counters_read_day_ranges
    day = date(2021, 7, 14)
    [panel] = _plans(app, lambda: alerts.waiting(day))
    [counts] = _plans(app, lambda: dashboard.counters(day))
    # The panel reads the day's flagged visits from their own index; the counter counts the
    # undecided ones in its one pass over the day, looking each flagged one up in the
    # decisions' index.
    # PostgreSQL's planner may take either index over the day's range (tiny tables here).
    assert "ix_visit_flagged_checked_in_at" in panel or (
        TEST_DATABASE_URL and "ix_visit_checked_in_at_id" in panel), panel
    assert_counters_read_day_ranges(counts)
    for plan in (panel, counts):
        assert re.search(r"gate_decision_(1|visit_id)", plan), plan
        if TEST_DATABASE_URL:
            assert "Seq Scan on visit" not in plan and "Seq Scan on gate_decision" not in plan
        else:
            assert not re.search(r"SCAN (visit|gate_decision)\b", plan), plan


def test_a_decision_goes_with_its_visit_at_the_end_of_the_retention_period(app, desk, flagged,
                                                                          clock):
    from app.store.retention import purge
    _decide(desk, flagged[0], decision="medical", temperature="38.5", note="ho khan")
    clock.advance(days=22)
    with app.app_context():
        assert purge() == 3
        assert db.session.scalar(db.select(db.func.count(GateDecision.id))) == 0
