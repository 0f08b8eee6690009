"""Where each person was: a stay is a sequence of presences, and the gate's decision drives
it (a refused party leaves at that minute; one taken to the medical room is there)."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from datetime import datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from app.checkin.visits import auto_check_out
from app.extensions import db
from app.reports import tracing
from app.store.models import AuditEvent, CheckoutReason, Location, PointKind, Presence, Visit
from app.store.retention import purge
from tests.conftest import TEST_DATABASE_URL, Phone, counters, csrf_from, visits
from tests.html_form import form_values
from tests.test_employees import register  # noqa: F401 - the fixture

GATE = 1


def _presences(app, visit_id: int) -> list[tuple]:
    """(entry point, from, until) of the visit's presences, in order."""
    with app.app_context():
        return [(p.location_id, p.started_at, p.ended_at) for p in db.session.scalars(
            db.select(Presence).where(Presence.visit_id == visit_id).order_by(Presence.id))]


def _add_point(app, name: str, kind: PointKind, token: str) -> int:
    with app.app_context():
        point = Location(name=name, token=token, kind=kind)
        db.session.add(point)
        db.session.commit()
        return point.id


def _decide(desk, visit_id: int, decision: str, htmx: bool = True):
    return desk.post(f"/dashboard/alerts/{visit_id}", {"decision": decision},
                     headers={"HX-Request": "true"} if htmx else {})


def test_a_check_in_opens_a_presence_and_leaving_closes_it(app, clock):
    phone = Phone(app.test_client())
    came = clock.now
    phone.check_in()
    [visit] = visits(app)
    assert _presences(app, visit.id) == [(GATE, came, None)]
    clock.advance(minutes=30)
    csrf = csrf_from(phone.client.get(f"/v/{visit.id}").get_data(as_text=True))
    phone.client.post(f"/v/{visit.id}/checkout", data={"csrf_token": csrf})
    assert _presences(app, visit.id) == [(GATE, came, clock.now)]
    phone.client.post(f"/v/{visit.id}/still-here", data={"csrf_token": csrf})
    assert _presences(app, visit.id) == [(GATE, came, None)]
    # The end of the day closes the stay at the automatic check-out.
    clock.advance(hours=16)
    with app.app_context():
        assert auto_check_out() == 1
        left = db.session.get(Visit, visit.id).checked_out_at
    assert _presences(app, visit.id) == [(GATE, came, left)]
    # The purge takes the presences with their visit.
    clock.advance(days=app.config["RETENTION_DAYS"] + 1)
    with app.app_context():
        assert purge() == 1
        assert db.session.scalar(db.select(db.func.count(Presence.id))) == 0


def test_a_refused_party_leaves_at_the_decision(app, desk, admin, clock):
    Phone(app.test_client()).check_in(symptom_fever="yes",
                                      **{"companions-0-full_name": "Bé Na",
                                         "companions-0-birth_year": "2016",
                                         "companions-0-answer": "none"})
    [refused] = visits(app)
    clock.advance(minutes=32)  # 09:02
    decided_at = clock.now
    response = _decide(desk, refused.id, "refuse")
    assert response.status_code == 200 and "Không cho vào" in response.get_data(as_text=True)
    with app.app_context():
        visit = db.session.get(Visit, refused.id)
        assert (visit.checked_out_at, visit.checkout_by) == (decided_at, CheckoutReason.REFUSED)
    assert _presences(app, refused.id) == [(GATE, refused.checked_in_at, decided_at)]
    # Out of inside-now and the roll call from that minute.
    html = desk.client.get("/dashboard/").get_data(as_text=True)
    assert counters(html)["Người đang ở bên trong"] == "0"
    assert "Nguyễn Văn An" not in desk.client.get("/dashboard/inside").get_data(as_text=True)
    # Someone who came in after the refused party left is no contact of theirs.
    clock.advance(minutes=19)
    Phone(app.test_client()).check_in(full_name="Trần Văn Sau", phone="0987000001",
                                      id_number="")
    clock.advance(hours=1)
    with app.app_context():
        trace = tracing.overlapping_visits([db.session.get(Visit, refused.id)], min_minutes=1)
    assert trace.contacts == []
    # The export says what happened and when.
    rows = _export(admin, clock)
    assert [(row["Họ và tên"], row["Thời gian ra"][-8:-3], row["Quyết định tại cổng"])
            for row in rows if row["Mã lượt vào"] == str(refused.id)] == [
        ("Nguyễn Văn An", "09:02", "Không cho vào"), ("Bé Na", "09:02", "Không cho vào")]


