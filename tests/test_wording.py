"""Small surprises a new user met, each mended: one name for entering a visit for someone,
the employee's own phone asked for, a companion's answers and phone numbers as people read
them, a spent setup link explained, a long name refused with a word, a pasted TAB taken as a
space."""

from __future__ import annotations

import re
from pathlib import Path

from app.extensions import db
from app.store.models import Visit
from tests.conftest import error_text, visits

README = Path(__file__).resolve().parents[1] / "README.md"


def test_entering_a_visit_for_someone_has_one_name_everywhere(desk):
    html = desk.client.get("/dashboard/").get_data(as_text=True)
    button = re.search(r'<a [^>]*data-shortcut="n"[^>]*>([^<]+)</a>', html)[1]
    legend = re.search(r"<kbd>N</kbd> ([^·<]+)", html)[1].strip()
    assert button == "Khai báo hộ" and legend == "khai báo hộ"
    form = desk.client.get("/dashboard/new").get_data(as_text=True)
    assert "<h1>Khai báo hộ</h1>" in form
    readme = README.read_text(encoding="utf-8")
    assert "**Khai báo hộ**" in readme and "hập hộ" not in readme


def test_an_employee_is_asked_for_the_digits_of_their_own_phone(client):
    html = client.get("/c/gate-token-0001/employee").get_data(as_text=True)
    assert "số điện thoại của anh/chị" in html
    assert "số điện thoại cơ quan" not in html


def test_a_visit_page_reads_as_people_say_it(app, desk, phone):
    phone.check_in(phone="0912345678", **{
        "companions-0-full_name": "Nguyễn Thị Bé", "companions-0-birth_year": "2015",
        "companions-0-answer": "yes", "companions-0-items": ["cough", "fever"]})
    [visit] = visits(app)
    html = desk.client.get(f"/dashboard/visits/{visit.id}").get_data(as_text=True)
    assert "<dd>0912 345 678</dd>" in html
    answers = re.search(r"Nguyễn Thị Bé \(2015\)</td><td>(.*?)</td>", html, re.S)[1]
    assert answers == "Có: Sốt; Ho"
    # A correction of the phone is shown grouped too.
    with app.app_context():
        assert db.session.get(Visit, visit.id).phone == "0912345678"  # stored as typed


def test_a_spent_setup_link_says_what_to_do(app, runner, browser_of):
    made = runner.invoke(args=["setup-link", "--default-base-url", "http://gate.local:5000"])
    path = re.search(r"http://gate\.local:5000(/setup/\S+)", made.output)[1]
    replaced = runner.invoke(args=["setup-link", "--default-base-url", "http://gate.local"])
    assert replaced.exit_code == 0
    old = browser_of().client.get(path)
    html = old.get_data(as_text=True)
    assert old.status_code == 404 and "Liên kết thiết lập này không còn dùng được" in html
    assert "flask --app wsgi setup-link" in html and "quét lại mã QR" not in html


def test_a_spent_setup_link_after_the_first_admin_points_to_sign_in(staff, browser_of):
    html = browser_of().client.get("/setup/made-up-token").get_data(as_text=True)
    assert "Liên kết thiết lập này không còn dùng được" in html
    assert 'href="/login"' in html and "quét lại mã QR" not in html


def test_a_name_over_the_limit_is_refused_with_a_word_not_cut(app, phone):
    form = phone.open_form(new=1).get_data(as_text=True)
    name_input = re.search(r'<input [^>]*id="full_name"[^>]*>', form)[0]
    assert "maxlength" not in name_input  # the browser would cut a pasted name silently
    long_name = "Nguyễn " * 20  # 140 characters
    response = phone.check_in(full_name=long_name)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and visits(app) == []
    assert error_text(html, "full_name") == "Nhập tối đa 100 ký tự (hiện có 139)."
    assert long_name.strip() in html  # kept in the field, to be shortened


def test_a_tab_pasted_into_a_field_is_a_space(app, phone, desk):
    response = phone.check_in(full_name="Nguyễn\tVăn An", street="12\tHàng Bài")
    assert response.status_code == 302
    [visit] = visits(app)
    assert (visit.full_name, visit.street) == ("Nguyễn Văn An", "12 Hàng Bài")
    found = desk.client.get("/dashboard/", query_string={"q": "van\tan"})
    assert found.status_code == 200 and "Nguyễn Văn An" in found.get_data(as_text=True)
