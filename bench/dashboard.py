"""Dashboard benchmark: 1,000,000 visits in the database, 20,000 of them today, on SQLite.

Prints the median server time of
  (a) a poll when nothing changed (target <= 5 ms),
  (b) the first page of the dashboard: list, counters, the alert panel and render (target
      <= 20 ms); 2% of the visits are flagged and none decided, so the panel is full,
  (c) for information, a poll that carries a check-in: its row, counters and alerts,
measured in-process through the WSGI app (no network), after warm-up. The database is deleted
at the end.

Run: .venv/bin/python bench/dashboard.py [--visits 1000000] [--today 20000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app import create_app  # noqa: E402
from app.auth.access import hash_password  # noqa: E402
from app.extensions import db  # noqa: E402
from app.store.models import Location, User, Visit  # noqa: E402
from app.store.normalise import fold_for_search  # noqa: E402

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Ngọc", "Minh", "Thu", "Quang"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hùng", "Lan", "Mai", "Nam", "Phương"]
NO = json.dumps({"symptoms": {}, "exposure": {}, "travel": {"answer": False, "places": ""}})


def fill(path: str, total: int, today: int, now: datetime) -> None:
    """Write `total` visits straight into the file: `today` of them since local midnight."""
    rng = random.Random(7)
    local_midnight = (now + timedelta(hours=7)).replace(hour=0, minute=0, second=0,
                                                         microsecond=0) - timedelta(hours=7)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")

    def rows(count, start, span):
        for _ in range(count):
            at = start + timedelta(seconds=rng.uniform(0, span))
            name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
            phone = f"09{rng.randrange(10**8):08d}"
            out = at + timedelta(minutes=rng.randint(5, 120))
            closed = out < now - timedelta(minutes=1)
            stamp = (out if closed else at).replace(tzinfo=None)
            yield (rng.randint(1, 3), at.replace(tzinfo=None),
                   out.replace(tzinfo=None) if closed else None, "visitor" if closed else None,
                   name, phone, rng.randint(1940, 2015), "male", "Việt Nam", "Hà Nội", "", "", "",
                   NO, rng.random() < 0.02, "self", f"{phone} |  | {fold_for_search(name)}", stamp,
                   1, "")

    sql = ("INSERT INTO visit (location_id, checked_in_at, checked_out_at, checkout_by, full_name,"
           " phone, birth_year, gender, nationality, province, ward, street, purpose, declaration,"
           " flagged, source, search_text, changed_at, party_size, department) "
           "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
    older = total - today
    conn.executemany(sql, rows(older, local_midnight - timedelta(days=20), 20 * 86400))
    span_today = max((now - timedelta(minutes=2) - local_midnight).total_seconds(), 60)
    conn.executemany(sql, rows(today, local_midnight, span_today))
    add_presences(conn)
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()


# Visits whose party moved once, three minutes after coming in, to another point (about 30%).
MOVED = "id % 10 < 3"


def add_presences(conn: sqlite3.Connection) -> None:
    """Where each visit's party was, when the schema keeps it (code before presences does
    not): one presence each, and a second one for the visits that moved."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'presence'").fetchone() is None:
        return
    moved_at = "datetime(checked_in_at, '+3 minutes')"
    conn.execute("INSERT INTO presence (visit_id, location_id, started_at, ended_at) "
                 f"SELECT id, location_id, checked_in_at, CASE WHEN {MOVED} THEN {moved_at} "
                 "ELSE checked_out_at END FROM visit")
    conn.execute("INSERT INTO presence (visit_id, location_id, started_at, ended_at) "
                 f"SELECT id, CASE WHEN location_id = 2 THEN 1 ELSE 2 END, {moved_at}, "
                 f"checked_out_at FROM visit WHERE {MOVED}")


def median_ms(call, runs: int) -> float:
    for _ in range(5):
        call()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=1_000_000)
    parser.add_argument("--today", type=int, default=20_000)
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="gatebook-bench-")
    try:
        run(folder, args.visits, args.today)
    finally:
        shutil.rmtree(folder)


def run(folder: str, total: int, today: int) -> None:
    path = os.path.join(folder, "bench.sqlite")
    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": f"sqlite:///{path}",
                      "BACKGROUND_JOBS": False}, instance_path=folder)
    with app.app_context():
        db.create_all()
        for name in ("Cổng chính", "Bộ phận một cửa", "Cổng sau"):
            db.session.add(Location(name=name))
        db.session.add(User(username="thu", role="receptionist",
                            password_hash=hash_password("bench-password")))
        db.session.commit()
    now = datetime.now(UTC)
    started = time.perf_counter()
    fill(path, total, today, now)
    size_mib = os.path.getsize(path) / 2**20
    print(f"filled {total:,} visits ({today:,} today) in "
          f"{time.perf_counter() - started:.0f} s; database {size_mib:.0f} MiB")

    client = app.test_client()
    login = client.get("/login").get_data(as_text=True)
    token = login.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    assert client.post("/login", data={"username": "thu", "password": "bench-password",
                                       "csrf_token": token}).status_code == 302
    page = client.get("/dashboard/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count('class="alert-item"') == 10, "the alert panel should be full"
    since = unquote(re.search(r"/dashboard/changes\?since=([^&\"]+)", html).group(1))
    time.sleep(5.5)  # past the poll's look-back window: nothing has changed since
    poll = client.get("/dashboard/changes", query_string={"since": since})
    assert poll.status_code == 204, poll.status_code

    poll_ms = median_ms(lambda: client.get("/dashboard/changes", query_string={"since": since}),
                        500)
    page_ms = median_ms(lambda: client.get("/dashboard/"), 100)
    print(f"(a) poll, nothing changed: median {poll_ms:.2f} ms (target <= 5 ms)")
    print(f"(b) dashboard first page (list + counters + alert panel + render): "
          f"median {page_ms:.2f} ms (target <= 20 ms)")

    with app.app_context():
        visit = db.session.scalar(db.select(Visit).order_by(Visit.id.desc()).limit(1))
        visit.changed_at = datetime.now(UTC)
        db.session.commit()
    changed = client.get("/dashboard/changes", query_string={"since": since})
    assert changed.status_code == 200, changed.status_code
    changed_ms = median_ms(lambda: client.get("/dashboard/changes",
                                              query_string={"since": since}), 100)
    print(f"(c) poll carrying a change (row, counters, alerts): median {changed_ms:.2f} ms")


if __name__ == "__main__":
    main()
