"""Staff entry at keyboard speed (the cursor after a CCCD scan, the "already inside" warning)
and paper slips: typed in with the slip's times, which tracing and the export then use."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest

from app.desk import alerts
from app.extensions import db
from app.reports import tracing
from app.store.models import CheckoutReason, Location
from tests.builders import add_visit, declaration, hanoi
from tests.conftest import VALID_VISITOR, Phone, counters, visits
from tests.html_form import form_values

CCCD = ("001085012345|012345678|Nguyễn Văn An|15031985|Nam|"
        "Số 12 Hàng Bài, Phường Hoàn Kiếm, Hà Nội|20042021")
PAPER_VISITOR = {**VALID_VISITOR, "full_name": "Hoàng Thị Giấy", "phone": "0978111222",
                 "id_number": "036190001234"}


@pytest.fixture
def desk(staff, browser_of):
    """The receptionist's signed-in browser."""
    browser = browser_of()
    browser.login_receptionist()
    return browser


def _form(desk, url: str) -> dict:
    return form_values(desk.client.get(url).get_data(as_text=True), url.split("?")[0])


def _autofocused(html: str) -> list[str]:
    return re.findall(r'<(?:input|select)[^>]*\bautofocus\b[^>]*\bid="([^"]+)"', html) + \
        re.findall(r'<(?:input|select)[^>]*\bid="([^"]+)"[^>]*\bautofocus\b', html)


# --- keyboard speed --------------------------------------------------------------------------

def test_the_scanner_field_has_the_cursor_and_after_a_scan_the_first_empty_field(desk):
    assert _autofocused(desk.client.get("/dashboard/new").get_data(as_text=True)) == ["cccd"]
    html = desk.client.post("/dashboard/new", data={**_form(desk, "/dashboard/new"),
                                                    "cccd": CCCD}).get_data(as_text=True)
    # The card fills name, ID number, year of birth, gender and address; the phone is next.
    assert _autofocused(html) == ["phone"]


def test_after_a_scan_with_the_phone_typed_the_cursor_skips_it(desk):
    html = desk.client.post("/dashboard/new", data={
        **_form(desk, "/dashboard/new"), "cccd": CCCD, "phone": "0912345678",
        "fill_cccd": "1"}).get_data(as_text=True)
    assert _autofocused(html) == ["purpose"]


def _warning(desk, **typed) -> str:
    return desk.post("/dashboard/new/inside", typed, page="/dashboard/new").get_data(
        as_text=True)


def test_a_phone_or_id_number_already_inside_today_is_pointed_out(app, desk, clock):
    Phone(app.test_client()).check_in()  # Nguyễn Văn An, 0912345678, 001085012345, 08:30
    for typed in ({"phone": "0912 345 678"}, {"id_number": "001085012345"},
                  {"phone": "+84912345678", "id_number": ""}):
        html = _warning(desk, **typed)
        assert "Đã ở bên trong hôm nay:" in html and "Nguyễn Văn An" in html
        assert "vào lúc 08:30, Cổng chính" in html
    assert _warning(desk, phone="0987654321", id_number="001099099099").strip() == ""
    assert _warning(desk, phone="09", id_number="abc").strip() == ""


def test_someone_who_left_or_came_yesterday_is_not_inside(app, desk, clock):
    phone = Phone(app.test_client())
    done = phone.check_in()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                      phone.client.get(done.headers["Location"]).get_data(as_text=True)).group(1)
    phone.client.post(done.headers["Location"] + "/checkout", data={"csrf_token": token})
    assert _warning(desk, phone="0912345678").strip() == ""
    Phone(app.test_client()).check_in()
    clock.advance(days=1)
    assert _warning(desk, phone="0912345678").strip() == ""


