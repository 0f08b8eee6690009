"""Staff sign-in: passwords, throttling, sessions that really end, the first-run link."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.store.models import LoginFailure, SetupToken, User
from tests.conftest import (
    ADMIN_PASSWORD,
    RECEPTIONIST_PASSWORD,
    TEST_DATABASE_URL,
    StaffBrowser,
    csrf_from,
    password_hash,
)

WRONG = "Sai tên đăng nhập hoặc mật khẩu."
THROTTLED = "Đăng nhập sai quá nhiều lần"


def _message(response) -> str:
    match = re.search(r'class="notice error-summary" role="alert">(.*?)</p>',
                      response.get_data(as_text=True))
    return match.group(1) if match else ""


def test_sign_in_and_out(staff, browser_of):
    browser = browser_of()
    response = browser.login("lan", ADMIN_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard/"
    page = browser.client.get("/dashboard/").get_data(as_text=True)
    assert "lan" in page and "Người vào hôm nay" in page
    assert browser.client.get("/login").headers["Location"] == "/dashboard/"
    assert browser.logout().headers["Location"] == "/login"
    assert browser.client.get("/dashboard/").status_code == 302


def test_user_names_are_not_case_sensitive(staff, browser_of):
    assert browser_of().login("LAN", ADMIN_PASSWORD).status_code == 302


@pytest.mark.parametrize(("username", "password"), [
    ("lan", "not the password"), ("nobody", "not the password"), ("lan", ""),
])
def test_a_failed_sign_in_says_the_same_whoever_it_is(staff, browser_of, username, password):
    response = browser_of().login(username, password)
    if password:
        assert response.status_code == 200 and _message(response) == WRONG
    else:  # an empty password is asked for beside the field, before any check
        assert "Nhập mật khẩu." in response.get_data(as_text=True)


def test_a_deactivated_account_cannot_sign_in(app, staff, browser_of):
    with app.app_context():
        db.session.execute(db.update(User).where(User.username == "thu").values(active=False))
        db.session.commit()
    assert _message(browser_of().login("thu", RECEPTIONIST_PASSWORD)) == WRONG


def test_five_failures_lock_the_account_for_fifteen_minutes(staff, browser_of, clock):
    browser = browser_of()
    for _ in range(4):
        assert _message(browser.login("lan", "guess " + "x" * 8)) == WRONG
        clock.advance(seconds=30)
    fifth = browser.login("lan", "guess " + "x" * 8)
    assert fifth.status_code == 429 and THROTTLED in _message(fifth)
    # The right password no longer helps, from any address, until the lockout ends.
    locked = browser_of().login("lan", ADMIN_PASSWORD, environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert locked.status_code == 429 and THROTTLED in _message(locked)
    assert "08:47" in _message(locked)  # the 5th failure at 08:32 Hanoi time, + 15 minutes
    clock.advance(minutes=14)
    assert browser_of().login("lan", ADMIN_PASSWORD).status_code == 429
    clock.advance(minutes=1)
    assert browser_of().login("lan", ADMIN_PASSWORD).status_code == 302
    # Other accounts were never locked by the account's failures (from another address).
    assert browser_of().login("thu", RECEPTIONIST_PASSWORD,
                              environ_base={"REMOTE_ADDR": "10.1.1.1"}).status_code == 302


def test_an_unknown_user_name_is_throttled_the_same_way(staff, browser_of, clock):
    for _ in range(5):
        browser_of().login("ghost", "whatever-123", environ_base={"REMOTE_ADDR": "10.0.0.7"})
    fresh = browser_of().login("ghost", "whatever-123", environ_base={"REMOTE_ADDR": "10.0.0.8"})
    assert fresh.status_code == 429


OFFICE = {"REMOTE_ADDR": "192.0.2.10"}  # the office's one address, behind its NAT
THROTTLED_HERE = "Đăng nhập sai quá nhiều lần từ địa chỉ mạng này"


def _add_staff(app, *names: str) -> None:
    with app.app_context():
        db.session.add_all(User(username=name, role="receptionist",
                                password_hash=password_hash(f"mật khẩu của {name}"))
                           for name in names)
        db.session.commit()


def test_an_office_of_staff_mistyping_from_one_address_is_not_locked_out(
        app, staff, browser_of, clock):
    names = ("an", "binh", "chi", "dung", "giang")
    _add_staff(app, *names)
    # A busy morning: each mistypes three times (15 failures from the one address), just
    # under their own account's limit, then gets it right.
    for name in names:
        for attempt in range(3):
            wrong = browser_of().login(name, f"mật khẩu củ {attempt}", environ_base=OFFICE)
            assert wrong.status_code == 200 and _message(wrong) == WRONG, name
            clock.advance(seconds=20)
    for name in names:
        assert browser_of().login(name, f"mật khẩu của {name}",
                                  environ_base=OFFICE).status_code == 302, name
    # The one who reaches the account's limit is locked, from the office and from anywhere;
    # the others in the office are not.
    for _ in range(5):
        browser_of().login("thu", "mật khẩu củ", environ_base=OFFICE)
    for where in (OFFICE, {"REMOTE_ADDR": "10.9.9.9"}):
        locked = browser_of().login("thu", RECEPTIONIST_PASSWORD, environ_base=where)
        assert locked.status_code == 429 and _message(locked) == (
            "Đăng nhập sai quá nhiều lần. Hãy thử lại sau 08:50.")
    assert browser_of().login("lan", ADMIN_PASSWORD, environ_base=OFFICE).status_code == 302


def test_one_address_trying_many_accounts_is_throttled(app, staff, browser_of, clock):
    limit = app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    assert limit == 100  # the README's number
    for n in range(limit):  # one guess at each of many names: no account reaches its limit
        guess = browser_of().login(f"nv{n:03}", "Matkhau@2021", environ_base=OFFICE)
        assert guess.status_code == (429 if n == limit - 1 else 200), n
        clock.advance(seconds=5)
    # The 100th failure says so; from then on, from that address, every account is refused,
    # even with the right password, until 15 minutes after it (08:30 + 99 × 5 s, + 15 min).
    assert _message(guess) == f"{THROTTLED_HERE}. Hãy thử lại sau 08:53."
    refused = browser_of().login("lan", ADMIN_PASSWORD, environ_base=OFFICE)
    assert refused.status_code == 429
    assert _message(refused) == f"{THROTTLED_HERE}. Hãy thử lại sau 08:53."
    # From anywhere else the account is not locked.
    assert browser_of().login("lan", ADMIN_PASSWORD,
                              environ_base={"REMOTE_ADDR": "192.0.2.11"}).status_code == 302
    clock.advance(minutes=15)
    assert browser_of().login("lan", ADMIN_PASSWORD, environ_base=OFFICE).status_code == 302


@pytest.mark.app_settings(LOGIN_MAX_FAILURES_PER_ADDRESS=5)
def test_the_address_limit_is_a_setting(staff, browser_of, clock):
    for name in ("an", "binh", "chi", "dung", "giang"):
        browser_of().login(name, "guess-guess-guess", environ_base=OFFICE)
    refused = browser_of().login("lan", ADMIN_PASSWORD, environ_base=OFFICE)
    assert refused.status_code == 429 and THROTTLED_HERE in _message(refused)


def test_failures_spread_over_more_than_the_window_do_not_lock(staff, browser_of, clock):
    for _ in range(5):
        browser_of().login("lan", "guess-guess-guess")
        clock.advance(minutes=4)
    assert browser_of().login("lan", ADMIN_PASSWORD).status_code == 302


def test_behind_a_trusted_proxy_the_forwarded_address_is_throttled(make_app, browser_of):
    app = make_app(TRUSTED_PROXIES=1, LOGIN_MAX_FAILURES_PER_ADDRESS=5)
    with app.app_context():
        db.create_all()
        db.session.add(User(username="lan", role="admin",
                            password_hash=password_hash(ADMIN_PASSWORD)))
        db.session.commit()
    attacker = {"X-Forwarded-For": "203.0.113.5"}
    for name in ("an", "binh", "chi", "dung", "giang"):
        StaffBrowser(app.test_client()).login(name, "guess-guess-1", headers=attacker)
    blocked = StaffBrowser(app.test_client()).login("lan", ADMIN_PASSWORD, headers=attacker)
    assert blocked.status_code == 429
    office = {"X-Forwarded-For": "203.0.113.77"}
    assert StaffBrowser(app.test_client()).login("lan", ADMIN_PASSWORD,
                                                 headers=office).status_code == 302


@pytest.mark.app_settings(LOGIN_MAX_FAILURES_PER_ADDRESS=5)
def test_without_a_trusted_proxy_forwarded_addresses_are_ignored(staff, browser_of):
    for n in range(5):  # an attacker makes up a new address for every guess, on each account
        browser_of().login(f"ghost-{n}", "guess-guess-1",
                           headers={"X-Forwarded-For": f"198.51.100.{n}"})
    assert browser_of().login("lan", ADMIN_PASSWORD,
                              headers={"X-Forwarded-For": "198.51.100.99"}).status_code == 429


# A control character in it ("/\t/evil.example") is refused before the page is read
# (tests/test_hostile_input.py).
@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example", "/\\evil.example",
                                    "javascript:alert(1)"])
def test_next_never_leaves_the_site(staff, browser_of, target):
    response = browser_of().login("lan", ADMIN_PASSWORD, next_url=target)
    assert response.headers["Location"] == "/dashboard/"


def test_next_goes_back_to_the_page_that_asked_for_a_sign_in(staff, browser_of):
    browser = browser_of()
    asked = browser.client.get("/admin/users?sort=name")
    assert asked.headers["Location"] == "/login?next=/admin/users?sort%3Dname"
    response = browser.login("lan", ADMIN_PASSWORD, next_url="/admin/users?sort=name")
    assert response.headers["Location"] == "/admin/users?sort=name"


def test_the_session_is_new_at_sign_in_and_dead_after_sign_out(staff, browser_of):
    browser = browser_of()
    with browser.client.session_transaction() as before:
        before["planted"] = "by someone else"  # e.g. a session fixed before sign-in
    browser.login_admin()
    with browser.client.session_transaction() as after:
        assert "planted" not in after
    signed_in = browser.client.get_cookie("session").value
    browser.logout()
    # Someone who copied the cookie before sign-out replays it: refused.
    replay = browser_of()
    replay.client.set_cookie("session", signed_in)
    response = replay.client.get("/dashboard/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_signing_out_one_browser_leaves_the_others_signed_in(staff, browser_of):
    office, phone = browser_of(), browser_of()
    office.login_admin()
    phone.login_admin()
    phone.logout()
    assert office.client.get("/dashboard/").status_code == 200


def test_sessions_expire_after_the_configured_time(staff, browser_of, clock):
    browser = browser_of()
    browser.login_receptionist()
    clock.advance(hours=11, minutes=59)
    assert browser.client.get("/dashboard/").status_code == 200
    clock.advance(minutes=2)
    assert browser.client.get("/dashboard/").status_code == 302


def test_session_cookie_flags(make_app, staff, browser_of):
    browser = browser_of()
    response = browser.login_admin()
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert "Expires=" in cookie  # it ends with the sign-in, not with the browser


@pytest.mark.parametrize("settings", [{"SESSION_COOKIE_SECURE": True},
                                      {"PUBLIC_URL": "https://vao.example.vn"}])
def test_secure_cookies_over_https(make_app, settings):
    app = make_app(**settings)
    response = app.test_client().get("/login")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Secure" in cookie


def test_guesses_sent_all_at_once_get_no_more_than_five_password_checks(
        app, staff, browser_of, monkeypatch):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import app.auth.access as auth_module
    checks = []
    real_check = auth_module.check_password_hash
    fifth_check = threading.Event()

    def counting_check(*args):
        checks.append(1)
        if len(checks) >= 5:
            fifth_check.set()
        return real_check(*args)

    monkeypatch.setattr(auth_module, "check_password_hash", counting_check)
    browsers = [browser_of() for _ in range(12)]
    tokens = [csrf_from(b.client.get("/login").get_data(as_text=True)) for b in browsers]
    start = threading.Barrier(11)

    def guess(n):
        if n < 11:
            start.wait()
            password = f"guess-number-{n}"
        else:
            # The right password, once five guesses of the burst are being checked (their
            # attempts are written down before the check), while the rest may be in flight.
            fifth_check.wait(timeout=30)
            password = ADMIN_PASSWORD
        return browsers[n].client.post("/login", data={
            "username": "lan", "password": password, "csrf_token": tokens[n]}).status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(guess, range(12)))
    assert statuses[11] == 429, "the right password after the burst is refused too"
    assert len(checks) <= 5
    with app.app_context():  # refused attempts are not written down (they would extend the lock)
        assert db.session.scalar(db.select(db.func.count(LoginFailure.id))) == 5


def test_htmx_requests_of_a_signed_out_browser_are_told_to_go_to_sign_in(client):
    response = client.get("/dashboard/", headers={
        "HX-Request": "true", "HX-Current-URL": "http://localhost/dashboard/?day=2021-07-14"})
    assert response.status_code == 200 and response.get_data() == b""
    assert response.headers["HX-Redirect"] == "/login?next=/dashboard/?day%3D2021-07-14"


def _setup_link(runner) -> str | None:
    result = runner.invoke(args=["setup-link", "--default-base-url", "http://gate.local:5000"])
    assert result.exit_code == 0, result.output
    match = re.search(r"http://gate\.local:5000(/setup/\S+)", result.output)
    return match.group(1) if match else None


def test_first_run_link_creates_the_first_admin_once(app, runner, browser_of):
    path = _setup_link(runner)
    assert path is not None
    browser = browser_of()
    page = browser.client.get(path)
    assert page.status_code == 200 and "Tạo tài khoản quản trị đầu tiên" in page.get_data(True)
    token = csrf_from(page.get_data(as_text=True))
    mismatch = browser.client.post(path, data={"csrf_token": token, "username": "lan",
                                               "password": "mật-khẩu-dài", "confirm": "khác"})
    assert "Mật khẩu nhập lại không khớp." in mismatch.get_data(as_text=True)
    created = browser.client.post(path, data={"csrf_token": token, "username": "lan",
                                              "password": "mật-khẩu-dài",
                                              "confirm": "mật-khẩu-dài"})
    assert created.status_code == 302 and created.headers["Location"] == "/dashboard/"
    assert browser.client.get("/admin/users").status_code == 200  # signed in, as an admin
    # The link is spent, and no new one is printed now that there is an admin.
    assert browser_of().client.get(path).status_code == 404
    late = browser_of()
    token = csrf_from(late.client.get("/login").get_data(as_text=True))
    replay = late.client.post(path, data={"csrf_token": token, "username": "mallory",
                                          "password": "mật-khẩu-dài", "confirm": "mật-khẩu-dài"})
    assert replay.status_code == 404
    assert _setup_link(runner) is None
    with app.app_context():
        assert db.session.scalars(db.select(User.username)).all() == ["lan"]
        assert db.session.scalars(db.select(SetupToken)).all() == []


def test_only_the_latest_first_run_link_works(runner, client):
    old, new = _setup_link(runner), _setup_link(runner)
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    assert client.get("/setup/made-up-token").status_code == 404


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="SQLite's write lock")
def test_a_sign_in_holds_no_database_lock_while_checking_the_password(app, staff, browser_of,
                                                                       monkeypatch):
    import sqlite3

    import app.auth.access as auth_module
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    real_check = auth_module.check_password_hash
    writes_while_hashing = []

    def check_while_someone_writes(*args):
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # fails at once if the sign-in held the lock
        other.execute("ROLLBACK")
        other.close()
        writes_while_hashing.append(True)
        return real_check(*args)

    monkeypatch.setattr(auth_module, "check_password_hash", check_while_someone_writes)
    assert browser_of().login("lan", ADMIN_PASSWORD).status_code == 302
    assert writes_while_hashing == [True]


@pytest.mark.real_password_hashing
def test_the_hash_for_unknown_user_names_is_made_before_the_first_request(make_app,
                                                                          monkeypatch):
    import app.auth.access as auth_module
    auth_module._unknown_user_hash.cache_clear()  # as in a newly started server process
    app = make_app()
    with app.app_context():
        db.create_all()
    made_while_answering = []
    real = auth_module.generate_password_hash
    monkeypatch.setattr(auth_module, "generate_password_hash",
                        lambda *args, **kwargs: made_while_answering.append(1) or real(
                            *args, **kwargs))
    browser = StaffBrowser(app.test_client())
    assert browser.login("ghost", "a-long-enough-guess").status_code == 200
    assert made_while_answering == []  # the first unknown name cost one check, nothing more
