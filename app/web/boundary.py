"""The edge of every request: how much of it is read, and text nobody types refused before any
view (or the database) sees it.

Flask applies MAX_CONTENT_LENGTH to every body, but MAX_FORM_PARTS only to multipart forms;
the form parser here applies it to url-encoded forms too, and refuses a url-encoded body that is
not UTF-8. Then, before any view runs, control characters (NUL, the C0 and C1 ranges, DEL) in
the path, the query, the form or a header the application reads answer 400: PostgreSQL cannot
store a NUL, and nobody types the others. So do a file sent to a view that takes none (the
form's fields are read as text) and a body sent as JSON (no view takes one: Flask-WTF would
read it as the form, values of any type, past these checks). A TAB in a form field or in the
desk's search (pasted with the text) is read as a space. A view whose form has a textarea
lets those fields keep their line breaks (`multiline`). What a field may hold beyond that is
the field's own check (app.web.form_fields, app.store.normalise).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable

from flask import Flask, current_app, request
from flask.wrappers import Request
from flask_login import current_user
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from werkzeug.formparser import FormDataParser

from ..store.database import READ_ONLY_METHODS

# The headers the application (or ProxyFix, when proxies are trusted) reads.
READ_HEADERS = ("Host", "Referer", "HX-Request", "HX-Target", "HX-Current-URL",
                "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host")
# Where WSGI puts them (read from the environ: werkzeug's Headers would build a view of it).
_READ_HEADER_KEYS = tuple("HTTP_" + name.upper().replace("-", "_") for name in READ_HEADERS)
# Query arguments a person types (the desk's search box); the others (a page to go back to,
# a day, an id) are refused with any control character, a TAB included.
TYPED_QUERY_ARGS = frozenset({"q"})
# Control characters, and lone surrogates (no database stores them).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_BUT_LINE_BREAKS = re.compile("[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


class UntypableText(BadRequest):
    """The request carries characters nobody types (NUL, other control characters), or a form
    body that is not UTF-8."""


class _FormParser(FormDataParser):
    """Werkzeug's form parser, with the limit on fields applied to url-encoded bodies too."""

    def _parse_urlencoded(self, stream, mimetype, content_length, options):
        body = stream.read()  # already cut off at MAX_CONTENT_LENGTH
        if self.max_form_parts is not None and body.count(b"&") >= self.max_form_parts:
            raise RequestEntityTooLarge()
        try:
            body.decode()
        except UnicodeDecodeError:
            raise UntypableText() from None
        return super()._parse_urlencoded(io.BytesIO(body), mimetype, content_length, options)


class BoundedRequest(Request):
    """A request whose forms are parsed within the configured limits, whatever their encoding."""

    form_data_parser_class = _FormParser


def multiline(*fields: str) -> Callable:
    """Let these form fields of the view keep line breaks (a textarea); other control
    characters are still refused."""
    def mark(view: Callable) -> Callable:
        view.multiline_fields = frozenset(fields)  # type: ignore[attr-defined]
        return view
    return mark


def large_body(limit: int) -> Callable:
    """Let the view take a body of up to `limit` bytes (a file upload), beyond
    MAX_CONTENT_LENGTH and the form's field size, from a signed-in staff member (the view's
    own guard decides the rest): nobody else can make the server read that much."""
    def mark(view: Callable) -> Callable:
        view.body_limit = limit  # type: ignore[attr-defined]
        return view
    return mark


def _has_control(*texts: str) -> bool:
    return _CONTROL.search("".join(texts)) is not None


def _tabs_as_spaces(values: MultiDict, keys: frozenset[str] | None = None) -> MultiDict:
    """The same values, each TAB in them (or in those of `keys`) a space: a tab comes in with
    text pasted from a spreadsheet or a document, and means a space between words."""
    if not any("\t" in value for key, value in values.items(multi=True)
               if keys is None or key in keys):
        return values
    return ImmutableMultiDict([
        (key, value.replace("\t", " ") if keys is None or key in keys else value)
        for key, value in values.items(multi=True)])


def refuse_untypable_text() -> None:
    """Answer 400 when the path, the query, the form or a header the application reads holds a
    control character (line breaks only in the fields a view marks `multiline`)."""
    req = request._get_current_object()  # (looked up once, not at every use)
    environ = req.environ
    if _has_control(req.path, req.remote_addr or "",
                    *[environ.get(key, "") for key in _READ_HEADER_KEYS]):
        raise UntypableText()
    if environ.get("QUERY_STRING") and req.args:  # (an address without one has none to read)
        req.args = _tabs_as_spaces(req.args, TYPED_QUERY_ARGS)
        for key, value in req.args.items(multi=True):
            if _has_control(key, value):
                raise UntypableText()
    if not req.want_form_data_parsed:  # no body werkzeug would read as a form or files
        return
    if req.is_json and req.method not in READ_ONLY_METHODS:
        # Flask-WTF would read a JSON body as the form, past the checks below.
        raise BadRequest("no form is sent as JSON")
    view = current_app.view_functions.get(req.endpoint or "")
    limit = getattr(view, "body_limit", None)
    if limit is not None and current_user.is_authenticated:  # before the body is read, below
        req.max_content_length = req.max_form_memory_size = limit
    multiline_fields = getattr(view, "multiline_fields", frozenset())
    form = req.form
    fields = list(form.items(multi=True))
    # Every character is looked at once: the names, then the values, each run together.
    try:
        names = "".join(key for key, _value in fields)
    except TypeError:  # a multipart part whose name werkzeug could not read
        raise UntypableText() from None
    if limit is None and req.files:  # only an upload's view (large_body) takes files
        raise BadRequest("a file sent to a form that takes none")
    if multiline_fields:
        values = "".join(value for key, value in fields if key not in multiline_fields)
        lines = "".join(value for key, value in fields if key in multiline_fields)
    else:  # (nearly every form)
        values, lines = "".join(value for _key, value in fields), ""
    if "\t" in values or "\t" in lines:  # the form's values as the views get them
        req.form = _tabs_as_spaces(form)
        values, lines = values.replace("\t", " "), lines.replace("\t", " ")
    if (_CONTROL.search(names) or _CONTROL.search(values)
            or _CONTROL_BUT_LINE_BREAKS.search(lines)):
        raise UntypableText()


def init_app(app: Flask) -> None:
    """Parse requests within the limits, and check their text before anything else runs
    (call this before registering any other before_request function)."""
    app.request_class = BoundedRequest
    app.before_request(refuse_untypable_text)
