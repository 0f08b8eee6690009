"""A visitor checks in on a phone while the receptionist's dashboard, open in the same browser,
shows the visit within 3 seconds without a reload; a flagged check-in joins the alert panel."""

from __future__ import annotations

from tests.browser.conftest import answer_declaration
from tests.browser.test_visitor_phone import PHONE
from tests.conftest import RECEPTIONIST_PASSWORD

VISITOR_PHONE = {**PHONE, "viewport": {"width": 390, "height": 844}}


def _check_in(web, page, name: str, phone: str, cough: bool) -> None:
    web.check(page)
    page.fill("#full_name", name)
    page.fill("#phone", phone)
    page.fill("#birth_year", "1990")
    page.check("#gender-1")
    page.select_option("#province", "Hà Nội")
    if cough:
        answer_declaration(page, yes="symptom_cough")
    else:
        page.check("#none_of_these")
    page.check("#confirm_true")
    page.check("#consent")
    page.click("button.primary >> nth=-1")
    web.check(page)


def open_desk(web, live_server):
    """The receptionist signed in, the day's list open (marked, to prove it is not
    reloaded)."""
    desk = web.page(viewport={"width": 1280, "height": 900})
    desk.goto(f"{live_server}/login")
    web.check(desk)
    desk.fill("#username", "thu")
    desk.fill("#password", RECEPTIONIST_PASSWORD)
    desk.click("button.primary")
    assert desk.url.endswith("/dashboard/")
    web.check(desk)
    desk.evaluate("window.loadedAt = performance.timeOrigin")
    return desk


def test_dashboard_shows_check_ins_live(app, staff, live_server, web, output_dir):
    desk = open_desk(web, live_server)

    visitor = web.page(**VISITOR_PHONE)
    visitor.goto(f"{live_server}/c/gate-token-0001")
    _check_in(web, visitor, "Nguyễn Thị Lan", "0912000111", cough=False)
    assert "Khai báo thành công" in visitor.locator("h1").inner_text()
    visitor.screenshot(path=output_dir / "1-visitor-checked-in.png", full_page=True)

    row = desk.locator("#rows tr", has_text="Nguyễn Thị Lan")
    row.wait_for(timeout=3000)
    assert desk.locator("#counters dd").first.inner_text() == "1"
    assert desk.locator("#alert-list .alert-item").count() == 0

    other = web.page(**VISITOR_PHONE)
    other.goto(f"{live_server}/c/gate-token-0001")
    _check_in(web, other, "Trần Văn Ho", "0987000222", cough=True)
    alert = desk.locator("#alert-list .alert-item")
    alert.wait_for(state="visible", timeout=3000)
    assert "Trần Văn Ho" in alert.inner_text() and "Ho" in alert.locator(".why").inner_text()
    flagged_row = desk.locator("#rows tr.flagged", has_text="Trần Văn Ho")
    assert flagged_row.count() == 1
    assert desk.evaluate("window.loadedAt") == desk.evaluate("performance.timeOrigin")
    web.check(desk)  # the page as the poll has made it
    desk.screenshot(path=output_dir / "2-dashboard-live.png", full_page=True)
    other.screenshot(path=output_dir / "3-flagged-visitor.png", full_page=True)

    # Check-out from the phone shows up too.
    visitor.click("button.leave")
    web.check(visitor)
    desk.locator("#rows tr.closed", has_text="Nguyễn Thị Lan").wait_for(timeout=3000)
