"""Files holding visitors' data readable by the server's own user only, whatever the umask: the
instance folder 0700; instance/config.py, the SQLite database with its -wal, -shm and -journal
files, and backups 0600.

SQLite creates its -wal, -shm and -journal files with the database file's own mode, so making
the database file private before SQLite first opens it makes all of them private. Files left
looser by an earlier version, or by hand, are tightened at start, and the log says so.
"""

from __future__ import annotations

import logging
import os
import stat

from flask import Flask
from sqlalchemy.engine import make_url

PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600
SQLITE_FILES = ("", "-wal", "-shm", "-journal")


def sqlite_path(database_uri: str) -> str | None:
    """The file of a SQLite database URL (None for another database or one in memory)."""
    url = make_url(database_uri)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    if url.database.startswith("file:"):
        return None  # a URI filename: SQLite's own business
    return os.path.abspath(url.database)


def tighten(path: str, mode: int, log: logging.Logger) -> None:
    """Take away any permission beyond `mode` from an existing file or folder, and say so."""
    current = stat.S_IMODE(os.stat(path).st_mode)
    if current & ~mode:
        os.chmod(path, current & mode)
        log.warning("%s was open to other users (mode %03o); it is now %03o", path, current,
                    current & mode)


def _create_private(path: str) -> None:
    # An empty file is an empty SQLite database; an existing one is left as it is.
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE))


def secure_instance(app: Flask) -> None:
    """Make the instance folder, the SQLite database files and backups private (creating the
    folder and the database file so, when the database lives there and they are missing)."""
    log = app.logger
    instance = os.path.abspath(app.instance_path)
    database = sqlite_path(app.config["SQLALCHEMY_DATABASE_URI"])
    if database and os.path.dirname(database) == instance:
        os.makedirs(instance, mode=PRIVATE_FOLDER, exist_ok=True)
    if os.path.isdir(instance):
        tighten(instance, PRIVATE_FOLDER, log)
        if os.path.exists(os.path.join(instance, "config.py")):  # it holds the secret key
            tighten(os.path.join(instance, "config.py"), PRIVATE_FILE, log)
        _secure_backups(os.path.join(instance, "backups"), log)
    if database and os.path.isdir(os.path.dirname(database)):
        _create_private(database)
        for suffix in SQLITE_FILES:
            if os.path.exists(database + suffix):
                tighten(database + suffix, PRIVATE_FILE, log)


def _secure_backups(folder: str, log: logging.Logger) -> None:
    if not os.path.isdir(folder):
        return
    tighten(folder, PRIVATE_FOLDER, log)
    for root, folders, files in os.walk(folder):
        for name in folders:
            tighten(os.path.join(root, name), PRIVATE_FOLDER, log)
        for name in files:
            tighten(os.path.join(root, name), PRIVATE_FILE, log)
