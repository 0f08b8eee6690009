"""Signed values (the visitor's cookies, the session): one serializer per purpose and key,
made once per process.

itsdangerous builds a serializer in a few lines, but building one tries its JSON encoder out
and prepares its keys; a page that reads and writes two cookies would pay that four times.
A serializer holds no state between calls, so one can serve every request and thread.
"""

from __future__ import annotations

from functools import lru_cache

import flask_wtf.csrf
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer


@lru_cache(maxsize=32)
def timed_serializer(secret_key: str | bytes, salt: str) -> URLSafeTimedSerializer:
    """A URL-safe timed serializer for this key and salt (as itsdangerous makes it)."""
    return URLSafeTimedSerializer(secret_key, salt=salt)


@lru_cache(maxsize=32)
def url_safe_serializer(secret_key: str | bytes, salt: str) -> URLSafeSerializer:
    """A URL-safe serializer without a timestamp for this key and salt (as itsdangerous
    makes it)."""
    return URLSafeSerializer(secret_key, salt=salt)


class KeptSerializerSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, its serializer made once per key rather than at every
    request."""

    def __init__(self) -> None:
        self._made: dict[tuple, URLSafeTimedSerializer | None] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().get_signing_serializer(app)
        return made


def init_app(app: Flask) -> None:
    """Sign the session, and Flask-WTF's CSRF tokens, with serializers kept per key."""
    app.session_interface = KeptSerializerSessionInterface()
    # Flask-WTF makes a serializer for every token it signs or checks, by this name in its
    # module: it gets the kept one (the same class, key and salt, so the same tokens).
    flask_wtf.csrf.URLSafeTimedSerializer = timed_serializer
