"""The entry points page's form: an entry point's name."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms.validators import InputRequired

from .form_fields import AppForm, plain_text, text
from .locations import MAX_NAME_LENGTH


class LocationNameForm(AppForm):
    """An entry point's name, checked like a visitor's (app.locations.clean_name too)."""

    name = text(_l("Name"), MAX_NAME_LENGTH, InputRequired(_l("Enter a name for the entry point.")),
                plain_text)
