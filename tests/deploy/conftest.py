"""Gatebook as an organisation runs it: gunicorn (deploy/gunicorn.conf.py) behind Debian's
nginx running the sample server block (deploy/nginx-gatebook.conf) with a self-signed
certificate, and HTTPS clients on addresses of their own, as phones on mobile data are.

The sample is rendered for the test only where a test machine differs from a server: ports,
certificate paths, upstreams, the static folder and the log folder.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import http.client
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import pytest
from sqlalchemy import create_engine, text

from tests import servers
from tests.conftest import PG_SCHEMA, TEST_DATABASE_URL

DOMAIN = "vao.example.vn"
PUBLIC_URL = f"https://{DOMAIN}"
SAMPLE = servers.ROOT / "deploy" / "nginx-gatebook.conf"
# CI sets this, so that a missing nginx or openssl fails the run instead of skipping quietly.
REQUIRE_PROXY = os.environ.get("GATEBOOK_TEST_REQUIRE_PROXY") == "1"


def _tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if found is None:
        message = f"no {name}: apt-get install -y {name} (.ci/run does)"
        if REQUIRE_PROXY:
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture(scope="session")
def nginx_binary() -> str:
    """Debian's nginx; the test is skipped (failed in CI) where there is none."""
    return _tool("nginx")


@pytest.fixture(scope="session")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for the sample's domain: (certificate, key)."""
    openssl = _tool("openssl")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "fullchain.pem", folder / "privkey.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                    "-subj", f"/CN={DOMAIN}", "-addext", f"subjectAltName=DNS:{DOMAIN}",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


@pytest.fixture
def site_database(tmp_path) -> Iterator[str]:
    """An empty database for the site: a SQLite file, or a PostgreSQL schema of its own."""
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{tmp_path / 'gatebook.sqlite'}"
        return
    schema = f"{PG_SCHEMA}_site"
    engine = create_engine(TEST_DATABASE_URL)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in TEST_DATABASE_URL else "?"
    yield f"{TEST_DATABASE_URL}{separator}options={quote(f'-csearch_path={schema}')}"
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()


# The sample's lines that keep staff pages to the office's address, commented out.
STAFF_ONLY = "        # allow 203.0.113.7;\n        # deny all;\n"


def render_sample(https_port: int, http_port: int, upstreams: list[int], cert: Path, key: Path,
                  log_folder: Path, public_url: str = PUBLIC_URL,
                  staff_from: str | None = None) -> str:
    """deploy/nginx-gatebook.conf with this machine's ports, certificate, app servers and
    folders, and the HTTPS address plain HTTP is sent to (`public_url`: with its port when that
    is not 443, as the sample says); with `staff_from`, its staff pages allowed from that
    address only, as the sample's commented lines do. Every line replaced must be found, or
    the sample has changed under the test."""
    sample = SAMPLE.read_text()
    assert sample.count(STAFF_ONLY) == 2, "the sample no longer keeps staff pages apart"
    if staff_from is not None:
        sample = sample.replace(STAFF_ONLY, STAFF_ONLY.replace("# ", "").replace(
            "203.0.113.7", staff_from))
    replacements = [
        (f"return 301 {PUBLIC_URL}$request_uri;", f"return 301 {public_url}$request_uri;"),
        ("    listen 80;\n", f"    listen 127.0.0.1:{http_port};\n"),
        ("    listen [::]:80;\n", ""),
        ("    listen 443 ssl;\n", f"    listen 127.0.0.1:{https_port} ssl;\n"),
        ("    listen [::]:443 ssl;\n", ""),
        (f"/etc/letsencrypt/live/{DOMAIN}/fullchain.pem", str(cert)),
        (f"/etc/letsencrypt/live/{DOMAIN}/privkey.pem", str(key)),
        ("    server 127.0.0.1:8000;\n",
         "".join(f"    server 127.0.0.1:{port};\n" for port in upstreams)),
        ("alias /opt/gatebook/app/static/;", f"alias {servers.ROOT / 'app' / 'static'}/;"),
        ("/var/log/nginx/", f"{log_folder}/"),
    ]
    for old, new in replacements:
        assert old in sample, f"the sample no longer has {old!r}"
        sample = sample.replace(old, new)
    return sample


@dataclass
class Proxy:
    """A running nginx: its ports, log folder, and a TLS context that trusts its certificate."""

    https_port: int
    http_port: int
    logs: Path
    tls: ssl.SSLContext
    # The site's address as browsers name it (with the port, when not 443).
    public_url: str = PUBLIC_URL

    def access_log(self) -> str:
        """nginx's access log for the site so far."""
        return (self.logs / "gatebook.access.log").read_text()


