"""Admins manage entry points and print their posters; the QR code opens the check-in page."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from PIL import Image

from app.extensions import db
from app.store.models import Location
from tests.conftest import Phone, visits


def _location(app, name: str) -> Location:
    with app.app_context():
        return db.session.scalar(db.select(Location).where(Location.name == name))


def _decode_png(png: bytes) -> tuple[list[str], tuple]:
    image = Image.open(io.BytesIO(png))
    return [result.text for result in zxingcpp.read_barcodes(image)], image.info.get("dpi")


PUBLIC_URL = "https://vao.example.vn"


def test_add_two_entry_points_and_see_them_listed(staff_app_admin):
    app, admin = staff_app_admin(PUBLIC_URL=PUBLIC_URL)
    for name in ("Bộ phận một cửa", "Cổng sau"):
        response = admin.post("/admin/locations/", {"name": f"  {name} "},
                              page="/admin/locations/", follow_redirects=True)
        assert f"Đã tạo điểm vào {name}." in response.get_data(as_text=True)
    html = admin.client.get("/admin/locations/").get_data(as_text=True)
    for name in ("Cổng chính", "Bộ phận một cửa", "Cổng sau"):
        location = _location(app, name)
        assert location.active
        assert f"<code>{PUBLIC_URL}/c/{location.token}</code>" in html
    assert "Chưa cấu hình địa chỉ công khai" not in html


def test_without_a_public_url_the_list_says_how_to_set_it(app, admin):
    location = _location(app, "Cổng chính")
    html = admin.client.get("/admin/locations/").get_data(as_text=True)
    assert "Chưa cấu hình địa chỉ công khai" in html and "GATEBOOK_PUBLIC_URL" in html
    # The path alone: never the host the request named (the test client's is "localhost").
    assert f"<code>/c/{location.token}</code>" in html and "localhost" not in html


@pytest.mark.parametrize(("name", "message"), [("   ", "Nhập tên điểm vào."),
                                               ("X" * 101, "Nhập tối đa 100 ký tự (hiện có 101).")])
def test_a_bad_name_is_refused(app, admin, name, message):
    response = admin.post("/admin/locations/", {"name": name}, page="/admin/locations/")
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Location.id))) == 1


@pytest.mark.parametrize("name", ["Cổng chính", "  cổng CHÍNH ", "Cong Chinh"])
def test_a_name_an_entry_point_already_has_is_refused(app, admin, name):
    response = admin.post("/admin/locations/", {"name": name}, page="/admin/locations/")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Đã có điểm vào tên Cổng chính: vui lòng chọn tên khác." in html
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Location.id))) == 1


def test_a_closed_entry_point_keeps_its_name(app, admin):
    """A closed point can be reopened, and its visits are still listed under its name."""
    location = _location(app, "Cổng chính")
    admin.post(f"/admin/locations/{location.id}/deactivate", page="/admin/locations/")
    response = admin.post("/admin/locations/", {"name": "cổng chính"}, page="/admin/locations/")
    assert response.status_code == 400
    assert "Đã có điểm vào tên Cổng chính (đã đóng)" in response.get_data(as_text=True)


def test_renaming_to_another_entry_points_name_is_refused(app, admin):
    admin.post("/admin/locations/", {"name": "Cổng sau"}, page="/admin/locations/")
    back = _location(app, "Cổng sau")
    response = admin.post(f"/admin/locations/{back.id}/rename", {"name": "CONG CHÍNH"},
                          page="/admin/locations/", follow_redirects=True)
    assert "Đã có điểm vào tên Cổng chính: vui lòng chọn tên khác." in \
        response.get_data(as_text=True)
    assert _location(app, "Cổng sau") is not None
    # A point's own name, written differently, is no clash.
    main = _location(app, "Cổng chính")
    admin.post(f"/admin/locations/{main.id}/rename", {"name": "CỔNG CHÍNH"},
               page="/admin/locations/")
    assert _location(app, "CỔNG CHÍNH").id == main.id


def test_todays_count_per_entry_point(app, admin, client, clock):
    Phone(client).check_in()
    Phone(client).check_in(symptom_cough="yes")  # a corrected declaration is still one visit
    Phone(app.test_client()).check_in(full_name="Trần Thị Mai", phone="0987654321")
    clock.advance(days=1)
    Phone(app.test_client()).check_in(full_name="Lê Văn Cường", phone="0971234567")
    html = admin.client.get("/admin/locations/").get_data(as_text=True)
    assert re.search(r'<td class="number">1</td>', html)  # yesterday's two are not today's
    clock.advance(days=-1)
    html = admin.client.get("/admin/locations/").get_data(as_text=True)
    assert re.search(r'<td class="number">2</td>', html)
    dashboard = admin.client.get("/dashboard/").get_data(as_text=True)
    assert re.search(r"Người vào hôm nay</dt><dd>2</dd>", dashboard)


def test_rename_keeps_the_qr_code(app, admin):
    location = _location(app, "Cổng chính")
    admin.post(f"/admin/locations/{location.id}/rename", {"name": "Cổng chính (Phố Huế)"},
               page="/admin/locations/")
    renamed = _location(app, "Cổng chính (Phố Huế)")
    assert renamed.token == location.token


def test_close_and_reopen_an_entry_point(app, admin, client):
    location = _location(app, "Cổng chính")
    admin.post(f"/admin/locations/{location.id}/deactivate", page="/admin/locations/")
    assert client.get(f"/c/{location.token}").status_code == 404
    admin.post(f"/admin/locations/{location.id}/reactivate", page="/admin/locations/")
    assert client.get(f"/c/{location.token}").status_code == 200


def test_rotating_the_token_replaces_the_qr_code(staff_app_admin):
    app, admin = staff_app_admin(PUBLIC_URL=PUBLIC_URL)
    phone = Phone(app.test_client(), _location(app, "Cổng chính").token)
    done_url = phone.check_in().headers["Location"]
    old = _location(app, "Cổng chính")
    old_png = admin.client.get(f"/admin/locations/{old.id}/qr.png").data
    assert _decode_png(old_png)[0] == [f"{PUBLIC_URL}/c/{old.token}"]

    admin.post(f"/admin/locations/{old.id}/rotate", page="/admin/locations/")
    new = _location(app, "Cổng chính")
    assert new.token != old.token
    replaced = Phone(app.test_client()).client.get(f"/c/{old.token}")
    assert replaced.status_code == 410
    assert "Mã QR này đã được thay" in replaced.get_data(as_text=True)
    assert Phone(app.test_client(), new.token).check_in().status_code == 302
    new_png = admin.client.get(f"/admin/locations/{new.id}/qr.png").data
    assert _decode_png(new_png)[0] == [f"{PUBLIC_URL}/c/{new.token}"]
    # A visitor who checked in before the change can still see and close their visit.
    assert "Ra về" in phone.client.get(done_url).get_data(as_text=True)
    assert len(visits(app)) == 2


def test_the_png_decodes_to_the_public_url_and_prints_at_300_dpi(staff_app_admin):
    app, admin = staff_app_admin(PUBLIC_URL=PUBLIC_URL)
    location = _location(app, "Cổng chính")
    response = admin.client.get(f"/admin/locations/{location.id}/qr.png")
    assert response.mimetype == "image/png"
    assert "attachment" in response.headers["Content-Disposition"]
    texts, dpi = _decode_png(response.data)
    assert texts == [f"{PUBLIC_URL}/c/{location.token}"]
    assert dpi and round(dpi[0]) >= 300
    width = Image.open(io.BytesIO(response.data)).width
    assert width / 300 * 2.54 >= 15  # at least 15 cm wide at 300 dpi
    page = admin.client.get(f"/admin/locations/{location.id}/poster").get_data(as_text=True)
    assert "Chưa cấu hình địa chỉ công khai" not in page


def test_the_svg_holds_the_qr_code(staff_app_admin):
    app, admin = staff_app_admin(PUBLIC_URL=PUBLIC_URL)
    location = _location(app, "Cổng chính")
    response = admin.client.get(f"/admin/locations/{location.id}/qr.svg")
    assert response.mimetype == "image/svg+xml"
    body = response.get_data(as_text=True)
    assert body.startswith("<?xml") and "<svg" in body and "<path" in body


def test_the_poster_page(staff_app_admin):
    app, admin = staff_app_admin(PUBLIC_URL=PUBLIC_URL)
    location = _location(app, "Cổng chính")
    html = admin.client.get(f"/admin/locations/{location.id}/poster").get_data(as_text=True)
    assert "Phường Tràng Tiền" in html  # the organisation
    assert '<h1 class="place">Cổng chính</h1>' in html
    assert "Quét mã QR để khai báo y tế khi vào" in html
    assert "Khi ra về, quét lại mã này và bấm" in html  # leaving is a scan and a tap
    assert "Thông điệp 5K" in html and "The 5K message" in html  # the health notice
    assert "lưu 21 ngày" in html
    assert f'<span class="url">{PUBLIC_URL}/c/{location.token}</span>' in html
    assert f'src="/admin/locations/{location.id}/qr.svg"' in html
    assert "poster.css" in html and "staff-nav" not in html  # no navigation on the print
    assert "Chưa cấu hình địa chỉ công khai" not in html


def test_without_a_public_url_the_poster_has_no_qr_code_and_says_how_to_set_it(app, admin):
    location = _location(app, "Cổng chính")
    html = admin.client.get(f"/admin/locations/{location.id}/poster").get_data(as_text=True)
    assert '<h1 class="place">Cổng chính</h1>' in html
    assert "Chưa cấu hình địa chỉ công khai" in html and "GATEBOOK_PUBLIC_URL" in html
    assert "qr.svg" not in html and location.token not in html and "localhost" not in html
    for image in ("qr.svg", "qr.png"):
        assert admin.client.get(f"/admin/locations/{location.id}/{image}").status_code == 404
