"""The audit log: who exported, traced, viewed, signed in or changed what, and when.

Entries hold ids, dates, parameters and counts, never a visitor's name, phone or ID number.
They cannot be changed or deleted from the application; the purge removes them after
AUDIT_RETENTION_DAYS.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app, has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..extensions import db
from . import clock
from .models import AuditEvent, User

# Every detail's name on the admin's page (app.admin.audit_details shows them).
DETAIL_LABELS = {
    "account": _l("Account"),
    "any_location": _l("Contacts at any entry point"),
    "attempt": _l("Try"),
    "backups_deleted": _l("Backups deleted"),
    "by": _l("Started from"),
    "case_visits": _l("The case's visits"),
    "day": _l("Day"),
    "decision": _l("Decision"),
    "device": _l("Phone (device no.)"),
    "employee": _l("Employee"),
    "employees": _l("Employees on the sheet"),
    "enabled": _l("Switched on"),
    "fields": _l("Fields corrected"),
    "file": _l("File"),
    "format": _l("Format"),
    "from": _l("From"),
    "kind": _l("Kind"),
    "known_account": _l("Account exists"),
    "location": _l("Entry point"),
    "min_minutes": _l("Least time together (minutes)"),
    "name": _l("Name"),
    "new": _l("New"),
    "new_name": _l("New name"),
    "notice_en_chars": _l("English notice (characters)"),
    "notice_vi_chars": _l("Vietnamese notice (characters)"),
    "password_changed": _l("File password changed"),
    "recipients": _l("Recipients"),
    "role": _l("Role"),
    "time": _l("Time"),
    "to": _l("To"),
    "unchanged": _l("Unchanged"),
    "until": _l("Locked until"),
    "update": _l("Updated"),
    "via": _l("Through"),
    "visit": _l("Visit"),
    "visits_deleted_from_backups": _l("Visits deleted from backups"),
}

# Every action, with the words the admin's page shows for it.
ACTIONS = {
    "login": _l("Signed in"),
    "login_failed": _l("Sign-in failed"),
    "login_refused": _l("Sign-in refused (too many failures)"),
    "first_admin": _l("First admin created"),
    "visit_view": _l("Opened a visit"),
    "visit_manual_entry": _l("Entered a visit for a visitor"),
    "visit_paper_entry": _l("Entered a paper slip"),
    "visit_checkout": _l("Checked a visit out at reception"),
    "visit_checkout_undone": _l("Undid a check-out"),
    "visit_correct": _l("Corrected a visit"),
    "gate_decision": _l("Recorded a gate decision"),
    "gate_decision_undone": _l("Took back a gate decision"),
    "export": _l("Exported visits"),
    "trace": _l("Traced contacts"),
    "trace_export": _l("Exported traced contacts"),
    "user_create": _l("Created an account"),
    "user_role": _l("Changed a role"),
    "user_deactivate": _l("Deactivated an account"),
    "user_reactivate": _l("Reactivated an account"),
    "user_password": _l("Reset a password"),
    "location_create": _l("Created an entry point"),
    "location_rename": _l("Renamed an entry point"),
    "location_kind": _l("Changed an entry point's kind"),
    "location_deactivate": _l("Closed an entry point"),
    "location_reactivate": _l("Reopened an entry point"),
    "location_rotate": _l("Gave an entry point a new QR code"),
    "settings_change": _l("Changed the notice to visitors"),
    "employee_create": _l("Added an employee"),
    "employee_update": _l("Changed an employee's entry"),
    "employee_deactivate": _l("Deactivated an employee"),
    "employee_reactivate": _l("Reactivated an employee"),
    "employee_import": _l("Imported the employee register"),
    "employee_sheet": _l("Printed enrolment codes"),
    "employee_device_revoke": _l("Revoked an employee's phone"),
    "employee_enrol": _l("An employee's phone was enrolled"),
    "employee_enrol_refused": _l("Enrolment at the gate refused (too many wrong tries)"),
    "purge": _l("Deleted visits past the retention period (and from backups)"),
    "backup": _l("Backed up the database"),
    "restore": _l("Restored the database from a backup"),
    "delivery": _l("Sent the day's file to the health centre by e-mail"),
    "delivery_failed": _l("Could not send the day's file to the health centre"),
    "delivery_settings": _l("Changed the daily delivery by e-mail"),
}


def _who(user: User | None) -> tuple[int | None, str]:
    if user is None and has_request_context() and current_user.is_authenticated:
        user = current_user
    return (user.id, user.username) if user is not None else (None, "")


def _event(action: str, details: dict | None, rows: int | None,
           user: User | None) -> AuditEvent:
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    unnamed = set(details or ()) - DETAIL_LABELS.keys()
    if unnamed:
        raise ValueError(f"audit details without a name on the admin's page: {sorted(unnamed)}")
    user_id, username = _who(user)
    address = (request.remote_addr or "") if has_request_context() else ""
    return AuditEvent(at=clock.utcnow(), user_id=user_id, username=username, action=action,
                      details=details or {}, row_count=rows, address=address[:45])


def record(action: str, details: dict | None = None, rows: int | None = None,
           user: User | None = None) -> AuditEvent:
    """Add an entry to the session: it is stored by the same commit as the change it records,
    and rolled back with it."""
    event = _event(action, details, rows, user)
    db.session.add(event)
    return event


def record_now(action: str, details: dict | None = None, rows: int | None = None,
               user: User | None = None) -> int:
    """Store an entry at once, through a session of its own, for requests that only read:
    the request's own read transaction (on SQLite it could not always turn into a write one)
    and the objects it loaded are left as they are. Returns the entry's id."""
    event = _event(action, details, rows, user)
    with Session(db.engine) as session:
        session.add(event)
        session.commit()
        return event.id


