"""'Remember me on this phone', 'forget me', and the language switch."""

from __future__ import annotations

import pytest

from app.checkin.visitor_cookies import PROFILE_COOKIE
from tests.conftest import Phone, all_no, visits
from tests.html_form import form_values


def _cookie(client, name):
    return client.get_cookie(name)


def _open_counter(app, phone) -> Phone:
    with app.app_context():
        from app.extensions import db
        from app.store.models import Location
        db.session.add(Location(name="Bộ phận một cửa", token="counter-token-02"))
        db.session.commit()
    return Phone(phone.client, "counter-token-02")


def test_a_remembered_visitor_is_checked_in_with_one_tap_the_next_day(app, phone, clock):
    phone.check_in(remember="y", phone="+84 912 345 678", symptom_fever="yes")
    assert _cookie(phone.client, PROFILE_COOKIE) is not None

    # The next day, at another entry point, from the same phone.
    clock.advance(days=1)
    counter = _open_counter(app, phone)
    html = counter.open_form().get_data(as_text=True)
    assert "Nguyễn Văn An" in html and "0912345678" in html and "Không phải tôi?" in html
    assert "Tôi không có triệu chứng, tiếp xúc hay đi lại nào kể trên" in html
    assert "Khai báo và vào" in html and "Tôi có nội dung cần khai báo" in html
    # Nothing about the declaration is pre-answered: the button's own words are the answer.
    values = form_values(html, counter.form_url)
    assert set(values) == {"csrf_token", "visit_secret"}
    assert counter.client.post(counter.form_url, data={**values, "one_tap": "1"}
                               ).status_code == 302
    first, second = visits(app)
    assert second.location.name == "Bộ phận một cửa"
    assert (second.full_name, second.phone, second.birth_year, second.street) == (
        "Nguyễn Văn An", "0912345678", 1985, "12 Hàng Bài")
    assert second.flagged is False and not any(second.declaration["symptoms"].values())
    assert first.flagged is True  # yesterday's answers are not carried over


def test_the_full_form_is_one_tap_away_and_prefilled(app, phone, clock):
    phone.check_in(remember="y", phone="+84 912 345 678")
    clock.advance(days=1)
    html = phone.open_form(full=1).get_data(as_text=True)
    values = form_values(html, phone.form_url)
    assert values["full_name"] == "Nguyễn Văn An"
    assert values["phone"] == "0912345678"
    assert values["birth_year"] == "1985"
    assert values["gender"] == "male"
    assert values["province"] == "Hà Nội"
    assert values["street"] == "12 Hàng Bài"
    assert values["remember"] == "y" and values["consent"] == "y"
    assert not any(k.startswith(("symptom_", "exposure_")) for k in values)
    assert "travel" not in values and values["travel_places"] == ""
    assert "confirm_true" not in values and values["purpose"] == ""
    assert "Thông tin của anh/chị đã được điền sẵn" in html
    sent = {**values, "symptom_cough": "yes", "none_of_these": None, **{
        k: "no" for k in all_no() if k != "symptom_cough"}, "confirm_true": "y"}
    assert phone.submit(sent, {}).status_code == 302
    assert visits(app)[1].flagged is True


def test_a_changed_notice_asks_for_consent_again(app, phone, clock):
    phone.check_in(remember="y")
    clock.advance(days=1)
    app.config["RETENTION_DAYS"] = 28  # the notice now says 28 days
    html = phone.open_form().get_data(as_text=True)
    assert "Khai báo và vào" not in html  # no one-tap until the new notice is agreed to
    assert "đã thay đổi" in html and "trong 28 ngày" in html
    values = form_values(html, phone.form_url)
    assert values["full_name"] == "Nguyễn Văn An" and "consent" not in values
    # A one-tap post prepared before the change is not accepted either.
    token_page = phone.open_form(new=1).get_data(as_text=True)
    hidden = form_values(token_page, phone.form_url)
    stale = phone.client.post(phone.form_url, data={"csrf_token": hidden["csrf_token"],
                                                    "visit_secret": hidden["visit_secret"],
                                                    "one_tap": "1"})
    assert stale.status_code == 302 and stale.headers["Location"].endswith("?full=1")
    assert len(visits(app)) == 1
    # Agreeing once more brings the one tap back.
    phone.submit({**values, "none_of_these": "y", "confirm_true": "y", "consent": "y"}, {})
    clock.advance(days=1)
    assert "Khai báo và vào" in phone.open_form().get_data(as_text=True)


