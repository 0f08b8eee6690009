"""The visitor's check-in form, built from the declaration data in app.checkin.declaration, the
one-tap form of a remembered visitor, and the check-out button."""

from __future__ import annotations

import hashlib
from functools import lru_cache

from flask import current_app, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    Form,
    FormField,
    RadioField,
    SelectField,
    SelectMultipleField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired
from wtforms.widgets import CheckboxInput, ListWidget

from ..store.normalise import normalise_id_number, normalise_phone
from ..web.form_fields import (
    AppForm,
    SparseRowList,
    WhenShown,
    plain_text,
    text,
    valid_birth_year,
    valid_id_number,
    valid_phone,
)
from .declaration import (
    DEFAULT_NATIONALITY,
    EXPOSURES,
    EXPOSURES_PROMPT,
    GENDERS,
    PROVINCES,
    SYMPTOMS,
    SYMPTOMS_PROMPT,
    TRAVEL,
    TRAVEL_PROMPT,
    answered_yes,
    no_answers,
)
from .declaration_forms import DeclarationForm
from .visits import CompanionDetails, VisitorDetails

MAX_COMPANIONS = 10
# The identity fields: the only ones "remember me on this phone" keeps.
IDENTITY_FIELDS = ("full_name", "phone", "birth_year", "gender", "id_number", "nationality",
                   "province", "ward", "street")
# A companion's answer: nothing to declare, or yes to some of the questions.
NOTHING, SOMETHING = "none", "yes"


def consent_text() -> str:
    """The processing notice the visitor agrees to, in the page's language."""
    return _("I agree that %(org)s keeps these data for contact tracing and hands them to the "
             "health authority on request, for %(days)d days.",
             org=current_app.config["ORG_NAME"], days=current_app.config["RETENTION_DAYS"])


def consent_version() -> str:
    """A short fingerprint of the processing notice as shown in Vietnamese: a remembered
    consent counts only while the notice is the same (organisation, retention period, text)."""
    config = current_app.config
    return _consent_version(config["ORG_NAME"], config["RETENTION_DAYS"])


@lru_cache(maxsize=8)
def _consent_version(org: str, days: int) -> str:
    # The text is the same for the same settings (the catalogues do not change while the
    # server runs): worked out once, rather than at every check-in and one-tap page.
    with force_locale("vi"):
        return hashlib.sha256(consent_text().encode()).hexdigest()[:16]


class CompanionForm(Form):
    """A person checked in with the visitor: name, year of birth, and their own answers."""

    full_name = text(_l("Full name"), 100, plain_text)
    birth_year = text(_l("Year of birth"), 4, valid_birth_year)
    answer = RadioField(_l("Health declaration of this person"), validate_choice=False, choices=[
        SelectChoice(NOTHING, _l("None of the symptoms, contacts or travel above")),
        SelectChoice(SOMETHING, _l("Yes, this person has something to declare:"))])
    items = SelectMultipleField(_l("What this person declares"), validate_choice=False,
                                choices=[SelectChoice(q.key, q.label)
                                         for q in (*SYMPTOMS, *EXPOSURES, TRAVEL)],
                                widget=ListWidget(prefix_label=False),
                                option_widget=CheckboxInput())
    places = text(_l("Which places?"), 200, plain_text)

    @property
    def is_blank(self) -> bool:
        """An untouched row: ignored, not an error."""
        return not self.full_name.data and not self.birth_year.data

    def validate(self, extra_validators=None) -> bool:
        """A companion row in use needs a name, a year of birth and an answer."""
        if self.is_blank:
            return True
        ok = super().validate(extra_validators)
        if not self.full_name.data:
            self.full_name.errors.append(_("Enter the companion's name."))
            ok = False
        if not self.birth_year.data:
            self.birth_year.errors.append(_("Enter the companion's year of birth."))
            ok = False
        known = {choice.value for choice in self.items.choices}
        items = set(self.items.data or ())
        if self.answer.data not in (NOTHING, SOMETHING):
            self.answer.errors.append(_("Choose whether this person has anything to declare."))
            ok = False
        elif self.answer.data == SOMETHING and not items:
            self.items.errors.append(_("Tick what this person declares."))
            ok = False
        elif self.answer.data == NOTHING and items:
            self.items.errors.append(_("You chose \"none\" but ticked something: choose \"yes\" "
                                       "or untick it."))
            ok = False
        if not items <= known:
            self.items.errors.append(_("Choose from the list."))
            ok = False
        if self.answer.data == SOMETHING and TRAVEL.key in items and not self.places.data:
            self.places.errors.append(_("Tell us which places this person has been to."))
            ok = False
        return ok

    def details(self) -> CompanionDetails:
        """The validated row in its stored form."""
        declaration = (answered_yes(set(self.items.data), self.places.data or "")
                       if self.answer.data == SOMETHING else no_answers())
        return CompanionDetails(self.full_name.data, int(self.birth_year.data), declaration)


