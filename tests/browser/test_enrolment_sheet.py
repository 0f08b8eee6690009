"""The enrolment sheet in a real browser: reloaded, or come back to after another page, it
shows the codes it was printed with, and those still enrol a phone."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.store.models import Employee
from tests.browser.conftest import printed_sheet
from tests.browser.test_employee_phone import _qr_codes_of_pdf
from tests.browser.test_gate import PHONE


@pytest.mark.parametrize("again", ["reload", "back"])
def test_the_sheet_shown_again_keeps_its_printed_codes(app, staff, live_server, web, again):
    with app.app_context():
        db.session.add_all([
            Employee(code="BV-07", full_name="Phan Văn Gác", department="Bảo vệ",
                     phone="0912000007"),
            Employee(code="BV-08", full_name="Đinh Thị Canh", department="Bảo vệ",
                     phone="0912000008")])
        db.session.commit()
    desk = printed_sheet(web, live_server, "Bảo vệ")
    printed = sorted(_qr_codes_of_pdf(desk.pdf(format="A4")))
    assert len(printed) == 2

    if again == "reload":
        desk.reload()
    else:
        desk.click("text=← Nhân viên")
        web.check(desk)
        desk.go_back()
    web.check(desk)
    assert sorted(_qr_codes_of_pdf(desk.pdf(format="A4"))) == printed

    for code in printed:  # each printed code still enrols a phone
        phone = web.page(**PHONE)
        phone.goto(code)
        web.check(phone)
        phone.click("button.primary")
        web.check(phone)
        assert phone.locator("h1").inner_text() == "Điện thoại đã được đăng ký"
