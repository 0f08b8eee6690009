"""What the visitor's requests no longer do, pinned so that a later change cannot bring the
work back unnoticed (bench/instructions.py counts what each request costs)."""

from __future__ import annotations

import re
from contextlib import contextmanager
from urllib.parse import unquote

import babel.support
import flask.app
import flask_babel
import flask_wtf.csrf
import itsdangerous
import pytest
from markupsafe import escape
from sqlalchemy import event
from sqlalchemy.orm import Session
from wtforms import Field

from app.checkin import forms, pass_copies, visitor_cookies
from app.employees import enrolment
from app.extensions import csrf, db, login_manager
from app.routes import checkin as checkin_routes
from app.store.models import EmployeeDevice
from app.web import language, signing, templating
from tests.builders import enrol_phone
from tests.conftest import Phone, visits
from tests.html_form import form_values


@contextmanager
def statements(app):
    """The SQL statements sent while the block runs (BEGIN and ROLLBACK included)."""
    sent: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        sent.append(statement.split(None, 1)[0].upper())

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


@contextmanager
def calls(monkeypatch, owner, name: str):
    """How many times owner.name is called while the block runs."""
    made: list[int] = []
    real = getattr(owner, name)

    def counted(*args, **kwargs):
        made.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    yield made
    monkeypatch.setattr(owner, name, real)


# A new visitor's answers, as the form sends them.
HOA = {"full_name": "Trần Thị Hoa", "phone": "0987654321", "birth_year": "1990",
       "gender": "female", "nationality": "Việt Nam", "province": "Hà Nội",
       "confirm_true": "y", "consent": "y", "none_of_these": "y"}


@pytest.fixture
def checked_in(app, phone: Phone) -> str:
    """The confirmation page's address after one check-in (the page seen once already)."""
    address = phone.check_in().headers["Location"]
    assert phone.client.get(address).status_code == 200
    return address


def test_the_confirmation_reads_one_row(app, phone, checked_in):
    with statements(app) as sent:
        page = phone.client.get(checked_in)
    assert page.status_code == 200 and "Nguyễn Văn An" in page.get_data(as_text=True)
    assert sent.count("SELECT") == 1, sent  # the visit, no ORM loading of anything else
    assert [s for s in sent if s not in ("BEGIN", "SELECT", "ROLLBACK")] == []


def test_a_party_adds_one_read_for_its_companions(app, phone):
    address = phone.check_in(**{"companions-0-full_name": "Nguyễn Thị Bình",
                                "companions-0-birth_year": "2015",
                                "companions-0-answer": "none"}).headers["Location"]
    phone.client.get(address)
    with statements(app) as sent:
        page = phone.client.get(address)
    assert "Nguyễn Thị Bình (2015)" in page.get_data(as_text=True)
    assert sent.count("SELECT") == 2, sent


def test_the_confirmation_builds_no_form(app, phone, checked_in, monkeypatch):
    with calls(monkeypatch, forms.CheckOutForm, "__init__") as built:
        page = phone.client.get(checked_in)
    html = page.get_data(as_text=True)
    assert built == []
    # Its button still carries the token a form would.
    assert '<input id="csrf_token" name="csrf_token" type="hidden" value="' in html


def test_unchanged_cookies_are_not_signed_again(app, phone, checked_in):
    for address in (checked_in, phone.form_url + "?new=1", checked_in):
        page = phone.client.get(address)
        assert page.status_code == 200
        assert page.headers.getlist("Set-Cookie") == [], address


def test_a_check_in_signs_no_token_it_does_not_show(app, phone, monkeypatch):
    hidden = phone.hidden_fields()
    with calls(monkeypatch, flask_wtf.csrf, "generate_csrf") as signed:
        response = phone.submit(HOA, hidden)
    assert response.status_code == 302
    assert signed == []
    # Only the phone's own visits cookie is written: the session is not signed again.
    assert [c.split("=")[0] for c in response.headers.getlist("Set-Cookie")] == ["gb_visits"]


def test_a_form_shown_again_still_carries_its_token(phone):
    page = phone.submit({"full_name": ""}).get_data(as_text=True)  # errors: the form again
    assert '<input id="csrf_token" name="csrf_token" type="hidden" value="' in page
    assert 'value="&lt;' not in page and "WhenShown" not in page


