"""The visitor's path: the form, validation, the stored visit, the done page."""

from __future__ import annotations

import gzip
import re
import unicodedata
import zlib
from concurrent.futures import ThreadPoolExecutor

import pytest

from app.checkin import declaration
from app.checkin.forms import CheckInForm
from app.checkin.visitor_cookies import MAX_REMEMBERED_VISITS
from app.extensions import db
from app.store.models import Location
from app.web import form_fields
from app.web.language import LANGUAGE_COOKIE
from tests.conftest import VALID_VISITOR, Phone, error_text, visits
from tests.html_form import form_values, read_form


def test_form_is_vietnamese_with_a_label_for_every_input(phone):
    page = phone.open_form()
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<html lang="vi">' in html
    for text in ("Khai báo y tế", "Họ và tên", "Số điện thoại", "Năm sinh", "Cổng chính",
                 "Trong vòng 14 ngày qua", "Sốt", "Mất vị giác hoặc khứu giác",
                 "trong 21 ngày", "Phường Tràng Tiền"):
        assert text in html
    form = read_form(html, phone.form_url)
    assert form.control_ids, "the form has inputs"
    unlabelled = [cid for cid in form.control_ids if cid not in form.labels_for]
    assert unlabelled == []
    # Nothing is pre-answered and nothing is pre-consented.
    values = form_values(html, phone.form_url)
    assert not any(k.startswith(("symptom_", "exposure_")) for k in values)
    assert "consent" not in values and "confirm_true" not in values and "remember" not in values


def test_valid_check_in_stores_one_visit_as_entered(app, phone, clock):
    response = phone.check_in(**{"companions-0-full_name": "Nguyễn Thị Bình",
                                 "companions-0-birth_year": "2015",
                                 "companions-0-answer": "none"})
    [visit] = visits(app)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/v/{visit.id}"
    assert visit.full_name == "Nguyễn Văn An"
    assert visit.phone == "0912345678"
    assert visit.birth_year == 1985
    assert visit.gender == "male"
    assert visit.id_number == "001085012345"
    assert visit.nationality == "Việt Nam"
    assert (visit.province, visit.ward, visit.street) == ("Hà Nội", "Phường Hoàn Kiếm",
                                                          "12 Hàng Bài")
    assert visit.purpose == "Nộp hồ sơ ở bộ phận một cửa"
    assert visit.location.name == "Cổng chính"
    assert visit.checked_in_at == clock.now and visit.checked_out_at is None
    assert visit.source == "self" and visit.flagged is False
    assert visit.declaration == {
        "symptoms": {q.key: False for q in declaration.SYMPTOMS},
        "exposure": {q.key: False for q in declaration.EXPOSURES},
        "travel": {"answer": False, "places": ""},
    }
    assert [(c.full_name, c.birth_year, c.flagged) for c in visit.companions] == [
        ("Nguyễn Thị Bình", 2015, False)]
    assert visit.companions[0].declaration == visit.declaration  # No to every question

    done = phone.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Khai báo thành công" in done and 'class="pass cleared"' in done
    assert "Nguyễn Văn An" in done and "Cổng chính" in done and "Nguyễn Thị Bình" in done
    assert "08:30 14/07/2021" in done  # 01:30 UTC shown in Hanoi time
    assert "Ra về" in done


