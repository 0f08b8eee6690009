"""The admin sets up the daily delivery in a real browser and presses Gửi thử; every page
state is checked with axe."""

from __future__ import annotations

from tests.browser.conftest import admin_desk
from tests.conftest import Phone
from tests.test_delivery import (  # noqa: F401 - the app sending through a local mail server
    FILE_PASSWORD,
    RECIPIENTS,
    app,
    attachment_of,
    decrypt,
    inbox,
    smtp_port,
)


def test_the_admin_sets_up_the_delivery_and_sends_a_test(app, staff, live_server, web, inbox,  # noqa: F811
                                                         clock, output_dir):
    Phone(app.test_client()).check_in()
    clock.advance(days=1)  # yesterday's file has the visit
    page = admin_desk(web, live_server)
    page.goto(f"{live_server}/admin/export")
    web.check(page)
    page.click("text=Gửi e-mail hằng ngày")
    web.check(page)
    assert "Chưa có lần gửi hằng ngày nào" in page.content()

    page.check("#enabled")
    page.fill("#recipients", "\n".join(RECIPIENTS))
    page.fill("#send_at", "7:30")
    page.fill("#password", "ngắn")
    page.click("button.primary")
    web.check(page)
    assert "Dùng từ 8 đến 100 ký tự." in page.content()  # nothing saved, said beside the box

    page.fill("#password", FILE_PASSWORD)
    page.click("button.primary")
    web.check(page)
    assert "Đã lưu." in page.content()
    assert page.input_value("#send_at") == "07:30" and page.input_value("#password") == ""
    assert FILE_PASSWORD not in page.content()

    page.click("button:has-text('Gửi thử')")
    web.check(page)
    assert "Đã gửi tệp ngày 14/07/2021 cho" in page.content()
    page.screenshot(path=output_dir / "delivery.png", full_page=True)
    assert sorted(to[0] for to, _ in inbox.messages) == sorted(RECIPIENTS)
    decrypt(attachment_of(inbox.messages[0][1]), FILE_PASSWORD)
