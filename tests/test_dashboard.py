"""The receptionist's dashboard: list, search, filters, counters, the poll, detail, check-out,
corrections, manual entry with a CCCD scan, auto check-out, the roll call and the chart."""

from __future__ import annotations

import html
import json
import re
from urllib.parse import urlencode

import pytest

from app.extensions import db
from app.store.models import Location, Visit, VisitCorrection
from tests.conftest import TEST_DATABASE_URL, Phone, csrf_from, visits
from tests.html_form import form_values

CCCD = ("001085012345|012345678|Nguyễn Văn An|15031985|Nam|"
        "Số 12 Hàng Bài, Phường Hoàn Kiếm, Hà Nội|20042021")


@pytest.fixture
def day_of_visits(app, clock):
    """Three visitors at two entry points; one flagged, one already gone."""
    with app.app_context():
        db.session.add(Location(name="Bộ phận một cửa", token="counter-token-02"))
        db.session.commit()
    Phone(app.test_client()).check_in(id_number="001085012345")
    clock.advance(minutes=10)
    Phone(app.test_client(), "counter-token-02").check_in(
        full_name="Trần Thị Mai", phone="0987654321", symptom_cough="yes", id_number="",
        **{"companions-0-full_name": "Đỗ Bé Na", "companions-0-birth_year": "2016",
           "companions-0-answer": "none"})
    clock.advance(minutes=10)
    gone = Phone(app.test_client())
    done = gone.check_in(full_name="Lê Văn Cường", phone="0971234567", id_number="")
    token = csrf_from(gone.client.get(done.headers["Location"]).get_data(as_text=True))
    gone.client.post(done.headers["Location"] + "/checkout", data={"csrf_token": token})
    return visits(app)


def _names(html: str) -> list[str]:
    return re.findall(r'<a href="/dashboard/visits/\d+">([^<]+)</a>', html)


def _listed(html: str) -> list[str]:
    """The names in the page's list (not in its alert panel)."""
    return _names(re.search(r'<tbody id="rows">(.*?)</tbody>', html, re.S).group(1))


def _list(desk, **query) -> str:
    return desk.client.get("/dashboard/", query_string=query,
                           headers={"HX-Request": "true", "HX-Target": "visit-list"}
                           ).get_data(as_text=True)


def test_todays_list_newest_first_with_every_column(desk, day_of_visits):
    html = desk.client.get("/dashboard/").get_data(as_text=True)
    assert _listed(html) == ["Lê Văn Cường", "Trần Thị Mai", "Nguyễn Văn An"]
    mai = re.search(r'<tr id="visit-\d+" class="flagged"[^>]*>(.*?)</tr>', html, re.S).group(1)
    for cell in ("08:40", "1985", "0987654321", "Bộ phận một cửa", "Đỗ Bé Na (2016)",
                 "Cảnh báo", "Tự khai"):
        assert cell in mai
    assert "08:50" in html  # Cường's check-out time


@pytest.mark.parametrize(("query", "expected"), [
    ("nguyen van an", ["Nguyễn Văn An"]),
    ("NGUYỄN VĂN", ["Nguyễn Văn An"]),
    ("Tran thi MAI", ["Trần Thị Mai"]),
    ("do be na", ["Trần Thị Mai"]),  # a companion's name finds the visit
    ("0912", ["Nguyễn Văn An"]),
    ("0987 654", ["Trần Thị Mai"]),  # a phone number typed with spaces...
    ("+84 987", ["Trần Thị Mai"]),  # ...or in international form
    ("001085", ["Nguyễn Văn An"]),
    ("văn", ["Lê Văn Cường", "Nguyễn Văn An"]),
    ("100%_", []),
])
def test_search_ignores_case_and_diacritics(desk, day_of_visits, query, expected):
    assert _names(_list(desk, q=query)) == expected


