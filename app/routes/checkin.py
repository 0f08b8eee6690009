"""The visitor's pages: check-in form, one-tap check-in, confirmation, check-out. No login."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from werkzeug.datastructures import MultiDict

from ..admin import health_notice
from ..admin.entry_points import (
    EntryPoint,
    find_by_id,
    forget_entry_points,
)
from ..checkin import pass_copies, presences
from ..checkin.forms import (
    MAX_COMPANIONS,
    CheckInForm,
    CheckOutForm,
    consent_version,
    declaration_context,
    one_tap_form,
)
from ..checkin.passes import VisitPass, read_pass
from ..checkin.scan import active_location, new_visit_secret, with_visit_secret
from ..checkin.visitor_cookies import (
    Remembered,
    forget_profile,
    read_profile,
    read_visit_secrets,
    remember_profile,
    remember_visit,
)
from ..checkin.visits import (
    EntryPointClosed,
    can_undo_check_out,
    check_in,
    check_out,
    declared_by,
    employee_details,
    holds_secret,
    open_visits_today,
    undo_check_out,
)
from ..employees import enrolment
from ..employees.enrolment_forms import EmployeeDeclarationForm
from ..extensions import csrf, db
from ..store.database import write_transaction, writes_late
from ..store.models import CheckoutReason, Visit
from ..web.errors import (
    DATABASE_ERRORS,
    RETRY_AFTER_SECONDS,
    database_unavailable,
    note_unavailable,
    unavailable_page,
)

bp = Blueprint("checkin", __name__)

@contextmanager
def _checking_in(location: EntryPoint) -> Iterator[None]:
    """The check-in's write transaction, its check_in(only_while_open=True) refused with the
    page a scan now gets when the entry point was closed or its poster replaced since this
    process last read it (nothing written)."""
    try:
        with write_transaction():
            yield
    except EntryPointClosed:
        forget_entry_points()
        active_location(location.token)  # the page a scan now gets...
        abort(404)  # ...or, reopened this very moment, try again


@bp.get("/")
def index():
    """Where someone lands without a QR code: tell them to scan one."""
    return render_template("checkin/index.html")


def _consented(remembered: Remembered | None) -> bool:
    """The phone remembers its visitor and their consent to the notice as it is now."""
    return remembered is not None and remembered.consent_version == consent_version()


@bp.route("/c/<token>", methods=["GET", "POST"])
@csrf.exempt  # the form checks its own token, to keep the visitor's input when it has expired
@writes_late
def form_page(token: str):
    """The check-in: a phone already inside is offered Ra về; a remembered visitor the
    one-tap check-in; anyone else (or someone else, with ?new=1) the form. A valid post
    records a visit; one the database cannot take now gets the answers back to send again."""
    if request.method == "GET":
        location = active_location(token)
        device = enrolment.device_of(request)
        if device is None and enrolment.device_token(request) is not None:
            return _no_longer_enrolled(location)
        return _first_page(location, read_visit_secrets(request), read_profile(request), device)
    location = None
    try:
        location = active_location(token)
        return _posted(location)
    except DATABASE_ERRORS as error:
        if not database_unavailable(error) or _from_employee():
            # A real fault gets the 500 page; an employee the busy page (app.web.errors): theirs
            # shows who they are, from the register in the database.
            raise
        # When even the entry point could not be read, the page is built from its token.
        return _not_recorded(location or EntryPoint(0, "", token, True), error)


def _no_longer_enrolled(location: EntryPoint):
    """A phone whose employee token no longer works (the phone revoked, the employee
    deactivated): the page any phone gets, saying why it is not the employee's one tap
    (else the visitor's form would look like a fault), and the dead cookie removed so that
    it is said once."""
    flash(_("This phone is no longer registered for the employees' check-in. Please see the "
            "administrator to register it again, or declare as a visitor."), "warning")
    response = make_response(_first_page(location, read_visit_secrets(request),
                                         read_profile(request), None))
    enrolment.forget_device(response)
    return response


def _from_employee() -> bool:
    return "employee_tap" in request.form or "employee_declare" in request.form


def _posted(location: EntryPoint):
    """A sent page: an employee's tap or declaration, a remembered visitor's one tap, one
    more companion row, or the form."""
    visit_secrets = read_visit_secrets(request)
    remembered = read_profile(request)
    device = enrolment.device_of(request)
    if _from_employee():
        return _employee_check_in(location, visit_secrets, device)
    if "one_tap" in request.form:
        if not _consented(remembered):  # forgotten or a changed notice meanwhile: ask again
            return redirect(url_for(".form_page", token=location.token, full=1))
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


def _not_recorded(location: EntryPoint, error: Exception):
    """The database could not be reached or stayed busy, so nothing was stored (the visit is
    written in one transaction). The visitor gets the page they sent back with a message, the
    answers as sent and the same visit secret, so sending again makes one visit only."""
    remembered = read_profile(request)
    one_tap = "one_tap" in request.form
    if one_tap and not _consented(remembered):
        return unavailable_page(error)  # which says so in the log
    note_unavailable(error)
    retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if not one_tap:
        return _form(location, CheckInForm(), remembered, busy=True,
                     for_other=request.form.get("for_other") == "1"), 503, retry
    return _one_tap_page(location, remembered, CheckInForm(), busy=True), 503, retry


def _first_page(location: EntryPoint, visit_secrets: dict[int, str],
                remembered: Remembered | None, device: enrolment.EnrolledPhone | None):
    """What a scan opens: Ra về when inside; an enrolled employee's one tap; a remembered
    visitor's one tap; the form."""
    for_other = "new" in request.args
    if not for_other:
        inside = open_visits_today(visit_secrets)
        if inside:  # scanning on the way out, or at an inner point on the way in
            return _inside_page(location, inside)
        if device is not None:
            return _employee_page(location, device, EmployeeDeclarationForm(formdata=None),
                                  declaring="declare" in request.args)
        if _consented(remembered) and "full" not in request.args:
            return _one_tap_page(location, remembered)
    if remembered is None or for_other:
        return _blank_form(location, for_other)
    form = CheckInForm(data=remembered.identity)
    form.remember.data = True
    form.consent.data = _consented(remembered)
    return _form(location, form, remembered)


def _inside_page(location: EntryPoint, inside: list[Visit]):
    """A phone inside scans a poster: at an inner point it is somewhere else than, "I am at
    <point>" first (the move) and Leave second; anywhere else, Leave first."""
    # Where each party is now (the entry point, since when), when it moved from where it came in.
    places = {visit.id: (point, find_by_id(point).name, since) for visit in inside
              for point, since, _undo in [presences.where_now(visit)] if point is not None}
    moves = {visit.id for visit in inside if location.is_inner
             and places.get(visit.id, (visit.location_id,))[0] != location.id}
    return render_template("checkin/inside.html", visits=inside, location=location,
                           places=places, moves=moves, form=CheckOutForm(),
                           notice=health_notice.health_notice())


# The blank form is the page nearly every scan opens: it is rendered once per entry point,
# language and settings, and each visitor's CSRF token and visit secret are put into the copy.
_CSRF_MARK, _SECRET_MARK = "GATEBOOK-CSRF-TOKEN-MARK", "GATEBOOK-VISIT-SECRET-MARK"
BLANK_FORMS_KEPT = 64


def _blank_form(location: EntryPoint, for_other: bool) -> str:
    """The empty check-in form for this entry point, with this phone's token and secret."""
    token = generate_csrf()  # the form's own token: the form is built only to render a copy
    notice = health_notice.health_notice()
    config = current_app.config
    key = (str(get_locale()), location.id, location.name, location.token, for_other, notice,
           request.full_path, config["ORG_NAME"], config["RETENTION_DAYS"],
           config["REQUIRE_ID_NUMBER"])
    kept: OrderedDict = current_app.extensions.setdefault("gatebook_blank_forms", OrderedDict())
    if session.get("_flashes"):
        # A message waiting for this browser (a staff member's, say) is shown on its page,
        # never kept in the copy every phone gets.
        kept = OrderedDict()
    html = kept.get(key)
    if html is not None:
        kept.move_to_end(key)  # the most asked for stay
    else:
        form = CheckInForm(formdata=None)
        form.csrf_token.current_token = _CSRF_MARK
        form.visit_secret.data = _SECRET_MARK
        html = render_template(
            "checkin/form.html", form=form, location=location, remembered=None,
            for_other=for_other, consent_changed=False, stale_form=False, notice=notice,
            **declaration_context())
        kept[key] = html
        while len(kept) > BLANK_FORMS_KEPT:
            kept.popitem(last=False)
    return html.replace(_CSRF_MARK, token).replace(_SECRET_MARK, new_visit_secret())


def _form(location: EntryPoint, form: CheckInForm, remembered: Remembered | None,
          stale_form: bool = False, for_other: bool = False, busy: bool = False):
    mine = remembered is not None and not for_other
    return render_template(
        "checkin/form.html", form=with_visit_secret(form), location=location,
        remembered=remembered if mine else None, for_other=for_other,
        consent_changed=mine and not _consented(remembered), stale_form=stale_form,
        busy=busy, notice=_notice(busy), **declaration_context())


def _notice(busy: bool) -> str:
    """The health notice; none on a page saying the database is busy, which is where it is
    kept (asking again could wait as long again, to show the notice alone)."""
    return "" if busy else health_notice.health_notice()


def _employee_page(location: EntryPoint, device: enrolment.EnrolledPhone,
                   form: EmployeeDeclarationForm, declaring: bool):
    """An enrolled employee: one tap in, or the questions when there is something to declare;
    who they are comes from the register."""
    template = "checkin/employee_declare.html" if declaring else "checkin/employee.html"
    return render_template(template, form=with_visit_secret(form), location=location,
                           employee=device.employee, notice=health_notice.health_notice(),
                           **declaration_context())


def _employee_check_in(location: EntryPoint, visit_secrets: dict[int, str],
                       device: enrolment.EnrolledPhone | None):
    """An enrolled employee's tap (its words are the answer: nothing to declare) or their
    declaration; the commitment is the button's, or ticked on the form."""
    if device is None:  # revoked, or the employee deactivated, since the page was opened
        return redirect(url_for(".form_page", token=location.token))
    if "employee_tap" in request.form:
        form = EmployeeDeclarationForm(formdata=MultiDict({
            "none_of_these": "y", "confirm_true": "y",
            "csrf_token": request.form.get("csrf_token", ""),
            "visit_secret": request.form.get("visit_secret", "")}))
    else:
        form = EmployeeDeclarationForm()
    if not form.validate():
        return _employee_page(location, device, form, declaring=True)
    details = employee_details(device.employee, form.declaration())
    with _checking_in(location):  # the visit and the phone's last use, in one write
        result = check_in(location, details, form.visit_secret.data, list(visit_secrets),
                          only_while_open=True)
        enrolment.seen(device)
    response = redirect(url_for(".done", visit_id=result.visit_id))
    if result.secret:
        remember_visit(response, visit_secrets, result.visit_id, result.secret)
    enrolment.remember_device(response, enrolment.device_token(request))  # a year on
    return response


def _one_tap_page(location: EntryPoint, remembered: Remembered,
                  form: CheckInForm | None = None, busy: bool = False):
    form = with_visit_secret(form if form is not None else CheckInForm(formdata=None))
    return render_template("checkin/one_tap.html", form=form, location=location,
                           identity=remembered.identity, busy=busy, notice=_notice(busy),
                           **declaration_context())


def _record(location: EntryPoint, form: CheckInForm, visit_secrets: dict[int, str],
            remembered: Remembered | None, keep_profile: bool = False):
    """Store the visit, let this phone keep its secret, and remember (or forget) the visitor.
    A check-in for someone else leaves the phone's own remembered details alone unless that
    person asks to be remembered instead."""
    # A post without a well-formed secret (not from our page) is a new submission.
    secret = with_visit_secret(form).visit_secret.data
    with _checking_in(location):
        result = check_in(location, form.details(), secret, list(visit_secrets),
                          only_while_open=True)
    response = redirect(url_for(".done", visit_id=result.visit_id))
    if result.secret:
        remember_visit(response, visit_secrets, result.visit_id, result.secret)
    if form.remember.data:
        remember_profile(response, form.identity(), consent_version(), remembered)
    elif remembered and not keep_profile:
        forget_profile(response)
    return response


def _own_visit(visit_id: int) -> VisitPass:
    """The visit's pass, if this phone made the visit; anyone else gets a page saying so."""
    visit = read_pass(visit_id)
    secret = read_visit_secrets(request).get(visit_id)
    if visit is None or not holds_secret(visit, secret):
        abort(make_response(render_template("checkin/not_your_visit.html"), 403))
    return visit


def _stored(visit: VisitPass) -> Visit:
    """The visit itself, for a change the phone makes to it."""
    return db.session.get(Visit, visit.id)


def _done_page(visit: VisitPass, tap_again: bool = False):
    """The pass; its buttons carry the page's token (csrf_token(), as a form's field would:
    no form is built to show them)."""
    point, since, can_undo_move = presences.where_now(visit)
    visitor_declared, companions_declared = declared_by(visit) if visit.flagged else (False, [])
    context = {"visitor_declared": visitor_declared,
               "companions_declared": ", ".join(companions_declared),
               "location": find_by_id(visit.location_id),
               "now_at": find_by_id(point) if point is not None else None,
               "now_at_since": since, "can_undo_move": can_undo_move,
               "can_undo": can_undo_check_out(visit), "tap_again": tap_again,
               "notice": health_notice.health_notice()}
    if visit.is_open and not (visit.flagged or visit.party or point is not None or tap_again):
        page = pass_copies.plain_page(visit, context)  # nearly every pass: from a copy
        if page is not None:
            return page
    return render_template("checkin/done.html", visit=visit, **context)


@bp.get("/v/<id:visit_id>")
def done(visit_id: int):
    """The confirmation: name, entry point, time, and the check-out button.

    It does not depend on the entry point's token, so it keeps working after the entry point
    is closed or its QR code replaced.
    """
    return _done_page(_own_visit(visit_id))


@bp.post("/v/<id:visit_id>/checkout")
@csrf.exempt  # checked below, so a page left open all day gets a second tap, not an error page
@writes_late
def checkout(visit_id: int):
    """Check the visit out (once; again changes nothing) and show the confirmation."""
    visit = _own_visit(visit_id)
    if not CheckOutForm().validate_on_submit():
        return _done_page(visit, tap_again=True)
    check_out(_stored(visit), by=CheckoutReason.VISITOR)
    return redirect(url_for(".done", visit_id=visit.id))


@bp.post("/v/<id:visit_id>/still-here")
@csrf.exempt  # checked below, as for the check-out
@writes_late
def still_here(visit_id: int):
    """Undo a check-out made by mistake on this phone, within a minute of it."""
    return _from_the_phone(visit_id, lambda visit: undo_check_out(_stored(visit)))


@bp.post("/v/<id:visit_id>/here/<token>")
@csrf.exempt  # checked below, as for the check-out
@writes_late
def here(visit_id: int, token: str):
    """The party is at this inner point from now (its previous place ends now)."""
    location = active_location(token)
    return _from_the_phone(visit_id, lambda visit: location.is_inner
                           and presences.move(visit.id, location.id))


@bp.post("/v/<id:visit_id>/not-here")
@csrf.exempt  # checked below, as for the check-out
@writes_late
def not_here(visit_id: int):
    """Undo a move made by mistake on this phone, within a minute of it."""
    return _from_the_phone(visit_id, presences.undo_move)


def _from_the_phone(visit_id: int, change: Callable[[VisitPass], object]):
    """Make the change to the phone's own visit (its button's token checked), then show the
    confirmation."""
    visit = _own_visit(visit_id)
    if CheckOutForm().validate_on_submit():
        change(visit)
    return redirect(url_for(".done", visit_id=visit.id))


@bp.post("/c/<token>/forget")
@csrf.exempt  # it only deletes a cookie on the phone that sends it; nothing stored changes
def forget(token: str):
    """Remove the remembered details from this phone and show an empty form."""
    response = redirect(url_for(".form_page", token=token, new=1))
    forget_profile(response)
    return response
