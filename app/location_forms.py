"""The entry points page's form: an entry point's name."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from .normalise import clean_text


class LocationNameForm(FlaskForm):
    """An entry point's name."""

    name = StringField(_l("Name"), [InputRequired(_l("Enter a name for the entry point.")),
                                    Length(max=100, message=_l("Use at most %(max)d characters.",
                                                               max=100))],
                       filters=[clean_text])
