"""Form pieces shared by several areas: the base of every form, trimmed text fields, the checks
every typed name or number gets, rows numbered in the request, a range of days, and the
one-button form."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from babel.support import Translations
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import escape
from werkzeug.exceptions import BadRequest
from wtforms import FieldList, Form, StringField
from wtforms.csrf.core import CSRFTokenField
from wtforms.fields.core import Field, Label, UnboundField
from wtforms.i18n import messages_path
from wtforms.utils import unset_value
from wtforms.validators import Length, ValidationError

from ..store import clock
from ..store.normalise import (
    clean_text,
    has_control_characters,
    normalise_id_number,
    normalise_phone,
    parse_day,
)


@lru_cache(maxsize=8)
def _wtforms_messages(locale: str) -> Translations:
    return Translations.load(messages_path(), [locale], domain="wtforms")


class WhenShown:
    """Text worked out when a page shows it (a form's CSRF token, a label with settings in
    it): a form posted, checked and followed by a redirect (a check-in) shows none of it, and
    signing a token is a good part of such a post."""

    __slots__ = ("_make", "_text")

    def __init__(self, make) -> None:
        self._make, self._text = make, None

    def __str__(self) -> str:
        if self._text is None:
            self._text = self._make()
        return self._text

    def __html__(self) -> str:
        return str(escape(str(self)))


class _CSRFWhenShown(FlaskForm.Meta.csrf_class):
    """Flask-WTF's CSRF check and token, the token made only when it is rendered."""

    def generate_csrf_token(self, csrf_token_field):
        return WhenShown(lambda: super(_CSRFWhenShown, self).generate_csrf_token(
            csrf_token_field))


# The options BaseForm binds each of a form's own fields with (a FieldList's rows get others).
_FORM_FIELD_OPTIONS = frozenset({"name", "prefix", "translations"})
# Bound fields that no form holds, copied for each form: by unbound field and options.
_prototypes: dict[tuple, Field] = {}
_MAX_PROTOTYPES = 2048  # forms with many prefixes or languages cannot make it grow for ever


def _bind_from_prototype(form: Form, unbound_field: UnboundField, options: dict) -> Field:
    """The field WTForms would bind, as a copy of one bound once per process for the same
    field, name, prefix and messages: WTForms builds every field of a form again for each
    request (its label, flags, validators checked), which was a good part of a check-in's
    post. What a form changes in a field is its own: the copy has its own label (a form may
    word it per request), and processing the form sets its data and errors. What it shares
    is only ever read: validators, filters, choices, render_kw, and the flags (which WTForms
    sets from the validators when it binds a field, and only then)."""
    key = (unbound_field, options["name"], options["prefix"], options["translations"])
    prototype = _prototypes.get(key)
    if prototype is None:
        if len(_prototypes) >= _MAX_PROTOTYPES:
            _prototypes.clear()
        prototype = _prototypes[key] = unbound_field.bind(form=form, **options)
        del prototype._form, prototype.meta  # the form's own, set on each copy
    field = object.__new__(type(prototype))
    field.__dict__.update(prototype.__dict__)
    field._form, field.meta = form, form.meta
    field.label = Label(prototype.label.field_id, prototype.label.text)
    return field


class AppForm(FlaskForm):
    """Flask-WTF's form (CSRF token, the request's data), with WTForms' own messages in the
    page's language read once per language and process: Flask-WTF reads their file again on
    every request. Its fields are copied from fields bound once, and its CSRF token is signed
    only when a page shows it."""

    class Meta:
        csrf_class = _CSRFWhenShown

        def bind_field(self, form, unbound_field, options):
            if (unbound_field.field_class is CSRFTokenField  # a new one for every form
                    or options.keys() != _FORM_FIELD_OPTIONS):
                return super().bind_field(form, unbound_field, options)
            return _bind_from_prototype(form, unbound_field, options)

        def get_translations(self, form):
            if not current_app.config.get("WTF_I18N_ENABLED", True):  # as Flask-WTF does
                return super().get_translations(form)
            return _wtforms_messages(str(get_locale()))


def plain_text(form: Form, field: StringField) -> None:
    """Refuse control characters (nobody types them; they break exports and screens)."""
    if field.data and has_control_characters(field.data):
        raise ValidationError(_("Please remove the special characters from this field."))


def valid_phone(form: Form, field: StringField) -> None:
    """A Vietnamese mobile number, with or without +84 and spaces."""
    if field.data and normalise_phone(field.data) is None:
        raise ValidationError(
            _("Enter a mobile number of 10 digits starting with 0 (or +84), e.g. 0912 345 678."))


def valid_birth_year(form: Form, field: StringField) -> None:
    """A year between 1900 and this year."""
    if not field.data:
        return
    this_year = clock.local_today_year()
    if not (field.data.isascii() and field.data.isdigit()
            and 1900 <= int(field.data) <= this_year):
        raise ValidationError(
            _("Enter a year of birth between 1900 and %(year)d.", year=this_year))


def valid_id_number(form: Form, field: StringField) -> None:
    """CCCD 12 digits, CMND 9 digits, or a passport number."""
    if field.data and normalise_id_number(field.data) is None:
        raise ValidationError(_("A CCCD has 12 digits, a CMND 9 digits; a passport number has "
                                "6 to 20 letters and digits."))


