"""The README's "Running it for an organisation", scripted: its settings, `make migrate`,
gunicorn as the systemd unit starts it, nginx with the sample server block over HTTPS, the
first admin from the setup link, a poster, and a phone on mobile data checking in."""

from __future__ import annotations

import functools
import io
import re
import time

import zxingcpp
from PIL import Image
from sqlalchemy import create_engine, text

from app.config import Defaults
from tests import servers
from tests.conftest import VALID_VISITOR, csrf_from
from tests.deploy.conftest import DOMAIN, PUBLIC_URL, Client, Reply, running_site
from tests.html_form import form_values

ADMIN, ADMIN_PASSWORD = "lan", "quản-trị-2021"
SECURITY_HEADERS = ("Content-Security-Policy", "Permissions-Policy", "X-Content-Type-Options",
                    "Referrer-Policy", "Cache-Control", "Strict-Transport-Security")
HSTS = "max-age=31536000"


def _rows(env: dict[str, str], query: str) -> list[tuple]:
    engine = create_engine(env["GATEBOOK_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(query))]
    finally:
        engine.dispose()


def _flask(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    """A command as the README gives it; its output."""
    result = servers.flask(env, *args, stdin=stdin)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _create_admin(env: dict[str, str]) -> None:
    _flask(env, "create-user", ADMIN, "--role", "admin", "--password-stdin",
           stdin=ADMIN_PASSWORD + "\n")


def _wait_for(condition, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.05)


def _security_headers(answer) -> dict[str, list[str]]:
    """Each security header as often as the answer (nginx's or the app's own) has it."""
    return {name: answer.headers.get_all(name) or [] for name in SECURITY_HEADERS}


def _each_once(reply: Reply) -> bool:
    return all(len(values) == 1 for values in _security_headers(reply).values())


def _sign_in(client, username: str, password: str, **kwargs):
    token = csrf_from(client.get("/login").text)
    return client.post("/login", {"username": username, "password": password,
                                  "csrf_token": token}, **kwargs)


def test_from_a_fresh_server_to_a_check_in_on_a_phone(site_settings, nginx, tmp_path):
    site_env = site_settings
    location = re.search(r"^Cổng chính: (\S+)$", _flask(site_env, "add-location", "Cổng chính"),
                         re.M).group(1)
    setup_link = re.search(r"https://\S+/setup/\S+", _flask(site_env, "setup-link")).group(0)
    assert location.startswith(f"{PUBLIC_URL}/c/")  # printed links use PUBLIC_URL
    assert setup_link.startswith(f"{PUBLIC_URL}/setup/")

    with running_site(site_env, nginx, tmp_path) as site:
        admin = site.client("127.0.0.3")
        insecure = admin.get(f"http://{DOMAIN}/dashboard/")
        assert (insecure.status, insecure.location) == (301, f"{PUBLIC_URL}/dashboard/")

        # The first admin, from the setup link, over HTTPS.
        token = csrf_from(admin.get(setup_link).text)
        created = admin.post(setup_link, {"csrf_token": token, "username": ADMIN,
                                          "password": ADMIN_PASSWORD, "confirm": ADMIN_PASSWORD})
        assert (created.status, created.location) == (302, "/dashboard/")
        assert admin.get("/dashboard/").status == 200

        # The poster: the URL written on it and the one in its QR code are PUBLIC_URL's.
        locations = admin.get("/admin/locations/").text
        poster_path = re.search(r'href="(/admin/locations/\d+/poster)"', locations).group(1)
        poster = admin.get(poster_path)
        assert location in poster.text
        qr = admin.get(poster_path.replace("/poster", "/qr.png"))
        assert [found.text for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.raw)))
                ] == [location]

        # A phone on mobile data scans it and checks in.
        phone = site.client("127.0.0.4")
        page = phone.get(location)
        assert page.status == 200 and page.headers["Content-Encoding"] == "gzip"
        answered = phone.post(location, {**form_values(page.text, "/c/"), **VALID_VISITOR})
        assert answered.status == 302 and answered.location.startswith("/v/")
        done = phone.follow(answered)
        assert done.status == 200 and VALID_VISITOR["full_name"] in done.text
        assert VALID_VISITOR["full_name"] in admin.get("/dashboard/").text

    # Every cookie went out Secure, to the admin's browser and to the phone.
    cookies = admin.set_cookies + phone.set_cookies
    assert cookies and all("; Secure" in cookie for cookie in cookies), cookies
    # The audit log has the admin's own address for what was done over the web. (A site that
    # starts after BACKUP_TIME takes the day's backup at once, and records it with no address.)
    rows = set(_rows(site_env, "SELECT action, address FROM audit_event"))
    assert rows - {("backup", "")} == {("location_create", ""), ("first_admin", "127.0.0.3")}


