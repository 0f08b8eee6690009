"""The daily delivery as the admins set it: on or off, the recipients, the time, and the file
password agreed with the health centre.

The server must give the password to the encryption every day, so it is kept recoverable, but
encrypted (Fernet, with a key derived from SECRET_KEY): a copy of the database or of a backup
alone does not give it away. It is never shown back, nor logged; an admin may replace it.
After SECRET_KEY changes it can no longer be read, and the page asks for it again.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from ..extensions import db
from ..store import clock
from ..store.models import DeliverySettings, User

DEFAULT_TIME = "07:00"
MAX_RECIPIENTS = 10
MIN_PASSWORD_LENGTH = 8
# The key that encrypts the password is SECRET_KEY's, derived for this use alone.
_KEY_USE = b"gatebook: the daily delivery's file password"


class DeliveryError(Exception):
    """A delivery that cannot go (now): what kind of problem (`code`, one of
    app.reports.delivery.PROBLEMS) and the mail server's words, if any."""

    def __init__(self, code: str, detail: str = "", sent_to: list[str] | None = None) -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code, self.detail, self.sent_to = code, detail, sent_to or []


@dataclass(frozen=True)
class Settings:
    """What the admins set, as plain values (read once, used outside any transaction)."""

    enabled: bool = False
    recipients: tuple[str, ...] = ()
    send_at: str = DEFAULT_TIME
    has_password: bool = False
    password_readable: bool = False
    # Since when it has been on (a day is sent if it was on at that day's time).
    enabled_since: datetime | None = None


def _fernet() -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KEY_USE).derive(
        current_app.config["SECRET_KEY"].encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _row() -> DeliverySettings | None:
    return db.session.get(DeliverySettings, 1)


def _password(row: DeliverySettings | None) -> str | None:
    if row is None or not row.password_encrypted:
        return None
    try:
        return _fernet().decrypt(row.password_encrypted.encode()).decode()
    except InvalidToken:  # SECRET_KEY changed since it was saved
        return None


def current() -> Settings:
    """The saved settings (the defaults before an admin saves any)."""
    row = _row()
    if row is None:
        return Settings()
    return Settings(enabled=row.enabled, recipients=tuple(row.recipients.split()),
                    send_at=row.send_at, has_password=bool(row.password_encrypted),
                    password_readable=_password(row) is not None,
                    enabled_since=row.enabled_since)


def file_password() -> str:
    """The file password, for the encryption; DeliveryError("password") without one."""
    password = _password(_row())
    if not password:
        raise DeliveryError("password")
    return password


def save(enabled: bool, recipients: list[str], send_at: str, password: str | None,
         user: User) -> dict:
    """Store the settings (the password only when a new one is given); committed by the
    caller. Returns what the audit log records of it (never the password nor addresses)."""
    row = _row() or DeliverySettings(id=1)
    now = clock.utcnow()
    if enabled and not row.enabled:
        row.enabled_since = now
    row.enabled, row.recipients, row.send_at = enabled, "\n".join(recipients), send_at
    if password:
        row.password_encrypted = _fernet().encrypt(password.encode()).decode()
    row.changed_at, row.changed_by_id = now, user.id
    db.session.add(row)
    return {"enabled": enabled, "recipients": len(recipients), "time": send_at,
            "password_changed": bool(password)}


def mail_server_missing() -> bool:
    """True when no mail server is configured (SMTP_HOST), so nothing can be sent."""
    return not current_app.config["SMTP_HOST"]
