"""Visitors' data is deleted when the retention period is over, and leaves no trace."""

from __future__ import annotations

import glob
import sqlite3

import pytest

from app.extensions import db
from app.store.models import Companion, Visit
from tests.conftest import TEST_DATABASE_URL, Phone, visits

UNIQUE_NAME = "Zyxwvut Qponmlk"


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(model))


def test_present_at_day_20_gone_at_day_21(app, runner, clock):
    Phone(app.test_client()).check_in(**{"companions-0-full_name": "Bé Na",
                                         "companions-0-birth_year": "2016",
                                         "companions-0-answer": "none"})
    clock.advance(days=20, hours=23, minutes=59)
    assert runner.invoke(args=["purge"]).output.strip() == "Deleted 0 visits older than 21 days."
    assert len(visits(app)) == 1
    clock.advance(minutes=1)
    assert runner.invoke(args=["purge"]).output.strip() == "Deleted 1 visits older than 21 days."
    assert visits(app) == [] and _count(app, Companion) == 0


def test_the_retention_period_is_configurable(make_app, clock):
    from app.store.models import Location
    from app.store.retention import purge
    app = make_app(RETENTION_DAYS=14)
    with app.app_context():
        db.create_all()
        db.session.add(Location(name="Cổng chính", token="gate-token-0001"))
        db.session.commit()
    Phone(app.test_client()).check_in()
    clock.advance(days=14)
    with app.app_context():
        assert purge() == 1
    assert _count(app, Visit) == 0


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="the SQLite files on disk")
def test_a_purged_name_is_not_left_in_the_database_files(app, clock):
    Phone(app.test_client()).check_in(full_name=UNIQUE_NAME, street="Ngõ Zyxwvut 9")
    clock.advance(days=22)
    from app.store.retention import purge
    with app.app_context():
        assert purge() == 1
        db.engine.dispose()
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    checkpoint = sqlite3.connect(path, isolation_level=None)
    assert checkpoint.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0
    checkpoint.close()
    files = glob.glob(path + "*")
    assert path in files
    for file in files:
        with open(file, "rb") as fh:
            raw = fh.read()
        for trace in (UNIQUE_NAME, UNIQUE_NAME.lower(), "Zyxwvut 9"):
            assert trace.encode() not in raw, (file, trace)


def test_the_server_purges_by_itself(make_app, clock):
    import time

    import app.jobs as jobs
    from app.store.models import Location
    app = make_app(TESTING=False, JOBS_INTERVAL_SECONDS=0.05)
    with app.app_context():
        db.create_all()
        db.session.add(Location(name="Cổng chính", token="gate-token-0001"))
        db.session.commit()
    Phone(app.test_client()).check_in()
    clock.advance(days=21, minutes=1)
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and _count(app, Visit):
            time.sleep(0.05)
        assert _count(app, Visit) == 0
    finally:
        jobs.stop_jobs(app)