def test_a_page_finds_its_catalogue_once(app, phone, checked_in, monkeypatch):
    with calls(monkeypatch, templating, "get_translations") as found:
        # (An address with a query: the page is rendered, not taken from a copy.)
        html = phone.client.get(checked_in + "?rendered=1").get_data(as_text=True)
    assert "Ra về" in html
    assert len(found) == 1


def test_a_page_in_another_language_is_translated_into_that_one(app):
    with app.test_request_context():
        from flask import render_template_string
        assert render_template_string("{{ _('Leave') }}") == "Ra về"
        with flask_babel.force_locale("en"):
            assert render_template_string("{{ _('Leave') }}") == "Leave"
        assert render_template_string("{{ _('Leave') }}") == "Ra về"


def test_each_language_is_parsed_once_per_process(app):
    with app.test_request_context():
        assert language.select_locale() is language.select_locale()


def test_the_visitor_cookies_share_one_serializer(app, phone, checked_in):
    made = signing.timed_serializer.cache_info().misses
    phone.client.get(checked_in)
    phone.check_in(full_name="Lê Văn Cường", phone="0901234567")
    assert signing.timed_serializer.cache_info().misses == made


def test_the_consent_fingerprint_follows_the_settings(app):
    with app.test_request_context():
        first = forms.consent_version()
        assert forms.consent_version() == first
        app.config["RETENTION_DAYS"] += 1
        assert forms.consent_version() != first


def test_csrf_tokens_are_signed_and_checked_with_a_kept_serializer(app, phone, checked_in,
                                                                    monkeypatch):
    with calls(monkeypatch, itsdangerous.URLSafeTimedSerializer, "__init__") as built:
        page = phone.client.get(checked_in)  # signs the buttons' token
        posted = phone.client.post(checked_in + "/checkout", data={
            "csrf_token": _token_in(page.get_data(as_text=True))})  # checks it
    assert posted.status_code == 302
    assert built == []
    assert "Anh/chị đã ra về" in phone.client.get(checked_in).get_data(as_text=True)


def _token_in(html: str) -> str:
    start = html.index('name="csrf_token" type="hidden" value="') + len(
        'name="csrf_token" type="hidden" value="')
    return html[start:html.index('"', start)]


def test_a_visitors_requests_do_not_load_a_user(app, phone, checked_in, monkeypatch):
    with calls(monkeypatch, login_manager, "_load_user") as loaded:
        assert phone.client.get(checked_in, headers={"Accept-Encoding": "gzip"}).headers[
            "Content-Encoding"] == "gzip"
        assert phone.check_in(full_name="Lê Văn Cường", phone="0901234567").status_code == 302
        assert phone.client.get(phone.form_url + "?new=1").status_code == 200
    assert loaded == []


def test_a_signed_in_browser_gets_visitor_pages_uncompressed(app, admin):
    # Its session's CSRF token is the one its staff pages carry (BREACH).
    page = admin.client.get("/c/gate-token-0001?new=1", headers={"Accept-Encoding": "gzip"})
    assert page.status_code == 200
    assert "Content-Encoding" not in page.headers


def test_a_template_translates_in_one_call_as_jinja_would(app):
    assert app.jinja_env.globals["_"] is templating.template_gettext
    samples = ["{{ _('Leave') }}", "{{ _('Now at %(place)s since %(time)s', place=p, time=t) }}",
               "{{ _('100%% sure') }}", "{{ _('%(n)s <b>', n=p) }}",
               "{% autoescape false %}{{ _('%(n)s <b>', n=p) }}{% endautoescape %}"]
    with app.test_request_context():
        from flask import render_template_string
        for sample in samples:
            ours = render_template_string(sample, p="<i>A & B</i>", t="09:00")
            jinjas = render_template_string(sample.replace("_(", "gettext("), p="<i>A & B</i>",
                                            t="09:00")
            assert ours == jinjas, sample
            # Again, from the texts kept translated (the page's language's catalogue).
            assert render_template_string(sample, p="<i>A & B</i>", t="09:00") == jinjas, sample
        escaped = render_template_string(samples[1], p="<i>A & B</i>", t="09:00")
        assert "&lt;i&gt;A &amp; B&lt;/i&gt;" in escaped
        assert render_template_string(samples[4], p="<i>") == "<i> <b>"  # as it is: not HTML


