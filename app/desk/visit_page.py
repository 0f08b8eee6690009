"""A visit's page at the desk, with its correction and gate-decision forms: shown by the day
list's views and by the alert panel's."""

from __future__ import annotations

from flask import render_template

from ..checkin.forms import declaration_context
from ..reports.tracing import DEFAULT_MIN_OVERLAP_MINUTES
from ..store.models import Visit
from .alerts_forms import DecisionForm
from .day_list_forms import CorrectionForm


def visit_page(found: Visit, correction: CorrectionForm | None = None,
               decision: DecisionForm | None = None, status: int = 200):
    """The visit's page, with the forms as sent when one of them needs correcting."""
    correction = correction or CorrectionForm(formdata=None, full_name=found.full_name,
                                              phone=found.phone)
    return render_template("dashboard/visit.html", visit=found, form=correction,
                           decision_form=decision or DecisionForm(formdata=None),
                           default_min_overlap=DEFAULT_MIN_OVERLAP_MINUTES,
                           **declaration_context()), status
