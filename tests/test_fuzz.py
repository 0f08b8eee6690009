"""A fuzz test generated from app.url_map: every route and every method, anonymously, as a
receptionist and as an admin, sent hostile requests (tests/hostile_requests.py). No answer is a
server error, the log holds no traceback, and nothing stored is what a validator would refuse.

GATEBOOK_TEST_FUZZ_EXAMPLES sets the examples per route for GET (default 4): twice as many for
a POST, which has the most ways to go wrong, a half for HEAD and a quarter for OPTIONS. The
requests sent and the time taken are printed at the end of the run.
"""

from __future__ import annotations

import logging
import os
import time
import unicodedata
from datetime import date

import pytest
from flask import session
from flask_wtf.csrf import generate_csrf
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import String, func, select, update

from app.admin import entry_points as locations
from app.admin.health_notice import MAX_NOTICE_LENGTH
from app.admin.staff import USERNAME
from app.auth import access as auth
from app.checkin.declaration import GENDERS, PROVINCES
from app.extensions import db
from app.store import clock
from app.store.models import (
    AuditEvent,
    Employee,
    EmployeeDevice,
    Location,
    Setting,
    User,
    Visit,
    VisitCorrection,
)
from app.store.normalise import has_control_characters, normalise_id_number, normalise_phone
from tests.conftest import RUN_REPORT, TEST_DATABASE_URL, Phone, password_hash
from tests.hostile_requests import (
    encode,
    explicit_requests,
    form_field_names,
    requests_for,
)

EXAMPLES = int(os.environ.get("GATEBOOK_TEST_FUZZ_EXAMPLES", "4"))
FUZZ_SETTINGS = settings(deadline=None, database=None, print_blob=True,
                         suppress_health_check=list(HealthCheck))


def examples_for(method: str) -> int:
    """How many requests one route gets by this method."""
    share = {"POST": 2, "HEAD": 0.5, "OPTIONS": 0.25}.get(method, 1)
    return max(1, int(EXAMPLES * share))
ROLES = {"receptionist": ("thu", "receptionist"), "admin": ("lan", "admin")}


@pytest.fixture
def fuzz_app(make_app):
    """An app with two entry points (one closed), both staff accounts and two visits, whose
    errors are answered and logged as in production rather than raised into the test."""
    app = make_app(PROPAGATE_EXCEPTIONS=False)
    with app.app_context():
        db.create_all()
        db.session.add_all([
            Location(name="Cổng chính", token="gate-token-0001"),
            Location(name="Cổng phụ", token="side-token-0002", active=False),
            *(User(username=name, role=role, password_hash=password_hash("mật-khẩu-dài-đủ"))
              for name, role in ROLES.values())])
        worker = Employee(code="NV-001", full_name="Nguyễn Văn Công", department="Xưởng A",
                          phone="0912000001")
        worker.devices.append(EmployeeDevice(token_hash="0" * 64, created_at=clock.utcnow()))
        db.session.add(worker)
        db.session.commit()
    phone = Phone(app.test_client())
    phone.check_in()
    phone.check_in(full_name="Trần Thị Mai", phone="0987654321", symptom_fever="yes",
                   **{"companions-0-full_name": "Bé Na", "companions-0-birth_year": "2015",
                      "companions-0-answer": "none"})
    return app


def _known_values(app) -> dict[str, list[str]]:
    """What exists now, for the requests to name: tokens, ids, languages, static files."""
    with app.app_context():
        ids = {model: [str(i) for i in db.session.scalars(select(model.id).order_by(model.id))]
               for model in (Location, Visit, User, Employee, EmployeeDevice)}
        tokens = list(db.session.scalars(select(Location.token).order_by(Location.id)))
    return {"token": tokens, "visit_id": ids[Visit] or ["1"], "location_id": ids[Location],
            "user_id": ids[User], "employee_id": ids[Employee] or ["1"],
            "device_id": ids[EmployeeDevice] or ["1"], "code": ["vi", "en", "fr"],
            "filename": ["app.css", "app.js", "error.html"]}


def _csrf(app) -> tuple[str, str]:
    """(the token a form carries, the one the session keeps), made by Flask-WTF itself."""
    with app.test_request_context():
        signed = generate_csrf()
        return signed, session["csrf_token"]


def _sign_in(app, identity: str) -> str | None:
    """A new sign-in for the identity (None: anonymous), whatever the requests before did to
    the accounts (deactivated, demoted) and their sessions (signed out)."""
    if identity not in ROLES:
        return None
    username, role = ROLES[identity]
    with app.app_context():
        db.session.execute(update(User).where(User.username == username)
                           .values(active=True, role=role))
        return auth.start_session(auth.find_user(username))


def _client(app, sign_in: str | None, csrf_raw: str):
    """A browser with the sign-in (if any) and a CSRF token in its session."""
    client = app.test_client()
    with client.session_transaction() as browser_session:
        browser_session["csrf_token"] = csrf_raw
        if sign_in:
            browser_session["_user_id"], browser_session["_fresh"] = sign_in, True
    return client


def _routes(app) -> list[tuple]:
    return [(rule, method) for rule in app.url_map.iter_rules()
            for method in sorted(rule.methods)]


