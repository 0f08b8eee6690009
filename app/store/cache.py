"""Rows that change rarely but are read at nearly every scan (an entry point, the health
notice), kept by each server process for a few seconds.

A change made through this process is seen at once: any change to the rows' models empties
what was kept of them. One made through another server process (several behind a proxy) is
seen within KEPT_SECONDS. What must be exact is checked where it matters: a check-in confirms
its entry point again inside its own write.
"""

from __future__ import annotations

from collections.abc import Callable
from time import monotonic
from typing import TypeVar

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session, object_session

KEPT_SECONDS = 5.0
# Where a session notes what its writes made stale, until it commits.
_CHANGED = "gatebook_kept_changed"

T = TypeVar("T")


def _store(name: str) -> dict:
    return current_app.extensions.setdefault("gatebook_kept", {}).setdefault(name, {})


def kept(name: str, key: str, read: Callable[[], T],
         keep: Callable[[T], bool] = lambda _value: True) -> T:
    """What read() gave for `key` less than KEPT_SECONDS ago, else read() now (and kept when
    keep() says so: an unknown entry point's token is not, so the store cannot grow)."""
    store = _store(name)
    now = monotonic()
    hit = store.get(key)
    if hit is not None and now - hit[1] < KEPT_SECONDS:
        return hit[0]
    value = read()
    if keep(value):
        store[key] = (value, now)
    else:
        store.pop(key, None)
    return value


def forget(name: str) -> None:
    """Read afresh next time."""
    if has_app_context():
        _store(name).clear()


def forget_on_change(name: str, *models: type) -> None:
    """Forget what is kept under `name` whenever a row of these models is written through
    this process's ORM: at the write, and again at its commit, so that another request
    reading the row in between cannot keep the old one."""
    def changed(_mapper, _connection, target) -> None:
        forget(name)
        session = object_session(target)
        if session is not None:
            session.info.setdefault(_CHANGED, set()).add(name)

    for model in models:
        for moment in ("after_insert", "after_update", "after_delete"):
            event.listen(model, moment, changed)


@event.listens_for(Session, "after_commit")
def _forget_committed(session: Session) -> None:
    for name in session.info.pop(_CHANGED, ()):
        forget(name)


@event.listens_for(Session, "after_rollback")
def _nothing_committed(session: Session) -> None:
    session.info.pop(_CHANGED, None)
