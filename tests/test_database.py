"""The schema (migrations match the models), SQLite's settings, and concurrent check-ins."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event, inspect, text

from app.extensions import db
from tests.conftest import TEST_DATABASE_URL, VALID_VISITOR, Phone, csrf_from, visits

sqlite_only = pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="SQLite connection settings")


def _schema_diff(app) -> list:
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_upgrade_from_an_empty_database_matches_the_models(make_app):
    app = make_app()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exception is None, result.output
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
    assert {"location", "visit", "companion", "user", "alembic_version"} <= tables
    assert _schema_diff(app) == []
    # Down to nothing and up again: every migration can be replayed.
    assert runner.invoke(args=["db", "downgrade", "base"]).exception is None
    with app.app_context():
        assert "visit" not in inspect(db.engine).get_table_names()
    assert runner.invoke(args=["db", "upgrade"]).exception is None
    assert _schema_diff(app) == []


FIRST_RELEASE = "ff7b9d41e8b6"  # the first migration: the schema of the first release


def test_upgrading_a_first_release_database_keeps_its_data(make_app):
    app = make_app()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade", FIRST_RELEASE]).exception is None
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text("INSERT INTO location (id, name, token, active, created_at) "
                          "VALUES (1, 'Cổng chính', 'tok', :yes, '2021-07-14 01:00:00')"),
                     {"yes": True})
        conn.execute(text(
            'INSERT INTO "user" (id, username, password_hash, role, active, created_at) '
            "VALUES (1, 'lan', 'scrypt:hash', 'admin', :yes, '2021-07-01 02:00:00')"),
            {"yes": True})
        conn.execute(text(
            "INSERT INTO visit (id, location_id, checked_in_at, checked_out_at, checkout_by, "
            "full_name, phone, birth_year, gender, nationality, province, ward, street, "
            "purpose, declaration, flagged, source, secret_hash) "
            "VALUES (1, 1, '2021-07-14 01:30:00', '2021-07-14 02:00:00', 'visitor', "
            "'Nguyễn Văn Đức', '0912345678', 1980, 'male', 'Việt Nam', 'Hà Nội', '', '', '', "
            "'{}', :no, 'self', 'abc')"), {"no": False})
        conn.execute(text("INSERT INTO companion (visit_id, position, full_name, birth_year) "
                          "VALUES (1, 0, 'Bé Ánh', 2015)"))
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exception is None, result.output
    with app.app_context(), db.engine.connect() as conn:
        assert conn.execute(text("SELECT full_name FROM companion")).scalar_one() == "Bé Ánh"
        row = conn.execute(text("SELECT search_text, changed_at, party_size, checkout_by, "
                                "secret_hash FROM visit")).one()
        assert conn.execute(text('SELECT username, role FROM "user"')).one() == ("lan", "admin")
        assert conn.execute(text("SELECT COUNT(*) FROM job_run")).scalar_one() == 0
    assert row.search_text == "0912345678 |  | nguyen van duc | be anh"
    # Last changed when it was checked out.
    assert str(row.changed_at).startswith("2021-07-14 02:00:00") and row.party_size == 2
    assert (row.checkout_by, row.secret_hash) == ("visitor", "abc")
    assert _schema_diff(app) == []
    with app.app_context():
        from app.store.models import Visit
        visit = db.session.get(Visit, 1)
        assert visit.companions[0].full_name == "Bé Ánh" and visit.location.name == "Cổng chính"


def test_servers_starting_together_migrate_in_turn(database_url, tmp_path):
    """Four `make migrate` at once on an empty database: one upgrades, the others wait and
    find nothing to do (PostgreSQL: advisory lock; SQLite: the write lock)."""
    from tests import servers
    env = servers.app_environment(tmp_path / "instance", database_url)
    upgrades = [subprocess.Popen([str(servers.BIN / "flask"), "--app", "wsgi", "db", "upgrade"],
                                 cwd=servers.ROOT, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True) for _ in range(4)]
    outputs = [upgrade.communicate(timeout=300)[0] for upgrade in upgrades]
    assert [upgrade.returncode for upgrade in upgrades] == [0] * 4, outputs
    ran = [output.count("Running upgrade") for output in outputs]
    assert sorted(ran)[:3] == [0, 0, 0] and max(ran) >= 6, ran


@sqlite_only
def test_an_upgrade_keeps_the_write_lock_between_its_steps(make_app):
    """On SQLite alembic commits after each step: another `flask db upgrade` waiting for the
    database would get in between and run the next step twice. The writer lock stays held."""
    app = make_app()
    with app.app_context():
        engine = db.engine
    lock_file = f"{engine.url.database}.writer-lock"
    held = []

    def someone_else_could_write(_connection) -> None:
        descriptor = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            held.append(False)
        except BlockingIOError:
            held.append(True)
        finally:
            os.close(descriptor)

    event.listen(engine, "commit", someone_else_could_write)
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert len(held) > 5 and all(held), held


def test_check_in_works_on_a_migrated_database(make_app):
    app = make_app()
    app.test_cli_runner().invoke(args=["db", "upgrade"])
    app.test_cli_runner().invoke(args=["add-location", "Cổng chính"])
    with app.app_context():
        token = db.session.execute(text("SELECT token FROM location")).scalar_one()
    assert Phone(app.test_client(), token).check_in().status_code == 302
    assert len(visits(app)) == 1


@sqlite_only
def test_sqlite_connections_use_wal_foreign_keys_full_sync_and_a_busy_timeout(app):
    with app.app_context(), db.engine.connect() as conn:
        pragma = lambda name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("foreign_keys") == 1
        assert pragma("synchronous") == 2  # FULL
        assert pragma("secure_delete") == 1
        assert pragma("busy_timeout") == app.config["SQLITE_BUSY_TIMEOUT_MS"]


def _statements(app, work) -> list[str]:
    """Every SQL statement `work` sends, in order (SQLite)."""
    from sqlalchemy import event
    sent = []
    with app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, *args):
        sent.append(" ".join(statement.split()))

    def commit(conn):
        sent.append("COMMIT")

    def rollback(conn):
        sent.append("ROLLBACK")

    listeners = [("before_cursor_execute", record), ("commit", commit), ("rollback", rollback)]
    for name, listener in listeners:
        event.listen(engine, name, listener)
    try:
        work()
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)
    return sent


def _write_transactions(sent: list[str]) -> list[list[str]]:
    """The statements of each transaction that held the write lock (BEGIN IMMEDIATE...)."""
    found, current = [], None
    for statement in sent:
        if statement == "BEGIN IMMEDIATE":
            current = []
        elif statement in ("COMMIT", "ROLLBACK") and current is not None:
            found.append(current)
            current = None
        elif current is not None:
            current.append(statement)
    return found


@sqlite_only
def test_a_check_in_holds_the_write_lock_for_its_own_reads_and_writes_only(app):
    phone = Phone(app.test_client())
    hidden = {}
    opened = _statements(app, lambda: hidden.update(phone.hidden_fields()))
    assert "BEGIN IMMEDIATE" not in opened  # opening the form only reads
    sent = _statements(app, lambda: phone.submit(
        {**VALID_VISITOR, "companions-0-full_name": "Bé Na", "companions-0-birth_year": "2016",
         "companions-0-answer": "none"}, hidden))
    [write] = _write_transactions(sent)
    # The entry point was read when the form was opened: the post reads nothing before its
    # write...
    assert sent[0] == "BEGIN IMMEDIATE" and "BEGIN" not in sent
    # ...and the write lock covers nothing but the check-in: the entry point confirmed open
    # (with the form's secret looked up in the same statement), the duplicate checks and the
    # inserts (the visit, its companions, its first presence).
    assert write, "the check-in wrote inside the write transaction"
    confirmed_open = "SELECT EXISTS (SELECT location.id FROM location WHERE"
    for statement in write:
        assert statement.startswith((confirmed_open, "SELECT visit.", "INSERT INTO visit ",
                                     "INSERT INTO companion ", "INSERT INTO presence ")), statement
    assert write[0].startswith(confirmed_open)
    assert any(s.startswith("INSERT INTO visit ") for s in write)
    assert any(s.startswith("INSERT INTO companion ") for s in write)
    assert any(s.startswith("INSERT INTO presence ") for s in write)


@sqlite_only
def test_a_scan_of_a_poster_read_a_moment_ago_sends_no_sql(app):
    first, second = Phone(app.test_client()), Phone(app.test_client())
    assert any("FROM location" in s for s in _statements(app, first.hidden_fields))
    assert _statements(app, second.hidden_fields) == []


@sqlite_only
def test_a_form_sent_with_a_mistake_is_shown_again_without_the_write_lock(app):
    phone = Phone(app.test_client())
    hidden = phone.hidden_fields()
    answers = []
    sent = _statements(app, lambda: answers.append(
        phone.submit({**VALID_VISITOR, "phone": "123"}, hidden)))
    assert answers[0].status_code == 200 and 'name="phone"' in answers[0].get_data(as_text=True)
    assert "BEGIN IMMEDIATE" not in sent
    assert all(s.startswith(("BEGIN", "SELECT", "COMMIT", "ROLLBACK")) for s in sent), sent
    assert visits(app) == []


@sqlite_only
def test_staff_changes_still_lock_up_front(app, admin):
    Phone(app.test_client()).check_in()
    page = f"/dashboard/visits/{visits(app)[0].id}"
    token = csrf_from(admin.client.get(page).get_data(as_text=True))
    sent = _statements(app, lambda: admin.client.post(f"{page}/correct", data={
        "csrf_token": token, "full_name": "Nguyễn Văn Ân", "phone": "0912345678"}))
    # The post's first transaction takes the write lock at its BEGIN, and the correction is
    # written inside it.
    assert sent[0] == "BEGIN IMMEDIATE"
    first = _write_transactions(sent)[0]
    assert any(statement.startswith("UPDATE visit ") for statement in first)
    assert visits(app)[0].full_name == "Nguyễn Văn Ân"


@sqlite_only
def test_a_check_in_waits_for_another_writer_instead_of_failing(app):
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    phone = Phone(app.test_client())
    hidden = phone.hidden_fields()
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # someone else holds the write lock...
    try:
        assert phone.open_form(new=1).status_code == 200  # ...reading still works
        threading.Timer(0.5, other.execute, ["COMMIT"]).start()  # ...and lets go soon
        assert phone.submit(VALID_VISITOR, hidden).status_code == 302
    finally:
        other.close()
    assert len(visits(app)) == 1


def test_concurrent_check_ins_all_succeed(app):
    def visitor(n: int) -> list[int]:
        phone = Phone(app.test_client())
        return [phone.check_in(full_name=f"Khách {n}-{i}", phone=f"09{n:02d}{i:06d}").status_code
                for i in range(5)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = [s for result in pool.map(visitor, range(8)) for s in result]
    assert statuses == [302] * 40
    assert len(visits(app)) == 40


def test_the_same_form_sent_twice_at_once_creates_one_visit(app):
    phone = Phone(app.test_client())
    hidden = phone.hidden_fields()
    barrier = threading.Barrier(4)

    def send(_):
        client = app.test_client()
        client.set_cookie("session", phone.client.get_cookie("session").value)
        barrier.wait()
        return Phone(client).submit(VALID_VISITOR, hidden)

    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(pool.map(send, range(4)))
    assert {r.status_code for r in responses} == {302}
    assert len({r.headers["Location"] for r in responses}) == 1
    assert len(visits(app)) == 1


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="SQLite connection settings")
def test_sqlite_without_wal_is_refused_with_a_reason(make_app):
    app = make_app(DATABASE_URL="sqlite://")  # in memory: no WAL possible
    with app.app_context(), pytest.raises(RuntimeError, match="SQLite could not use WAL mode"):
        db.session.execute(db.text("SELECT 1"))
