"""Database engine set-up: SQLite pragmas, and when a transaction takes SQLite's write lock.

On SQLite one transaction writes at a time. A request that may write locks up front (BEGIN
IMMEDIATE), so that a reader turning writer never fails; the check-in reads first in a plain
transaction and takes the lock only for its write (write_transaction), one writer at a time
across this machine's processes, so that writers queue on a lock that wakes them at once
rather than in SQLite's busy handler, which sleeps with a growing back-off.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar

from flask import Flask, current_app, has_request_context, request
from sqlalchemy import URL, create_engine, event
from sqlalchemy.engine import Connection, Engine

from ..extensions import db

# Requests with these methods only read; every other transaction may write.
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Set while a write_transaction() runs in this context.
_writing: ContextVar[bool] = ContextVar("gatebook_writing", default=False)
# Set while a read_transaction() runs in this context.
_reading: ContextVar[bool] = ContextVar("gatebook_reading", default=False)


def init_app(app: Flask) -> None:
    """Attach the SQLite connection settings to the app's engine (nothing to do elsewhere)."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
        app.extensions["gatebook_writer_lock"] = WriterLock(engine.url.database or "")


def sqlite_engine(path: str, busy_timeout_ms: int) -> Engine:
    """An engine on another SQLite file, its connections set up as the app's (a restore's
    staging copy)."""
    engine = create_engine(URL.create("sqlite", database=path))
    _configure_sqlite(engine, busy_timeout_ms)
    return engine


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record) -> None:
        # SQLAlchemy emits BEGIN itself (below), so pysqlite must not.
        dbapi_connection.isolation_level = None
        # secure_delete: deleted visitors' data is overwritten, not left in free pages.
        for pragma in ("foreign_keys=ON", "synchronous=FULL", "secure_delete=ON",
                       f"busy_timeout={int(busy_timeout_ms)}"):
            dbapi_connection.execute(f"PRAGMA {pragma}")
        # Readers and the writer work side by side only in WAL mode (the audit log is written
        # while a page reads): refuse to run without it rather than fail under load.
        mode = dbapi_connection.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise RuntimeError(f"SQLite could not use WAL mode (it stays in {mode!r} mode): keep "
                               "the database on a local disk, not a network share")

    @event.listens_for(engine, "begin")
    def on_begin(connection: Connection) -> None:
        # A deferred transaction that reads first and writes later cannot wait for the lock
        # (SQLite answers "database is locked" at once); IMMEDIATE takes it at BEGIN, where
        # busy_timeout makes concurrent writers queue instead of failing.
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _may_write() else "BEGIN")


class WriterLock:
    """One SQLite writer at a time on this machine: a lock between this process's threads,
    then an exclusive lock on a file beside the database, between processes."""

    def __init__(self, database_path: str) -> None:
        self._threads = threading.Lock()
        self._path = database_path + ".writer-lock" if database_path else ""

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold the lock for the length of the block."""
        with self._threads:
            if not self._path:  # an in-memory database: this process is the only one
                yield
                return
            descriptor = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX)  # released when closed
                yield
            finally:
                os.close(descriptor)


@contextmanager
def write_transaction() -> Iterator[None]:
    """Run the block as one short write transaction and commit it: the request's reads end
    first, and on SQLite the write lock is taken at the block's first statement (after this
    machine's other writers are done) and let go at its commit. Nested blocks join the outer
    one."""
    if _writing.get():
        yield
        return
    session = db.session
    if session().in_transaction():  # (committing none would begin one only to end it)
        session.commit()  # the reads so far end here: nothing of theirs is held while writing
    lock = current_app.extensions.get("gatebook_writer_lock")
    token = _writing.set(True)
    try:
        with lock.held() if lock else nullcontext():
            try:
                yield
                session.commit()
            except BaseException:
                session.rollback()
                raise
    finally:
        _writing.reset(token)


@contextmanager
def read_transaction() -> Iterator[None]:
    """Run the block as one transaction that only reads, ended when the block ends: on SQLite
    it does not take the write lock, also in a job or a form post (where transactions
    otherwise do), so a long read (a day's file) never holds up check-ins."""
    session = db.session
    session.commit()  # what came before ends here, with its lock
    token = _reading.set(True)
    try:
        yield
    finally:
        session.rollback()
        _reading.reset(token)


def reads_only(view: Callable) -> Callable:
    """Mark a view that only reads, although it is posted to (a search sent by POST to keep a
    phone number out of URLs and logs): its transactions do not take the write lock up front,
    so a long search never holds up check-ins. What it writes goes through a session of its
    own (app.store.audit.record_now)."""
    view.reads_only = True  # type: ignore[attr-defined]
    return view


def writes_late(view: Callable) -> Callable:
    """Mark a view that reads (and renders) without the write lock, and writes only inside
    write_transaction(), which takes the lock for the write alone (the check-in). To the
    transactions it begins, the same as reads_only."""
    return reads_only(view)


def _may_write() -> bool:
    """Read-only requests read; everything else (form posts, CLI, jobs) may write."""
    if _writing.get():
        return True
    if _reading.get():
        return False
    if not has_request_context():
        return True
    if request.method in READ_ONLY_METHODS:
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return not getattr(view, "reads_only", False)
