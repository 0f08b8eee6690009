"""Admin: staff accounts and the audit log."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import audit, staff
from ..export_forms import parse_day
from ..extensions import db
from ..models import User
from ..staff_forms import ROLE_CHOICES, ActionForm, NewUserForm, ResetPasswordForm, RoleForm
from .changes import apply_change

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _users_page(new_user_form: NewUserForm | None = None, status: int = 200):
    return render_template("admin/users.html", users=staff.all_users(),
                           form=new_user_form or NewUserForm(), roles=ROLE_CHOICES), status


@bp.get("/users")
def users():
    """Every staff account, with the forms to change them."""
    return _users_page()


@bp.post("/users")
def add_user():
    """Create an account."""
    form = NewUserForm()
    if form.validate_on_submit():
        try:
            user = staff.create_user(form.username.data, form.role.data, form.password.data)
        except staff.StaffError as error:
            form[error.field or "username"].errors.append(str(error))
        else:
            audit.record("user_create", {"account": user.username, "role": user.role})
            db.session.commit()
            flash(_("Account %(name)s created.", name=user.username), "success")
            return redirect(url_for(".users"))
    return _users_page(form, 400)


def _change(user_id: int, form, action: str, change) -> object:
    """Run one change on an account, record it, then show the list with the outcome."""
    user = db.get_or_404(User, user_id)
    if apply_change(form, lambda: change(user, form), staff.StaffError,
                    lambda: _("Saved: %(name)s.", name=user.username)):
        details = {"account": user.username}
        if action == "user_role":
            details["role"] = user.role
        audit.record(action, details)
        db.session.commit()
    return redirect(url_for(".users"))


@bp.post("/users/<id:user_id>/role")
def change_role(user_id: int):
    """Make an account admin or receptionist."""
    return _change(user_id, RoleForm(), "user_role",
                   lambda user, form: staff.change_role(user, form.role.data))


@bp.post("/users/<id:user_id>/deactivate")
def deactivate(user_id: int):
    """Stop an account from signing in (and sign it out everywhere)."""
    return _change(user_id, ActionForm(), "user_deactivate",
                   lambda user, _form: staff.set_user_active(user, False))


@bp.post("/users/<id:user_id>/reactivate")
def reactivate(user_id: int):
    """Let a deactivated account sign in again."""
    return _change(user_id, ActionForm(), "user_reactivate",
                   lambda user, _form: staff.set_user_active(user, True))


@bp.post("/users/<id:user_id>/password")
def reset_password(user_id: int):
    """Give an account a new password (it is signed out everywhere)."""
    return _change(user_id, ResetPasswordForm(), "user_password",
                   lambda user, form: staff.reset_password(user, form.password.data))


@bp.get("/audit")
def audit_log():
    """Who exported, traced, viewed, signed in or changed what: newest first, filtered."""
    args = request.args
    user = args.get("user", "")
    action = args.get("action", "")
    start, end = parse_day(args.get("from", "")), parse_day(args.get("to", ""))
    errors = [_("%(day)s is not a date (use YYYY-MM-DD).", day=raw[:20])
              for raw, day in ((args.get("from", ""), start), (args.get("to", ""), end))
              if raw and day is None]
    filters = audit.AuditFilters(
        user_id=int(user) if user.isascii() and user.isdigit() and len(user) < 10 else None,
        action=action if action in audit.ACTIONS else None, start=start, end=end)
    before = args.get("before", "")
    events = audit.events(filters, int(before) if before.isascii() and before.isdigit()
                          and len(before) < 10 else None)
    more = events[audit.PAGE_SIZE - 1].id if len(events) > audit.PAGE_SIZE else None
    return render_template("admin/audit.html", events=events[:audit.PAGE_SIZE], more=more,
                           filters=filters, users=staff.all_users(), actions=audit.ACTIONS,
                           errors=errors, args={k: v for k, v in args.items() if k != "before"})
