"""Staff entry in real Chromium: a USB scanner types a CCCD and presses Enter, the cursor waits
in the first empty field, a phone already inside is pointed out as it is typed; the desk's
keys; and the blank paper slips print as one A4 sheet of two."""

from __future__ import annotations

import re

from tests.conftest import ADMIN_PASSWORD, RECEPTIONIST_PASSWORD, Phone, visits

CCCD = ("001085012345|012345678|Nguyễn Văn An|15031985|Nam|"
        "Thôn 3, Xã Tân Lập, Huyện Đan Phượng, Thành phố Hà Nội|20042021")


def _sign_in(pages, live_server, username: str, password: str, width: int = 1366):
    page = pages(viewport={"width": width, "height": 768})
    page.goto(f"{live_server}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button.primary")
    page.wait_for_url("**/dashboard/")
    page.wait_for_load_state()
    return page


def _focused(page) -> str:
    return page.evaluate("() => document.activeElement.id")


def test_a_scan_then_the_keyboard(app, staff, clock, live_server, pages, output_dir):
    Phone(app.test_client()).check_in(full_name="Trần Văn Bình", phone="0987654321",
                                      id_number="")
    page = _sign_in(pages, live_server, "thu", RECEPTIONIST_PASSWORD)
    page.keyboard.press("n")  # the desk's key for manual entry
    page.wait_for_url("**/dashboard/new")
    assert _focused(page) == "cccd"
    page.keyboard.type(CCCD)  # what a USB scanner does: types the code, then Enter
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert _focused(page) == "phone"
    assert page.input_value("#full_name") == "Nguyễn Văn An"
    assert page.input_value("#province") == "Hà Nội"
    assert page.input_value("#ward") == "Xã Tân Lập, Huyện Đan Phượng"
    assert page.input_value("#street") == "Thôn 3"
    page.keyboard.type("0987 654 321")  # someone already inside has this phone
    page.keyboard.press("Tab")
    warning = page.locator("#inside-warning .already-inside")
    warning.wait_for(timeout=3000)
    assert "Trần Văn Bình" in warning.inner_text() and "08:30" in warning.inner_text()
    page.screenshot(path=output_dir / "1-scanned-and-warned.png", full_page=True)
    page.check("#none_of_these")
    page.check("#confirm_true")
    page.check("#consent")
    page.click("button.primary")
    assert "Nguyễn Văn An" in page.locator(".flash.success").inner_text()
    assert "Trần Văn Bình đã ở bên trong từ trước" in page.locator(".flash.warning").inner_text()
    [_earlier, entered] = visits(app)
    assert (entered.phone, entered.ward, entered.source) == ("0987654321",
                                                              "Xã Tân Lập, Huyện Đan Phượng",
                                                              "staff")


def test_the_desks_keys(app, staff, clock, live_server, pages):
    Phone(app.test_client()).check_in()
    Phone(app.test_client()).check_in(full_name="Trần Thị Mai", phone="0987654321",
                                      id_number="")
    page = _sign_in(pages, live_server, "thu", RECEPTIONIST_PASSWORD)
    assert "Phím tắt:" in page.locator(".shortcuts").inner_text()
    page.keyboard.press("/")
    assert _focused(page) == "q"
    page.keyboard.type("tran thi")
    page.wait_for_function("() => document.querySelectorAll('#rows tr[data-key]').length === 1")
    assert "Trần Thị Mai" in page.locator("#rows").inner_text()
    page.keyboard.press("Escape")
    # The chart is folded; opened, it is fetched, and the poll then keeps it fresh.
    page.click("summary:has-text('Lượt vào theo giờ')")
    page.locator("#chart").wait_for()
    assert page.locator("#chart rect.bar").count() == 24
    assert page.locator("#chart title", has_text="08:00: 2").count() == 1
    Phone(app.test_client()).check_in(full_name="Lê Văn Cường", phone="0971234567",
                                      id_number="")
    page.locator("#chart title", has_text="08:00: 3").wait_for(state="attached", timeout=5000)
    page.keyboard.press("p")
    page.wait_for_url("**/dashboard/paper")
    assert page.locator("h1").inner_text() == "Nhập phiếu giấy"


def test_the_blank_slips_print_as_one_a4_sheet(app, staff, live_server, pages, output_dir):
    page = _sign_in(pages, live_server, "lan", ADMIN_PASSWORD)
    page.goto(f"{live_server}/admin/locations/")
    page.click("text=Phiếu giấy để in")
    page.wait_for_url(re.compile(r".*/dashboard/paper/slip/\d+"))
    page.emulate_media(media="print")
    assert page.locator(".toolbar").is_hidden()
    assert page.locator("article.slip").count() == 2
    # Nothing on a slip is cut off: each holds all it says.
    overflowing = page.eval_on_selector_all(
        "article.slip", "slips => slips.filter(s => s.scrollHeight > s.clientHeight).length")
    assert overflowing == 0
    page.screenshot(path=output_dir / "slips-printed.png", full_page=True)
    pdf = page.pdf(format="A4", print_background=True)  # what the print dialog produces
    (output_dir / "slips.pdf").write_bytes(pdf)
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1, "two slips, one A4 page"
