"""Shift-change benchmark: a thousand enrolled employees through one gate, two desks watching.

Targets (issue 15), on `make run`'s server configuration: of 1,000 employees checking in, 1,000
stored, 0 errors, the tap's p99 <= 200 ms, and the dashboard poll's p99 <= 50 ms during the
burst.

How it measures:
  - A fresh database (SQLite in a temporary instance folder, or PostgreSQL in a schema of its
    own), migrated, with one entry point, --employees enrolled employees (each with a phone
    token, as an enrolment leaves it) and a receptionist account; gunicorn started with
    `make run`'s options (bench/load_setup.py).
  - --phones threads share the --check-ins employees: for each, a phone of its own (a new
    keep-alive connection) opens the poster (GET, with the employee's signed cookie) and taps
    the button (POST, as the page's form sends it), at arrival times spread evenly over
    --minutes (0: as fast as the threads go).
  - --dashboards receptionists, signed in, poll /dashboard/changes every 2 s with the cursor
    each answer gives, as the page does: one with the list as it opens (the visitors), the
    others switched to the employees, so that every check-in comes back in their polls.
  - Printed: check-ins acknowledged (302) and stored, errors, the tap's (POST) p50/p99 and
    the page's (GET) p50/p99, and the poll's p50/p99 during the burst.

Run: .venv/bin/python bench/shift_change.py [--databases sqlite postgresql] [--minutes 10]
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import secrets
import signal
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from html import unescape
from http.cookies import SimpleCookie
from urllib.parse import urlencode

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH_DIR)
sys.path[:0] = [ROOT, BENCH_DIR]

from dashboard import GIVEN, MIDDLE, SURNAMES  # noqa: E402
from load_setup import database, forget_own_settings, gunicorn_options, serve  # noqa: E402
from sqlalchemy import create_engine, func, select  # noqa: E402

from app import create_app  # noqa: E402
from app.auth.access import hash_password  # noqa: E402
from app.employees import enrolment  # noqa: E402
from app.extensions import db  # noqa: E402
from app.store import clock  # noqa: E402
from app.store.models import Employee, EmployeeDevice, User, Visit  # noqa: E402
from app.store.tokens import hash_token  # noqa: E402

TARGETS = {"tap_p99_ms": 200.0, "poll_p99_ms": 50.0}
DESK_PASSWORD = "bàn-tiếp-đón-ca-sáng"
POLL_SECONDS = 2.0


@dataclass
class Figures:
    """What the phones and the desks saw."""

    taps: list[float] = field(default_factory=list)  # ms, POSTs answered 302
    pages: list[float] = field(default_factory=list)  # ms, GETs of the poster's page
    polls: list[float] = field(default_factory=list)  # ms
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, value: float) -> None:
        with self.lock:
            getattr(self, name).append(value)

    def error(self, what: str) -> None:
        with self.lock:
            self.errors.append(what)


class Client:
    """One browser: a keep-alive connection and its cookies."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict | None = None,
                headers: dict | None = None) -> tuple[int, str, float]:
        """(status, body, milliseconds)."""
        sent = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
                **(headers or {})}
        data = None
        if body is not None:
            data = urlencode(body, doseq=True)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=data, headers=sent)
            response = self.connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            raise
        elapsed = (time.perf_counter() - started) * 1000
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie(header)
            for name, morsel in cookie.items():
                self.cookies[name] = morsel.value
        return response.status, text, elapsed


def _hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', page)
    return unescape(found.group(1)) if found else ""


def prepare(folder: str, url: str, employees: int) -> list[str]:
    """Enrol `employees` employees and a receptionist; the employees' signed phone cookies."""
    app = create_app({"DATABASE_URL": url} if url else None, instance_path=folder)
    cookies = []
    with app.app_context(), app.test_request_context():
        serializer = enrolment._serializer()
        db.session.add(User(username="desk", role="receptionist",
                            password_hash=hash_password(DESK_PASSWORD)))
        for number in range(employees):
            name = (f"{SURNAMES[number % len(SURNAMES)]} {MIDDLE[number % len(MIDDLE)]} "
                    f"{GIVEN[number % len(GIVEN)]}")
            employee = Employee(code=f"CN-{number:05d}", full_name=name,
                                department=f"Xưởng {1 + number % 8}",
                                phone=f"09{number:08d}")
            token = secrets.token_urlsafe(32)
            db.session.add(EmployeeDevice(employee=employee, token_hash=hash_token(token),
                                          created_at=clock.utcnow()))
            cookies.append(serializer.dumps(token))
        db.session.commit()
        db.engine.dispose()
    return cookies


