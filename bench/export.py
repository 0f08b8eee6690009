"""Export benchmark: the CSV list for the health centre, 100,000 and 1,000,000 visits, on SQLite.

For each size, a fresh SQLite database is filled with that many visits over the last 20 days
(5% of them with one companion), a fresh gunicorn (one sync worker) serves the app, and an admin
downloads /admin/export/download?format=csv for the whole range over HTTP, reading the body in
chunks. Printed for each size:
  - rows per second (CSV data lines received) and elapsed seconds,
  - the worker's peak memory (VmHWM) during the download (the peak is reset after sign-in,
    whose scrypt hash alone takes 128 MiB),
  - the ratio of that throughput to `sqlite3 -csv` writing the same columns of the same join
    from the same file.
Then the targets: (a) the worker's peak grows by at most 20 MB from the first size to the last;
(b) the throughput is at least 30% of sqlite3 -csv's at every size.

Run: .venv/bin/python bench/export.py [--sizes 100000 1000000] [--keep]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from http.cookies import SimpleCookie
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH_DIR)
sys.path[:0] = [ROOT, BENCH_DIR]

from dashboard import GIVEN, MIDDLE, SURNAMES, fill  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from app import create_app  # noqa: E402
from app.admin.staff import create_user  # noqa: E402
from app.extensions import db  # noqa: E402
from app.store.models import Location  # noqa: E402

GUNICORN = os.path.join(ROOT, ".venv", "bin", "gunicorn")
SQLITE = "/usr/bin/sqlite3"
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
SECRET_KEY = "export-bench-secret"
USERNAME, PASSWORD = "bench", "bench-password-123"
LOCATIONS = ("Cổng chính", "Bộ phận một cửa", "Cổng sau")
BOM = b"\xef\xbb\xbf"
READ_BYTES = 64 * 1024
COMPANION_SHARE = 0.05
MAX_GROWTH_MB = 20.0
MIN_RATIO = 0.30

SQLITE_QUERY = """
SELECT v.id, v.checked_in_at, v.checked_out_at, l.name, v.full_name, v.birth_year, v.gender,
       v.id_number, v.phone, v.nationality, v.street, v.ward, v.province, v.declaration,
       v.flagged, v.purpose, v.source, c.full_name, c.birth_year
FROM visit AS v
JOIN location AS l ON l.id = v.location_id
LEFT JOIN companion AS c ON c.visit_id = v.id
WHERE v.checked_in_at >= '{since}' AND v.checked_in_at < '{until}'
  AND (v.checkout_by IS NULL OR v.checkout_by != 'replaced')
ORDER BY v.checked_in_at, v.id, c.position
"""


@dataclass
class Download:
    """What one HTTP export gave: rows, time, and the worker's memory."""

    rows: int
    seconds: float
    rss_before_kib: int
    peak_kib: int
    peak_reset: bool


@dataclass
class Result:
    """One size's figures."""

    visits: int
    download: Download
    sqlite_rows: int
    sqlite_seconds: float
    companions: int

    @property
    def rate(self) -> float:
        """Rows per second through HTTP."""
        return self.download.rows / self.download.seconds

    @property
    def sqlite_rate(self) -> float:
        """Rows per second of sqlite3 -csv."""
        return self.sqlite_rows / self.sqlite_seconds

    @property
    def ratio(self) -> float:
        """Our throughput (rows/s) as a share of sqlite3 -csv's."""
        return self.rate / self.sqlite_rate

    @property
    def time_ratio(self) -> float:
        """sqlite3's time over ours for the same visits (a visit with a companion is one line
        there, two here)."""
        return self.sqlite_seconds / self.download.seconds


# --- the database ----------------------------------------------------------------------------

def app_config(path: str) -> dict:
    """Settings for a benchmark database, as create_app takes them."""
    return {"SECRET_KEY": SECRET_KEY, "DATABASE_URL": f"sqlite:///{path}",
            "BACKGROUND_JOBS": False}