def _export(admin, clock) -> list[dict[str, str]]:
    day = (clock.now + timedelta(hours=7)).date().isoformat()
    response = admin.client.get("/admin/export/download",
                               query_string={"start": day, "end": day, "format": "csv"})
    assert response.status_code == 200, response.status_code
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_a_decision_is_taken_back_within_a_minute(app, desk, clock):
    Phone(app.test_client()).check_in(symptom_fever="yes")
    [visit] = visits(app)
    clock.advance(minutes=5)
    _decide(desk, visit.id, "refuse")
    assert _presences(app, visit.id) == [(GATE, visit.checked_in_at, clock.now)]
    clock.advance(seconds=40)
    undone = desk.post(f"/dashboard/alerts/{visit.id}/undo", {},
                       headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'name="decision"' in undone and "Hoàn tác" not in undone  # waiting again
    with app.app_context():
        again = db.session.get(Visit, visit.id)
        assert (again.checked_out_at, again.checkout_by, again.gate_decision) == (None, None,
                                                                                   None)
        assert db.session.scalar(db.select(AuditEvent.action).order_by(AuditEvent.id.desc())
                                 .limit(1)) == "gate_decision_undone"
    assert _presences(app, visit.id) == [(GATE, visit.checked_in_at, None)]
    # Decided again, it cannot be taken back after a minute.
    _decide(desk, visit.id, "refuse")
    clock.advance(seconds=61)
    late = desk.post(f"/dashboard/alerts/{visit.id}/undo", {}, page=f"/dashboard/visits/"
                     f"{visit.id}", follow_redirects=True).get_data(as_text=True)
    assert "Chỉ hoàn tác được quyết định trong vòng một phút." in late
    with app.app_context():
        assert db.session.get(Visit, visit.id).checkout_by == CheckoutReason.REFUSED


def test_a_party_taken_to_the_medical_room_is_there(app, desk, clock):
    room = _add_point(app, "Phòng y tế", PointKind.MEDICAL, "medical-token-01")
    phone = Phone(app.test_client())
    phone.check_in(symptom_cough="yes")
    [visit] = visits(app)
    came = visit.checked_in_at
    clock.advance(minutes=3)
    _decide(desk, visit.id, "medical")
    assert _presences(app, visit.id) == [(GATE, came, clock.now), (room, clock.now, None)]
    with app.app_context():
        assert db.session.get(Visit, visit.id).checked_out_at is None  # still inside
    # The phone shows where its party is, but the gate's move is not the phone's to undo.
    page = _page(phone, f"/v/{visit.id}")
    assert "Đang ở Phòng y tế từ 08:33" in page and "Tôi không ở" not in page
    csrf = form_values(page, f"/v/{visit.id}/checkout")["csrf_token"]
    phone.client.post(f"/v/{visit.id}/not-here", data={"csrf_token": csrf})
    assert [p[0] for p in _presences(app, visit.id)] == [GATE, room]
    clock.advance(seconds=30)
    desk.post(f"/dashboard/alerts/{visit.id}/undo", {}, headers={"HX-Request": "true"})
    assert _presences(app, visit.id) == [(GATE, came, None)]


def test_without_a_medical_room_the_party_stays_where_it_is(app, desk, clock):
    Phone(app.test_client()).check_in(symptom_cough="yes")
    [visit] = visits(app)
    assert _decide(desk, visit.id, "medical").status_code == 200
    with app.app_context():
        assert db.session.get(Visit, visit.id).gate_decision.decision == "medical"
    assert _presences(app, visit.id) == [(GATE, visit.checked_in_at, None)]


BEFORE = "b7e2c4d91a05"  # the schema before presences


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="the previous schema built on SQLite")
def test_visits_stored_before_get_one_presence_each(make_app, tmp_path):
    app = make_app()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade", BEFORE]).exit_code == 0
    with app.app_context():
        path = db.engine.url.database
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO location (id, name, token, active, created_at) "
                     "VALUES (1, 'Cổng chính', 'gate', 1, '2021-07-14 01:00:00.000000')")
        columns = ("location_id, checked_in_at, arrived_at, checked_out_at, checkout_by, "
                   "full_name, phone, gender, nationality, province, ward, street, purpose, "
                   "declaration, flagged, source, search_text, changed_at, party_size, "
                   "department")
        rows = [("2021-07-14 01:30:00.000000", None, "2021-07-14 02:00:00.000000", "visitor"),
                ("2021-07-14 01:40:00.000000", "2021-07-14 01:35:00.000000", None, None),
                ("2021-07-14 01:50:00.000000", None, None, None)]
        for came, arrived, left, by in rows:
            conn.execute(f"INSERT INTO visit ({columns}) VALUES (1, ?, ?, ?, ?, 'A', "
                         "'0912345678', '', '', '', '', '', '', '{}', 0, 'self', '', ?, 1, '')",
                         (came, arrived, left, by, came))
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    with sqlite3.connect(path) as conn:
        found = conn.execute("SELECT visit_id, location_id, started_at, ended_at FROM presence "
                             "ORDER BY visit_id").fetchall()
        kinds = conn.execute("SELECT kind FROM location").fetchall()
    assert found == [(1, 1, "2021-07-14 01:30:00.000000", "2021-07-14 02:00:00.000000"),
                     (2, 1, "2021-07-14 01:35:00.000000", None),
                     (3, 1, "2021-07-14 01:50:00.000000", None)]
    assert kinds == [("entrance",)]


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="the previous schema built on PostgreSQL")
def test_visits_stored_before_get_one_presence_each_on_postgresql(make_app, database_url):
    app = make_app()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade", BEFORE]).exit_code == 0
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO location (id, name, token, active, created_at) "
                          "VALUES (1, 'Cổng chính', 'gate', true, '2021-07-14 01:00')"))
        conn.execute(text(
            "INSERT INTO visit (location_id, checked_in_at, arrived_at, checked_out_at, "
            "checkout_by, full_name, phone, gender, nationality, province, ward, street, "
            "purpose, declaration, flagged, source, search_text, changed_at, party_size, "
            "department) VALUES (1, '2021-07-14 01:40', '2021-07-14 01:35', NULL, NULL, 'A', "
            "'0912345678', '', '', '', '', '', '', '{}', false, 'self', '', "
            "'2021-07-14 01:40', 1, '')"))
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    with engine.connect() as conn:
        found = conn.execute(text("SELECT location_id, started_at::text, ended_at "
                                  "FROM presence")).all()
    engine.dispose()
    assert found == [(1, "2021-07-14 01:35:00", None)]


