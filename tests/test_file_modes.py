"""Visitors' data on disk is readable by the server's user only, whatever the umask: a fresh
instance is created private, and an older, looser one is tightened at start."""

from __future__ import annotations

import logging
import os
import stat

import pytest
from sqlalchemy import text

from app import create_app
from app.extensions import db
from app.store.models import Location


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_a_fresh_instance_under_umask_022_is_private(tmp_path, umask_022):
    instance = tmp_path / "instance"
    app = create_app(instance_path=str(instance))  # the default: SQLite in the instance folder
    database = instance / "gatebook.sqlite"
    with app.app_context():
        db.create_all()
        with db.engine.connect() as connection:  # -wal and -shm exist while it is open
            connection.execute(db.insert(Location).values(name="Cổng chính", token="t"))
            connection.commit()
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            modes = {path.name: _mode(path) for path in instance.iterdir()}
        db.engine.dispose()
    # gatebook.lock: the lock a serving process holds against a restore (app.server_lock).
    assert modes == {"config.py": 0o600, "gatebook.sqlite": 0o600, "gatebook.lock": 0o600,
                     "gatebook.sqlite-wal": 0o600, "gatebook.sqlite-shm": 0o600}
    assert _mode(instance) == 0o700
    assert _mode(database) == 0o600
    control = tmp_path / "any-other-file"  # what umask 022 gives a file made without care
    control.write_text("x")
    assert _mode(control) == 0o644


def test_an_instance_with_a_secret_key_elsewhere_is_private_too(tmp_path, umask_022):
    instance = tmp_path / "instance"
    create_app({"SECRET_KEY": "from-the-environment"}, instance_path=str(instance))
    assert sorted(path.name for path in instance.iterdir()) == ["gatebook.lock",
                                                                 "gatebook.sqlite"]
    assert _mode(instance) == 0o700 and _mode(instance / "gatebook.sqlite") == 0o600
    assert _mode(instance / "gatebook.lock") == 0o600


def test_looser_files_are_tightened_at_start_and_the_log_says_so(tmp_path, umask_022, caplog):
    instance = tmp_path / "instance"
    (instance / "backups").mkdir(parents=True)
    loose = {instance / "gatebook.sqlite": 0o644, instance / "gatebook.sqlite-wal": 0o664,
             instance / "gatebook.sqlite-shm": 0o644, instance / "config.py": 0o640,
             instance / "backups" / "gatebook-2021-07-14.sqlite": 0o644}
    for path, mode in loose.items():
        path.write_bytes(b"" if "config" not in path.name else b"SECRET_KEY = 'x'\n")
        path.chmod(mode)
    instance.chmod(0o755)
    (instance / "backups").chmod(0o755)
    with caplog.at_level(logging.WARNING):
        create_app(instance_path=str(instance))
    for path in loose:
        assert _mode(path) == 0o600, path
    assert _mode(instance) == 0o700 and _mode(instance / "backups") == 0o700
    told = [record.getMessage() for record in caplog.records]
    assert sum("was open to other users" in message for message in told) == len(loose) + 2
    assert any("gatebook.sqlite-wal was open to other users (mode 664)" in message
               for message in told)


def test_a_private_instance_starts_without_a_word(tmp_path, umask_022, caplog):
    instance = tmp_path / "instance"
    create_app(instance_path=str(instance))
    with caplog.at_level(logging.WARNING):
        create_app(instance_path=str(instance))
    assert not [r for r in caplog.records if "open to other users" in r.getMessage()]


def test_a_database_outside_the_instance_is_private_and_its_folder_left_alone(
        tmp_path, umask_022):
    elsewhere = tmp_path / "data"
    elsewhere.mkdir()
    create_app({"SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{elsewhere}/gate.sqlite"},
               instance_path=str(tmp_path / "instance"))
    assert _mode(elsewhere / "gate.sqlite") == 0o600
    assert _mode(elsewhere) == 0o755  # the administrator's folder: theirs to decide
    # The instance holds only the lock a serving process keeps against a restore.
    instance = tmp_path / "instance"
    assert [path.name for path in instance.iterdir()] == ["gatebook.lock"]
    assert _mode(instance) == 0o700 and _mode(instance / "gatebook.lock") == 0o600