def test_the_warning_does_not_stop_the_entry(app, desk, clock):
    Phone(app.test_client()).check_in()
    sent = desk.client.post("/dashboard/new", data={**_form(desk, "/dashboard/new"),
                                                    **VALID_VISITOR}, follow_redirects=True)
    html = sent.get_data(as_text=True)
    assert len(visits(app)) == 2
    assert re.search(r'class="flash warning"[^>]*>Nguyễn Văn An đã ở bên trong từ trước: vào '
                     r'lúc 08:30, Cổng chính \(lượt vào 1\)\.', html)


def test_the_entry_page_asks_the_server_when_the_phone_or_id_changes(desk):
    html = desk.client.get("/dashboard/new").get_data(as_text=True)
    assert 'hx-post="/dashboard/new/inside"' in html
    assert 'hx-trigger="change from:#phone, change from:#id_number"' in html


# --- paper slips -----------------------------------------------------------------------------

def _paper(desk, **changes):
    """Send a slip typed in, with the given fields changed."""
    form = _form(desk, "/dashboard/paper")
    return desk.client.post("/dashboard/paper", data={**form, **PAPER_VISITOR, **changes})


@pytest.fixture
def afternoon(clock):
    """16:00 in Hanoi on 14 July: the slips of the morning are typed in."""
    clock.now = hanoi(14, 16)
    return clock


def test_a_slip_is_stored_with_its_own_times(app, desk, afternoon):
    response = _paper(desk, day="2021-07-14", came="08:10", left="09:35")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/dashboard/paper?")
    [visit] = visits(app)
    assert (visit.checked_in_at, visit.checked_out_at) == (hanoi(14, 8, 10), hanoi(14, 9, 35))
    assert visit.source == "paper" and visit.checkout_by == CheckoutReason.STAFF
    assert visit.entered_by.username == "thu" and visit.changed_at == hanoi(14, 16)
    listed = desk.client.get("/dashboard/").get_data(as_text=True)
    row = re.search(rf'<tr id="visit-{visit.id}"[^>]*>(.*?)</tr>', listed, re.S).group(1)
    assert "08:10" in row and "09:35" in row and "Phiếu giấy" in row
    page = desk.client.get(f"/dashboard/visits/{visit.id}").get_data(as_text=True)
    assert "08:10 14/07/2021" in page and "Phiếu giấy (thu)" in page


def test_a_slip_without_a_time_out_stays_open_until_its_day_ends(app, desk, afternoon,
                                                                 clock):
    from app.checkin.visits import auto_check_out
    assert _paper(desk, day="2021-07-14", came="08:10", left="").status_code == 302
    [visit] = visits(app)
    assert visit.checked_out_at is None and visit.checkout_by is None
    with app.app_context():
        assert auto_check_out() == 0  # the afternoon: still inside
    clock.now = hanoi(15, 0, 5)  # past the day's automatic check-out
    with app.app_context():
        assert auto_check_out() == 1
    [visit] = visits(app)
    assert visit.checked_out_at == hanoi(14, 23, 59)
    assert visit.checkout_by == CheckoutReason.AUTO


def test_a_slip_of_an_earlier_day_is_closed_at_that_days_automatic_check_out(app, desk,
                                                                              afternoon):
    from app.checkin.visits import auto_check_out
    assert _paper(desk, day="2021-07-10", came="14:00").status_code == 302
    with app.app_context():
        assert auto_check_out() == 1
    [visit] = visits(app)
    assert visit.checked_out_at == hanoi(10, 23, 59)


