"""The visitor's pages: check-in form, confirmation, check-out. No login."""

from __future__ import annotations

import re
import secrets

from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for

from ..checkin import check_in, check_out, holds_secret, recent_open_visit
from ..checkin_forms import MAX_COMPANIONS, CheckInForm, CheckOutForm, declaration_context
from ..extensions import csrf, db
from ..locations import find_by_token
from ..models import CheckoutReason, Location, Visit
from ..visitor_cookies import (
    forget_profile,
    read_profile,
    read_visit_secrets,
    remember_profile,
    remember_visit,
)

bp = Blueprint("checkin", __name__)

_SECRET_FORMAT = re.compile(r"[A-Za-z0-9_-]{32,64}")


def _active_location(token: str) -> Location:
    """The entry point of a scanned QR code; a replaced, unknown or closed one gets a page
    saying so."""
    location, replaced = find_by_token(token)
    if replaced:
        abort(make_response(render_template("checkin/replaced.html"), 410))
    if location is None or not location.active:
        abort(404)
    return location


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


@bp.get("/")
def index():
    """Where someone lands without a QR code: tell them to scan one."""
    return render_template("checkin/index.html")


@bp.route("/c/<token>", methods=["GET", "POST"])
@csrf.exempt  # the form checks its own token, to keep the visitor's input when it has expired
def form_page(token: str):
    """The check-in form: shown prefilled for a remembered visitor; a valid post records a visit."""
    location = _active_location(token)
    visit_secrets = read_visit_secrets(request)
    if request.method == "GET" and "new" not in request.args:
        recent = recent_open_visit(location, list(visit_secrets))
        if recent is not None:  # a re-scan moments after checking in
            return redirect(url_for(".done", visit_id=recent.id))

    profile = read_profile(request)
    form = CheckInForm(data=profile if request.method == "GET" else None)
    stale_form = False
    if request.method == "GET":
        form.remember.data = bool(profile)
    if not _SECRET_FORMAT.fullmatch(form.visit_secret.data or ""):
        form.visit_secret.data = _new_secret()

    if request.method == "POST":
        if "add_companion" in request.form:  # works without JavaScript: one more row, no errors
            if len(form.companions) < MAX_COMPANIONS:
                form.companions.append_entry()
        elif form.validate():
            return _record(location, form, visit_secrets, profile)
        else:
            stale_form = bool(form.csrf_token.errors)
    return render_template("checkin/form.html", form=form, location=location, profile=profile,
                           stale_form=stale_form, **declaration_context())


def _record(location: Location, form: CheckInForm, visit_secrets: dict[int, str],
            profile: dict):
    result = check_in(location, form.details(), form.visit_secret.data, list(visit_secrets))
    response = redirect(url_for(".done", visit_id=result.visit.id))
    if result.secret:
        remember_visit(request, response, result.visit.id, result.secret)
    if form.remember.data:
        remember_profile(response, form.identity())
    elif profile:
        forget_profile(response)
    return response


def _own_visit(visit_id: int) -> Visit:
    """The visit, if this phone made it; anyone else gets a page saying so."""
    visit = db.session.get(Visit, visit_id)
    secret = read_visit_secrets(request).get(visit_id)
    if visit is None or not holds_secret(visit, secret):
        abort(make_response(render_template("checkin/not_your_visit.html"), 403))
    return visit


@bp.get("/v/<id:visit_id>")
def done(visit_id: int):
    """The confirmation: name, entry point, time, and the check-out button.

    It does not depend on the entry point's token, so it keeps working after the entry point
    is closed or its QR code replaced.
    """
    visit = _own_visit(visit_id)
    return render_template("checkin/done.html", visit=visit, location=visit.location,
                           form=CheckOutForm())


@bp.post("/v/<id:visit_id>/checkout")
@csrf.exempt  # checked below, so a page left open all day gets a second tap, not an error page
def checkout(visit_id: int):
    """Check the visit out (once; again changes nothing) and show the confirmation."""
    visit = _own_visit(visit_id)
    form = CheckOutForm()
    if not form.validate_on_submit():
        return render_template("checkin/done.html", visit=visit, location=visit.location,
                               form=form, tap_again=True)
    check_out(visit, by=CheckoutReason.VISITOR)
    return redirect(url_for(".done", visit_id=visit.id))


@bp.post("/c/<token>/forget")
@csrf.exempt  # it only deletes a cookie on the phone that sends it; nothing stored changes
def forget(token: str):
    """Remove the remembered details from this phone and show an empty form."""
    response = redirect(url_for(".form_page", token=token, new=1))
    forget_profile(response)
    return response