def _page(phone, url: str) -> str:
    return phone.client.get(url).get_data(as_text=True)


def _press(phone, page: str, action: str):
    """Press the button of the page's form posting to `action`, as a browser would."""
    values = form_values(page, action)
    return phone.client.post(action, data=values)


def test_a_scan_at_an_inner_point_moves_the_party_there(app, clock):
    counter = _add_point(app, "Bộ phận một cửa", PointKind.INNER, "counter-token-02")
    phone = Phone(app.test_client())
    came = clock.now
    phone.check_in()
    [visit] = visits(app)
    clock.advance(minutes=5)
    page = _page(phone, "/c/counter-token-02")
    # The move is the one large button, leaving the second choice.
    assert page.index("Tôi đang ở Bộ phận một cửa") < page.index(">Ra về</button>")
    assert 'class="primary big">Tôi đang ở Bộ phận một cửa' in page
    moved_at = clock.now
    done = _press(phone, page, f"/v/{visit.id}/here/counter-token-02")
    assert done.status_code == 302 and done.headers["Location"] == f"/v/{visit.id}"
    assert _presences(app, visit.id) == [(GATE, came, moved_at), (counter, moved_at, None)]
    confirmation = _page(phone, f"/v/{visit.id}")
    assert "Đang ở Bộ phận một cửa từ 08:35" in confirmation
    # The same point again offers leaving first; so does the gate.
    for poster in ("/c/counter-token-02", "/c/gate-token-0001"):
        again = _page(phone, poster)
        assert "Tôi đang ở" not in again and 'class="primary big leave">Ra về' in again
    # Leaving from the gate ends the stay at the counter.
    clock.advance(minutes=30)
    _press(phone, _page(phone, "/c/gate-token-0001"), f"/v/{visit.id}/checkout")
    assert _presences(app, visit.id) == [(GATE, came, moved_at),
                                         (counter, moved_at, clock.now)]


