"""Enrolling an employee's phone once, and recognising it at every scan afterwards.

A phone is enrolled by a personal QR code from a printed sheet (used once, within
ENROLMENT_DAYS; a sheet's codes are an HMAC of a random key of the sheet under the secret key,
so the sheet's page can show them again without issuing new ones, and the database keeps only
their hashes) or at the gate with the employee code and the last four digits of the phone
number on record (throttled like sign-in). The phone then keeps a long-lived signed token in
a cookie; the server stores only its hash, so deactivating the employee or revoking the phone
ends it at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Request, Response, current_app, g, has_request_context, request
from itsdangerous import (
    BadSignature,
    TimestampSigner,
    URLSafeSerializer,
    URLSafeTimedSerializer,
)
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import joinedload

from ..auth.access import attempt_key, begin_attempt, forget_attempt
from ..extensions import db
from ..store import clock
from ..store.database import write_transaction
from ..store.models import Employee, EmployeeDevice, EnrolmentCode, LoginFailure
from ..store.normalise import normalise_code
from ..store.tokens import hash_token
from ..web.signing import url_safe_serializer

EMPLOYEE_COOKIE = "gb_employee"
# Browsers keep a cookie at most 400 days; the phone's token is renewed at each check-in.
EMPLOYEE_COOKIE_DAYS = 400
ENROLMENT_DAYS = 7
THROTTLE_KIND = "enrol"


def new_sheet(employees: list[Employee]) -> str:
    """A fresh single-use enrolment code for each employee; codes printed before for them
    stop working (a sheet printed again replaces a lost one). The caller commits. The
    sheet's key, which finds its codes (sheet_codes) as often as the sheet is shown."""
    ids = [employee.id for employee in employees]
    db.session.execute(delete(EnrolmentCode).where(EnrolmentCode.employee_id.in_(ids)))
    now = clock.utcnow()
    key = secrets.token_urlsafe(16)
    for employee in employees:
        db.session.add(EnrolmentCode(token_hash=hash_token(_sheet_code(key, employee.id)),
                                     employee_id=employee.id, created_at=now,
                                     expires_at=now + timedelta(days=ENROLMENT_DAYS)))
    return key


def sheet_codes(key: str, employees: list[Employee]) -> dict[int, str]:
    """The codes of the sheet issued with `key` that still work ({employee id: code}): not
    used, not replaced by a newer sheet, not expired. Nothing is issued or changed."""
    codes = {employee.id: _sheet_code(key, employee.id) for employee in employees}
    ids, valid = list(codes), set()
    for start in range(0, len(ids), 500):
        valid.update(db.session.scalars(select(EnrolmentCode.token_hash).where(
            EnrolmentCode.employee_id.in_(ids[start:start + 500]),
            EnrolmentCode.expires_at > clock.utcnow())))
    return {employee_id: code for employee_id, code in codes.items()
            if hash_token(code) in valid}


def _sheet_code(key: str, employee_id: int) -> str:
    """An employee's code on the sheet of `key`: 128 bits of an HMAC under the secret key,
    as unguessable as a random code while the secret key is secret (the database holds only
    its hash, and never the sheet's key)."""
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    digest = hmac.new(secret, f"gatebook-enrolment-sheet:{key}:{employee_id}".encode(),
                      hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


# How long after printing the sheet's page can be loaded again (reloaded, printed again, come
# back to); its codes work ENROLMENT_DAYS whatever.
SHEET_PAGE_HOURS = 8


class _ClockSigner(TimestampSigner):
    """Signs with the application's clock, the one the codes expire by."""

    def get_timestamp(self) -> int:
        return int(clock.utcnow().timestamp())


def _sheet_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"],
                                  salt="gatebook-enrolment-sheet", signer=_ClockSigner)


def sheet_reference(department: str, key: str, user_id: int) -> str:
    """The issued sheet, signed, for the page that shows it: for the admin who printed it,
    for SHEET_PAGE_HOURS."""
    return _sheet_serializer().dumps([department, key, user_id])


