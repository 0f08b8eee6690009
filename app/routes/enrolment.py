"""An employee's phone: enrolled once from a printed sheet's QR code, or at the gate with the
employee code and the last digits of the phone number. No login."""

from __future__ import annotations

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..checkin.scan import active_location
from ..employees import enrolment
from ..employees.enrolment_forms import DigitsEnrolmentForm
from ..extensions import db
from ..store import audit, clock
from ..web.form_fields import ActionForm
from ..web.redirects import local_path

bp = Blueprint("enrolment", __name__)


def _enrolled(employee, token: str, via: str, then: str):
    """The new phone and its audit entry, stored together; the phone keeps its token."""
    audit.record("employee_enrol", {"employee": employee.id, "via": via}, user=None)
    db.session.commit()
    response = redirect(then)
    enrolment.remember_device(response, token)
    return response


@bp.route("/e", methods=["GET", "POST"])
def by_sheet():
    """A personal enrolment QR code from the printed sheet: enrol this phone (on the button,
    so that a link preview does not use the code up). The code travels in the query string,
    which no access log keeps."""
    code = request.args.get("code", "")[:64]
    employee = enrolment.code_holder(code) if code else None
    if employee is None:
        return render_template("enrolment/invalid.html"), 410
    form = ActionForm()
    if form.validate_on_submit():
        found = enrolment.enrol_with_code(code, employee)
        if found is None:
            return render_template("enrolment/invalid.html"), 410
        return _enrolled(*found, via="sheet", then=url_for(".enrolled"))
    return render_template("enrolment/confirm.html", employee=employee, form=form)


@bp.route("/c/<token>/employee", methods=["GET", "POST"])
def at_the_gate(token: str):
    """"Tôi là nhân viên": enrol this phone with the code and the last 4 digits."""
    location = active_location(token)
    form = DigitsEnrolmentForm()
    message, status = None, 200
    if form.validate_on_submit():
        try:
            found = enrolment.enrol_with_digits(form.code.data, form.last_digits.data,
                                                request.remote_addr or "")
        except enrolment.Throttled as throttled:
            address = request.remote_addr or ""
            if not audit.refusal_recorded(None, address, "employee_enrol_refused"):
                audit.record("employee_enrol_refused", {"until": throttled.until.isoformat()},
                             user=None)  # once per lockout: an admin sees the guessing
                db.session.commit()
            message = _("Too many wrong tries. Try again after %(time)s, or ask the staff at "
                        "the entrance.", time=clock.to_local(throttled.until).strftime(
                            "%H:%M %d/%m"))
            status = 429
        else:
            if found is not None:
                return _enrolled(*found, via="code",
                                 then=url_for("checkin.form_page", token=location.token))
            # The same words whichever part was wrong.
            message, status = _("The employee code or the last 4 digits are not right."), 200
    return render_template("enrolment/at_the_gate.html", form=form, location=location,
                           message=message), status


@bp.get("/employee")
def enrolled():
    """This phone is enrolled: what to do from now on."""
    device = enrolment.device_of(request)
    if device is None:
        return redirect(url_for("checkin.index"))
    return render_template("enrolment/enrolled.html", employee=device.employee,
                           form=ActionForm())


@bp.post("/employee/forget")
def forget():
    """This phone is not (or no longer) this employee's: forget it, here and on the server."""
    form = ActionForm()
    if form.validate_on_submit():
        enrolment.revoke_this_phone(request)
    response = make_response(redirect(local_path(request.form.get("then"),
                                                 url_for("checkin.index"))))
    enrolment.forget_device(response)
    return response