@pytest.mark.parametrize(("changes", "field_id", "message"), [
    ({"full_name": ""}, "full_name", "Nhập họ và tên."),
    ({"full_name": "A" * 300}, "full_name", "Nhập tối đa 100 ký tự (hiện có 300)."),
    ({"phone": "123"}, "phone", "Nhập số di động 10 chữ số"),
    ({"phone": "0912345678x"}, "phone", "Nhập số di động 10 chữ số"),
    ({"phone": "024 3825 1234"}, "phone", "Nhập số di động 10 chữ số"),  # a Hanoi landline
    ({"phone": "0241234567"}, "phone", "Nhập số di động 10 chữ số"),
    ({"phone": ""}, "phone", "Nhập số điện thoại."),
    ({"birth_year": "1800"}, "birth_year", "Nhập năm sinh từ 1900 đến"),
    ({"birth_year": "2022"}, "birth_year", "Nhập năm sinh từ 1900 đến 2021."),  # next year
    ({"birth_year": "abc"}, "birth_year", "Nhập năm sinh từ 1900 đến"),
    ({"consent": None}, "consent", "Vui lòng đánh dấu ô đồng ý"),
    ({"confirm_true": None}, "confirm_true", "Vui lòng đánh dấu ô cam kết"),
    ({"symptom_fever": None}, "declaration", "Vui lòng trả lời Có hoặc Không ở mỗi câu"),
    ({"exposure_case_contact": None}, "declaration", "Vui lòng trả lời Có hoặc Không"),
    ({"travel": None}, "declaration", "Vui lòng trả lời Có hoặc Không"),
    ({"symptom_cough": "maybe"}, "symptom_cough", "Chọn Có hoặc Không."),
    ({"gender": "robot"}, "gender", "Chọn một trong các lựa chọn."),
    ({"gender": None}, "gender", "Chọn giới tính."),
    ({"province": "Atlantis"}, "province", "Chọn tỉnh/thành phố trong danh sách."),
    ({"id_number": "12345"}, "id_number", "Số CCCD gồm 12 chữ số"),
    ({"companions-0-birth_year": "2015", "companions-0-answer": "none"},
     "companions-0-full_name", "Nhập họ tên người đi cùng."),
    ({"companions-0-full_name": "Bé Na", "companions-0-answer": "none"},
     "companions-0-birth_year", "Nhập năm sinh người đi cùng."),
    ({"companions-0-full_name": "Bé Na", "companions-0-birth_year": "2015"},
     "companions-0-answer", "Vui lòng chọn người này có cần khai báo gì hay không."),
    ({"companions-0-full_name": "Bé Na", "companions-0-birth_year": "2015",
      "companions-0-answer": "yes"}, "companions-0-items", "Vui lòng đánh dấu nội dung"),
    ({"companions-0-full_name": "Bé Na", "companions-0-birth_year": "2015",
      "companions-0-answer": "none", "companions-0-items": "fever"}, "companions-0-items",
     "Anh/chị đã chọn"),
    ({"companions-0-full_name": "Bé Na", "companions-0-birth_year": "2015",
      "companions-0-answer": "yes", "companions-0-items": "travel"}, "companions-0-places",
     "Vui lòng ghi rõ những nơi người này đã đến."),
    ({"companions-0-full_name": "Bé Na", "companions-0-birth_year": "2015",
      "companions-0-answer": "yes", "companions-0-items": "flying"}, "companions-0-items",
     "Vui lòng chọn trong danh sách."),
    ({"travel": "yes"}, "travel_places", "Vui lòng ghi rõ những nơi anh/chị đã đến."),
    # NUL, line breaks and other control characters are refused before the form is read
    # (tests/test_hostile_input.py); characters that are not controls but nobody types are
    # refused here.
    ({"full_name": "An\u202eBình"}, "full_name", "ký tự đặc biệt"),  # right-to-left override
    ({"street": "12\u200bHàng Bài"}, "street", "ký tự đặc biệt"),  # zero-width space
    ({**{f"companions-{i}-full_name": f"Cháu {i}" for i in range(11)},
      **{f"companions-{i}-birth_year": "2015" for i in range(11)},
      **{f"companions-{i}-answer": "none" for i in range(11)}}, "companions",
     "tối đa 10 người đi cùng"),
    # ...and with the first of eleven rows left blank, as a browser sends it.
    ({"companions-0-full_name": "", "companions-0-birth_year": "", "companions-0-places": "",
      **{f"companions-{i}-full_name": f"Cháu {i}" for i in range(1, 12)},
      **{f"companions-{i}-birth_year": "2015" for i in range(1, 12)},
      **{f"companions-{i}-answer": "none" for i in range(1, 12)}}, "companions",
     "tối đa 10 người đi cùng"),
])
def test_invalid_input_is_refused_beside_the_field(app, phone, clock, changes, field_id, message):
    response = phone.check_in(**changes)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in error_text(html, field_id)
    assert "Một số thông tin chưa đúng hoặc còn thiếu" in html
    assert visits(app) == []
    # What the visitor typed is still there.
    kept = form_values(html, phone.form_url)
    for name in ("phone", "street", "purpose"):
        if name not in changes:
            assert kept[name] == VALID_VISITOR[name]


