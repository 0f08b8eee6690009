"""Staff accounts: create, change role, deactivate or reactivate, reset the password.

The last active admin can be neither deactivated nor demoted, so the organisation always has
someone who can manage accounts.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..auth.access import MIN_PASSWORD_LENGTH, end_all_sessions, find_user, hash_password
from ..extensions import db
from ..store.models import Role, User

USERNAME = re.compile(r"[A-Za-z0-9._-]{2,60}")


class StaffError(ValueError):
    """A change that cannot be made; the message is for the admin, `field` the form field
    it is about."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def check_password(password: str) -> None:
    """Refuse a password that is too short."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise StaffError(_l("The password must have at least %(n)d characters.",
                            n=MIN_PASSWORD_LENGTH), field="password")


def check_username(username: str) -> str:
    """A valid, unused user name (trimmed), or StaffError."""
    username = (username or "").strip()
    if not USERNAME.fullmatch(username):
        raise StaffError(_l("A user name has 2 to 60 letters, digits, dots, dashes or "
                            "underscores (no spaces or accents)."), field="username")
    if find_user(username) is not None:
        raise StaffError(_l("The user name %(name)s is already taken.", name=username),
                         field="username")
    return username


def check_role(role: str) -> Role:
    """One of the known roles, or StaffError."""
    try:
        return Role(role)
    except ValueError:
        raise StaffError(_l("Choose a role: admin, receptionist or health officer."),
                         field="role") from None


def create_user(username: str, role: str, password: str) -> User:
    """A new active account."""
    username, role = check_username(username), check_role(role)
    check_password(password)
    user = User(username=username, role=role, password_hash=hash_password(password))
    db.session.add(user)
    db.session.commit()
    return user


def _refuse_if_last_admin(user: User) -> None:
    # Lock the active admins' rows (PostgreSQL), so two admins demoting each other at the same
    # moment cannot both succeed; on SQLite the write transaction already serialises this.
    admins = db.session.scalars(select(User.id).where(
        User.role == Role.ADMIN, User.active.is_(True)).with_for_update()).all()
    if user.active and user.role == Role.ADMIN and admins == [user.id]:
        raise StaffError(_l("%(name)s is the last active admin. Make another account admin "
                            "first.", name=user.username))


def change_role(user: User, role: str) -> None:
    """Make the account an admin, a receptionist or a health officer."""
    role = check_role(role)
    if role != Role.ADMIN:
        _refuse_if_last_admin(user)
    user.role = role
    db.session.commit()


def set_user_active(user: User, active: bool) -> None:
    """Deactivate (signed out everywhere, cannot sign in) or reactivate the account."""
    if not active:
        _refuse_if_last_admin(user)
        end_all_sessions(user)
    user.active = active
    db.session.commit()


def reset_password(user: User, password: str) -> None:
    """Set a new password; the account is signed out everywhere."""
    check_password(password)
    user.password_hash = hash_password(password)
    end_all_sessions(user)
    db.session.commit()


def all_users() -> list[User]:
    """Every account, by user name."""
    return list(db.session.scalars(select(User).order_by(func.lower(User.username))))
