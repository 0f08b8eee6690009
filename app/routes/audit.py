"""Admin: the audit log, read-only."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from ..admin import audit_details, staff
from ..store import audit
from ..store.models import MAX_ID
from ..store.normalise import parse_day, parse_whole_number

bp = Blueprint("audit", __name__, url_prefix="/admin")


@bp.get("/audit")
def index():
    """Who exported, traced, viewed, signed in or changed what: newest first, filtered."""
    args = {key: request.args.get(key, "").strip()[:20] for key in ("user", "action", "from", "to")}
    users = staff.all_users()
    errors = []
    user_id = next((u.id for u in users if str(u.id) == args["user"]), None)
    if args["user"] and user_id is None:
        errors.append(_("Choose a staff member from the list."))
    if args["action"] and args["action"] not in audit.ACTIONS:
        errors.append(_("Choose an action from the list."))
    start, end = parse_day(args["from"]), parse_day(args["to"])
    for raw, day in ((args["from"], start), (args["to"], end)):
        if raw and day is None:
            errors.append(_("%(day)s is not a date (use YYYY-MM-DD).", day=raw))
    if start and end and end < start:
        errors.append(_("The last day comes before the first."))
    before_id = parse_whole_number(request.args.get("before"), MAX_ID)
    if errors:
        return render_template("audit/index.html", events=[], more=None, errors=errors, details={},
                               filters=audit.AuditFilters(), users=users, actions=audit.ACTIONS,
                               args={}), 400
    filters = audit.AuditFilters(user_id=user_id, action=args["action"] or None, start=start,
                                 end=end)
    events = audit.events(filters, before_id)
    more = events[audit.PAGE_SIZE - 1].id if len(events) > audit.PAGE_SIZE else None
    events = events[:audit.PAGE_SIZE]
    return render_template("audit/index.html", events=events, more=more,
                           details=audit_details.describe(events),
                           filters=filters, users=users, actions=audit.ACTIONS, errors=[],
                           args={key: value for key, value in args.items() if value})
