"""Which language a page speaks: the visitor's choice (a cookie), else the organisation's."""

from __future__ import annotations

from functools import cache

from babel import Locale
from flask import current_app, has_request_context, request

from ..config import SUPPORTED_LANGUAGES

LANGUAGE_COOKIE = "lang"
LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600


@cache
def _locale(code: str) -> Locale:
    # Flask-Babel parses what the selector returns on every request (and Babel looks for the
    # locale's data file each time): a Locale is taken as it is, so each is made once.
    return Locale.parse(code)


def select_locale() -> Locale:
    """The visitor's chosen language, else the organisation's default (Vietnamese)."""
    chosen = request.cookies.get(LANGUAGE_COOKIE) if has_request_context() else None
    return _locale(chosen if chosen in SUPPORTED_LANGUAGES
                   else current_app.config["DEFAULT_LANGUAGE"])
