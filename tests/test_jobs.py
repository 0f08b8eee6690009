"""The server's periodic jobs: each runs once a period, however many processes run the loop."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from app import jobs
from app.extensions import db
from app.store.models import JobRun


def _runs(caplog, job: str) -> list[str]:
    """The periods for which `job` ran, from the log."""
    prefix = f"job {job} ran for period "
    return [record.getMessage().removeprefix(prefix).split(":")[0]
            for record in caplog.records if record.getMessage().startswith(prefix)]


def test_a_turn_is_taken_once(app, clock):
    with app.app_context():
        assert jobs.claim("purge", "1") is True
        assert jobs.claim("purge", "1") is False
        assert jobs.claim("auto_checkout", "1") is True
        assert jobs.claim("purge", "2") is True
        [taken] = db.session.scalars(db.select(JobRun).where(JobRun.period == "1",
                                                             JobRun.job == "purge"))
    assert taken.claimed_at == clock.now


def test_many_threads_racing_for_one_period_run_each_job_once(app, clock, caplog):
    caplog.set_level(logging.DEBUG, logger="app.jobs")
    barrier = threading.Barrier(6)

    def process(_) -> None:
        barrier.wait()
        jobs.run_jobs(app)

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(process, range(6)))
    period = str(int(clock.now.timestamp() // 60))
    assert _runs(caplog, "purge") == [period]
    assert _runs(caplog, "auto_checkout") == [period]

    clock.advance(seconds=60)  # the next period
    jobs.run_jobs(app)
    jobs.run_jobs(app)
    assert _runs(caplog, "purge") == [period, str(int(period) + 1)]


def test_the_interval_is_a_setting(make_app, clock, caplog):
    caplog.set_level(logging.DEBUG, logger="app.jobs")
    app = make_app(JOBS_INTERVAL_SECONDS=5)
    with app.app_context():
        db.create_all()
    for _ in range(4):
        jobs.run_jobs(app)
        clock.advance(seconds=2.5)
    assert len(_runs(caplog, "purge")) == 2


def test_old_turns_are_purged(app, runner, clock):
    with app.app_context():
        jobs.claim("purge", "old")
    clock.advance(days=3)
    with app.app_context():
        jobs.claim("purge", "new")  # this period's turn: kept, or the period could run again
    assert runner.invoke(args=["purge"]).exit_code == 0
    with app.app_context():
        assert [(run.job, run.period) for run in db.session.scalars(db.select(JobRun))] == [
            ("purge", "new")]
