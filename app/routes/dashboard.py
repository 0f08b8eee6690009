"""The staff home: today's figures at a glance."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from .. import clock
from ..extensions import db
from ..models import Visit

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


@bp.get("/")
def index():
    """Today: visits, people inside now, flagged visits."""
    start, end = clock.local_day_bounds(clock.local_today())
    today = (Visit.checked_in_at >= start) & (Visit.checked_in_at < end) & Visit.counted()
    visits_today, inside, flagged = db.session.execute(select(
        func.count(Visit.id),
        func.count(Visit.id).filter(Visit.checked_out_at.is_(None)),
        func.count(Visit.id).filter(Visit.flagged.is_(True)),
    ).where(today)).one()
    return render_template("dashboard/index.html", visits_today=visits_today, inside=inside,
                           flagged=flagged, today=clock.local_today())
