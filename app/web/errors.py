"""Friendly error pages in the visitor's language that cannot fail themselves, and error logs
without personal data. A database that cannot be reached, or stays busy, is not a fault of the
page: it gets "try again in a moment" (503), not "something went wrong" (500)."""

from __future__ import annotations

import logging
import os
import sqlite3
import traceback

from flask import Flask, Response, current_app, make_response, render_template, request
from flask.globals import request_ctx
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, SecurityError

from ..extensions import db, login_manager
from .boundary import UntypableText

# What a database that is down or busy raises (database_unavailable() tells which ones are).
DATABASE_ERRORS = (DBAPIError, PoolTimeout)
# How long a phone or browser is asked to wait before sending again.
RETRY_AFTER_SECONDS = 5
# SQLite's result codes for a lock another connection still held when the busy timeout ran out.
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6
# PostgreSQL's SQLSTATEs after which the same request can succeed a moment later: classes 08
# (connection), 40 (serialization failure, deadlock), 53 (too many connections), 57 (shut
# down, terminated, statement timeout), and 55P03 (a lock not free in time).
_POSTGRES_TRANSIENT = ("08", "40", "53", "57", "55P03")


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


def database_unavailable(error: BaseException) -> bool:
    """True when the database could not be reached or stayed busy, so the same request can
    succeed in a moment; False for a fault in a statement, the data or the set-up (a missing
    database file, say), which is a 500 as before."""
    if isinstance(error, PoolTimeout):  # every pooled connection stayed in use
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:  # the connection was lost under the statement
        return True
    if isinstance(error.orig, sqlite3.Error):
        return (getattr(error.orig, "sqlite_errorcode", 0) & 0xFF) in (_SQLITE_BUSY,
                                                                        _SQLITE_LOCKED)
    if not isinstance(error, (OperationalError, InterfaceError)):
        return False
    # psycopg gives no SQLSTATE when it could not connect, or lost the connection.
    state = getattr(error.orig, "sqlstate", None)
    return state is None or state.startswith(_POSTGRES_TRANSIENT)


def note_unavailable(error: BaseException) -> None:
    """End the request's failed transaction and log one line: which page met an unavailable
    database and the error's type and code, never its text (DatabaseErrorScrubber's rule)."""
    _roll_back()
    orig = getattr(error, "orig", None)
    # No code: the server never answered (psycopg could not connect), or the pool was full.
    code = getattr(orig, "sqlstate", None) or getattr(orig, "sqlite_errorname", None) or "-"
    cause = type(orig).__name__ if orig is not None else "-"
    current_app.logger.warning("the database was unavailable at %s %s: %s (%s, code %s)",
                               request.method, request.endpoint, type(error).__name__, cause,
                               code)


def unavailable_page(error: BaseException) -> Response:
    """The page saying the system is busy, to try again in a moment (503 with Retry-After)."""
    note_unavailable(error)
    # The staff member's sign-in is kept in the database that just failed: for this page,
    # which carries no token, nobody is signed in, so that what runs after the view
    # (app.web.compression asks who is signed in) does not look it up and fail again.
    login_manager._update_request_context_with_user()
    return error_page("errors/503.html", 503, {"Retry-After": str(RETRY_AFTER_SECONDS)})


def _roll_back() -> None:
    try:
        db.session.rollback()
    except Exception:  # the database may be what failed: the page is shown all the same
        current_app.logger.exception("could not roll back after an error")


def _plain_page() -> bytes:
    """The bilingual page that needs nothing but a file (read once, at start)."""
    return current_app.extensions["gatebook_plain_error_page"]


def error_page(template: str, status: int, headers: dict | None = None, **context) -> Response:
    """The error page from its template; the plain page if even that cannot be rendered."""
    try:
        if request_ctx.url_adapter is None:
            # The Host header was refused (invalid, or not a trusted host), so the request has
            # no URL adapter. Links on error pages are plain paths: one bound to no particular
            # host builds them.
            request_ctx.url_adapter = current_app.url_map.bind(
                "localhost", script_name=request.script_root or "/", url_scheme=request.scheme)
        response = make_response(render_template(template, **context), status)
    except Exception:
        current_app.logger.exception("the error page %s could not be rendered", template)
        response = Response(_plain_page(), status, mimetype="text/html")
    response.headers.update(headers or {})
    return response


def _exception_headers(error: HTTPException) -> dict:
    """Headers the error itself calls for (Allow on a 405), not its body's type."""
    return {name: value for name, value in error.get_headers()
            if name.lower() != "content-type"}


def init_app(app: Flask) -> None:
    """Register the error pages and the log filter."""
    app.logger.addFilter(DatabaseErrorScrubber())
    with open(os.path.join(app.static_folder, "error.html"), "rb") as fh:
        app.extensions["gatebook_plain_error_page"] = fh.read()

    @app.errorhandler(CSRFError)
    def form_expired(_error):
        if request.headers.get("HX-Request"):  # a button on a page left open: reload the page
            return "", 204, {"HX-Refresh": "true"}
        return error_page("errors/form_expired.html", 400)

    @app.errorhandler(UntypableText)
    def untypable_text(_error):
        return error_page("errors/untypable_text.html", 400)

    @app.errorhandler(SecurityError)
    def untrusted_host(_error):
        return error_page("errors/wrong_host.html", 400,
                          public_url=app.config["PUBLIC_URL"])

    @app.errorhandler(403)
    def forbidden(_error):
        return error_page("errors/403.html", 403)

    @app.errorhandler(404)
    def not_found(_error):
        return error_page("errors/404.html", 404)

    @app.errorhandler(413)
    def too_large(_error):
        return error_page("errors/413.html", 413)

    @app.errorhandler(500)
    def server_error(_error):
        _roll_back()
        return error_page("errors/500.html", 500)

    @app.errorhandler(DBAPIError)
    @app.errorhandler(PoolTimeout)
    def database_error(error: Exception):
        if not database_unavailable(error):
            # A real fault: raised on, it is logged with its traceback and gets the 500 page
            # (or reaches the test that caused it), as if this handler were not here.
            raise error
        return unavailable_page(error)

    @app.errorhandler(HTTPException)
    def other_http_error(error: HTTPException):
        code = error.code or 500
        return error_page("errors/other.html", code, _exception_headers(error), code=code)
