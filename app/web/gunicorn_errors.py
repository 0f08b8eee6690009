"""gunicorn's own answers (a request it cannot parse: 400, 414, 431; a 500 outside the app)
with the security headers the app's own pages carry.

gunicorn has no setting for these answers: every worker kind writes them through
`gunicorn.util.write_error`, looked up at each error, so a worker process replaces that one
function (deploy/gunicorn.conf.py's post_worker_init). Only ever imported in a worker.
"""

from __future__ import annotations

import html
import socket

from gunicorn import util

from .headers import EVERY_RESPONSE

# As app/web/headers.py sends them on an error page.
HEADERS = (*EVERY_RESPONSE[False], ("Cache-Control", "no-store"))


def write_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's error answer (its status, its page, the connection closed), with the
    headers."""
    body = (f"<html><head><title>{reason}</title></head><body><h1>{reason}</h1>"
            f"<p>{html.escape(mesg)}</p></body></html>\n").encode()
    fields = (("Connection", "close"), ("Content-Type", "text/html; charset=utf-8"),
              ("Content-Length", str(len(body))), *HEADERS)
    head = f"HTTP/1.1 {status_int} {reason}\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in fields) + "\r\n"
    util.write_nonblock(sock, head.encode("latin-1") + body)


def install() -> None:
    """Have this worker process write gunicorn's error answers with the headers."""
    util.write_error = write_error
