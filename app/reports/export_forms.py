"""The export page's form: which days, which entry point, which format."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf

from ..web.form_fields import AppForm, DateRangeMixin

FORMATS = [SelectChoice("csv", "CSV"), SelectChoice("xlsx", "XLSX (Excel)")]


class ExportForm(DateRangeMixin, AppForm):
    """Which days, which entry point, which format (sent by GET: nothing changes)."""

    class Meta:
        csrf = False

    location = SelectField(_l("Entry point"), validate_choice=False)
    format = RadioField(_l("Format"), choices=FORMATS, default="csv", validate_choice=False,
                        validators=[AnyOf(["csv", "xlsx"], message=_l("Choose CSV or XLSX."))])

    def validate(self, extra_validators=None) -> bool:
        """Every field, then the range."""
        ok = super().validate(extra_validators)
        if self.location.data and self.location.data not in {
                value for value, _label in self.location.choices}:
            self.location.errors.append(_("Choose an entry point from the list."))
            ok = False
        return self.check_range() and ok

    @property
    def location_id(self) -> int | None:
        """The chosen entry point, or None for all."""
        return int(self.location.data) if self.location.data else None
