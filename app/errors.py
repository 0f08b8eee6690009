"""Friendly error pages in the visitor's language, and error logs without personal data."""

from __future__ import annotations

import logging
import traceback

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from .extensions import db


class DatabaseErrorScrubber(logging.Filter):
    """Keep a database error's type, code and traceback in the log, but not its text.

    PostgreSQL's error detail quotes the failing row ("Failing row contains (… name …)"), and
    a visitor's name or phone must never reach a log file.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], DBAPIError):
            error = record.exc_info[1]
            code = getattr(error.orig, "sqlstate", None) or getattr(error, "code", None)
            record.msg = (f"{record.getMessage()}: {type(error).__name__} "
                          f"({type(error.orig).__name__}, code {code})\n"
                          + "".join(traceback.format_tb(record.exc_info[2])))
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


def init_app(app: Flask) -> None:
    """Register the error pages and the log filter."""
    app.logger.addFilter(DatabaseErrorScrubber())

    @app.errorhandler(CSRFError)
    def form_expired(_error):
        if request.headers.get("HX-Request"):  # a button on a page left open: reload the page
            return "", 204, {"HX-Refresh": "true"}
        return render_template("errors/form_expired.html"), 400

    @app.errorhandler(403)
    def forbidden(_error):
        return render_template("errors/403.html"), 403

    @app.errorhandler(404)
    def not_found(_error):
        return render_template("errors/404.html"), 404

    @app.errorhandler(500)
    def server_error(_error):
        db.session.rollback()
        return render_template("errors/500.html"), 500

    @app.errorhandler(HTTPException)
    def other_http_error(error: HTTPException):
        return render_template("errors/other.html", code=error.code), error.code
