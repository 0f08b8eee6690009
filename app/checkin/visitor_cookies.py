"""What the visitor's own phone keeps: their details (if they ask) and their visits' secrets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import Request, Response, current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..web.signing import timed_serializer

PROFILE_COOKIE = "gb_profile"
VISITS_COOKIE = "gb_visits"
# Enough for a family sharing one phone; the oldest secrets drop off first.
MAX_REMEMBERED_VISITS = 10
VISITS_MAX_AGE = timedelta(days=2)


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return timed_serializer(current_app.config["SECRET_KEY"], f"gatebook-{purpose}")


def _read(request: Request, name: str, max_age: timedelta):
    raw = request.cookies.get(name)
    if not raw:
        return None
    try:
        return _serializer(name).loads(raw, max_age=int(max_age.total_seconds()))
    except BadSignature:  # tampered, expired, or signed with an old key: start afresh
        return None


def _write(response: Response, name: str, value, max_age: timedelta) -> None:
    response.set_cookie(
        name, _serializer(name).dumps(value), max_age=int(max_age.total_seconds()),
        httponly=True, samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])


def _profile_max_age() -> timedelta:
    return timedelta(days=current_app.config["PROFILE_COOKIE_DAYS"])


@dataclass(frozen=True)
class Remembered:
    """What a phone remembers of its visitor: the identity fields, and the version of the
    processing notice they consented to (None if the phone does not know)."""

    identity: dict
    consent_version: str | None = None


def read_profile(request: Request) -> Remembered | None:
    """What this phone remembers of its visitor, or None if it remembers nothing."""
    stored = _read(request, PROFILE_COOKIE, _profile_max_age())
    if not isinstance(stored, dict) or not stored:
        return None
    if isinstance(stored.get("identity"), dict):
        version = stored.get("consent")
        return Remembered(stored["identity"], version if isinstance(version, str) else None)
    return Remembered(stored)  # remembered before consents were kept: asked again


def remember_profile(response: Response, identity: dict, consent_version: str) -> None:
    """Keep the identity fields on this phone (the visitor ticked "remember me"), with the
    version of the notice they consented to."""
    _write(response, PROFILE_COOKIE, {"identity": identity, "consent": consent_version},
           _profile_max_age())


def forget_profile(response: Response) -> None:
    """Remove the remembered details from this phone (with the attributes it was set with:
    over HTTPS, a browser may ignore a cookie's removal that lacks Secure)."""
    response.delete_cookie(PROFILE_COOKIE, httponly=True, samesite="Lax",
                           secure=current_app.config["SESSION_COOKIE_SECURE"])


def read_visit_secrets(request: Request) -> dict[int, str]:
    """{visit id: secret} for the visits made from this phone recently."""
    pairs = _read(request, VISITS_COOKIE, VISITS_MAX_AGE)
    if not isinstance(pairs, list):
        return {}
    return {int(vid): str(secret) for vid, secret in pairs
            if isinstance(vid, int) and isinstance(secret, str)}


def remember_visit(response: Response, known: dict[int, str], visit_id: int,
                   secret: str) -> None:
    """Let this phone check the visit out later, beside the visits it already had (`known`,
    as read_visit_secrets() read them from this request: the cookie is not read twice)."""
    pairs = [*((vid, s) for vid, s in known.items() if vid != visit_id),
             (visit_id, secret)][-MAX_REMEMBERED_VISITS:]
    _write(response, VISITS_COOKIE, pairs, VISITS_MAX_AGE)
