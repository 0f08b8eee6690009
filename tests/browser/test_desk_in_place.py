"""The desk's actions stay in place, in real Chromium: a flagged check-in that arrives after
the page loaded is decided in the panel without leaving the day's list, and a check-out made
from a search keeps its undo (leaving the search box does not replace the row)."""

from __future__ import annotations

from app.extensions import db
from app.store.models import Visit
from tests.browser.conftest import arrive, sign_in


def test_an_alert_that_arrives_live_is_decided_in_place(app, busy_morning, live_server, pages,
                                                        output_dir):
    desk = sign_in(pages, live_server, "thu", {"width": 1366, "height": 768})
    desk.evaluate("window.loadedAt = performance.timeOrigin")
    assert desk.locator("#alert-list .alert-item").count() == 0

    arrive(app, 1, symptom_cough="yes")  # after the page loaded: it comes with the poll
    with app.app_context():
        arrived = db.session.scalar(db.select(Visit).order_by(Visit.id.desc()))
        assert arrived.flagged
    item = desk.locator(f"#alert-list #alert-{arrived.id}")
    item.wait_for(timeout=5000)
    item.locator("input[name=temperature]").fill("36,8")
    item.locator("button.decision.admit").click()

    desk.locator(f"#alert-{arrived.id}.decided").wait_for(timeout=5000)
    desk.screenshot(path=output_dir / "1-decided-in-place.png")
    assert desk.url.endswith("/dashboard/"), desk.url
    assert desk.evaluate("window.loadedAt") == desk.evaluate("performance.timeOrigin")
    with app.app_context():
        decided = db.session.get(Visit, arrived.id).gate_decision
        assert decided.decision == "admit" and float(decided.temperature) == 36.8

    # Its undo, and a second alert arriving after the first was decided, work in place too.
    desk.locator(f"#alert-{arrived.id} button:has-text('Hoàn tác')").click()
    desk.locator(f"#alert-{arrived.id}:not(.decided) button.decision.admit").wait_for()
    arrive(app, 2, symptom_fever="yes")
    with app.app_context():
        second = db.session.scalar(db.select(Visit).order_by(Visit.id.desc())).id
    desk.locator(f"#alert-{second} button.decision.refuse").click(timeout=5000)
    desk.locator(f"#alert-{second}.decided").wait_for(timeout=5000)
    assert desk.url.endswith("/dashboard/")
    assert desk.evaluate("window.loadedAt") == desk.evaluate("performance.timeOrigin")


def test_a_check_out_from_a_search_can_be_undone(app, busy_morning, live_server, pages,
                                                 output_dir):
    desk = sign_in(pages, live_server, "thu", {"width": 1366, "height": 768})
    desk.fill("#q", "sáng 117")
    desk.wait_for_function("() => document.querySelectorAll('#rows tr[data-key]').length === 1")
    row = desk.locator("#visit-118")  # "Khách sáng 117", the 118th of the morning
    row.locator("button:has-text('Ra về')").click()
    row.locator("button:has-text('Hoàn tác')").wait_for()
    desk.wait_for_timeout(1500)  # what leaving the search box would have brought by now
    assert row.locator("button:has-text('Hoàn tác')").is_visible()
    desk.screenshot(path=output_dir / "1-search-checked-out.png")
    row.locator("button:has-text('Hoàn tác')").click()
    row.locator("button:has-text('Ra về')").wait_for()
    with app.app_context():
        assert db.session.get(Visit, 118).is_open
    assert desk.input_value("#q") == "sáng 117"


def test_each_filter_still_refreshes_the_list_at_once(app, busy_morning, live_server, pages):
    desk = sign_in(pages, live_server, "thu", {"width": 1366, "height": 768})
    count = "() => document.querySelectorAll('#rows tr[data-key]').length"

    def rows_become(n: int) -> None:
        desk.wait_for_function(f"n => ({count})() === n", arg=n, timeout=5000)

    desk.check("#only-inside")  # the 20 still inside
    rows_become(20)
    assert "inside=1" in desk.url
    desk.uncheck("#only-inside")
    desk.check("#only-flagged")  # nobody flagged this morning
    desk.locator("#rows tr.empty").wait_for(timeout=5000)
    desk.uncheck("#only-flagged")
    desk.select_option("#who", "employees")
    desk.locator("#rows tr.empty").wait_for(timeout=5000)
    desk.select_option("#who", "")
    desk.fill("#q", "sáng 117")
    rows_become(1)
