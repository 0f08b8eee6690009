"""Static files' addresses carry a hash of their content (/static/app.css?v=1a2b3c4d5e), so a
reverse proxy may let browsers keep them for a year: a changed file gets a new address."""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache

from flask import Flask
from werkzeug.security import safe_join


@lru_cache(maxsize=128)
def _digest(path: str, modified_ns: int) -> str:
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()[:10]


def version(folder: str, filename: str) -> str | None:
    """The first characters of the file's SHA-256, or None for a file that is not there."""
    path = safe_join(folder, filename)
    try:
        return _digest(path, os.stat(path).st_mtime_ns) if path else None
    except OSError:
        return None


def init_app(app: Flask) -> None:
    """Add ?v=<content hash> to every url_for('static', ...)."""

    @app.url_defaults
    def static_version(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "v" not in values and "filename" in values:
            found = version(app.static_folder, values["filename"])
            if found:
                values["v"] = found
