"""The minute at the gate, on a 360×740 phone: light pages, a form within three screens, the
returning visitor in with at most two taps, leaving with one, every page accessible."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.store.models import Location, RetiredToken
from tests.browser.conftest import answer_declaration
from tests.browser.meter import NetworkMeter
from tests.browser.visual import border_contrasts, focus_contrasts, small_targets
from tests.conftest import visits

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
SCREEN = 740
GATE = "/c/gate-token-0001"
# First load of a visitor page: at most this much over the network, in at most 3 requests.
MAX_FIRST_LOAD_BYTES = 30 * 1024
MAX_FIRST_LOAD_REQUESTS = 3


class Taps:
    """Counts every click, tap and key press the visitor makes."""

    def __init__(self, page) -> None:
        self.page, self.count = page, 0

    def click(self, selector: str) -> None:
        self.count += 1
        self.page.click(selector)

    def press(self, selector: str, key: str) -> None:
        self.count += 1
        self.page.press(selector, key)


def _fill_identity(page, name: str = "Nguyễn Văn An") -> None:
    page.fill("#full_name", name)
    page.fill("#phone", "0912 345 678")
    page.fill("#birth_year", "1985")
    page.check("#gender-0")
    page.select_option("#province", "Hà Nội")


def _first_check_in(page, live_server, web, remember: bool = True, cough: bool = False) -> None:
    page.goto(live_server + GATE)
    web.check(page)
    _fill_identity(page)
    if cough:
        answer_declaration(page, yes="symptom_cough")
    else:
        page.check("#none_of_these")
    page.check("#confirm_true")
    page.check("#consent")
    if remember:
        page.check("#remember")
    page.click("button.primary >> nth=-1")
    web.check(page)


def test_a_first_time_visitor_form_is_light_fits_three_screens_and_reads_well(
        app, live_server, web, output_dir):
    page = web.page(**PHONE)
    meter = NetworkMeter(page)
    first = meter.measure(page, live_server + GATE)
    assert first.bytes <= MAX_FIRST_LOAD_BYTES, first
    assert len(first.requests) <= MAX_FIRST_LOAD_REQUESTS, first.requests
    assert not any("htmx" in url for url in first.requests)  # no visitor page uses it
    web.check(page)
    repeat = meter.measure(page, live_server + GATE)
    assert len(repeat.requests) == 1, repeat.requests  # the page; its style and script cached
    web.check(page)

    height = page.evaluate("document.documentElement.scrollHeight")
    assert height <= 3 * SCREEN, f"the form is {height} px: more than three screens"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=output_dir / "form-first-time-vi.png", full_page=True)

    borders = border_contrasts(page)
    assert borders and all(b["ratio"] >= 3 for b in borders), borders
    focus = focus_contrasts(page)
    assert len(focus) >= 20
    assert all(f["width"] >= 2 and f["ratio"] >= 3 for f in focus), focus
    assert small_targets(page) == []


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_enter_in_the_name_field_sends_the_form(app, live_server, web, javascript):
    page = web.page(javascript=javascript, **PHONE)
    page.goto(live_server + GATE)
    web.check(page)
    page.fill("#full_name", "Nguyễn Văn An")
    page.press("#full_name", "Enter")
    web.check(page)
    # Sent, not a companion row added: the answers still missing are asked for.
    assert page.locator("#phone-error").inner_text() == "Nhập số điện thoại."
    assert page.locator("#declaration-error").count() == 1
    assert page.locator("#companions-1-full_name").count() == 0
    assert page.locator("#full_name").input_value() == "Nguyễn Văn An"
    # One message for the questions, not one per question.
    assert page.locator(".declaration .error").count() == 1
    assert page.locator(".yes-no.has-error").count() == 10
    assert visits(app) == []


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_returning_visitor_is_in_with_at_most_two_taps(app, live_server, web, clock,
                                                           output_dir, javascript):
    page = web.page(javascript=javascript, **PHONE)
    _first_check_in(page, live_server, web)
    clock.advance(days=1)  # the next morning, the same phone

    page.goto(live_server + GATE)
    web.check(page)
    assert "Nguyễn Văn An" in page.locator(".who-card").inner_text()
    taps = Taps(page)
    taps.click("button[name=one_tap]")
    web.check(page)
    assert taps.count <= 2
    assert "Khai báo thành công" in page.locator("h1").inner_text()
    yesterday, today = visits(app)
    assert (today.full_name, today.phone, today.flagged) == ("Nguyễn Văn An", "0912345678", False)
    assert today.checked_in_at > yesterday.checked_in_at


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_leaving_by_the_poster_is_one_tap_and_can_be_undone(app, live_server, web, clock,
                                                              javascript):
    page = web.page(javascript=javascript, **PHONE)
    _first_check_in(page, live_server, web, remember=False)
    clock.advance(hours=2)  # on the way out

    page.goto(live_server + GATE)
    web.check(page)
    assert page.locator(".pass .status").inner_text() == (
        "Anh/chị đang ở bên trong từ 08:30 — Cổng chính")
    taps = Taps(page)
    taps.click("button.leave")
    web.check(page)
    assert taps.count == 1
    assert page.locator("h1").inner_text() == "Anh/chị đã ra về"
    [visit] = visits(app)
    assert visit.checkout_by == "visitor" and visit.checked_out_at == clock.now

    page.click("text=Tôi vẫn ở đây")  # tapped by mistake: undone within a minute
    web.check(page)
    [visit] = visits(app)
    assert visit.checked_out_at is None
    page.click("button.leave")
    web.check(page)
    clock.advance(minutes=2)
    page.reload()
    web.check(page)
    assert page.locator("text=Tôi vẫn ở đây").count() == 0
    assert len(visits(app)) == 1


def _replace_token(app) -> None:
    with app.app_context():
        location = db.session.scalar(db.select(Location))
        db.session.add(RetiredToken(token="old-poster-token", location_id=location.id,
                                    retired_at=location.created_at))
        db.session.commit()


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_visitor_page_is_light_accessible_and_photographed(app, live_server, web, clock,
                                                                  output_dir, lang):
    _replace_token(app)

    def fresh_page():
        page = web.page(**PHONE)
        if lang == "en":
            page.goto(f"{live_server}/lang/en?next=/")
            web.check(page)
        return page

    def first_load(page, path: str, shot: str) -> None:
        meter = NetworkMeter(page)
        meter.clear_cache()
        load = meter.measure(page, live_server + path)
        assert load.bytes <= MAX_FIRST_LOAD_BYTES, (path, load)
        assert len(load.requests) <= MAX_FIRST_LOAD_REQUESTS, (path, load.requests)
        web.check(page)
        assert small_targets(page) == [], path
        page.screenshot(path=output_dir / f"{shot}-{lang}.png", full_page=True)

    cleared = fresh_page()
    first_load(cleared, GATE, "1-form")
    _first_check_in(cleared, live_server, web)
    first_load(cleared, cleared.url.removeprefix(live_server), "2-done-cleared")
    first_load(cleared, GATE, "3-inside")
    cleared.click("button.leave")
    web.check(cleared)
    cleared.screenshot(path=output_dir / f"4-left-{lang}.png", full_page=True)
    clock.advance(days=1)
    first_load(cleared, GATE, "5-one-tap")

    flagged = fresh_page()
    _first_check_in(flagged, live_server, web, remember=False, cough=True)
    assert flagged.locator(".pass.flagged").count() == 1
    first_load(flagged, flagged.url.removeprefix(live_server), "6-done-flagged")

    stranger = fresh_page()
    first_load(stranger, flagged.url.removeprefix(live_server), "7-not-your-visit")
    first_load(stranger, "/c/no-such-token", "8-not-found")
    first_load(stranger, "/c/old-poster-token", "9-replaced")
    first_load(stranger, "/", "10-home")
