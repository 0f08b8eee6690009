"""A visitor on a phone-sized browser checks in and out, with and without JavaScript."""

from __future__ import annotations

import pytest

from tests.browser.conftest import answer_declaration
from tests.conftest import visits

PHONE = {"viewport": {"width": 360, "height": 780}, "is_mobile": True, "has_touch": True}


def _fill_identity(page) -> None:
    page.fill("#full_name", "Nguyễn Văn An")
    page.fill("#phone", "0912 345 678")
    page.fill("#birth_year", "1985")
    page.check("#gender-0")
    page.select_option("#province", "Hà Nội")


def _commit(page) -> None:
    page.check("#confirm_true")
    page.check("#consent")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_visitor_checks_in_and_out_on_a_phone(app, live_server, browser, output_dir, javascript):
    context = browser.new_context(**PHONE, java_script_enabled=javascript)
    page = context.new_page()
    page.goto(f"{live_server}/c/gate-token-0001")
    assert page.locator("h1").inner_text() == "Khai báo y tế"
    # Nothing is wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=output_dir / "1-form.png", full_page=True)

    page.click("button.primary")  # empty: every required answer is asked for, beside its field
    assert page.locator("#full_name-error").inner_text() == "Nhập họ và tên."
    assert page.locator("#symptom_fever-error").inner_text() == "Vui lòng trả lời Có hoặc Không."

    _fill_identity(page)
    page.check("#none_of_these")
    if javascript:  # the one control answers No to every question at once
        assert page.locator("#symptom_fever-1").is_checked()
    _commit(page)
    page.check("#remember")
    page.click("button.primary")
    assert page.locator("h1").inner_text() == "Khai báo thành công"
    assert "Nguyễn Văn An" in page.locator(".confirmation").inner_text()
    page.screenshot(path=output_dir / "2-checked-in.png", full_page=True)

    page.click("text=Ra về")
    assert page.locator("h1").inner_text() == "Đã ra về"
    assert "Giờ ra" in page.locator(".confirmation").inner_text()
    page.screenshot(path=output_dir / "3-checked-out.png", full_page=True)

    # Back again later: the details come from this phone; declare and commit, and in.
    page.goto(f"{live_server}/c/gate-token-0001?new=1")
    assert page.locator("#full_name").input_value() == "Nguyễn Văn An"
    page.check("#none_of_these")
    _commit(page)
    page.click("button.primary")
    assert page.locator("h1").inner_text() == "Khai báo thành công"
    context.close()

    first, second = visits(app)
    assert (first.full_name, first.phone, first.checkout_by) == ("Nguyễn Văn An", "0912345678",
                                                                 "visitor")
    assert second.full_name == "Nguyễn Văn An" and second.checked_out_at is None


def test_visitor_switches_to_english(app, live_server, browser, output_dir):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{live_server}/c/gate-token-0001")
    page.click("text=English")
    assert page.locator("h1").inner_text() == "Health declaration"
    _fill_identity(page)
    answer_declaration(page, yes="symptom_cough")  # flagged
    _commit(page)
    page.click("button.primary")
    assert page.locator("h1").inner_text() == "You are checked in"
    assert "Please tell the staff" in page.locator(".flagged").inner_text()
    page.screenshot(path=output_dir / "checked-in-en.png", full_page=True)
    page.click("text=Check out now")
    assert page.locator("h1").inner_text() == "You are checked out"
    context.close()
    [visit] = visits(app)
    assert visit.flagged and visit.declaration["symptoms"]["cough"] is True
