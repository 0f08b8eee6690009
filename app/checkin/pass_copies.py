"""The confirmation page as nearly every phone sees it, from a copy rendered once.

Checked in, nothing declared, alone, still where it came in: that page is the same for every
visitor at an entry point, in one language, but for four things (the visitor's name, the time
of the check-in, the visit's number in its addresses, the page's CSRF token). It is rendered
once per entry point, language and settings with stand-ins for those four, and each phone's
page is that copy with its own put in: rendering the template was most of what the page cost.
Any other pass (a flag, a party, a move, a check-out, a button to tap again), a message
waiting for the browser, or an address with a query is rendered as before.

The copy holds no one's data: the stand-ins are not anyone's, and the path the page was asked
by (in its language switch) is put back to the stand-in's before the copy is kept.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections import OrderedDict
from datetime import UTC, datetime

from flask import current_app, render_template, request, session, url_for
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf
from markupsafe import escape

from ..config import SUPPORTED_LANGUAGES
from .passes import VisitPass

# The stand-ins: a visit number beyond any row id (app.store.models.MAX_ID), a name and a
# token no one has, a time long before any visit. Each is found nowhere else on the page.
_ID = 81181181181181
_NAME, _CSRF = "GATEBOOK-PASS-NAME-MARK", "GATEBOOK-PASS-CSRF-MARK"
_TIME = datetime(1901, 2, 3, 4, 5, 6, tzinfo=UTC)
_ISO_TIME = _TIME.isoformat()
COPIES_KEPT = 64  # entry points × languages × notices in use at once


def plain_page(visit: VisitPass, context: dict) -> str | None:
    """The page of a plain pass (the caller says it is one), with `context` the template's
    other values; None where it must be rendered (see above)."""
    number = str(visit.id)
    path = request.path
    if request.query_string or not path.endswith("/" + number) or session.get("_flashes"):
        return None
    config = current_app.config
    key = (str(get_locale()), context["location"], context["notice"], config["ORG_NAME"],
           request.script_root, path[:-len(number)])
    kept: OrderedDict = current_app.extensions.setdefault("gatebook_pass_copies",
                                                          OrderedDict())
    copy = kept.get(key)
    if copy is not None:
        with contextlib.suppress(KeyError):  # (let go by another thread meanwhile)
            kept.move_to_end(key)  # the most asked for stay
    else:
        copy = kept[key] = _copy(visit, context, path, path[:-len(number)] + str(_ID))
        while len(kept) > COPIES_KEPT:
            kept.popitem(last=False)
    localtime = current_app.jinja_env.filters["localtime"]
    own = {str(_ID): number, _NAME: str(escape(visit.full_name)), _CSRF: generate_csrf(),
           _ISO_TIME: visit.checked_in_at.isoformat(),
           copy.local_time: localtime(visit.checked_in_at)}
    # One pass: nothing put in is looked at again (a name may hold any text).
    return copy.stand_ins.sub(lambda found: own[found.group()], copy.html)


@dataclasses.dataclass(frozen=True)
class _Copy:
    html: str
    local_time: str  # the stand-in time, as the page shows it in the organisation's zone
    stand_ins: re.Pattern  # any stand-in


def _copy(visit: VisitPass, context: dict, path: str, stand_in_path: str) -> _Copy:
    stand_in = dataclasses.replace(visit, id=_ID, full_name=_NAME, checked_in_at=_TIME)
    html = render_template("checkin/done.html", **{**context, "visit": stand_in,
                                                   "csrf_token": lambda: _CSRF})
    # The language switch leads back to the address the page was asked by.
    for code in SUPPORTED_LANGUAGES:
        html = html.replace(str(escape(url_for("language.set_language", code=code, next=path))),
                            str(escape(url_for("language.set_language", code=code,
                                               next=stand_in_path))))
    local_time = current_app.jinja_env.filters["localtime"](_TIME)
    stand_ins = re.compile("|".join(map(re.escape, (str(_ID), _NAME, _CSRF, _ISO_TIME,
                                                    local_time))))
    return _Copy(html, local_time, stand_ins)
