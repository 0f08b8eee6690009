"""Admin: staff accounts."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ..admin import staff
from ..admin.audited_change import apply_change
from ..admin.staff_forms import ROLE_CHOICES, NewUserForm, ResetPasswordForm, RoleForm
from ..extensions import db
from ..store import audit
from ..store.models import User
from ..web.form_fields import ActionForm

bp = Blueprint("staff", __name__, url_prefix="/admin")


def _users_page(new_user_form: NewUserForm | None = None, status: int = 200):
    return render_template("staff/users.html", users=staff.all_users(),
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
        # Recorded by the commit that creates the account, or not at all.
        audit.record("user_create", {"account": form.username.data, "role": form.role.data})
        try:
            user = staff.create_user(form.username.data, form.role.data, form.password.data)
        except staff.StaffError as error:
            db.session.rollback()
            form[error.field or "username"].errors.append(str(error))
        else:
            flash(_("Account %(name)s created.", name=user.username), "success")
            return redirect(url_for(".users"))
    return _users_page(form, 400)


def _change(user_id: int, form, action: str, change, **details) -> object:
    """Run one change on an account, recorded with `details`, then show the list."""
    user = db.get_or_404(User, user_id)
    apply_change(form, lambda: change(user, form), staff.StaffError,
                 lambda: _("Saved: %(name)s.", name=user.username),
                 action, lambda: {"account": user.username, **details})
    return redirect(url_for(".users"))


@bp.post("/users/<id:user_id>/role")
def change_role(user_id: int):
    """Make an account admin, receptionist or health officer."""
    form = RoleForm()
    return _change(user_id, form, "user_role",
                   lambda user, form: staff.change_role(user, form.role.data),
                   role=form.role.data)


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