def test_not_ticking_remember_me_keeps_nothing(phone):
    phone.check_in()
    assert _cookie(phone.client, PROFILE_COOKIE) is None
    values = form_values(phone.open_form(new=1).get_data(as_text=True), phone.form_url)
    assert values["full_name"] == ""


def test_forget_me_clears_the_cookie(phone):
    phone.check_in(remember="y")
    response = phone.client.post(f"/c/{phone.token}/forget")
    assert response.status_code == 302
    assert _cookie(phone.client, PROFILE_COOKIE) is None
    values = form_values(phone.open_form(new=1).get_data(as_text=True), phone.form_url)
    assert values["full_name"] == "" and "remember" not in values


@pytest.mark.app_settings(PUBLIC_URL="https://vao.example.vn")
def test_over_https_the_cookie_is_forgotten_with_the_attributes_it_was_set_with(phone):
    set_cookie = phone.check_in(remember="y").headers.getlist("Set-Cookie")
    [kept] = [line for line in set_cookie if line.startswith(PROFILE_COOKIE + "=")]
    forgotten = phone.client.post(f"/c/{phone.token}/forget").headers.getlist("Set-Cookie")
    [removal] = [line for line in forgotten if line.startswith(PROFILE_COOKIE + "=")]
    attributes = {part.strip().split("=")[0] for part in removal.split(";")[1:]}
    assert {"Secure", "HttpOnly", "SameSite"} <= attributes
    assert attributes - {"Expires", "Max-Age"} == \
        {part.strip().split("=")[0] for part in kept.split(";")[1:]} - {"Expires", "Max-Age"}


def test_unticking_remember_me_forgets(phone):
    phone.check_in(remember="y")
    phone.check_in(remember=None, full_name="Nguyễn Văn Ân")
    assert _cookie(phone.client, PROFILE_COOKIE) is None


def test_a_tampered_profile_cookie_is_ignored(phone):
    phone.client.set_cookie(PROFILE_COOKIE, "eyJmdWxsX25hbWUiOiJYIn0.forged")
    values = form_values(phone.open_form().get_data(as_text=True), phone.form_url)
    assert values["full_name"] == ""


def test_english_by_a_visible_switch(app, phone):
    html = phone.open_form().get_data(as_text=True)
    assert f'href="/lang/en?next=/c/{phone.token}"' in html
    switched = phone.client.get(f"/lang/en?next=/c/{phone.token}")
    assert switched.status_code == 302 and switched.headers["Location"] == f"/c/{phone.token}"
    html = phone.open_form().get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Health declaration" in html and "Full name" in html and "Fever" in html
    errors = phone.check_in(phone="123").get_data(as_text=True)
    assert "Enter a mobile number of 10 digits" in errors
    phone.check_in()
    assert "Declaration received — please come in" in phone.client.get(
        f"/v/{visits(app)[0].id}").get_data(as_text=True)
    phone.client.get("/lang/vi")
    assert "Khai báo y tế" in phone.open_form(new=1).get_data(as_text=True)


def test_language_switch_only_returns_to_this_site(client):
    for target in ("//evil.example", "https://evil.example", "/\\evil.example",
                   "javascript:alert(1)"):
        response = client.get("/lang/en", query_string={"next": target})
        assert response.headers["Location"] == "/"
    assert client.get("/lang/xx").status_code == 404


def test_all_no_helper_covers_every_question():
    from app.checkin import declaration
    assert len(all_no()) == len(declaration.SYMPTOMS) + len(declaration.EXPOSURES) + 1