def test_wtforms_own_messages_are_read_once_per_language(app, phone, monkeypatch):
    """Flask-WTF would read WTForms' message file on every request; each language's is read
    once, and a form sent with a mistake still answers in the page's language."""
    read = []
    load = form_fields.Translations.load
    def counted(dirname, locales, domain):
        if domain == "wtforms":
            read.append(locales)
        return load(dirname, locales, domain=domain)
    monkeypatch.setattr(form_fields.Translations, "load", counted)
    form_fields._wtforms_messages.cache_clear()
    said = {"vi": "Nhập số di động 10 chữ số", "en": "Enter a mobile number of 10 digits"}
    for lang in ("vi", "vi", "en", "en"):
        phone.client.set_cookie(LANGUAGE_COOKIE, lang)
        html = phone.check_in(phone="12345").get_data(as_text=True)
        assert f'<html lang="{lang}">' in html
        assert said[lang] in error_text(html, "phone")
    assert read == [["vi"], ["en"]]
    assert visits(app) == []


@pytest.mark.parametrize("typed", ["+84 912 345 678", "84912345678", "+84 (0) 912 345 678",
                                   "0912.345.678"])
def test_international_phone_format_is_stored_normalised(app, phone, typed):
    assert phone.check_in(phone=typed).status_code == 302
    assert visits(app)[0].phone == "0912345678"


def test_a_wrong_answer_value_gets_one_message(phone):
    html = phone.check_in(symptom_cough="maybe").get_data(as_text=True)
    assert error_text(html, "symptom_cough") == "Chọn Có hoặc Không."


def test_markup_in_a_name_is_stored_as_typed_and_shown_escaped(app, phone):
    name = "<script>alert(1)</script>"
    done_url = phone.check_in(full_name=name).headers["Location"]
    assert visits(app)[0].full_name == name
    html = phone.client.get(done_url).get_data(as_text=True)
    assert name not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_decomposed_text_is_stored_composed(app, phone):
    typed = unicodedata.normalize("NFD", "  Nguyễn Thị Ánh  ")
    street = unicodedata.normalize("NFD", "Phố Huế")
    assert typed != unicodedata.normalize("NFC", typed)
    phone.check_in(full_name=typed, street=street)
    visit = visits(app)[0]
    assert visit.full_name == "Nguyễn Thị Ánh"
    assert unicodedata.is_normalized("NFC", visit.full_name)
    assert visit.street == unicodedata.normalize("NFC", "Phố Huế")


def _questions():
    from app.checkin import declaration
    return ([f"symptom_{q.key}" for q in declaration.SYMPTOMS]
            + [f"exposure_{q.key}" for q in declaration.EXPOSURES] + ["travel"])


@pytest.mark.parametrize("question", _questions())
def test_any_yes_answer_flags_the_visit(app, phone, question):
    changes = {question: "yes"}
    if question == "travel":
        changes["travel_places"] = "TP. Hồ Chí Minh"
    phone.check_in(**changes)
    [visit] = visits(app)
    assert visit.flagged is True
    html = phone.client.get(f"/v/{visit.id}").get_data(as_text=True)
    # The amber pass, never the green tick: a guard tells them apart across the room.
    assert 'class="pass flagged"' in html and "✓" not in html
    assert "Vui lòng gặp nhân viên tại bàn tiếp đón" in html


def test_all_no_is_not_flagged_and_travel_places_are_kept_only_for_yes(app, phone):
    phone.check_in(travel_places="Đà Nẵng")
    [visit] = visits(app)
    assert visit.flagged is False
    assert visit.declaration["travel"] == {"answer": False, "places": ""}


