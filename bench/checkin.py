"""Check-in benchmark: Gatebook's check-in under load, against a bare Flask app.

Targets (issue 14), for SQLite under the `make run` configuration:
  - the check-in POST at >= 0.35 of bare Flask's requests per second,
  - its p99 latency <= 100 ms,
  - 0 errors: every POST answered 302 (a check-in recorded) and no socket errors,
  - rows created = 302s acknowledged, allowing for the requests in flight when a round ends,
  - the visitor's whole flow (GET form, POST, GET the page it redirects to) at >= 0.30 of
    bare Flask doing the same three requests.
PostgreSQL's figures are printed beside them.

How it measures:
  - Gatebook is served by gunicorn started as `make run` starts it (the options are read from
    the Makefile's run recipe; --workers, --threads and --worker-class override them to compare
    other configurations) on a free port, with a fresh database: SQLite in a temporary instance
    folder, or PostgreSQL in a schema of its own on --postgres-url, dropped afterwards. The
    schema is made by the migrations, and one entry point is added, as `make run` does.
  - bench/bare_flask.py (a 10-field form, a POST that redirects, a small page) is served by
    the same gunicorn options.
  - wrk (installed with apt-get when missing) sends the load: 32 connections, rounds of 10 s,
    Gatebook and bare Flask alternating; medians over --rounds rounds are printed.
  - POST: each request is a new visitor (a fresh per-visit secret, name and phone) with one of
    a pool of real (session cookie, CSRF token) pairs fetched from GET /c/<token>?new=1
    (bench/wrk/checkin_post.lua).
  - Flow: each wrk thread has one connection and walks the three requests with the cookies
    the server sets, a new visitor each time (bench/wrk/checkin_flow.lua).
  - Printed per database and kind: requests (or flows) per second, p50 and p99 latency of a
    request, the ratio to bare Flask, non-302 POST answers and socket errors, and the visits
    stored (counted once the server has finished what was in flight when wrk stopped) against
    the 302s acknowledged.

Run: .venv/bin/python bench/checkin.py [--rounds 3] [--databases sqlite postgresql]
     [--kinds post flow] [--workers 2 --threads 1 --worker-class sync]
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import signal
import statistics
import subprocess
import sys
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import quote_plus, urlencode

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH_DIR)
sys.path[:0] = [ROOT, BENCH_DIR]

from dashboard import GIVEN, MIDDLE, SURNAMES  # noqa: E402
from load_setup import (  # noqa: E402
    count_visits,
    database,
    ensure_wrk,
    forget_own_settings,
    gunicorn_options,
    serve,
)

from app.checkin import declaration  # noqa: E402

POST_SCRIPT = os.path.join(BENCH_DIR, "wrk", "checkin_post.lua")
FLOW_SCRIPT = os.path.join(BENCH_DIR, "wrk", "checkin_flow.lua")
CONNECTIONS = 32
POOL_SIZE = 64
WARM_UP_SECONDS = 2
TARGETS = {"post_ratio": 0.35, "p99_ms": 100.0, "flow_ratio": 0.30}


@dataclass
class Round:
    """What wrk reported for one round against one app."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    redirects: int
    others: int
    socket_errors: int
    flows: int = 0
    rows: int = 0  # visits stored during the round (Gatebook only)

    @property
    def rate(self) -> float:
        """Requests per second."""
        return self.requests / self.seconds


# --- the load --------------------------------------------------------------------------------

def visitor_fields() -> str:
    """The form's fields that stay the same for every visitor, URL-encoded: a valid
    declaration (No to every question) and the two commitments."""
    answers = {f"symptom_{q.key}": "no" for q in declaration.SYMPTOMS}
    answers |= {f"exposure_{q.key}": "no" for q in declaration.EXPOSURES}
    return urlencode({"birth_year": "1985", "gender": "male", "nationality": "Việt Nam",
                      "province": "Hà Nội", "ward": "Phường Hoàn Kiếm",
                      "street": "12 Hàng Bài", "purpose": "Vào ca", "travel": "no",
                      "confirm_true": "y", "consent": "y", **answers})


def session_pairs(port: int, path: str, count: int) -> list[tuple[str, str]]:
    """(Cookie header, CSRF token) of `count` fresh visitors, from GET <path>?new=1."""
    pairs = []
    for _ in range(count):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            connection.request("GET", f"{path}?new=1")
            response = connection.getresponse()
            page = response.read().decode()
            cookies = SimpleCookie()
            for header in response.headers.get_all("Set-Cookie") or []:
                cookies.load(header)
        finally:
            connection.close()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        if response.status != 200 or token is None:
            raise RuntimeError(f"GET {path}?new=1 answered {response.status} without a form")
        cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in cookies.items())
        pairs.append((cookie, token.group(1)))
    return pairs


