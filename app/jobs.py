"""Periodic jobs the server runs itself (no cron), every minute: auto check-out, and deleting
visits past the retention period.

Each server process runs them; the jobs are idempotent, so several processes (gunicorn
workers, app servers) running them at once do no harm.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask

from .checkin import auto_check_out
from .retention import purge

INTERVAL_SECONDS = 60
log = logging.getLogger(__name__)


def run_jobs(app: Flask) -> None:
    """One round of every periodic job."""
    with app.app_context():
        closed = auto_check_out()
        if closed:
            log.info("auto check-out closed %d visits", closed)
        purged = purge()
        if purged:
            log.info("deleted %d visits past the retention period", purged)


def _loop(app: Flask, stop: threading.Event) -> None:
    while not stop.wait(INTERVAL_SECONDS):
        try:
            run_jobs(app)
        except Exception:  # a failed round must not end the loop; the next one retries
            log.exception("periodic jobs failed")


def init_app(app: Flask) -> None:
    """Start the jobs with the first request this process serves (not for CLI commands)."""
    if not app.config["BACKGROUND_JOBS"] or app.testing:
        return
    lock = threading.Lock()

    @app.before_request
    def start_jobs_once() -> None:
        if "gatebook_jobs" in app.extensions:
            return
        with lock:  # several request threads may arrive first at once
            if "gatebook_jobs" in app.extensions:
                return
            stop = threading.Event()
            thread = threading.Thread(target=_loop, args=(app, stop), name="gatebook-jobs",
                                      daemon=True)
            app.extensions["gatebook_jobs"] = (thread, stop)
            thread.start()


def stop_jobs(app: Flask) -> None:
    """Stop this process's job thread and wait for it (tests; orderly shutdown)."""
    thread, stop = app.extensions.pop("gatebook_jobs", (None, None))
    if thread is not None:
        stop.set()
        thread.join()
