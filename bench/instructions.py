"""Instructions per check-in request: the visitor's three requests counted by callgrind.

Requests per second depend on the machine and on what else it runs that minute (the same code
has measured 2,165 and 1,511 rps for bare Flask an hour apart). A count of the CPU instructions
a request executes does not: for the same code, Python, packages and processor kind it comes
out within a fraction of a percent on any run, so two commits can be compared on any day, on a
busy machine too. It is the yardstick for making
the check-in cheaper; bench/checkin.py gives what that buys under load.

How it counts:
  - A fresh SQLite database (as bench/checkin.py makes it: migrations, one entry point).
  - Gatebook's app and bench/bare_flask.py are called in process (as WSGI applications, no
    server and no network), each in a child Python run under valgrind's callgrind (installed
    with apt-get when missing). A child makes 130 requests' environs first, sends 10 of them
    to warm up, then N; each request's answer is checked (302 for a check-in, 200 for a page).
  - Each kind runs twice, with N = 20 and N = 120: the difference of the two totals divided by
    100 is what one request costs, free of start-up and set-up.
  - Kinds: the blank form a new visitor opens (GET /c/<token>?new=1), the check-in POST of
    bench/checkin.py (a new visitor with a valid declaration, the session's CSRF token and a
    fresh visit secret), and the confirmation page it redirects to (GET /v/<id>, with the
    phone's cookie); then bare Flask's three requests.

Printed: millions of instructions per request for each, the whole flow, and Gatebook's
multiple of bare Flask for the POST and the flow.

Run: .venv/bin/python bench/instructions.py [--kinds form post done]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH_DIR)
sys.path[:0] = [ROOT, BENCH_DIR]

FEW, MANY, WARM_UP = 20, 120, 10
KINDS = ("form", "post", "done")


# --- the child: requests in process ----------------------------------------------------------

def _run(app, environ) -> tuple[str, list[tuple[str, str]]]:
    """One request through the WSGI app; its status line and headers."""
    answers = []
    body = app(environ, lambda status, headers, exc_info=None: answers.append((status, headers)))
    try:
        for _chunk in body:
            pass
    finally:
        getattr(body, "close", lambda: None)()
    return answers[0]


def _cookie_header(cookies) -> str:
    """A Cookie header sending back every cookie the app has set."""
    return "; ".join(f"{name}={morsel.value}" for name, morsel in cookies.items())


def _gatebook_requests(kind: str, folder: str, token: str, count: int):
    """Gatebook's app and `count` environs of one kind, after one check-in for the cookie."""
    import io
    import secrets
    from contextlib import redirect_stderr
    from http.cookies import SimpleCookie
    from urllib.parse import quote_plus, urlsplit

    from checkin import visitor_fields
    from werkzeug.test import Client, EnvironBuilder

    from app import create_app

    with redirect_stderr(io.StringIO()):  # the periodic jobs' start-up line
        app = create_app({"BACKGROUND_JOBS": False}, instance_path=folder)
    path = f"/c/{token}"
    if kind == "form":
        return app, [EnvironBuilder(path=path, method="GET", query_string="new=1").get_environ()
                     for _ in range(count)]
    client = Client(app)
    page = client.get(f"{path}?new=1")
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    cookies = SimpleCookie()
    for header in page.headers.getlist("Set-Cookie"):
        cookies.load(header)
    cookie = _cookie_header(cookies)

    def post(number: int):
        body = (f"{visitor_fields()}&full_name=Nguyen+Van+{number}&phone=09{number:08d}"
                f"&csrf_token={quote_plus(csrf.group(1))}"
                f"&visit_secret={secrets.token_urlsafe(32)}")
        return EnvironBuilder(path=path, method="POST", data=body, headers={"Cookie": cookie},
                              content_type="application/x-www-form-urlencoded").get_environ()

    if kind == "post":
        return app, [post(number) for number in range(count)]
    # The confirmation: one check-in, then its page with the cookies the phone now has.
    status, headers = _run(app, post(count))
    if not status.startswith("302"):
        raise RuntimeError(f"the check-in answered {status}")
    done = urlsplit(dict(headers)["Location"]).path
    for name, value in headers:
        if name == "Set-Cookie":
            cookies.load(value)
    return app, [EnvironBuilder(path=done, method="GET",
                                headers={"Cookie": _cookie_header(cookies)})
                 .get_environ() for _ in range(count)]


