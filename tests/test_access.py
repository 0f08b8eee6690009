"""Every staff page needs a sign-in, and every admin page an admin: checked over app.url_map,
so that a page added later is covered without touching this file. A health officer opens the
export and tracing only: every page is decided for them here, so a new one fails until it is."""

from __future__ import annotations

import re

import pytest
from werkzeug.routing import Rule

from app.extensions import db
from app.routes.auth import ADMIN_BLUEPRINTS, ANONYMOUS_ENDPOINTS, PUBLIC_BLUEPRINTS
from app.store.models import AuditEvent
from tests.builders import add_visit, hanoi
from tests.conftest import HEALTH_OFFICER_PASSWORD, csrf_from

RECEPTIONIST_BLUEPRINTS = {"dashboard", "alerts", "entry", "auth"}
# What a health officer opens besides the public pages, page by page: the export and tracing
# with their downloads, and signing in and out.
HEALTH_OFFICER_PAGES = {"export.index", "export.download", "tracing.index", "tracing.download"}
HEALTH_OFFICER_SIGN_IN = {"auth.login", "auth.logout", "auth.setup"}
# The areas a health officer never opens: the desk, and every other admin page.
HEALTH_OFFICER_REFUSED = {"dashboard", "alerts", "entry", "staff", "audit", "locations",
                          "settings", "employees", "delivery"}


def _blueprint(rule: Rule) -> str:
    return rule.endpoint.rpartition(".")[0]


def _staff_rules(app) -> list[Rule]:
    return [rule for rule in app.url_map.iter_rules()
            if rule.endpoint != "static" and _blueprint(rule) not in PUBLIC_BLUEPRINTS]


def _requests(rule: Rule):
    """(method, a concrete URL) for every method the rule answers."""
    values = {arg: 1 if rule._converters[arg].__class__.__name__ == "DatabaseIdConverter"
              else "x" for arg in rule.arguments}
    url = rule.build(values, append_unknown=False)[1]
    for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
        yield method, url


def test_every_page_belongs_to_an_area_with_a_rule(app):
    known = PUBLIC_BLUEPRINTS | ADMIN_BLUEPRINTS | RECEPTIONIST_BLUEPRINTS | {""}
    areas = {_blueprint(rule) for rule in app.url_map.iter_rules()}
    assert areas <= known, "decide who may open the pages of the new blueprint"


def test_signed_out_browsers_are_sent_to_sign_in_everywhere(app, client):
    checked = 0
    for rule in _staff_rules(app):
        if rule.endpoint in ANONYMOUS_ENDPOINTS:
            continue
        for method, url in _requests(rule):
            response = client.open(url, method=method)
            assert response.status_code == 302, (method, url, response.status_code)
            assert response.headers["Location"].startswith("/login?next="), (method, url)
            htmx = client.open(url, method=method, headers={"HX-Request": "true"})
            assert htmx.headers.get("HX-Redirect", "").startswith("/login"), (method, url)
            checked += 1
    assert checked >= 15


def test_receptionists_get_403_on_every_admin_page(app, staff, browser_of):
    browser = browser_of()
    browser.login_receptionist()
    checked = 0
    for rule in _staff_rules(app):
        if _blueprint(rule) not in ADMIN_BLUEPRINTS:
            continue
        for method, url in _requests(rule):
            response = browser.client.open(url, method=method)
            assert response.status_code == 403, (method, url, response.status_code)
            checked += 1
    assert checked >= 10
    assert browser.client.get("/dashboard/").status_code == 200


@pytest.mark.parametrize("page", ["/admin/users", "/admin/locations/", "/admin/delivery"])
def test_admins_open_the_admin_pages(staff, browser_of, page):
    browser = browser_of()
    browser.login_admin()
    assert browser.client.get(page).status_code == 200


def test_the_receptionists_menu_has_no_admin_links(staff, browser_of):
    browser = browser_of()
    browser.login_receptionist()
    html = browser.client.get("/dashboard/").get_data(as_text=True)
    assert "/admin/" not in html


def test_every_page_is_decided_for_the_health_officer(app):
    undecided = [rule.endpoint for rule in app.url_map.iter_rules()
                 if not (rule.endpoint == "static" or _blueprint(rule) in PUBLIC_BLUEPRINTS
                         or rule.endpoint in HEALTH_OFFICER_PAGES | HEALTH_OFFICER_SIGN_IN
                         or _blueprint(rule) in HEALTH_OFFICER_REFUSED)]
    assert not undecided, "decide whether a health officer may open these pages"


