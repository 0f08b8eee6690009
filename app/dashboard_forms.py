"""Forms of the receptionist's desk: entering a visitor without a smartphone, correcting a typo."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, ValidationError

from .checkin_forms import CheckInForm
from .form_fields import plain_text, text, valid_phone
from .normalise import clean_text


class StaffEntryForm(CheckInForm):
    """The receptionist enters a visitor without a smartphone; a CCCD scan fills the identity."""

    class Meta:
        csrf_time_limit = None  # as long as the staff session

    cccd = StringField(_l("Scan or paste the CCCD QR code"), filters=[clean_text])
    location_id = SelectField(_l("Entry point"), coerce=int, validate_choice=False, choices=[])

    def validate_location_id(self, field: SelectField) -> None:
        """One of the open entry points offered."""
        if field.data not in {choice.value for choice in field.choices}:
            raise ValidationError(_("Choose an entry point."))


class CorrectionForm(FlaskForm):
    """A typo in a visit's name or phone, corrected by staff."""

    full_name = text(_l("Full name"), 100, InputRequired(_l("Enter your full name.")), plain_text)
    phone = text(_l("Phone number"), 30, InputRequired(_l("Enter your phone number.")),
                 valid_phone)
