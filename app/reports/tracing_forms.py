"""The tracing page's form: the case (a visit, or a phone number or an employee code and days)
and what counts as a contact."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf

from ..store.models import MAX_ID
from ..store.normalise import (
    EMPLOYEE_CODE,
    clean_text,
    normalise_code,
    normalise_phone,
    parse_whole_number,
)
from ..web.form_fields import AppForm, DateRangeMixin
from .tracing import DEFAULT_MIN_OVERLAP_MINUTES, MAX_MIN_OVERLAP_MINUTES


class TraceForm(DateRangeMixin, AppForm):
    """The case (a visit, or a phone number or an employee code and days) and what counts as
    a contact."""

    by = RadioField(_l("Start from"), default="visit", validate_choice=False, choices=[
        SelectChoice("visit", _l("A visit (its number, from the visit's page)")),
        SelectChoice("phone", _l("A phone number, over some days")),
        SelectChoice("employee", _l("An employee code, over some days"))],
        validators=[AnyOf(["visit", "phone", "employee"],
                          message=_l("Choose one of the options."))])
    visit = StringField(_l("Visit number"), filters=[clean_text],
                        render_kw={"inputmode": "numeric"})
    phone = StringField(_l("Phone number"), filters=[clean_text],
                        render_kw={"inputmode": "tel", "autocomplete": "off"})
    code = StringField(_l("Employee code"), filters=[clean_text],
                       render_kw={"autocomplete": "off", "autocapitalize": "characters"})
    minutes = StringField(_l("At least this many minutes together"), filters=[clean_text],
                          default=str(DEFAULT_MIN_OVERLAP_MINUTES),
                          render_kw={"inputmode": "numeric"})
    any_location = BooleanField(_l("At any entry point (not only the case's)"))

    def validate(self, extra_validators=None) -> bool:
        """The fields the chosen way of starting needs, and a sensible threshold."""
        ok = super().validate(extra_validators)
        if parse_whole_number(self.minutes.data, MAX_MIN_OVERLAP_MINUTES) is None:
            self.minutes.errors.append(_("Enter whole minutes from 0 to %(max)d.",
                                         max=MAX_MIN_OVERLAP_MINUTES))
            ok = False
        if self.by.data == "visit":
            if not parse_whole_number(self.visit.data, MAX_ID):
                self.visit.errors.append(_("Enter the visit's number, e.g. 1234."))
                ok = False
            return ok
        if self.by.data == "phone":
            if normalise_phone(self.phone.data or "") is None:
                self.phone.errors.append(_("Enter a mobile number of 10 digits starting with 0 "
                                           "(or +84), e.g. 0912 345 678."))
                ok = False
            return self.check_range() and ok
        if self.by.data == "employee":
            if not EMPLOYEE_CODE.fullmatch(normalise_code(self.code.data)):
                self.code.errors.append(_("Enter the employee code, e.g. NV-001."))
                ok = False
            return self.check_range() and ok
        return ok