def test_health_officers_get_403_on_every_desk_and_admin_page(app, health_officer):
    checked = 0
    for rule in _staff_rules(app):
        if _blueprint(rule) not in HEALTH_OFFICER_REFUSED:
            continue
        for method, url in _requests(rule):
            response = health_officer.client.open(url, method=method)
            assert response.status_code == 403, (method, url, response.status_code)
            htmx = health_officer.client.open(url, method=method, headers={"HX-Request": "true"})
            assert htmx.status_code == 403, (method, url, htmx.status_code)
            checked += 1
    assert checked >= 40
    # Still signed in: the export and tracing pages open.
    for page in ("/admin/export", "/admin/trace"):
        assert health_officer.client.get(page).status_code == 200


def test_health_officers_open_the_export_and_tracing_pages(app, health_officer):
    checked = 0
    for rule in _staff_rules(app):
        if rule.endpoint not in HEALTH_OFFICER_PAGES:
            continue
        for method, url in _requests(rule):
            # Without the form's answers: a page, or the form again, never a refusal.
            response = health_officer.client.open(url, method=method)
            assert response.status_code in (200, 400), (method, url, response.status_code)
            checked += 1
    assert checked == 5  # the two pages, their downloads (the trace's by GET and POST)
    assert health_officer.client.get("/lang/en?next=/admin/trace").status_code == 302
    signed_out = health_officer.post("/logout", page="/admin/export")
    assert signed_out.headers["Location"] == "/login"
    assert health_officer.client.get("/admin/export").status_code == 302


def test_a_health_officer_lands_on_the_export_with_its_menu_only(app, health_officer,
                                                                  browser_of):
    assert health_officer.client.get("/login").headers["Location"] == "/admin/export"
    page = health_officer.client.get("/admin/export").get_data(as_text=True)
    menu = page.split('<nav class="staff-nav"', 1)[1].split("</nav>", 1)[0]
    assert re.findall(r'href="([^"]+)"', menu) == ["/admin/export", "/admin/trace"]
    assert "/dashboard" not in page
    # Sent to sign in from a page of theirs, back there; from any other, to the export.
    for wanted, landing in (("/admin/trace", "/admin/trace"), ("/dashboard/", "/admin/export"),
                            ("/admin/users", "/admin/export"), ("/nowhere", "/admin/export")):
        response = browser_of().login("hoa", HEALTH_OFFICER_PASSWORD, next_url=wanted)
        assert response.headers["Location"] == landing, wanted


def test_a_health_officers_downloads_and_traces_are_audited(app, health_officer, clock):
    case = add_visit(app, hanoi(14, 8), hanoi(14, 9), name="Ca Bệnh", phone="0911111111")
    add_visit(app, hanoi(14, 8, 15), hanoi(14, 9), name="Người Tiếp Xúc", phone="0900000001")
    client = health_officer.client
    for file_format in ("csv", "xlsx"):
        response = client.get("/admin/export/download", query_string={
            "start": "2021-07-14", "end": "2021-07-14", "format": file_format})
        assert response.status_code == 200 and b"".join(response.response)
        response.close()
    token = csrf_from(client.get("/admin/trace").get_data(as_text=True))
    form = {"by": "visit", "visit": str(case), "minutes": "15", "csrf_token": token}
    page = client.post("/admin/trace", data=form).get_data(as_text=True)
    assert "Người Tiếp Xúc" in page
    assert "/dashboard/" not in page  # names without links to the desk's visit pages
    download = client.post("/admin/trace/download", data={**form, "format": "xlsx"})
    assert download.status_code == 200
    download.close()
    with app.app_context():
        events = db.session.execute(db.select(AuditEvent.username, AuditEvent.action,
                                              AuditEvent.row_count)
                                    .where(AuditEvent.action != "login")
                                    .order_by(AuditEvent.id)).all()
    assert [tuple(event) for event in events] == [
        ("hoa", "export", 2), ("hoa", "export", 2), ("hoa", "trace", 1),
        ("hoa", "trace_export", 1)]
