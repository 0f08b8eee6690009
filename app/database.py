"""Database engine set-up: SQLite pragmas and write transactions that lock up front."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from .extensions import db

# Requests with these methods only read; every other transaction may write.
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def init_app(app: Flask) -> None:
    """Attach the SQLite connection settings to the app's engine (nothing to do elsewhere)."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])


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
        # busy_timeout makes concurrent check-ins queue instead of failing.
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _may_write() else "BEGIN")


def reads_only(view: Callable) -> Callable:
    """Mark a view that only reads, although it is posted to (a search sent by POST to keep a
    phone number out of URLs and logs): its transactions do not take the write lock up front,
    so a long search never holds up check-ins. What it writes goes through a session of its
    own (app.audit.record_now)."""
    view.reads_only = True  # type: ignore[attr-defined]
    return view


def _may_write() -> bool:
    """Read-only requests read; everything else (form posts, CLI, jobs) may write."""
    if not has_request_context():
        return True
    if request.method in READ_ONLY_METHODS:
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return not getattr(view, "reads_only", False)
