"""'Remember me on this phone', 'forget me', and the language switch."""

from __future__ import annotations

from app.visitor_cookies import PROFILE_COOKIE
from tests.conftest import Phone, all_no, visits
from tests.html_form import form_values


def _cookie(client, name):
    return client.get_cookie(name)


def test_remembered_details_prefill_the_next_check_in_but_not_the_declaration(app, phone):
    phone.check_in(remember="y", phone="+84 912 345 678", symptom_fever="yes")
    assert _cookie(phone.client, PROFILE_COOKIE) is not None

    # The next check-in, at another entry point, from the same phone.
    with app.app_context():
        from app.extensions import db
        from app.models import Location
        db.session.add(Location(name="Bộ phận một cửa", token="counter-token-02"))
        db.session.commit()
    counter = Phone(phone.client, "counter-token-02")
    html = counter.open_form().get_data(as_text=True)
    values = form_values(html, counter.form_url)
    assert values["full_name"] == "Nguyễn Văn An"
    assert values["phone"] == "0912345678"
    assert values["birth_year"] == "1985"
    assert values["gender"] == "male"
    assert values["province"] == "Hà Nội"
    assert values["street"] == "12 Hàng Bài"
    assert values["remember"] == "y"
    assert not any(k.startswith(("symptom_", "exposure_")) for k in values)
    assert "travel" not in values and values["travel_places"] == ""
    assert "consent" not in values and "purpose" in values and values["purpose"] == ""
    assert "Thông tin của anh/chị đã được điền sẵn" in html

    # A tap or two: the prefilled form + "none of these" + the two commitments.
    sent = {**values, "none_of_these": "y", "confirm_true": "y", "consent": "y"}
    assert counter.submit(sent, {}).status_code == 302
    assert [v.location.name for v in visits(app)] == ["Cổng chính", "Bộ phận một cửa"]
    assert visits(app)[1].flagged is False


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
    assert "You are checked in" in phone.client.get(
        f"/v/{visits(app)[0].id}").get_data(as_text=True)
    phone.client.get("/lang/vi")
    assert "Khai báo y tế" in phone.open_form(new=1).get_data(as_text=True)


def test_language_switch_only_returns_to_this_site(client):
    for target in ("//evil.example", "https://evil.example", "/\\evil.example",
                   "javascript:alert(1)", "/\t/evil.example"):
        response = client.get("/lang/en", query_string={"next": target})
        assert response.headers["Location"] == "/"
    assert client.get("/lang/xx").status_code == 404


def test_all_no_helper_covers_every_question():
    from app import declaration
    assert len(all_no()) == len(declaration.SYMPTOMS) + len(declaration.EXPOSURES) + 1
