"""Forms of staff entry: a visitor without a smartphone entered at the desk (a CCCD scan fills
the identity), and a paper slip typed in afterwards with the times written on it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, ValidationError

from ..checkin.forms import CheckInForm
from ..checkin.visits import SlipTimes, auto_checkout_deadline
from ..store import clock
from ..store.normalise import clean_text, normalise_id_number, normalise_phone, parse_day
from ..web.form_fields import day_field, text
from .cccd import CCCDError, parse_cccd

# The identity fields in the order the form asks them: the cursor goes to the first empty one.
FOCUS_ORDER = ("full_name", "phone", "birth_year", "id_number", "nationality", "province",
               "ward", "street", "purpose")
_CLOCK_TIME = re.compile(r"([01]?[0-9]|2[0-3])[:hH.]([0-5][0-9])(:[0-5][0-9])?")


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

    def fill_from_cccd(self) -> bool:
        """Fill the identity from the scanned CCCD text, the address split into its fields,
        and put the cursor on the first field still empty; malformed text fills nothing."""
        try:
            card = parse_cccd(self.cccd.data)
        except CCCDError:
            self.cccd.errors = [_("This is not the text of a CCCD QR code. Scan the code on "
                                  "the card again, or type the details.")]
            return False
        self.full_name.data, self.id_number.data = card.full_name, card.id_number
        self.birth_year.data, self.gender.data = str(card.birth_year), card.gender
        if card.place.province:
            self.province.data = card.place.province
        self.ward.data, self.street.data = card.place.ward, card.place.street
        self.cccd.data = ""
        self.focus_first_empty()
        return True

    def focus_first_empty(self) -> None:
        """Give the first empty identity field the cursor when the page loads."""
        for name in FOCUS_ORDER:
            field = self[name]
            if not field.data:
                field.render_kw = {**(field.render_kw or {}), "autofocus": True}
                return

    def person(self) -> tuple[str | None, str | None]:
        """(phone, ID number) as typed so far, normalised; None where not (yet) valid."""
        return (normalise_phone(self.phone.data or ""),
                normalise_id_number(self.id_number.data or ""))


def valid_clock_time(form, field: StringField) -> None:
    """A time of day, HH:MM."""
    if field.data and not _CLOCK_TIME.fullmatch(field.data):
        raise ValidationError(_("Enter a time as HH:MM, e.g. 08:10."))


def _clock_time(text: str) -> time:
    match = _CLOCK_TIME.fullmatch(text)
    return time(int(match.group(1)), int(match.group(2)))


def time_field(label: str, *validators) -> StringField:
    """A time of day, typed or picked."""
    return text(label, 8, *validators, valid_clock_time, render_kw={"type": "time"})


class PaperEntryForm(StaffEntryForm):
    """A paper slip typed in: the visitor's answers, the date on the slip, and when they came
    and (if written) left. Tracing and the export count the slip's times."""

    day = day_field(_l("Date on the slip"))
    came = time_field(_l("Time in"), InputRequired(_l("Enter the time in written on the slip.")))
    left = time_field(_l("Time out (if written)"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        first, last = self.day_range()
        self.day.render_kw = {**(self.day.render_kw or {}), "min": first.isoformat(),
                              "max": last.isoformat()}

    @staticmethod
    def day_range() -> tuple[date, date]:
        """The first and last day a slip may be from: within the retention period, up to
        today (an older one would be deleted at once)."""
        now = clock.utcnow()
        oldest = now - timedelta(days=current_app.config["RETENTION_DAYS"])
        return clock.to_local(oldest).date(), clock.to_local(now).date()

    def _moment(self, day: date, text: str) -> datetime:
        local = datetime.combine(day, _clock_time(text), tzinfo=clock.local_zone())
        return local.astimezone(UTC)

    def validate(self, extra_validators=None) -> bool:
        """The declaration's rules, then the slip's times: not in the future, not older than
        the retention period, the time out after the time in and by that day's automatic
        check-out (a stay lasts one day at most)."""
        ok = super().validate(extra_validators)
        day = parse_day(self.day.data)
        if day is None:
            if not self.day.data:
                self.day.errors.append(_("Enter a date."))
            return False
        if self.came.errors or self.left.errors or not self.came.data:
            return False
        now, times = clock.utcnow(), self.slip_times()
        if times.came > now:
            self.came.errors.append(_("This time is still to come."))
            return False
        if times.came <= now - timedelta(days=current_app.config["RETENTION_DAYS"]):
            self.day.errors.append(_("A slip older than %(days)d days cannot be entered: visits "
                                     "are deleted after that.",
                                     days=current_app.config["RETENTION_DAYS"]))
            return False
        if times.left is not None:
            deadline = auto_checkout_deadline(times.came)
            message = (_("The time out comes after the time in.") if times.left <= times.came
                       else _("This time is still to come.") if times.left > now
                       else _("Visits are checked out automatically at %(time)s: the time out "
                              "is at the latest then.",
                              time=clock.to_local(deadline).strftime("%H:%M"))
                       if times.left > deadline else None)
            if message:
                self.left.errors.append(message)
                ok = False
        return ok

    def slip_times(self) -> SlipTimes:
        """The slip's times in UTC (once the date and times are valid)."""
        day = parse_day(self.day.data)
        left = self._moment(day, self.left.data) if self.left.data else None
        return SlipTimes(self._moment(day, self.came.data), left)