def test_none_of_these_answers_no_to_every_unanswered_question(app, phone):
    unanswered = {name: None for name in _questions()}
    assert phone.check_in(**unanswered, none_of_these="y").status_code == 302
    [visit] = visits(app)
    assert visit.flagged is False
    assert not any(visit.declaration["symptoms"].values())


def test_none_of_these_with_a_yes_answer_is_a_contradiction(app, phone):
    html = phone.check_in(none_of_these="y", symptom_fever="yes").get_data(as_text=True)
    assert "nhưng lại trả lời Có ở một câu" in error_text(html, "none_of_these")
    assert visits(app) == []


def test_add_companion_button_adds_a_row_without_errors(app, phone):
    html = phone.check_in(add_companion="1").get_data(as_text=True)
    assert 'name="companions-1-full_name"' in html
    assert "Một số thông tin cần sửa" not in html
    assert visits(app) == []


def test_a_form_sent_back_with_a_mistake_keeps_every_answer_and_row_in_place(app, phone):
    """What a browser sends (the blank companion row included), with one mistake: the page
    that comes back holds every answer and row as sent, in the same places, and sent again
    once corrected it records them."""
    sent = {**form_values(phone.open_form(new=1).get_data(as_text=True), phone.form_url),
            **VALID_VISITOR, "phone": "", "symptom_cough": "yes", "travel": "yes",
            "travel_places": "Đà Nẵng", "companions-1-full_name": "Bé Na",
            "companions-1-birth_year": "2015", "companions-1-answer": "none",
            "companions-1-places": ""}
    assert sent["companions-0-full_name"] == ""  # the form's own blank row
    page = phone.submit(sent, hidden={}).get_data(as_text=True)
    assert error_text(page, "phone")
    back = form_values(page, phone.form_url)
    assert {k: v for k, v in back.items() if k != "csrf_token"} == \
        {k: v for k, v in sent.items() if k != "csrf_token"}
    assert page.index('name="companions-0-full_name"') < page.index('value="Bé Na"')
    assert visits(app) == []

    assert phone.submit({**back, "phone": "0912345678"}, hidden={}).status_code == 302
    [visit] = visits(app)
    assert visit.declaration["symptoms"]["cough"] and visit.declaration["travel"] == {
        "answer": True, "places": "Đà Nẵng"}
    assert not visit.declaration["symptoms"]["fever"]
    assert [(c.full_name, c.birth_year) for c in visit.companions] == [("Bé Na", 2015)]


def test_a_post_builds_no_companion_row_left_blank_but_its_page_shows_it(app, phone):
    """Building a row costs a check-in as much as the fields in it: the blank row every form
    sends is built only if a page shows it again."""
    sent = {**form_values(phone.open_form(new=1).get_data(as_text=True), phone.form_url),
            **VALID_VISITOR}
    with app.test_request_context(phone.form_url, method="POST", data=sent):
        form = CheckInForm(meta={"csrf": False})  # the phone's session is not this request's
        assert form.companions.entries == []
        assert form.validate() and form.details().companions == []
        assert [row.name for row in form.companions] == ["companions-0"]  # as a page reads it


def test_the_same_form_sent_twice_creates_one_visit(app, phone):
    hidden = phone.hidden_fields()
    first = phone.submit(VALID_VISITOR, hidden)
    second = phone.submit(VALID_VISITOR, hidden)
    assert len(visits(app)) == 1
    assert first.headers["Location"] == second.headers["Location"]


def test_the_same_form_sent_from_a_second_tab_is_recognised(app, phone):
    """A fresh form (new secret) for the same person minutes later shows the existing visit."""
    first = phone.check_in()
    second = phone.check_in()
    assert len(visits(app)) == 1
    assert first.headers["Location"] == second.headers["Location"]
    # A different person on the same phone is a new visit.
    phone.check_in(full_name="Trần Thị Mai", phone="0987654321")
    assert len(visits(app)) == 2