@contextlib.contextmanager
def run_nginx(binary: str, folder: Path, upstreams: list[int], cert: Path, key: Path,
              https_port: int | None = None, public_url: str = PUBLIC_URL,
              staff_from: str | None = None) -> Iterator[Proxy]:
    """nginx in the foreground with its own prefix and the rendered sample (see
    render_sample), on free ports (or the HTTPS port given)."""
    https_port, http_port = https_port or servers.free_port(), servers.free_port()
    for sub in ("logs", "tmp"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    (folder / "gatebook.conf").write_text(render_sample(
        https_port, http_port, upstreams, cert, key, folder / "logs", public_url, staff_from))
    temp = folder / "tmp"
    # Debian's /etc/nginx/nginx.conf around the site, less what needs root's folders. Run as
    # root, the workers stay root so that they may read the test's private folders.
    (folder / "nginx.conf").write_text(f"""
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/logs/error.log info;
{"user root;" if os.geteuid() == 0 else ""}
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {folder}/gatebook.conf;
}}
""")
    log = folder / "logs" / "nginx.out"
    with open(log, "ab") as output:
        process = subprocess.Popen(
            [binary, "-p", f"{folder}/", "-c", str(folder / "nginx.conf"),
             "-e", str(folder / "logs" / "error.log")],
            stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        servers.wait_for_port(https_port, process, log)
        tls = ssl.create_default_context(cafile=str(cert))
        yield Proxy(https_port, http_port, folder / "logs", tls, public_url)
    finally:
        servers.stop(process, signal.SIGQUIT)  # nginx's graceful stop


@pytest.fixture
def nginx(nginx_binary, certificate, tmp_path):
    """Start nginx in front of the given gunicorn ports: `with nginx([port]) as proxy`
    (`https_port=`, `public_url=`: the site on a port of its own, see running_site;
    `staff_from=`: staff pages from that address only)."""
    cert, key = certificate
    return lambda upstreams, **options: run_nginx(nginx_binary, tmp_path / "nginx", upstreams,
                                                  cert, key, **options)


# --- Caddy, the other sample ------------------------------------------------------------------

CADDY_SAMPLE = servers.ROOT / "deploy" / "Caddyfile"


@pytest.fixture(scope="session")
def caddy_binary() -> str:
    """Debian's Caddy; the test is skipped (failed in CI) where there is none."""
    return _tool("caddy")


def render_caddyfile(https_port: int, http_port: int, upstreams: list[int], cert: Path,
                     key: Path, public_url: str = PUBLIC_URL) -> str:
    """deploy/Caddyfile with this machine's ports, certificate (no certificate authority
    here), app servers and static folder, and the site's address (`public_url`'s host, with
    its port when that is not 443, as the sample says); every line replaced must be found."""
    text = CADDY_SAMPLE.read_text()
    site = urlsplit(public_url).netloc
    replacements = [
        (f"\n{DOMAIN} {{\n", f"\n{site} {{\n\ttls {cert} {key}\n"),
        ("root * /opt/gatebook/app/static", f"root * {servers.ROOT / 'app' / 'static'}"),
        ("reverse_proxy 127.0.0.1:8000 {",
         "reverse_proxy " + " ".join(f"127.0.0.1:{port}" for port in upstreams) + " {"),
    ]
    for old, new in replacements:
        assert old in text, f"the sample no longer has {old!r}"
        text = text.replace(old, new)
    # No admin endpoint: Debian's own caddy service may hold its port (2019).
    return (f"{{\n\tadmin off\n\thttp_port {http_port}\n\thttps_port {https_port}\n"
            f"\tdefault_bind 127.0.0.1\n}}\n\n{text}")


@contextlib.contextmanager
def run_caddy(binary: str, folder: Path, upstreams: list[int], cert: Path, key: Path,
              https_port: int | None = None, public_url: str = PUBLIC_URL) -> Iterator[Proxy]:
    """`caddy run` with the rendered sample on free ports (or the HTTPS port given), its home
    and data under `folder`."""
    https_port, http_port = https_port or servers.free_port(), servers.free_port()
    (folder / "logs").mkdir(parents=True, exist_ok=True)
    config = folder / "Caddyfile"
    config.write_text(render_caddyfile(https_port, http_port, upstreams, cert, key, public_url))
    env = {**os.environ, "HOME": str(folder / "home"),
           "XDG_CONFIG_HOME": str(folder / "config"), "XDG_DATA_HOME": str(folder / "data")}
    log = folder / "logs" / "caddy.out"
    with open(log, "ab") as output:
        process = subprocess.Popen(
            [binary, "run", "--config", str(config), "--adapter", "caddyfile"], env=env,
            stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        servers.wait_for_port(https_port, process, log)
        tls = ssl.create_default_context(cafile=str(cert))
        yield Proxy(https_port, http_port, folder / "logs", tls, public_url)
    finally:
        servers.stop(process)


@pytest.fixture
def caddy(caddy_binary, certificate, tmp_path):
    """Start Caddy in front of the given gunicorn ports: `with caddy([port]) as proxy`; it
    takes the nginx fixture's place in running_site."""
    cert, key = certificate
    return lambda upstreams, **options: run_caddy(caddy_binary, tmp_path / "caddy", upstreams,
                                                  cert, key, **options)


# --- the client ------------------------------------------------------------------------------

class _TLSConnection(http.client.HTTPSConnection):
    """HTTPS to nginx's port, from a chosen address, for the sample's domain name."""

    def connect(self) -> None:
        raw = socket.create_connection((self.host, self.port), self.timeout, self.source_address)
        self.sock = self._context.wrap_socket(raw, server_hostname=DOMAIN)


@dataclass
class Reply:
    """A response as the client received it (the body decompressed)."""

    status: int
    headers: Message
    raw: bytes
    text: str = ""

    @property
    def location(self) -> str:
        """Where a redirect points."""
        return self.headers.get("Location", "")


@dataclass
class Client:
    """A browser or a phone at its own address, reaching https://vao.example.vn through the
    proxy as DNS would send it there, keeping cookies as a browser does."""

    proxy: Proxy
    address: str
    cookies: dict[str, str] = field(default_factory=dict)
    set_cookies: list[str] = field(default_factory=list)
    # The page last opened: browsers send it as Referer (Flask-WTF checks it over HTTPS).
    page: str = ""

    def request(self, method: str, url: str, form: dict | None = None,
                headers: dict | None = None, body: bytes | None = None) -> Reply:
        """Send one request to an absolute URL or a path on the site."""
        parts = urlsplit(url if "://" in url else self.proxy.public_url + url)
        assert parts.hostname == DOMAIN, f"{url} is not on the site"
        # The Host header names the port a browser was given, whichever the proxy listens on.
        source = (self.address, 0)
        if parts.scheme == "https":
            connection = _TLSConnection("127.0.0.1", self.proxy.https_port, timeout=60,
                                        source_address=source, context=self.proxy.tls)
        else:
            connection = http.client.HTTPConnection("127.0.0.1", self.proxy.http_port,
                                                    timeout=60, source_address=source)
        sent = {"Host": parts.netloc, "Accept-Encoding": "gzip", **(headers or {})}
        if self.page:
            sent.setdefault("Referer", self.page)
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if form is not None:
            body = urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, parts.path + (f"?{parts.query}" if parts.query else ""),
                               body=body, headers=sent)
            response = connection.getresponse()
            raw = response.read()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            self.set_cookies.append(header)
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        data = gzip.decompress(raw) if response.headers.get("Content-Encoding") == "gzip" else raw
        if method == "GET" and "text/html" in response.headers.get("Content-Type", ""):
            self.page = parts.geturl()
        return Reply(response.status, response.headers, raw, data.decode("utf-8", "replace"))

    def get(self, url: str, **kwargs) -> Reply:
        """GET, not following redirects."""
        return self.request("GET", url, **kwargs)

    def post(self, url: str, form: dict, **kwargs) -> Reply:
        """POST a form."""
        return self.request("POST", url, form=form, **kwargs)

    def follow(self, reply: Reply) -> Reply:
        """GET where a redirect points."""
        assert reply.status in (301, 302, 303), (reply.status, reply.text[:300])
        return self.get(reply.location)


# --- the site --------------------------------------------------------------------------------

README = servers.ROOT / "README.md"


def readme_settings() -> str:
    """The instance/config.py that the README's "Running it for an organisation" writes."""
    found = re.search(r"^( *)```python\n(\1# instance/config\.py\n.*?)^\1```",
                      README.read_text(), re.M | re.S)
    assert found, "the README no longer shows instance/config.py"
    return textwrap.dedent(found.group(2))


@dataclass
class Site:
    """Gatebook running behind nginx: its settings, proxy and app servers' logs."""

    env: dict[str, str]
    proxy: Proxy
    server_logs: list[Path]

    def client(self, address: str) -> Client:
        """A browser or phone connecting from `address` (127.0.0.2 and up)."""
        return Client(self.proxy, address)

    def server_log(self) -> str:
        """Everything the app servers logged so far (access and application lines)."""
        return "".join(log.read_text() for log in self.server_logs)


@pytest.fixture
def site_settings(site_database, tmp_path) -> dict[str, str]:
    """A fresh instance folder with the README's settings, migrated with `make migrate`;
    returns the environment every command and server of the site gets."""
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text(readme_settings())
    env = servers.app_environment(instance, site_database)
    venv = Path(servers.BIN).parent
    result = subprocess.run(["make", "-s", "migrate", f"VENV={venv}"], cwd=servers.ROOT,
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return env


@contextlib.contextmanager
def running_site(env: dict[str, str], nginx, folder: Path, count: int = 1, workers: int = 1,
                 port: int | None = None) -> Iterator[Site]:
    """`count` gunicorn servers as the systemd unit starts them, behind nginx (or Caddy). With
    `port`, the site is at https://vao.example.vn:<port>, a port other than 443: its
    PUBLIC_URL says so, the proxy listens there, and browsers name it in Host and Referer."""
    if port is not None:
        public_url = f"{PUBLIC_URL}:{port}"
        env = {**env, "GATEBOOK_PUBLIC_URL": public_url}
        nginx = functools.partial(nginx, https_port=port, public_url=public_url)
    with contextlib.ExitStack() as stack:
        ports, logs = [], []
        for number in range(count):
            log = folder / f"gunicorn-{number}.log"
            port, _process = stack.enter_context(servers.gunicorn(env, log, workers=workers))
            ports.append(port)
            logs.append(log)
        proxy = stack.enter_context(nginx(ports))
        yield Site(env, proxy, logs)
