"""Admin: the daily list for the district health centre, as CSV or XLSX."""

from __future__ import annotations

from collections.abc import Iterator

from flask import (
    Blueprint,
    Response,
    current_app,
    render_template,
    request,
    stream_with_context,
)
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from ..admin import entry_points
from ..reports import daily_file, export, export_files
from ..reports.downloads import csv_download, xlsx_download
from ..reports.export_forms import ExportForm
from ..store import audit

bp = Blueprint("export", __name__, url_prefix="/admin")


def _export_form() -> ExportForm:
    form = ExportForm(request.args)
    form.location.choices = [("", _("All entry points"))] + [
        (str(place.id), place.name) for place in entry_points.listed()]
    return form


@bp.get("/export")
def index():
    """Choose the days, the entry point and the format of the list to download."""
    return render_template("export/index.html", form=_export_form())


@bp.get("/export/download")
def download():
    """The list of everyone who checked in on the chosen days, one row per person."""
    form = _export_form()
    if not form.validate():
        return render_template("export/index.html", form=form), 400
    if request.method == "HEAD":  # nothing is exported, nothing to record
        return Response(mimetype=export_files.mimetype(form.format.data))
    start, end = form.days
    event_id = audit.record_now("export", {
        "from": start.isoformat(), "to": end.isoformat(), "location": form.location_id,
        "format": form.format.data})
    statement = export.range_query(start, end, form.location_id)
    name = export.file_name("", start, end, form.format.data)
    if form.format.data == "xlsx":
        workbook, people = daily_file.workbook(start, end, form.location_id)
        audit.set_rows(event_id, people.count)
        return xlsx_download(workbook, name)

    def body() -> Iterator[bytes]:
        people = export.PersonRows()
        yield from export_files.csv_chunks(export.COLUMNS,
                                           people.rows(export.stream_query(statement)))
        # Reached when the server asks for more after the last chunk went out: an interrupted
        # download keeps no count. Nothing may fail the download from here.
        try:
            audit.set_rows(event_id, people.count)
        except SQLAlchemyError:
            current_app.logger.exception("could not record the row count of export %d", event_id)

    return csv_download(stream_with_context(body()), name)
