"""The receptionist's dashboard: today's visits live, search, detail, check-out, manual entry."""

from __future__ import annotations

import json
import secrets
from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from .. import audit, clock, dashboard, locations
from ..cccd import CCCDError, parse_cccd
from ..checkin import check_in, check_out, correct_visit
from ..checkin_forms import MAX_COMPANIONS, declaration_context
from ..dashboard import VisitFilters
from ..dashboard_forms import CorrectionForm, StaffEntryForm
from ..extensions import db
from ..models import MAX_ID, CheckoutReason, Location, Visit
from ..normalise import parse_day, parse_moment, parse_whole_number
from ..tracing import DEFAULT_MIN_OVERLAP_MINUTES

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


def _day() -> date:
    """The day asked for (?day=YYYY-MM-DD), today by default."""
    raw = request.args.get("day", "")
    if raw:
        day = parse_day(raw)
        if day is not None:
            return day
        flash(_("%(day)s is not a date; showing today.", day=raw[:20]), "error")
    return clock.local_today()


def _id_arg(name: str) -> int | None:
    return parse_whole_number(request.args.get(name), MAX_ID) or None


def _filters() -> VisitFilters:
    location = _id_arg("location")
    return VisitFilters(location_id=location,
                        flagged_only=request.args.get("flagged") == "1",
                        inside_only=request.args.get("inside") == "1",
                        query=request.args.get("q", "")[:100])


def _query_args(day: date, filters: VisitFilters, **extra) -> dict:
    """The list's state as URL parameters, for links that keep it."""
    args = {"day": day.isoformat(), "location": filters.location_id or "",
            "flagged": "1" if filters.flagged_only else "", "inside": "1" if filters.inside_only
            else "", "q": filters.query, **extra}
    return {key: value for key, value in args.items() if value not in ("", None)}


def _list_context(day: date, filters: VisitFilters) -> dict:
    visits = dashboard.day_visits(day, filters)
    return {"day": day, "filters": filters, "visits": visits,
            "is_today": day == clock.local_today(),
            "counters": dashboard.counters(day), "more_args": _more_args(day, filters, visits),
            "since": (dashboard.last_change() or clock.utcnow()).isoformat(),
            "poll_seconds": dashboard.POLL_SECONDS}


def _more_args(day: date, filters: VisitFilters, visits: list[Visit]) -> dict | None:
    if len(visits) < dashboard.PAGE_SIZE:
        return None
    last = visits[-1]
    return _query_args(day, filters, before=f"{last.checked_in_at.isoformat()},{last.id}")


@bp.get("/")
def index():
    """Today's visits, newest first, with counters, filters and the hourly chart."""
    day, filters = _day(), _filters()
    context = _list_context(day, filters)
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "visit-list":
        return render_template("dashboard/_list.html", **context)
    return render_template("dashboard/index.html", locations=locations.listed(),
                           arrivals=dashboard.arrivals_per_hour(day), **context)


@bp.get("/more")
def more():
    """The next (older) rows of the list."""
    day, filters = _day(), _filters()
    raw_at, _comma, raw_id = request.args.get("before", "").rpartition(",")
    at, visit_id = parse_moment(raw_at), parse_whole_number(raw_id, MAX_ID)
    if at is None or visit_id is None:
        abort(400)
    visits = dashboard.day_visits(day, filters, before=(at, visit_id))
    return render_template("dashboard/_more.html", visits=visits, day=day,
                           is_today=day == clock.local_today(),
                           more_args=_more_args(day, filters, visits))


@bp.get("/changes")
def changes():
    """The poll: 204 when nothing changed; else the fresh first page, counters and alerts."""
    since = parse_moment(request.args.get("since"))
    if since is None:
        abort(400)
    if _day() != clock.local_today():  # past midnight: today is a new page
        return Response(status=204, headers={"HX-Refresh": "true"})
    latest = dashboard.last_change()
    recent = clock.utcnow() - dashboard.CHANGE_OVERLAP
    if latest is None or (latest <= since and since < recent):
        return Response(status=204)
    day, filters = clock.local_today(), _filters()
    context = _list_context(day, filters)
    shown = {visit.id for visit in context["visits"]}
    changed = dashboard.changed_since(since, day, filters)
    # Whatever the list is filtered to, and within the look-back window too: a flagged visit
    # committed late must still alert.
    flagged = [v for v in dashboard.changed_since(since, day, VisitFilters(flagged_only=True))
               if v.is_open and v.checked_in_at > since - dashboard.CHANGE_OVERLAP]
    response = make_response(render_template(
        "dashboard/_changes.html", changed_elsewhere=[v for v in changed if v.id not in shown],
        newly_flagged=flagged, arrivals=dashboard.arrivals_per_hour(day), **context))
    if flagged:  # the page beeps once per visit it has not alerted on yet
        response.headers["HX-Trigger"] = json.dumps(
            {"flagged-checkin": {"ids": [visit.id for visit in flagged]}})
    return response


