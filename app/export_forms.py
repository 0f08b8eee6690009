"""Forms of the officer's pages: the export of a day or range, and a tracing request."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, Form, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, ValidationError

from . import clock
from .models import MAX_ID
from .normalise import clean_text, normalise_phone, parse_day, parse_whole_number
from .tracing import DEFAULT_MIN_OVERLAP_MINUTES, MAX_MIN_OVERLAP_MINUTES

# A longer range is refused: nothing older than the retention period is kept anyway.
MAX_RANGE_DAYS = 366
FORMATS = [SelectChoice("csv", "CSV"), SelectChoice("xlsx", "XLSX (Excel)")]


def valid_day(form: Form, field: StringField) -> None:
    """A real date."""
    if field.data and parse_day(field.data) is None:
        raise ValidationError(_("Enter a date as YYYY-MM-DD, e.g. 2021-07-14."))


def day_field(label: str) -> StringField:
    """A date input, today by default."""
    return StringField(label, [valid_day],
                       filters=[clean_text], default=lambda: clock.local_today().isoformat(),
                       render_kw={"type": "date"})


class DateRangeMixin:
    """From one day to another, both included."""

    start = day_field(_l("From"))
    end = day_field(_l("To"))

    def check_range(self) -> bool:
        """Both days given, the second not before the first, the range not too long."""
        start, end = self.days
        for field in (self.start, self.end):
            if not field.data:
                field.errors.append(_("Enter a date."))
        if start is None or end is None:
            return False
        if end < start:
            self.end.errors.append(_("The last day comes before the first."))
            return False
        if (end - start).days >= MAX_RANGE_DAYS:
            self.end.errors.append(_("Choose at most %(days)d days.", days=MAX_RANGE_DAYS))
            return False
        return True

    @property
    def days(self) -> tuple[date | None, date | None]:
        """(first day, last day) as dates."""
        return parse_day(self.start.data), parse_day(self.end.data)


class ExportForm(DateRangeMixin, FlaskForm):
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


class TraceForm(DateRangeMixin, FlaskForm):
    """The case (a visit, or a phone number and days) and what counts as a contact."""

    by = RadioField(_l("Start from"), default="visit", validate_choice=False, choices=[
        SelectChoice("visit", _l("A visit (its number, from the visit's page)")),
        SelectChoice("phone", _l("A phone number, over some days"))],
        validators=[AnyOf(["visit", "phone"], message=_l("Choose one of the options."))])
    visit = StringField(_l("Visit number"), filters=[clean_text],
                        render_kw={"inputmode": "numeric"})
    phone = StringField(_l("Phone number"), filters=[clean_text],
                        render_kw={"inputmode": "tel", "autocomplete": "off"})
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
        return ok
