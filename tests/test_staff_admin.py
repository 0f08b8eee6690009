"""Admins manage staff accounts; the last active admin always stays."""

from __future__ import annotations

import re

import pytest
from werkzeug.security import check_password_hash

from app.extensions import db
from app.store.models import User
from tests.conftest import RECEPTIONIST_PASSWORD, password_hash
from tests.html_form import form_values


def _user(app, name: str) -> User:
    with app.app_context():
        return db.session.scalar(db.select(User).where(User.username == name))


def _flash(response) -> str:
    return response.get_data(as_text=True)


def _accounts_listed(html: str) -> dict[str, tuple[str, str]]:
    """{user name: (the role its form has selected, the status shown)}, row by row."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    listed = {}
    for row in body.split("<tr")[1:]:
        name = re.search(r'<th scope="row">(.*?)</th>', row).group(1)
        status = re.search(r"<span>(.*?)</span>", row).group(1)
        listed[name] = (form_values(row, "/role")["role"], status)
    return listed


def test_the_list_shows_every_account(app, admin):
    with app.app_context():
        db.session.add(User(username="cu.nhan.vien", role="receptionist", active=False,
                            password_hash=password_hash(RECEPTIONIST_PASSWORD)))
        db.session.commit()
    html = admin.client.get("/admin/users").get_data(as_text=True)
    assert _accounts_listed(html) == {"cu.nhan.vien": ("receptionist", "Đã khóa"),
                                      "lan": ("admin", "Đang hoạt động"),
                                      "thu": ("receptionist", "Đang hoạt động")}


@pytest.mark.real_password_hashing
def test_add_an_account(app, admin, browser_of):
    form = {"username": "mai.nguyen", "role": "receptionist", "password": "mật-khẩu-mới-1",
            "confirm": "mật-khẩu-mới-1"}
    response = admin.post("/admin/users", form, page="/admin/users", follow_redirects=True)
    assert "Đã tạo tài khoản mai.nguyen." in _flash(response)
    user = _user(app, "mai.nguyen")
    assert user.role == "receptionist" and user.password_hash.startswith("scrypt:131072:8:1$")
    assert browser_of().login("mai.nguyen", "mật-khẩu-mới-1").status_code == 302


@pytest.mark.parametrize(("data", "message"), [
    ({"username": "THU"}, "Tên đăng nhập THU đã được sử dụng."),
    ({"username": "Nguyễn An"}, "Tên đăng nhập gồm 2 đến 60"),
    ({"password": "ngắn", "confirm": "ngắn"}, "Mật khẩu phải có ít nhất 10 ký tự."),
    ({"confirm": "something else"}, "Mật khẩu nhập lại không khớp."),
    ({"role": "boss"}, "Chọn vai trò: quản trị viên, lễ tân hoặc cán bộ y tế."),
])
def test_bad_new_accounts_are_refused_beside_the_field(app, admin, data, message):
    form = {"username": "mai", "role": "receptionist", "password": "mật-khẩu-mới-1",
            "confirm": "mật-khẩu-mới-1", **data}
    response = admin.post("/admin/users", form, page="/admin/users")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(User.id))) == 2


def test_change_a_role(app, admin, staff):
    admin.post(f"/admin/users/{staff['thu']}/role", {"role": "admin"})
    assert _user(app, "thu").role == "admin"
    admin.post(f"/admin/users/{staff['thu']}/role", {"role": "receptionist"})
    assert _user(app, "thu").role == "receptionist"
    admin.post(f"/admin/users/{staff['thu']}/role", {"role": "health_officer"})
    assert _user(app, "thu").role == "health_officer"
    html = admin.client.get("/admin/users").get_data(as_text=True)
    assert _accounts_listed(html)["thu"] == ("health_officer", "Đang hoạt động")


def test_an_admin_adds_a_health_officer(app, admin, browser_of):
    page = admin.client.get("/admin/users").get_data(as_text=True)
    new_account = page.split("<section", 1)[1]
    assert re.findall(r'<option value="([a-z_]+)"[^>]*>([^<]+)</option>', new_account) == [
        ("receptionist", "Lễ tân"), ("health_officer", "Cán bộ y tế"),
        ("admin", "Quản trị viên")]
    form = {"username": "can.bo.yte", "role": "health_officer", "password": "mật-khẩu-mới-1",
            "confirm": "mật-khẩu-mới-1"}
    response = admin.post("/admin/users", form, page="/admin/users", follow_redirects=True)
    assert "Đã tạo tài khoản can.bo.yte." in _flash(response)
    assert _user(app, "can.bo.yte").role == "health_officer"
    signed_in = browser_of().login("can.bo.yte", "mật-khẩu-mới-1")
    assert signed_in.headers["Location"] == "/admin/export"


def test_deactivate_signs_the_account_out_and_reactivate_lets_it_back(app, admin, staff,
                                                                      browser_of):
    receptionist = browser_of()
    receptionist.login_receptionist()
    admin.post(f"/admin/users/{staff['thu']}/deactivate")
    assert _user(app, "thu").active is False
    assert receptionist.client.get("/dashboard/").status_code == 302
    assert browser_of().login("thu", RECEPTIONIST_PASSWORD).status_code == 200
    admin.post(f"/admin/users/{staff['thu']}/reactivate")
    assert browser_of().login("thu", RECEPTIONIST_PASSWORD).status_code == 302


def test_reset_a_password(app, admin, staff, browser_of):
    receptionist = browser_of()
    receptionist.login_receptionist()
    response = admin.post(f"/admin/users/{staff['thu']}/password",
                          {"password": "mật-khẩu-mới-2", "confirm": "mật-khẩu-mới-2"},
                          follow_redirects=True)
    assert "Đã lưu thay đổi cho thu." in _flash(response)
    assert check_password_hash(_user(app, "thu").password_hash, "mật-khẩu-mới-2")
    assert receptionist.client.get("/dashboard/").status_code == 302  # signed out everywhere
    short = admin.post(f"/admin/users/{staff['thu']}/password",
                       {"password": "ngắn", "confirm": "ngắn"}, follow_redirects=True)
    assert "Mật khẩu phải có ít nhất 10 ký tự." in _flash(short)
    assert check_password_hash(_user(app, "thu").password_hash, "mật-khẩu-mới-2")


@pytest.mark.parametrize(("action", "data"), [("deactivate", {}),
                                              ("role", {"role": "receptionist"}),
                                              ("role", {"role": "health_officer"})])
def test_the_last_active_admin_cannot_be_deactivated_or_demoted(app, admin, staff, action, data):
    response = admin.post(f"/admin/users/{staff['lan']}/{action}", data, follow_redirects=True)
    assert "lan là quản trị viên cuối cùng đang hoạt động" in _flash(response)
    lan = _user(app, "lan")
    assert lan.active and lan.role == "admin"


def test_with_a_second_admin_the_first_can_step_down(app, admin, staff, browser_of):
    admin.post(f"/admin/users/{staff['thu']}/role", {"role": "admin"})
    admin.post(f"/admin/users/{staff['lan']}/role", {"role": "receptionist"})
    assert _user(app, "lan").role == "receptionist"
    # ...and now "thu" is the last admin.
    thu = browser_of()
    thu.login("thu", RECEPTIONIST_PASSWORD)
    refused = thu.post(f"/admin/users/{staff['thu']}/deactivate", follow_redirects=True)
    assert "thu là quản trị viên cuối cùng đang hoạt động" in _flash(refused)
    assert _user(app, "thu").active


def test_a_deactivated_admin_does_not_count_as_the_remaining_admin(app, admin, staff):
    with app.app_context():
        db.session.execute(db.update(User).where(User.username == "thu")
                           .values(role="admin", active=False))
        db.session.commit()
    refused = admin.post(f"/admin/users/{staff['lan']}/deactivate", follow_redirects=True)
    assert "lan là quản trị viên cuối cùng đang hoạt động" in _flash(refused)
    assert _user(app, "lan").active


def test_unknown_account_is_404(admin):
    assert admin.post("/admin/users/999/deactivate").status_code == 404