def phone(port: int, path: str, work: list[tuple[float, str]], figures: Figures,
          started: float) -> None:
    """One phone after another: for each (arrival time, employee cookie), the page then the
    tap, on a connection of its own (each employee's own phone; the server closes a
    connection left idle longer than its keep-alive, as it would a phone's)."""
    for arrival, cookie in work:
        delay = started + arrival - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        client = Client(port)
        client.cookies = {enrolment.EMPLOYEE_COOKIE: cookie}
        try:
            status, page, elapsed = client.request("GET", path)
            if status != 200 or "employee_tap" not in page:
                figures.error(f"page {status}")
                continue
            figures.add("pages", elapsed)
            status, _body, elapsed = client.request("POST", path, {
                "csrf_token": _hidden(page, "csrf_token"),
                "visit_secret": _hidden(page, "visit_secret"), "employee_tap": "1"})
            if status == 302:
                figures.add("taps", elapsed)
            else:
                figures.error(f"tap {status}")
        except (OSError, http.client.HTTPException) as error:
            figures.error(type(error).__name__)
        finally:
            client.connection.close()


def desk(port: int, figures: Figures, stop: threading.Event, who: str = "") -> None:
    """A receptionist's dashboard, polling as the page does: with the list's switch as it
    comes (`who` empty: the visitors), or showing the employees, whose rows then arrive."""
    client = Client(port)
    _status, page, _ms = client.request("GET", "/login")
    client.request("POST", "/login", {"username": "desk", "password": DESK_PASSWORD,
                                      "csrf_token": _hidden(page, "csrf_token")})
    _status, page, _ms = client.request("GET", f"/dashboard/?who={who}")
    # The page's poll sends the filter form with it (hx-include): here, the switch.
    with_filters = f"&who={who}" if who else ""
    poll = unescape(re.search(r'id="poller" hx-get="([^"]+)"', page).group(1)) + with_filters
    headers = {"HX-Request": "true", "HX-Current-URL": f"http://127.0.0.1:{port}/dashboard/"}
    while not stop.wait(POLL_SECONDS):
        try:
            status, body, elapsed = client.request("GET", poll, headers=headers)
        except (OSError, http.client.HTTPException) as error:
            figures.error(f"poll {type(error).__name__}")
            continue
        if status not in (200, 204):
            figures.error(f"poll {status}")
            continue
        figures.add("polls", elapsed)
        found = re.search(r'id="poller" hx-get="([^"]+)"', body)
        if found:
            poll = unescape(found.group(1)) + with_filters


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of them fall (nearest rank)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run(args: argparse.Namespace, name: str, options: list[str]) -> dict[str, float]:
    """The burst on one database; returns the figures that have targets."""
    with database(name, args.postgres_url) as found:
        cookies = prepare(found.folder, found.url, args.employees)
        # The servers' lock file (gunicorn.conf.py) in the benchmark's instance folder, not
        # the working copy's.
        env = {**os.environ, "GATEBOOK_INSTANCE_PATH": found.folder}
        if found.url:
            env["GATEBOOK_DATABASE_URL"] = found.url
        target = f"app:create_app(instance_path={found.folder!r})"
        with serve(target, options, env, os.path.join(found.folder, "gunicorn.log")) as port:
            path = f"/c/{found.token}"
            chosen = cookies[:args.check_ins]
            spread = args.minutes * 60
            arrivals = [(spread * i / max(len(chosen), 1), c) for i, c in enumerate(chosen)]
            figures, stop = Figures(), threading.Event()
            # One desk keeps to the visitors (the default), the others watch the employees.
            desks = [threading.Thread(target=desk, args=(
                port, figures, stop, "" if n == 0 else "employees"))
                for n in range(args.dashboards)]
            for thread in desks:
                thread.start()
            time.sleep(POLL_SECONDS)
            started = time.perf_counter()
            phones = [threading.Thread(target=phone, args=(
                port, path, arrivals[i::args.phones], figures, started))
                for i in range(args.phones)]
            for thread in phones:
                thread.start()
            for thread in phones:
                thread.join()
            took = time.perf_counter() - started
            stop.set()
            for thread in desks:
                thread.join()
        engine = create_engine(found.counted_url)
        with engine.connect() as conn:
            stored = conn.execute(select(func.count()).select_from(Visit.__table__).where(
                Visit.employee_code.is_not(None))).scalar_one()
        engine.dispose()
    result = {"acknowledged": len(figures.taps), "stored": stored, "errors": len(figures.errors),
              "tap_p50_ms": statistics.median(figures.taps) if figures.taps else float("nan"),
              "tap_p99_ms": percentile(figures.taps, 0.99),
              "page_p50_ms": statistics.median(figures.pages) if figures.pages else float("nan"),
              "page_p99_ms": percentile(figures.pages, 0.99),
              "poll_p50_ms": statistics.median(figures.polls) if figures.polls else float("nan"),
              "poll_p99_ms": percentile(figures.polls, 0.99), "polls": len(figures.polls),
              "seconds": took}
    print(f"{name}: {result['acknowledged']} of {len(chosen)} check-ins acknowledged, "
          f"{stored} stored, {result['errors']} errors, in {took:.1f} s\n"
          f"  tap (POST) p50 {result['tap_p50_ms']:.1f} ms, p99 {result['tap_p99_ms']:.1f} ms; "
          f"page (GET) p50 {result['page_p50_ms']:.1f} ms, p99 {result['page_p99_ms']:.1f} ms\n"
          f"  dashboard poll ({result['polls']} polls) p50 {result['poll_p50_ms']:.1f} ms, "
          f"p99 {result['poll_p99_ms']:.1f} ms", flush=True)
    if figures.errors:
        print(f"  errors seen: {sorted(set(figures.errors))}")
    return result