def test_a_flagged_slip_of_an_earlier_day_waits_for_no_decision(app, desk, afternoon):
    """Typed in today, the slip records what happened at the gate that day: no decision can be
    recorded for it now, so it waits in no panel and no counter."""
    assert _paper(desk, day="2021-07-13", came="14:00", left="",
                  symptom_fever="yes").status_code == 302
    [visit] = visits(app)
    assert visit.flagged
    # A flagged check-in of that day left undecided then still counts as undecided.
    add_visit(app, hanoi(13, 9), answers=declaration(cough=True))
    past = counters(desk.client.get("/dashboard/?day=2021-07-13").get_data(as_text=True))
    assert (past["Lượt cảnh báo"], past["Lượt chờ quyết định"]) == ("2", "1")
    today = desk.client.get("/dashboard/").get_data(as_text=True)
    assert counters(today)["Lượt chờ quyết định"] == "0"
    assert f'id="alert-{visit.id}"' not in today
    with app.app_context():
        assert [v.full_name for v in alerts.waiting(date(2021, 7, 13))] == ["Trần Thị Bình"]


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"came": "16:30"}, "came", "Thời điểm này chưa đến."),
    ({"day": "2021-07-15", "came": "08:00"}, "came", "Thời điểm này chưa đến."),
    ({"came": "10:00", "left": "09:00"}, "left", "Giờ ra phải sau giờ vào."),
    ({"came": "10:00", "left": "10:00"}, "left", "Giờ ra phải sau giờ vào."),
    ({"came": "15:00", "left": "17:00"}, "left", "Thời điểm này chưa đến."),
    ({"came": "", "left": ""}, "came", "Nhập giờ vào ghi trên phiếu."),
    ({"came": "8 giờ"}, "came", "Nhập giờ theo dạng HH:MM, ví dụ 08:10."),
    ({"came": "25:00"}, "came", "Nhập giờ theo dạng HH:MM, ví dụ 08:10."),
    ({"day": "2021-06-22", "came": "17:00"}, "day",
     "Không nhập được phiếu cũ hơn 21 ngày: lượt vào bị xóa sau thời hạn đó."),
    ({"day": "14/07/2021"}, "day", "Nhập ngày theo dạng YYYY-MM-DD, ví dụ 2021-07-14."),
])
def test_slip_times_that_cannot_be_are_refused(app, desk, afternoon, fields, field, message):
    response = _paper(desk, **{"day": "2021-07-14", "came": "08:10", **fields})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in re.search(rf'id="{field}-error"[^>]*>(.*?)</p>', html, re.S).group(1)
    assert visits(app) == []


def test_the_oldest_slip_the_retention_period_allows_is_accepted(app, desk, afternoon):
    assert _paper(desk, day="2021-06-23", came="16:01").status_code == 302
    page = desk.client.get("/dashboard/paper").get_data(as_text=True)
    assert 'min="2021-06-23"' in page and 'max="2021-07-14"' in page


def test_a_time_out_is_at_the_latest_the_automatic_check_out(staff_app_admin, clock):
    app, admin = staff_app_admin(AUTO_CHECKOUT_TIME="18:00")
    clock.now = hanoi(14, 19, 30)
    form = _form(admin, "/dashboard/paper")
    html = admin.client.post("/dashboard/paper", data={
        **form, **PAPER_VISITOR, "day": "2021-07-14", "came": "17:00", "left": "19:00"}
    ).get_data(as_text=True)
    assert "Lượt vào được tự động cho ra lúc 18:00: giờ ra muộn nhất là giờ đó." in html
    assert visits(app) == []


def test_enter_on_the_slip_form_saves_it(desk, afternoon):
    # A form's first button is what Enter presses: on the slip form it saves.
    html = desk.client.get("/dashboard/paper").get_data(as_text=True)
    form = html.split('action="/dashboard/paper"', 1)[1]
    first_button = re.search(r"<button[^>]*>", form).group(0)
    assert 'type="submit"' in first_button and "name=" not in first_button


