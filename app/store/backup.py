"""Backups of the SQLite database into instance/backups/, and restoring one.

A backup is a consistent copy taken while the server runs (VACUUM INTO reads one snapshot, so
check-ins go on meanwhile), readable by its owner only, checked with PRAGMA integrity_check,
and named by the local time it was taken. The purge (app.store.retention) deletes backups older than
RETENTION_DAYS and the expired visits inside the others. On PostgreSQL, pg_dump does this job.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from flask import current_app

from ..extensions import db
from . import clock
from .file_modes import sqlite_path

# The local time taken, with its offset, e.g. gatebook-2021-07-14-023000+0700.sqlite; a
# second backup within the same second gets -2, and so on.
TIME_FORMAT = "gatebook-%Y-%m-%d-%H%M%S%z"
NAME = re.compile(r"(gatebook-\d{4}-\d\d-\d\d-\d{6}[+-]\d{4})(?:-(\d+))?\.sqlite")
FOLDER = "backups"


class BackupError(RuntimeError):
    """A backup could not be taken, checked or restored."""


class NotSQLite(BackupError):
    """The database is not SQLite: pg_dump and pg_restore are the tools there."""


@dataclass(frozen=True)
class Backup:
    """One backup file and when it was taken."""

    path: Path
    taken_at: datetime

    @property
    def size(self) -> int:
        """Bytes on disk."""
        return self.path.stat().st_size


def database_file() -> Path:
    """The SQLite database's file; NotSQLite on any other database."""
    found = sqlite_path(db.engine.url.render_as_string(hide_password=False))
    if found is None:
        raise NotSQLite(db.engine.url.get_backend_name())
    return Path(found).resolve()


def backup_folder() -> Path:
    """instance/backups/, created if need be, open to its owner only whatever the umask."""
    folder = Path(current_app.instance_path) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    return folder


def backups() -> list[Backup]:
    """The backups in the folder, oldest first (files named otherwise are left alone)."""
    folder = Path(current_app.instance_path) / FOLDER
    found = []
    for path in folder.glob("gatebook-*.sqlite") if folder.is_dir() else ():
        match = NAME.fullmatch(path.name)
        try:
            taken_at = datetime.strptime(match.group(1), TIME_FORMAT)
        except (AttributeError, ValueError):
            continue
        found.append((taken_at, int(match.group(2) or 1), Backup(path, taken_at)))
    return [backup for *_order, backup in sorted(found, key=lambda item: item[:2])]


def remove_stale_partials(seconds: float = 86400) -> int:
    """Delete half-written backups that a crash left behind (they hold visitors' data too)."""
    folder = Path(current_app.instance_path) / FOLDER
    removed = 0
    for path in folder.glob(".gatebook-*.partial") if folder.is_dir() else ():
        if time.time() - path.stat().st_mtime > seconds:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def read_only(path: Path) -> sqlite3.Connection:
    """A connection that reads the file and cannot change it."""
    return sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, isolation_level=None)


def check_integrity(path: Path) -> None:
    """Raise BackupError unless PRAGMA integrity_check finds the file sound."""
    try:
        with contextlib.closing(read_only(path)) as conn:
            problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path.name} is not a sound SQLite database: {error}") from None
    if problems != ["ok"]:
        raise BackupError(f"{path.name} failed the integrity check: {'; '.join(problems[:5])}")


def _sync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def take_backup() -> Backup:
    """Copy the live database into a new backup file, check it, and return it."""
    source = database_file()
    if not source.exists():
        raise BackupError(f"there is no database at {source} yet")
    folder = backup_folder()
    taken_at = clock.to_local(clock.utcnow()).replace(microsecond=0)
    stem = taken_at.strftime(TIME_FORMAT)
    partial = folder / f".{stem}.{os.getpid()}.partial"
    # VACUUM INTO writes into an empty file that exists: created here, for the owner only.
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    os.close(descriptor)
    try:
        timeout = current_app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000
        with contextlib.closing(sqlite3.connect(source, timeout=timeout,
                                                isolation_level=None)) as conn:
            conn.execute("VACUUM INTO ?", (str(partial),))
        _sync(partial)
        check_integrity(partial)
        final = _link_new(partial, stem)
    finally:
        partial.unlink(missing_ok=True)
    _sync(folder)
    return Backup(final, taken_at)


def _link_new(partial: Path, stem: str) -> Path:
    # A hard link is never made over an existing file (a rename would replace it).
    for number in range(1, 1000):
        final = partial.with_name(f"{stem}.sqlite" if number == 1 else f"{stem}-{number}.sqlite")
        try:
            os.link(partial, final)
            return final
        except FileExistsError:
            continue
    raise BackupError(f"too many backups named {stem}")


def restore_backup(checked: Path) -> None:
    """Write a checked copy (app.store.restore.staged) over the live database, through SQLite so
    that its write-ahead log stays consistent. The caller holds the server lock."""
    target = database_file()
    db.engine.dispose()
    with contextlib.closing(sqlite3.connect(checked, isolation_level=None)) as source, \
            contextlib.closing(sqlite3.connect(target, isolation_level=None)) as live:
        live.execute("PRAGMA journal_mode=WAL")
        source.backup(live)
    check_integrity(target)
