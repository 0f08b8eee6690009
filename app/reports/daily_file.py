"""The list for the health centre as an XLSX workbook: the people, the summary of each day
at each entry point and, when someone moved, their moves. The export page's download and the
daily delivery (app.reports.delivery) both send this file."""

from __future__ import annotations

import itertools
from datetime import date
from typing import IO

from . import export, export_files


def workbook(start: date, end: date,
             location_id: int | None = None) -> tuple[IO[bytes], export.PersonRows]:
    """The workbook of these days (at one entry point, or all), written to a temporary file,
    and its people's rows (how many it lists: `.count`)."""
    people = export.PersonRows()
    moves = export.movement_rows(start, end, location_id)
    first_move = next(moves, None)  # a sheet of moves only when someone moved
    summary = (export.SUMMARY_TITLE, export.SUMMARY_COLUMNS,
               export.summary_rows(start, end, location_id))
    written = export_files.write_xlsx(
        export.COLUMNS,
        people.rows(export.stream_query(export.range_query(start, end, location_id))),
        more=[summary] + ([] if first_move is None else [
            (export.MOVES_TITLE, export.MOVE_COLUMNS, itertools.chain([first_move], moves))]),
        highlight=export.is_flagged_row)
    return written, people


def day_xlsx(day: date) -> tuple[bytes, int]:
    """The day's XLSX (every entry point), and how many people it lists."""
    written, people = workbook(day, day)
    with written:
        return written.read(), people.count
