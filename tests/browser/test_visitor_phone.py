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


def _send(page) -> None:
    page.click("button.primary >> nth=-1")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_visitor_checks_in_and_out_on_a_phone(app, live_server, web, output_dir, javascript):
    page = web.page(javascript=javascript, **PHONE)
    page.goto(f"{live_server}/c/gate-token-0001")
    web.check(page)
    assert page.locator("h1").inner_text().startswith("Khai báo y tế")
    # Nothing is wider than the phone's screen.
    assert page.locator("body").bounding_box()["width"] <= 360
    page.screenshot(path=output_dir / "1-form.png", full_page=True)

    _send(page)  # empty: every required answer is asked for, beside its field
    web.check(page)
    assert page.locator("#full_name-error").inner_text() == "Nhập họ và tên."
    assert "Vui lòng trả lời Có hoặc Không" in page.locator("#declaration-error").inner_text()

    _fill_identity(page)
    page.check("#none_of_these")
    if javascript:  # the one control answers No to every question at once
        assert page.locator("#symptom_fever-1").is_checked()
    _commit(page)
    page.check("#remember")
    _send(page)
    web.check(page)
    assert page.locator("h1").inner_text() == "Khai báo thành công — mời anh/chị vào"
    assert "Nguyễn Văn An" in page.locator(".pass.cleared").inner_text()
    page.screenshot(path=output_dir / "2-checked-in.png", full_page=True)

    page.click("button.leave")
    web.check(page)
    assert page.locator("h1").inner_text() == "Anh/chị đã ra về"
    page.screenshot(path=output_dir / "3-checked-out.png", full_page=True)

    # Back again later: this phone remembers the visitor; one tap and in.
    page.goto(f"{live_server}/c/gate-token-0001")
    web.check(page)
    page.click("button[name=one_tap]")
    web.check(page)
    assert page.locator("h1").inner_text() == "Khai báo thành công — mời anh/chị vào"

    first, second = visits(app)
    assert (first.full_name, first.phone, first.checkout_by) == ("Nguyễn Văn An", "0912345678",
                                                                 "visitor")
    assert second.full_name == "Nguyễn Văn An" and second.checked_out_at is None


def test_visitor_switches_to_english(app, live_server, web, output_dir):
    page = web.page(**PHONE)
    page.goto(f"{live_server}/c/gate-token-0001")
    web.check(page)
    page.click("text=English")
    web.check(page)
    assert page.locator("h1").inner_text().startswith("Health declaration")
    _fill_identity(page)
    answer_declaration(page, yes="symptom_cough")  # flagged
    _commit(page)
    _send(page)
    web.check(page)
    assert page.locator("h1").inner_text() == "Please see the staff at the reception desk"
    assert "Show this screen to the staff" in page.locator(".pass.flagged").inner_text()
    page.screenshot(path=output_dir / "checked-in-en.png", full_page=True)
    page.click("button.leave")
    web.check(page)
    assert page.locator("h1").inner_text() == "You have left"
    [visit] = visits(app)
    assert visit.flagged and visit.declaration["symptoms"]["cough"] is True
