"""The instance folder's lock file: a running server holds it shared, a restore exclusively.

Standard library only: gunicorn's master loads this file by path (deploy/gunicorn.conf.py),
and must not import the application, or a reload (HUP) would keep serving the old code.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator
from typing import IO

# Where the instance folder is when GATEBOOK_INSTANCE_PATH does not say (Flask's own default).
DEFAULT_INSTANCE_PATH = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "instance")
LOCK_FILE = "gatebook.lock"


class DatabaseInUse(RuntimeError):
    """A server holds the instance: the database cannot be replaced under it."""


def instance_path() -> str:
    """The instance folder: $GATEBOOK_INSTANCE_PATH, or instance/ beside the app."""
    return os.path.abspath(os.environ.get("GATEBOOK_INSTANCE_PATH") or DEFAULT_INSTANCE_PATH)


def _open(folder: str) -> IO[bytes]:
    os.makedirs(folder, exist_ok=True)
    descriptor = os.open(os.path.join(folder, LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o600)
    return open(descriptor, "r+b")


def hold_shared(folder: str, waiting: Callable[[], None] = lambda: None) -> IO[bytes]:
    """Take the lock shared for as long as the returned file stays open (a server's lifetime;
    forked workers inherit it). Waits, after calling `waiting`, while a restore holds it."""
    handle = _open(folder)
    try:
        fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        waiting()
        fcntl.flock(handle, fcntl.LOCK_SH)
    return handle


@contextlib.contextmanager
def exclusive(folder: str) -> Iterator[None]:
    """Hold the lock alone, or raise DatabaseInUse at once if a server holds it."""
    with _open(folder) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DatabaseInUse(os.path.join(folder, LOCK_FILE)) from None
        yield
