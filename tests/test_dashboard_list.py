"""The live list keeps every visit of the day reachable: the poll sends what changed or
arrived (from the oldest row the page shows), and what left the list; "older" continues after
the last row shown; a check-out from the list needs no dialog and can be undone."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.desk import day_list as dashboard
from app.extensions import db
from app.store.models import Visit
from tests.builders import hanoi
from tests.conftest import TEST_DATABASE_URL, Phone, csrf_from, visits


def _keys(html: str) -> list[tuple[int, str]]:
    return [(int(visit_id), key) for visit_id, key in
            re.findall(r'<tr id="visit-(\d+)" class="[^"]*" data-key="([^"]+)"', html)]


def _incoming(html: str) -> str:
    return re.search(r'<tbody id="incoming" hx-swap-oob="true">(.*?)</tbody>', html, re.S).group(1)


def _poll(desk, since, **params):
    return desk.client.get("/dashboard/changes", query_string={"since": since.isoformat(),
                                                               **params})


def test_rows_carry_their_place_in_the_list_as_sortable_text(app, desk, clock):
    for n in range(3):
        Phone(app.test_client()).check_in(full_name=f"Khách {n}", phone=f"091200000{n}",
                                          id_number="")
    # Two in the same microsecond: the visit number decides.
    Phone(app.test_client()).check_in(full_name="Khách 3", phone="0912000003", id_number="")
    clock.advance(seconds=1)
    keys = _keys(desk.client.get("/dashboard/").get_data(as_text=True))
    assert [visit_id for visit_id, _ in keys] == [4, 3, 2, 1]
    assert [key for _, key in keys] == sorted((key for _, key in keys), reverse=True)
    with app.app_context():
        visit = db.session.get(Visit, 4)
        assert dashboard.parse_cursor(dashboard.cursor(visit)) == (visit.checked_in_at, 4)


@pytest.mark.parametrize("text", ["", "2021-07-14T01:30:00Z/1", "2021-07-14T01:30:00.000000Z/x",
                                  "2021-02-30T01:30:00.000000Z/0000000001",
                                  "2021-07-14T01:30:00.000000Z/9999999999"])
def test_a_cursor_that_is_not_one_is_refused(app, text):
    assert dashboard.parse_cursor(text) is None


def test_older_rows_continue_after_the_last_row_shown_however_many_arrive(app, desk, clock):
    for n in range(52):
        Phone(app.test_client()).check_in(full_name=f"Khách {n:02d}", phone=f"0912{n:06d}",
                                          id_number="")
        clock.advance(seconds=20)
    page = desk.client.get("/dashboard/").get_data(as_text=True)
    shown = [visit_id for visit_id, _ in _keys(page)]
    assert shown == list(range(52, 2, -1))
    floor = re.search(r'id="list-floor" name="floor" value="([^"]+)"', page).group(1)
    clock.advance(seconds=10)
    for n in (52, 53):  # two arrive while the page is open
        Phone(app.test_client()).check_in(full_name=f"Khách {n}", phone=f"0913{n:06d}",
                                          id_number="")
    poll = _poll(desk, clock.now - timedelta(seconds=10), floor=floor).get_data(as_text=True)
    assert [visit_id for visit_id, _ in _keys(_incoming(poll))] == [54, 53]
    more_url = re.search(r'hx-get="(/dashboard/more\?[^"]+)"', page).group(1).replace("&amp;", "&")
    older = desk.client.get(more_url).get_data(as_text=True)
    assert [visit_id for visit_id, _ in _keys(older)] == [2, 1]
    # The last page: no more button, so no floor; the poll then covers the whole day.
    assert re.search(r'<tbody id="older" hx-swap-oob="true">\s*</tbody>', older)


def test_the_poll_leaves_rows_older_than_the_floor_to_older_pages(app, desk, clock):
    for n in range(3):
        Phone(app.test_client()).check_in(full_name=f"Khách {n}", phone=f"091200000{n}",
                                          id_number="")
        clock.advance(minutes=1)
    since = clock.now
    clock.advance(seconds=10)
    for visit_id in (1, 3):
        desk.post(f"/dashboard/visits/{visit_id}/checkout")
    with app.app_context():
        floor = dashboard.cursor(db.session.get(Visit, 2))
    html = _poll(desk, since, floor=floor).get_data(as_text=True)
    assert [visit_id for visit_id, _ in _keys(_incoming(html))] == [3]
    everything = _poll(desk, since).get_data(as_text=True)
    assert [visit_id for visit_id, _ in _keys(_incoming(everything))] == [3, 1]


def test_a_visit_that_leaves_the_list_is_marked_gone(app, desk, clock):
    phone = Phone(app.test_client())
    phone.check_in()
    Phone(app.test_client()).check_in(full_name="Trần Thị Mai", phone="0987654321", id_number="")
    since = clock.now
    clock.advance(seconds=10)
    phone.check_in(symptom_cough="yes")  # a corrected declaration replaces visit 1
    desk.post("/dashboard/visits/2/checkout")  # Mai leaves: not "still inside" any more
    inside = _incoming(_poll(desk, since, inside="1").get_data(as_text=True))
    assert re.findall(r'<tr id="visit-(\d+)" data-gone></tr>', inside) == ["1", "2"]
    assert [visit_id for visit_id, _ in _keys(inside)] == [3]
    everyone = _incoming(_poll(desk, since).get_data(as_text=True))
    assert re.findall(r'<tr id="visit-(\d+)" data-gone></tr>', everyone) == ["1"]
    assert [visit_id for visit_id, _ in _keys(everyone)] == [3, 2]


def test_a_check_out_from_the_list_asks_nothing_and_offers_to_undo(app, desk, clock):
    Phone(app.test_client()).check_in()
    page = desk.client.get("/dashboard/").get_data(as_text=True)
    row = re.search(r'<tr id="visit-1".*?</tr>', page, re.S).group(0)
    assert "hx-confirm" not in row and "data-confirm" not in row
    html = desk.post("/dashboard/visits/1/checkout",
                     headers={"HX-Request": "true"}).get_data(as_text=True)
    assert html.lstrip().startswith('<tr id="visit-1" class="closed"')
    assert re.search(r'<form method="post" action="/dashboard/visits/1/undo-checkout" '
                     r'class="inline undo" data-undo-seconds="10"', html)
    assert re.search(r'<template><dl class="counters" id="counters" hx-swap-oob="true"', html)
    clock.advance(seconds=8)
    undone = desk.post("/dashboard/visits/1/undo-checkout",
                       headers={"HX-Request": "true"}).get_data(as_text=True)
    assert ">Ra về</button>" in undone and "undo-checkout" not in undone
    [visit] = visits(app)
    assert visit.is_open and visit.checkout_by is None and visit.changed_at == clock.now


def test_a_check_out_cannot_be_undone_later_or_after_something_else(app, desk, clock):
    Phone(app.test_client()).check_in(symptom_cough="yes")
    desk.post("/dashboard/visits/1/checkout", headers={"HX-Request": "true"})
    clock.advance(seconds=31)
    late = desk.post("/dashboard/visits/1/undo-checkout", headers={"HX-Request": "true"})
    assert "Đã quá thời gian hoàn tác: lượt ra vẫn được giữ." in late.get_data(as_text=True)
    assert not visits(app)[0].is_open
    Phone(app.test_client()).check_in(full_name="Trần Thị Mai", phone="0987654321",
                                      id_number="", symptom_cough="yes")
    desk.post("/dashboard/visits/2/checkout", headers={"HX-Request": "true"})
    clock.advance(seconds=2)
    desk.post("/dashboard/alerts/2", {"decision": "admit"}, headers={"HX-Request": "true"})
    clock.advance(seconds=2)
    desk.post("/dashboard/visits/2/undo-checkout", headers={"HX-Request": "true"})
    assert not visits(app)[1].is_open


def test_a_check_out_by_the_visitor_is_not_undone_from_the_desk(app, desk, clock):
    phone = Phone(app.test_client())
    done = phone.check_in()
    token = csrf_from(phone.client.get(done.headers["Location"]).get_data(as_text=True))
    phone.client.post(done.headers["Location"] + "/checkout", data={"csrf_token": token})
    response = desk.post("/dashboard/visits/1/undo-checkout", follow_redirects=True)
    assert "Đã quá thời gian hoàn tác" in response.get_data(as_text=True)
    assert not visits(app)[0].is_open


def test_a_paper_slips_time_out_is_not_undone(app, desk, clock):
    # The slip's time out is seconds ago, well within the undo window: what refuses is that
    # it was typed from paper, not a check-out made at the desk.
    clock.now = hanoi(14, 16, 0, 10)
    from tests.html_form import form_values
    from tests.test_entry import PAPER_VISITOR
    form = form_values(desk.client.get("/dashboard/paper").get_data(as_text=True),
                       "/dashboard/paper")
    desk.client.post("/dashboard/paper", data={**form, **PAPER_VISITOR, "day": "2021-07-14",
                                               "came": "15:50", "left": "16:00"})
    clock.advance(seconds=5)
    response = desk.post("/dashboard/visits/1/undo-checkout", follow_redirects=True)
    assert "Đã quá thời gian hoàn tác" in response.get_data(as_text=True)
    assert not visits(app)[0].is_open


def test_a_page_with_a_filter_polls_with_it_and_its_floor(app, desk, clock):
    from tests.html_form import form_values
    for n in range(52):  # more than a page, every one a "Mai"
        Phone(app.test_client()).check_in(full_name=f"Mai {n:02d}", phone=f"0912{n:06d}",
                                          id_number="")
        clock.advance(seconds=20)
    Phone(app.test_client()).check_in(full_name="Lan", phone="0913000000", id_number="")
    html = desk.client.get("/dashboard/", query_string={"q": "mai"}).get_data(as_text=True)
    assert 'hx-include="#filters, #list-floor, #chart-wanted"' in html
    assert '<div hidden><table><tbody id="incoming"></tbody></table></div>' in html
    shown = _keys(html)
    assert len(shown) == dashboard.PAGE_SIZE and "Lan" not in html
    # The form the poll includes holds the filter, and the floor is the last row shown.
    assert form_values(html, "/dashboard/", form_id="filters")["q"] == "mai"
    floor = re.search(r'id="list-floor" name="floor" value="([^"]+)"', html).group(1)
    with app.app_context():
        last = db.session.get(Visit, shown[-1][0])
        assert floor == dashboard.cursor(last)
    # Polled as the page polls: a new Mai comes, a new Lan does not.
    since = clock.now
    clock.advance(seconds=10)
    Phone(app.test_client()).check_in(full_name="Mai mới", phone="0914000000", id_number="")
    Phone(app.test_client()).check_in(full_name="Lan mới", phone="0915000000", id_number="")
    poll = _poll(desk, since, q="mai", floor=floor).get_data(as_text=True)
    assert "Mai mới" in _incoming(poll) and "Lan mới" not in _incoming(poll)


def test_the_poll_finds_what_changed_from_the_change_index(app, clock):
    from datetime import date

    from tests.test_dashboard import _plans
    day, since = date(2021, 7, 14), hanoi(14, 9)
    Phone(app.test_client()).check_in()
    with app.app_context():
        floor = dashboard.parse_cursor(dashboard.cursor(db.session.get(Visit, 1)))
    [ids] = _plans(app, lambda: dashboard.changed_after(since))
    rows, *_companions = _plans(app, lambda: dashboard.changed_visits(
        [1, 2, 3], day, dashboard.VisitFilters(query="nguyen"), floor))
    [of_day] = _plans(app, lambda: dashboard.changed_of_day([1, 2, 3], day, floor))
    # The narrow start is the end of the change index; then each changed visit by its key.
    assert "ix_visit_changed_at" in ids
    if TEST_DATABASE_URL:
        for plan in (ids, rows, of_day):  # tiny tables: any index will do, but an index
            assert "Seq Scan on visit" not in plan, plan
    else:
        for plan in (rows, of_day):
            assert "SEARCH visit USING INTEGER PRIMARY KEY" in plan, plan
        assert not any(re.search(r"SCAN visit\b", plan) for plan in (ids, rows, of_day))
