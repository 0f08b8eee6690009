"""The responses that hand a file to the browser (the export and a trace)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO

from flask import Response, send_file

from .export_files import CSV_MIMETYPE, XLSX_MIMETYPE


def csv_download(chunks: Iterable[bytes], name: str) -> Response:
    """A CSV file sent as it is written."""
    response = Response(chunks, mimetype=CSV_MIMETYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def xlsx_download(workbook: IO[bytes], name: str) -> Response:
    """A finished XLSX workbook."""
    return send_file(workbook, mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=name)
