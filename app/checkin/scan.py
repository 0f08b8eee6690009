"""What a scan opens, for the visitor's pages, the employee's phone and the desk: the scanned
entry point (or the page that refuses it), and the visit secret every check-in form carries."""

from __future__ import annotations

import re
import secrets

from flask import abort, make_response, render_template

from ..admin.entry_points import EntryPoint, find_by_token

VISIT_SECRET_FORMAT = re.compile(r"[A-Za-z0-9_-]{32,64}")


def active_location(token: str) -> EntryPoint:
    """The entry point of a scanned QR code; a replaced, unknown or closed one gets a page
    saying so."""
    location, replaced = find_by_token(token)
    if replaced:
        abort(make_response(render_template("checkin/replaced.html"), 410))
    if location is None or not location.active:
        abort(404)
    return location


def new_visit_secret() -> str:
    """A fresh visit secret."""
    return secrets.token_urlsafe(32)


def with_visit_secret(form):
    """The form, with a fresh visit secret unless it carries a well-formed one."""
    if not VISIT_SECRET_FORMAT.fullmatch(form.visit_secret.data or ""):
        form.visit_secret.data = new_visit_secret()
    return form
