"""The delivery page's form: on or off, the recipients, the time, the file password."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, StringField, TextAreaField
from wtforms.validators import ValidationError

from ..config import EMAIL_ADDRESS, LOCAL_TIME
from ..web.form_fields import AppForm, plain_text
from .delivery_settings import MAX_RECIPIENTS, MIN_PASSWORD_LENGTH

MAX_PASSWORD_LENGTH = 100


def addresses(text: str | None) -> list[str]:
    """The addresses typed, one a line (commas, semicolons and spaces also part them), each
    once, in the order typed."""
    found: list[str] = []
    for address in re.split(r"[\s,;]+", text or ""):
        if address and address.lower() not in (known.lower() for known in found):
            found.append(address)
    return found


class DeliveryForm(AppForm):
    """What the admins set; the password is kept as it is unless a new one is typed."""

    enabled = BooleanField(_l("Send the day's file every day"))
    recipients = TextAreaField(_l("Recipients"), render_kw={"rows": 4, "maxlength": 1000})
    send_at = StringField(_l("Time"), [plain_text], render_kw={
        "inputmode": "numeric", "placeholder": "07:00", "maxlength": 5, "size": 5})
    password = PasswordField(_l("File password"), [plain_text], render_kw={
        "autocomplete": "new-password", "maxlength": MAX_PASSWORD_LENGTH})

    def __init__(self, *args, has_password: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.has_password = has_password

    def validate_recipients(self, field: TextAreaField) -> None:
        """Real addresses, a few of them."""
        found = addresses(field.data)
        wrong = [address for address in found if not re.fullmatch(EMAIL_ADDRESS, address)
                 or len(address) > 254]
        if wrong:
            raise ValidationError(_("Not an e-mail address: %(wrong)s. Write one address a "
                                    "line, e.g. phongdich@ttyt.example.vn.",
                                    wrong=", ".join(wrong[:3])))
        if len(found) > MAX_RECIPIENTS:
            raise ValidationError(_("At most %(count)d recipients.", count=MAX_RECIPIENTS))
        if self.enabled.data and not found:
            raise ValidationError(_("Add at least one recipient, or switch sending off."))

    def validate_send_at(self, field: StringField) -> None:
        """A time of day as HH:MM."""
        value = (field.data or "").strip()
        if re.fullmatch(r"[0-9]:[0-5][0-9]", value):
            value = "0" + value
        if not re.fullmatch(LOCAL_TIME, value):
            raise ValidationError(_("Enter a time as HH:MM, e.g. 07:00."))
        field.data = value

    def validate_password(self, field: PasswordField) -> None:
        """Long enough; needed before sending is switched on."""
        if field.data and not MIN_PASSWORD_LENGTH <= len(field.data) <= MAX_PASSWORD_LENGTH:
            raise ValidationError(_("Use %(min)d to %(max)d characters.",
                                    min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH))
        if self.enabled.data and not field.data and not self.has_password:
            raise ValidationError(_("Set the file password agreed with the health centre, or "
                                    "switch sending off."))

    @property
    def recipient_list(self) -> list[str]:
        """The addresses typed."""
        return addresses(self.recipients.data)
