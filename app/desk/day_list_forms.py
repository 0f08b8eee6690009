"""Forms of the receptionist's list: correcting a typo in a visit."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms.validators import InputRequired

from ..web.form_fields import AppForm, plain_text, text, valid_phone


class CorrectionForm(AppForm):
    """A typo in a visit's name or phone, corrected by staff."""

    full_name = text(_l("Full name"), 100, InputRequired(_l("Enter your full name.")), plain_text)
    phone = text(_l("Phone number"), 30, InputRequired(_l("Enter your phone number.")),
                 valid_phone)
