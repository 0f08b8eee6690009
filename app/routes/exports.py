"""Admin: the daily list for the district health centre, and contact tracing."""

from __future__ import annotations

from collections.abc import Iterator

from flask import (
    Blueprint,
    Response,
    current_app,
    render_template,
    request,
    send_file,
    stream_with_context,
)
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from .. import audit, clock, export, tracing
from ..database import reads_only
from ..export_forms import ExportForm, TraceForm
from ..extensions import db
from ..models import Location
from ..normalise import normalise_phone

bp = Blueprint("exports", __name__, url_prefix="/admin")

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _export_form() -> ExportForm:
    form = ExportForm(request.args)
    places = db.session.scalars(select(Location).order_by(Location.id))
    form.location.choices = [("", _("All entry points"))] + [
        (str(place.id), place.name) for place in places]
    return form


@bp.get("/export")
def export_page():
    """Choose the days, the entry point and the format of the list to download."""
    return render_template("exports/index.html", form=_export_form())


@bp.get("/export/download")
def export_download():
    """The list of everyone who checked in on the chosen days, one row per person."""
    form = _export_form()
    if not form.validate():
        return render_template("exports/index.html", form=form), 400
    if request.method == "HEAD":  # nothing is exported, nothing to record
        return Response(mimetype=XLSX_MIMETYPE if form.format.data == "xlsx" else "text/csv")
    start, end = form.days
    event_id = audit.record_now("export", {
        "from": start.isoformat(), "to": end.isoformat(), "location": form.location_id,
        "format": form.format.data})
    statement = export.range_query(start, end, form.location_id)
    name = export.file_name("", start, end, form.format.data)
    if form.format.data == "xlsx":
        people = export.PersonRows()
        workbook = export.write_xlsx(export.COLUMNS, people.rows(export.stream_query(statement)))
        audit.set_rows(event_id, people.count)
        return send_file(workbook, mimetype=XLSX_MIMETYPE, as_attachment=True,
                         download_name=name)

    def body() -> Iterator[bytes]:
        people = export.PersonRows()
        yield from export.csv_chunks(export.HEADER, people.rows(export.stream_query(statement)))
        # Reached when the server asks for more after the last chunk went out: an interrupted
        # download keeps no count. Nothing may fail the download from here.
        try:
            audit.set_rows(event_id, people.count)
        except SQLAlchemyError:
            current_app.logger.exception("could not record the row count of export %d", event_id)

    return _attachment(Response(stream_with_context(body()), mimetype="text/csv"), name)


def _attachment(response: Response, name: str) -> Response:
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- tracing ---------------------------------------------------------------------------------

def _trace(form: TraceForm) -> tracing.Trace | None:
    """Run the request in the form, or put what is wrong with it on the form."""
    if form.by.data == "visit":
        case = tracing.case_visit(int(form.visit.data))
        if case is None:
            form.visit.errors.append(_("There is no visit with this number. Visits are deleted "
                                       "after %(days)d days.",
                                       days=current_app.config["RETENTION_DAYS"]))
            return None
        if case.checkout_by == "replaced":
            form.visit.errors.append(_("This declaration was replaced by a corrected one: "
                                       "trace from the corrected visit."))
            return None
        cases = [case]
    else:
        start, end = form.days
        cases = tracing.cases_by_phone(normalise_phone(form.phone.data), start, end)
        if not cases:
            form.phone.errors.append(_("No visit with this phone number on these days."))
            return None
    return tracing.overlapping_visits(cases, int(form.minutes.data), form.any_location.data)


def _trace_details(form: TraceForm, trace: tracing.Trace) -> dict:
    """What was asked, for the audit log: the case's visit numbers, never its phone number."""
    details = {"by": form.by.data, "case_visits": [case.id for case in trace.cases],
               "min_minutes": trace.min_minutes, "any_location": trace.any_location}
    if form.by.data == "phone":
        start, end = form.days
        details.update({"from": start.isoformat(), "to": end.isoformat()})
    return details


@bp.route("/trace", methods=["GET", "POST"])
@reads_only
def trace_page():
    """Who was at the same place at the same time as a case, and for how long."""
    form = TraceForm()
    if request.method == "GET":
        return render_template("exports/trace.html", form=form, trace=None)
    if not form.validate_on_submit() or (trace := _trace(form)) is None:
        return render_template("exports/trace.html", form=form, trace=None), 400
    audit.record_now("trace", _trace_details(form, trace), rows=trace.people)
    return render_template("exports/trace.html", form=form, trace=trace)


@bp.post("/trace/download")
@reads_only
def trace_download():
    """The contacts found, in the export's format plus the overlap, as CSV or XLSX."""
    form = TraceForm()
    file_format = request.form.get("format")
    if (file_format not in ("csv", "xlsx") or not form.validate_on_submit()
            or (trace := _trace(form)) is None):
        return render_template("exports/trace.html", form=form, trace=None), 400
    rows = _trace_rows(trace)
    audit.record_now("trace_export", {**_trace_details(form, trace), "format": file_format},
                     rows=len(rows))
    first = min(clock.to_local(case.checked_in_at).date() for case in trace.cases)
    last = max(clock.to_local(case.checked_in_at).date() for case in trace.cases)
    name = export.file_name("truy-vet", first, last, file_format)
    columns = export.COLUMNS + export.OVERLAP_COLUMNS
    if file_format == "xlsx":
        return send_file(export.write_xlsx(columns, rows, "Truy vết"), mimetype=XLSX_MIMETYPE,
                         as_attachment=True, download_name=name)
    header = [name for name, _width in columns]
    return _attachment(Response(export.csv_chunks(header, rows), mimetype="text/csv"), name)


def _trace_rows(trace: tracing.Trace) -> list[list[str]]:
    """One row per person: the case's companions (who came with the case), then the contacts
    with their companions, longest overlap first. A trace is small: it is read whole."""
    extra: dict[int, tuple[str, str]] = {}
    for case in trace.cases:
        start, end = trace.stay(case)
        extra[case.id] = (str(int((end - start).total_seconds() // 60)), str(case.id))
    for contact in trace.contacts:
        extra[contact.visit.id] = (str(contact.overlap_minutes), str(contact.case_visit_id))
    by_visit: dict[int, list[tuple]] = {}
    for row in db.session.execute(export.visits_query(extra)):
        by_visit.setdefault(row[0], []).append(row)
    ordered = [row for visit_id in extra for row in by_visit.get(visit_id, [])]
    return list(export.PersonRows().rows(ordered, extra,
                                         skip_visitor={case.id for case in trace.cases}))
