"""Hypothesis strategies for hostile requests to one route of the URL map: path segments, query
strings, url-encoded and multipart bodies and headers, holding control characters, invalid
UTF-8, huge numbers, odd dates, very long values, unexpected and repeated fields and non-ASCII
digits, mixed with valid values so that requests also get past the first check."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote_from_bytes

from flask import Flask
from flask_wtf import FlaskForm
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.routing import Rule
from werkzeug.test import encode_multipart

from tests.conftest import VALID_VISITOR

# Values that have broken, or could break, a parser somewhere.
SPECIAL = [
    "", "\x00", "a\x00b", "\u202eevil", "\u200b", "\r\n", "\t", "\x7f", "\x85", "\ufeff", "\ufffd",
    "²", "٣", "١٢", "１２", "-1", "0", "00", "1e309", "0x10", "NaN", "9" * 20, "9" * 25,
    "9" * 5000, "2147483648", "0001-01-01", "9999-12-31", "2021-02-30", "2021-07-14T25:00",
    "2021-07-14", "0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59",
    "2021-07-14T01:30:00+00:00,1", "2021-07-14T01:30:00+00:00,99999999999999999999",
    "=1+1", "@SUM(A1)", "<script>x</script>", "%00", "../../etc/passwd", "//evil.example",
    "javascript:alert(1)", "Nguyễn Văn An", "0912345678", "+84 912 345 678", "001085012345",
    "001085012345||Nguyễn Văn An|01011985|Nam|Hàng Bài, Hà Nội|01012021",
]
# Percent-encoded, these are not UTF-8.
INVALID_UTF8 = [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xc0\xaf", b"a\x80b"]
HOSTS = ["a" * 64 + ".example", "gate..example", ".example", "evil.example", "ễ.example",
         "localhost:99999", "[::1]", "localhost\x00", ""]
# Query parameters the views read (a view reads request.args by name: there is no map of them).
QUERY_NAMES = ["day", "q", "location", "flagged", "inside", "before", "since", "next", "new",
               "full", "user", "action", "from", "to", "start", "end", "format", "v", "by",
               "visit", "phone", "minutes", "floor", "chart", "department", "inactive", "code"]
COMPANION_ROWS = ["0", "1", "9", "10", "999", "²", "٣", "-1", "x", "", "00", "9" * 30]
# Valid values for the forms' fields, so that a request can reach the view's own checks.
VALID_FIELDS = {
    **VALID_VISITOR, "companions-0-full_name": "Bé Na", "companions-0-birth_year": "2015",
    "companions-0-answer": "yes", "companions-0-items": "fever", "companions-0-places": "",
    "name": "Cổng phụ", "username": "binh", "role": "admin", "password": "mật-khẩu-dài-đủ",
    "confirm": "mật-khẩu-dài-đủ", "notice_vi": "Đeo khẩu trang. Rửa tay.",
    "notice_en": "Wear a mask.", "by": "visit", "visit": "1", "minutes": "15",
    "start": "2021-07-14", "end": "2021-07-14", "format": "csv", "location_id": "1",
    "location": "1", "cccd": "001085012345||Nguyễn Văn An|01011985|Nam|Hàng Bài, Hà Nội|01012021",
    "full_name": "Nguyễn Văn An", "phone": "0912345678", "none_of_these": "y",
}


@dataclass(frozen=True)
class Known:
    """A value that exists when the request is sent (an entry point's token, a row's id)."""

    kind: str
    index: int = 0


@dataclass
class HostileRequest:
    """One request, before the known values in it are filled in."""

    path: list  # str parts of the rule, and Known or bytes for its arguments
    query: list[tuple[bytes, bytes]]
    body: str  # "none", "urlencoded", "multipart" or "raw"
    fields: list[tuple[str, object]] = field(default_factory=list)
    raw: bytes = b""
    with_csrf: bool = True
    headers: dict[str, str] = field(default_factory=dict)


def form_field_names(app: Flask) -> list[str]:
    """Every field name of every form in the application (generated from the form classes)."""
    names = set()
    pending = list(FlaskForm.__subclasses__())
    with app.test_request_context():
        while pending:
            form_class = pending.pop()
            pending.extend(form_class.__subclasses__())
            form = form_class(formdata=None, meta={"csrf": False})
            for item in form:
                entries = getattr(item, "entries", None)
                if entries is None:
                    names.add(item.name)
                for entry in entries or ():
                    names.update(sub.name for sub in entry)
    return sorted(names | {"one_tap", "add_companion", "fill_cccd", "for_other", "format"})


def _text(in_body: bool = False) -> st.SearchStrategy[str]:
    """Text of every kind; very long only in a body (a server refuses a request line over
    4 KB before the application sees it)."""
    lengths = [101, 201, 501, 3000, 70_000] if in_body else [101, 201, 400]
    return st.one_of(
        st.sampled_from(SPECIAL),
        st.text(max_size=20),
        st.text(st.characters(max_codepoint=0x24f), max_size=12),
        st.builds(lambda char, n: char * n, st.sampled_from("xễ9\x00😷"),
                  st.sampled_from(lengths)),
    )


def _raw(in_body: bool = False) -> st.SearchStrategy[bytes]:
    """Bytes for a path segment, a query or url-encoded value: text, or not UTF-8 at all."""
    return st.one_of(_text(in_body).map(lambda text: text.encode("utf-8", "surrogatepass")),
                     st.sampled_from(INVALID_UTF8), st.binary(max_size=8))


def _mostly(usual: st.SearchStrategy, other: st.SearchStrategy) -> st.SearchStrategy:
    """`usual` three times in four, else `other` (st.one_of would merge a repeated branch)."""
    return st.tuples(st.integers(0, 3), usual, other).map(
        lambda drawn: drawn[2] if drawn[0] == 3 else drawn[1])


def _field_name(names: list[str]) -> st.SearchStrategy[str]:
    companion = st.builds(lambda row, sub: f"companions-{row}-{sub}",
                          _mostly(st.sampled_from(COMPANION_ROWS), st.text(max_size=3)),
                          st.sampled_from(["full_name", "birth_year", "answer", "items",
                                           "places"]))
    return st.one_of(st.sampled_from(names), _mostly(companion, _text()))


def _path(rule: Rule) -> st.SearchStrategy[list]:
    """The rule's text, each <argument> a known value or hostile bytes."""
    parts = []
    for piece in re.split(r"(<[^>]+>)", rule.rule):
        if piece.startswith("<"):
            name = piece[1:-1].rpartition(":")[2]
            known = st.builds(Known, st.just(name), st.integers(0, 2))
            parts.append(_mostly(known, _raw()))  # mostly past the routing
        else:
            parts.append(st.just(piece))
    return st.tuples(*parts).map(list)


