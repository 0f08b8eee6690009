"""Personal data is kept for the retention period, then deleted; the audit log, longer.

The same rules apply to the live database and to every backup of it (app.store.backup): a backup
never keeps what the purge deleted, and none is kept longer than RETENTION_DAYS.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Delete, create_engine, delete, event, inspect
from sqlalchemy.pool import NullPool

from ..extensions import db
from . import audit, backup, clock
from .models import AuditEvent, Employee, EnrolmentCode, JobRun, LoginFailure, LoginSession, Visit

# Job turns are kept a little while for whoever reads the log, then go.
JOB_RUNS_KEPT = timedelta(days=2)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BackupsPruned:
    """What the purge did to the backups."""

    files_deleted: int = 0
    visits_deleted: int = 0

    def __bool__(self) -> bool:
        return bool(self.files_deleted or self.visits_deleted)


def expired(now: datetime) -> list[Delete]:
    """The deletions the retention rules call for at `now`, the visits first (companions and
    corrections go with their visit: ON DELETE CASCADE)."""
    config = current_app.config
    cutoff = now - timedelta(days=config["RETENTION_DAYS"])
    return [
        delete(Visit).where(Visit.checked_in_at <= cutoff),
        # A deactivated employee's register entry (and phones) go after the same period;
        # enrolment codes when they expire.
        delete(Employee).where(Employee.active.is_(False), Employee.deactivated_at <= cutoff),
        delete(EnrolmentCode).where(EnrolmentCode.expires_at < now),
        delete(LoginSession).where(LoginSession.expires_at < now),
        delete(LoginFailure).where(LoginFailure.at < now - timedelta(days=1)),
        delete(AuditEvent).where(
            AuditEvent.at < now - timedelta(days=config["AUDIT_RETENTION_DAYS"])),
        delete(JobRun).where(JobRun.claimed_at < now - JOB_RUNS_KEPT),
    ]


def purge() -> int:
    """Apply the retention rules to the database and its backups, and record it in the audit
    log (one entry a day). Returns how many visits went from the database."""
    now = clock.utcnow()
    visits, *others = expired(now)
    deleted = db.session.execute(visits).rowcount
    for statement in others:
        db.session.execute(statement)
    if deleted:
        audit.record_purge(deleted)
    db.session.commit()
    # The backups after the commit: the database's write lock is not held meanwhile, so
    # check-ins go on however long the backups take.
    pruned = prune_backups(now)
    if pruned:
        audit.record_purge(0, backups_deleted=pruned.files_deleted,
                           backup_visits_deleted=pruned.visits_deleted)
        db.session.commit()
    return deleted


def prune_backups(now: datetime) -> BackupsPruned:
    """Delete the backups older than RETENTION_DAYS, and the expired rows inside the rest
    (overwritten: secure_delete)."""
    oldest_kept = now - timedelta(days=current_app.config["RETENTION_DAYS"])
    files = backup.remove_stale_partials()
    visits = 0
    for found in backup.backups():
        if found.taken_at > oldest_kept:
            try:
                visits += _purge_file(found, now)
                continue
            except Exception:  # noqa: BLE001 - whatever the reason, it must not be kept
                log.exception("could not purge %s: deleting it rather than keeping expired "
                              "visits in it", found.path.name)
        found.path.unlink(missing_ok=True)
        files += 1
    return BackupsPruned(files, visits)


def _purge_file(found: backup.Backup, now: datetime) -> int:
    engine = create_engine(f"sqlite:///{found.path}", poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record) -> None:
        for pragma in ("foreign_keys=ON", "secure_delete=ON", "busy_timeout=15000"):
            dbapi_connection.execute(f"PRAGMA {pragma}")

    try:
        with engine.begin() as conn:
            tables = set(inspect(conn).get_table_names())
            visits, *others = [statement for statement in expired(now)
                               if statement.table.name in tables]
            deleted = conn.execute(visits).rowcount
            for statement in others:
                conn.execute(statement)
        return deleted
    finally:
        engine.dispose()
