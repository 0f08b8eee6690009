"""Real-browser fixtures: the app served on a local port, and headless Chromium from Debian."""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app.extensions import db
from app.store.models import Companion, Location, User, Visit
from tests.builders import declaration
from tests.conftest import RECEPTIONIST_PASSWORD, Phone, password_hash

CHROMIUM = os.environ.get("GATEBOOK_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
# CI sets this, so that a missing browser fails the run instead of skipping quietly.
REQUIRE_BROWSER = os.environ.get("GATEBOOK_TEST_REQUIRE_BROWSER") == "1"
OUTPUT_ROOT = Path(__file__).resolve().parents[2] / "test-output"


@pytest.fixture
def live_server(app):
    """The app on http://127.0.0.1:<free port>, for the length of one test; like `make run`,
    it gives the app its own address as PUBLIC_URL, for posters and printed links."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["PUBLIC_URL"] = f"http://127.0.0.1:{server.server_port}"
    yield app.config["PUBLIC_URL"]
    server.shutdown()
    thread.join()
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium; the test is skipped, saying why, where there is none."""
    missing = None
    try:
        from playwright import sync_api
    except ImportError:
        missing = "Playwright is not installed (make test installs it)"
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        missing = f"no Chromium at {CHROMIUM}: apt-get install -y chromium (.ci/run does)"
    if missing:
        if REQUIRE_BROWSER:
            pytest.fail(missing)
        pytest.skip(missing)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


AXE_OPTIONS = {"rules": {"target-size": {"enabled": True}}, "resultTypes": ["violations"]}


class Web:
    """Browser pages for one test. Every page the test opens must pass axe-core (WCAG 2.2
    rules, target-size included) through `check`: the test fails on a violation, and at its
    end if it navigated to a page it never checked."""

    def __init__(self, browser) -> None:
        self.browser = browser
        self.contexts = []
        self.visits: list[list] = []  # [page, url, checked] for every document loaded

    def page(self, javascript: bool = True, **options):
        """A new page in a context of its own (its own cookies and cache)."""
        context = self.browser.new_context(java_script_enabled=javascript, **options)
        self.contexts.append(context)
        page = context.new_page()
        page.javascript = javascript

        def loaded(frame) -> None:
            if frame == page.main_frame and frame.url.startswith("http"):
                self.visits.append([page, frame.url, False])

        page.on("framenavigated", loaded)
        return page

    def check(self, page) -> None:
        """axe-core on the page as it is now: no violation. A page without JavaScript is
        checked in a copy of its document, rendered by a page with JavaScript."""
        from axe_playwright_python.sync_playwright import Axe
        page.wait_for_load_state("load")  # a click may have only just begun the next page
        target = page if page.javascript else self.replica(page)
        assert target.locator("main").count() == 1, f"{page.url} has no <main>"
        assert target.locator("meta[name=description]").count() == 1, f"{page.url}: no description"
        results = Axe().run(target, options=AXE_OPTIONS)
        assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"
        own = [visit for visit in self.visits if visit[0] is page]
        if own:
            own[-1][2] = True  # the document loaded last is the one checked

    def replica(self, page):
        """A page with JavaScript showing this page's document (same URL, same styles)."""
        html, url = page.content(), page.url
        viewport = page.viewport_size
        context = self.browser.new_context(viewport=viewport)
        self.contexts.append(context)
        copy = context.new_page()
        copy.route(url, lambda route: route.fulfill(body=html, content_type="text/html"))
        copy.goto(url)
        return copy

    def unchecked(self) -> list[str]:
        """Pages opened but never checked."""
        return [url for _page, url, checked in self.visits if not checked]

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def web(browser):
    """Pages that must pass axe-core (see Web)."""
    pages = Web(browser)
    yield pages
    unchecked = pages.unchecked()
    pages.close()
    assert unchecked == [], "these pages were opened but not checked with web.check(page)"


@pytest.fixture
def output_dir(request) -> Path:
    """test-output/<test name>/ for screenshots a person can look at."""
    path = OUTPUT_ROOT / re.sub(r"[^\w.-]+", "_", request.node.name)
    path.mkdir(parents=True, exist_ok=True)
    return path


def answer_declaration(page, yes: str) -> None:
    """Answer Yes to the question field `yes` (e.g. "symptom_cough") and No to every other."""
    from app.checkin import declaration
    fields = ([f"symptom_{q.key}" for q in declaration.SYMPTOMS]
              + [f"exposure_{q.key}" for q in declaration.EXPOSURES] + ["travel"])
    assert yes in fields
    for field in fields:
        page.check(f"#{field}-{0 if field == yes else 1}")


@pytest.fixture
def pages(browser):
    """New pages, each in a browser context of its own, closed when the test ends (a
    dashboard left open would go on polling through the tests after it)."""
    contexts = []

    def new_page(**options):
        context = browser.new_context(**options)
        contexts.append(context)
        return context.new_page()

    yield new_page
    for context in contexts:
        context.close()


# A second receptionist at the other desk.
SECOND = "mai"


class RunningClock:
    """The application's clock, running at real speed from 10:00 on 14 July 2021 in Hanoi,
    so that a test is the same at any hour it runs."""

    def __init__(self) -> None:
        self.start = datetime(2021, 7, 14, 3, 0, tzinfo=UTC)
        self.began = time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.began)


