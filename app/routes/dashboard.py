"""The receptionist's dashboard: today's visits live, search, detail, check-out, corrections."""

from __future__ import annotations

import json
from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from ..admin import entry_points
from ..checkin.visits import check_out, correct_visit, undo_check_out
from ..desk import alerts, day_list
from ..desk.day_list import VisitFilters
from ..desk.day_list_forms import CorrectionForm
from ..desk.visit_page import visit_page
from ..extensions import db
from ..store import audit, clock
from ..store.models import MAX_ID, CheckoutReason, Decision, Visit, VisitSource
from ..store.normalise import parse_day, parse_moment, parse_whole_number
from ..web.templating import label

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
bp.add_app_template_filter(day_list.cursor, "list_cursor")


@bp.app_template_global()
def desk_words() -> dict:
    """What every row of the list and every alert repeats (words, the CSRF token), worked
    out once per request: a busy day's page has dozens of each."""
    if "desk_words" not in g:
        g.desk_words = {
            "check_out": _("Check out"), "undo": _("Undo"), "flagged": _("Flagged"),
            "employee": _("Employee"),
            "auto": _("auto"), "temperature": _("Temperature (°C)"), "note": _("Note"),
            "decisions": [(decision.value, str(label(decision))) for decision in Decision],
            "decided": {decision: str(label(decision)) for decision in Decision},
            "sources": {source: str(label(source)) for source in VisitSource},
            "csrf": generate_csrf()}
    return g.desk_words


# A number no visit has yet (below MAX_ID), put into a URL once per request and endpoint;
# each row's own number replaces it.
_SOME_VISIT = 2_000_000_001


@bp.app_template_global()
def visit_url(endpoint: str, visit_id: int) -> str:
    """url_for(endpoint, visit_id=visit_id), for the rows of a busy page: the URL is built
    once per request and endpoint, and each row's number is put into it."""
    built = g.setdefault("visit_urls", {})
    if endpoint not in built:
        built[endpoint] = url_for(endpoint, visit_id=_SOME_VISIT).partition(str(_SOME_VISIT))
    before, _mark, after = built[endpoint]
    return f"{before}{visit_id}{after}"


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


def _who() -> str:
    """Whose visits the list shows: as chosen, else the visitors, but a search finds anyone
    (an employee by their code, too)."""
    chosen = request.args.get("who", "")
    if chosen in (day_list.VISITORS, day_list.EMPLOYEES, day_list.EVERYONE):
        return chosen
    return day_list.EVERYONE if request.args.get("q", "").strip() else day_list.VISITORS


def _filters() -> VisitFilters:
    location = _id_arg("location")
    return VisitFilters(location_id=location,
                        flagged_only=request.args.get("flagged") == "1",
                        inside_only=request.args.get("inside") == "1",
                        query=request.args.get("q", "")[:100], who=_who())


def _query_args(day: date, filters: VisitFilters, **extra) -> dict:
    """The list's state as URL parameters, for links that keep it."""
    chosen = request.args.get("who", "")
    args = {"day": day.isoformat(), "location": filters.location_id or "",
            "flagged": "1" if filters.flagged_only else "", "inside": "1" if filters.inside_only
            else "", "q": filters.query,
            "who": chosen if chosen in (day_list.EMPLOYEES, day_list.EVERYONE) else "",
            **extra}
    return {key: value for key, value in args.items() if value not in ("", None)}


def _day_context(day: date) -> dict:
    """What the list's rows need to know of their day."""
    return {"day": day, "is_today": day == clock.local_today(),
            "undo_seconds": day_list.UNDO_SECONDS}


def _desk_context(day: date, with_alerts: bool = True) -> dict:
    """The day, with what the counters (and unless told otherwise the alert panel) show."""
    context = _day_context(day) | {"counters": day_list.counters(day)}
    if with_alerts:
        context["alerts"] = alerts.waiting(day) if context["is_today"] else []
    return context


def _list_context(day: date, filters: VisitFilters, whole_page: bool = True) -> dict:
    """The list; with the counters and the alert panel for the whole page (a filter's answer
    replaces the list alone)."""
    visits = day_list.day_visits(day, filters)
    return {"filters": filters, "visits": visits, "more_args": _more_args(day, filters, visits),
            "since": (day_list.last_change() or clock.utcnow()).isoformat(),
            "poll_seconds": day_list.POLL_SECONDS,
            **(_desk_context(day) if whole_page else _day_context(day))}


def _more_args(day: date, filters: VisitFilters, visits: list[Visit]) -> dict | None:
    if len(visits) < day_list.PAGE_SIZE:
        return None
    return _query_args(day, filters, before=day_list.cursor(visits[-1]))


@bp.get("/")
def index():
    """Today's visits, newest first, with counters, alerts, filters and the hourly chart."""
    day, filters = _day(), _filters()
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "visit-list":
        return render_template("dashboard/_list.html",
                               **_list_context(day, filters, whole_page=False))
    return render_template("dashboard/index.html", locations=entry_points.listed(),
                           **_list_context(day, filters))


@bp.get("/chart")
def chart():
    """Arrivals per hour, fetched when the folded chart is first opened (and then sent with
    the poll's changes): the busy first page does without it."""
    day = _day()
    template = ("dashboard/_chart.html" if request.headers.get("HX-Request")
                else "dashboard/chart.html")
    return render_template(template, day=day, arrivals=day_list.arrivals_per_hour(day))


