"""Requests an attacker sends: each one answered with a page in the user's language, never a
server error, and nothing stored (on SQLite and on PostgreSQL alike)."""

from __future__ import annotations

import io

import pytest

from app.extensions import db
from app.store.models import AuditEvent, Companion, Location, LoginFailure, Visit
from tests.conftest import VALID_VISITOR, Phone, visits

REFUSED_TEXT = "Yêu cầu có ký tự không thể chấp nhận"
TOO_LARGE = "Nội dung anh/chị gửi quá lớn"
NOT_HANDLED = "Không xử lý được yêu cầu này"


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(model))


# --- the Host header ----------------------------------------------------------------------

BAD_HOSTS = ["a" * 64 + ".example", "gate..example", ".example"]


@pytest.mark.parametrize("host", BAD_HOSTS)
@pytest.mark.parametrize("path", ["/", "/c/gate-token-0001", "/login", "/dashboard/",
                                  "/no-such-page", "/static/app.css"])
def test_a_host_werkzeug_cannot_read_gets_a_400_page(client, host, path):
    response = client.get(path, headers={"Host": host})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert '<html lang="vi">' in html and NOT_HANDLED in html
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_a_host_werkzeug_cannot_read_gets_a_400_page_on_a_post_too(client):
    response = client.post("/c/gate-token-0001", data=VALID_VISITOR,
                           headers={"Host": "a" * 64 + ".example"})
    assert response.status_code == 400
    assert NOT_HANDLED in response.get_data(as_text=True)


def test_with_a_public_url_another_host_is_told_where_gatebook_is(make_app):
    app = make_app(PUBLIC_URL="https://vao.example.vn")
    assert app.config["TRUSTED_HOSTS"] == ["vao.example.vn"]
    client = app.test_client()
    response = client.get("/c/x", base_url="http://evil.example")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Gatebook không phục vụ ở địa chỉ này" in html
    assert 'href="https://vao.example.vn"' in html and "evil.example" not in html
    assert client.get("/").status_code == 200  # at its own address (the client goes there)


# --- companion rows numbered with something other than plain digits ----------------------

@pytest.mark.parametrize("row", ["²", "٣", "0" * 4, "1x", ""])
def test_a_companion_row_not_numbered_in_plain_digits_is_refused_on_the_public_form(
        app, phone, row):
    response = phone.check_in(**{f"companions-{row}-full_name": "x"})
    assert response.status_code == 400
    assert NOT_HANDLED in response.get_data(as_text=True)
    assert _count(app, Visit) == 0


def test_a_companion_row_numbered_with_a_superscript_is_refused_as_raw_bytes(app, client):
    phone = Phone(client)
    body = "companions-%C2%B2-full_name=x&" + "&".join(
        f"{key}={value}" for key, value in phone.hidden_fields().items())
    response = client.post("/c/gate-token-0001", data=body,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and _count(app, Visit) == 0


def test_a_companion_row_numbered_with_a_superscript_is_refused_on_the_staff_form(app, admin):
    with app.app_context():
        location_id = db.session.scalar(db.select(Location.id))
    response = admin.post("/dashboard/new", {**VALID_VISITOR, "location_id": str(location_id),
                                             "companions-²-full_name": "x",
                                             "companions-²-birth_year": "2015"},
                          page="/dashboard/new")
    assert response.status_code == 400
    assert NOT_HANDLED in response.get_data(as_text=True)
    assert _count(app, Visit) == 0 and _count(app, Companion) == 0


# --- sizes -------------------------------------------------------------------------------

def test_a_16_mib_check_in_is_refused_before_it_is_read(app, phone):
    response = phone.check_in(purpose="x" * (16 * 1024 * 1024))
    assert response.status_code == 413
    assert TOO_LARGE in response.get_data(as_text=True)
    assert _count(app, Visit) == 0


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded",
                                          "multipart/form-data"])
def test_1500_fields_are_refused(app, phone, content_type):
    fields = {**phone.hidden_fields(), **VALID_VISITOR,
              **{f"extra{n}": "1" for n in range(1500)}}
    response = phone.client.post(phone.form_url, data=fields, content_type=content_type)
    assert response.status_code == 413
    assert TOO_LARGE in response.get_data(as_text=True)
    assert _count(app, Visit) == 0


