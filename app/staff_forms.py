"""Forms for the staff side: sign-in, first admin, accounts, entry points."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import EqualTo, InputRequired, Length

from .normalise import clean_text

ROLE_CHOICES = [SelectChoice("receptionist", _l("Receptionist")),
                SelectChoice("admin", _l("Admin"))]


class LoginForm(FlaskForm):
    """User name and password."""

    username = StringField(_l("User name"), [InputRequired(_l("Enter your user name."))],
                           filters=[clean_text])
    password = PasswordField(_l("Password"), [InputRequired(_l("Enter your password."))])


class NewPasswordMixin:
    """A new password typed twice."""

    # Its length is checked by app.staff, the one place that knows the rule.
    password = PasswordField(_l("New password"), [InputRequired(_l("Enter a password."))])
    confirm = PasswordField(_l("New password again"), [
        EqualTo("password", message=_l("The two passwords are not the same."))])


class FirstAdminForm(NewPasswordMixin, FlaskForm):
    """The first admin account, from the one-time setup link."""

    username = StringField(_l("User name"), [InputRequired(_l("Enter a user name."))],
                           filters=[clean_text])


class NewUserForm(NewPasswordMixin, FlaskForm):
    """A new staff account."""

    username = StringField(_l("User name"), [InputRequired(_l("Enter a user name."))],
                           filters=[clean_text])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, validate_choice=False)


class RoleForm(FlaskForm):
    """Change an account's role."""

    role = SelectField(_l("Role"), choices=ROLE_CHOICES, validate_choice=False)


class ResetPasswordForm(NewPasswordMixin, FlaskForm):
    """Set a new password for an account."""


class ActionForm(FlaskForm):
    """A button that changes something (deactivate, rotate, …): only the CSRF token."""


class LocationNameForm(FlaskForm):
    """An entry point's name."""

    name = StringField(_l("Name"), [InputRequired(_l("Enter a name for the entry point.")),
                                    Length(max=100, message=_l("Use at most %(max)d characters.",
                                                               max=100))],
                       filters=[clean_text])
