"""Error pages in the visitor's language, and error logs without personal data."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.store.models import Location

SECRET_NAME = "Nguyễn Văn Bí Mật"  # a visitor's name that must not reach a log or a page


def test_a_form_posted_without_its_token_gets_a_friendly_page(client):
    response = client.post("/login", data={"username": "lan", "password": "x" * 12})
    assert response.status_code == 400
    assert "Trang này đã hết hạn" in response.get_data(as_text=True)


def test_a_wrong_method_gets_a_page_in_vietnamese(client):
    response = client.put("/c/gate-token-0001")
    assert response.status_code == 405
    assert "Không xử lý được yêu cầu này" in response.get_data(as_text=True)


def test_a_huge_id_in_a_url_is_a_plain_not_found(client):
    assert client.get("/v/99999999999999999999").status_code == 404


@pytest.fixture
def crashing_app(make_app):
    """An app whose home page fails with a database error that quotes a visitor's name."""
    app = make_app(PROPAGATE_EXCEPTIONS=False)
    with app.app_context():
        db.create_all()

    def broken():
        db.session.execute(db.insert(Location).values(name=SECRET_NAME, token=None))

    app.view_functions["checkin.index"] = broken
    return app


def test_a_crash_gets_a_friendly_page_and_the_log_keeps_no_personal_data(crashing_app, caplog):
    with caplog.at_level(logging.ERROR):
        response = crashing_app.test_client().get("/")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Đã có lỗi xảy ra" in html and "Bí Mật" not in html
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    logged = caplog.text
    assert "IntegrityError" in logged and "broken" in logged  # type and traceback are kept
    assert "Bí Mật" not in logged and record.exc_info is None


def test_database_errors_carry_no_parameters(app):
    with app.app_context():
        with pytest.raises(IntegrityError) as error:
            db.session.execute(db.insert(Location).values(name=SECRET_NAME, token=None))
        db.session.rollback()
    assert "[parameters:" not in str(error.value)


def test_an_error_page_that_cannot_be_rendered_gives_way_to_the_plain_page(app, client, caplog):
    def broken(*_args, **_kwargs):
        raise RuntimeError("a template that fails")

    app.jinja_env.globals["url_for"] = broken
    with caplog.at_level(logging.ERROR):
        response = client.get("/no-such-page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Không xử lý được yêu cầu này" in html and "This request could not be handled" in html
    assert "errors/404.html could not be rendered" in caplog.text
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_without_a_database_the_error_page_still_shows(make_app, tmp_path):
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path}/no/such/folder/gate.sqlite",
                   PROPAGATE_EXCEPTIONS=False)
    response = app.test_client().get("/c/gate-token-0001")
    assert response.status_code == 500
    assert "Đã có lỗi xảy ra" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


def test_a_405_keeps_its_allow_header(client):
    response = client.delete("/login")
    assert response.status_code == 405 and set(response.headers["Allow"].split(", ")) >= {
        "GET", "POST"}
