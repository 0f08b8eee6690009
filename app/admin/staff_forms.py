"""Forms of the staff accounts page: a new account, a role, a new password."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from ..auth.forms import NewPasswordMixin
from ..store.models import Role
from ..store.normalise import clean_text
from ..web.form_fields import AppForm
from ..web.templating import LABELS

ROLE_CHOICES = [SelectChoice(role.value, LABELS[Role][role])
                for role in (Role.RECEPTIONIST, Role.HEALTH_OFFICER, Role.ADMIN)]


class NewUserForm(NewPasswordMixin, AppForm):
    """A new staff account."""

    username = StringField(_l("User name"), [InputRequired(_l("Enter a user name."))],
                           filters=[clean_text])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, validate_choice=False)


class RoleForm(AppForm):
    """Change an account's role."""

    role = SelectField(_l("Role"), choices=ROLE_CHOICES, validate_choice=False)


class ResetPasswordForm(NewPasswordMixin, AppForm):
    """Set a new password for an account."""
