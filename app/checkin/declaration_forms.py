"""The health declaration as a form: every yes/no question of app.checkin.declaration, "none of
these", the places of travel, and the commitment; shared by the visitor's and the employee's
forms."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, Field, HiddenField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.utils import unset_value
from wtforms.validators import InputRequired

from ..web.form_fields import AppForm, plain_text, text
from .declaration import EXPOSURES, SYMPTOMS, TRAVEL

YES, NO = "yes", "no"
YES_NO = [SelectChoice(YES, _l("Yes")), SelectChoice(NO, _l("No"))]

def _yes_no(label: str) -> RadioField:
    return RadioField(label, choices=YES_NO, validate_choice=False)


# Each yes/no question's radio group, by its input's name, in the order asked.
QUESTIONS: dict[str, RadioField] = {
    **{f"symptom_{q.key}": _yes_no(q.label) for q in SYMPTOMS},
    **{f"exposure_{q.key}": _yes_no(q.label) for q in EXPOSURES},
    "travel": _yes_no(TRAVEL.label),
}


class YesNoAnswers(Field):
    """The answer to every yes/no question, {input name: "yes", "no" or None}, each read from
    its own radio group as a RadioField would read it. One field for all of them: every field
    a form has is built again on every check-in posted, and only a page that shows the
    questions needs them as radio groups (DeclarationForm builds those when asked)."""

    def process(self, formdata, data=unset_value, extra_filters=None) -> None:
        self.process_errors = []
        given = data if isinstance(data, dict) else {}
        self.object_data = given
        prefix = self.name[:len(self.name) - len(self.short_name)]
        answers = {}
        for name in QUESTIONS:
            value = given.get(name)
            if formdata is not None and prefix + name in formdata:
                value = str(formdata.getlist(prefix + name)[0])  # as RadioField coerces it
            answers[name] = value
        self.data = answers


class DeclarationForm(AppForm):
    """The declaration's questions and the commitment that the answers are true."""

    class Meta:
        # A form left open this long on a phone gets a fresh token on submit (input kept).
        csrf_time_limit = 3600

    none_of_these = BooleanField(_l("I have none of the symptoms, contacts or travel below"))
    answers = YesNoAnswers()
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
        # By input name (the form's prefix included), as a page compares them.
        self.unanswered: set[str] = set()
        self.wrong_answers: set[str] = set()  # neither Yes nor No
        self._radio_groups: dict[str, RadioField] = {}

    def __getitem__(self, name: str) -> Field:
        """A field by name; a question's name gives its radio group, with its answer and its
        error, for the page."""
        if name not in QUESTIONS:
            return super().__getitem__(name)
        group = self._radio_groups.get(name)
        if group is None:
            group = self.meta.bind_field(self, QUESTIONS[name], {
                "name": name, "prefix": self._prefix,
                "translations": self.meta.get_translations(self)})
            group.process(None, self.answers.data.get(name))
            if group.name in self.wrong_answers:
                group.errors = [_("Choose Yes or No.")]
            self._radio_groups[name] = group
        return group

    @property
    def travel(self) -> RadioField:
        """The travel question's radio group."""
        return self["travel"]

    def validate(self, extra_validators=None) -> bool:
        """Field rules, then the declaration: every question answered, or "none of these"."""
        ok = super().validate(extra_validators)
        answers = self.answers.data
        self._radio_groups = {}  # built afresh, with their errors
        self.wrong_answers = {self._prefix + name for name, value in answers.items()
                              if value not in (None, "", YES, NO)}
        if self.wrong_answers:
            self.answers.errors.append(_("Choose Yes or No."))  # shown by each such question
            ok = False
        self.unanswered = {self._prefix + name for name, value in answers.items()
                           if not value and not self.none_of_these.data}
        self.declaration_error = None
        if self.unanswered:
            self.declaration_error = _(
                "Answer Yes or No to each question marked in red, or tick \"I have none of the "
                "symptoms, contacts or travel below\" at the top.")
            ok = False
        if self.none_of_these.data and YES in answers.values():
            self.none_of_these.errors.append(
                _("You ticked \"none\" but answered Yes to a question. "
                  "Untick it or change the answer."))
            ok = False
        if answers["travel"] == YES and not self.travel_places.data:
            self.travel_places.errors.append(_("Tell us which places you have been to."))
            ok = False
        return ok

    def declaration(self) -> dict:
        """The answers as stored with the visit: Yes, or No (validation has made sure each
        question is answered, or "none of these" ticked, which answers No to the rest)."""
        answers = self.answers.data
        travel = answers["travel"] == YES
        return {
            "symptoms": {q.key: answers[f"symptom_{q.key}"] == YES for q in SYMPTOMS},
            "exposure": {q.key: answers[f"exposure_{q.key}"] == YES for q in EXPOSURES},
            "travel": {"answer": travel, "places": self.travel_places.data if travel else ""},
        }
