"""Admin: settings that change while the application runs (the health-measures notice)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..admin import health_notice
from ..admin.health_notice_forms import NoticeForm
from ..extensions import db
from ..store import audit
from ..web.boundary import multiline

bp = Blueprint("settings", __name__, url_prefix="/admin")


@bp.route("/settings", methods=["GET", "POST"])
@multiline("notice_vi", "notice_en")
def index():
    """The health-measures notice shown to visitors: edit it, or empty it to hide it."""
    form = NoticeForm()
    if form.validate_on_submit():
        notices = {"vi": form.notice_vi.data or "", "en": form.notice_en.data or ""}
        audit.record("settings_change", {"notice_vi_chars": len(notices["vi"]),
                                         "notice_en_chars": len(notices["en"])})
        health_notice.save_health_notices(notices, current_user)
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for(".index"))
    if not form.is_submitted():
        saved = health_notice.health_notices()
        form.notice_vi.data, form.notice_en.data = saved["vi"], saved["en"]
    status = 400 if form.errors else 200
    return render_template("settings/index.html", form=form,
                           defaults=health_notice.DEFAULT_NOTICE), status