def write_pool(folder: str, pairs: list[tuple[str, str]]) -> str:
    """The file the wrk scripts read: fixed fields, names, then the pairs."""
    names = [f"{s} {m} {g}" for s in SURNAMES for m in MIDDLE for g in GIVEN]
    path = os.path.join(folder, "pool.txt")
    with open(path, "w") as fh:
        fh.write(visitor_fields() + "\n")
        fh.write("\t".join(quote_plus(name) for name in names) + "\n")
        for cookie, token in pairs:
            fh.write(f"{cookie}\t{quote_plus(token)}\n")
    return path


def run_wrk(wrk: str, port: int, kind: str, path: str, pool: str, seconds: int) -> Round:
    """One round of wrk against the server on `port`."""
    script = POST_SCRIPT if kind == "post" else FLOW_SCRIPT
    threads = CONNECTIONS if kind == "flow" else 2  # a flow keeps its state per thread
    result = subprocess.run(
        [wrk, "-t", str(threads), "-c", str(CONNECTIONS), "-d", f"{seconds}s",
         "--timeout", "10s", "-s", script, f"http://127.0.0.1:{port}", "--", path, pool],
        capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"wrk failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    line = next((line for line in result.stdout.splitlines() if line.startswith("RESULT ")),
                None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{result.stdout}\n{result.stderr}")
    numbers = [int(word) for word in line.split()[1:]]
    requests, duration_us, p50, p99, peak, redirects, others, errors, *flows = numbers
    return Round(requests, duration_us / 1e6, p50 / 1000, p99 / 1000, peak / 1000, redirects,
                 others, errors, flows[0] if flows else 0)


# --- reporting -------------------------------------------------------------------------------

def median(rounds: list[Round], attribute: str) -> float:
    """The median of one figure over the rounds."""
    return statistics.median(getattr(r, attribute) for r in rounds)


def report(kind: str, ours: list[Round], bare: list[Round]) -> dict[str, float]:
    """Print one database's figures for one kind; return the medians that have targets."""
    unit = "flows/s" if kind == "flow" else "rps"
    rate = (lambda r: r.flows / r.seconds) if kind == "flow" else (lambda r: r.rate)
    ours_rate = statistics.median(rate(r) for r in ours)
    bare_rate = statistics.median(rate(r) for r in bare)
    ratio = ours_rate / bare_rate
    label = "whole flow (GET form, POST, GET done)" if kind == "flow" else "check-in POST"
    print(f"  {label}: Gatebook {ours_rate:,.0f} {unit} ({median(ours, 'rate'):,.0f} rps), "
          f"bare Flask {bare_rate:,.0f} {unit}: ratio {ratio:.3f}")
    print(f"    latency per request: Gatebook p50 {median(ours, 'p50_ms'):.1f} ms, "
          f"p99 {median(ours, 'p99_ms'):.1f} ms (max {max(r.max_ms for r in ours):.0f} ms); "
          f"bare p50 {median(bare, 'p50_ms'):.1f} ms, p99 {median(bare, 'p99_ms'):.1f} ms")
    others, errors = sum(r.others for r in ours), sum(r.socket_errors for r in ours)
    print(f"    non-302 answers (flow: any unexpected answer): {others}; socket errors: {errors}"
          f" (bare: {sum(r.others for r in bare)}, {sum(r.socket_errors for r in bare)})")
    for number, r in enumerate(ours, 1):
        in_flight = r.rows - r.redirects
        verdict = "ok" if 0 <= in_flight <= CONNECTIONS else "MISMATCH"
        print(f"    round {number}: {r.rows:,} visits stored, {r.redirects:,} 302s "
              f"acknowledged, {in_flight} in flight at the end (at most {CONNECTIONS}): "
              f"{verdict}")
    return {"ratio": ratio, "p99": median(ours, "p99_ms"), "errors": others + errors,
            "lost": sum(1 for r in ours if not 0 <= r.rows - r.redirects <= CONNECTIONS)}


def verdicts(figures: dict[str, dict[str, float]]) -> None:
    """The targets, for SQLite."""
    post, flow = figures.get("post"), figures.get("flow")
    met = lambda ok: "met" if ok else "NOT met"  # noqa: E731
    print("Targets (SQLite):")
    if post:
        print(f"  POST ratio {post['ratio']:.3f} >= {TARGETS['post_ratio']}: "
              f"{met(post['ratio'] >= TARGETS['post_ratio'])}")
        print(f"  POST p99 {post['p99']:.1f} ms <= {TARGETS['p99_ms']:.0f} ms: "
              f"{met(post['p99'] <= TARGETS['p99_ms'])}")
    if flow:
        print(f"  whole-flow ratio {flow['ratio']:.3f} >= {TARGETS['flow_ratio']}: "
              f"{met(flow['ratio'] >= TARGETS['flow_ratio'])}")
    errors = sum(f["errors"] for f in figures.values())
    lost = sum(f["lost"] for f in figures.values())
    print(f"  errors {errors} == 0: {met(errors == 0)}; rows = acknowledged (in flight "
          f"allowed) in every round: {met(lost == 0)}")


# --- main ------------------------------------------------------------------------------------

def bench_database(args: argparse.Namespace, wrk: str, name: str, options: list[str],
                   ) -> dict[str, dict[str, float]]:
    """Every kind's rounds on one database; returns the figures that have targets."""
    figures = {}
    with database(name, args.postgres_url) as found:
        # The servers' lock file (gunicorn.conf.py) in the benchmark's instance folder, not
        # the working copy's.
        env = {**os.environ, "GATEBOOK_INSTANCE_PATH": found.folder}
        if found.url:
            env["GATEBOOK_DATABASE_URL"] = found.url
        gatebook = f"app:create_app(instance_path={found.folder!r})"
        log = os.path.join(found.folder, "gunicorn.log")
        with serve(gatebook, options, env, log) as ours_port, \
                serve("bench.bare_flask:app", options, env, log) as bare_port:
            path = f"/c/{found.token}"
            pool = write_pool(found.folder, session_pairs(ours_port, path, POOL_SIZE))
            print(f"{name}:", flush=True)
            for kind in args.kinds:
                for port in (bare_port, ours_port):
                    run_wrk(wrk, port, kind, path, pool, WARM_UP_SECONDS)
                ours, bare = [], []
                for number in range(args.rounds):
                    # alternate which app goes first, so neither always follows the other
                    order = (("bare", bare_port), ("ours", ours_port))
                    for which, port in order if number % 2 == 0 else order[::-1]:
                        before = count_visits(found.counted_url) if which == "ours" else 0
                        got = run_wrk(wrk, port, kind, path, pool, args.duration)
                        if which == "ours":
                            got.rows = count_visits(found.counted_url) - before
                            ours.append(got)
                        else:
                            bare.append(got)
                figures[kind] = report(kind, ours, bare)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[2:]))
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds per app and kind; medians are printed (default: 3)")
    parser.add_argument("--duration", type=int, default=10,
                        help="seconds per round (default: 10)")
    parser.add_argument("--databases", nargs="+", choices=("sqlite", "postgresql"),
                        default=["sqlite", "postgresql"], help="default: both")
    parser.add_argument("--kinds", nargs="+", choices=("post", "flow"), default=["post", "flow"],
                        help="the POST alone, the whole flow, or both (default: both)")
    parser.add_argument("--workers", type=int,
                        help="gunicorn workers (default: as make run)")
    parser.add_argument("--threads", type=int,
                        help="gunicorn threads per worker (default: as make run)")
    parser.add_argument("--worker-class",
                        help="gunicorn worker class, e.g. sync or gthread (default: as make run)")
    parser.add_argument("--postgres-url",
                        default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
                        help="PostgreSQL database in which a schema of its own is made and "
                             "dropped (default: %(default)s)")
    args = parser.parse_args()

    forget_own_settings()
    # Stopped by a signal, it still stops its servers and removes its databases.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))
    wrk = ensure_wrk()
    options = gunicorn_options(args)
    print(f"gunicorn {' '.join(options)} (make run's options"
          f"{', with overrides' if args.workers or args.threads or args.worker_class else ''}); "
          f"wrk, {CONNECTIONS} connections, {args.rounds} rounds of {args.duration} s "
          f"per app and kind", flush=True)
    results = {name: bench_database(args, wrk, name, options) for name in args.databases}
    if "sqlite" in results:
        verdicts(results["sqlite"])


if __name__ == "__main__":
    main()