def test_the_consent_is_worded_only_on_a_page_that_shows_it(app, phone, monkeypatch):
    app.config["ORG_NAME"] = "Phường <Láng> & Co"
    hidden = phone.hidden_fields()
    with calls(monkeypatch, forms, "consent_text") as worded:
        assert phone.check_in().status_code == 302
    assert worded == []
    page = phone.submit({"full_name": ""}, hidden).get_data(as_text=True)  # the form again
    assert "Phường &lt;Láng&gt; &amp; Co" in page and "Phường <Láng>" not in page


def test_a_check_in_begins_one_session_transaction(app, phone):
    hidden = phone.hidden_fields()
    begun: list[int] = []

    def record(_session, transaction):
        if transaction.parent is None:
            begun.append(1)

    event.listen(Session, "after_transaction_create", record)
    try:
        response = phone.submit(HOA, hidden)
    finally:
        event.remove(Session, "after_transaction_create", record)
    assert response.status_code == 302
    assert begun == [1]  # the write's: none begun only to be committed empty before it


def test_a_check_ins_write_begins_with_one_read(app, phone):
    hidden = phone.hidden_fields()
    with statements(app) as sent:
        response = phone.submit(HOA, hidden)
    assert response.status_code == 302
    # The entry point still open under its token and no visit with this secret, asked at
    # once; then the visit and its presence.
    assert [s for s in sent if s != "BEGIN"] == ["SELECT", "INSERT", "INSERT"]


def test_an_employees_tap_reads_its_phone_as_one_row(app, phone):
    enrol_phone(app, phone)
    page = phone.open_form().get_data(as_text=True)
    assert "Trần Thị Thợ" in page
    loaded: list[int] = []

    def record(*_args):
        loaded.append(1)

    event.listen(EmployeeDevice, "load", record)
    try:
        with statements(app) as sent:
            response = phone.client.post(phone.form_url, data={
                **form_values(page, phone.form_url), "employee_tap": "1"})
    finally:
        event.remove(EmployeeDevice, "load", record)
    assert response.status_code == 302
    assert loaded == []  # no ORM object for the phone or its employee
    # One read for the phone and its employee, then the write (with the phone's last use),
    # which begins with one read: the entry point still open, and no visit with its secret.
    assert [s for s in sent if s != "BEGIN"] == [
        "SELECT", "SELECT", "INSERT", "INSERT", "UPDATE"]
    assert "Trần Thị Thợ" in phone.client.get(response.headers["Location"]).get_data(
        as_text=True)


def test_the_desks_poll_signs_no_cookie(desk, clock):
    # A sign-in lasts its hours from the sign-in (the server's record says so): its cookie is
    # not signed again at every poll.
    html = desk.client.get("/dashboard/").get_data(as_text=True)
    since = unquote(re.search(r'/dashboard/changes\?since=([^&"]+)', html).group(1))
    clock.advance(seconds=6)  # past the poll's look-back: nothing changed
    quiet = desk.client.get("/dashboard/changes", query_string={"since": since})
    assert quiet.status_code == 204
    assert quiet.headers.getlist("Set-Cookie") == []
    assert desk.client.get("/dashboard/").headers.getlist("Set-Cookie") == []


def _one_tap(phone: Phone):
    page = phone.open_form().get_data(as_text=True)
    assert 'name="one_tap"' in page
    return phone.client.post(phone.form_url, data={**form_values(page, phone.form_url),
                                                   "one_tap": "1"})


def _cookies_set(response) -> list[str]:
    return sorted(c.split("=")[0] for c in response.headers.getlist("Set-Cookie"))


def test_a_one_tap_does_not_sign_the_remembered_details_again(app, phone, clock, monkeypatch):
    assert phone.check_in(remember="y").status_code == 302
    phone.client.delete_cookie(visitor_cookies.VISITS_COOKIE)  # back another day
    tapped = _one_tap(phone)
    assert tapped.status_code == 302
    assert _cookies_set(tapped) == ["gb_visits"]  # the details it sent, not sent back
    assert len(visits(app)) == 2
    # Signed more than a day ago: signed again, so that the cookie's end moves on.
    later = visitor_cookies._now() + visitor_cookies.PROFILE_RENEWED_AFTER
    monkeypatch.setattr(visitor_cookies, "_now", lambda: later)
    phone.client.delete_cookie(visitor_cookies.VISITS_COOKIE)
    assert _cookies_set(_one_tap(phone)) == ["gb_profile", "gb_visits"]