def _bare_requests(kind: str, count: int):
    """bench/bare_flask.py and `count` environs of one kind."""
    from werkzeug.test import EnvironBuilder

    from bench.bare_flask import app

    def environ(number: int):
        if kind == "form":
            return EnvironBuilder(path="/c/bench", method="GET").get_environ()
        if kind == "post":
            return EnvironBuilder(
                path="/c/bench", method="POST",
                data=f"full_name=Nguyen+Van+{number}&phone=09{number:08d}",
                content_type="application/x-www-form-urlencoded").get_environ()
        return EnvironBuilder(path=f"/v/{number + 1}", method="GET").get_environ()

    return app, [environ(number) for number in range(count)]


def child(app_name: str, kind: str, count: int, folder: str, token: str) -> None:
    """Make WARM_UP + `count` requests of one kind (run under callgrind by the parent)."""
    # As many environs made for either count: only the requests differ between the two runs.
    made = WARM_UP + MANY
    app, environs = (_bare_requests(kind, made) if app_name == "bare"
                     else _gatebook_requests(kind, folder, token, made))
    expected = "302" if kind == "post" else "200"
    for environ in environs[:WARM_UP + count]:
        status, _headers = _run(app, environ)
        if not status.startswith(expected):
            raise RuntimeError(f"{app_name} {kind} answered {status}, not {expected}")


# --- the parent: callgrind, twice per kind ---------------------------------------------------

def counted(valgrind: str, app_name: str, kind: str, count: int, folder: str,
            token: str) -> int:
    """Instructions callgrind counted for a whole child run."""
    result = subprocess.run(
        [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
         os.path.abspath(__file__), "--child", app_name, kind, str(count), folder, token],
        capture_output=True, text=True, cwd=ROOT)
    found = re.search(r"Collected : (\d+)", result.stderr)
    if result.returncode or found is None:
        raise RuntimeError(f"{app_name} {kind} failed under callgrind:\n{result.stderr[-3000:]}")
    return int(found.group(1))


def per_request(valgrind: str, app_name: str, kind: str, folder: str, token: str) -> float:
    """Millions of instructions one request of this kind costs."""
    few = counted(valgrind, app_name, kind, FEW, folder, token)
    many = counted(valgrind, app_name, kind, MANY, folder, token)
    return (many - few) / (MANY - FEW) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[2:]))
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS),
                        help="which requests to count (default: all three)")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        app_name, kind, count, folder, token = args.child
        child(app_name, kind, int(count), folder, token)
        return

    from load_setup import database, ensure_tool, forget_own_settings

    forget_own_settings()
    valgrind = ensure_tool("valgrind")
    print(f"callgrind, in process, SQLite: ({MANY} - {FEW} requests) / {MANY - FEW} per kind",
          flush=True)
    names = {"form": "GET form", "post": "POST", "done": "GET done"}
    figures: dict[tuple[str, str], float] = {}
    with database("sqlite", "") as found:
        for app_name in ("gatebook", "bare"):
            for kind in args.kinds:
                figures[app_name, kind] = per_request(valgrind, app_name, kind, found.folder,
                                                      found.token)
                print(f"  {app_name:8s} {names[kind]:8s} {figures[app_name, kind]:6.2f} M "
                      "instructions", flush=True)
    if "post" in args.kinds:
        print(f"POST: Gatebook {figures['gatebook', 'post'] / figures['bare', 'post']:.1f} "
              "times bare Flask's instructions")
    if set(args.kinds) == set(KINDS):
        ours = sum(figures["gatebook", kind] for kind in KINDS)
        bare = sum(figures["bare", kind] for kind in KINDS)
        print(f"whole flow: Gatebook {ours:.2f} M, bare Flask {bare:.2f} M: "
              f"{ours / bare:.1f} times")


if __name__ == "__main__":
    main()