def test_a_corrected_declaration_is_recorded_and_nothing_is_lost(app, phone, clock):
    first_url = phone.check_in().headers["Location"]
    clock.advance(minutes=2)
    # "Check in another person" used to correct one's own answers: now with a fever.
    second_url = phone.check_in(symptom_fever="yes").headers["Location"]
    assert second_url != first_url
    first, second = visits(app)
    assert (first.flagged, second.flagged) == (False, True)
    assert first.checkout_by == "replaced" and first.checked_out_at == clock.now
    assert second.is_open
    # The phone can close the corrected visit.
    page = phone.client.get(second_url).get_data(as_text=True)
    assert "Ra về" in page


def test_the_same_form_edited_after_going_back_is_a_new_visit(app, phone):
    hidden = phone.hidden_fields()
    phone.submit(VALID_VISITOR, hidden)
    second = phone.submit({**VALID_VISITOR, "exposure_case_contact": "yes"}, hidden)
    first, corrected = visits(app)
    assert first.checkout_by == "replaced" and corrected.flagged
    assert second.headers["Location"] == f"/v/{corrected.id}"
    assert "Ra về" in phone.client.get(second.headers["Location"]).get_data(as_text=True)


def test_a_phone_inside_rescanning_is_offered_ra_ve_not_a_new_visit(app, phone, clock):
    done_url = phone.check_in().headers["Location"]
    for minutes in (4, 120):  # moments later, or on the way out hours later
        clock.advance(minutes=minutes)
        rescan = phone.open_form()
        html = rescan.get_data(as_text=True)
        assert rescan.status_code == 200
        assert "Anh/chị đang ở bên trong từ 08:30 — Cổng chính" in html
        assert f'action="{done_url}/checkout"' in html
    assert phone.open_form(new=1).status_code == 200  # "declare for someone else"
    assert len(visits(app)) == 1


def test_a_party_is_named_on_its_pages_and_a_visitor_alone_is_not(app, phone):
    alone = phone.client.get(phone.check_in().headers["Location"]).get_data(as_text=True)
    assert "Đi cùng:" not in alone
    with_two = phone.check_in(full_name="Trần Thị Bình", **{
        "companions-0-full_name": "Bé Na", "companions-0-birth_year": "2015",
        "companions-0-answer": "none", "companions-1-full_name": "Trần Văn Cả",
        "companions-1-birth_year": "1950", "companions-1-answer": "none"})
    done = phone.client.get(with_two.headers["Location"]).get_data(as_text=True)
    assert "Đi cùng: Bé Na (2015), Trần Văn Cả (1950)" in done
    inside = phone.open_form().get_data(as_text=True)
    assert 'Trần Thị Bình <span class="with">cùng 2 người đi cùng</span>' in inside
    assert "Nguyễn Văn An</p>" in inside  # alone, with nobody counted


def test_another_phone_rescanning_gets_the_form(app, phone):
    phone.check_in()
    other = Phone(app.test_client())
    assert other.open_form().status_code == 200
    other.check_in()
    assert len(visits(app)) == 2


def test_check_out_twice_records_one_time(app, phone, clock):
    done_url = phone.check_in().headers["Location"]
    page = phone.client.get(done_url).get_data(as_text=True)
    token = form_values(page, "/checkout")["csrf_token"]
    clock.advance(hours=2)
    first = phone.client.post(done_url + "/checkout", data={"csrf_token": token})
    assert first.status_code == 302 and first.headers["Location"] == done_url
    clock.advance(minutes=30)
    phone.client.post(done_url + "/checkout", data={"csrf_token": token})
    [visit] = visits(app)
    assert visit.checked_out_at == visit.checked_in_at.replace(hour=3, minute=30)
    assert visit.checkout_by == "visitor"
    html = phone.client.get(done_url).get_data(as_text=True)
    assert "Anh/chị đã ra về" in html and "10:30 14/07/2021" in html
    assert "/checkout" not in html


