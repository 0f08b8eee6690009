"""Which language a page speaks: the visitor's choice (a cookie), else the organisation's."""

from __future__ import annotations

from flask import current_app, has_request_context, request

from ..config import SUPPORTED_LANGUAGES

LANGUAGE_COOKIE = "lang"
LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600


def select_locale() -> str:
    """The visitor's chosen language, else the organisation's default (Vietnamese)."""
    chosen = request.cookies.get(LANGUAGE_COOKIE) if has_request_context() else None
    return chosen if chosen in SUPPORTED_LANGUAGES else current_app.config["DEFAULT_LANGUAGE"]
