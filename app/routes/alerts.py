"""The gate's decisions about flagged check-ins, from the alert panel or a visit's page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..desk import alerts, day_list
from ..desk.alerts_forms import DecisionForm
from ..desk.visit_page import visit_page
from ..extensions import db
from ..store import clock
from ..store.models import Decision, Visit
from ..web.form_fields import ActionForm
from ..web.templating import label

bp = Blueprint("alerts", __name__, url_prefix="/dashboard/alerts")
bp.add_app_template_filter(alerts.reasons, "flag_reasons")
bp.add_app_template_filter(alerts.declared, "declared")
bp.add_app_template_filter(alerts.refusal, "decision_refusal")
bp.add_app_template_filter(alerts.can_undo, "decision_undoable")


@bp.post("/<id:visit_id>")
def decide(visit_id: int):
    """Record what the gate did about a visit: let in, taken to the medical room, or not."""
    found = db.get_or_404(Visit, visit_id)
    form = DecisionForm()
    from_panel = bool(request.headers.get("HX-Request"))
    # A visit that takes no decision is refused before the form is read: its page shows no
    # form that could show the form's mistakes.
    refused = alerts.refusal(found)
    if refused is None and not form.validate_on_submit():
        return _panel_item(found, form) if from_panel else visit_page(found, decision=form,
                                                                      status=400)
    if refused is None:
        refused = _record(found, form)
    if from_panel:
        return _panel_item(found, form, refused=refused)
    if refused is not None:
        flash(refused, "error")
    else:
        flash(_("Recorded for %(name)s: %(decision)s.", name=found.full_name,
                decision=label(found.gate_decision.decision)), "success")
    return redirect(url_for("dashboard.visit", visit_id=found.id))


@bp.post("/<id:visit_id>/undo")
def undo(visit_id: int):
    """Take back a decision recorded by mistake, within a minute: the alert waits again and
    the stay is as it was (a refused party is inside again)."""
    found = db.get_or_404(Visit, visit_id)
    form = ActionForm()
    undone = form.validate_on_submit() and alerts.undo(found, current_user)
    if request.headers.get("HX-Request"):
        refused = None if undone else _("A decision can be taken back only within a minute.")
        return _panel_item(found, DecisionForm(formdata=None), refused=refused)
    if undone:
        flash(_("The decision was taken back."), "success")
    else:
        flash(_("A decision can be taken back only within a minute."), "error")
    return redirect(url_for("dashboard.visit", visit_id=found.id))


def _record(found: Visit, form: DecisionForm) -> str | None:
    """Record the decision as sent; why it was refused (someone was quicker), or None."""
    try:
        alerts.decide(found, Decision(form.decision.data), form.temperature_value(),
                      form.note.data or "", current_user)
    except alerts.DecisionError as error:
        return str(error)
    return None


def _panel_item(found: Visit, form: DecisionForm, refused: str | None = None):
    """The panel's item after a decision was sent: what was recorded, why it was not, or the
    item again with what needs correcting; with the counters."""
    day = clock.to_local(found.checked_in_at).date()
    db.session.refresh(found)
    return render_template("alerts/_decided.html", visit=found, decision_form=form,
                           refused=refused, counters=day_list.counters(day),
                           is_today=day == clock.local_today())