@pytest.fixture
def running_clock(monkeypatch) -> RunningClock:
    clock = RunningClock()
    monkeypatch.setattr("app.store.clock.utcnow", clock)
    return clock


@pytest.fixture
def busy_morning(app, staff, running_clock) -> list[int]:
    """120 visits from 07:30, one every 20 s, some with a child; the last ones still inside."""
    with app.app_context():
        gate = db.session.scalar(db.select(Location))
        db.session.add(User(username=SECOND, role="receptionist",
                            password_hash=password_hash(RECEPTIONIST_PASSWORD)))
        start = running_clock() - timedelta(hours=2, minutes=30)
        people = []
        for n in range(120):
            came = start + timedelta(seconds=20 * n)
            left = came + timedelta(minutes=30) if n < 100 else None
            visit = Visit(location=gate, checked_in_at=came, checked_out_at=left,
                          checkout_by="visitor" if left else None, changed_at=left or came,
                          full_name=f"Khách sáng {n:03d}", phone=f"0912{n:06d}",
                          birth_year=1980 + n % 30, gender="female", nationality="Việt Nam",
                          province="Hà Nội", declaration=declaration(), flagged=False,
                          companions=[Companion(full_name=f"Con {n:03d}", birth_year=2015)]
                          if n % 10 == 0 else [])
            visit.party_size = 1 + len(visit.companions)
            visit.refresh_search_text()
            people.append(visit)
        db.session.add_all(people)
        db.session.commit()
        return [visit.id for visit in people]


def sign_in(pages, live_server, username: str, viewport: dict):
    page = pages(viewport=viewport)
    page.on("dialog", lambda dialog: pytest.fail(f"a dialog asked: {dialog.message}"))
    page.goto(f"{live_server}/login")
    page.fill("#username", username)
    page.fill("#password", RECEPTIONIST_PASSWORD)
    page.click("button.primary")
    page.wait_for_url("**/dashboard/")
    page.wait_for_load_state()  # its stylesheets too
    return page


def arrive(app, n: int, **answers) -> None:
    response = Phone(app.test_client()).check_in(full_name=f"Khách mới {n:03d}",
                                                 phone=f"0987{n:06d}", id_number="", **answers)
    assert response.status_code == 302, response.get_data(as_text=True)


SOFFICE = shutil.which("soffice")


def soffice() -> str:
    """LibreOffice's soffice; the test is skipped (or fails, under CI) where there is none."""
    if SOFFICE is None:
        message = "no LibreOffice: apt-get install -y libreoffice-calc-nogui (.ci/run does)"
        if REQUIRE_BROWSER:
            pytest.fail(message)
        pytest.skip(message)
    return SOFFICE


def admin_desk(web, live_server):
    """The admin signed in, on a 1280 px screen, every page so far checked with axe."""
    from tests.conftest import ADMIN_PASSWORD
    desk = web.page(viewport={"width": 1280, "height": 900})
    desk.goto(f"{live_server}/login")
    web.check(desk)
    desk.fill("#username", "lan")
    desk.fill("#password", ADMIN_PASSWORD)
    desk.click("button.primary")
    web.check(desk)
    return desk


def printed_sheet(web, live_server, department: str):
    """The admin signed in, showing the sheet of personal QR codes of a department."""
    desk = admin_desk(web, live_server)
    desk.goto(f"{live_server}/admin/employees/")
    web.check(desk)
    desk.select_option("#sheet-department", department)
    desk.click("text=In trang mã")
    web.check(desk)
    return desk
