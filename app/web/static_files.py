"""Static files (stylesheet, scripts): URLs that carry a fingerprint of the file's content,
so a browser keeps each version for a year and asks again only when it changes."""

from __future__ import annotations

import hashlib
import os
from functools import cache

from flask import Flask, Response, request, url_for
from werkzeug.security import safe_join

from ..store.cache import kept

YEAR_SECONDS = 365 * 24 * 3600


@cache
def _fingerprint(folder: str, filename: str, _modified: float) -> str | None:
    try:
        with open(os.path.join(folder, filename), "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()[:12]
    except OSError:
        return None


def fingerprint(app: Flask, filename: str) -> str | None:
    """A short hash of the file's content (None if there is no such file)."""
    modified = _modified(app, filename)
    return _fingerprint(app.static_folder, filename, modified) if modified else None


def _modified(app: Flask, filename: str) -> float | None:
    path = safe_join(app.static_folder, filename)
    try:
        return os.path.getmtime(path) if path else None
    except OSError:
        return None


def init_app(app: Flask) -> None:
    """Add ?v=<fingerprint> to every static URL, and cache fingerprinted files for a year."""
    @app.template_global()
    def static_url(filename: str) -> str:
        """url_for("static", filename=filename), fingerprint included, as worked out less than
        a few seconds ago (app.store.cache): every page links the same stylesheet and scripts,
        and a changed file still gets its new address within those seconds."""
        return kept("static_addresses", (request.script_root, filename),
                    lambda: url_for("static", filename=filename))

    @app.url_defaults
    def add_fingerprint(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "v" not in values:
            version = fingerprint(app, values.get("filename", ""))
            if version:
                values["v"] = version

    @app.after_request
    def cache_fingerprinted(response: Response) -> Response:
        if request.endpoint == "static" and response.status_code in (200, 304):
            filename = (request.view_args or {}).get("filename", "")
            current = request.args.get("v") == fingerprint(app, filename)
            response.headers["Cache-Control"] = (
                f"public, max-age={YEAR_SECONDS}, immutable" if current else "no-cache")
        return response
