"""The gate's decision about a flagged check-in: one of three, a temperature, a note."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import AnyOf, InputRequired, ValidationError

from ..store.models import Decision
from ..web.form_fields import AppForm, plain_text, text

# A body temperature anyone could have, in °C: outside it, the reading (or the typing) is wrong.
LOWEST_TEMPERATURE, HIGHEST_TEMPERATURE = 34.0, 43.0
_TEMPERATURE = re.compile(r"([0-9]{2})(?:[.,]([0-9]{1,2}))?\s*(?:°\s*C?|C)?", re.IGNORECASE)


def parse_temperature(text: str | None) -> float | None:
    """A temperature typed as 37,5 or 37.5 (°C optional), to one decimal; None if it is not
    one or is out of range."""
    match = _TEMPERATURE.fullmatch((text or "").strip())
    if match is None:
        return None
    value = float(Decimal(f"{match.group(1)}.{match.group(2) or 0}").quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP))
    return value if LOWEST_TEMPERATURE <= value <= HIGHEST_TEMPERATURE else None


def valid_temperature(form, field: StringField) -> None:
    """Empty, or a plausible body temperature."""
    if field.data and parse_temperature(field.data) is None:
        raise ValidationError(_("Enter a temperature from 34.0 to 43.0 °C, e.g. 37.5."))


class DecisionForm(AppForm):
    """What the gate did about a visit: the three buttons, and what was noted."""

    class Meta:
        csrf_time_limit = None  # the panel stays open all day

    decision = StringField(_l("Decision"), [
        InputRequired(_l("Choose what the gate did.")),
        AnyOf([decision.value for decision in Decision],
              message=_l("Choose what the gate did."))])
    temperature = text(_l("Temperature (°C)"), 10, valid_temperature)
    note = text(_l("Note"), 200, plain_text)

    def temperature_value(self) -> float | None:
        """The validated temperature, if one was typed."""
        return parse_temperature(self.temperature.data)
