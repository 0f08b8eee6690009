"""Every staff page needs a sign-in, and every admin page an admin: checked over app.url_map,
so that a page added later is covered without touching this file."""

from __future__ import annotations

import pytest
from werkzeug.routing import Rule

from app.routes.auth import ADMIN_BLUEPRINTS, ANONYMOUS_ENDPOINTS, PUBLIC_BLUEPRINTS

RECEPTIONIST_BLUEPRINTS = {"dashboard", "alerts", "entry", "auth"}


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
