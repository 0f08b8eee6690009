"""Friendly error pages in the visitor's language that cannot fail themselves, and error logs
without personal data."""

from __future__ import annotations

import logging
import os
import traceback

from flask import Flask, Response, current_app, make_response, render_template, request
from flask.globals import request_ctx
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, SecurityError

from .boundary import UntypableText
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
        try:
            db.session.rollback()
        except Exception:  # the database may be what failed: the page is shown all the same
            app.logger.exception("could not roll back after an error")
        return error_page("errors/500.html", 500)

    @app.errorhandler(HTTPException)
    def other_http_error(error: HTTPException):
        code = error.code or 500
        return error_page("errors/other.html", code, _exception_headers(error), code=code)
