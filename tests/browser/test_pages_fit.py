"""Pages without small surprises, in real Chromium: no staff page logs an error in the
console (the CSP refuses any inline style, htmx's indicator style included), and the
English check-in form fits a 320 px phone without scrolling sideways."""

from __future__ import annotations

import pytest

from tests.conftest import ADMIN_PASSWORD

STAFF_PAGES = ("/dashboard/", "/dashboard/new", "/dashboard/paper", "/dashboard/inside",
               "/admin/locations", "/admin/users", "/admin/employees", "/admin/employees/import",
               "/admin/export", "/admin/trace", "/admin/audit", "/admin/settings")


def _console_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_no_staff_page_logs_a_console_error(app, staff, live_server, pages):
    page = pages(viewport={"width": 1366, "height": 768})
    errors = _console_errors(page)
    page.goto(f"{live_server}/login")
    page.fill("#username", "lan")
    page.fill("#password", ADMIN_PASSWORD)
    page.click("button.primary")
    page.wait_for_url("**/dashboard/")
    for path in STAFF_PAGES:
        response = page.goto(live_server + path)
        assert response.status == 200, path
        page.wait_for_load_state("load")
        page.wait_for_timeout(300)  # the scripts have run
        assert errors == [], (path, errors)
    assert page.evaluate("htmx.config.includeIndicatorStyles") is False


@pytest.mark.parametrize("width", [320, 360])
def test_the_english_check_in_fits_a_small_phone(app, live_server, pages, output_dir, width):
    page = pages(viewport={"width": width, "height": 640}, is_mobile=True, has_touch=True)
    page.goto(f"{live_server}/c/gate-token-0001")
    page.click("text=English")
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text().startswith("Health declaration")
    page.screenshot(path=output_dir / f"check-in-en-{width}.png", full_page=True)
    scroll, client = page.evaluate("[document.documentElement.scrollWidth, "
                                   "document.documentElement.clientWidth]")
    assert scroll <= client, f"{scroll} px wide in a {client} px window"
    wider = page.evaluate("""() => [...document.querySelectorAll('main *')]
        .filter(e => e.getBoundingClientRect().right
                     > document.documentElement.clientWidth + 0.5)
        .map(e => e.tagName + (e.id ? '#' + e.id : '') + ' '
                  + e.textContent.trim().slice(0, 30))""")
    assert wider == [], wider