def test_changed_details_are_remembered_at_once(app, phone):
    assert phone.check_in(remember="y").status_code == 302
    phone.client.delete_cookie(visitor_cookies.VISITS_COOKIE)
    changed = phone.check_in(remember="y", street="5 Tràng Tiền")
    assert _cookies_set(changed) == ["gb_profile", "gb_visits"]
    phone.client.delete_cookie(visitor_cookies.VISITS_COOKIE)
    html = phone.open_form(full=1).get_data(as_text=True)
    assert form_values(html, phone.form_url)["street"] == "5 Tràng Tiền"


def test_a_forms_fields_are_bound_once_per_process(app, monkeypatch):
    def build():
        with app.test_request_context("/c/gate-token-0001", method="POST",
                                      data={"full_name": "  Lê Văn Bình "}):
            form = forms.CheckInForm()
            form.validate()
            return form

    build()
    bound: list[str] = []
    real = Field.__init__

    def binding(field, *args, **kwargs):
        bound.append(type(field).__name__)
        real(field, *args, **kwargs)

    monkeypatch.setattr(Field, "__init__", binding)
    first, second = build(), build()
    # Copies of the fields bound the first time; only the CSRF field is each form's own.
    assert bound == ["CSRFTokenField", "CSRFTokenField"]
    assert first.full_name is not second.full_name
    assert first.full_name.data == "Lê Văn Bình"
    assert first.phone.errors and first.phone.label.field_id == "phone"


def test_copied_fields_keep_their_own_label_data_and_errors(app):
    def form(data: dict, language: str = "vi"):
        with app.test_request_context("/c/gate-token-0001", method="POST", data=data,
                                      headers={"Cookie": f"lang={language}"}):
            made = forms.CheckInForm()
            made.validate()
            return made, str(made.consent.label.text), str(made.full_name.label.text)

    wrong, _, _ = form({"phone": "123"})
    app.config["ORG_NAME"] = "Công ty <Mới>"
    right, consent, name = form({"phone": "0912345678", "full_name": "An"})
    english, consent_en, name_en = form({}, "en")
    assert wrong.phone.errors and not right.phone.errors
    assert (wrong.phone.data, right.phone.data, english.phone.data) == ("123", "0912345678", None)
    assert "Công ty <Mới>" in consent and "Công ty <Mới>" in consent_en
    assert consent != consent_en and (name, name_en) == ("Họ và tên", "Full name")
    # A label worded for one form is that form's own.
    right.full_name.label.text = "changed"
    assert form({})[2] == "Họ và tên"


def _looked_up(monkeypatch) -> list[str]:
    """The texts looked up in a catalogue (either kind) from now on."""
    looked: list[str] = []
    for kind in (babel.support.NullTranslations, babel.support.Translations):
        real = kind.ugettext

        def counted(self, message, real=real):
            looked.append(message)
            return real(self, message)

        monkeypatch.setattr(kind, "ugettext", counted)
    return looked


def test_a_pages_plain_texts_are_translated_once_per_language(app, phone, checked_in,
                                                               monkeypatch):
    rendered = checked_in + "?rendered=1"  # (not from the pass's copy: rendered)
    phone.client.get(rendered)
    looked = _looked_up(monkeypatch)
    first = phone.client.get(rendered).get_data(as_text=True)
    # Seen once already: only texts with a name or a time in them are looked up again.
    assert "Ra về" in first and looked and all("%(" in text for text in looked)
    phone.client.set_cookie(language.LANGUAGE_COOKIE, "en")
    assert "Leave" in phone.client.get(rendered).get_data(as_text=True)  # its own catalogue
    looked.clear()
    assert "Leave" in phone.client.get(rendered).get_data(as_text=True)
    assert looked and all("%(" in text for text in looked)
    phone.client.delete_cookie(language.LANGUAGE_COOKIE)
    assert phone.client.get(rendered).get_data(as_text=True) == first


