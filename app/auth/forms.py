"""Forms of signing in: user name and password, and the first admin account."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired

from ..store.normalise import clean_text
from ..web.form_fields import AppForm


class LoginForm(AppForm):
    """User name and password."""

    username = StringField(_l("User name"), [InputRequired(_l("Enter your user name."))],
                           filters=[clean_text])
    password = PasswordField(_l("Password"), [InputRequired(_l("Enter your password."))])


class NewPasswordMixin:
    """A new password typed twice."""

    # Its length is checked by app.admin.staff, the one place that knows the rule.
    password = PasswordField(_l("New password"), [InputRequired(_l("Enter a password."))])
    confirm = PasswordField(_l("New password again"), [
        EqualTo("password", message=_l("The two passwords are not the same."))])


class FirstAdminForm(NewPasswordMixin, AppForm):
    """The first admin account, from the one-time setup link."""

    username = StringField(_l("User name"), [InputRequired(_l("Enter a user name."))],
                           filters=[clean_text])