@bp.get("/more")
def more():
    """The next (older) rows of the list, continuing exactly after the last one shown."""
    day, filters = _day(), _filters()
    before = day_list.parse_cursor(request.args.get("before"))
    if before is None:
        abort(400)
    visits = day_list.day_visits(day, filters, before=before)
    return render_template("dashboard/_more.html", visits=visits, day=day,
                           is_today=day == clock.local_today(),
                           more_args=_more_args(day, filters, visits))


@bp.get("/changes")
def changes():
    """The poll: 204 when nothing changed; else the rows that changed or arrived (from the
    oldest row the page shows, `floor`), the rows that left the list, counters and alerts."""
    since = parse_moment(request.args.get("since"))
    if since is None:
        abort(400)
    if _day() != clock.local_today():  # past midnight: today is a new page
        return Response(status=204, headers={"HX-Refresh": "true"})
    latest = day_list.last_change()
    recent = clock.utcnow() - day_list.CHANGE_OVERLAP
    if latest is None or (latest <= since and since < recent):
        return Response(status=204)
    day, filters = clock.local_today(), _filters()
    floor = day_list.parse_cursor(request.args.get("floor"))
    changed_ids = day_list.changed_after(since)
    changed = day_list.changed_visits(changed_ids, day, filters, floor)
    gone = day_list.changed_of_day(changed_ids, day, floor) - {visit.id for visit in changed}
    # Whatever the list is filtered to, and within the look-back window too: a flagged visit
    # committed late must still alert.
    flagged = day_list.newly_flagged(changed_ids, day, since)
    chart = request.args.get("chart") == "1"  # the page shows the chart
    response = make_response(render_template(
        "dashboard/_changes.html", changed=changed, gone=sorted(gone), since=latest.isoformat(),
        poll_seconds=day_list.POLL_SECONDS,
        arrivals=day_list.arrivals_per_hour(day) if chart else None, **_desk_context(day)))
    if flagged:  # the page beeps once per visit it has not alerted on yet
        response.headers["HX-Trigger"] = json.dumps(
            {"flagged-checkin": {"ids": flagged}})
    return response


def _visit(visit_id: int) -> Visit:
    return db.get_or_404(Visit, visit_id)


@bp.get("/visits/<id:visit_id>")
def visit(visit_id: int):
    """Every answer of one visit, its companions, corrections and the gate's decision."""
    found = _visit(visit_id)
    audit.record_now("visit_view", {"visit": visit_id})
    return visit_page(found)


def _row_response(found: Visit, undo: bool = False, notice: str = ""):
    """A row of today's list after a change made from it, with the counters."""
    day = clock.to_local(found.checked_in_at).date()
    return render_template("dashboard/_row_changed.html", visit=day_list.DeskRow.of(found),
                           undo=undo, notice=notice, **_desk_context(day, with_alerts=False))


@bp.post("/visits/<id:visit_id>/checkout")
def checkout(visit_id: int):
    """Check a visit out at reception (once; again changes nothing). From the list, the row
    offers to undo it for a few seconds instead of asking first."""
    found = _visit(visit_id)
    check_out(found, by=CheckoutReason.STAFF)
    if request.headers.get("HX-Request"):
        return _row_response(found, undo=found.checkout_by == CheckoutReason.STAFF)
    flash(_("%(name)s checked out.", name=found.full_name), "success")
    return redirect(request.referrer if (request.referrer or "").startswith(request.host_url)
                    else url_for(".visit", visit_id=found.id))


@bp.post("/visits/<id:visit_id>/undo-checkout")
def undo_checkout(visit_id: int):
    """Reopen a visit checked out at reception by mistake, within a few seconds."""
    found = _visit(visit_id)
    undone = undo_check_out(found, CheckoutReason.STAFF, day_list.UNDO_ACCEPTED)
    late = "" if undone else _("Too late to undo: the check-out stands.")
    if request.headers.get("HX-Request"):
        return _row_response(found, notice=late)
    flash(late or _("%(name)s is inside again.", name=found.full_name),
          "error" if late else "success")
    return redirect(url_for(".visit", visit_id=found.id))


@bp.post("/visits/<id:visit_id>/correct")
def correct(visit_id: int):
    """Correct a typo in the name or phone; who and when is kept with the visit."""
    found = _visit(visit_id)
    form = CorrectionForm()
    if form.validate_on_submit():
        changed = correct_visit(found, current_user, form.full_name.data, form.phone.data)
        flash(_("Saved.") if changed else _("Nothing changed."), "success")
        return redirect(url_for(".visit", visit_id=found.id))
    return visit_page(found, correction=form, status=400)


@bp.get("/inside")
def inside():
    """Everyone not yet checked out: the roll call for an evacuation (printable)."""
    groups = day_list.still_inside()
    visits = [visit for _point, group in groups for visit in group]
    people = sum(1 + len(v.companions) for v in visits)
    employees = sum(1 for v in visits if v.is_employee)
    return render_template("dashboard/inside.html", groups=groups, people=people,
                           employees=employees, now=clock.utcnow())