def test_csrf_tokens_are_looked_for_only_in_posts(app, phone, checked_in, monkeypatch):
    with calls(monkeypatch, csrf, "_is_exempt") as looked:
        assert phone.client.get(checked_in).status_code == 200
        assert phone.client.get(phone.form_url + "?new=1").status_code == 200
    assert looked == []
    # A post is checked as before: the check-out without its token changes nothing.
    with calls(monkeypatch, csrf, "_is_exempt") as looked:
        page = phone.client.post(checked_in + "/checkout", data={})
    assert page.status_code == 200 and "Ra về" in page.get_data(as_text=True)
    assert looked == [1]
    assert visits(app)[0].checked_out_at is None


def test_the_app_asks_once_whether_a_hook_is_async(app, phone, checked_in, monkeypatch):
    phone.client.get(checked_in)
    with calls(monkeypatch, flask.app, "iscoroutinefunction") as asked:
        assert phone.client.get(checked_in).status_code == 200
    assert asked == []  # every hook and view was asked about at the first request


def test_an_employees_tap_sends_back_the_phones_cookie_as_it_came(app, phone, monkeypatch):
    enrol_phone(app, phone)
    sent = phone.client.get_cookie(enrolment.EMPLOYEE_COOKIE).value
    page = phone.open_form().get_data(as_text=True)
    with calls(monkeypatch, itsdangerous.URLSafeSerializer, "dumps") as signed, \
            calls(monkeypatch, itsdangerous.URLSafeSerializer, "loads") as checked:
        response = phone.client.post(phone.form_url, data={
            **form_values(page, phone.form_url), "employee_tap": "1"})
    assert response.status_code == 302
    assert len(checked) == 1  # the phone's signature, checked once
    renewed = [c for c in response.headers.getlist("Set-Cookie")
               if c.startswith(enrolment.EMPLOYEE_COOKIE + "=")]
    assert len(renewed) == 1 and renewed[0].startswith(f"{enrolment.EMPLOYEE_COOKIE}={sent};")
    assert f"Max-Age={enrolment.EMPLOYEE_COOKIE_DAYS * 24 * 3600}" in renewed[0]
    assert signed == []  # the phone's cookie goes back as it came, not signed again


def _masked(html: str) -> str:
    """The page with its CSRF tokens' values masked (signed at each page, with the time)."""
    return re.sub(r'(name="csrf_token" type="hidden" value=")[^"]*', r"\1…", html)


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("name", ["Đỗ Thị Hoa", "O'Neil & <Co>", pass_copies._CSRF,
                                  str(pass_copies._ID)])
def test_a_plain_pass_is_its_copy_with_the_visitors_own(app, client, lang, name, monkeypatch):
    first, second = Phone(app.test_client()), Phone(app.test_client())
    for phone in (first, second):
        phone.client.set_cookie(language.LANGUAGE_COOKIE, lang)
    mine = first.check_in().headers["Location"]
    theirs = second.check_in(full_name=name, phone="0987654321").headers["Location"]
    assert first.client.get(mine).status_code == 200  # the copy made
    with calls(monkeypatch, pass_copies, "render_template") as rendered, \
            calls(monkeypatch, checkin_routes, "render_template") as rendered_by_view:
        copied = second.client.get(theirs)
    assert copied.status_code == 200 and rendered == rendered_by_view == []
    html = copied.get_data(as_text=True)
    # As the template renders the same page afresh, for the same phone.
    app.extensions["gatebook_pass_copies"].clear()
    fresh = second.client.get(theirs + "?rendered=1").get_data(as_text=True)
    assert _masked(html) == _masked(fresh).replace("?rendered%3D1", "")  # (its language link)
    assert str(escape(name)) in html and "Nguyễn Văn An" not in html
    assert f'action="{theirs}/checkout"' in html and mine not in html
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    assert token != pass_copies._CSRF
    # The token is the phone's own: its check-out goes through.
    assert second.client.post(theirs + "/checkout", data={"csrf_token": token}
                              ).status_code == 302
    assert [v.checked_out_at is None for v in visits(app)] == [True, False]


def test_a_pass_that_is_not_plain_is_rendered(app, phone, monkeypatch):
    flagged = phone.check_in(symptom_fever="yes").headers["Location"]
    phone.client.get(flagged)
    with calls(monkeypatch, pass_copies, "_copy") as copied:
        html = phone.client.get(flagged).get_data(as_text=True)
    assert 'class="pass flagged"' in html and copied == []
    assert "gatebook_pass_copies" not in app.extensions
