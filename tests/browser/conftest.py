"""Real-browser fixtures: the app served on a local port, and headless Chromium from Debian."""

from __future__ import annotations

import os
import re
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("GATEBOOK_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
# CI sets this, so that a missing browser fails the run instead of skipping quietly.
REQUIRE_BROWSER = os.environ.get("GATEBOOK_TEST_REQUIRE_BROWSER") == "1"
OUTPUT_ROOT = Path(__file__).resolve().parents[2] / "test-output"


@pytest.fixture
def live_server(app):
    """The app on http://127.0.0.1:<free port>, for the length of one test."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
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


@pytest.fixture
def output_dir(request) -> Path:
    """test-output/<test name>/ for screenshots a person can look at."""
    path = OUTPUT_ROOT / re.sub(r"[^\w.-]+", "_", request.node.name)
    path.mkdir(parents=True, exist_ok=True)
    return path


def answer_declaration(page, yes: str) -> None:
    """Answer Yes to the question field `yes` (e.g. "symptom_cough") and No to every other."""
    from app import declaration
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