def test_a_slip_is_traced_with_its_times_and_exported_as_paper(app, desk, afternoon,
                                                               browser_of):
    # The case checked in on their phone at 08:00 and left at 09:00; the slip says 08:10-08:50.
    afternoon.now = hanoi(14, 8)
    case = Phone(app.test_client()).check_in()
    afternoon.now = hanoi(14, 9)
    with app.app_context():
        from app.checkin.visits import check_out
        from app.store.models import Visit
        check_out(db.session.get(Visit, 1), by=CheckoutReason.VISITOR)
    afternoon.now = hanoi(14, 16)
    assert case.status_code == 302
    assert _paper(desk, day="2021-07-14", came="08:10", left="08:50").status_code == 302
    with app.app_context():
        trace = tracing.overlapping_visits([tracing.case_visit(1)])
        [contact] = trace.contacts
        assert contact.visit.full_name == "Hoàng Thị Giấy" and contact.overlap_minutes == 40
        assert trace.stay(contact.visit) == (hanoi(14, 8, 10), hanoi(14, 8, 50))
    admin = browser_of()
    admin.login_admin()
    traced = admin.post("/admin/trace", {"by": "visit", "visit": "1", "minutes": "15"},
                        page="/admin/trace").get_data(as_text=True)
    row = re.search(r'<tr class="">(.*?)</tr>', traced, re.S).group(1)
    assert "Hoàng Thị Giấy" in row and "08:10 14/07/2021" in row and "Phiếu giấy" in row
    body = admin.client.get("/admin/export/download", query_string={
        "start": "2021-07-14", "end": "2021-07-14", "format": "csv"}).get_data()
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    slip = next(row for row in rows if row["Họ và tên"] == "Hoàng Thị Giấy")
    assert (slip["Thời gian vào"], slip["Thời gian ra"], slip["Nguồn"]) == (
        "2021-07-14 08:10:00", "2021-07-14 08:50:00", "Phiếu giấy")


def test_the_same_slip_sent_twice_is_stored_once(app, desk, afternoon):
    form = _form(desk, "/dashboard/paper")
    data = {**form, **PAPER_VISITOR, "day": "2021-07-14", "came": "08:10"}
    assert desk.client.post("/dashboard/paper", data=data).status_code == 302
    assert desk.client.post("/dashboard/paper", data=data).status_code == 302
    assert len(visits(app)) == 1


def test_the_blank_slip_has_the_questions_the_commitments_and_the_entry_point(app, desk):
    with app.app_context():
        gate = db.session.scalar(db.select(Location))
    html = desk.client.get(f"/dashboard/paper/slip/{gate.id}").get_data(as_text=True)
    assert html.count('<article class="slip">') == 2
    for text in ("Cổng chính", "Phường Tràng Tiền", "Ngày:", "Giờ vào",
                 "Giờ ra", "Sốt", "Mất vị giác hoặc khứu giác",
                 "Người bệnh hoặc nghi ngờ mắc COVID-19", "Nơi đã đến",
                 "Trong vòng 14 ngày qua, anh/chị có đến:",
                 "Tôi cam kết những thông tin trên là đúng sự thật",
                 "trong 21 ngày", "Chữ ký"):
        assert text in html, text
    assert desk.client.get("/dashboard/paper/slip/999").status_code == 404


def test_the_paper_page_offers_a_blank_slip_per_open_entry_point(app, desk):
    with app.app_context():
        gates = {loc.name: loc.id for loc in db.session.scalars(db.select(Location))}
    html = desk.client.get("/dashboard/paper").get_data(as_text=True)
    offered = re.findall(r'href="/dashboard/paper/slip/(\d+)"', html)
    assert sorted(map(int, offered)) == sorted(gates.values())
    assert "Chưa có điểm vào nào đang mở" not in html
    with app.app_context():
        for location in db.session.scalars(db.select(Location)):
            location.active = False
        db.session.commit()
    html = desk.client.get("/dashboard/paper").get_data(as_text=True)
    assert "Chưa có điểm vào nào đang mở" in html
    assert "/dashboard/paper/slip/" not in html


def test_the_entry_points_page_offers_the_blank_slips(admin_client):
    html = admin_client.get("/admin/locations/").get_data(as_text=True)
    assert re.search(r'href="/dashboard/paper/slip/\d+">Phiếu giấy để in<', html)


def test_a_slip_older_than_the_window_by_a_minute_is_refused(app, desk, afternoon):
    afternoon.now = hanoi(14, 16) + timedelta(minutes=1)
    html = _paper(desk, day="2021-06-23", came="16:00").get_data(as_text=True)
    assert "Không nhập được phiếu cũ hơn 21 ngày" in html