def test_filters(app, desk, day_of_visits):
    counter = day_of_visits[1].location_id
    assert _names(_list(desk, location=counter)) == ["Trần Thị Mai"]
    assert _names(_list(desk, flagged="1")) == ["Trần Thị Mai"]
    assert _names(_list(desk, inside="1")) == ["Trần Thị Mai", "Nguyễn Văn An"]
    assert _names(_list(desk, inside="1", q="nguyen")) == ["Nguyễn Văn An"]


def test_counters(desk, day_of_visits):
    html = desk.client.get("/dashboard/").get_data(as_text=True)
    counters = dict(re.findall(r"<dt>([^<]+)</dt><dd>(\d+)</dd>", html))
    # People who came: An, Mai with the child she brought, Cường (three check-ins); inside
    # now: An, Mai and the child, as Cường has left. Mai's check-in waits for a decision.
    assert counters == {"Người vào hôm nay": "4", "Người đang ở bên trong": "3",
                        "Lượt cảnh báo hôm nay": "1", "Lượt chờ quyết định": "1"}
    assert "khách 4 · nhân viên 0 · 3 lượt vào" in html


def _incoming(html: str) -> str:
    """The rows a poll sends for the page to merge into its list."""
    return re.search(r'<tbody id="incoming" hx-swap-oob="true">(.*?)</tbody>', html, re.S).group(1)


def _alerts(html: str) -> str:
    """The alerts waiting for a decision, as a poll sends them."""
    return re.search(r'<div id="alerts-incoming"[^>]*>(.*?)</div>\s*$', html, re.S).group(1)


def _since(html: str) -> str:
    return re.search(r'/dashboard/changes\?since=([^&"]+)', html).group(1)


def test_the_poll_is_empty_until_something_changes(app, desk, day_of_visits, clock):
    page = desk.client.get("/dashboard/").get_data(as_text=True)
    since = _since(page).replace("%2B", "+").replace("%3A", ":")
    clock.advance(seconds=6)  # past the look-back window: nothing changed
    quiet = desk.client.get("/dashboard/changes", query_string={"since": since})
    assert quiet.status_code == 204 and quiet.data == b""

    Phone(app.test_client()).check_in(full_name="Phạm Thị Hoa", phone="0961111222",
                                      travel="yes", travel_places="Đà Nẵng", id_number="")
    fresh = desk.client.get("/dashboard/changes", query_string={"since": since})
    html = fresh.get_data(as_text=True)
    assert fresh.status_code == 200
    # Only what changed (the newcomer, and within the look-back window Cường's check-out),
    # for the page to put in its place.
    assert _names(_incoming(html)) == ["Phạm Thị Hoa", "Lê Văn Cường"]
    assert re.search(r'id="counters" hx-swap-oob="true"', html)
    assert "<dd>4</dd>" in html  # visits today
    assert "Phạm Thị Hoa" in _alerts(html)
    # The answer carries the next cursor; asked again later with it, nothing is new.
    clock.advance(seconds=6)
    later = desk.client.get("/dashboard/changes",
                            query_string={"since": _since(html).replace("%2B", "+")
                                          .replace("%3A", ":")})
    assert later.status_code == 204


def test_a_check_out_shows_up_in_the_poll(app, desk, day_of_visits, clock):
    since = (clock.now).isoformat()
    clock.advance(seconds=6)
    an = day_of_visits[0]
    desk.post(f"/dashboard/visits/{an.id}/checkout")
    html = desk.client.get("/dashboard/changes", query_string={"since": since}).get_data(True)
    row = re.search(rf'<tr id="visit-{an.id}" class="closed"[^>]*>(.*?)</tr>', html, re.S)
    assert row and "08:50" in row.group(1) and "Ra về</button>" not in row.group(1)
    assert "<dd>2</dd>" in html  # inside now: Mai and her child