def test_a_move_is_undone_from_the_same_phone_within_a_minute(app, clock):
    counter = _add_point(app, "Bộ phận một cửa", PointKind.INNER, "counter-token-02")
    phone = Phone(app.test_client())
    phone.check_in()
    [visit] = visits(app)
    clock.advance(minutes=5)
    _press(phone, _page(phone, "/c/counter-token-02"), f"/v/{visit.id}/here/counter-token-02")
    clock.advance(seconds=50)
    confirmation = _page(phone, f"/v/{visit.id}")
    assert "Tôi không ở Bộ phận một cửa" in confirmation
    _press(phone, confirmation, f"/v/{visit.id}/not-here")
    assert _presences(app, visit.id) == [(GATE, visit.checked_in_at, None)]
    # Moved again, the undo is gone after a minute.
    _press(phone, _page(phone, "/c/counter-token-02"), f"/v/{visit.id}/here/counter-token-02")
    clock.advance(seconds=61)
    assert "Tôi không ở" not in _page(phone, f"/v/{visit.id}")
    assert [p[0] for p in _presences(app, visit.id)] == [GATE, counter]
    # Another phone cannot move or undo this visit.
    stranger = Phone(app.test_client())
    assert stranger.client.post(f"/v/{visit.id}/not-here").status_code == 403
    assert stranger.client.post(f"/v/{visit.id}/here/gate-token-0001").status_code == 403
    assert [p[0] for p in _presences(app, visit.id)] == [GATE, counter]


def test_an_entrance_is_never_a_move(app, clock):
    _add_point(app, "Cổng phụ", PointKind.ENTRANCE, "side-gate-token-3")
    phone = Phone(app.test_client())
    phone.check_in()
    [visit] = visits(app)
    page = _page(phone, "/c/side-gate-token-3")
    assert "Tôi đang ở" not in page
    # Posting a move to an entrance changes nothing.
    csrf = form_values(page, f"/v/{visit.id}/checkout")["csrf_token"]
    phone.client.post(f"/v/{visit.id}/here/side-gate-token-3", data={"csrf_token": csrf})
    assert _presences(app, visit.id) == [(GATE, visit.checked_in_at, None)]


def test_an_admin_marks_a_point_inner(app, admin):
    admin.post("/admin/locations/", {"name": "Bộ phận một cửa"}, page="/admin/locations/")
    with app.app_context():
        point = db.session.scalar(db.select(Location).where(Location.name == "Bộ phận một cửa"))
        assert point.kind == PointKind.ENTRANCE  # new points are entrances
    admin.post(f"/admin/locations/{point.id}/kind", {"kind": "inner"}, page="/admin/locations/")
    with app.app_context():
        assert db.session.get(Location, point.id).kind == PointKind.INNER
        assert db.session.scalar(db.select(AuditEvent.details).where(
            AuditEvent.action == "location_kind")) == {"location": point.id,
                                                      "name": "Bộ phận một cửa",
                                                      "kind": "inner"}
    page = admin.client.get("/admin/locations/").get_data(as_text=True)
    assert '<option value="inner" selected>Điểm bên trong (quầy, phòng họp…)</option>' in page


@pytest.mark.app_settings(PUBLIC_URL="https://vao.example.vn")
def test_an_employees_phone_moves_the_same_way(app, admin, register, clock):  # noqa: F811
    from tests.test_employees import _enrol, _sheet
    counter = _add_point(app, "Bộ phận một cửa", PointKind.INNER, "counter-token-02")
    phone = Phone(app.test_client())
    _enrol(phone, _sheet(admin, "Kho")["Lê Văn Kho"])
    page = phone.open_form().get_data(as_text=True)
    phone.client.post(phone.form_url, data={**form_values(page, phone.form_url),
                                            "employee_tap": "1"})
    [visit] = visits(app)
    clock.advance(minutes=2)
    _press(phone, _page(phone, "/c/counter-token-02"), f"/v/{visit.id}/here/counter-token-02")
    assert [p[0] for p in _presences(app, visit.id)] == [GATE, counter]


def _traced(app, case_id: int, minutes: int = 1) -> dict[str, tuple[int, list[str]]]:
    """{contact's name: (minutes together, where and when)}."""
    from app.reports.export import meeting_text
    with app.app_context():
        trace = tracing.overlapping_visits([db.session.get(Visit, case_id)],
                                           min_minutes=minutes)
        return {c.visit.full_name: (c.overlap_minutes, [meeting_text(m) for m in c.meetings])
                for c in trace.contacts}