def sheet_of(reference: str, user_id: int) -> tuple[str, str] | None:
    """(department, key) of a sheet's reference, or None if it was altered, is too old or is
    another admin's."""
    try:
        department, key, issued_to = _sheet_serializer().loads(
            reference, max_age=SHEET_PAGE_HOURS * 3600)
    except (BadSignature, TypeError, ValueError):
        return None
    return (department, key) if issued_to == user_id else None


def code_holder(code: str) -> Employee | None:
    """The active employee a still-valid enrolment code is for, without using it."""
    found = db.session.scalar(
        select(EnrolmentCode).options(joinedload(EnrolmentCode.employee))
        .where(EnrolmentCode.token_hash == hash_token(code),
               EnrolmentCode.expires_at > clock.utcnow()))
    return found.employee if found is not None and found.employee.active else None


def enrol_with_code(code: str, employee: Employee) -> tuple[Employee, str] | None:
    """Use the code of `employee` (its code_holder) once: (the employee, the new phone's
    token), or None if another phone used it first; the caller commits."""
    used = db.session.execute(delete(EnrolmentCode).where(
        EnrolmentCode.token_hash == hash_token(code))).rowcount
    if used != 1:  # two phones raced with one code: only the first is enrolled
        db.session.rollback()
        return None
    return employee, _new_device(employee)


class Throttled(Exception):
    """Too many wrong tries for this code or from this address: wait until `until`."""

    def __init__(self, until: datetime) -> None:
        super().__init__(until)
        self.until = until


def enrol_with_digits(code: str, last_digits: str, address: str) -> tuple[Employee, str] | None:
    """Enrol with the employee code and the last four digits of the phone on record:
    (the employee, the new phone's token), or None, whichever part was wrong; Throttled
    after too many tries, as for sign-in, and for a day once a code has had DAILY_FAILURES
    wrong tries (four digits are few: lockouts alone would let a patient guesser through).
    The caller commits the new phone."""
    code = normalise_code(code)
    attempt_id, lock = begin_attempt(code, address, kind=THROTTLE_KIND)
    if attempt_id is None:
        raise Throttled(lock.until)
    until = _closed_for_the_day(code, attempt_id)
    if until is not None:
        forget_attempt(attempt_id)
        raise Throttled(until)
    employee = db.session.scalar(select(Employee).where(Employee.code == code,
                                                        Employee.active.is_(True)))
    expected = employee.phone[-4:] if employee is not None else "----"
    if not (hmac.compare_digest(expected, (last_digits or "").strip()) and employee):
        return None
    forget_attempt(attempt_id)
    return employee, _new_device(employee)


# Wrong tries for one code in a day, from anywhere, before it closes until a day after the
# first of them.
DAILY_FAILURES = 10


def _closed_for_the_day(code: str, attempt_id: int) -> datetime | None:
    since = clock.utcnow() - timedelta(days=1)
    failures = sorted(db.session.scalars(select(LoginFailure.at).where(
        LoginFailure.username_key == attempt_key(code, THROTTLE_KIND),
        LoginFailure.at > since, LoginFailure.id < attempt_id)))
    return failures[0] + timedelta(days=1) if len(failures) >= DAILY_FAILURES else None


def _new_device(employee: Employee) -> str:
    token = secrets.token_urlsafe(32)
    db.session.add(EmployeeDevice(employee=employee, token_hash=hash_token(token),
                                  created_at=clock.utcnow()))
    return token


def _serializer() -> URLSafeSerializer:
    """The phone cookie's serializer, made once per key (app.web.signing)."""
    return url_safe_serializer(current_app.config["SECRET_KEY"], "gatebook-employee")


