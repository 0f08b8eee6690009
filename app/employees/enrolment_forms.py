"""Forms of the employee's phone: enrolling at the gate, and declaring something."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms.validators import InputRequired, Regexp

from ..checkin.declaration_forms import DeclarationForm
from ..web.form_fields import AppForm, plain_text, text


class DigitsEnrolmentForm(AppForm):
    """The employee code and the last four digits of the phone number on record."""

    code = text(_l("Employee code"), 30, InputRequired(_l("Enter your employee code.")),
                plain_text)
    last_digits = text(_l("The last 4 digits of your phone number"), 4,
                       InputRequired(_l("Enter the last 4 digits of your phone number.")),
                       Regexp(r"^[0-9]{4}$", message=_l("Enter 4 digits.")))


class EmployeeDeclarationForm(DeclarationForm):
    """An enrolled employee's declaration: the questions and the commitment, nothing typed
    about who they are."""
