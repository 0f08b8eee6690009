"""Gatebook behind Debian's Caddy (2.6) running the sample site (deploy/Caddyfile) with a
self-signed certificate: every answer, the app's passed on or Caddy's own, carries the app's
security headers and Caddy's HSTS, each once."""

from __future__ import annotations

import re

from app.config import Defaults
from tests import servers
from tests.conftest import csrf_from
from tests.deploy.conftest import DOMAIN, Client, running_site

SECURITY_HEADERS = ("Content-Security-Policy", "Permissions-Policy", "X-Content-Type-Options",
                    "Referrer-Policy", "Cache-Control", "Strict-Transport-Security")
HSTS = "max-age=31536000"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
TOO_BIG = b"a=" + b"x" * Defaults.MAX_CONTENT_LENGTH


def _security_headers(answer) -> dict[str, list[str]]:
    """Each security header as often as the answer has it."""
    return {name: answer.headers.get_all(name) or [] for name in SECURITY_HEADERS}


def _error_headers(not_found) -> dict[str, list[str]]:
    """What an error answer carries: the headers of the app's own 404 page, and HSTS."""
    found = {name: values for name, values in _security_headers(not_found).items()
             if name != "Strict-Transport-Security"}
    assert found and all(len(values) == 1 for values in found.values()), found
    return {**found, "Strict-Transport-Security": [HSTS]}


def test_the_apps_answers_and_static_files_carry_each_header_once(site_settings, caddy,
                                                                  tmp_path):
    added = servers.flask(site_settings, "add-location", "Cổng chính")
    location = re.search(r"(/c/\S+)", added.stdout).group(1)
    with running_site(site_settings, caddy, tmp_path) as site:
        browser = site.client("127.0.0.9")
        # The app's own 404 page, passed on with HSTS added.
        not_found = browser.get("/no-such-page")
        assert not_found.status == 404 and "gunicorn" in not_found.headers.get_all("Server")
        expected = _error_headers(not_found)
        assert _security_headers(not_found) == expected
        page = browser.get(location)
        # The app's own headers, not Caddy's defaults beside them.
        assert page.status == 200 and _security_headers(page) == expected

        stylesheet = re.search(r'href="(/static/app\.css\?v=\w+)"', page.text).group(1)
        css = browser.get(stylesheet)
        assert css.status == 200
        assert _security_headers(css) == {
            **expected, "Cache-Control": ["public, max-age=31536000, immutable"]}

        # Sent chunked, a body too large is Caddy's alone to refuse: gunicorn never gets
        # enough of it to answer.
        chunked = browser.request("POST", location, headers=FORM, body=iter([TOO_BIG]))
        # With a Content-Length, gunicorn answers first now and then (the app's own 413);
        # else Caddy 2.6 does, with a 502 but for the sample's handle_errors.
        too_big = [browser.request("POST", location, headers=FORM, body=TOO_BIG)
                   for _ in range(5)]
        answers = {
            404: [browser.get("/static/no-such-file.css")],  # not kept a year
            413: too_big,
            414: [browser.get("/" + "a" * 5000)],  # gunicorn's own (Caddy allows longer)
        }
        within = browser.request("POST", location, headers=FORM, body=TOO_BIG[:-10])
    assert chunked.status == 413 and chunked.headers.get_all("Server") == ["Caddy"]
    assert _security_headers(chunked) == expected
    for status, replies in answers.items():
        for answer in replies:
            assert answer.status == status
            assert _security_headers(answer) == expected, status
    # Through Caddy, and the app reads it: the visitor's form again (sent with no token).
    assert within.status == 200 and "Gửi khai báo</button>" in within.text


def test_caddys_own_answers_carry_the_apps_headers(client, caddy):
    expected = _error_headers(client.get("/no-such-page"))
    with caddy([servers.free_port()]) as proxy:  # gunicorn is down
        browser = Client(proxy, "127.0.0.10")
        answers = {
            "a missing static file": (404, browser.get("/static/no-such-file.css")),
            "a page": (502, browser.get("/login")),
            # Caddy finds a body too large only as it passes it on, so never with gunicorn
            # down.
            "a body too large": (502, browser.request("POST", "/c/gate", headers=FORM,
                                                      body=TOO_BIG)),
        }
    for what, (status, answer) in answers.items():
        assert answer.status == status, what
        assert _security_headers(answer) == expected, what
        assert answer.headers.get_all("Server") == ["Caddy"], what  # no version


def test_on_a_port_other_than_443_staff_forms_go_through(site_settings, caddy, tmp_path):
    # The sample's site address with the port (vao.example.vn:8443), PUBLIC_URL with it too.
    created = servers.flask(site_settings, "create-user", "lan", "--role", "admin",
                            "--password-stdin", stdin="quản-trị-2021\n")
    assert created.returncode == 0, created.stderr
    port = servers.free_port()
    with running_site(site_settings, caddy, tmp_path, port=port) as site:
        admin = site.client("127.0.0.12")
        token = csrf_from(admin.get("/login").text)
        # Caddy passes the Host on as the browser sent it, port and all.
        signed_in = admin.post("/login", {"username": "lan", "password": "quản-trị-2021",
                                          "csrf_token": token})
        assert (signed_in.status, signed_in.location) == (302, "/dashboard/"), signed_in.text
        assert admin.page == f"https://{DOMAIN}:{port}/login"
        page = admin.get("/admin/locations/")
        added = admin.post("/admin/locations/", {"csrf_token": csrf_from(page.text),
                                                 "name": "Bộ phận một cửa"})
        assert (added.status, added.location) == (302, "/admin/locations/"), added.text
        assert f"https://{DOMAIN}:{port}/c/" in admin.follow(added).text
