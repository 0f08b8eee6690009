"""The visitor's pages: check-in form, one-tap check-in, confirmation, check-out. No login."""

from __future__ import annotations

import re
import secrets

from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for

from .. import settings
from ..checkin import (
    can_undo_check_out,
    check_in,
    check_out,
    holds_secret,
    open_visits_today,
    undo_check_out,
)
from ..checkin_forms import (
    MAX_COMPANIONS,
    CheckInForm,
    CheckOutForm,
    consent_version,
    declaration_context,
    one_tap_form,
)
from ..extensions import csrf, db
from ..locations import find_by_token
from ..models import CheckoutReason, Location, Visit
from ..visitor_cookies import (
    Remembered,
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


def _consented(remembered: Remembered | None) -> bool:
    """The phone remembers its visitor and their consent to the notice as it is now."""
    return remembered is not None and remembered.consent_version == consent_version()


@bp.route("/c/<token>", methods=["GET", "POST"])
@csrf.exempt  # the form checks its own token, to keep the visitor's input when it has expired
def form_page(token: str):
    """The check-in: a phone already inside is offered Ra về; a remembered visitor the
    one-tap check-in; anyone else (or someone else, with ?new=1) the form. A valid post
    records a visit."""
    location = _active_location(token)
    visit_secrets = read_visit_secrets(request)
    remembered = read_profile(request)
    if request.method == "GET":
        return _first_page(location, visit_secrets, remembered)
    if "one_tap" in request.form:
        if not _consented(remembered):  # forgotten or a changed notice meanwhile: ask again
            return redirect(url_for(".form_page", token=token, full=1))
        form = one_tap_form(remembered.identity)
        if form.validate():
            return _record(location, form, visit_secrets, remembered)
        # A remembered detail no longer passes (a changed list, a new rule): the full form.
        return _form(location, form, remembered, stale_form=bool(form.csrf_token.errors))
    for_other = request.form.get("for_other") == "1"
    form = CheckInForm()
    if "add_companion" in request.form:  # works without JavaScript: one more row, no errors
        if len(form.companions) < MAX_COMPANIONS:
            form.companions.append_entry()
        return _form(location, form, remembered, for_other=for_other)
    if form.validate():
        return _record(location, form, visit_secrets, remembered, keep_profile=for_other)
    return _form(location, form, remembered, stale_form=bool(form.csrf_token.errors),
                 for_other=for_other)


def _first_page(location: Location, visit_secrets: dict[int, str],
                remembered: Remembered | None):
    """What a scan opens: Ra về when inside, the one-tap check-in when remembered, the form."""
    for_other = "new" in request.args
    if not for_other:
        inside = open_visits_today(visit_secrets)
        if inside:  # scanning on the way out
            return render_template("checkin/inside.html", visits=inside, location=location,
                                   form=CheckOutForm(), notice=settings.health_notice())
        if _consented(remembered) and "full" not in request.args:
            return _one_tap_page(location, remembered)
    mine = remembered is not None and not for_other
    form = CheckInForm(data=remembered.identity if mine else None)
    form.remember.data = mine
    form.consent.data = mine and _consented(remembered)
    return _form(location, form, remembered, for_other=for_other)


def _with_secret(form: CheckInForm) -> CheckInForm:
    if not _SECRET_FORMAT.fullmatch(form.visit_secret.data or ""):
        form.visit_secret.data = _new_secret()
    return form


def _form(location: Location, form: CheckInForm, remembered: Remembered | None,
          stale_form: bool = False, for_other: bool = False):
    mine = remembered is not None and not for_other
    return render_template(
        "checkin/form.html", form=_with_secret(form), location=location,
        remembered=remembered if mine else None, for_other=for_other,
        consent_changed=mine and not _consented(remembered), stale_form=stale_form,
        notice=settings.health_notice(), **declaration_context())


def _one_tap_page(location: Location, remembered: Remembered):
    form = _with_secret(CheckInForm(formdata=None))
    return render_template("checkin/one_tap.html", form=form, location=location,
                           identity=remembered.identity, notice=settings.health_notice(),
                           **declaration_context())


def _record(location: Location, form: CheckInForm, visit_secrets: dict[int, str],
            remembered: Remembered | None, keep_profile: bool = False):
    """Store the visit, let this phone keep its secret, and remember (or forget) the visitor.
    A check-in for someone else leaves the phone's own remembered details alone unless that
    person asks to be remembered instead."""
    # A post without a well-formed secret (not from our page) is a new submission.
    secret = _with_secret(form).visit_secret.data
    result = check_in(location, form.details(), secret, list(visit_secrets))
    response = redirect(url_for(".done", visit_id=result.visit.id))
    if result.secret:
        remember_visit(request, response, result.visit.id, result.secret)
    if form.remember.data:
        remember_profile(response, form.identity(), consent_version())
    elif remembered and not keep_profile:
        forget_profile(response)
    return response


def _own_visit(visit_id: int) -> Visit:
    """The visit, if this phone made it; anyone else gets a page saying so."""
    visit = db.session.get(Visit, visit_id)
    secret = read_visit_secrets(request).get(visit_id)
    if visit is None or not holds_secret(visit, secret):
        abort(make_response(render_template("checkin/not_your_visit.html"), 403))
    return visit


def _done_page(visit: Visit, form: CheckOutForm, **extra):
    return render_template("checkin/done.html", visit=visit, location=visit.location,
                           form=form, can_undo=can_undo_check_out(visit),
                           notice=settings.health_notice(), **extra)


@bp.get("/v/<id:visit_id>")
def done(visit_id: int):
    """The confirmation: name, entry point, time, and the check-out button.

    It does not depend on the entry point's token, so it keeps working after the entry point
    is closed or its QR code replaced.
    """
    return _done_page(_own_visit(visit_id), CheckOutForm())


@bp.post("/v/<id:visit_id>/checkout")
@csrf.exempt  # checked below, so a page left open all day gets a second tap, not an error page
def checkout(visit_id: int):
    """Check the visit out (once; again changes nothing) and show the confirmation."""
    visit = _own_visit(visit_id)
    form = CheckOutForm()
    if not form.validate_on_submit():
        return _done_page(visit, form, tap_again=True)
    check_out(visit, by=CheckoutReason.VISITOR)
    return redirect(url_for(".done", visit_id=visit.id))


@bp.post("/v/<id:visit_id>/still-here")
@csrf.exempt  # checked below, as for the check-out
def still_here(visit_id: int):
    """Undo a check-out made by mistake on this phone, within a minute of it."""
    visit = _own_visit(visit_id)
    form = CheckOutForm()
    if form.validate_on_submit():
        undo_check_out(visit)
    return redirect(url_for(".done", visit_id=visit.id))


@bp.post("/c/<token>/forget")
@csrf.exempt  # it only deletes a cookie on the phone that sends it; nothing stored changes
def forget(token: str):
    """Remove the remembered details from this phone and show an empty form."""
    response = redirect(url_for(".form_page", token=token, new=1))
    forget_profile(response)
    return response