def text(label: str, max_length: int, *validators, **kwargs) -> StringField:
    """A trimmed, NFC-normalised text field with a length limit. The browser is not given the
    limit (its maxlength cuts a pasted text without a word): a longer text comes back in the
    field with a message saying by how much."""
    render_kw = {"maxlength": False, **(kwargs.pop("render_kw", None) or {})}
    return StringField(label, [*validators, Length(
        max=max_length, message=_l("Use at most %(max)d characters (this has %(length)d)."))],
        filters=[clean_text], render_kw=render_kw, **kwargs)


class RowList(FieldList):
    """WTForms' FieldList, whose rows must be numbered with plain ASCII digits
    ("companions-3-full_name"): any other row number ('²' and '٣' are digits to Python, but
    int() refuses them; a thousand digits; a word) is refused with 400 before the form is read."""

    def _extract_indices(self, prefix: str, formdata) -> list[int]:
        start = prefix + self._field_separator
        rows = []
        for key in formdata:
            if key.startswith(start):
                row = key[len(start):].split(self._field_separator, 1)[0]
                if not (row.isascii() and row.isdigit() and len(row) <= 3):
                    raise BadRequest(f"{prefix}: a row number must be plain digits")
                rows.append(int(row))
        return rows


class SparseRowList(RowList):
    """A RowList whose rows left untouched in a post (every value sent empty or spaces) are
    built only when the rows are read as a list, by a page or any of FieldList's own list
    operations (they then stand in their places, renumbered as FieldList does): a form sends
    its blank row with every post, and a row of a few fields costs as much to build as they
    do. Its validation, its `errors` and `entries` until then hold the typed rows alone."""

    def process(self, formdata, data=unset_value, extra_filters=None):
        self._formdata, self._untouched, self._typed = formdata, [], None
        self._unread = bool(formdata)  # a post's rows: completed when first read
        # Each row's item of the form's data (or the default), as FieldList.process finds it.
        objects = data if data is not unset_value and data else (
            self.default() if callable(self.default) else self.default)
        self._objects = list(objects) if objects else []
        if not formdata:
            super().process(formdata, data, extra_filters)
            return
        # The rows FieldList would read (the first max_entries sent), less the untouched ones.
        sent = sorted(set(self._extract_indices(self.name, formdata)))[:self.max_entries or None]
        self._untouched = [row for row in sent if self._left_blank(formdata, row)]
        self._typed = set(sent).difference(self._untouched)
        min_entries, self.min_entries = self.min_entries, 0
        try:
            super().process(formdata, data, extra_filters)  # reads the typed rows alone
        finally:
            self.min_entries = min_entries

    def _left_blank(self, formdata, row: int) -> bool:
        start = f"{self.name}{self._separator}{row}{self._field_separator}"
        return not any(not isinstance(value, str) or value.strip()  # a file is not blank
                       for key in formdata if key.startswith(start)
                       for value in formdata.getlist(key))

    def _extract_indices(self, prefix, formdata):
        if self._typed is not None:  # the post's rows were read once, in process()
            return sorted(self._typed)
        return super()._extract_indices(prefix, formdata)

    def _compact_indices(self):
        if not self._untouched:  # renumbered once every row is there
            super()._compact_indices()

    def _every_row(self) -> list:
        if self._unread:  # the rows as FieldList.process leaves them
            self._unread, untouched, self._untouched = False, self._untouched, []
            for row in untouched:
                self._add_entry(self._formdata, self._object_of(row), index=row)
            self.entries.sort(key=lambda entry: entry.index)
            self._compact_indices()
            while len(self.entries) < self.min_entries:
                self._add_entry(self._formdata)
        return self.entries

    def _object_of(self, row: int):
        return self._objects[row] if row < len(self._objects) else unset_value

    def __iter__(self):
        return iter(self._every_row())

    def __len__(self) -> int:
        return len(self._every_row())

    def __getitem__(self, index):
        return self._every_row()[index]

    def append_entry(self, data=unset_value):
        self._every_row()
        return super().append_entry(data)

    def insert_entry(self, index, data=unset_value):
        self._every_row()
        return super().insert_entry(index, data)

    def pop_entry(self, index=-1):
        self._every_row()
        return super().pop_entry(index)

    @property
    def data(self) -> list:
        return [entry.data for entry in self._every_row()]

    def populate_obj(self, obj, name) -> None:
        self._every_row()
        super().populate_obj(obj, name)


def valid_day(form: Form, field: StringField) -> None:
    """A real date."""
    if field.data and parse_day(field.data) is None:
        raise ValidationError(_("Enter a date as YYYY-MM-DD, e.g. 2021-07-14."))


def day_field(label: str) -> StringField:
    """A date input, today by default."""
    return StringField(label, [valid_day],
                       filters=[clean_text], default=lambda: clock.local_today().isoformat(),
                       render_kw={"type": "date"})


# A longer range is refused: nothing older than the retention period is kept anyway.
MAX_RANGE_DAYS = 366


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


class ActionForm(AppForm):
    """A button that changes something (deactivate, rotate, …): only the CSRF token."""
