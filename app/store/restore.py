"""Restoring a SQLite backup: everything is checked on a staging copy before anything of the
live database is replaced.

The file must be a sound SQLite database whose schema revision this code knows (so not
newer than the code, nor another application's); the staging copy is then brought to this
code's schema and must hold exactly this application's tables and columns. Only then is it
written over the live database, while no server holds it (app.store.server_lock).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy.exc import StatementError

from ..extensions import db
from . import backup, database

INTERNAL_TABLES = {"sqlite_sequence", "sqlite_stat1", "sqlite_stat4"}


@contextlib.contextmanager
def staged(path: Path) -> Iterator[Path]:
    """A checked copy of the backup at this code's schema, removed afterwards (it holds
    visitors' data); BackupError, with the reason, if the file cannot be restored."""
    backup.check_integrity(path)
    _check_revisions(_revisions(path), path.name)
    staging = backup.backup_folder() / f".gatebook-restore-{os.getpid()}.partial"
    descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(descriptor)
    try:
        with contextlib.closing(backup.read_only(path)) as source, \
                contextlib.closing(sqlite3.connect(staging, isolation_level=None)) as copy:
            source.backup(copy)
        _upgrade(staging, path.name)
        _check_tables(staging, path.name)
        backup.check_integrity(staging)
        yield staging
    finally:
        for leftover in (staging, Path(f"{staging}-wal"), Path(f"{staging}-shm")):
            leftover.unlink(missing_ok=True)


def _revisions(path: Path) -> list[str]:
    with contextlib.closing(backup.read_only(path)) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        if not {"alembic_version", "visit", "location"} <= tables:
            raise backup.BackupError(f"{path.name} is not a Gatebook database")
        return [row[0] for row in conn.execute("SELECT version_num FROM alembic_version")]


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())


def _check_revisions(revisions: list[str], name: str) -> None:
    known = {script.revision for script in _script().walk_revisions()}
    unknown = [revision for revision in revisions if revision not in known]
    if not revisions or unknown:
        raise backup.BackupError(
            f"{name} has the schema revision {', '.join(unknown) or 'none'}, which this "
            "version of Gatebook does not know: it was written by a newer Gatebook (update "
            "this one first) or by another application. Nothing was changed.")


def _upgrade(staging: Path, name: str) -> None:
    engine = database.sqlite_engine(str(staging), current_app.config["SQLITE_BUSY_TIMEOUT_MS"])
    try:
        with engine.connect() as connection:
            config = current_app.extensions["migrate"].migrate.get_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except Exception as error:  # whatever stops the upgrade, the live database is untouched
        # A database error's text may quote a row of the file: only its kind is told.
        detail = "" if isinstance(error, StatementError) else f": {str(error)[:200]}"
        raise backup.BackupError(f"{name} could not be brought to this version's schema "
                                 f"({type(error).__name__}{detail}). Nothing was "
                                 "changed.") from None
    finally:
        engine.dispose()


def _check_tables(staging: Path, name: str) -> None:
    expected = {table.name: {column.name for column in table.columns}
                for table in db.metadata.tables.values()}
    expected["alembic_version"] = {"version_num"}
    with contextlib.closing(backup.read_only(staging)) as conn:
        found = {table: {row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')}
                 for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE "
                                              "type = 'table'")
                 if table not in INTERNAL_TABLES}
    if found != expected:
        odd = sorted(set(found) ^ set(expected)) + sorted(
            f"{table}.{column}" for table in set(found) & set(expected)
            for column in found[table] ^ expected[table])
        raise backup.BackupError(f"{name} does not hold Gatebook's tables and columns "
                                 f"(differing: {', '.join(odd[:8])}). Nothing was changed.")