def test_tracing_overlaps_presences_point_by_point(app, clock):
    from tests.builders import add_visit, hanoi
    clock.now = hanoi(14, 18)
    # The case: at the gate 09:10, at the counter 09:12–09:40.
    case = add_visit(app, hanoi(14, 9, 10), hanoi(14, 9, 40), name="Ca Bệnh",
                     phone="0911111111", moves=(("Bộ phận một cửa", hanoi(14, 9, 12)),))
    add_visit(app, hanoi(14, 9, 25), hanoi(14, 10), name="Ở quầy", phone="0900000001",
              moves=(("Bộ phận một cửa", hanoi(14, 9, 30)),))
    add_visit(app, hanoi(14, 9, 30), hanoi(14, 10), name="Ở cổng", phone="0900000002")
    add_visit(app, hanoi(14, 9), hanoi(14, 9, 11), name="Cổng lúc đến", phone="0900000003")
    found = _traced(app, case)
    assert found == {"Ở quầy": (10, ["Bộ phận một cửa 09:30–10:00, cùng lúc 10 phút"]),
                     "Cổng lúc đến": (1, ["Cổng chính 09:00–09:11, cùng lúc 1 phút"])}
    # Held to the threshold over all points together; at any point, the whole stays count.
    assert _traced(app, case, minutes=15) == {}
    with app.app_context():
        anywhere = tracing.overlapping_visits([db.session.get(Visit, case)], min_minutes=1,
                                              any_location=True)
    assert {c.visit.full_name: c.overlap_minutes for c in anywhere.contacts} == {
        "Ở quầy": 15, "Ở cổng": 10, "Cổng lúc đến": 1}


def test_a_case_briefly_at_the_gate_meets_the_counters_people_not_the_gates(app, clock):
    from tests.builders import add_visit, hanoi
    clock.now = hanoi(14, 18)
    case = add_visit(app, hanoi(14, 9), hanoi(14, 9, 32), name="Ca Bệnh", phone="0911111111",
                     moves=(("Bộ phận một cửa", hanoi(14, 9, 2)),))
    add_visit(app, hanoi(14, 9, 1), hanoi(14, 11), name="Khách quầy", phone="0900000001",
              moves=(("Bộ phận một cửa", hanoi(14, 9, 3)),))
    add_visit(app, hanoi(14, 9, 5), hanoi(14, 11), name="Bảo vệ cổng", phone="0900000002")
    # The guard arrived after the case had gone in; the counter's visitor shared both places.
    assert _traced(app, case, minutes=15) == {
        "Khách quầy": (30, ["Cổng chính 09:01–09:03, cùng lúc 1 phút",
                            "Bộ phận một cửa 09:03–11:00, cùng lúc 29 phút"])}


def test_the_desk_shows_where_each_party_is(app, desk, clock):
    counter = _add_point(app, "Bộ phận một cửa", PointKind.INNER, "counter-token-02")
    mover, stayer = Phone(app.test_client()), Phone(app.test_client())
    mover.check_in(**{"companions-0-full_name": "Bé Na", "companions-0-birth_year": "2016",
                      "companions-0-answer": "none"})
    stayer.check_in(full_name="Trần Thị Mai", phone="0987654321", id_number="")
    refused = Phone(app.test_client())
    refused.check_in(full_name="Lê Văn Sốt", phone="0971234567", id_number="",
                     symptom_fever="yes")
    moved_id, _mai, fever = (visit.id for visit in visits(app))
    _decide(desk, fever, "refuse")
    clock.advance(minutes=5)
    _press(mover, _page(mover, "/c/counter-token-02"), f"/v/{moved_id}/here/counter-token-02")
    html = desk.client.get("/dashboard/", query_string={"who": "all"}).get_data(as_text=True)
    row = re.search(rf'<tr id="visit-{moved_id}".*?</tr>', html, re.S).group(0)
    assert '<td class="place">Cổng chính → Bộ phận một cửa</td>' in row
    # Inside now: three people, split by where they are (the refused one has left).
    assert counters(html)["Người đang ở bên trong"] == "3"
    assert '<dd class="split points">Cổng chính 1 · Bộ phận một cửa 2</dd>' in html
    # The point filter means "was there today".
    at_counter = desk.client.get("/dashboard/", query_string={
        "who": "all", "location": str(counter)}).get_data(as_text=True)
    assert "Nguyễn Văn An" in at_counter and "Trần Thị Mai" not in at_counter
    at_gate = desk.client.get("/dashboard/", query_string={
        "who": "all", "location": str(GATE)}).get_data(as_text=True)
    assert all(name in at_gate for name in ("Nguyễn Văn An", "Trần Thị Mai", "Lê Văn Sốt"))
    # The roll call groups people by where they are; the refused party is not on it.
    roll = desk.client.get("/dashboard/inside").get_data(as_text=True)
    assert "Còn ở bên trong: 3 người" in roll and "Lê Văn Sốt" not in roll
    groups = re.findall(r'<tr class="group"><th scope="rowgroup" colspan="7">([^<]+)</th>', roll)
    assert groups == ["Bộ phận một cửa: 2 người", "Cổng chính: 1 người"]
    assert roll.index("Bộ phận một cửa: 2") < roll.index("Nguyễn Văn An") < roll.index(
        "Bé Na") < roll.index("Cổng chính: 1") < roll.index("Trần Thị Mai")
    # The visit's page lists where the party went.
    page = desk.client.get(f"/dashboard/visits/{moved_id}").get_data(as_text=True)
    assert "Cổng chính 08:30 → Bộ phận một cửa 08:35" in page


