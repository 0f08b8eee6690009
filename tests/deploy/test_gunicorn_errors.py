"""gunicorn's own answers, to requests it cannot hand to the app, carry the security headers
of the app's own pages: `make run` serves with no proxy in front."""

from __future__ import annotations

import http.client
import socket

from tests import servers
from tests.deploy.conftest import DOMAIN

SECURITY_HEADERS = ("Content-Security-Policy", "Permissions-Policy", "X-Content-Type-Options",
                    "Referrer-Policy", "Cache-Control")
HOST = f"Host: {DOMAIN}\r\n".encode()
MALFORMED = {
    400: b"GET / HTTP/1.1\r\n" + HOST + b"Bad Name: x\r\n\r\n",
    414: b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\n" + HOST + b"\r\n",
    431: b"GET / HTTP/1.1\r\n" + HOST + b"".join(b"X-%d: x\r\n" % n for n in range(101))
    + b"\r\n",
}


def _send(port: int, request: bytes) -> http.client.HTTPResponse:
    """One raw request straight to gunicorn; its answer, read in full."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        response = http.client.HTTPResponse(sock)
        response.begin()
        response.read()
    return response


def _security_headers(response: http.client.HTTPResponse) -> dict[str, list[str]]:
    return {name: response.headers.get_all(name) or [] for name in SECURITY_HEADERS}


def test_gunicorns_own_answers_carry_the_apps_headers(site_settings, tmp_path):
    with servers.gunicorn(site_settings, tmp_path / "gunicorn.log") as (port, _process):
        page = _send(port, b"GET /no-such-page HTTP/1.1\r\n" + HOST
                     + b"Connection: close\r\n\r\n")
        assert page.status == 404  # the app's own error page
        expected = _security_headers(page)
        assert all(len(values) == 1 for values in expected.values()), expected
        for status, request in MALFORMED.items():
            answer = _send(port, request)
            assert answer.status == status
            assert _security_headers(answer) == expected, status