class CheckInForm(DeclarationForm):
    """Identity, this visit, the health declaration, and the two commitments."""

    full_name = text(_l("Full name"), 100, InputRequired(_l("Enter your full name.")), plain_text)
    phone = text(_l("Phone number"), 30, InputRequired(_l("Enter your phone number.")), valid_phone)
    birth_year = text(_l("Year of birth"), 4, InputRequired(_l("Enter your year of birth.")),
                      valid_birth_year)
    gender = RadioField(_l("Gender"), choices=[SelectChoice(*g) for g in GENDERS],
                        validate_choice=False, validators=[
        InputRequired(_l("Choose your gender.")),
        AnyOf([key for key, _label in GENDERS], message=_l("Choose one of the options."))])
    id_number = text(_l("ID number (CCCD / CMND / passport)"), 30, valid_id_number)
    nationality = text(_l("Nationality"), 60, InputRequired(_l("Enter your nationality.")),
                       plain_text, default=DEFAULT_NATIONALITY)
    province = SelectField(
        _l("Province / city"),
        choices=[SelectChoice("", _l("— choose —"))] + [SelectChoice(p) for p in PROVINCES],
        validate_choice=False, validators=[
            InputRequired(_l("Choose your province or city.")),
            AnyOf(PROVINCES, message=_l("Choose a province or city from the list."))])
    ward = text(_l("Ward / commune"), 100, plain_text)
    street = text(_l("House number, street"), 200, plain_text)
    purpose = text(_l("Purpose / whom you are meeting"), 200, plain_text)

    companions = SparseRowList(FormField(CompanionForm), min_entries=1, max_entries=MAX_COMPANIONS)

    remember = BooleanField(_l("Remember my details on this phone"))
    consent = BooleanField(validators=[InputRequired(_l("Please give your consent to check in."))])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.companions_error: str | None = None
        self.consent.label.text = WhenShown(consent_text)  # no form is shown after a check-in

    def validate(self, extra_validators=None) -> bool:
        """The declaration's rules, then the ID number if required and the companions."""
        ok = super().validate(extra_validators)
        if current_app.config["REQUIRE_ID_NUMBER"] and not self.id_number.data:
            self.id_number.errors.append(_("Enter your ID number."))
            ok = False
        self.companions_error = None
        if self._companion_rows_sent() > MAX_COMPANIONS:
            self.companions_error = _("At most %(n)d people can be checked in with you.",
                                      n=MAX_COMPANIONS)
            ok = False
        return ok

    def _companion_rows_sent(self) -> int:
        # FieldList keeps the first MAX_COMPANIONS rows and drops the rest without a word.
        rows = {key.split("-")[1] for key in request.form
                if key.startswith("companions-") and key.count("-") >= 2}
        return len(rows)

    def details(self) -> VisitorDetails:
        """The validated answers in their stored form."""
        return VisitorDetails(
            full_name=self.full_name.data, phone=normalise_phone(self.phone.data),
            birth_year=int(self.birth_year.data), gender=self.gender.data,
            id_number=normalise_id_number(self.id_number.data) if self.id_number.data else None,
            nationality=self.nationality.data, province=self.province.data,
            ward=self.ward.data or "", street=self.street.data or "",
            purpose=self.purpose.data or "", declaration=self.declaration(),
            companions=[row.form.details() for row in self.companions.entries
                        if not row.form.is_blank],
        )

    def identity(self) -> dict:
        """The identity fields as typed, for the "remember me" cookie."""
        identity = {name: self[name].data or "" for name in IDENTITY_FIELDS}
        identity["phone"] = normalise_phone(self.phone.data) or identity["phone"]
        return identity


def one_tap_form(identity: dict) -> CheckInForm:
    """The check-in form as a remembered visitor sends it with the one-tap button: their
    remembered identity, No to every question (the button's own words), the commitment and
    the consent they gave with this notice; the token and visit secret come from the post."""
    data = MultiDict({name: str(identity.get(name, "")) for name in IDENTITY_FIELDS})
    data.update({"none_of_these": "y", "confirm_true": "y", "consent": "y", "remember": "y",
                 "csrf_token": request.form.get("csrf_token", ""),
                 "visit_secret": request.form.get("visit_secret", "")})
    return CheckInForm(formdata=data)


def declaration_context() -> dict:
    """What the declaration's templates need besides the form."""
    return {"max_companions": MAX_COMPANIONS, "symptoms": SYMPTOMS, "exposures": EXPOSURES,
            "travel_question": TRAVEL, "travel_prompt": TRAVEL_PROMPT,
            "symptoms_prompt": SYMPTOMS_PROMPT,
            "exposures_prompt": EXPOSURES_PROMPT, "companion_nothing": NOTHING,
            "companion_something": SOMETHING}


class CheckOutForm(AppForm):
    """The check-out button: the phone may show the done page for hours before it is pressed."""

    class Meta:
        csrf_time_limit = None
