"""Compressed responses (Flask-Compress): the visitor's pages and the static files.

A signed-in staff member's pages are sent uncompressed: they carry the staff's CSRF token next
to text the request can echo back, and a compressed page's size could then leak the token to
someone watching the network (BREACH). Visitors' pages are small and worth compressing; staff
pages are on the office network.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request, session
from flask_login import COOKIE_NAME

from ..extensions import compress


def _staff_browser() -> bool:
    """The browser holds a staff sign-in, or a cookie that could restore one. Read from the
    session (where Flask-Login keeps the signed-in user's id) rather than by loading the
    user, which would cost every visitor's request a look-up of its own."""
    return "_user_id" in session or current_app.config.get(
        "REMEMBER_COOKIE_NAME", COOKIE_NAME) in request.cookies


def init_app(app: Flask) -> None:
    """Compress what the browser accepts, except pages seen by signed-in staff."""
    app.config["COMPRESS_REGISTER"] = False
    compress.init_app(app)

    @app.after_request
    def compress_response(response: Response) -> Response:
        if request.endpoint != "static" and _staff_browser():
            return response
        original = response.response
        response = compress.after_request(response)
        if response.response is not original and hasattr(original, "close"):
            # A streamed body (a static file) is now read through the compressor, which does
            # not close it: close it with the response.
            response.call_on_close(original.close)
        return response
