"""Backups: consistent copies taken while visitors check in, for their owner only, never kept
past the retention period; restoring one, never under a running server."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from app import create_app, jobs
from app.extensions import db
from app.store.backup import backups
from app.store.models import AuditEvent, Location, Visit
from tests import servers
from tests.conftest import TEST_DATABASE_URL, Phone, visits

sqlite_only = pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="SQLite backups")
postgres_only = pytest.mark.skipif(not TEST_DATABASE_URL, reason="PostgreSQL: pg_dump")
UNIQUE_NAME = "Zyxwvut Qponmlk"


@pytest.fixture
def migrated(make_app):
    """An app whose database was built by the migrations (as `make migrate` does)."""
    app = make_app()
    assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exception is None
    with app.app_context():
        db.session.add(Location(name="Cổng chính", token="gate-token-0001"))
        db.session.commit()
    return app


def _backup_files(app) -> list[Path]:
    with app.app_context():
        return [found.path for found in backups()]


def _visit_ids(path: Path) -> set[int]:
    with sqlite3.connect(path) as conn:
        return {row[0] for row in conn.execute("SELECT id FROM visit")}


def _grow(app, doublings: int) -> None:
    """Copy the visits onto themselves until there are 2**doublings times as many, so that a
    backup takes a while."""
    columns = ", ".join(c.name for c in Visit.__table__.columns
                        if c.name not in ("id", "secret_hash"))
    with app.app_context(), db.engine.begin() as conn:
        for _ in range(doublings):
            conn.execute(text(f"INSERT INTO visit ({columns}) SELECT {columns} FROM visit"))


def _wait_for(condition, failed, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline and not failed(), "gave up waiting"
        time.sleep(0.01)


@sqlite_only
def test_a_backup_during_check_ins_restores_every_check_in_acknowledged_before_it(migrated):
    app, runner = migrated, migrated.test_cli_runner()
    Phone(app.test_client()).check_in()
    _grow(app, 15)  # 32,768 visits
    acknowledged: list[tuple[float, int]] = []  # (when the phone got its answer, visit id)
    stop = threading.Event()

    def visitor(number: int) -> None:
        phone = Phone(app.test_client())
        for count in range(10**6):
            if stop.is_set():
                return
            response = phone.check_in(full_name=f"Khách {number} {count}",
                                      phone=f"09{number:02d}{count:06d}")
            assert response.status_code == 302
            visit_id = int(response.headers["Location"].removeprefix("/v/"))
            acknowledged.append((time.monotonic(), visit_id))

    with ThreadPoolExecutor(max_workers=4) as pool:
        phones = [pool.submit(visitor, number) for number in range(4)]
        failed = lambda: any(phone.done() for phone in phones)  # noqa: E731
        _wait_for(lambda: len(acknowledged) >= 20, failed)
        started = time.monotonic()
        result = runner.invoke(args=["backup"])
        finished = time.monotonic()
        _wait_for(lambda: acknowledged[-1][0] > finished + 0.2, failed)
        stop.set()
        for phone in phones:
            phone.result()
    assert result.exit_code == 0, result.output
    assert "integrity check ok" in result.output
    [taken] = _backup_files(app)
    with sqlite3.connect(taken) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]

    before = {visit_id for at, visit_id in acknowledged if at < started}
    during = {visit_id for at, visit_id in acknowledged if started <= at <= finished}
    after = {visit_id for at, visit_id in acknowledged if at > finished}
    assert during, "check-ins went on while the backup was taken"
    restored = runner.invoke(args=["restore", "--yes", str(taken)])
    assert restored.exit_code == 0, restored.output
    ids = _visit_ids(Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")))
    assert before <= ids
    assert not after & ids  # the database is the backup's snapshot again
    assert len(ids) >= 2**15 + len(before)


@sqlite_only
@pytest.mark.parametrize("umask", [0o000, 0o022])
def test_backups_are_their_owners_alone_whatever_the_umask(app, runner, clock, umask):
    previous = os.umask(umask)
    try:
        result = runner.invoke(args=["backup"])
    finally:
        os.umask(previous)
    assert result.exit_code == 0, result.output
    [taken] = _backup_files(app)
    assert taken.name == "gatebook-2021-07-14-083000+0700.sqlite"  # local time of the backup
    assert stat.S_IMODE(taken.stat().st_mode) == 0o600
    assert stat.S_IMODE(taken.parent.stat().st_mode) == 0o700
    assert list(taken.parent.iterdir()) == [taken]  # nothing half-written left beside it


@sqlite_only
def test_two_backups_in_one_second_are_both_kept(app, runner, clock):
    for _ in range(2):
        assert runner.invoke(args=["backup"]).exit_code == 0
    assert [path.name for path in _backup_files(app)] == [
        "gatebook-2021-07-14-083000+0700.sqlite", "gatebook-2021-07-14-083000+0700-2.sqlite"]


@sqlite_only
def test_no_backup_keeps_a_visit_past_the_retention_period(app, runner, clock):
    Phone(app.test_client()).check_in(full_name=UNIQUE_NAME, **{
        "companions-0-full_name": "Bé Zyxwvut", "companions-0-birth_year": "2016",
        "companions-0-answer": "none"})
    assert runner.invoke(args=["backup"]).exit_code == 0  # day 0: holds the visit
    clock.advance(days=1)
    Phone(app.test_client()).check_in(full_name="Trần Thị Bình", phone="0987654321")
    assert runner.invoke(args=["backup"]).exit_code == 0  # day 1: holds both
    first, second = _backup_files(app)
    assert len(_visit_ids(second)) == 2

    clock.advance(days=20, minutes=1)  # the first visit and the first backup are 21 days old
    assert runner.invoke(args=["purge"]).output.strip() == "Deleted 1 visits older than 21 days."
    assert not first.exists()
    assert _backup_files(app) == [second]
    with sqlite3.connect(second) as conn:
        assert conn.execute("SELECT full_name FROM visit").fetchall() == [("Trần Thị Bình",)]
        assert conn.execute("SELECT COUNT(*) FROM companion").fetchone() == (0,)
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    raw = second.read_bytes()
    assert UNIQUE_NAME.encode() not in raw and "Bé Zyxwvut".encode() not in raw  # overwritten
    with app.app_context():
        [entry] = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "purge"))
    assert entry.row_count == 1
    assert entry.details["backups_deleted"] == 1
    assert entry.details["visits_deleted_from_backups"] == 1

    clock.advance(days=1)  # now the second one goes too
    assert runner.invoke(args=["purge"]).exit_code == 0
    assert _backup_files(app) == []


@sqlite_only
def test_the_server_backs_up_once_a_day_at_backup_time(make_app, clock):
    app = make_app(BACKUP_TIME="09:00")
    with app.app_context():
        db.create_all()
    jobs.run_jobs(app)  # 08:30 in Hanoi: not yet
    assert _backup_files(app) == []
    clock.advance(minutes=30)
    jobs.run_jobs(app)
    clock.advance(hours=14)  # 23:00: the day's backup is taken
    jobs.run_jobs(app)
    assert [path.name for path in _backup_files(app)] == [
        "gatebook-2021-07-14-090000+0700.sqlite"]
    clock.advance(hours=10)  # 09:00 the next day
    jobs.run_jobs(app)
    assert len(_backup_files(app)) == 2
    with app.app_context():
        entries = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "backup"))
        assert [entry.details["via"] for entry in entries] == ["daily", "daily"]


@sqlite_only
def test_a_failed_daily_backup_is_tried_again_next_round(make_app, clock, tmp_path):
    app = make_app(BACKUP_TIME="08:00")
    with app.app_context():
        db.create_all()
    blocker = Path(app.instance_path) / "backups"
    blocker.parent.mkdir(exist_ok=True)
    blocker.write_text("a file where the folder should be")
    with pytest.raises(FileExistsError):
        jobs.run_jobs(app)
    blocker.unlink()
    jobs.run_jobs(app)
    assert len(_backup_files(app)) == 1


def test_no_daily_backup_when_backup_time_is_empty(make_app, clock):
    app = make_app(BACKUP_TIME="")
    with app.app_context():
        db.create_all()
    clock.advance(hours=15)
    jobs.run_jobs(app)
    assert not (Path(app.instance_path) / "backups").exists()


@sqlite_only
def test_restore_asks_first(migrated, tmp_path):
    app, runner = migrated, migrated.test_cli_runner()
    assert runner.invoke(args=["backup"]).exit_code == 0
    [taken] = _backup_files(app)
    Phone(app.test_client()).check_in()
    refused = runner.invoke(args=["restore", str(taken)], input="n\n")
    assert refused.exit_code == 1 and "Aborted" in refused.output
    assert len(visits(app)) == 1
    accepted = runner.invoke(args=["restore", str(taken)], input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert visits(app) == []
    # The state before the restore was kept, and the restore is in the log.
    assert len(_visit_ids(_backup_files(app)[-1])) == 1
    with app.app_context():
        [entry] = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "restore"))
    assert entry.details == {"file": taken.name, "via": "command line"}


@sqlite_only
def test_restore_refuses_what_is_not_a_gatebook_backup(migrated, tmp_path):
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all" * 100)
    result = migrated.test_cli_runner().invoke(args=["restore", "--yes", str(junk)])
    assert result.exit_code == 1 and "is not a sound SQLite database" in result.output
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    result = migrated.test_cli_runner().invoke(args=["restore", "--yes", str(other)])
    assert result.exit_code == 1 and "is not a Gatebook database" in result.output


@sqlite_only
def test_restore_refuses_while_a_server_holds_the_database(migrated, database_url, tmp_path):
    app, runner = migrated, migrated.test_cli_runner()
    assert runner.invoke(args=["backup"]).exit_code == 0
    [taken] = _backup_files(app)
    Phone(app.test_client()).check_in()
    env = servers.app_environment(Path(app.instance_path), database_url,
                                  BACKGROUND_JOBS="false")
    with servers.gunicorn(env, tmp_path / "gunicorn.log"):
        result = runner.invoke(args=["restore", "--yes", str(taken)])
        assert result.exit_code == 1
        assert "A server is using the database" in result.output
        assert len(visits(app)) == 1  # untouched
    result = runner.invoke(args=["restore", "--yes", str(taken)])
    assert result.exit_code == 0, result.output
    assert visits(app) == []


@postgres_only
def test_on_postgresql_backup_and_restore_point_to_pg_dump(app, runner, tmp_path):
    result = runner.invoke(args=["backup"])
    assert result.exit_code == 1 and "pg_dump" in result.output
    dump = tmp_path / "gatebook.dump"
    dump.write_bytes(b"PGDMP")
    result = runner.invoke(args=["restore", "--yes", str(dump)])
    assert result.exit_code == 1 and "pg_restore" in result.output
    with app.app_context():
        assert jobs.backup_period() is None  # the server takes no backup of its own


@pytest.fixture
def own_postgres_database() -> Iterator[str]:
    """A whole PostgreSQL database of the test's own, as the README's pg_dump line backs up."""
    name = f"gatebook_dump_{os.getpid()}"
    server = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    yield make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)
    with server.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    server.dispose()


@postgres_only
def test_the_readmes_pg_dump_and_pg_restore_bring_a_database_back(own_postgres_database,
                                                                   tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret",
                      "DATABASE_URL": own_postgres_database}, instance_path=str(tmp_path))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exception is None
    with app.app_context():
        db.session.add(Location(name="Cổng chính", token="gate-token-0001"))
        db.session.commit()
    Phone(app.test_client()).check_in()
    libpq = make_url(own_postgres_database).set(drivername="postgresql").render_as_string(
        hide_password=False)
    dump = tmp_path / "gatebook.dump"
    subprocess.run(["pg_dump", "-Fc", "-f", str(dump), libpq], check=True)
    Phone(app.test_client()).check_in(full_name="Trần Thị Bình", phone="0987654321")
    with app.app_context():
        db.engine.dispose()  # every app server stopped
    subprocess.run(["pg_restore", "--clean", "--if-exists", "-d", libpq, str(dump)], check=True)
    assert runner.invoke(args=["db", "upgrade"]).exception is None  # make migrate
    assert [visit.full_name for visit in visits(app)] == ["Nguyễn Văn An"]
    with app.app_context():
        db.engine.dispose()


@sqlite_only
def test_check_ins_go_on_while_the_purge_works_through_the_backups(app, runner, clock,
                                                                   monkeypatch):
    import app.store.retention as retention
    Phone(app.test_client()).check_in()
    clock.advance(days=1)
    assert runner.invoke(args=["backup"]).exit_code == 0
    clock.advance(days=20, minutes=1)  # the visit has expired; the backup is kept
    live = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    purge_file, writable = retention._purge_file, []

    def while_a_backup_is_purged(found, now):
        other = sqlite3.connect(live, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # as a check-in would, without waiting
            other.execute("ROLLBACK")
            writable.append(True)
        finally:
            other.close()
        return purge_file(found, now)

    monkeypatch.setattr(retention, "_purge_file", while_a_backup_is_purged)
    assert runner.invoke(args=["purge"]).output.strip() == "Deleted 1 visits older than 21 days."
    assert writable == [True]
    assert _visit_ids(_backup_files(app)[0]) == set()
