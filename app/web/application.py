"""The Flask application class: Flask, with what it works out about each hook kept."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

# The hooks and views of one application: a few dozen (the bound is for safety only).
KEPT_FUNCTIONS = 1024


class Gatebook(Flask):
    """Flask, asking once per function (not at every request, for every hook) whether it is an
    `async def` that needs wrapping (Flask.ensure_sync, documented as the method to
    override). A request runs some ten hooks and a view; asking costs each of them a look at
    its code object."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._synced: dict[Callable, Callable] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            return self._synced[func]
        except KeyError:
            synced = super().ensure_sync(func)
            if len(self._synced) < KEPT_FUNCTIONS:
                self._synced[func] = synced
            return synced
        except TypeError:  # a callable that cannot be a key
            return super().ensure_sync(func)
