"""Fixtures: a fresh database per test (SQLite, or PostgreSQL when GATEBOOK_TEST_DATABASE_URL is
set), the Flask test client, the CLI runner, a controllable clock and a visitor's phone."""

from __future__ import annotations

import functools
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from werkzeug.datastructures import Headers
from werkzeug.security import generate_password_hash

from app import create_app
from app.checkin import declaration
from app.extensions import db
from app.store.models import Location, User, Visit
from tests.html_form import form_values

TEST_DATABASE_URL = os.environ.get("GATEBOOK_TEST_DATABASE_URL", "")
# Staff passwords are hashed cheaply in tests; tests marked real_password_hashing get the real
# cost (the configured default), and the tests that assert its parameters use it.
TEST_PASSWORD_HASH_METHOD = "pbkdf2:sha256:1"
# One schema per test run, so two runs against the same server cannot trip over each other.
PG_SCHEMA = f"gatebook_test_{os.getpid()}"


def pytest_report_header(config) -> str:
    where = f"PostgreSQL {TEST_DATABASE_URL}" if TEST_DATABASE_URL else "SQLite"
    return f"gatebook database: {where}"


# Lines tests leave for the end of the run: what the fuzz test tried, what the import
# measured (tests/test_fuzz.py, tests/test_import_bounds.py).
RUN_REPORT = pytest.StashKey[list]()


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    for line in config.stash.get(RUN_REPORT, []):
        terminalreporter.write_line(line)


def pytest_sessionstart(session) -> None:
    root = Path(__file__).resolve().parent.parent / "app" / "translations"
    stale = [po for po in root.glob("*/LC_MESSAGES/messages.po")
             if not po.with_suffix(".mo").exists()
             or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime]
    if stale:
        pytest.exit("message catalogues are not compiled or out of date: "
                    "run `make test` (or `make translations`)", returncode=2)