def test_check_out_from_the_list_with_htmx(app, desk, day_of_visits):
    an = day_of_visits[0]
    response = desk.post(f"/dashboard/visits/{an.id}/checkout", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith(f'<tr id="visit-{an.id}"')
    assert 'id="counters" hx-swap-oob="true"' in html
    desk.post(f"/dashboard/visits/{an.id}/checkout")  # twice: the first time is kept
    [first] = [v for v in visits(app) if v.id == an.id]
    assert first.checkout_by == "staff" and first.checked_out_at is not None


def test_visit_detail_shows_every_answer(desk, day_of_visits):
    mai = day_of_visits[1]
    html = desk.client.get(f"/dashboard/visits/{mai.id}").get_data(as_text=True)
    assert '<tr class="yes"><td>Ho</td><td>Có</td></tr>' in html
    assert "<td>Sốt</td><td>Không</td>" in html
    assert "Đỗ Bé Na (2016)" in html and "Bộ phận một cửa" in html


def test_correcting_a_typo_keeps_who_and_when(app, desk, day_of_visits, clock):
    an = day_of_visits[0]
    response = desk.post(f"/dashboard/visits/{an.id}/correct",
                         {"full_name": "Nguyễn Văn Ân", "phone": "+84 912 345 679"},
                         page=f"/dashboard/visits/{an.id}", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "thu · Họ và tên: Nguyễn Văn An → Nguyễn Văn Ân" in html
    with app.app_context():
        corrections = db.session.scalars(db.select(VisitCorrection)).all()
        fixed = db.session.get(Visit, an.id)
        assert {(c.field, c.new_value) for c in corrections} == {
            ("full_name", "Nguyễn Văn Ân"), ("phone", "0912345679")}
        assert fixed.phone == "0912345679"
    assert _names(_list(desk, q="van an")) == ["Nguyễn Văn Ân"]
    bad = desk.post(f"/dashboard/visits/{an.id}/correct", {"full_name": "", "phone": "123"},
                    page=f"/dashboard/visits/{an.id}")
    assert bad.status_code == 400 and "Nhập họ và tên." in bad.get_data(as_text=True)


def test_another_day_is_read_only(desk, day_of_visits, clock):
    clock.advance(days=1)
    html = desk.client.get("/dashboard/?day=2021-07-14").get_data(as_text=True)
    assert _names(html) == ["Lê Văn Cường", "Trần Thị Mai", "Nguyễn Văn An"]
    assert "/dashboard/changes" not in html and "/checkout" not in html
    assert _names(desk.client.get("/dashboard/").get_data(as_text=True)) == []
    bad = desk.client.get("/dashboard/?day=14-07-2021").get_data(as_text=True)
    assert "không phải là ngày hợp lệ" in bad


def test_arrivals_per_hour_chart(app, desk, day_of_visits, clock):
    # Folded on the page, fetched when opened, then kept fresh by the poll.
    page = desk.client.get("/dashboard/").get_data(as_text=True)
    assert 'hx-get="/dashboard/chart?day=2021-07-14" hx-trigger="toggle once"' in page
    assert "<title>08:00: 3</title>" not in page
    chart = desk.client.get("/dashboard/chart?day=2021-07-14",
                            headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<title>08:00: 3</title>" in chart and "<title>09:00: 0</title>" in chart
    assert 'id="chart-wanted" name="chart" value="1"' in chart
    assert "<title>08:00: 3</title>" in desk.client.get("/dashboard/chart").get_data(True)
    since = clock.now.isoformat()
    clock.advance(seconds=10)
    Phone(app.test_client()).check_in(full_name="Phạm Thị Hoa", phone="0961234567", id_number="")
    poll = desk.client.get("/dashboard/changes", query_string={"since": since, "chart": "1"})
    assert "<title>08:00: 4</title>" in poll.get_data(as_text=True)
    without = desk.client.get("/dashboard/changes", query_string={"since": since})
    assert 'id="chart"' not in without.get_data(as_text=True)


def test_still_inside_roll_call_counts_companions(desk, day_of_visits):
    html = desk.client.get("/dashboard/inside").get_data(as_text=True)
    assert "Còn ở bên trong: 3 người" in html
    assert "Đỗ Bé Na" in html and "Lê Văn Cường" not in html


def test_load_more_pages_through_a_long_day(app, desk, clock):
    for n in range(55):
        Phone(app.test_client()).check_in(full_name=f"Khách {n:02d}", phone=f"0912{n:06d}",
                                          id_number="")
        clock.advance(seconds=30)
    first = desk.client.get("/dashboard/").get_data(as_text=True)
    assert len(_names(first)) == 50 and _names(first)[0] == "Khách 54"
    # Older pages go below the newest one, out of the poll's way.
    assert re.search(r'<tbody id="older">\s*<tr class="more">', first)
    more_url = re.search(r'hx-get="(/dashboard/more\?[^"]+)"', first).group(1).replace("&amp;", "&")
    rest = desk.client.get(more_url).get_data(as_text=True)
    assert _names(rest) == ["Khách 04", "Khách 03", "Khách 02", "Khách 01", "Khách 00"]


# --- manual entry ----------------------------------------------------------------------------

def _entry_form(desk) -> dict:
    from tests.html_form import form_values
    return form_values(desk.client.get("/dashboard/new").get_data(as_text=True),
                       "/dashboard/new")


def test_a_cccd_scan_fills_the_identity(desk):
    form = _entry_form(desk)
    html = desk.client.post("/dashboard/new", data={**form, "cccd": CCCD}).get_data(True)
    from tests.html_form import form_values
    filled = form_values(html, "/dashboard/new")
    assert (filled["full_name"], filled["id_number"], filled["birth_year"], filled["gender"],
            filled["province"]) == ("Nguyễn Văn An", "001085012345", "1985", "male", "Hà Nội")
    # The address goes into its fields, the province once.
    assert (filled["ward"], filled["street"]) == ("Phường Hoàn Kiếm", "Số 12 Hàng Bài")
    assert "Đã điền thông tin từ CCCD" in html


@pytest.mark.parametrize("scan", ["001085012345|Nguyễn Văn An", "garbage", CCCD.replace("Nam", "X"),
                                  CCCD.replace("15031985", "31021985"), "12|" + CCCD[13:]])
def test_malformed_cccd_text_fills_nothing(desk, scan):
    form = _entry_form(desk)
    html = desk.client.post("/dashboard/new", data={**form, "cccd": scan}).get_data(True)
    from tests.html_form import form_values
    assert "Đây không phải nội dung mã QR trên CCCD" in html
    assert form_values(html, "/dashboard/new")["full_name"] == ""


def test_manual_entry_records_a_staff_visit(app, desk, clock):
    from tests.conftest import VALID_VISITOR
    form = _entry_form(desk)
    response = desk.client.post("/dashboard/new", data={**form, **VALID_VISITOR})
    assert response.status_code == 302
    [visit] = visits(app)
    assert visit.source == "staff" and visit.entered_by.username == "thu"
    assert visit.full_name == "Nguyễn Văn An" and visit.location.name == "Cổng chính"
    listed = desk.client.get("/dashboard/").get_data(as_text=True)
    assert "Lễ tân nhập" in listed
    again = desk.client.post("/dashboard/new", data={**form, **VALID_VISITOR})  # double submit
    assert again.status_code == 302 and len(visits(app)) == 1


def test_manual_entry_validates_like_the_public_form(app, desk):
    from tests.conftest import VALID_VISITOR
    form = _entry_form(desk)
    html = desk.client.post("/dashboard/new", data={**form, **VALID_VISITOR, "phone": "123",
                                                     "birth_year": "1800"}).get_data(True)
    assert "Nhập số di động 10 chữ số" in html and "Nhập năm sinh từ 1900" in html
    assert visits(app) == []


# --- auto check-out --------------------------------------------------------------------------

def test_auto_check_out_at_the_end_of_the_day(app, runner, day_of_visits, clock):
    clock.now = clock.now.replace(hour=16, minute=58)  # 23:58 in Hanoi
    assert runner.invoke(args=["auto-checkout"]).output.strip() == "Checked out 0 visits."
    clock.advance(minutes=1)
    assert runner.invoke(args=["auto-checkout"]).output.strip() == "Checked out 2 visits."
    closed = [v for v in visits(app) if v.checkout_by == "auto"]
    assert {v.full_name for v in closed} == {"Nguyễn Văn An", "Trần Thị Mai"}
    assert {v.checked_out_at for v in closed} == {clock.now}
    clock.advance(hours=3)
    assert runner.invoke(args=["auto-checkout"]).output.strip() == "Checked out 0 visits."


def test_auto_check_out_catches_up_after_the_server_was_off(app, day_of_visits, clock):
    from app.checkin.visits import auto_check_out
    clock.advance(days=3)
    with app.app_context():
        assert auto_check_out() == 2
    assert {v.checked_out_at.hour for v in visits(app) if v.checkout_by == "auto"} == {16}


def test_auto_check_out_time_is_configurable(make_app, clock):
    app = make_app(AUTO_CHECKOUT_TIME="18:00")
    with app.app_context():
        db.create_all()
        db.session.add(Location(name="Cổng chính", token="gate-token-0001"))
        db.session.commit()
    Phone(app.test_client()).check_in()
    clock.now = clock.now.replace(hour=11)  # 18:00 in Hanoi
    from app.checkin.visits import auto_check_out
    with app.app_context():
        assert auto_check_out() == 1


def test_companions_are_read_for_the_parties_of_a_page_alone(app, day_of_visits):
    """One query for the companions of the parties a page shows, none for a page of visitors
    alone; each party's companions in their order."""
    from datetime import date

    from sqlalchemy import event

    from app.desk import day_list as dashboard
    day, read = date(2021, 7, 14), []
    Phone(app.test_client()).check_in(
        full_name="Phạm Văn Hùng", phone="0912000111", **{
            "companions-0-full_name": "Phạm Bé Bi", "companions-0-birth_year": "2018",
            "companions-0-answer": "none", "companions-1-full_name": "Phạm Bé Bo",
            "companions-1-birth_year": "2019", "companions-1-answer": "none"})

    def record(conn, cursor, statement, *args):
        if "FROM companion" in statement:
            read.append(statement)

    with app.test_request_context():
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            everyone = dashboard.day_visits(day, dashboard.VisitFilters())
            shown = {visit.full_name: [c.full_name for c in visit.party] for visit in everyone}
            assert len(read) == 1
            alone = dashboard.day_visits(day, dashboard.VisitFilters(query="0971234567"))
            assert [visit.party for visit in alone] == [[]] and len(read) == 1
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
    assert shown == {"Phạm Văn Hùng": ["Phạm Bé Bi", "Phạm Bé Bo"], "Lê Văn Cường": [],
                     "Trần Thị Mai": ["Đỗ Bé Na"], "Nguyễn Văn An": []}


# --- the queries use indexes -----------------------------------------------------------------

def _plans(app, work) -> list[str]:
    """The query plans of the SQL statements `work()` really runs, with their parameters."""
    from sqlalchemy import event
    captured = []

    def record(conn, cursor, statement, parameters, *args):
        if statement.startswith("SELECT"):
            captured.append((statement, parameters))

    with app.test_request_context():
        engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            work()
        finally:
            event.remove(engine, "before_cursor_execute", record)
        with engine.connect() as conn:
            if TEST_DATABASE_URL:  # tiny tables: make the planner show what it can use
                conn.exec_driver_sql("SET enable_seqscan = off")
                explain = "EXPLAIN "
            else:
                explain = "EXPLAIN QUERY PLAN "
            return ["\n".join(str(row[-1]) for row in
                              conn.exec_driver_sql(explain + statement, parameters))
                    for statement, parameters in captured]


@pytest.mark.parametrize("filters", [{}, {"flagged_only": True}, {"query": "nguyen"},
                                     {"inside_only": True, "location_id": 1}])
def test_the_list_and_the_counters_read_indexes(app, filters):
    from datetime import date

    from app.desk import day_list as dashboard
    day = date(2021, 7, 14)
    page, *_companions = _plans(
        app, lambda: dashboard.day_visits(day, dashboard.VisitFilters(**filters)))
    [counts] = _plans(app, lambda: dashboard.counters(day))
    [last] = _plans(app, dashboard.last_change)
    uses = lambda plan, index: re.search(rf"\b{index}\b", plan)  # noqa: E731
    # The list reads a range of one of the visit indexes on the check-in time (which one
    # depends on the filters and the planner), never the whole table.
    if TEST_DATABASE_URL:
        assert re.search(r"Index (Only )?Scan (Backward )?using ix_visit_\w+ on visit", page)
        assert "Seq Scan on visit" not in page
    else:
        assert re.search(r"SEARCH visit USING (COVERING )?INDEX ix_visit_\w+", page)
        assert not re.search(r"SCAN visit\b", page)
    if not filters:
        assert uses(page, "ix_visit_checked_in_at_id")
        if not TEST_DATABASE_URL:
            assert "TEMP B-TREE" not in page  # read in index order, no sorting
    assert_counters_read_day_ranges(counts)
    assert uses(last, "ix_visit_changed_at")


# What the counters read: each figure from the index that holds it, over the day's range.
COUNTER_INDEXES = ("ix_visit_day", "ix_visit_replaced", "ix_visit_party", "ix_visit_open",
                   "ix_visit_flagged_checked_in_at")


def assert_counters_read_day_ranges(plan: str) -> None:
    """The counters' plan reads only ranges of visit indexes bounded on the day's check-in
    times at both ends; on SQLite, each figure from its own index alone (the day's visits
    from the narrow ix_visit_day, the few replaced, parties and open ones and the flagged from
    their own), a flagged visit's decision looked up in the decisions' index."""
    if TEST_DATABASE_URL:
        # Tiny tables: PostgreSQL's planner may take another index over the day's range, or
        # a bitmap of one; every read of visit is an index range on the check-in time.
        assert "Seq Scan on visit" not in plan and "Seq Scan on gate_decision" not in plan, plan
        scans = re.findall(r"Scan (?:Backward )?using (\w+) on visit\b", plan)
        assert len(scans) >= 5 and all(index.startswith("ix_visit_") for index in scans), plan
        bounded = r"checked_in_at\W*\s*>=\s*.+ AND \W*(?:visit\.)?checked_in_at\W*\s*<"
        conditions = re.findall(r"Index Cond: (.*)", plan)
        assert sum(1 for c in conditions if re.search(bounded, c)) >= max(5, len(scans)), plan
        return
    searches = re.findall(r"SEARCH visit USING (COVERING )?INDEX (\w+) \((.*)\)", plan)
    assert sorted(index for _covering, index, _range in searches) == sorted(COUNTER_INDEXES), plan
    for covering, _index, bounds in searches:
        assert covering, plan  # the index alone
        assert bounds.endswith("checked_in_at>? AND checked_in_at<?"), plan  # the day's
    assert not re.search(r"SCAN (visit|gate_decision)\b", plan), plan
    assert re.search(r"SEARCH gate_decision USING (COVERING )?INDEX \w+ \(visit_id=\?\)",
                     plan), plan


def test_where_the_people_inside_are_reads_open_indexes(app, day_of_visits):
    from app.desk import day_list as dashboard
    from app.store import clock as app_clock
    with app.app_context():
        day = app_clock.local_today()
    plans = _plans(app, lambda: dashboard.counters(day))
    [by_point] = [plan for plan in plans if "presence" in plan]
    if TEST_DATABASE_URL:
        assert "Seq Scan on visit" not in by_point and "Seq Scan on presence" not in by_point
    else:
        # The day's open visits from their own index, each one's open presence from the
        # open presences' index by visit: both alone, never a table or a whole index.
        assert re.search(r"SEARCH visit USING COVERING INDEX ix_visit_open "
                         r"\(checked_out_at=\? AND checked_in_at>\? AND checked_in_at<\?\)",
                         by_point), by_point
        assert re.search(r"SEARCH presence USING COVERING INDEX ix_presence_open_visit "
                         r"\(visit_id=\?\)", by_point), by_point
        assert not re.search(r"\bSCAN (visit|presence)\b", by_point), by_point


def test_polls_cost_one_query_when_nothing_changed(app, desk, day_of_visits, clock):
    from sqlalchemy import event
    statements = []
    with app.app_context():
        engine = db.engine
    since = clock.now.isoformat()
    clock.advance(seconds=6)

    def record(conn, cursor, statement, *args):
        if not statement.startswith(("BEGIN", "PRAGMA")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert desk.client.get("/dashboard/changes",
                               query_string={"since": since}).status_code == 204
    finally:
        event.remove(engine, "before_cursor_execute", record)
    user_and_session = 1
    assert len(statements) == user_and_session + 1
    assert "max(visit.changed_at)" in statements[-1]


def test_the_server_checks_out_by_itself_while_it_runs(make_app, clock):
    import time

    import app.jobs as jobs
    # A served app: the jobs start with its first request.
    app = make_app(TESTING=False, JOBS_INTERVAL_SECONDS=0.05)
    with app.app_context():
        db.create_all()
        db.session.add(Location(name="Cổng chính", token="gate-token-0001"))
        db.session.commit()
    Phone(app.test_client()).check_in()
    clock.now = clock.now.replace(hour=16, minute=59)  # 23:59 in Hanoi
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and visits(app)[0].checkout_by != "auto":
            time.sleep(0.05)
        assert visits(app)[0].checkout_by == "auto"
    finally:
        jobs.stop_jobs(app)


def test_cli_commands_start_no_background_jobs(make_app):
    app = make_app(TESTING=False, JOBS_INTERVAL_SECONDS=0.05)
    with app.app_context():
        db.create_all()
    assert app.test_cli_runner().invoke(args=["locations"]).exit_code == 0
    assert "gatebook_jobs" not in app.extensions


def test_after_midnight_the_poll_reloads_the_page(desk, day_of_visits, clock):
    page = desk.client.get("/dashboard/").get_data(as_text=True)
    clock.advance(days=1)
    poll = desk.client.get("/dashboard/changes",
                           query_string={"since": clock.now.isoformat(), "day": "2021-07-14"})
    assert poll.status_code == 204 and poll.headers["HX-Refresh"] == "true"
    assert 'hx-include="#filters, #list-floor, #chart-wanted"' in page
    assert "q=" not in _since(page)


def test_the_poll_keeps_the_filters_of_the_form(app, desk, day_of_visits, clock):
    # The receptionist has filtered the list by "mai"; the poller then asks with its own URL
    # plus every field of the filter form (hx-include), as htmx sends them.
    page = desk.client.get("/dashboard/", query_string={"q": "mai"}).get_data(as_text=True)
    poller = re.search(r'id="poller" hx-get="([^"]+)"\s+hx-include="#filters, #list-floor, '
                       r'#chart-wanted"', page)
    filters = form_values(page, "/dashboard/", form_id="filters")
    assert filters["q"] == "mai"
    clock.advance(seconds=10)
    Phone(app.test_client()).check_in(full_name="Phạm Thị Hoa", phone="0961234567",
                                      id_number="")
    clock.advance(seconds=10)
    url = html.unescape(poller.group(1))
    poll = desk.client.get(f"{url}&{urlencode(filters)}").get_data(as_text=True)
    assert _names(_incoming(poll)) == []
    # Without the form's fields the same poll would send the newcomer: the form is what
    # keeps the filter.
    unfiltered = desk.client.get(url).get_data(as_text=True)
    assert _names(_incoming(unfiltered)) == ["Phạm Thị Hoa", "Lê Văn Cường"]


def test_a_flagged_visit_committed_late_still_raises_the_alert(app, desk, clock):
    since = clock.now.isoformat()  # the page saw everything up to now...
    clock.advance(seconds=-2)  # ...but a flagged check-in stamped 2 s earlier commits only now
    Phone(app.test_client()).check_in(symptom_fever="yes")
    clock.advance(seconds=3)
    poll = desk.client.get("/dashboard/changes", query_string={"since": since})
    assert poll.status_code == 200
    assert "flagged-checkin" in poll.headers["HX-Trigger"]
    assert "alert-" in _alerts(poll.get_data(as_text=True))


def test_the_poll_sounds_only_for_flagged_arrivals_still_inside(app, desk, clock):
    since = clock.now.isoformat()
    clock.advance(seconds=10)
    Phone(app.test_client()).check_in(full_name="Lê Văn Khỏe", phone="0961234560",
                                      id_number="")
    feverish = Phone(app.test_client())
    feverish.check_in(full_name="Phạm Văn Sốt", phone="0961234561", symptom_fever="yes",
                      id_number="")
    gone = Phone(app.test_client())
    gone.check_in(full_name="Trần Thị Ho", phone="0961234562", symptom_cough="yes",
                  id_number="")
    ids = {visit.full_name: visit.id for visit in visits(app)}
    with app.app_context():
        left = db.session.get(Visit, ids["Trần Thị Ho"])
        left.checked_out_at = left.changed_at = clock.now
        db.session.commit()
    poll = desk.client.get("/dashboard/changes", query_string={"since": since})
    assert json.loads(poll.headers["HX-Trigger"]) == {
        "flagged-checkin": {"ids": [ids["Phạm Văn Sốt"]]}}
    # A later poll that still sees the visit change (the look-back window) stays quiet once
    # its arrival is older than the window.
    clock.advance(minutes=1)
    with app.app_context():
        visit = db.session.get(Visit, ids["Phạm Văn Sốt"])
        visit.changed_at = clock.now
        db.session.commit()
    later = desk.client.get("/dashboard/changes", query_string={"since": clock.now.isoformat()})
    assert later.status_code == 200 and "HX-Trigger" not in later.headers


@pytest.mark.parametrize("url", ["/dashboard/more?before=2021-07-14T01:00:00,5",
                                 "/dashboard/?day=9999-12-31", "/dashboard/?day=0001-01-01",
                                 "/dashboard/?location=%C2%B2", "/dashboard/new?location=%C2%B2",
                                 "/dashboard/changes?since=yesterday"])
def test_odd_parameters_get_an_answer_not_a_crash(desk, url):
    assert desk.client.get(url).status_code in (200, 400)


def test_an_expired_token_on_an_htmx_button_reloads_the_page(desk, day_of_visits):
    response = desk.client.post(f"/dashboard/visits/{day_of_visits[0].id}/checkout",
                                headers={"HX-Request": "true", "X-CSRFToken": "stale"})
    assert response.status_code == 204 and response.headers["HX-Refresh"] == "true"
    assert visits(desk.client.application)[0].is_open


def test_a_flagged_check_in_alerts_whatever_the_list_is_filtered_to(app, desk, day_of_visits,
                                                                     clock):
    since = clock.now.isoformat()
    clock.advance(seconds=10)
    Phone(app.test_client(), "counter-token-02").check_in(
        full_name="Phạm Văn Sốt", phone="0961234567", symptom_fever="yes", id_number="")
    gate = day_of_visits[0].location_id
    poll = desk.client.get("/dashboard/changes",
                           query_string={"since": since, "location": gate})
    html = poll.get_data(as_text=True)
    assert "Phạm Văn Sốt" in _alerts(html)
    assert "Phạm Văn Sốt" not in _incoming(html)  # not in the gate's list
