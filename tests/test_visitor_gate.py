"""At the gate: leaving by the poster and its undo, declaring for someone else, companions'
own declarations, and the health-measures notice an admin sets."""

from __future__ import annotations

import csv
import io
import re

import pytest

from app.extensions import db
from app.store.models import AuditEvent, Location, Visit
from tests.conftest import Phone, error_text, visits
from tests.html_form import form_values

FEVERISH_CHILD = {"companions-0-full_name": "Bé Na", "companions-0-birth_year": "2016",
                  "companions-0-answer": "yes", "companions-0-items": "fever"}


def _checkout(phone, done_url: str):
    token = form_values(phone.client.get(done_url).get_data(as_text=True), "/checkout")
    return phone.client.post(done_url + "/checkout", data={"csrf_token": token["csrf_token"]})


def _undo(phone, done_url: str):
    token = phone.hidden_fields()["csrf_token"]  # the phone's own token, from any of its forms
    return phone.client.post(done_url + "/still-here", data={"csrf_token": token})


# --- leaving by the poster ------------------------------------------------------------------

def test_leaving_from_any_poster_checks_out_the_visit_made_at_another(app, phone, clock):
    with app.app_context():
        db.session.add(Location(name="Cổng sau", token="back-gate-token"))
        db.session.commit()
    done_url = phone.check_in().headers["Location"]
    clock.advance(hours=3)
    back = Phone(phone.client, "back-gate-token")
    html = back.open_form().get_data(as_text=True)
    assert "Anh/chị đang ở bên trong từ 08:30 — Cổng chính" in html
    assert "Khai báo cho người khác" in html
    assert _checkout(phone, done_url).headers["Location"] == done_url
    [visit] = visits(app)
    assert visit.checkout_by == "visitor" and visit.checked_out_at == clock.now
    # Out: the next scan is a check-in again.
    assert "đang ở bên trong" not in back.open_form().get_data(as_text=True)


def test_a_visit_of_yesterday_does_not_count_as_inside(app, phone, clock):
    phone.check_in()
    clock.advance(days=1)  # the automatic check-out has not run yet: still open, but stale
    html = phone.open_form().get_data(as_text=True)
    assert "đang ở bên trong" not in html and 'name="visit_secret"' in html


def test_a_mistaken_ra_ve_can_be_undone_for_a_minute_from_the_same_phone(app, phone, clock):
    done_url = phone.check_in().headers["Location"]
    clock.advance(hours=1)
    _checkout(phone, done_url)
    clock.advance(seconds=50)
    assert "Tôi vẫn ở đây" in phone.client.get(done_url).get_data(as_text=True)
    stranger = app.test_client()
    assert stranger.post(done_url + "/still-here").status_code == 403
    assert _undo(phone, done_url).headers["Location"] == done_url
    [visit] = visits(app)
    assert visit.checked_out_at is None and visit.checkout_by is None
    assert visit.changed_at == clock.now  # the desk's list hears of it

    _checkout(phone, done_url)
    clock.advance(seconds=61)
    assert "Tôi vẫn ở đây" not in phone.client.get(done_url).get_data(as_text=True)
    _undo(phone, done_url)
    assert visits(app)[0].checked_out_at is not None


def test_a_check_out_by_staff_is_not_undone_from_the_phone(app, phone, admin, clock):
    done_url = phone.check_in().headers["Location"]
    visit_id = visits(app)[0].id
    admin.post(f"/dashboard/visits/{visit_id}/checkout")
    assert "Tôi vẫn ở đây" not in phone.client.get(done_url).get_data(as_text=True)
    _undo(phone, done_url)
    assert visits(app)[0].checkout_by == "staff"


