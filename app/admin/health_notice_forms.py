"""The settings page's form: the health-measures notice in both languages."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import Form, TextAreaField
from wtforms.validators import Length, ValidationError

from ..store.normalise import clean_text, has_control_characters
from ..web.form_fields import AppForm
from .health_notice import MAX_NOTICE_LENGTH


def text_without_controls(form: Form, field: TextAreaField) -> None:
    """Line breaks are fine in a notice; other control characters are refused."""
    if field.data and has_control_characters(field.data.replace("\n", "")):
        raise ValidationError(_("Please remove the special characters from this field."))


def one_kind_of_line_break(value: str | None) -> str | None:
    """Line breaks as browsers send them (CR LF) stored as plain LF."""
    return value.replace("\r\n", "\n").replace("\r", "\n") if value else value


def _notice(label: str) -> TextAreaField:
    return TextAreaField(label, [text_without_controls, Length(
        max=MAX_NOTICE_LENGTH, message=_l("Use at most %(max)d characters."))],
        filters=[clean_text, one_kind_of_line_break],
        render_kw={"rows": 3, "maxlength": MAX_NOTICE_LENGTH})


class NoticeForm(AppForm):
    """The notice shown to visitors, in Vietnamese and English; empty hides it."""

    notice_vi = _notice(_l("Notice in Vietnamese"))
    notice_en = _notice(_l("Notice in English"))