def remember_device(response: Response, token: str) -> None:
    """Keep the phone's token in a long-lived signed cookie on the phone. Renewing the cookie
    the phone sent (its check-in) sends that cookie back as it came: signing the same token
    with the same key would only make the same text again."""
    sent = request.cookies.get(EMPLOYEE_COOKIE) if has_request_context() else None
    signed = sent if sent and device_token(request) == token else _serializer().dumps(token)
    response.set_cookie(EMPLOYEE_COOKIE, signed,
                        max_age=EMPLOYEE_COOKIE_DAYS * 24 * 3600, httponly=True,
                        samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])


def forget_device(response: Response) -> None:
    """Remove the token from this phone (the device row goes when revoked by an admin)."""
    response.delete_cookie(EMPLOYEE_COOKIE, httponly=True, samesite="Lax",
                           secure=current_app.config["SESSION_COOKIE_SECURE"])


def device_token(request: Request) -> str | None:
    """The phone's token, if it carries a genuine one (its signature checked once per
    request: the check-in reads it to find the phone, then to renew its cookie)."""
    raw = request.cookies.get(EMPLOYEE_COOKIE)
    if not raw:
        return None
    checked = g.get("gatebook_device_cookie")
    if checked is not None and checked[0] == raw:
        return checked[1]
    try:
        token = _serializer().loads(raw)
    except BadSignature:
        return None
    token = token if isinstance(token, str) else None
    g.gatebook_device_cookie = (raw, token)
    return token


@dataclass(frozen=True)
class EnrolledEmployee:
    """An enrolled phone's employee, as their check-in page greets them and their visit
    records them (from the register)."""

    id: int
    code: str
    full_name: str
    department: str
    phone: str
    id_number: str | None


@dataclass(frozen=True)
class EnrolledPhone:
    """An enrolled phone, as its employee's one tap needs it: read as one plain row."""

    id: int
    last_used_at: datetime | None
    employee: EnrolledEmployee


_DEVICE, _EMPLOYEE = EmployeeDevice.__table__, Employee.__table__
# Built once: each request only sends its token's hash.
_PHONE_OF = (select(_DEVICE.c.id, _DEVICE.c.last_used_at, _EMPLOYEE.c.id, _EMPLOYEE.c.code,
                    _EMPLOYEE.c.full_name, _EMPLOYEE.c.department, _EMPLOYEE.c.phone,
                    _EMPLOYEE.c.id_number)
             .join(_EMPLOYEE, _EMPLOYEE.c.id == _DEVICE.c.employee_id)
             .where(_DEVICE.c.token_hash == bindparam("token_hash"),
                    _EMPLOYEE.c.active.is_(True)))


def device_of(request: Request) -> EnrolledPhone | None:
    """The enrolled phone making this request, while its employee is active: one row, read
    on a connection of its own (the one tap's read ends before its write begins)."""
    token = device_token(request)
    if token is None:
        return None
    with db.engine.connect() as connection:
        row = connection.execute(_PHONE_OF, {"token_hash": hash_token(token)}).first()
    if row is None:
        return None
    device_id, last_used_at, *employee = row
    return EnrolledPhone(device_id, last_used_at, EnrolledEmployee(*employee))


def revoke_this_phone(request: Request) -> None:
    """The phone gives up its enrolment: its token stops working on the server too."""
    token = device_token(request)
    if token is not None:
        db.session.execute(delete(EmployeeDevice).where(
            EmployeeDevice.token_hash == hash_token(token)))
        db.session.commit()


# An enrolled phone's last use is written down at most this often (not at every check-in).
SEEN_EVERY = timedelta(hours=12)


def seen(device: EnrolledPhone) -> None:
    """Note that the phone was used, for the admin's list of phones (a write at most every
    SEEN_EVERY, not one per check-in)."""
    now = clock.utcnow()
    if device.last_used_at is None or device.last_used_at < now - SEEN_EVERY:
        with write_transaction():
            db.session.execute(update(EmployeeDevice).where(EmployeeDevice.id == device.id)
                               .values(last_used_at=now))

