"""Periodic jobs the server runs itself (no cron): auto check-out and the retention purge every
JOBS_INTERVAL_SECONDS, on SQLite a backup once a day at BACKUP_TIME, and the daily delivery to
the health centre (app.reports.delivery: each try at a day is a turn of its own).

Every worker of every server runs the loop, but each job runs once a period across all of
them: the first process to insert the (job, period) row into job_run takes the turn, the
others find it taken (the primary key decides, on SQLite and PostgreSQL alike).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

from flask import Flask, current_app
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .checkin.visits import auto_check_out
from .extensions import db
from .reports import delivery
from .store import audit, backup, clock
from .store.models import JobRun
from .store.retention import purge

log = logging.getLogger(__name__)


def claim(job: str, period: str) -> bool:
    """Take this job's turn for the period; False when another process has it already.

    One INSERT that does nothing when the row exists: the processes that wake at the same
    boundary do not each hit the primary key (which PostgreSQL would log as an error)."""
    if db.session.scalar(select(JobRun.job).where(JobRun.job == job, JobRun.period == period)):
        db.session.rollback()  # end the read: SQLite's next write transaction starts afresh
        return _taken(job, period)
    db.session.rollback()
    insert = (postgresql_insert if db.engine.dialect.name == "postgresql" else sqlite_insert)
    taken = db.session.execute(insert(JobRun).values(
        job=job, period=period, claimed_at=clock.utcnow(),
        claimed_by=f"{socket.gethostname()}:{os.getpid()}"[:100]).on_conflict_do_nothing(
        index_elements=[JobRun.job, JobRun.period]).returning(JobRun.job)).first()
    db.session.commit()
    return True if taken is not None else _taken(job, period)


def _taken(job: str, period: str) -> bool:
    log.debug("job %s for period %s: taken by another process", job, period)
    return False


def release(job: str, period: str) -> None:
    """Give a failed turn back, so that the next round tries again."""
    db.session.rollback()
    db.session.execute(delete(JobRun).where(JobRun.job == job, JobRun.period == period))
    db.session.commit()


def interval_period() -> str:
    """The current JOBS_INTERVAL_SECONDS period, numbered from the epoch."""
    interval = current_app.config["JOBS_INTERVAL_SECONDS"]
    return str(int(clock.utcnow().timestamp() // interval))


def backup_period() -> str | None:
    """Today's date once BACKUP_TIME has passed, if a daily backup is due on this database."""
    when = current_app.config["BACKUP_TIME"]
    if not when or db.engine.dialect.name != "sqlite":
        return None  # PostgreSQL: pg_dump, see the README
    now = clock.to_local(clock.utcnow())
    return now.date().isoformat() if now.strftime("%H:%M") >= when else None


def run_jobs(app: Flask) -> None:
    """One round: each job whose turn for the current period is still free runs here."""
    with app.app_context():
        period = interval_period()
        if claim("auto_checkout", period):
            closed = auto_check_out()
            log.log(logging.INFO if closed else logging.DEBUG,
                    "job auto_checkout ran for period %s: %d visits closed", period, closed)
        if claim("purge", period):
            purged = purge()
            log.log(logging.INFO if purged else logging.DEBUG,
                    "job purge ran for period %s: %d visits deleted", period, purged)
        day = backup_period()
        if day and claim("backup", day):
            try:
                taken = backup.take_backup()
            except Exception:
                release("backup", day)
                raise
            audit.record("backup", {"file": taken.path.name, "via": "daily"}, user=None)
            db.session.commit()
            log.info("job backup ran for %s: %s", day, taken.path.name)
        turn = delivery.due_turn()
        if turn is not None and claim("delivery", turn.period):
            try:
                outcome = delivery.deliver(turn, via="daily")
            except Exception:
                release("delivery", turn.period)
                raise
            log.info("job delivery ran for %s: %s", turn.period,
                     "sent" if outcome.ok else "failed")


def _until_next_period(interval: float) -> float:
    # Every process wakes just after the same boundary, so each period gets its turn.
    return interval - time.time() % interval + min(0.05 * interval, 1.0)


def _loop(app: Flask, stop: threading.Event) -> None:
    interval = app.config["JOBS_INTERVAL_SECONDS"]
    log.info("periodic jobs started in process %d, every %s s", os.getpid(), interval)
    while not stop.wait(_until_next_period(interval)):
        try:
            run_jobs(app)
        except Exception:  # a failed round must not end the loop; the next one retries
            log.exception("periodic jobs failed")


def start(app: Flask) -> None:
    """Start this process's job thread, once (gunicorn's post_worker_init calls it, so that an
    idle server still runs its jobs; the first request does otherwise)."""
    if not app.config["BACKGROUND_JOBS"] or "gatebook_jobs" in app.extensions:
        return
    with _starting:  # several request threads may arrive first at once
        if "gatebook_jobs" in app.extensions:
            return
        stop = threading.Event()
        thread = threading.Thread(target=_loop, args=(app, stop), name="gatebook-jobs",
                                  daemon=True)
        app.extensions["gatebook_jobs"] = (thread, stop)
        thread.start()


_starting = threading.Lock()


def init_app(app: Flask) -> None:
    """Start the jobs with the first request this process serves (not for CLI commands)."""
    if not app.config["BACKGROUND_JOBS"] or app.testing:
        return

    @app.before_request
    def start_jobs_once() -> None:
        if "gatebook_jobs" not in app.extensions:
            start(app)


def stop_jobs(app: Flask) -> None:
    """Stop this process's job thread and wait for it (tests; orderly shutdown)."""
    thread, stop = app.extensions.pop("gatebook_jobs", (None, None))
    if thread is not None:
        stop.set()
        thread.join()