@pytest.fixture(autouse=True)
def _no_outside_config(monkeypatch):
    """The developer's own GATEBOOK_* settings must not leak into tests."""
    for name in list(os.environ):
        if name.startswith("GATEBOOK_"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session", autouse=True)
def _drop_postgres_schema_at_the_end():
    yield
    if TEST_DATABASE_URL:
        engine = create_engine(TEST_DATABASE_URL)
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        engine.dispose()


@pytest.fixture
def database_url(tmp_path) -> str:
    """A URL to an empty database: a new SQLite file, or a new PostgreSQL schema."""
    if not TEST_DATABASE_URL:
        return f"sqlite:///{tmp_path / 'test.sqlite'}"
    engine = create_engine(TEST_DATABASE_URL)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
    engine.dispose()
    separator = "&" if "?" in TEST_DATABASE_URL else "?"
    return f"{TEST_DATABASE_URL}{separator}options={quote(f'-csearch_path={PG_SCHEMA}')}"


class PublicUrlClient(FlaskClient):
    """A test client that reaches the app at its PUBLIC_URL when one is set, as phones and
    staff then do (the app refuses requests naming another host), sending the Referer a
    browser sends there (over HTTPS, the CSRF check asks for it)."""

    def open(self, *args, **kwargs):
        public_url = self.application.config["PUBLIC_URL"]
        if public_url and (not args or isinstance(args[0], str)):
            kwargs.setdefault("base_url", public_url)
            headers = Headers(kwargs.pop("headers", None) or {})
            headers.setdefault("Referer", public_url.rstrip("/") + "/")
            kwargs["headers"] = headers
        return super().open(*args, **kwargs)

    def _public_host(self) -> str:
        public_url = self.application.config["PUBLIC_URL"]
        return urlsplit(public_url).hostname if public_url else "localhost"

    def get_cookie(self, key, domain=None, path="/"):
        """The cookie as the app's own host set it."""
        return super().get_cookie(key, domain or self._public_host(), path)

    def set_cookie(self, key, value="", *args, domain=None, **kwargs):
        super().set_cookie(key, value, *args, domain=domain or self._public_host(), **kwargs)


@pytest.fixture
def make_app(request, tmp_path, database_url):
    """Build an app on the test database; extra settings override the test defaults."""
    apps = []
    hashing = ({} if request.node.get_closest_marker("real_password_hashing")
               else {"PASSWORD_HASH_METHOD": TEST_PASSWORD_HASH_METHOD})

    def factory(**settings):
        # A served app (TESTING off) accepts only real hashing, like production.
        cheap = hashing if settings.get("TESTING", True) else {}
        config = {"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": database_url,
                  "ORG_NAME": "Phường Tràng Tiền", **cheap, **settings}
        app = create_app(config, instance_path=str(tmp_path / "instance"))
        app.test_client_class = PublicUrlClient
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(request, make_app):
    """An app whose database has the current schema and one entry point (with the settings of
    the test's `app_settings` mark, if any)."""
    marker = request.node.get_closest_marker("app_settings")
    return with_gate(make_app(**(marker.kwargs if marker else {})))


def with_gate(app):
    """The app, its database given the current schema and one entry point."""
    with app.app_context():
        db.create_all()
        db.session.add(Location(name="Cổng chính", token="gate-token-0001"))
        db.session.commit()
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    """Freeze the application's clock at 2021-07-14 08:30 in Hanoi (01:30 UTC)."""
    fake = FakeClock(datetime(2021, 7, 14, 1, 30, tzinfo=UTC))
    monkeypatch.setattr("app.store.clock.utcnow", fake)
    return fake


def all_no() -> dict[str, str]:
    """Every declaration question answered No."""
    answers = {f"symptom_{q.key}": "no" for q in declaration.SYMPTOMS}
    answers |= {f"exposure_{q.key}": "no" for q in declaration.EXPOSURES}
    answers["travel"] = "no"
    return answers


VALID_VISITOR = {
    "full_name": "Nguyễn Văn An", "phone": "0912345678", "birth_year": "1985",
    "gender": "male", "id_number": "001085012345", "nationality": "Việt Nam",
    "province": "Hà Nội", "ward": "Phường Hoàn Kiếm", "street": "12 Hàng Bài",
    "purpose": "Nộp hồ sơ ở bộ phận một cửa", "confirm_true": "y", "consent": "y",
    **all_no(),
}


class Phone:
    """A visitor's phone: a browser with its own cookies, at one entry point."""

    def __init__(self, client, token: str = "gate-token-0001") -> None:
        self.client = client
        self.token = token

    @property
    def form_url(self) -> str:
        return f"/c/{self.token}"

    def open_form(self, **query):
        return self.client.get(self.form_url, query_string=query)

    def hidden_fields(self) -> dict[str, str]:
        """The CSRF token and per-visit secret of a freshly opened form."""
        page = self.open_form(new=1).get_data(as_text=True)
        values = form_values(page, self.form_url)
        return {name: values[name] for name in ("csrf_token", "visit_secret")}

    def submit(self, data: dict, hidden: dict | None = None):
        """Post the form as a browser would: keys with value None are left out."""
        payload = {**(hidden if hidden is not None else self.hidden_fields()), **data}
        return self.client.post(self.form_url,
                                data={k: v for k, v in payload.items() if v is not None})

    def check_in(self, **changes):
        """Fill the form with a valid declaration, apply `changes`, and send it."""
        return self.submit({**VALID_VISITOR, **changes})


@pytest.fixture
def phone(client) -> Phone:
    return Phone(client)


def visits(app) -> list[Visit]:
    """Every stored visit, oldest first."""
    with app.app_context():
        found = db.session.scalars(db.select(Visit).order_by(Visit.id)).all()
        for visit in found:
            _ = visit.companions, visit.location, visit.entered_by  # load before it closes
        return found


def counters(html: str) -> dict[str, str]:
    """The desk's counters as shown: {label: figure}."""
    return dict(re.findall(r"<dt>([^<]+)</dt><dd>(\d+)</dd>", html))


def error_text(html: str, field_id: str) -> str:
    """The error message shown beside a field (empty if none)."""
    match = re.search(rf'id="{re.escape(field_id)}-error"[^>]*>(.*?)</p>', html, re.S)
    return match.group(1).strip() if match else ""


ADMIN_PASSWORD = "quản-trị-2021"
RECEPTIONIST_PASSWORD = "lễ-tân-cổng-chính"
HEALTH_OFFICER_PASSWORD = "cán-bộ-y-tế-phường"


@functools.cache
def password_hash(password: str) -> str:
    """A stored hash of the password (the cheap test method), made once for the whole run."""
    return generate_password_hash(password, method=TEST_PASSWORD_HASH_METHOD)


@pytest.fixture
def staff(app) -> dict[str, int]:
    """An admin "lan" and a receptionist "thu"; {name: user id}."""
    with app.app_context():
        users = [User(username="lan", role="admin", password_hash=password_hash(ADMIN_PASSWORD)),
                 User(username="thu", role="receptionist",
                      password_hash=password_hash(RECEPTIONIST_PASSWORD))]
        db.session.add_all(users)
        db.session.commit()
        return {user.username: user.id for user in users}


def csrf_from(html: str) -> str:
    """The CSRF token a page carries (in a form, or for htmx requests)."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'"X-CSRFToken": "([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


class StaffBrowser:
    """A staff member's browser: sign in, sign out, post forms with their CSRF token."""

    def __init__(self, client) -> None:
        self.client = client

    def login(self, username: str, password: str, next_url: str | None = None, **kwargs):
        token = csrf_from(self.client.get("/login").get_data(as_text=True))
        return self.client.post("/login", query_string={"next": next_url} if next_url else None,
                                data={"username": username, "password": password,
                                      "csrf_token": token}, **kwargs)

    def login_admin(self):
        response = self.login("lan", ADMIN_PASSWORD)
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    def login_receptionist(self):
        response = self.login("thu", RECEPTIONIST_PASSWORD)
        assert response.status_code == 302
        return response

    def post(self, url: str, data: dict | None = None, page: str = "/dashboard/", **kwargs):
        """Post as the page's own form would, with the CSRF token from `page`."""
        token = csrf_from(self.client.get(page).get_data(as_text=True))
        return self.client.post(url, data={"csrf_token": token, **(data or {})}, **kwargs)

    def logout(self):
        return self.post("/logout")


@pytest.fixture
def browser_of(app):
    """A new staff browser (its own cookies) each call."""
    return lambda: StaffBrowser(app.test_client())


@pytest.fixture
def admin(staff, browser_of) -> StaffBrowser:
    """The admin "lan", signed in."""
    browser = browser_of()
    browser.login_admin()
    return browser


@pytest.fixture
def desk(staff, browser_of) -> StaffBrowser:
    """The receptionist "thu" at the desk, signed in."""
    browser = browser_of()
    browser.login_receptionist()
    return browser


@pytest.fixture
def health_officer(app, staff, browser_of) -> StaffBrowser:
    """The health centre's officer "hoa" (role health_officer), signed in; with the admin
    "lan" and the receptionist "thu" of `staff`."""
    with app.app_context():
        db.session.add(User(username="hoa", role="health_officer",
                            password_hash=password_hash(HEALTH_OFFICER_PASSWORD)))
        db.session.commit()
    browser = browser_of()
    response = browser.login("hoa", HEALTH_OFFICER_PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)
    return browser


@pytest.fixture
def admin_client(admin):
    """A test client signed in as the admin "lan"."""
    return admin.client


@pytest.fixture
def staff_app_admin(make_app):
    """An app built with extra settings, its entry point, and a signed-in admin."""
    def build(**settings):
        app = make_app(**settings)
        with app.app_context():
            db.create_all()
            db.session.add(Location(name="Cổng chính"))
            db.session.add(User(username="lan", role="admin",
                                password_hash=password_hash(ADMIN_PASSWORD)))
            db.session.commit()
        browser = StaffBrowser(app.test_client())
        browser.login_admin()
        return app, browser

    return build
