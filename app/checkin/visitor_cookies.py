"""What the visitor's own phone keeps: their details (if they ask) and their visits' secrets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import Request, Response, current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..web.signing import timed_serializer

PROFILE_COOKIE = "gb_profile"
VISITS_COOKIE = "gb_visits"
# Enough for a family sharing one phone; the oldest secrets drop off first.
MAX_REMEMBERED_VISITS = 10
VISITS_MAX_AGE = timedelta(days=2)
# Remembered details unchanged since they were signed less than this long ago are not signed
# and sent again: their cookie's end moves on once a day at most.
PROFILE_RENEWED_AFTER = timedelta(days=1)


def _now() -> datetime:
    """The time itsdangerous signs cookies with."""
    return datetime.now(UTC)


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return timed_serializer(current_app.config["SECRET_KEY"], f"gatebook-{purpose}")


def _read(request: Request, name: str, max_age: timedelta, signed_at: bool = False):
    """The cookie's value (with `signed_at`: and when it was signed), or None."""
    raw = request.cookies.get(name)
    if not raw:
        return (None, None) if signed_at else None
    try:
        return _serializer(name).loads(raw, max_age=int(max_age.total_seconds()),
                                       return_timestamp=signed_at)
    except BadSignature:  # tampered, expired, or signed with an old key: start afresh
        return (None, None) if signed_at else None


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
    signed_at: datetime | None = None  # when the phone's cookie was signed


def read_profile(request: Request) -> Remembered | None:
    """What this phone remembers of its visitor, or None if it remembers nothing."""
    stored, signed_at = _read(request, PROFILE_COOKIE, _profile_max_age(), signed_at=True)
    if not isinstance(stored, dict) or not stored:
        return None
    if isinstance(stored.get("identity"), dict):
        version = stored.get("consent")
        return Remembered(stored["identity"], version if isinstance(version, str) else None,
                          signed_at)
    return Remembered(stored, signed_at=signed_at)  # from before consents were kept: asked again


def remember_profile(response: Response, identity: dict, consent_version: str,
                     remembered: Remembered | None = None) -> None:
    """Keep the identity fields on this phone (the visitor ticked "remember me"), with the
    version of the notice they consented to. What the phone already sent (`remembered`) is
    not signed again when it is the same and was signed within PROFILE_RENEWED_AFTER: a
    returning visitor's one tap sends back the details it was given."""
    if (remembered is not None and remembered.identity == identity
            and remembered.consent_version == consent_version
            and remembered.signed_at is not None
            and _now() - remembered.signed_at < PROFILE_RENEWED_AFTER):
        return
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
