"""Admin: contact tracing, on screen and as CSV or XLSX."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _

from ..reports import export, export_files, tracing
from ..reports.downloads import csv_download, xlsx_download
from ..reports.tracing_forms import TraceForm
from ..store import audit, clock
from ..store.database import reads_only
from ..store.normalise import normalise_code, normalise_phone

bp = Blueprint("tracing", __name__, url_prefix="/admin")


def _trace(form: TraceForm) -> tracing.Trace | None:
    """Run the request in the form, or put what is wrong with it on the form."""
    if form.by.data == "visit":
        case = tracing.case_visit(int(form.visit.data))
        if case is None:
            form.visit.errors.append(_("There is no visit with this number. Visits are deleted "
                                       "after %(days)d days.",
                                       days=current_app.config["RETENTION_DAYS"]))
            return None
        if case.is_replaced:
            form.visit.errors.append(_("This declaration was replaced by a corrected one: "
                                       "trace from the corrected visit."))
            return None
        cases = [case]
    elif form.by.data == "employee":
        start, end = form.days
        cases = tracing.cases_by_employee(normalise_code(form.code.data), start, end)
        if not cases:
            form.code.errors.append(_("No visit with this employee code on these days."))
            return None
    else:
        start, end = form.days
        cases = tracing.cases_by_phone(normalise_phone(form.phone.data), start, end)
        if not cases:
            form.phone.errors.append(_("No visit with this phone number on these days."))
            return None
    return tracing.overlapping_visits(cases, int(form.minutes.data), form.any_location.data)


def _trace_details(form: TraceForm, trace: tracing.Trace) -> dict:
    """What was asked, for the audit log: the case's visit numbers, never its phone number or
    employee code."""
    details = {"by": form.by.data, "case_visits": [case.id for case in trace.cases],
               "min_minutes": trace.min_minutes, "any_location": trace.any_location}
    if form.by.data in ("phone", "employee"):
        start, end = form.days
        details.update({"from": start.isoformat(), "to": end.isoformat()})
    return details


@bp.route("/trace", methods=["GET", "POST"])
@reads_only
def index():
    """Who was at the same place at the same time as a case, and for how long."""
    form = TraceForm()
    if request.method == "GET":
        return render_template("tracing/index.html", form=form, trace=None)
    if not form.validate_on_submit() or (trace := _trace(form)) is None:
        return render_template("tracing/index.html", form=form, trace=None), 400
    audit.record_now("trace", _trace_details(form, trace), rows=trace.people)
    return render_template("tracing/index.html", form=form, trace=trace)


@bp.post("/trace/download")
@reads_only
def download():
    """The contacts found, in the export's format plus the overlap, as CSV or XLSX."""
    form = TraceForm()
    file_format = request.form.get("format")
    if (file_format not in ("csv", "xlsx") or not form.validate_on_submit()
            or (trace := _trace(form)) is None):
        return render_template("tracing/index.html", form=form, trace=None), 400
    rows = export.trace_rows(trace)
    audit.record_now("trace_export", {**_trace_details(form, trace), "format": file_format},
                     rows=len(rows))
    first = min(clock.to_local(case.checked_in_at).date() for case in trace.cases)
    last = max(clock.to_local(case.checked_in_at).date() for case in trace.cases)
    name = export.file_name("truy-vet", first, last, file_format)
    columns = export.COLUMNS + export.OVERLAP_COLUMNS
    if file_format == "xlsx":
        return xlsx_download(export_files.write_xlsx(columns, rows, "Truy vết",
                                                     highlight=export.is_flagged_row), name)
    return csv_download(export_files.csv_chunks(columns, rows), name)