def set_rows(event_id: int, rows: int) -> None:
    """Fill in how many rows a finished download sent (its own session, like record_now)."""
    with Session(db.engine) as session:
        session.execute(update(AuditEvent).where(AuditEvent.id == event_id)
                        .values(row_count=rows))
        session.commit()


def refusal_recorded(account: User | None, address: str,
                     action: str = "login_refused") -> bool:
    """Whether a refused attempt (a sign-in, or an enrolment at the gate) for this account
    from this address is already in the log for the current lockout."""
    since = clock.utcnow() - timedelta(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"])
    return db.session.scalar(
        select(AuditEvent.id).where(
            AuditEvent.action == action, AuditEvent.at >= since,
            AuditEvent.address == address[:45],
            AuditEvent.user_id.is_(None) if account is None
            else AuditEvent.user_id == account.id).limit(1)) is not None


def record_purge(deleted: int, backups_deleted: int = 0, backup_visits_deleted: int = 0) -> None:
    """Count what the retention purge deleted: visits, and backups (whole files past the
    retention period, and expired visits inside the others). One entry a day, however often
    it runs."""
    day_start, _ = clock.local_day_bounds(clock.local_today())
    today = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "purge", AuditEvent.at >= day_start)
        .order_by(AuditEvent.id.desc()).limit(1).with_for_update())
    counts = {"backups_deleted": backups_deleted,
              "visits_deleted_from_backups": backup_visits_deleted}
    if today is None:
        record("purge", {"day": clock.local_today().isoformat(), **counts}, rows=deleted,
               user=None)
        return
    # Locked for update above (PostgreSQL), or by the write transaction (SQLite): several
    # processes may purge at once.
    today.row_count = (today.row_count or 0) + deleted
    today.details = {**today.details,
                     **{key: today.details.get(key, 0) + value for key, value in counts.items()}}


@dataclass(frozen=True)
class AuditFilters:
    """What the audit page is narrowed to."""

    user_id: int | None = None
    action: str | None = None
    start: date | None = None
    end: date | None = None


PAGE_SIZE = 100


def events(filters: AuditFilters, before_id: int | None = None) -> list[AuditEvent]:
    """One page of entries, newest first, matching the filters."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(PAGE_SIZE + 1)
    if filters.user_id is not None:
        query = query.where(AuditEvent.user_id == filters.user_id)
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.start:
        query = query.where(AuditEvent.at >= clock.local_day_bounds(filters.start)[0])
    if filters.end:
        query = query.where(AuditEvent.at < clock.local_day_bounds(filters.end)[1])
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    return list(db.session.scalars(query))

