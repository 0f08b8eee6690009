"""One button, one audited change (admin pages): validate the posted form, make the change and
its audit entry in one commit, say how it went."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash

from ..extensions import db
from ..store import audit
from ..web.form_fields import AppForm


def apply_change(form: AppForm, change: Callable[[], object], refusals: type[Exception],
                 success: Callable[[], str], action: str, details: Callable[[], dict]) -> bool:
    """Run `change` if the form is valid, with its audit entry (`action`, `details()`) stored by
    the change's own commit or rolled back with it; flash the success message or why it was
    refused."""
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return False
    try:
        audit.record(action, details())
        change()
    except refusals as error:
        db.session.rollback()
        flash(str(error), "error")
        return False
    flash(success(), "success")
    return True