def test_a_phone_keeps_its_ten_newest_visits(app, phone):
    """A family sharing one phone: each check-in is added to the visits the phone holds, the
    oldest dropping off after MAX_REMEMBERED_VISITS."""
    done_urls = [phone.check_in(full_name=f"Nguyễn Văn {name}").headers["Location"]
                 for name in ("An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hùng", "Lan", "Mai",
                              "Nam", "Phương")]
    assert len(set(done_urls)) == len(visits(app)) == MAX_REMEMBERED_VISITS + 1
    assert phone.client.get(done_urls[0]).status_code == 403
    for done_url in done_urls[1:]:
        assert phone.client.get(done_url).status_code == 200


def test_check_out_with_an_old_page_asks_for_a_second_tap(app, phone):
    done_url = phone.check_in().headers["Location"]
    response = phone.client.post(done_url + "/checkout", data={"csrf_token": "stale"})
    assert response.status_code == 200
    assert 'Vui lòng bấm "Ra về" thêm một lần nữa.' in response.get_data(as_text=True)
    assert visits(app)[0].checked_out_at is None


def test_only_the_phone_that_checked_in_sees_or_closes_the_visit(app, phone):
    done_url = phone.check_in().headers["Location"]
    stranger = app.test_client()
    page = stranger.get(done_url)
    assert page.status_code == 403
    assert "Nguyễn Văn An" not in page.get_data(as_text=True)
    assert "chỉ xem được trên điện thoại" in page.get_data(as_text=True)
    assert stranger.post(done_url + "/checkout").status_code == 403
    # A visit that does not exist looks the same: nothing tells which visits exist.
    missing = stranger.get("/v/999")
    assert missing.status_code == 403
    assert "chỉ xem được trên điện thoại" in missing.get_data(as_text=True)
    assert visits(app)[0].checked_out_at is None


def test_unknown_token_gets_the_friendly_404(client):
    response = client.get("/c/no-such-token")
    assert response.status_code == 404
    assert "Mã QR hoặc trang này không dùng được" in response.get_data(as_text=True)


def test_deactivated_entry_point_gets_the_friendly_404(app, phone):
    with app.app_context():
        db.session.execute(db.update(Location).values(active=False))
        db.session.commit()
    response = phone.open_form()
    assert response.status_code == 404
    assert "Mã QR hoặc trang này không dùng được" in response.get_data(as_text=True)
    assert phone.client.post(phone.form_url, data=VALID_VISITOR).status_code == 404


@pytest.mark.parametrize("csrf_token", [None, "not-a-token"])
def test_missing_or_bad_csrf_token_keeps_the_input(app, phone, csrf_token):
    hidden = phone.hidden_fields()
    hidden["csrf_token"] = csrf_token
    response = phone.submit(VALID_VISITOR, hidden)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Trang đã để mở quá lâu" in html
    assert form_values(html, phone.form_url)["full_name"] == "Nguyễn Văn An"
    assert visits(app) == []
    # Sending the re-rendered form again works.
    resend = form_values(html, phone.form_url)
    assert phone.submit({**VALID_VISITOR, **resend}, {}).status_code == 302
    assert len(visits(app)) == 1


def test_expired_csrf_token_keeps_the_input(app, phone, monkeypatch):
    import itsdangerous.timed
    real_time = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() - 7200)
    hidden = phone.hidden_fields()  # a form opened two hours ago
    monkeypatch.setattr(itsdangerous.timed.time, "time", real_time)
    html = phone.submit(VALID_VISITOR, hidden).get_data(as_text=True)
    assert "Trang đã để mở quá lâu" in html
    assert form_values(html, phone.form_url)["phone"] == "0912345678"
    assert visits(app) == []


def test_pages_are_not_cached_and_load_nothing_from_outside(phone):
    response = phone.open_form()
    assert response.headers["Cache-Control"] == "no-store"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    html = response.get_data(as_text=True)
    assert "http://" not in html and "https://" not in html
    assert "htmx" not in html  # no visitor page needs it
    assert 'rel="icon" href="data:image/svg+xml;base64,' in html  # no request of its own