def create_schema(path: str, folder: str) -> None:
    """Migrate a new file to the current schema; add the entry points and an admin."""
    app = create_app(app_config(path), instance_path=folder)
    with app.app_context(), contextlib.redirect_stderr(io.StringIO()):
        upgrade()
        db.session.add_all(Location(name=name) for name in LOCATIONS)
        db.session.commit()
        create_user(USERNAME, "admin", PASSWORD)
        db.engine.dispose()


def add_companions(path: str, share: float) -> int:
    """Give one companion to `share` of the visits; return how many were added."""
    rng = random.Random(11)
    conn = sqlite3.connect(path)
    ids = [visit_id for (visit_id,) in conn.execute("SELECT id FROM visit")]
    chosen = sorted(rng.sample(ids, int(len(ids) * share)))
    conn.executemany(
        "INSERT INTO companion (visit_id, position, full_name, birth_year) VALUES (?, 0, ?, ?)",
        ((visit_id, f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
          rng.randint(2005, 2020)) for visit_id in chosen))
    conn.executemany("UPDATE visit SET party_size = 2 WHERE id = ?", ((i,) for i in chosen))
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()
    return len(chosen)


def prepare_database(folder: str, visits: int, now: datetime) -> str:
    """A fresh database file with `visits` visits; returns its path."""
    path = os.path.join(folder, f"export-{visits}.sqlite")
    started = time.perf_counter()
    create_schema(path, folder)
    fill(path, visits, visits // 50, now)
    companions = add_companions(path, COMPANION_SHARE)
    print(f"{visits:,} visits ({companions:,} with a companion) filled in "
          f"{time.perf_counter() - started:.0f} s; database "
          f"{os.path.getsize(path) / 2**20:.0f} MiB", flush=True)
    return path


def day_bounds(start: date, end: date) -> tuple[str, str]:
    """The stored (naive UTC) instants where local day `start` begins and `end` ends."""
    since = datetime.combine(start, day_time.min, tzinfo=ZONE).astimezone(UTC)
    until = datetime.combine(end + timedelta(days=1), day_time.min, tzinfo=ZONE).astimezone(UTC)
    return (since.replace(tzinfo=None).isoformat(" "),
            until.replace(tzinfo=None).isoformat(" "))


# --- the server ------------------------------------------------------------------------------

def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, server: subprocess.Popen, seconds: float = 30) -> None:
    """Return once the server accepts connections; fail if it exits or never does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {server.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise RuntimeError("gunicorn did not start listening in time")


def stop(server: subprocess.Popen) -> None:
    """End the gunicorn master and its worker (the process group started for them)."""
    if server.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            server.wait()


@contextlib.contextmanager
def gunicorn(path: str, folder: str, timeout: int) -> Iterator[tuple[int, subprocess.Popen]]:
    """A gunicorn with one sync worker serving wsgi:app on the database; stopped on exit."""
    port = free_port()
    env = {**os.environ, "GATEBOOK_DATABASE_URL": f"sqlite:///{path}",
           "GATEBOOK_BACKGROUND_JOBS": "false", "GATEBOOK_SECRET_KEY": SECRET_KEY}
    log = open(os.path.join(folder, f"gunicorn-{port}.log"), "wb")
    server = subprocess.Popen(
        [GUNICORN, "--workers", "1", "--worker-class", "sync", "--timeout", str(timeout),
         "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for_port(port, server)
        yield port, server
    finally:
        stop(server)
        log.close()


def worker_pid(master: int) -> int:
    """The pid of the master's only child, its worker."""
    with open(f"/proc/{master}/task/{master}/children") as fh:
        children = fh.read().split()
    if len(children) != 1:
        raise RuntimeError(f"expected one gunicorn worker, found {children}")
    return int(children[0])


