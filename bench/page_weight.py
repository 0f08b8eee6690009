"""Page weight of the visitor's pages, as a phone on mobile data sees them.

Serves the app on a fresh SQLite database and opens each visitor page in headless Chromium
(360×740): the check-in form, the one-tap check-in of a remembered visitor, the confirmation
(cleared and flagged), the "inside" page that offers Ra về, and the error pages. For each,
prints the bytes transferred and the requests made on the first load (an empty cache) and on
a repeat load, read from the browser's own network events, against the targets:
first load <= 30 KB and <= 3 requests.

Run: .venv/bin/python bench/page_weight.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from playwright.sync_api import sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.store.models import Location, RetiredToken  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS  # noqa: E402
from tests.browser.meter import NetworkMeter  # noqa: E402

MAX_BYTES = 30 * 1024
MAX_REQUESTS = 3
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


def serve() -> str:
    """The app on a free local port, with one entry point and one replaced QR code."""
    folder = tempfile.mkdtemp(prefix="gatebook-weight-")
    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": f"sqlite:///{folder}/w.sqlite",
                      "BACKGROUND_JOBS": False}, instance_path=folder)
    with app.app_context():
        db.create_all()
        gate = Location(name="Cổng chính", token="gate")
        db.session.add(gate)
        db.session.flush()
        db.session.add(RetiredToken(token="old", location_id=gate.id, retired_at=gate.created_at))
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}"


def check_in(page, base: str, cough: bool) -> str:
    """Check in through the form (remembered on this phone); the confirmation's path."""
    page.goto(base + "/c/gate")
    page.fill("#full_name", "Nguyễn Văn An")
    page.fill("#phone", "0912345678")
    page.fill("#birth_year", "1985")
    page.check("#gender-0")
    page.select_option("#province", "Hà Nội")
    if cough:
        for field in ("symptom_fever", "symptom_short_breath", "symptom_sore_throat",
                      "symptom_fatigue", "symptom_taste_smell", "exposure_case_contact",
                      "exposure_outbreak_area_contact", "exposure_symptomatic_contact",
                      "travel"):
            page.check(f"#{field}-1")
        page.check("#symptom_cough-0")
    else:
        page.check("#none_of_these")
    page.check("#confirm_true")
    page.check("#consent")
    page.check("#remember")
    page.click("button.primary >> nth=-1")
    return page.url.removeprefix(base)


def weigh(page, base: str, path: str) -> tuple:
    """(first load, repeat load) of one page."""
    meter = NetworkMeter(page)
    meter.clear_cache()
    first = meter.measure(page, base + path)
    repeat = meter.measure(page, base + path)
    return first, repeat


def main() -> int:
    base = serve()
    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        visitor = browser.new_context(**PHONE).new_page()
        rows.append(("check-in form", *weigh(visitor, base, "/c/gate")))
        done = check_in(visitor, base, cough=False)
        rows.append(("confirmation, cleared", *weigh(visitor, base, done)))
        rows.append(("inside: Ra về", *weigh(visitor, base, "/c/gate")))
        visitor.click("button.leave")
        rows.append(("one-tap check-in", *weigh(visitor, base, "/c/gate")))
        flagged = browser.new_context(**PHONE).new_page()
        rows.append(("confirmation, flagged", *weigh(flagged, base,
                                                    check_in(flagged, base, cough=True))))
        stranger = browser.new_context(**PHONE).new_page()
        rows.append(("error: not your visit", *weigh(stranger, base, done)))
        rows.append(("error: unknown QR code", *weigh(stranger, base, "/c/nothing")))
        rows.append(("error: replaced QR code", *weigh(stranger, base, "/c/old")))
        browser.close()

    print(f"{'page':26} {'first load':>16} {'repeat load':>16}   target: first <= "
          f"{MAX_BYTES // 1024} KB in <= {MAX_REQUESTS} requests")
    met = True
    for name, first, repeat in rows:
        ok = first.bytes <= MAX_BYTES and len(first.requests) <= MAX_REQUESTS
        met = met and ok
        print(f"{name:26} {first.kilobytes:6.1f} KB in {len(first.requests)} "
              f"{repeat.kilobytes:6.1f} KB in {len(repeat.requests)}   "
              f"{'met' if ok else 'NOT MET'}")
    print("all targets met" if met else "some targets NOT met")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
