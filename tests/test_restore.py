"""Restoring a backup checks everything first: a file it cannot restore, or a server using
the database, leaves the live database exactly as it was."""

from __future__ import annotations

import hashlib
import sqlite3
import urllib.request
from pathlib import Path

import pytest

from app.store.backup import backups, database_file
from tests import servers
from tests.conftest import TEST_DATABASE_URL, Phone, visits
from tests.test_backup import migrated  # noqa: F401 - the fixture

pytestmark = pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="SQLite backups")
NOTHING_CHANGED = "Nothing was changed."


def _live(app) -> Path:
    with app.app_context():
        return database_file()


def _checksum(app) -> str:
    """The live database's bytes, with its write-ahead log."""
    digest = hashlib.sha256()
    live = _live(app)
    for part in (live, Path(f"{live}-wal")):
        digest.update(part.read_bytes() if part.exists() else b"")
    return digest.hexdigest()


def _a_backup(app) -> Path:
    assert app.test_cli_runner().invoke(args=["backup"]).exit_code == 0
    with app.app_context():
        return backups()[-1].path


def _refused(app, file: Path, message: str) -> None:
    before, kept = _checksum(app), len(visits(app))
    count = _backup_folder_entries(app)
    result = app.test_cli_runner().invoke(args=["restore", "--yes", str(file)])
    assert result.exit_code == 1, result.output
    assert message in result.output and NOTHING_CHANGED in result.output, result.output
    assert _checksum(app) == before and len(visits(app)) == kept
    # No staging copy is left behind, and no backup of the current state was needed.
    assert _backup_folder_entries(app) == count


def _backup_folder_entries(app) -> int:
    folder = Path(app.instance_path) / "backups"
    return len(list(folder.iterdir())) if folder.exists() else 0


def _revision(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        [(revision,)] = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    return revision


def test_a_backup_of_a_revision_this_code_does_not_know_is_refused(migrated):  # noqa: F811
    app = migrated
    taken = _a_backup(app)
    Phone(app.test_client()).check_in()
    with sqlite3.connect(taken) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'f00dfacef00d'")
    _refused(app, taken, "has the schema revision f00dfacef00d, which this version of "
                         "Gatebook does not know")


def test_another_applications_database_is_refused(migrated, tmp_path):  # noqa: F811
    app = migrated
    Phone(app.test_client()).check_in()
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.executescript("CREATE TABLE alembic_version (version_num VARCHAR(32));"
                           "INSERT INTO alembic_version VALUES ('3a1b2c4d5e6f');"
                           "CREATE TABLE visit (id INTEGER PRIMARY KEY, guest TEXT);"
                           "CREATE TABLE location (id INTEGER PRIMARY KEY, room TEXT);")
    _refused(app, other, "does not know")
    # The same tables stamped with this code's own revision: its columns give it away.
    with sqlite3.connect(other) as conn:
        conn.execute("UPDATE alembic_version SET version_num = ?", (_revision(_live(app)),))
    _refused(app, other, "does not hold Gatebook's tables and columns")


def test_an_older_backup_is_brought_to_the_schema_on_a_copy_first(make_app, tmp_path):
    older = make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'older.sqlite'}")
    runner = older.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade", "d825e9e85dc7"]).exit_code == 0
    with sqlite3.connect(tmp_path / "older.sqlite") as conn:
        conn.execute("INSERT INTO location (name, token, active, created_at) "
                     "VALUES ('Cổng cũ', 'old-token', 1, '2021-07-13 01:00:00')")
    app = make_app()
    assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    head = _revision(_live(app))
    assert head != "d825e9e85dc7"
    result = app.test_cli_runner().invoke(args=["restore", "--yes",
                                                str(tmp_path / "older.sqlite")])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(_live(app)) as live:
        names = [row[0] for row in live.execute("SELECT name FROM location")]
    assert names == ["Cổng cũ"] and _revision(_live(app)) == head
    assert Phone(app.test_client(), "old-token").check_in().status_code == 302


@pytest.mark.parametrize("server", ["gunicorn wsgi:app", "flask run"])
def test_restore_is_refused_while_any_server_serves_the_database(migrated, database_url,  # noqa: F811
                                                                 tmp_path, server):
    app = migrated
    taken = _a_backup(app)
    env = servers.app_environment(Path(app.instance_path), database_url,
                                  BACKGROUND_JOBS="false", TRUSTED_HOSTS="[]")
    command = {"gunicorn wsgi:app": (str(servers.BIN / "gunicorn"), "--bind",
                                     "127.0.0.1:{port}", "wsgi:app"),
               "flask run": (str(servers.BIN / "flask"), "--app", "wsgi", "run", "--port",
                             "{port}")}[server]
    with servers.serving(env, tmp_path / "server.log", *command) as (port, _process):
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/c/gate-token-0001", timeout=30)
        assert page.status == 200
        Phone(app.test_client()).check_in()
        before = _checksum(app)
        # Refused before anything is asked: no answer is given to a question.
        result = app.test_cli_runner().invoke(args=["restore", str(taken)])
        assert result.exit_code == 1
        assert "A server is using the database" in result.output
        assert "Replace the database" not in result.output
        assert _checksum(app) == before and len(visits(app)) == 1
    # The server stopped, its lock is let go: the same restore goes through.
    result = app.test_cli_runner().invoke(args=["restore", "--yes", str(taken)])
    assert result.exit_code == 0, result.output
    assert visits(app) == []
