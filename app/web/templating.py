"""What every template can use."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from babel.support import NullTranslations
from flask import Flask, g
from flask_babel import get_locale, get_translations
from flask_babel import lazy_gettext as _l
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup

from ..store import clock
from ..store.models import CheckoutReason, Decision, DeliveryStatus, PointKind, Role, VisitSource

HTMX_FILE = "htmx-2.0.11.min.js"


# What each named state is called on screen.
LABELS: dict[type[StrEnum], dict[StrEnum, str]] = {
    CheckoutReason: {
        CheckoutReason.VISITOR: _l("by the visitor"),
        CheckoutReason.STAFF: _l("at reception"),
        CheckoutReason.AUTO: _l("automatically, end of day"),
        CheckoutReason.REPLACED: _l("replaced by a corrected declaration"),
        CheckoutReason.REFUSED: _l("not let in at the gate"),
    },
    VisitSource: {
        VisitSource.SELF: _l("Self-declared"),
        VisitSource.STAFF: _l("Staff entry"),
        VisitSource.PAPER: _l("Paper slip"),
    },
    PointKind: {
        PointKind.ENTRANCE: _l("Entrance (scanned again: leaving)"),
        PointKind.INNER: _l("Inner point (counter, meeting room…)"),
        PointKind.MEDICAL: _l("Medical room"),
    },
    Role: {
        Role.ADMIN: _l("Admin"),
        Role.RECEPTIONIST: _l("Receptionist"),
        Role.HEALTH_OFFICER: _l("Health officer"),
    },
    Decision: {
        Decision.ADMIT: _l("Let in"),
        Decision.MEDICAL: _l("Taken to the medical room"),
        Decision.REFUSE: _l("Not let in"),
    },
    DeliveryStatus: {
        DeliveryStatus.PENDING: _l("Not sent yet"),
        DeliveryStatus.SENT: _l("Sent"),
        DeliveryStatus.FAILED: _l("Failed"),
    },
}


def label(state: StrEnum) -> str:
    """The words for a named state (a visit's source, why it was checked out, the gate's
    decision)."""
    return LABELS[type(state)][state]


def phone(number: str | None) -> str:
    """A phone number as people read it aloud: a mobile's ten digits as 0912 345 678, a
    landline's eleven as 024 3826 1234; anything else as stored."""
    number = number or ""
    if number.isdigit() and len(number) == 10:
        return f"{number[:4]} {number[4:7]} {number[7:]}"
    if number.isdigit() and len(number) == 11:
        return f"{number[:3]} {number[3:7]} {number[7:]}"
    return number


def request_translations() -> NullTranslations:
    """The catalogue of the request's language, as Flask-Babel finds it, looked up once per
    request rather than at every string a template translates (a page has dozens).

    It is kept where Flask-Babel keeps the request's language, in the attribute its
    force_locale() empties and restores and its refresh() deletes, so a page rendered in
    another language (a poster's English half) is translated into that one.
    """
    state = g.get("_flask_babel")
    if state is None:
        return get_translations()
    found = getattr(state, "babel_translations", None)
    if found is None:
        found = state.babel_translations = get_translations()
    return found


# How many texts without variables each catalogue keeps translated (a page's own texts: a
# few hundred in all; a text made at run time could add more, hence the bound).
KEPT_TEXTS = 4096


@pass_eval_context
def template_gettext(eval_ctx: EvalContext, string: str, /, **variables) -> str:
    """A template's `_("text", name=value)`, as Jinja's newstyle gettext does it: the
    translation, marked safe where the template escapes, its %(name)s filled in (and escaped).

    A text without variables in an escaping template (nearly every `_()` of a page) comes out
    the same at every request in a language: it is worked out once per catalogue and kept on
    the catalogue itself, so a catalogue read again (a refresh) starts afresh."""
    translations = request_translations()
    if variables or not eval_ctx.autoescape:
        translated = translations.ugettext(string)
        if eval_ctx.autoescape:
            translated = Markup(translated)
        return translated % variables
    kept = translations.__dict__.get("gatebook_markup")
    if kept is None:
        kept = translations.gatebook_markup = {}
    found = kept.get(string)
    if found is None:
        found = Markup(translations.ugettext(string)) % variables
        if len(kept) < KEPT_TEXTS:
            kept[string] = found
    return found


def init_app(app: Flask) -> None:
    """Register template helpers."""
    # As Flask-Babel installs them, with the request's catalogue found once (above).
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n))
    # `_()`, the call nearly every string of a page makes: one call where Jinja's i18n
    # extension makes three (its `_` alias calls `gettext`, which calls the callable above).
    app.jinja_env.globals["_"] = template_gettext

    @app.template_filter("localtime")
    def localtime(moment: datetime | None, fmt: str = "%H:%M %d/%m/%Y") -> str:
        """A stored UTC time as the organisation's local time."""
        return clock.to_local(moment).strftime(fmt) if moment else ""

    app.add_template_filter(label)
    app.add_template_filter(phone)
    app.jinja_env.globals["CheckoutReason"] = CheckoutReason
    app.jinja_env.globals["Decision"] = Decision
    app.jinja_env.globals["VisitSource"] = VisitSource

    @app.context_processor
    def page_globals() -> dict:
        return {"org_name": app.config["ORG_NAME"], "lang": str(get_locale() or "vi"),
                "htmx_file": HTMX_FILE, "retention_days": app.config["RETENTION_DAYS"]}