def test_declaring_for_someone_else_keeps_the_phones_own_details(app, phone, clock):
    phone.check_in(remember="y")
    blank = phone.open_form(new=1).get_data(as_text=True)
    values = form_values(blank, phone.form_url)
    assert values["full_name"] == "" and values["for_other"] == "1"
    assert "remember" not in values and "consent" not in values
    phone.submit({**values, "full_name": "Nguyễn Thị Hoa", "phone": "0987654321",
                  "birth_year": "1960", "gender": "female", "province": "Hà Nội",
                  "none_of_these": "y", "confirm_true": "y", "consent": "y"}, {})
    assert [v.full_name for v in visits(app)] == ["Nguyễn Văn An", "Nguyễn Thị Hoa"]
    clock.advance(days=1)
    # The owner is still remembered: the next morning is the one-tap check-in.
    assert "Nguyễn Văn An" in phone.open_form().get_data(as_text=True)
    assert "Khai báo và vào" in phone.open_form().get_data(as_text=True)


def test_a_remembered_detail_that_no_longer_passes_opens_the_full_form(app, phone, clock):
    from app.checkin.visitor_cookies import PROFILE_COOKIE
    phone.check_in(remember="y")
    clock.advance(days=1)
    page = phone.open_form().get_data(as_text=True)
    hidden = form_values(page, phone.form_url)
    # The remembered province is no longer on the list (the list was changed).
    with app.test_request_context():
        from app.checkin.forms import consent_version
        from app.checkin.visitor_cookies import _serializer
        identity = {**{k: v for k, v in {"full_name": "Nguyễn Văn An", "phone": "0912345678",
                                          "birth_year": "1985", "gender": "male",
                                          "nationality": "Việt Nam"}.items()},
                    "province": "Hà Tây", "id_number": "", "ward": "", "street": ""}
        cookie = _serializer(PROFILE_COOKIE).dumps({"identity": identity,
                                                    "consent": consent_version()})
    phone.client.set_cookie(PROFILE_COOKIE, cookie)
    response = phone.client.post(phone.form_url, data={**hidden, "one_tap": "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Chọn tỉnh/thành phố trong danh sách." in error_text(html, "province")
    assert len(visits(app)) == 1


# --- companions declare too ---------------------------------------------------------------

def test_a_companion_with_a_fever_flags_the_visit(app, phone):
    done_url = phone.check_in(**FEVERISH_CHILD).headers["Location"]
    [visit] = visits(app)
    [child] = visit.companions
    assert visit.flagged is True  # the party: the visitor answered No to everything
    assert child.flagged is True and child.declaration["symptoms"]["fever"] is True
    assert not any(visit.declaration["symptoms"].values())
    done = phone.client.get(done_url).get_data(as_text=True)
    assert 'class="pass flagged"' in done and "Bé Na (2016)" in done


def test_a_companion_who_travelled_gives_the_places(app, phone):
    phone.check_in(**{**FEVERISH_CHILD, "companions-0-items": ["cough", "travel"],
                      "companions-0-places": "Đà Nẵng"})
    [child] = visits(app)[0].companions
    assert child.declaration["travel"] == {"answer": True, "places": "Đà Nẵng"}
    assert child.declaration["symptoms"]["cough"] is True


def test_a_flagged_companion_stands_out_on_the_dashboard(app, phone, admin, clock):
    phone.check_in(**FEVERISH_CHILD)
    visit_id = visits(app)[0].id
    row = admin.client.get("/dashboard/").get_data(as_text=True)
    assert re.search(r'<tr id="visit-\d+" class="flagged"', row)
    assert 'Bé Na (2016) <strong class="flag">⚠ Cảnh báo</strong>' in row
    page = admin.client.get(f"/dashboard/visits/{visit_id}").get_data(as_text=True)
    assert '<tr class="yes"><td>Bé Na (2016)</td><td>Có: Sốt</td>' in page


def test_each_person_has_their_own_answers_in_the_export(app, phone, admin, clock):
    phone.check_in(**FEVERISH_CHILD)
    response = admin.client.get("/admin/export/download", query_string={
        "start": "2021-07-14", "end": "2021-07-14", "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    visitor, child = rows
    assert (visitor["Triệu chứng"], visitor["Cảnh báo"]) == ("Không", "")
    assert (child["Họ và tên"], child["Triệu chứng"], child["Cảnh báo"]) == (
        "Bé Na", "Sốt", "CẢNH BÁO")
    assert child["Tiếp xúc/dịch tễ"] == "Không" and child["Đi cùng với"] == "Nguyễn Văn An"


def test_a_companion_recorded_before_companions_were_asked_keeps_the_partys_flag(
        app, admin, clock):
    from tests.builders import add_visit, declaration, hanoi
    add_visit(app, hanoi(14, 9), companions=(("Bé Cũ", 2015),),
              answers=declaration(fever=True))
    with app.app_context():  # as the migration left them: no answers of their own
        db.session.execute(db.text("UPDATE companion SET declaration = NULL"))
        db.session.commit()
    response = admin.client.get("/admin/export/download", query_string={
        "start": "2021-07-14", "end": "2021-07-14", "format": "csv"})
    _visitor, child = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert (child["Triệu chứng"], child["Cảnh báo"]) == ("", "CẢNH BÁO")
    assert "chưa được hỏi" in admin.client.get("/dashboard/visits/1").get_data(as_text=True)


# --- the health-measures notice -------------------------------------------------------------

def _settings(admin, data: dict):
    return admin.post("/admin/settings", data, page="/admin/settings")


def test_the_5k_notice_is_shown_until_an_admin_changes_or_hides_it(app, phone, admin):
    assert "Thông điệp 5K" in phone.open_form().get_data(as_text=True)
    response = _settings(admin, {"notice_vi": "Đeo khẩu trang khi vào trụ sở.",
                                 "notice_en": "Please wear a mask inside."})
    assert response.status_code == 302
    form_page = phone.open_form().get_data(as_text=True)
    assert "Đeo khẩu trang khi vào trụ sở." in form_page and "Thông điệp 5K" not in form_page
    done = phone.client.get(phone.check_in().headers["Location"]).get_data(as_text=True)
    assert "Đeo khẩu trang khi vào trụ sở." in done
    poster = admin.client.get("/admin/locations/1/poster").get_data(as_text=True)
    assert "Đeo khẩu trang khi vào trụ sở." in poster and "Please wear a mask inside." in poster
    phone.client.get("/lang/en")
    assert "Please wear a mask inside." in phone.open_form(new=1).get_data(as_text=True)

    _settings(admin, {"notice_vi": "", "notice_en": ""})  # emptied: hidden
    phone.client.get("/lang/vi")
    assert "health-notice" not in phone.open_form(new=1).get_data(as_text=True)
    assert 'class="health"' not in admin.client.get("/admin/locations/1/poster").get_data(
        as_text=True)
    with app.app_context():
        changes = db.session.scalars(db.select(AuditEvent).where(
            AuditEvent.action == "settings_change")).all()
    assert len(changes) == 2 and changes[0].username == "lan"


@pytest.mark.parametrize(("text", "message"), [
    ("Đeo khẩu trang\u202e", "ký tự đặc biệt"), ("x" * 501, "Nhập tối đa 500 ký tự.")])
def test_a_bad_notice_is_refused_and_nothing_changes(app, admin, phone, text, message):
    response = _settings(admin, {"notice_vi": text, "notice_en": "ok"})
    assert response.status_code == 400
    assert message in error_text(response.get_data(as_text=True), "notice_vi")
    assert "Thông điệp 5K" in phone.open_form().get_data(as_text=True)


def test_a_notice_on_two_lines_keeps_its_lines(app, admin, phone):
    _settings(admin, {"notice_vi": "Đeo khẩu trang.\r\nRửa tay.", "notice_en": ""})
    assert "Đeo khẩu trang.\nRửa tay." in phone.open_form().get_data(as_text=True)


def test_receptionists_cannot_change_the_notice(staff, browser_of):
    desk = browser_of()
    desk.login_receptionist()
    assert desk.client.get("/admin/settings").status_code == 403
    assert desk.post("/admin/settings", {"notice_vi": "x"}).status_code == 403


def test_visits_are_untouched_by_the_notice(app, phone, admin):
    phone.check_in()
    _settings(admin, {"notice_vi": "Mới", "notice_en": "New"})
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Visit.id))) == 1