def _headers() -> st.SearchStrategy[dict[str, str]]:
    latin1 = st.one_of(st.sampled_from(SPECIAL).filter(lambda t: t.isascii()),
                       st.text(st.characters(max_codepoint=0xff), max_size=30))
    return st.fixed_dictionaries({}, optional={
        "Host": st.sampled_from(HOSTS), "HX-Request": st.sampled_from(["true", "1", ""]),
        "HX-Target": st.one_of(st.just("visit-list"), latin1),
        "HX-Current-URL": st.one_of(st.just("http://localhost/dashboard/?day=2021-07-14"),
                                    latin1),
        "Referer": latin1, "X-Forwarded-For": latin1, "Accept-Language": latin1,
    })


def _override(valid: list[tuple], hostile: list[tuple]) -> list[tuple]:
    """The hostile fields (repeats included), and the valid ones they leave alone."""
    taken = {name for name, _value in hostile}
    return hostile + [(name, value) for name, value in valid if name not in taken]


def requests_for(rule: Rule, method: str, names: list[str]) -> st.SearchStrategy:
    """Hostile requests to one route, by one method."""
    value = st.one_of(st.sampled_from(sorted(set(VALID_FIELDS.values()))), _text(True))
    some_valid = st.lists(st.sampled_from(sorted(VALID_FIELDS)), max_size=len(VALID_FIELDS),
                          unique=True).map(lambda keys: [(k, VALID_FIELDS[k]) for k in keys])
    valid_part = st.one_of(st.just(list(VALID_FIELDS.items())), some_valid)
    hostile_part = st.lists(st.tuples(_field_name(names), st.one_of(value, _raw(True))),
                            max_size=6)
    return st.builds(
        HostileRequest,
        path=_path(rule),
        query=st.lists(st.tuples(st.one_of(st.sampled_from(QUERY_NAMES).map(str.encode),
                                           _raw()), _raw()), max_size=4),
        body=st.sampled_from(["none", "urlencoded"] if method in ("GET", "HEAD", "OPTIONS")
                             else ["urlencoded", "urlencoded", "multipart", "raw", "none"]),
        fields=st.builds(_override, valid_part, hostile_part),
        raw=st.binary(max_size=64),
        with_csrf=st.sampled_from([True, True, True, False]),
        headers=_headers(),
    )