def status_kib(pid: int, field: str) -> int:
    """A memory figure (kB) from /proc/<pid>/status, e.g. VmHWM."""
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


def reset_peak(pid: int) -> bool:
    """Set the process's VmHWM back to its current RSS; False if the kernel refuses."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return False
    return True


# --- the client ------------------------------------------------------------------------------

class Browser:
    """Plain HTTP requests to the server, keeping its cookies."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, url: str, body: str | None = None,
                ) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        """Send a request; the caller reads the response and closes the connection."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, url, body=body, headers=headers)
        response = connection.getresponse()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return connection, response

    def text(self, method: str, url: str, body: str | None = None) -> tuple[int, str]:
        """Status and whole body of a small response."""
        connection, response = self.request(method, url, body)
        try:
            return response.status, response.read().decode()
        finally:
            connection.close()

    def sign_in(self) -> None:
        """Sign in as the benchmark's admin."""
        status, page = self.text("GET", "/login")
        field = re.search(r'<input[^>]*name="csrf_token"[^>]*>', page)
        token = re.search(r'value="([^"]*)"', field.group(0)) if field else None
        if status != 200 or token is None:
            raise RuntimeError(f"no sign-in form (status {status})")
        form = urlencode({"username": USERNAME, "password": PASSWORD,
                          "csrf_token": token.group(1)})
        status, _ = self.text("POST", "/login", form)
        if status != 302:
            raise RuntimeError(f"sign-in answered {status}, not 302")


def export_url(start: date, end: date) -> str:
    """The CSV download of these local days."""
    query = urlencode({"start": start.isoformat(), "end": end.isoformat(), "format": "csv"})
    return f"/admin/export/download?{query}"


def download(browser: Browser, url: str, worker: int) -> Download:
    """Stream the export, counting lines; the worker's peak memory is read at the end."""
    peak_reset = reset_peak(worker)
    rss_before = status_kib(worker, "VmRSS")
    started = time.perf_counter()
    connection, response = browser.request("GET", url)
    try:
        if response.status != 200:
            raise RuntimeError(f"export answered {response.status}")
        first = response.read(READ_BYTES)
        if not first.startswith(BOM):
            raise RuntimeError(f"export does not start with a UTF-8 BOM: {first[:8]!r}")
        lines, last = first.count(b"\n"), first
        while chunk := response.read(READ_BYTES):
            lines += chunk.count(b"\n")
            last = chunk
    finally:
        connection.close()
    seconds = time.perf_counter() - started
    if not last.endswith(b"\r\n"):
        raise RuntimeError("export does not end with CRLF (cut short?)")
    return Download(lines - 1, seconds, rss_before, status_kib(worker, "VmHWM"), peak_reset)


def export_over_http(path: str, folder: str, start: date, end: date, timeout: int) -> Download:
    """Serve the database with a fresh gunicorn, sign in, download the export."""
    with gunicorn(path, folder, timeout) as (port, server):
        browser = Browser(port)
        browser.sign_in()
        return download(browser, export_url(start, end), worker_pid(server.pid))


# --- the reference ---------------------------------------------------------------------------

def companions_in_range(path: str, start: date, end: date) -> int:
    """Companions of the visits in the range: each is a line of its own in our CSV."""
    since, until = day_bounds(start, end)
    with contextlib.closing(sqlite3.connect(path)) as conn:
        (count,) = conn.execute(
            "SELECT COUNT(*) FROM companion AS c JOIN visit AS v ON v.id = c.visit_id"
            " WHERE v.checked_in_at >= ? AND v.checked_in_at < ?"
            " AND (v.checkout_by IS NULL OR v.checkout_by != 'replaced')",
            (since, until)).fetchone()
    return count


