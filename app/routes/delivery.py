"""Admin: the daily delivery of the day's file to the health centre by e-mail."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..config import smtp_port
from ..extensions import db
from ..reports import delivery, delivery_settings
from ..reports.delivery_forms import DeliveryForm
from ..store import audit
from ..store.database import reads_only
from ..web.boundary import multiline
from ..web.form_fields import ActionForm

bp = Blueprint("delivery", __name__, url_prefix="/admin")


@bp.route("/delivery", methods=["GET", "POST"])
@multiline("recipients")
def index():
    """Set the recipients, the time and the file password; see each day's delivery."""
    saved = delivery_settings.current()
    form = DeliveryForm(has_password=saved.password_readable)
    if form.validate_on_submit():
        changes = delivery_settings.save(form.enabled.data, form.recipient_list,
                                         form.send_at.data, form.password.data or None,
                                         current_user)
        audit.record("delivery_settings", changes)
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for(".index"))
    if not form.is_submitted():
        form.enabled.data = saved.enabled
        form.recipients.data = "\n".join(saved.recipients)
        form.send_at.data = saved.send_at
    status = 400 if form.errors else 200
    return render_template("delivery/index.html", form=form, saved=saved, test=ActionForm(),
                           days=delivery.log_days(), problem_words=delivery.problem_words,
                           server=_mail_server()), status


def _mail_server() -> str | None:
    """host:port (security) of the configured mail server, or None."""
    config = current_app.config
    if delivery_settings.mail_server_missing():
        return None
    return f"{config['SMTP_HOST']}:{smtp_port(config)} ({config['SMTP_SECURITY']})"


@bp.post("/delivery/test")
@reads_only
def send_test():
    """Send yesterday's file to every recipient now, and say what happened."""
    if not ActionForm().validate_on_submit():
        return redirect(url_for(".index"))
    outcome = delivery.send_test(current_user)
    if outcome.ok:
        flash(_("Sent the file of %(day)s to %(recipients)s.", day=f"{outcome.day:%d/%m/%Y}",
                recipients=", ".join(outcome.sent_to)), "success")
    else:
        reached = (" " + _("It reached %(recipients)s.", recipients=", ".join(outcome.sent_to))
                   if outcome.sent_to else "")
        flash(_("The test e-mail was not sent: %(problem)s",
                problem=delivery.problem_words(outcome.error)) + reached, "error")
    return redirect(url_for(".index"))
