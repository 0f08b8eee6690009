"""With the database down or busy, nobody's work is lost: a visitor's form comes back with every
answer and a message to send it again in a moment (503, Retry-After), nothing is stored and the
log names no one; sent again once the database is back, it checks in exactly once.

The outages are real: on SQLite another connection holds the write lock past the (shortened)
busy timeout; on PostgreSQL the test's own database refuses connections and its sessions are
ended, as when the server is restarted."""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from app.checkin.visitor_cookies import PROFILE_COOKIE
from app.extensions import db
from app.store import cache as kept
from app.store.models import User
from tests.builders import enrol_phone
from tests.conftest import (
    ADMIN_PASSWORD,
    TEST_DATABASE_URL,
    VALID_VISITOR,
    Phone,
    StaffBrowser,
    csrf_from,
    password_hash,
    visits,
    with_gate,
)
from tests.html_form import form_values

BUSY_TIMEOUT_MS = 50
BUSY_PAGE = "Hệ thống đang bận"
FORM_BUSY = ("Hệ thống đang bận, chưa ghi được khai báo. Thông tin anh/chị đã nhập vẫn được "
             "giữ nguyên: vui lòng bấm “Gửi khai báo” lại sau giây lát.")
# A party of three, each with their own answers, to be remembered on this phone.
PARTY = {**VALID_VISITOR, "symptom_cough": "yes", "travel": "yes", "travel_places": "Đà Nẵng",
         "remember": "y",
         "companions-0-full_name": "Bé Na", "companions-0-birth_year": "2016",
         "companions-0-answer": "none", "companions-0-places": "",
         "companions-1-full_name": "Ông Bảy", "companions-1-birth_year": "1950",
         "companions-1-answer": "yes", "companions-1-items": "fever",
         "companions-1-places": ""}
PERSONAL = ("Nguyễn Văn An", "0912345678", "001085012345", "Hàng Bài", "Bé Na", "Ông Bảy")


