"""Backup benchmark on SQLite: what the daily backup and the purge's pass over the backups cost.

A fresh database is filled with --visits visits over the last 20 days (as bench/dashboard.py
does). Printed:
  (a) `take_backup()` (VACUUM INTO, fsync, integrity_check): seconds and size;
  (b) a purge with --backups backups kept and nothing expired in them (what the server pays
      every JOBS_INTERVAL_SECONDS), median of several runs, in milliseconds;
  (c) a purge that finds a day and more of visits expired in every backup, as after the
      server was down for a day (running, it deletes them a minute's worth at a time).
There is no target: the figures say what BACKUP_TIME and the retention pass cost.

Run: .venv/bin/python bench/backup.py [--visits 1000000] [--backups 21]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from unittest import mock

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(BENCH_DIR), BENCH_DIR]

from dashboard import fill  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.store.backup import backups, take_backup  # noqa: E402
from app.store.models import Location  # noqa: E402
from app.store.retention import prune_backups  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=1_000_000)
    parser.add_argument("--backups", type=int, default=21)
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="gatebook-bench-")
    path = os.path.join(folder, "gatebook.sqlite")
    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": f"sqlite:///{path}",
                      "BACKGROUND_JOBS": False}, instance_path=folder)
    try:
        with app.app_context():
            db.create_all()
            db.session.add_all(Location(name=name) for name in ("Cổng chính", "Cổng sau", "B"))
            db.session.commit()
        now = datetime.now(UTC)
        fill(path, args.visits, args.visits // 50, now)
        print(f"{args.visits:,} visits; database {os.path.getsize(path) / 2**20:.0f} MiB")
        with app.app_context():
            started = time.perf_counter()
            first = take_backup()
            print(f"(a) backup: {time.perf_counter() - started:.2f} s, "
                  f"{first.size / 2**20:.0f} MiB ({first.path.name})")
            # The other backups: copies of the first, named as if taken on earlier days.
            for day in range(1, args.backups):
                taken = first.taken_at - timedelta(days=day)
                shutil.copy(first.path, first.path.with_name(
                    taken.strftime("gatebook-%Y-%m-%d-%H%M%S%z.sqlite")))
            kept = len(backups())
            times = []
            for _ in range(5):
                started = time.perf_counter()
                pruned = prune_backups(now)
                times.append((time.perf_counter() - started) * 1000)
            assert not pruned, pruned
            print(f"(b) purge pass over {kept} backups, nothing expired: median "
                  f"{statistics.median(times):.0f} ms")
            later = now + timedelta(days=2)  # the oldest day of visits has expired
            with mock.patch("app.store.clock.utcnow", lambda: later):
                started = time.perf_counter()
                pruned = prune_backups(later)
            print(f"(c) purge pass after a day's pause: "
                  f"{time.perf_counter() - started:.1f} s, {pruned.files_deleted} backups "
                  f"deleted, {pruned.visits_deleted:,} visits deleted inside the others")
            db.engine.dispose()
    finally:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