def sqlite_csv(path: str, folder: str, start: date, end: date) -> tuple[int, float]:
    """Rows and seconds of sqlite3 -csv writing the same join to a file."""
    since, until = day_bounds(start, end)
    query = SQLITE_QUERY.format(since=since, until=until)
    output = os.path.join(folder, "sqlite3.csv")
    with open(output, "wb") as fh:
        started = time.perf_counter()
        subprocess.run([SQLITE, "-csv", path, query], stdout=fh, check=True)
        seconds = time.perf_counter() - started
    rows = 0
    with open(output, "rb") as fh:
        while chunk := fh.read(1 << 20):
            rows += chunk.count(b"\n")
    os.remove(output)
    return rows, seconds


# --- reporting -------------------------------------------------------------------------------

def mb(kib: int) -> float:
    """kB (KiB) from /proc as MB (10^6 bytes)."""
    return kib * 1024 / 1e6


def report(result: Result) -> None:
    """One size's lines."""
    got = result.download
    note = "" if got.peak_reset else " (peak NOT reset after sign-in: includes scrypt)"
    print(f"  HTTP CSV:     {got.rows:,} rows in {got.seconds:.2f} s = {result.rate:,.0f} rows/s; "
          f"worker peak {mb(got.peak_kib):.1f} MB (RSS before {mb(got.rss_before_kib):.1f} MB)"
          f"{note}")
    print(f"  sqlite3 -csv: {result.sqlite_rows:,} rows in {result.sqlite_seconds:.2f} s = "
          f"{result.sqlite_rate:,.0f} rows/s; ours = {result.ratio:.1%} of it in rows/s, "
          f"{result.time_ratio:.1%} in time for the same visits")
    expected = result.sqlite_rows + result.companions
    if got.rows != expected:
        print(f"  WARNING: {got.rows:,} rows over HTTP, expected {expected:,} "
              f"({result.sqlite_rows:,} visits + {result.companions:,} companions)")


def verdict(met: bool) -> str:
    """Met or not, as printed."""
    return "met" if met else "NOT met"


def targets(results: list[Result]) -> None:
    """The two targets and whether they are met."""
    first, last = results[0], results[-1]
    growth = mb(last.download.peak_kib - first.download.peak_kib)
    print(f"(a) worker peak memory growth {first.visits:,} -> {last.visits:,} visits: "
          f"{growth:+.1f} MB (target <= {MAX_GROWTH_MB:.0f} MB): "
          f"{verdict(growth <= MAX_GROWTH_MB)}")
    worst = min(results, key=lambda result: result.ratio)
    ratios = ", ".join(f"{result.ratio:.1%} at {result.visits:,}" for result in results)
    print(f"(b) throughput vs sqlite3 -csv (rows/s): {ratios} (target >= {MIN_RATIO:.0%}): "
          f"{verdict(worst.ratio >= MIN_RATIO)}")
    if (worst.ratio >= MIN_RATIO) != (min(r.time_ratio for r in results) >= MIN_RATIO):
        print("    note: measured in time for the same visits instead, the verdict differs")


def run_size(folder: str, visits: int, timeout: int) -> Result:
    """Fill a database, export it over HTTP, then time sqlite3 -csv on it."""
    now = datetime.now(UTC)
    end = now.astimezone(ZONE).date()
    start = end - timedelta(days=21)
    path = prepare_database(folder, visits, now)
    got = export_over_http(path, folder, start, end, timeout)
    rows, seconds = sqlite_csv(path, folder, start, end)
    result = Result(visits, got, rows, seconds, companions_in_range(path, start, end))
    report(result)
    return result


def main() -> None:
    """Parse the options, run each size, print the targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000],
                        help="visits in each database (default: 100000 1000000)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary folder (databases, gunicorn logs)")
    parser.add_argument("--worker-timeout", type=int, default=600,
                        help="gunicorn --timeout in seconds (a sync worker streaming the "
                             "export does not heartbeat; default 600)")
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="gatebook-export-bench-")
    try:
        results = [run_size(folder, visits, args.worker_timeout) for visits in args.sizes]
        targets(results)
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
