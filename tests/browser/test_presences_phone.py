"""A visitor's phone at 360×740 moves through the building: in at the gate, one tap at the
one-stop counter's poster (moved), one tap at the gate's poster (out); the receptionist's
dashboard, open meanwhile, shows each step within 3 seconds without a reload."""

from __future__ import annotations

from app.extensions import db
from app.store.models import Location, PointKind
from tests.browser.test_dashboard_live import _check_in, open_desk
from tests.browser.test_gate import PHONE

STEP_MS = 3000


def test_a_stay_moves_from_the_gate_to_the_counter_and_out(app, staff, live_server, web,
                                                         output_dir):
    with app.app_context():
        db.session.add(Location(name="Bộ phận một cửa", token="counter-token-02",
                                kind=PointKind.INNER))
        db.session.commit()
    desk = open_desk(web, live_server)

    phone = web.page(**PHONE)
    phone.goto(f"{live_server}/c/gate-token-0001")
    _check_in(web, phone, "Nguyễn Thị Lan", "0912000111", cough=False)
    row = desk.locator("#rows tr", has_text="Nguyễn Thị Lan")
    row.wait_for(timeout=STEP_MS)
    assert row.locator("td.place").inner_text() == "Cổng chính"

    # At the counter's poster: the move is the one large button.
    phone.goto(f"{live_server}/c/counter-token-02")
    web.check(phone)
    phone.screenshot(path=output_dir / "1-counter-poster.png", full_page=True)
    taps = phone.locator("button.primary")
    assert taps.count() == 1 and taps.inner_text() == "Tôi đang ở Bộ phận một cửa"
    taps.click()
    web.check(phone)
    assert "Đang ở Bộ phận một cửa từ" in phone.locator(".pass").inner_text()
    phone.screenshot(path=output_dir / "2-at-the-counter.png", full_page=True)
    desk.locator("#rows tr td.place", has_text="Cổng chính → Bộ phận một cửa").wait_for(
        timeout=STEP_MS)

    # Back at the gate's poster: leaving is the one tap.
    phone.goto(f"{live_server}/c/gate-token-0001")
    web.check(phone)
    assert phone.locator("button.primary").inner_text() == "Ra về"
    phone.click("button.primary")
    web.check(phone)
    assert "Anh/chị đã ra về" in phone.locator("h1").inner_text()
    desk.locator("#rows tr.closed", has_text="Nguyễn Thị Lan").wait_for(timeout=STEP_MS)
    assert desk.evaluate("window.loadedAt") == desk.evaluate("performance.timeOrigin")
    web.check(desk)  # the page as the poll has made it
    desk.screenshot(path=output_dir / "3-desk.png", full_page=True)