def verdict(name: str, result: dict[str, float], wanted: int) -> None:
    """Each target, met or not."""
    checks = [(f"{wanted} of {wanted} stored", result["stored"] == wanted
               and result["acknowledged"] == wanted),
              ("0 errors", result["errors"] == 0),
              (f"tap p99 <= {TARGETS['tap_p99_ms']:.0f} ms",
               result["tap_p99_ms"] <= TARGETS["tap_p99_ms"]),
              (f"poll p99 <= {TARGETS['poll_p99_ms']:.0f} ms",
               result["poll_p99_ms"] <= TARGETS["poll_p99_ms"])]
    for label, met in checks:
        print(f"  {name}: {label}: {'met' if met else 'NOT MET'}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[2:]))
    parser.add_argument("--employees", type=int, default=2000)
    parser.add_argument("--check-ins", type=int, default=1000)
    parser.add_argument("--phones", type=int, default=200)
    parser.add_argument("--dashboards", type=int, default=2)
    parser.add_argument("--minutes", type=float, default=10,
                        help="arrivals spread over this long; 0 for all at once (default: 10)")
    parser.add_argument("--databases", nargs="+", choices=("sqlite", "postgresql"),
                        default=["sqlite", "postgresql"])
    parser.add_argument("--workers", type=int)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--worker-class")
    parser.add_argument("--postgres-url",
                        default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    forget_own_settings()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))
    options = gunicorn_options(args)
    print(f"gunicorn {' '.join(options)}; {args.employees} employees enrolled, "
          f"{args.check_ins} check in over {args.minutes:g} min from {args.phones} phones, "
          f"{args.dashboards} dashboards polling", flush=True)
    for name in args.databases:
        verdict(name, run(args, name, options), args.check_ins)


if __name__ == "__main__":
    main()