def _visit(visit_id: int) -> Visit:
    return db.get_or_404(Visit, visit_id)


@bp.get("/visits/<id:visit_id>")
def visit(visit_id: int):
    """Every answer of one visit, its companions and corrections."""
    found = _visit(visit_id)
    audit.record_now("visit_view", {"visit": visit_id})
    return _visit_page(found, CorrectionForm(formdata=None, full_name=found.full_name,
                                             phone=found.phone))


def _visit_page(found: Visit, form: CorrectionForm, status: int = 200):
    return render_template("dashboard/visit.html", visit=found, form=form,
                           default_min_overlap=DEFAULT_MIN_OVERLAP_MINUTES,
                           **declaration_context()), status


@bp.post("/visits/<id:visit_id>/checkout")
def checkout(visit_id: int):
    """Check a visit out at reception (once; again changes nothing)."""
    found = _visit(visit_id)
    check_out(found, by=CheckoutReason.STAFF)
    if request.headers.get("HX-Request"):
        day = clock.to_local(found.checked_in_at).date()
        return render_template("dashboard/_row_checked_out.html", visit=found,
                               is_today=day == clock.local_today(),
                               counters=dashboard.counters(day))
    flash(_("%(name)s checked out.", name=found.full_name), "success")
    return redirect(request.referrer if (request.referrer or "").startswith(request.host_url)
                    else url_for(".visit", visit_id=found.id))


@bp.post("/visits/<id:visit_id>/correct")
def correct(visit_id: int):
    """Correct a typo in the name or phone; who and when is kept with the visit."""
    found = _visit(visit_id)
    form = CorrectionForm()
    if form.validate_on_submit():
        changed = correct_visit(found, current_user, form.full_name.data, form.phone.data)
        flash(_("Saved.") if changed else _("Nothing changed."), "success")
        return redirect(url_for(".visit", visit_id=found.id))
    return _visit_page(found, form, 400)


@bp.route("/new", methods=["GET", "POST"])
def new_visit():
    """Manual entry for a visitor without a smartphone; a CCCD scan fills the identity."""
    open_locations = locations.listed(active_only=True)
    form = StaffEntryForm()
    form.location_id.choices = [SelectChoice(loc.id, loc.name) for loc in open_locations]
    if not form.visit_secret.data:
        form.visit_secret.data = secrets.token_urlsafe(32)
    filled = False
    if request.method == "POST":
        if form.cccd.data and ("fill_cccd" in request.form or not form.full_name.data):
            filled = _fill_from_cccd(form)
        elif "add_companion" in request.form:
            if len(form.companions) < MAX_COMPANIONS:
                form.companions.append_entry()
        elif form.validate():
            location = db.session.get(Location, form.location_id.data)
            result = check_in(location, form.details(), form.visit_secret.data, [],
                              entered_by=current_user)
            flash(_("%(name)s checked in at %(place)s.", name=result.visit.full_name,
                    place=location.name), "success")
            return redirect(url_for(".new_visit", location=location.id))
    else:
        form.location_id.data = _id_arg("location") or (
            open_locations[0].id if open_locations else None)
    return render_template("dashboard/new.html", form=form, filled=filled,
                           no_locations=not open_locations, **declaration_context())


def _fill_from_cccd(form: StaffEntryForm) -> bool:
    """Fill the identity from the scanned CCCD text; malformed text fills nothing."""
    try:
        card = parse_cccd(form.cccd.data)
    except CCCDError:
        form.cccd.errors = [_("This is not the text of a CCCD QR code. Scan the code on the "
                              "card again, or type the details.")]
        return False
    form.full_name.data, form.id_number.data = card.full_name, card.id_number
    form.birth_year.data, form.gender.data = str(card.birth_year), card.gender
    form.street.data = card.address
    if card.province:
        form.province.data = card.province
    form.cccd.data = ""
    return True


@bp.get("/inside")
def inside():
    """Everyone not yet checked out: the roll call for an evacuation (printable)."""
    visits = dashboard.still_inside()
    people = sum(1 + len(v.companions) for v in visits)
    return render_template("dashboard/inside.html", visits=visits, people=people,
                           now=clock.utcnow())