@contextmanager
def _sqlite_locked(app) -> Iterator[None]:
    """Another connection (a long write elsewhere) holds SQLite's write lock."""
    holder = sqlite3.connect(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database,
                             isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@contextmanager
def _postgres_refusing(server: Engine, name: str) -> Iterator[None]:
    """The database takes no new connection and its open sessions are ended."""
    with server.connect() as conn:
        conn.execute(text(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
        sessions = text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()")
        deadline = time.monotonic() + 5
        while conn.execute(sessions, {"name": name}).scalar() and time.monotonic() < deadline:
            time.sleep(0.01)  # a session ends a moment after it is told to
    try:
        yield
    finally:
        with server.connect() as conn:
            conn.execute(text(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true"))


@pytest.fixture
def site(make_app) -> Iterator[tuple]:
    """(an app with one entry point, a context manager that takes its database away)."""
    if not TEST_DATABASE_URL:
        app = with_gate(make_app(SQLITE_BUSY_TIMEOUT_MS=BUSY_TIMEOUT_MS))
        yield app, lambda: _sqlite_locked(app)
        return
    # A database of its own: refusing connections to it leaves other tests' schemas alone.
    name = f"gatebook_down_{os.getpid()}"
    server = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    url = make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield with_gate(make_app(DATABASE_URL=url)), lambda: _postgres_refusing(server, name)
    finally:
        with server.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        server.dispose()


def _kept_values(html: str, url: str) -> dict[str, str]:
    """What the page's form would send, but its CSRF token (each page gets its own)."""
    return {k: v for k, v in form_values(html, url).items() if k != "csrf_token"}


def test_a_form_sent_while_the_database_is_down_comes_back_whole(site, caplog):
    app, outage = site
    phone = Phone(app.test_client())
    sent = {**form_values(phone.open_form(new=1).get_data(as_text=True), phone.form_url),
            **PARTY}
    with caplog.at_level(logging.INFO), outage():
        response = phone.submit(sent, hidden={})
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    html = response.get_data(as_text=True)
    assert f'<p class="notice" role="alert">{FORM_BUSY}</p>' in html
    assert "Một số thông tin cần sửa" not in html  # nothing was wrong with the answers
    back = form_values(html, phone.form_url)
    assert _kept_values(html, phone.form_url) == {k: v for k, v in sent.items()
                                                  if k != "csrf_token"}
    assert html.index('value="Bé Na"') < html.index('value="Ông Bảy"')  # rows in place
    assert "the database was unavailable at POST checkin.form_page" in caplog.text
    assert not [text for text in PERSONAL if text in caplog.text]
    assert visits(app) == []

    # The database is back: the kept form, sent (and, say, tapped twice), makes one visit.
    first = phone.submit(back, hidden={})
    again = phone.submit(back, hidden={})
    assert first.status_code == 302 and again.headers["Location"] == first.headers["Location"]
    [visit] = visits(app)
    assert (visit.full_name, visit.flagged, visit.declaration["travel"]) == (
        "Nguyễn Văn An", True, {"answer": True, "places": "Đà Nẵng"})
    assert [(c.full_name, c.birth_year, c.flagged) for c in visit.companions] == [
        ("Bé Na", 2016, False), ("Ông Bảy", 1950, True)]
    assert phone.client.get_cookie(PROFILE_COOKIE) is not None  # "remember me" was kept


@pytest.mark.skipif(not TEST_DATABASE_URL,
                    reason="SQLite's readers read on while another connection writes")
def test_the_answers_come_back_when_even_the_entry_point_cannot_be_read(site):
    app, outage = site
    phone = Phone(app.test_client())
    sent = {**form_values(phone.open_form(new=1).get_data(as_text=True), phone.form_url),
            **PARTY}
    with app.app_context():
        kept.forget("entry_points")  # this process read it too long ago: it asks again
    with outage():
        response = phone.submit(sent, hidden={})
    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert FORM_BUSY in html
    assert _kept_values(html, phone.form_url) == {k: v for k, v in sent.items()
                                                  if k != "csrf_token"}
    assert phone.submit(form_values(html, phone.form_url), hidden={}).status_code == 302
    assert len(visits(app)) == 1


def test_the_message_speaks_the_visitors_language(site):
    app, outage = site
    phone = Phone(app.test_client())
    phone.client.set_cookie("lang", "en")
    hidden = phone.hidden_fields()
    with outage():
        html = phone.submit(VALID_VISITOR, hidden).get_data(as_text=True)
    assert ("The system is busy: your declaration was not recorded yet. Your answers are kept: "
            "please press “Send and check in” again in a moment.") in html


def test_a_remembered_visitors_tap_comes_back_to_tap_again(site, clock):
    app, outage = site
    phone = Phone(app.test_client())
    phone.check_in(remember="y")
    clock.advance(days=1)  # the next morning: the one tap
    page = phone.open_form().get_data(as_text=True)
    tap = {**form_values(page, phone.form_url), "one_tap": "1"}
    with outage():
        response = phone.client.post(phone.form_url, data=tap)
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    html = response.get_data(as_text=True)
    assert ("Hệ thống đang bận, chưa ghi được lượt vào. Vui lòng bấm lại nút bên dưới sau giây "
            "lát.") in html
    again = {**form_values(html, phone.form_url), "one_tap": "1"}
    assert again["visit_secret"] == tap["visit_secret"]  # the same tap, sent again
    assert phone.client.post(phone.form_url, data=again).status_code == 302
    assert phone.client.post(phone.form_url, data=again).status_code == 302
    assert len(visits(app)) == 2  # yesterday's and today's


def test_ra_ve_while_the_database_is_down_says_to_try_again(site):
    app, outage = site
    phone = Phone(app.test_client())
    done = phone.check_in().headers["Location"]
    leave = form_values(phone.client.get(done).get_data(as_text=True), "/checkout")
    with outage():
        response = phone.client.post(f"{done}/checkout", data=leave)
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert BUSY_PAGE in response.get_data(as_text=True)
    [visit] = visits(app)
    assert visit.is_open
    assert phone.client.post(f"{done}/checkout", data=leave).status_code == 302
    [visit] = visits(app)
    assert not visit.is_open


def test_an_employees_tap_gets_the_busy_page(site):
    app, outage = site
    phone = Phone(app.test_client())
    enrol_phone(app, phone)
    page = phone.open_form().get_data(as_text=True)
    assert "Trần Thị Thợ" in page
    with outage():
        response = phone.client.post(phone.form_url, data={
            **form_values(page, phone.form_url), "employee_tap": "1"})
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert BUSY_PAGE in response.get_data(as_text=True)
    assert visits(app) == []


def test_a_desk_change_while_the_database_is_down_gets_the_busy_page(site):
    app, outage = site
    with app.app_context():
        db.session.add(User(username="lan", role="admin",
                            password_hash=password_hash(ADMIN_PASSWORD)))
        db.session.commit()
    Phone(app.test_client()).check_in()
    desk = StaffBrowser(app.test_client())
    desk.login_admin()
    token = csrf_from(desk.client.get("/dashboard/").get_data(as_text=True))
    with outage():
        response = desk.client.post("/dashboard/visits/1/checkout",
                                    data={"csrf_token": token})
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert BUSY_PAGE in response.get_data(as_text=True)
    [visit] = visits(app)
    assert visit.is_open