def test_the_export_lists_each_moved_stays_places_on_a_sheet_of_its_own(app, admin, clock):
    import openpyxl

    from app.reports.export import HEADER
    _add_point(app, "Bộ phận một cửa", PointKind.INNER, "counter-token-02")
    phone = Phone(app.test_client())
    phone.check_in()
    Phone(app.test_client()).check_in(full_name="Trần Thị Mai", phone="0987654321",
                                      id_number="")
    [moved, _stayed] = visits(app)
    clock.advance(minutes=5)
    _press(phone, _page(phone, "/c/counter-token-02"), f"/v/{moved.id}/here/counter-token-02")
    clock.advance(minutes=40)
    _press(phone, _page(phone, "/c/gate-token-0001"), f"/v/{moved.id}/checkout")
    day = (clock.now + timedelta(hours=7)).date().isoformat()
    response = admin.client.get("/admin/export/download", query_string={
        "start": day, "end": day, "format": "xlsx"})
    body = response.get_data()
    response.close()
    workbook = openpyxl.load_workbook(io.BytesIO(body))
    assert workbook.sheetnames == ["Sổ vào ra", "Tổng hợp", "Di chuyển"]
    moves = [[cell.value for cell in row] for row in workbook["Di chuyển"].iter_rows()]
    assert moves == [["Mã lượt vào", "Họ và tên", "Điểm", "Từ", "Đến"],
                     [moved.id, "Nguyễn Văn An", "Cổng chính", datetime(2021, 7, 14, 8, 30),
                      datetime(2021, 7, 14, 8, 35)],
                     [moved.id, "Nguyễn Văn An", "Bộ phận một cửa",
                      datetime(2021, 7, 14, 8, 35), datetime(2021, 7, 14, 9, 15)]]
    assert workbook["Di chuyển"].freeze_panes == "A2"
    assert workbook["Di chuyển"].auto_filter.ref == "A1:E3"
    # The CSV keeps its columns.
    assert list(_export(admin, clock)[0]) == list(HEADER)


def test_a_move_after_the_end_of_day_cutoff_ends_when_it_began(app, clock):
    from tests.builders import hanoi
    _add_point(app, "Bộ phận một cửa", PointKind.INNER, "counter-token-02")
    clock.now = hanoi(14, 23, 50)
    phone = Phone(app.test_client())
    phone.check_in()
    [visit] = visits(app)
    # The job that checks out at 23:59 runs late: the party moved at 23:59:30 meanwhile.
    clock.now = hanoi(14, 23, 59, 30)
    _press(phone, _page(phone, "/c/counter-token-02"), f"/v/{visit.id}/here/counter-token-02")
    clock.now = hanoi(15, 0, 1)
    with app.app_context():
        assert auto_check_out() == 1
    gate, counter = _presences(app, visit.id)
    assert gate[2] == counter[1] == hanoi(14, 23, 59, 30)
    assert counter[2] == counter[1]  # never before it began
