"""The instance folder's lock file: a running server holds it shared, a restore exclusively.

Every process that serves the application holds it, whatever started it (init_app: from
its creation outside a command, or from its first request, as under `flask run`); gunicorn's
master holds it too in the deploy kit. Standard library only: gunicorn's master loads this
file by path (deploy/gunicorn.conf.py), and must not import the application, or a reload
(HUP) would keep serving the old code.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
import weakref
from collections.abc import Callable, Iterator
from typing import IO, Any

# Where the instance folder is when GATEBOOK_INSTANCE_PATH does not say (Flask's own default).
DEFAULT_INSTANCE_PATH = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "instance")
LOCK_FILE = "gatebook.lock"


class Holding:
    """The lock file held shared; closed, and the lock let go, once no one keeps this."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        weakref.finalize(self, handle.close)


# What this process holds, per instance folder, for as long as a holder keeps it.
_held: weakref.WeakValueDictionary[str, Holding] = weakref.WeakValueDictionary()


class DatabaseInUse(RuntimeError):
    """A server holds the instance: the database cannot be replaced under it."""


def instance_path() -> str:
    """The instance folder: $GATEBOOK_INSTANCE_PATH, or instance/ beside the app."""
    return os.path.abspath(os.environ.get("GATEBOOK_INSTANCE_PATH") or DEFAULT_INSTANCE_PATH)


def _open(folder: str) -> IO[bytes]:
    os.makedirs(folder, mode=0o700, exist_ok=True)  # private, as app.store.file_modes keeps it
    descriptor = os.open(os.path.join(folder, LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o600)
    return open(descriptor, "r+b")


def hold_shared(folder: str, waiting: Callable[[], None] = lambda: None) -> Holding:
    """Take the lock shared for as long as the returned Holding is kept (a server's lifetime;
    forked workers inherit it). Waits, after calling `waiting`, while a restore holds it.
    Taken once per process and folder: the same Holding is returned again."""
    folder = os.path.abspath(folder)
    holding = _held.get(folder)
    if holding is not None:
        return holding
    handle = _open(folder)
    try:
        fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        waiting()
        fcntl.flock(handle, fcntl.LOCK_SH)
    holding = _held[folder] = Holding(handle)
    return holding


def init_app(app: Any) -> None:
    """Hold the lock while this process serves the app: at once when it is not a command (a
    WSGI server imported it), else from its first request (the only way `flask run` shows
    itself); in `app.extensions`, so that it lasts as long as the app."""
    def hold() -> None:
        if "gatebook_server_lock" not in app.extensions:
            app.extensions["gatebook_server_lock"] = hold_shared(
                app.instance_path, waiting=lambda: app.logger.warning(
                    "waiting for a restore of the database to finish"))

    if _in_a_command():
        app.before_request(hold)  # `flask run` (another command never serves a request)
    else:
        hold()


def _in_a_command() -> bool:
    click = sys.modules.get("click")  # not imported here: gunicorn's master loads this file
    return click is not None and click.get_current_context(silent=True) is not None


@contextlib.contextmanager
def exclusive(folder: str) -> Iterator[None]:
    """Hold the lock alone, or raise DatabaseInUse at once if a server holds it. A process
    that served the app itself (a test, a shell) turns its own shared lock exclusive."""
    folder = os.path.abspath(folder)
    holding = _held.get(folder)
    own = holding.handle if holding is not None else None
    with contextlib.nullcontext(own) if own is not None else _open(folder) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if own is not None:  # a refused conversion may have dropped the shared lock
                fcntl.flock(handle, fcntl.LOCK_SH)
            raise DatabaseInUse(os.path.join(folder, LOCK_FILE)) from None
        try:
            yield
        finally:
            if own is not None:
                fcntl.flock(handle, fcntl.LOCK_SH)
