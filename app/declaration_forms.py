"""The health declaration as a form: every yes/no question of app.declaration, "none of these",
the places of travel, and the commitment; shared by the visitor's and the employee's forms."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from .declaration import EXPOSURES, SYMPTOMS, TRAVEL
from .form_fields import AppForm, plain_text, text

YES, NO = "yes", "no"
YES_NO = [SelectChoice(YES, _l("Yes")), SelectChoice(NO, _l("No"))]


class DeclarationForm(AppForm):
    """The declaration's questions and the commitment that the answers are true."""

    class Meta:
        # A form left open this long on a phone gets a fresh token on submit (input kept).
        csrf_time_limit = 3600

    none_of_these = BooleanField(_l("I have none of the symptoms, contacts or travel below"))
    travel_places = text(_l("Which places?"), 200, plain_text)
    confirm_true = BooleanField(
        _l("I confirm that the information above is true. A false declaration is an offence."),
        [InputRequired(_l("Please confirm that the information is true."))])
    # The per-visit secret: generated with the blank form, held by the phone after check-in.
    visit_secret = HiddenField()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # One message for the questions left unanswered, rather than one per question.
        self.declaration_error: str | None = None
        self.unanswered: set[str] = set()

    def declaration_fields(self) -> list[RadioField]:
        """Every yes/no question of the declaration, in the order asked."""
        return [self[f"symptom_{q.key}"] for q in SYMPTOMS] + \
               [self[f"exposure_{q.key}"] for q in EXPOSURES] + [self["travel"]]

    def validate(self, extra_validators=None) -> bool:
        """Field rules, then the declaration: every question answered, or "none of these"."""
        ok = super().validate(extra_validators)
        questions = self.declaration_fields()
        for field in questions:
            if field.data not in (None, "", YES, NO):
                field.errors.append(_("Choose Yes or No."))
                ok = False
        self.unanswered = {field.name for field in questions
                           if not field.data and not self.none_of_these.data}
        self.declaration_error = None
        if self.unanswered:
            self.declaration_error = _(
                "Answer Yes or No to each question marked in red, or tick \"I have none of the "
                "symptoms, contacts or travel below\" at the top.")
            ok = False
        if self.none_of_these.data and any(field.data == YES for field in questions):
            self.none_of_these.errors.append(
                _("You ticked \"none\" but answered Yes to a question. "
                  "Untick it or change the answer."))
            ok = False
        if self.answer(self.travel) and not self.travel_places.data:
            self.travel_places.errors.append(_("Tell us which places you have been to."))
            ok = False
        return ok

    @staticmethod
    def answer(field: RadioField) -> bool:
        """True for Yes (validation has made sure each question is answered, or "none of
        these" ticked, which answers No to the unanswered ones)."""
        return field.data == YES

    def declaration(self) -> dict:
        """The answers as stored with the visit."""
        return {
            "symptoms": {q.key: self.answer(self[f"symptom_{q.key}"]) for q in SYMPTOMS},
            "exposure": {q.key: self.answer(self[f"exposure_{q.key}"]) for q in EXPOSURES},
            "travel": {"answer": self.answer(self.travel),
                       "places": self.travel_places.data if self.answer(self.travel) else ""},
        }


def _yes_no(label: str) -> RadioField:
    return RadioField(label, choices=YES_NO, validate_choice=False)


for _question in SYMPTOMS:
    setattr(DeclarationForm, f"symptom_{_question.key}", _yes_no(_question.label))
for _question in EXPOSURES:
    setattr(DeclarationForm, f"exposure_{_question.key}", _yes_no(_question.label))
DeclarationForm.travel = _yes_no(TRAVEL.label)