def test_a_body_that_is_not_utf8_is_refused(app, phone):
    response = phone.client.post(phone.form_url, data=b"full_name=\xff\xfe",
                                 content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert REFUSED_TEXT in response.get_data(as_text=True)


# --- NUL and other control characters ----------------------------------------------------

@pytest.mark.parametrize("path", ["/c/%00", "/c/gate-token-0001%00", "/v/1%00", "/%00",
                                  "/lang/%01en"])
def test_a_control_character_in_the_path_is_refused(client, path):
    response = client.get(path)
    assert response.status_code == 400
    assert REFUSED_TEXT in response.get_data(as_text=True)


@pytest.mark.parametrize("target", ["/\t/evil.example", "/dashboard/\x00"])
def test_a_control_character_in_the_query_is_refused(client, target):
    for path in ("/lang/en", "/login"):
        response = client.get(path, query_string={"next": target})
        assert response.status_code == 400 and "Location" not in response.headers


def test_a_nul_in_the_sign_in_user_name_is_refused_before_anything_is_written(
        app, staff, browser_of):
    response = browser_of().login("lan\x00", "anything-at-all")
    assert response.status_code == 400
    assert REFUSED_TEXT in response.get_data(as_text=True)
    assert _count(app, LoginFailure) == 0 and _count(app, AuditEvent) == 0


@pytest.mark.parametrize("query", ["\x00", "Nguy\x00n", "0912\x00"])
def test_a_nul_in_the_dashboard_search_is_refused(admin, query):
    response = admin.client.get("/dashboard/", query_string={"q": query})
    assert response.status_code == 400
    assert REFUSED_TEXT in response.get_data(as_text=True)


@pytest.mark.parametrize("header", ["HX-Current-URL", "HX-Target", "Referer"])
def test_a_control_character_in_a_header_the_app_reads_is_refused(admin, header):
    response = admin.client.get("/dashboard/", headers={header: "/dashboard/\x01"})
    assert response.status_code == 400


def test_a_nul_in_the_visitors_form_is_refused_and_nothing_is_stored(app, phone):
    for field in ("full_name", "street", "companions-0-full_name", "visit_secret"):
        response = phone.check_in(**{field: "An\x00"})
        assert response.status_code == 400, field
        assert REFUSED_TEXT in response.get_data(as_text=True)
    response = phone.check_in(**{"full_name\x00": "An"})  # in a field's name too
    assert response.status_code == 400
    assert _count(app, Visit) == 0


def test_line_breaks_pass_only_where_a_field_takes_them(app, admin, phone):
    refused = phone.check_in(full_name="An\r\nBình")
    assert refused.status_code == 400 and REFUSED_TEXT in refused.get_data(as_text=True)
    saved = admin.post("/admin/settings", {"notice_vi": "Đeo khẩu trang.\r\nRửa tay.",
                                           "notice_en": ""}, page="/admin/settings")
    assert saved.status_code == 302
    nul = admin.post("/admin/settings", {"notice_vi": "Đeo khẩu trang.\r\n\x00",
                                         "notice_en": ""}, page="/admin/settings")
    assert nul.status_code == 400 and REFUSED_TEXT in nul.get_data(as_text=True)


# --- entry-point names -------------------------------------------------------------------

@pytest.mark.parametrize(("name", "status", "message"), [
    ("Cổng\x00sau", 400, REFUSED_TEXT),
    ("Cổng \u202esau", 400, "Vui lòng xóa các ký tự đặc biệt"),  # right-to-left override
    ("Cổng\u200bsau", 400, "Vui lòng xóa các ký tự đặc biệt"),  # zero-width space
])
def test_an_entry_point_name_is_checked_like_a_visitors(app, admin, name, status, message):
    added = admin.post("/admin/locations/", {"name": name}, page="/admin/locations/")
    assert added.status_code == status and message in added.get_data(as_text=True)
    with app.app_context():
        location_id = db.session.scalar(db.select(Location.id))
    renamed = admin.post(f"/admin/locations/{location_id}/rename", {"name": name},
                         page="/admin/locations/", follow_redirects=True)
    assert message in renamed.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(db.select(Location.name)).all() == ["Cổng chính"]


# --- the dashboard's cursors -------------------------------------------------------------


@pytest.mark.parametrize("since", ["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59",
                                   "2021-07-14T01:30:00", "2021-07-14" + "0" * 5000, ""])
def test_an_out_of_range_poll_cursor_is_a_400(admin, since):
    response = admin.client.get("/dashboard/changes", query_string={"since": since})
    assert response.status_code == 400


@pytest.mark.parametrize("before", [
    "0000-01-01T00:00:00.000000Z/0000000001", "2021-02-30T00:00:00.000000Z/0000000001",
    "2021-07-14T01:30:00.000000Z/9999999999", "2021-07-14T01:30:00.000000Z/-000000001",
    "2021-07-14T01:30:00.000000Z/000000000١", "2021-07-14T01:30:00.000000Z/",
    "2021-07-14T01:30:00+07:00,1", "1", "", "/",
])
def test_an_out_of_range_list_cursor_is_a_400(admin, before):
    response = admin.client.get("/dashboard/more", query_string={"before": before})
    assert response.status_code == 400


def test_a_cursor_in_range_still_pages(admin, phone):
    phone.check_in()
    for before in ("2999-01-01T00:00:00.000000Z/2147483647",
                   "9999-12-31T23:59:59.999999Z/2147483647"):
        response = admin.client.get("/dashboard/more", query_string={"before": before})
        assert response.status_code == 200 and "Nguyễn Văn An" in response.get_data(as_text=True)
    since = "2021-07-14T01:30:00+00:00"
    poll = admin.client.get("/dashboard/changes", query_string={
        "since": since, "floor": "9999-12-31T23:59:59.999999Z/2147483647"})
    assert poll.status_code in (200, 204)


@pytest.mark.parametrize("name", ["\n", "\\"])
def test_a_multipart_field_whose_name_cannot_be_read_is_refused(app, phone, name):
    boundary = "b0undary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\nx\r\n"
            f"--{boundary}--\r\n").encode()
    response = phone.client.post(phone.form_url, data=body,
                                 content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 400 and _count(app, Visit) == 0


@pytest.mark.parametrize("field", ["street", "companions-0-full_name", "csrf_token"])
def test_a_file_sent_where_the_form_takes_text_is_refused(app, phone, field):
    data = {**phone.hidden_fields(), **VALID_VISITOR, field: (io.BytesIO(b"x"), "a.txt")}
    response = phone.client.post(phone.form_url, data=data, content_type="multipart/form-data")
    assert response.status_code == 400 and _count(app, Visit) == 0
    assert NOT_HANDLED in response.get_data(as_text=True)


@pytest.mark.parametrize("body", ['{"full_name": 1}', '{"symptom_cough": null}', "[1, 2]",
                                  '"text"', "{"])
def test_a_form_sent_as_json_is_refused(app, phone, body):
    hidden = phone.hidden_fields()
    data = body.replace("{", "{" + f'"csrf_token": "{hidden["csrf_token"]}", ', 1) \
        if body.startswith('{"') else body
    response = phone.client.post(phone.form_url, data=data, content_type="application/json")
    assert response.status_code == 400 and _count(app, Visit) == 0
    assert NOT_HANDLED in response.get_data(as_text=True)


@pytest.mark.parametrize("secret", [None, "", "short", "x" * 5000])
def test_a_check_in_without_a_well_formed_visit_secret_is_a_new_visit(app, secret):
    # Two people send the same ill-formed secret: each gets a visit of their own (a secret
    # that would not be used as sent), and each phone opens only its own.
    phones = [Phone(app.test_client()), Phone(app.test_client())]
    people = [VALID_VISITOR, {**VALID_VISITOR, "full_name": "Trần Thị Bình",
                              "phone": "0987654321", "id_number": ""}]
    pages = []
    for phone, person in zip(phones, people, strict=True):
        hidden = phone.hidden_fields()
        response = phone.submit(person, hidden={**hidden, "visit_secret": secret})
        assert response.status_code == 302
        pages.append(response.headers["Location"])
    assert _count(app, Visit) == 2 and pages[0] != pages[1]
    # Neither is taken for the other's correction: both stay open, neither replaced.
    assert [(v.full_name, v.is_open) for v in visits(app)] == [
        ("Nguyễn Văn An", True), ("Trần Thị Bình", True)]
    for phone, own, other in zip(phones, pages, pages[::-1], strict=True):
        assert phone.client.get(own).status_code == 200
        assert phone.client.get(other).status_code == 403
