"""Staff entry at the desk: a visitor without a smartphone (a CCCD scan fills the identity),
a paper slip typed in afterwards, and the blank slip to print when phones fail."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ..admin import entry_points
from ..checkin.forms import MAX_COMPANIONS, declaration_context
from ..checkin.scan import with_visit_secret
from ..checkin.visits import check_in
from ..desk import day_list
from ..desk.entry_forms import PaperEntryForm, StaffEntryForm
from ..extensions import db
from ..store import clock
from ..store.database import reads_only
from ..store.models import MAX_ID, Location, Visit
from ..store.normalise import parse_whole_number

bp = Blueprint("entry", __name__, url_prefix="/dashboard")


def _already_inside(form: StaffEntryForm) -> list[Visit]:
    """Today's visits not checked out with the phone or ID number typed on the form."""
    phone, id_number = form.person()
    return day_list.open_visits_of(phone, id_number, clock.local_today())


def _enter(form: StaffEntryForm, template_args: dict):
    """Show the form, act on its extra buttons, or check the visitor in and start again."""
    open_locations = entry_points.listed(active_only=True)
    form.location_id.choices = [SelectChoice(loc.id, loc.name) for loc in open_locations]
    with_visit_secret(form)
    filled = False
    if request.method == "POST":
        if form.cccd.data and ("fill_cccd" in request.form or not form.full_name.data):
            filled = form.fill_from_cccd()
        elif "add_companion" in request.form:
            if len(form.companions) < MAX_COMPANIONS:
                form.companions.append_entry()
        elif form.validate():
            return _check_in(form)
    else:
        chosen = parse_whole_number(request.args.get("location"), MAX_ID)
        form.location_id.data = chosen or (open_locations[0].id if open_locations else None)
    inside = _already_inside(form) if request.method == "POST" else []
    return render_template("entry/new.html", form=form, filled=filled, inside=inside,
                           open_locations=open_locations, **template_args,
                           **declaration_context())


def _check_in(form: StaffEntryForm):
    location = db.session.get(Location, form.location_id.data)
    inside = _already_inside(form)
    paper = isinstance(form, PaperEntryForm)
    result = check_in(location, form.details(), form.visit_secret.data, [],
                      entered_by=current_user, slip=form.slip_times() if paper else None)
    visit = result.visit
    if paper:
        flash(_("Slip saved: %(name)s, %(place)s, %(times)s.", name=visit.full_name,
                place=location.name, times=_times(visit)), "success")
    else:
        flash(_("%(name)s checked in at %(place)s.", name=visit.full_name,
                place=location.name), "success")
    for earlier in inside:
        if earlier.id != visit.id:
            flash(_("%(name)s was already inside: checked in at %(time)s, %(place)s (visit "
                    "%(id)d).", name=earlier.full_name, id=earlier.id, place=earlier.location.name,
                    time=clock.to_local(earlier.checked_in_at).strftime("%H:%M")), "warning")
    if paper:
        return redirect(url_for(".paper_visit", location=location.id, day=form.day.data))
    return redirect(url_for(".new_visit", location=location.id))


def _times(visit: Visit) -> str:
    came = clock.to_local(visit.checked_in_at).strftime("%H:%M %d/%m/%Y")
    if visit.checked_out_at is None:
        return came
    return f"{came} – {clock.to_local(visit.checked_out_at).strftime('%H:%M')}"


@bp.route("/new", methods=["GET", "POST"])
def new_visit():
    """Manual entry for a visitor without a smartphone; a CCCD scan fills the identity."""
    return _enter(StaffEntryForm(), {"paper": False})


@bp.route("/paper", methods=["GET", "POST"])
def paper_visit():
    """A paper slip typed in, with the times written on it."""
    form = PaperEntryForm()
    if request.method == "GET" and request.args.get("day"):
        form.day.data = request.args["day"][:10]
    return _enter(form, {"paper": True})


@bp.post("/new/inside")
@reads_only
def inside_check():
    """Whether the phone or ID number typed on the entry form is already inside today (a
    warning, not a refusal). Posted, to keep the numbers out of URLs and logs."""
    form = StaffEntryForm()
    return render_template("entry/_inside.html", inside=_already_inside(form))


@bp.get("/paper/slip/<id:location_id>")
def slip(location_id: int):
    """Two blank declaration slips on an A4 sheet, for an entry point whose phones or network
    have failed."""
    location = db.get_or_404(Location, location_id)
    return render_template("entry/slip.html", location=location, **declaration_context())
