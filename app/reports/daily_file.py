"""One day's list of every entry point as the export's XLSX, in memory: the file the daily
delivery sends (app.reports.delivery). The same workbook as the export page's download."""

from __future__ import annotations

import itertools
from datetime import date

from . import export, export_files


def day_xlsx(day: date) -> tuple[bytes, int]:
    """The day's XLSX (every entry point), and how many people it lists."""
    people = export.PersonRows()
    moves = export.movement_rows(day, day)
    first_move = next(moves, None)  # a sheet of moves only when someone moved
    with export_files.write_xlsx(
            export.COLUMNS, people.rows(export.stream_query(export.range_query(day, day))),
            more=[] if first_move is None else [
                (export.MOVES_TITLE, export.MOVE_COLUMNS, itertools.chain([first_move], moves))]
    ) as workbook:
        return workbook.read(), people.count