def test_static_files_are_fingerprinted_cached_a_year_and_compressed(phone):
    html = phone.open_form().get_data(as_text=True)
    stylesheet = re.search(r'href="(/static/app\.css\?v=[0-9a-f]{12})"', html).group(1)
    # Files are sent as they are read, so compressed on the way (deflate, br or zstd).
    with phone.client.get(stylesheet, headers={"Accept-Encoding": "deflate"}) as response:
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.headers["Content-Encoding"] == "deflate"
        body = zlib.decompress(response.get_data())
    assert b".pass.flagged" in body
    # Another version's URL (an old page) is not kept: it may not be this content.
    with phone.client.get("/static/app.css?v=000000000000") as old:
        assert old.headers["Cache-Control"] == "no-cache"


def test_visitor_pages_are_compressed_but_signed_in_staff_pages_are_not(phone, admin):
    page = phone.client.get(phone.form_url, headers={"Accept-Encoding": "gzip"})
    assert page.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in page.headers["Vary"] and "Cookie" in page.headers["Vary"]
    assert b"Khai b\xc3\xa1o y t\xe1\xba\xbf" in gzip.decompress(page.get_data())
    staff_page = admin.client.get("/dashboard/", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in staff_page.headers


def test_a_closed_entry_point_still_shows_its_visitors_their_visit(app, phone):
    done_url = phone.check_in().headers["Location"]
    with app.app_context():
        db.session.execute(db.update(Location).values(active=False))
        db.session.commit()
    page = phone.client.get(done_url).get_data(as_text=True)
    assert "Nguyễn Văn An" in page and "Ra về" in page
    assert "Khai báo cho người khác" not in page


def test_each_phone_gets_its_own_token_and_secret_in_the_same_blank_form(app, phone):
    # The blank form is rendered once and copied: the copies must differ where they must.
    other = Phone(app.test_client())
    mine = form_values(phone.open_form().get_data(as_text=True), phone.form_url)
    theirs = form_values(other.open_form().get_data(as_text=True), other.form_url)
    again = form_values(phone.open_form().get_data(as_text=True), phone.form_url)
    assert len({mine["visit_secret"], theirs["visit_secret"], again["visit_secret"]}) == 3
    assert mine["csrf_token"] != theirs["csrf_token"]
    assert "MARK" not in mine["csrf_token"] + mine["visit_secret"]
    # What one visitor typed (a form sent with a mistake) never reaches another's blank form.
    phone.check_in(full_name="Người Bí Mật", phone="123")
    assert "Người Bí Mật" not in other.open_form().get_data(as_text=True)
    # A copy still works: its token and secret are accepted.
    assert other.submit(VALID_VISITOR, theirs).status_code == 302


def test_the_blank_form_follows_a_renamed_entry_point(app, phone):
    assert "Cổng chính" in phone.open_form().get_data(as_text=True)
    with app.app_context():  # renamed through this server: seen at once
        db.session.scalar(db.select(Location)).name = "Cổng số 2"
        db.session.commit()
    html = phone.open_form().get_data(as_text=True)
    assert "Cổng số 2" in html and "Cổng chính" not in html


def test_the_confirmation_follows_a_renamed_entry_point(app, phone):
    done_url = phone.check_in().headers["Location"]
    assert "Cổng chính" in phone.client.get(done_url).get_data(as_text=True)
    with app.app_context():  # renamed through this server: seen at once
        db.session.scalar(db.select(Location)).name = "Cổng số 2"
        db.session.commit()
    html = phone.client.get(done_url).get_data(as_text=True)
    assert "Cổng số 2" in html and "Cổng chính" not in html


def test_a_scan_between_a_rename_and_its_commit_does_not_keep_the_old_name(app, phone):
    assert "Cổng chính" in phone.open_form().get_data(as_text=True)
    with app.app_context():
        db.session.scalar(db.select(Location)).name = "Cổng số 2"
        db.session.flush()  # written, not yet committed: a request meanwhile reads the old name
        with ThreadPoolExecutor(1) as other:  # a request of its own, as another thread serves it
            assert "Cổng chính" in other.submit(phone.open_form).result().get_data(as_text=True)
        db.session.commit()
    html = phone.open_form().get_data(as_text=True)
    assert "Cổng số 2" in html and "Cổng chính" not in html


def _another_server(app, statement) -> None:
    """A change made through another server process: this one hears nothing of it."""
    with app.app_context():
        db.session.execute(statement)
        db.session.commit()


def _later(monkeypatch, seconds: float) -> None:
    """This process's clock for what it keeps of rarely changed rows, `seconds` on."""
    from app.store import cache as kept
    now = kept.monotonic()
    monkeypatch.setattr(kept, "monotonic", lambda: now + seconds)


def test_a_change_made_through_another_server_is_seen_within_seconds(app, phone, monkeypatch):
    from app.store.cache import KEPT_SECONDS
    assert "Cổng chính" in phone.open_form().get_data(as_text=True)
    _another_server(app, db.update(Location).values(name="Cổng số 2"))
    _later(monkeypatch, KEPT_SECONDS + 1)
    html = phone.open_form().get_data(as_text=True)
    assert "Cổng số 2" in html and "Cổng chính" not in html


def test_a_check_in_at_an_entry_point_closed_meanwhile_elsewhere_is_refused(app, phone):
    hidden = phone.hidden_fields()  # read while open, and still trusted by this process
    _another_server(app, db.update(Location).values(active=False))
    response = phone.submit(VALID_VISITOR, hidden)
    assert response.status_code == 404
    assert "Mã QR hoặc trang này không dùng được" in response.get_data(as_text=True)
    assert visits(app) == []
    assert phone.open_form().status_code == 404  # and the next scan is told at once


def test_a_check_in_with_a_poster_replaced_meanwhile_elsewhere_is_refused(app, phone):
    from app.store.models import RetiredToken, new_location_token
    hidden = phone.hidden_fields()
    with app.app_context():  # as rotate_token does, written without this process's ORM
        location = db.session.scalar(db.select(Location))
        db.session.execute(db.insert(RetiredToken).values(
            token=location.token, location_id=location.id, retired_at=location.created_at))
        db.session.execute(db.update(Location).values(token=new_location_token()))
        db.session.commit()
    response = phone.submit(VALID_VISITOR, hidden)
    assert response.status_code == 410
    assert "Mã QR này đã được thay" in response.get_data(as_text=True)
    assert visits(app) == []


def test_a_message_waiting_for_one_browser_never_reaches_the_blank_form_of_others(app, admin):
    # The receptionist checked someone out: "… checked out." waits for their next page.
    phone = Phone(app.test_client())
    done = phone.check_in(full_name="Người Đã Về", phone="0987000111").headers["Location"]
    admin.post(f"/dashboard/visits/{done.rsplit('/', 1)[1]}/checkout")
    desk_view = admin.client.get("/c/gate-token-0001").get_data(as_text=True)
    assert "Người Đã Về" in desk_view  # shown where it belongs, once
    stranger = Phone(app.test_client()).open_form().get_data(as_text=True)
    assert "Người Đã Về" not in stranger



@pytest.mark.parametrize(("visitor", "companion", "said", "not_said"), [
    ("no", "yes", "Người đi cùng Bé Na đã khai có triệu chứng", "Anh/chị đã khai"),
    ("yes", "none", "Anh/chị đã khai có triệu chứng", "Người đi cùng"),
    ("yes", "yes", "Anh/chị và người đi cùng Bé Na đã khai có triệu chứng", "Người đi cùng"),
])
def test_the_amber_pass_says_who_in_the_party_declared(app, phone, visitor, companion, said,
                                                       not_said):
    """A companion's answer flags the party, but the pass blames no one who said No."""
    phone.check_in(**{"symptom_fever": visitor, "companions-0-full_name": "Bé Na",
                      "companions-0-birth_year": "2015", "companions-0-answer": companion,
                      **({"companions-0-items": "fever"} if companion == "yes" else {})})
    [visit] = visits(app)
    html = phone.client.get(f"/v/{visit.id}").get_data(as_text=True)
    assert 'class="pass flagged"' in html
    assert said in html and not_said not in html
    assert "Vui lòng đưa màn hình này cho nhân viên tại cổng xem" in html
