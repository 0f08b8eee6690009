"""The officer in charge sets Gatebook up in a real browser, from the first-run link to a
printed poster that a phone opens straight to the check-in page."""

from __future__ import annotations

import re

import zxingcpp
from PIL import Image

from app.extensions import db
from app.store.models import Location
from tests.browser.test_visitor_phone import PHONE
from tests.browser.visual import border_contrasts, focus_contrasts
from tests.conftest import ADMIN_PASSWORD as STAFF_ADMIN_PASSWORD

ADMIN_PASSWORD = "mật-khẩu-quản-trị"
RECEPTIONIST_PASSWORD = "mật-khẩu-lễ-tân"


def test_first_admin_sets_up_entry_points_and_prints_a_poster(app, live_server, web,
                                                              output_dir):
    runner = app.test_cli_runner()
    printed = runner.invoke(args=["setup-link"]).output
    setup_url = re.search(r"(http://\S+/setup/\S+)", printed).group(1)

    page = web.page(viewport={"width": 1280, "height": 900})
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(setup_url)
    web.check(page)
    # Staff pages too: every control's border and focus ring stands out from its background.
    assert all(border["ratio"] >= 3 for border in border_contrasts(page))
    focus = focus_contrasts(page)
    assert len(focus) >= 4 and all(f["width"] >= 2 and f["ratio"] >= 3 for f in focus), focus
    page.fill("#username", "lan")
    page.fill("#password", ADMIN_PASSWORD)
    page.fill("#confirm", ADMIN_PASSWORD)
    page.click("button.primary")
    assert page.url.endswith("/dashboard/")
    web.check(page)

    page.goto(f"{live_server}/admin/users")
    web.check(page)
    page.fill("#username", "thu")
    page.select_option("#role", "receptionist")
    page.fill("#password", RECEPTIONIST_PASSWORD)
    page.fill("#confirm", RECEPTIONIST_PASSWORD)
    page.click("text=Thêm tài khoản >> nth=-1")
    web.check(page)
    assert "Đã tạo tài khoản thu." in page.content()

    page.goto(f"{live_server}/admin/locations/")
    web.check(page)
    for name in ("Bộ phận một cửa", "Cổng sau"):
        page.fill("#name", name)
        page.click("text=Thêm điểm vào >> nth=-1")
        web.check(page)
        assert f"Đã tạo điểm vào {name}." in page.content()
    page.screenshot(path=output_dir / "1-entry-points.png", full_page=True)

    row = page.locator("tr", has=page.locator("input[value='Bộ phận một cửa']"))
    row.get_by_role("link", name="Áp phích").click()
    web.check(page)
    page.emulate_media(media="print")
    page.wait_for_load_state("networkidle")
    poster = output_dir / "2-poster-printed.png"
    page.screenshot(path=poster, full_page=True)
    assert page.locator(".toolbar").is_hidden()  # nothing but the poster on paper
    pdf = page.pdf(format="A4", print_background=True)  # what the print dialog produces
    (output_dir / "2-poster.pdf").write_bytes(pdf)
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1, "the poster fits one A4 page"

    # The phone camera: read the QR code off the printed poster and open what it says.
    [scanned] = [r.text for r in zxingcpp.read_barcodes(Image.open(poster))]
    assert scanned.startswith(live_server + "/c/")
    visitor = web.page(**PHONE)
    visitor.goto(scanned)
    web.check(visitor)
    assert visitor.locator("h1").inner_text().startswith("Khai báo y tế")
    assert "Bộ phận một cửa" in visitor.locator(".place").inner_text()

    # The receptionist signs in and cannot reach any admin page.
    reception = web.page(viewport={"width": 1280, "height": 900})
    reception.goto(f"{live_server}/login")
    web.check(reception)
    reception.fill("#username", "thu")
    reception.fill("#password", RECEPTIONIST_PASSWORD)
    reception.click("button.primary")
    assert reception.url.endswith("/dashboard/")
    web.check(reception)
    assert reception.locator("a[href^='/admin']").count() == 0
    for admin_page in ("/admin/users", "/admin/locations/", "/admin/locations/1/poster"):
        response = reception.goto(live_server + admin_page)
        web.check(reception)
        assert response.status == 403
    reception.screenshot(path=output_dir / "3-receptionist-refused.png")


def test_a_poster_with_a_very_long_name_still_prints_on_one_page(app, staff, live_server,
                                                                  web, output_dir):
    long_name = "Bộ phận tiếp nhận và trả kết quả thủ tục hành chính một cửa liên thông " \
                "tầng 1 nhà B, số 12"
    with app.app_context():
        location = Location(name=long_name[:100])
        db.session.add(location)
        db.session.commit()
        location_id = location.id
    page = web.page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server}/login")
    web.check(page)
    page.fill("#username", "lan")
    page.fill("#password", STAFF_ADMIN_PASSWORD)
    page.click("button.primary")
    web.check(page)
    page.goto(f"{live_server}/admin/locations/{location_id}/poster")
    web.check(page)
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=True)
    (output_dir / "long-name-poster.pdf").write_bytes(pdf)
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1
    shot = output_dir / "long-name-poster.png"
    page.screenshot(path=shot, full_page=True)
    assert [r.text for r in zxingcpp.read_barcodes(Image.open(shot))] == [
        page.locator(".url").inner_text()]