def test_the_client_address_is_the_clients_and_a_made_up_one_is_not_believed(
        site_settings, nginx, tmp_path):
    _create_admin(site_settings)
    # An address's own limit as low as an account's, so that five guesses lock it.
    env = {**site_settings,
           "GATEBOOK_LOGIN_MAX_FAILURES_PER_ADDRESS": str(Defaults.LOGIN_MAX_FAILURES)}
    with running_site(env, nginx, tmp_path) as site:
        guesser = site.client("127.0.0.5")
        for attempt in range(Defaults.LOGIN_MAX_FAILURES):
            failed = _sign_in(guesser, "khach-la", f"đoán-{attempt}-sai-rồi",
                              headers={"X-Forwarded-For": f"203.0.113.{attempt}"})
            # Each from a different made-up address: all counted against the real one.
            last = attempt == Defaults.LOGIN_MAX_FAILURES - 1
            assert failed.status == (429 if last else 200), failed.text
        # Another made-up address does not get round the lockout, nor does a right password.
        refused = _sign_in(guesser, ADMIN, ADMIN_PASSWORD,
                           headers={"X-Forwarded-For": "198.51.100.7"})
        assert refused.status == 429
        # Everyone else is still welcome: the lockout is the guesser's, not the proxy's.
        admin = site.client("127.0.0.6")
        assert _sign_in(admin, ADMIN, ADMIN_PASSWORD).status == 302
        audit_page = admin.get("/admin/audit").text
    assert "127.0.0.5" in audit_page and "127.0.0.6" in audit_page
    assert "203.0.113." not in audit_page and "198.51.100.7" not in audit_page
    assert set(_rows(site_settings, "SELECT address FROM login_failure")) == {("127.0.0.5",)}
    assert set(_rows(site_settings, "SELECT action, address FROM audit_event "
                                    "WHERE action LIKE 'login%'")) == {
        ("login_failed", "127.0.0.5"), ("login_refused", "127.0.0.5"), ("login", "127.0.0.6")}


def test_compressed_cached_statics_logs_without_queries_and_the_body_limit(
        site_settings, nginx, tmp_path):
    _create_admin(site_settings)
    location = re.search(r"(/c/\S+)", _flask(site_settings, "add-location", "Cổng chính"))
    with running_site(site_settings, nginx, tmp_path) as site:
        browser = site.client("127.0.0.7")
        page = browser.get(location.group(1))  # a visitor's page goes compressed
        assert page.headers["Content-Encoding"] == "gzip"
        # The app's headers, and nginx's HSTS, each once: nginx adds its copies of the app's
        # only to answers without them.
        assert _each_once(page), _security_headers(page)
        assert page.headers["Strict-Transport-Security"] == HSTS
        assert len(page.raw) < len(page.text.encode())

        stylesheet = re.search(r'href="(/static/app\.css\?v=\w+)"', page.text).group(1)
        css = browser.get(stylesheet)
        assert css.status == 200 and css.headers["Content-Encoding"] == "gzip"
        assert css.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert _each_once(css), _security_headers(css)
        # gunicorn's own answer to a request line longer than its limit (nginx's is longer).
        long_line = browser.get("/" + "a" * 5000)
        assert long_line.status == 414 and _each_once(long_line), _security_headers(long_line)
        _wait_for(lambda: "/static/app.css " in site.proxy.access_log())

        assert _sign_in(browser, ADMIN, ADMIN_PASSWORD).status == 302
        searched = browser.get("/dashboard/?q=0912345678")
        # A signed-in staff page never goes compressed: its CSRF token sits beside the
        # searched text it echoes (BREACH), neither from the app nor from nginx.
        assert searched.status == 200 and "Content-Encoding" not in searched.headers
        assert _each_once(searched), _security_headers(searched)
        # Both write their line once the response has gone: wait for them.
        _wait_for(lambda: "GET /dashboard/ " in site.server_log())
        _wait_for(lambda: "GET /dashboard/ " in site.proxy.access_log())
        for log in (site.server_log(), site.proxy.access_log()):
            assert "0912345678" not in log and "q=" not in log
        assert "/static/" not in site.server_log()  # nginx served the stylesheet, not the app

        limit = Defaults.MAX_CONTENT_LENGTH
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        too_big = browser.request("POST", location.group(1), headers=form,
                                  body=b"a=" + b"x" * (limit - 1))
        assert too_big.status == 413 and too_big.headers["Server"].startswith("nginx")
        within = browser.request("POST", location.group(1), headers=form,
                                 body=b"a=" + b"x" * (limit - 10))
        # Through nginx, and the app reads it: the visitor's form again (sent with no token).
        assert within.status == 200 and "Gửi khai báo</button>" in within.text