# Values that pass the edge (no control characters) but are no number, date or row a view
# expects: each form field and query parameter at once, so the views' own parsing is reached.
ODD_QUERY = {"before": "0000-01-01T00:00:00.000000Z/0000000001",
             "floor": "9999-12-31T23:59:59.999999Z/9999999999",
             "since": "9999-12-31T23:59:59-23:59",
             "day": "0001-01-01", "location": "9" * 25, "q": "١٢\u202e", "user": "9" * 25,
             "action": "x" * 300, "from": "2021-02-30", "to": "9999-12-31", "next": "//evil",
             "start": "١٢", "end": "0001-01-01", "format": "exe", "v": "../x", "by": "phone",
             "visit": "9" * 25, "phone": "²" * 10, "minutes": "1e309", "new": "", "full": "٣"}
ODD_FIELDS = {**VALID_FIELDS, "birth_year": "١٩٨٥", "companions-0-birth_year": "²",
              "id_number": "١٢٣٤٥٦٧٨٩", "phone": "9" * 25, "location_id": "9" * 25,
              "location": "-1", "visit": "99999999999999999999", "minutes": "9" * 5000,
              "start": "0001-01-01", "end": "9999-12-31", "by": "phone", "gender": "²",
              "province": "\u202eHà Nội", "role": "root", "format": "xlsx",
              "companions-0-items": "٣", "cccd": "999999999999|x|y|99999999|Nam|z|00000000"}


def explicit_requests(rule: Rule, method: str) -> list[HostileRequest]:
    """Requests every run sends to the route (Hypothesis's explicit examples): odd but
    typable values in every parameter and field; NUL in the path, the query and a field; and,
    for a form, valid values, then with a row numbered '²'."""
    pieces = re.split(r"(<[^>]+>)", rule.rule)
    path = [Known(piece[1:-1].rpartition(":")[2]) if piece.startswith("<") else piece
            for piece in pieces]
    nul_path = [b"\x00" if piece.startswith("<") else piece for piece in pieces]
    odd = HostileRequest(path, [(k.encode(), v.encode()) for k, v in ODD_QUERY.items()],
                         "urlencoded", list(ODD_FIELDS.items()))
    nul = HostileRequest(nul_path, [(b"q", b"\x00")], "urlencoded",
                         [*VALID_FIELDS.items(), ("full_name", "An\x00")])
    if method != "POST":
        return [odd, nul] if method == "GET" else []
    valid = HostileRequest(path, [], "urlencoded", list(VALID_FIELDS.items()))
    row = HostileRequest(path, [], "urlencoded",
                         [*VALID_FIELDS.items(), ("companions-²-full_name", "Bé Na")])
    return [odd, nul, valid, row]


def _quote(value: str | bytes) -> str:
    data = value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
    return quote_from_bytes(data, safe="")


def encode(request: HostileRequest, known: dict, csrf_token: str) -> dict:
    """Keyword arguments for the test client's open(): the URL with its query, the body."""
    path = "".join(_quote(known[part.kind][part.index % len(known[part.kind])])
                   if isinstance(part, Known) else
                   _quote(part) if isinstance(part, bytes) else part
                   for part in request.path)
    query = "&".join(f"{_quote(k)}={_quote(v)}" for k, v in request.query)
    fields = list(request.fields) + ([("csrf_token", csrf_token)] if request.with_csrf else [])
    # Headers go straight into the WSGI environ, as a server puts them, whatever they hold.
    environ = {"HTTP_" + name.upper().replace("-", "_"): value
               for name, value in request.headers.items()}
    arguments: dict = {"path": path + (f"?{query}" if query else ""),
                       "environ_overrides": environ}
    if request.body == "urlencoded":
        arguments["data"] = "&".join(f"{_quote(k)}={_quote(v)}" for k, v in fields)
        arguments["content_type"] = "application/x-www-form-urlencoded"
    elif request.body == "multipart":
        texts = [(k, v.decode("utf-8", "replace") if isinstance(v, bytes) else v)
                 for k, v in fields]
        boundary, data = encode_multipart(MultiDict(texts))
        arguments["data"] = data
        arguments["content_type"] = f"multipart/form-data; boundary={boundary}"
    elif request.body == "raw":
        arguments["data"] = request.raw
        arguments["content_type"] = "application/x-www-form-urlencoded"
    return arguments
