"""Personal data is kept for the retention period, then deleted."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete

from . import clock
from .extensions import db
from .models import LoginFailure, LoginSession, Visit


def purge() -> int:
    """Delete the visits (with their companions and corrections) older than RETENTION_DAYS,
    and sign-in records that have served their purpose. Returns how many visits went."""
    now = clock.utcnow()
    cutoff = now - timedelta(days=current_app.config["RETENTION_DAYS"])
    # Companions and corrections go with their visit (ON DELETE CASCADE).
    deleted = db.session.execute(delete(Visit).where(Visit.checked_in_at <= cutoff)).rowcount
    db.session.execute(delete(LoginSession).where(LoginSession.expires_at < now))
    db.session.execute(delete(LoginFailure).where(LoginFailure.at < now - timedelta(days=1)))
    db.session.commit()
    return deleted