def test_nginxs_own_answers_carry_the_apps_headers_and_no_version(client, nginx):
    # The app's own 404 page says which headers an error answer carries.
    expected = {name: values for name, values in _security_headers(
        client.get("/no-such-page")).items() if name != "Strict-Transport-Security"}
    assert expected and all(len(values) == 1 for values in expected.values()), expected
    with nginx([servers.free_port()]) as proxy:  # gunicorn is down
        browser = Client(proxy, "127.0.0.8")
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        answers = {
            413: browser.request("POST", "/c/gate", headers=form,
                                 body=b"a=" + b"x" * Defaults.MAX_CONTENT_LENGTH),
            404: browser.get("/static/no-such-file.css"),
            414: browser.get("/" + "a" * 9000),
            400: browser.get("/", headers={"Cookie": "a=" + "x" * 9000}),
            502: browser.get("/login"),
            301: browser.get(f"http://{DOMAIN}/login"),  # plain HTTP
        }
    for status, answer in answers.items():
        assert answer.status == status
        https = [] if status == 301 else [HSTS]
        assert _security_headers(answer) == {**expected, "Strict-Transport-Security": https}, (
            status)
        assert answer.headers.get_all("Server") == ["nginx"], status  # no version
        assert "nginx/" not in answer.text, status


def test_on_a_port_other_than_443_staff_forms_go_through(site_settings, nginx, tmp_path):
    # 443 taken by something else: the site at https://vao.example.vn:<port>, as the sample's
    # comments say (listen, the redirect) and PUBLIC_URL with the port.
    _create_admin(site_settings)
    port = servers.free_port()
    with running_site(site_settings, nginx, tmp_path, port=port) as site:
        here = f"https://{DOMAIN}:{port}"
        insecure = site.client("127.0.0.11").get(f"http://{DOMAIN}/login")
        assert (insecure.status, insecure.location) == (301, f"{here}/login")
        admin = site.client("127.0.0.11")
        # The browser names the port in Host and in Referer (Flask-WTF compares them).
        signed_in = _sign_in(admin, ADMIN, ADMIN_PASSWORD)
        assert (signed_in.status, signed_in.location) == (302, "/dashboard/"), signed_in.text
        assert admin.page == f"{here}/login"
        page = admin.get("/admin/locations/")
        assert page.status == 200
        added = admin.post("/admin/locations/", {"csrf_token": csrf_from(page.text),
                                                 "name": "Bộ phận một cửa"})
        assert (added.status, added.location) == (302, "/admin/locations/"), added.text
        listed = admin.follow(added).text
        assert "Bộ phận một cửa" in listed and f"{here}/c/" in listed
    assert ("location_create", "127.0.0.11") in _rows(
        site.env, "SELECT action, address FROM audit_event")


def test_staff_pages_kept_to_the_office_and_visitor_pages_open_to_all(
        site_settings, nginx, tmp_path):
    # The sample's commented allow/deny lines, uncommented for the office at 127.0.0.13.
    _create_admin(site_settings)
    location = re.search(r"(/c/\S+)", _flask(site_settings, "add-location", "Cổng chính"))
    office = functools.partial(nginx, staff_from="127.0.0.13")
    with running_site(site_settings, office, tmp_path) as site:
        outside = site.client("127.0.0.14")
        for path in ("/login", "/dashboard/", "/admin/locations/", "/admin/employees/import",
                     "/setup/any-token"):
            refused = outside.get(path)
            assert refused.status == 403 and _each_once(refused), path
        # A phone anywhere still checks in.
        page = outside.get(location.group(1))
        assert page.status == 200
        answered = outside.post(location.group(1), {**form_values(page.text, "/c/"),
                                                    **VALID_VISITOR})
        assert answered.status == 302 and outside.follow(answered).status == 200
        # The office signs in and works as ever.
        admin = site.client("127.0.0.13")
        assert _sign_in(admin, ADMIN, ADMIN_PASSWORD).status == 302
        assert VALID_VISITOR["full_name"] in admin.get("/dashboard/").text
