"""What every template can use, and the headers every response carries."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask import Flask, Response, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from . import clock
from .models import CheckoutReason, Decision, VisitSource

HTMX_FILE = "htmx-2.0.11.min.js"

# Nothing is loaded from outside the server, and no page can be framed.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


# What each named state is called on screen.
LABELS: dict[type[StrEnum], dict[StrEnum, str]] = {
    CheckoutReason: {
        CheckoutReason.VISITOR: _l("by the visitor"),
        CheckoutReason.STAFF: _l("at reception"),
        CheckoutReason.AUTO: _l("automatically, end of day"),
        CheckoutReason.REPLACED: _l("replaced by a corrected declaration"),
    },
    VisitSource: {
        VisitSource.SELF: _l("Self-declared"),
        VisitSource.STAFF: _l("Staff entry"),
        VisitSource.PAPER: _l("Paper slip"),
    },
    Decision: {
        Decision.ADMIT: _l("Let in"),
        Decision.MEDICAL: _l("Taken to the medical room"),
        Decision.REFUSE: _l("Not let in"),
    },
}


def label(state: StrEnum) -> str:
    """The words for a named state (a visit's source, why it was checked out, the gate's
    decision)."""
    return LABELS[type(state)][state]


def init_app(app: Flask) -> None:
    """Register template helpers and response headers."""

    @app.template_filter("localtime")
    def localtime(moment: datetime | None, fmt: str = "%H:%M %d/%m/%Y") -> str:
        """A stored UTC time as the organisation's local time."""
        return clock.to_local(moment).strftime(fmt) if moment else ""

    app.add_template_filter(label)
    app.jinja_env.globals["CheckoutReason"] = CheckoutReason
    app.jinja_env.globals["Decision"] = Decision
    app.jinja_env.globals["VisitSource"] = VisitSource

    @app.context_processor
    def page_globals() -> dict:
        return {"org_name": app.config["ORG_NAME"], "lang": str(get_locale() or "vi"),
                "htmx_file": HTMX_FILE, "retention_days": app.config["RETENTION_DAYS"]}

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.endpoint != "static":
            # Pages carry personal data: never keep them in a shared or back-button cache.
            response.headers["Cache-Control"] = "no-store"
            response.vary.add("Cookie")
        return response
