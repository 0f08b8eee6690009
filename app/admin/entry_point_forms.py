"""The entry points page's forms: an entry point's name, and its kind."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from ..store.models import PointKind
from ..web.form_fields import AppForm, plain_text, text
from ..web.templating import label
from .entry_points import MAX_NAME_LENGTH


class LocationNameForm(AppForm):
    """An entry point's name, checked like a visitor's (app.admin.entry_points.clean_name too)."""

    name = text(_l("Name"), MAX_NAME_LENGTH, InputRequired(_l("Enter a name for the entry point.")),
                plain_text)


class LocationKindForm(AppForm):
    """Whether scanning the point while inside means leaving (an entrance) or being there (an
    inner point, the medical room among them)."""

    kind = SelectField(_l("Kind"), validators=[InputRequired()],
                       choices=[SelectChoice(kind.value, label(kind)) for kind in PointKind])
