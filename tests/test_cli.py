"""The command-line tasks, through Flask's CLI runner."""

from __future__ import annotations

import pytest
from werkzeug.security import check_password_hash

from app.extensions import db
from app.store.models import Location, User


def _locations(app):
    with app.app_context():
        return db.session.scalars(db.select(Location).order_by(Location.id)).all()


def test_add_location_creates_it_and_prints_its_url(app, runner):
    result = runner.invoke(args=["add-location", "  Bộ phận một cửa  ", "--base-url",
                                 "http://192.168.1.10:8000"])
    assert result.exit_code == 0, result.output
    new = _locations(app)[-1]
    assert new.name == "Bộ phận một cửa" and new.active
    assert len(new.token) >= 22  # 128 random bits
    assert result.output.strip() == f"Bộ phận một cửa: http://192.168.1.10:8000/c/{new.token}"


def test_without_a_base_url_the_path_is_printed_and_how_to_set_one(app, runner):
    result = runner.invoke(args=["add-location", "Cổng sau"])
    assert result.exit_code == 0, result.output
    token = _locations(app)[-1].token
    assert result.stdout.strip() == f"Cổng sau: /c/{token}"  # never a made-up host or port
    assert "GATEBOOK_PUBLIC_URL" in result.stderr and "--base-url" in result.stderr
    listed = runner.invoke(args=["locations"])
    assert ":5000" not in listed.output and f"Cổng sau: /c/{token}" in listed.stdout


def test_the_base_url_given_comes_before_the_public_url(make_app):
    app = make_app(PUBLIC_URL="https://vao.example.vn")
    with app.app_context():
        db.create_all()
    runner = app.test_cli_runner()
    runner.invoke(args=["add-location", "Cổng sau"])
    token = _locations(app)[0].token
    assert runner.invoke(args=["locations"]).output.strip() == (
        f"Cổng sau: https://vao.example.vn/c/{token}")
    given = runner.invoke(args=["locations", "--base-url", "http://10.0.0.5:8080"])
    assert given.output.strip() == f"Cổng sau: http://10.0.0.5:8080/c/{token}"
    wrong = runner.invoke(args=["locations", "--base-url", "vao.example.vn"])
    assert wrong.exit_code != 0 and "http://" in wrong.output


def test_an_entry_point_name_with_control_characters_is_refused(app, runner):
    for name in ("Cổng\x00sau", "Cổng \u202esau"):
        result = runner.invoke(args=["add-location", name])
        assert result.exit_code != 0 and "ký tự đặc biệt" in result.output
    assert len(_locations(app)) == 1


def test_the_older_default_base_url_option_still_gives_way_to_the_public_url(make_app):
    app = make_app(PUBLIC_URL="https://vao.example.vn/")
    with app.app_context():
        db.create_all()
    result = app.test_cli_runner().invoke(
        args=["add-location", "Cổng sau", "--default-base-url", "http://0.0.0.0:8000"])
    token = _locations(app)[0].token
    assert f"Cổng sau: https://vao.example.vn/c/{token}" in result.output


def test_add_location_if_none_only_creates_the_first(app, runner):
    result = runner.invoke(args=["add-location", "Cổng chính", "--if-none"])
    assert result.exit_code == 0 and result.output == ""
    assert len(_locations(app)) == 1


def test_add_location_refuses_an_empty_name(app, runner):
    result = runner.invoke(args=["add-location", "   "])
    assert result.exit_code != 0 and "Nhập tên điểm vào." in result.output
    assert len(_locations(app)) == 1


def test_add_location_refuses_a_name_already_taken(app, runner):
    result = runner.invoke(args=["add-location", "cổng chính"])
    assert result.exit_code != 0
    assert "Đã có điểm vào tên Cổng chính: vui lòng chọn tên khác." in result.output
    assert len(_locations(app)) == 1


def test_locations_lists_every_entry_point_with_its_url(app, runner):
    runner.invoke(args=["add-location", "Cổng sau"])
    with app.app_context():
        db.session.execute(db.update(Location).where(Location.name == "Cổng sau")
                           .values(active=False))
        db.session.commit()
    result = runner.invoke(args=["locations", "--default-base-url", "http://192.168.1.10:5000"])
    assert result.exit_code == 0
    lines = result.stdout.strip().splitlines()
    tokens = [loc.token for loc in _locations(app)]
    assert lines == [f"Cổng chính: http://192.168.1.10:5000/c/{tokens[0]}",
                     f"Cổng sau (deactivated): http://192.168.1.10:5000/c/{tokens[1]}"]


@pytest.mark.real_password_hashing
def test_create_user_reads_the_password_from_stdin(app, runner):
    result = runner.invoke(args=["create-user", "thu", "--role", "receptionist",
                                 "--password-stdin"], input="mật khẩu đủ dài\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == "thu"))
    assert user.role == "receptionist" and user.active
    assert user.password_hash.startswith("scrypt:131072:8:1$")
    assert check_password_hash(user.password_hash, "mật khẩu đủ dài")


def test_create_user_makes_a_health_officer(app, runner):
    result = runner.invoke(args=["create-user", "hoa", "--role", "health_officer",
                                 "--password-stdin"], input="mật khẩu đủ dài\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(db.select(User.role).where(User.username == "hoa")) == (
            "health_officer")


def test_create_user_prompts_for_the_password_twice(app, runner):
    result = runner.invoke(args=["create-user", "lan", "--role", "admin"],
                           input="a-long-password\na-long-password\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(db.select(User.role).where(User.username == "lan")) == "admin"


def test_create_user_refuses_bad_input(app, runner):
    def create(name, role="admin", password="long enough pw"):
        return runner.invoke(args=["create-user", name, "--role", role, "--password-stdin"],
                             input=password + "\n")

    short = create("an", password="short")
    assert short.exit_code != 0 and "Mật khẩu phải có ít nhất 10 ký tự." in short.output
    role = create("binh", role="boss")
    assert role.exit_code != 0 and "boss" in role.output
    spaces = create("Nguyễn Văn An")
    assert spaces.exit_code != 0 and "Tên đăng nhập gồm 2 đến 60" in spaces.output
    assert create("chi").exit_code == 0
    twice = create("CHI")
    assert twice.exit_code != 0 and "Tên đăng nhập CHI đã được sử dụng." in twice.output
    with app.app_context():
        assert db.session.scalars(db.select(User.username)).all() == ["chi"]
