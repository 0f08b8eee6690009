"""Tracing benchmark: contact tracing over 1,000,000 visits on SQLite (target: median <= 50 ms).

The database is filled by bench/dashboard.py's fill() (visits spread over the last 20 days and
today at three entry points, stays of 5 to 120 minutes; where the schema keeps presences, about
30% of the parties move to another point three minutes after coming in). Then, in-process
through the domain functions of app/reports/tracing.py (no HTTP, no audit entry), after warm-up, it
times
  (a) a trace from a visit: case_visit() and overlapping_visits() for a visit of the last 7
      days, and
  (b) a trace by phone over 7 days: cases_by_phone() for the last 7 days with the phone of a
      visit of those days, and overlapping_visits() for what it finds,
each for --traces different cases, every trace in a fresh session (nothing cached), and prints
the median and the maximum (and the median CPU time), the contacts found, and the target.

Run: .venv/bin/python bench/tracing.py [--visits 1000000] [--traces 40]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(BENCH_DIR), BENCH_DIR]

from dashboard import fill  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.reports.tracing import Trace, case_visit, cases_by_phone, overlapping_visits  # noqa: E402
from app.store import clock  # noqa: E402
from app.store.models import Location  # noqa: E402

TARGET_MS = 50.0
DAYS = 7
WARM_UP = 5


def sample_cases(path: str, since: datetime, count: int, seed: int) -> list[tuple[int, str]]:
    """(visit id, phone) of `count` random visits checked in since `since`."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT id, phone FROM visit WHERE checked_in_at >= ?",
                            (since.replace(tzinfo=None).isoformat(" "),)).fetchall()
    return random.Random(seed).sample(rows, count)


def timed(runs: list[Callable[[], Trace]]) -> tuple[list[float], list[float], list[int]]:
    """Milliseconds (elapsed and of CPU) and contacts of each run, each in a fresh session."""
    times, cpu_times, found = [], [], []
    for run in runs:
        db.session.remove()
        started, cpu_started = time.perf_counter(), time.process_time()
        trace = run()
        times.append((time.perf_counter() - started) * 1000)
        cpu_times.append((time.process_time() - cpu_started) * 1000)
        found.append(len(trace.contacts))
    db.session.remove()
    return times, cpu_times, found


def by_visit(visit_id: int) -> Callable[[], Trace]:
    """A trace from one visit, as the admin's button starts it."""
    return lambda: overlapping_visits([case_visit(visit_id)])


def by_phone(phone: str) -> Callable[[], Trace]:
    """A trace from a phone number over the last DAYS days, as the admin's form starts it."""
    def run() -> Trace:
        today = clock.local_today()
        return overlapping_visits(cases_by_phone(phone, today - timedelta(days=DAYS - 1), today))
    return run


def report(label: str, times: list[float], cpu_times: list[float], found: list[int]) -> None:
    """One line: median and max against the target, and the contacts found. The CPU time
    tells how much of the time was the trace's own on a machine doing other work."""
    median = statistics.median(times)
    verdict = "met" if median <= TARGET_MS else "NOT met"
    print(f"{label}: median {median:.1f} ms, max {max(times):.1f} ms over {len(times)} traces "
          f"(CPU: median {statistics.median(cpu_times):.1f} ms; contacts: median "
          f"{statistics.median(found):.0f}, max {max(found)}); "
          f"target median <= {TARGET_MS:.0f} ms: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[2:]))
    parser.add_argument("--visits", type=int, default=1_000_000,
                        help="visits in the database (default: %(default)s)")
    parser.add_argument("--traces", type=int, default=40,
                        help="traces timed for each kind, each from another case "
                             "(default: %(default)s)")
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="gatebook-bench-tracing-")
    path = os.path.join(folder, "bench.sqlite")
    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": f"sqlite:///{path}",
                      "BACKGROUND_JOBS": False}, instance_path=folder)
    with app.app_context():
        db.create_all()
        db.session.add_all(Location(name=name)
                           for name in ("Cổng chính", "Bộ phận một cửa", "Cổng sau"))
        db.session.commit()
    now = datetime.now(UTC)
    started = time.perf_counter()
    fill(path, args.visits, args.visits // 50, now)
    print(f"filled {args.visits:,} visits in {time.perf_counter() - started:.0f} s; "
          f"database {os.path.getsize(path) / 2**20:.0f} MiB", flush=True)

    with app.app_context():
        week_start = clock.local_day_bounds(clock.local_today() - timedelta(days=DAYS - 1))[0]
        cases = sample_cases(path, week_start, WARM_UP + 2 * args.traces, seed=14)
        warm, visit_cases, phone_cases = (cases[:WARM_UP], cases[WARM_UP:WARM_UP + args.traces],
                                          cases[WARM_UP + args.traces:])
        timed([by_visit(visit_id) for visit_id, _ in warm])
        report("(a) from a visit of the last 7 days",
               *timed([by_visit(visit_id) for visit_id, _ in visit_cases]))
        report("(b) by phone over 7 days",
               *timed([by_phone(phone) for _, phone in phone_cases]))
        db.engine.dispose()
    shutil.rmtree(folder)


if __name__ == "__main__":
    main()