def _fuzz(app, identity: str, rule, method: str, caplog, names: list[str],
          csrf: tuple[str, str]) -> int:
    """Send one route, by one method, its examples; return how many were sent."""
    csrf_signed, csrf_raw = csrf
    known, sign_in = _known_values(app), _sign_in(app, identity)
    sent = 0

    def one_request(hostile) -> None:
        nonlocal sent
        sent += 1
        arguments = encode(hostile, known, csrf_signed)
        path = arguments.pop("path")
        logged = len(caplog.records)
        with caplog.at_level(logging.ERROR):
            response = _client(app, sign_in, csrf_raw).open(path, method=method, **arguments)
            response.close()
        errors = [record for record in caplog.records[logged:]
                  if record.levelno >= logging.ERROR]
        assert response.status_code < 500, (method, path, response.status_code)
        assert not errors, "\n".join(caplog.text.splitlines()[-40:])

    test = given(hostile=requests_for(rule, method, names))(one_request)
    for explicit in explicit_requests(rule, method):
        test = example(hostile=explicit)(test)
    settings(FUZZ_SETTINGS, max_examples=examples_for(method))(test)()
    return sent


@pytest.mark.parametrize("identity", ["anonymous", "receptionist", "admin"])
def test_no_hostile_request_gets_a_server_error(fuzz_app, identity, caplog, request):
    names, csrf = form_field_names(fuzz_app), _csrf(fuzz_app)
    started = time.perf_counter()
    routes = _routes(fuzz_app)
    sent = sum(_fuzz(fuzz_app, identity, rule, method, caplog, names, csrf)
               for rule, method in routes)
    elapsed = time.perf_counter() - started
    with fuzz_app.app_context():
        stored = {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
                  for model in (Visit, Location, User)}
    where = "PostgreSQL" if TEST_DATABASE_URL else "SQLite"
    request.config.stash.setdefault(RUN_REPORT, []).append(
        f"fuzz ({where}, {identity}): {sent} requests to {len(routes)} routes and methods "
        f"in {elapsed:.1f} s (GATEBOOK_TEST_FUZZ_EXAMPLES={EXAMPLES}); rows read back: "
        + ", ".join(f"{count} {table}" for table, count in stored.items()))
    assert refused_by_validators(fuzz_app) == []


# --- what is stored ------------------------------------------------------------------------

def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _visit_problems(visit: Visit) -> list[str]:
    this_year = date.today().year + 1
    problems = [name for name in ("full_name", "nationality", "ward", "street", "purpose")
                if has_control_characters(getattr(visit, name))]
    if normalise_phone(visit.phone) != visit.phone:
        problems.append("phone")
    if visit.id_number is not None and normalise_id_number(visit.id_number) != visit.id_number:
        problems.append("id_number")
    if not 1900 <= visit.birth_year <= this_year:
        problems.append("birth_year")
    if visit.gender not in dict(GENDERS) or visit.province not in PROVINCES:
        problems.append("gender or province")
    people = [visit.declaration, *(companion.declaration for companion in visit.companions)]
    if any(has_control_characters(text) for answers in people for text in _strings(answers)):
        problems.append("declaration")
    for companion in visit.companions:
        if has_control_characters(companion.full_name) or not (
                1900 <= companion.birth_year <= this_year):
            problems.append(f"companion {companion.id}")
    return [f"visit {visit.id}: {problem}" for problem in problems]


def refused_by_validators(app) -> list[str]:
    """Every stored row read back and put through the checks its fields get on the way in."""
    problems = []
    with app.app_context():
        for table in db.metadata.sorted_tables:  # what one database or the other would refuse
            for row in db.session.execute(select(table)).mappings():
                for column in table.columns:
                    value = row[column.name]
                    if isinstance(column.type, String) and isinstance(value, str) and (
                            "\x00" in value or len(value) > (column.type.length or 10**9)):
                        problems.append(f"{table.name}.{column.name}: {value[:40]!r}")
        for location in db.session.scalars(select(Location)):
            try:
                ok = locations.clean_name(location.name) == location.name
            except locations.LocationError:
                ok = False
            if not ok:
                problems.append(f"location {location.id}: {location.name!r}")
        for user in db.session.scalars(select(User)):
            if not USERNAME.fullmatch(user.username) or user.role not in User.ROLES:
                problems.append(f"user {user.id}: {user.username!r} {user.role!r}")
        for visit in db.session.scalars(select(Visit)):
            problems += _visit_problems(visit)
        for correction in db.session.scalars(select(VisitCorrection)):
            if has_control_characters(correction.new_value):
                problems.append(f"correction {correction.id}")
        for setting in db.session.scalars(select(Setting)):
            if (has_control_characters(setting.value.replace("\n", ""))
                    or len(setting.value) > MAX_NOTICE_LENGTH):
                problems.append(f"setting {setting.key}")
        for event in db.session.scalars(select(AuditEvent)):
            if any(has_control_characters(text) for text in _strings(event.details)):
                problems.append(f"audit entry {event.id}: {event.details!r}"[:120])
    return problems


@given(st.text())
@example("Nguyễn\u00a0Văn")
@example("a\u200bb")
@example("x\u2028")
@example("tab\there")
def test_the_control_character_check_agrees_with_the_unicode_categories(text):
    # Its shortcut (str.isprintable) must answer as the character-by-character check would.
    assert has_control_characters(text) == any(
        unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp"} for char in text)
