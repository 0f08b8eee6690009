"""The language switch at the top of every page."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, request, url_for

from ..config import SUPPORTED_LANGUAGES
from ..web.language import LANGUAGE_COOKIE, LANGUAGE_COOKIE_MAX_AGE
from ..web.redirects import local_path

bp = Blueprint("language", __name__)


@bp.get("/lang/<code>")
def set_language(code: str):
    """Switch the interface language and go back to the page the visitor was on."""
    if code not in SUPPORTED_LANGUAGES:
        abort(404)
    response = redirect(local_path(request.args.get("next"), url_for("checkin.index")))
    response.set_cookie(LANGUAGE_COOKIE, code, max_age=LANGUAGE_COOKIE_MAX_AGE, samesite="Lax",
                        httponly=True, secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response
