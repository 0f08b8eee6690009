"""Personal data is kept for the retention period, then deleted; the audit log, longer."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete

from . import audit, clock
from .extensions import db
from .models import (
    AuditEvent,
    Employee,
    EnrolmentCode,
    LoginFailure,
    LoginSession,
    Visit,
)


def purge() -> int:
    """Delete the visits (with their companions and corrections) older than RETENTION_DAYS,
    employees deactivated longer ago than that, sign-in records and enrolment codes that have
    served their purpose, and audit entries older than AUDIT_RETENTION_DAYS. Returns how many
    visits went."""
    now = clock.utcnow()
    cutoff = now - timedelta(days=current_app.config["RETENTION_DAYS"])
    # Companions and corrections go with their visit (ON DELETE CASCADE).
    deleted = db.session.execute(delete(Visit).where(Visit.checked_in_at <= cutoff)).rowcount
    # A deactivated employee's register entry (and phones) go after the same period; unused
    # enrolment codes when they expire.
    db.session.execute(delete(Employee).where(Employee.active.is_(False),
                                              Employee.deactivated_at <= cutoff))
    db.session.execute(delete(EnrolmentCode).where(EnrolmentCode.expires_at < now))
    db.session.execute(delete(LoginSession).where(LoginSession.expires_at < now))
    db.session.execute(delete(LoginFailure).where(LoginFailure.at < now - timedelta(days=1)))
    audit_cutoff = now - timedelta(days=current_app.config["AUDIT_RETENTION_DAYS"])
    db.session.execute(delete(AuditEvent).where(AuditEvent.at < audit_cutoff))
    if deleted:
        audit.record_purge(deleted)
    db.session.commit()
    return deleted
