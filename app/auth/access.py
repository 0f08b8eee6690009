"""Staff sign-in: passwords, throttling of failed attempts, server-side sessions, first-run link."""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import click
from flask import Flask, current_app
from sqlalchemy import bindparam, delete, func, select, text
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..store import clock
from ..store.models import LoginFailure, LoginSession, Role, SetupToken, User
from ..store.tokens import hash_token

# PostgreSQL advisory lock key ("signin" in ASCII) that puts sign-in attempts in one line.
ATTEMPTS_LOCK = 0x7369676E696E
MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    """A password hash made the configured way (PASSWORD_HASH_METHOD: OWASP's minimum cost or
    above, outside tests)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


@cache
def _unknown_user_hash(method: str) -> str:
    # Checked against when the user does not exist, so both answers take as long.
    return generate_password_hash(secrets.token_hex(16), method=method)


def prepare_for_unknown_users(app: Flask) -> None:
    """Make the hash that unknown user names are checked against now, before the first
    request: made on first use, it would make that sign-in take twice as long as any other,
    telling that the name does not exist. Command-line tasks sign nobody in and are spared its
    deliberate cost."""
    if click.get_current_context(silent=True) is None:
        _unknown_user_hash(app.config["PASSWORD_HASH_METHOD"])


def find_user(username: str) -> User | None:
    """The account with this user name, ignoring case."""
    return db.session.scalar(
        select(User).where(func.lower(User.username) == username.strip().lower()))


# --- throttling ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Lock:
    """Sign-in refused until `until`; `by_address`: because of the failures from the client's
    address (its office's, often), not only those of the account."""

    until: datetime
    by_address: bool = False


@dataclass(frozen=True)
class SignInResult:
    """The user on success; otherwise None and, when throttled, until when (and whether the
    address is what is throttled). `refused`: the password was not even checked, because
    sign-in was already throttled."""

    user: User | None = None
    lock: Lock | None = None
    refused: bool = False


def attempt_key(username: str, kind: str = "user") -> str:
    """How attempts for a name are kept: hashed, since a password typed into the user-name
    box must not sit in the database as text."""
    return hash_token(f"{kind}:" + username.strip().casefold())[:60]


def _address_bucket(address: str, kind: str) -> str:
    # Each kind of attempt counts from an address on its own: employees mistyping at the gate
    # (one guest Wi-Fi address) do not lock staff out of signing in, nor the other way round.
    return address_key(address) if kind == "user" else f"{kind}:{address_key(address)}"


def address_key(address: str) -> str:
    """The throttling bucket of a client address: IPv4 as is, IPv6 by its /64 (one phone or
    household gets a whole /64, so rotating addresses within it does not help)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _limits(kind: str) -> tuple[int, int]:
    """How many failures within the window lock (an account, an address). A whole office signs
    in from one address, so the address's limit is far higher than an account's; an
    enrolment at the gate guesses four digits, and its address keeps the account's limit."""
    config = current_app.config
    per_account = config["LOGIN_MAX_FAILURES"]
    if kind != "user":
        return per_account, per_account
    return per_account, config["LOGIN_MAX_FAILURES_PER_ADDRESS"]


def lock_for(username: str, address: str, before_id: int | None = None,
             kind: str = "user") -> Lock | None:
    """Whether sign-in for this account or from this address is refused now, and until when.

    After LOGIN_MAX_FAILURES failed attempts within WINDOW for the account, or
    LOGIN_MAX_FAILURES_PER_ADDRESS from the address, sign-in is refused for LOCKOUT after the
    last of them. With `before_id`, only the attempts recorded before that one count.
    """
    config = current_app.config
    window = timedelta(minutes=config["LOGIN_FAILURE_WINDOW_MINUTES"])
    lockout = timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"])
    now = clock.utcnow()
    per_account, per_address = _limits(kind)
    locked = {}  # by_address: until when
    for column, value, limit, by_address in (
            (LoginFailure.username_key, attempt_key(username, kind), per_account, False),
            (LoginFailure.address, _address_bucket(address, kind), per_address, True)):
        query = select(LoginFailure.at).where(column == value,
                                              LoginFailure.at > now - window - lockout)
        if before_id is not None:
            query = query.where(LoginFailure.id < before_id)
        times = sorted(db.session.scalars(query))
        for first, last in zip(times, times[limit - 1:], strict=False):
            if last - first <= window and last + lockout > now:
                locked[by_address] = max(locked.get(by_address, now), last + lockout)
    if not locked:
        return None
    return Lock(max(locked.values()), by_address=True in locked)


def forget_attempt(attempt_id: int) -> None:
    """Strike off an attempt that succeeded (or was refused without a check)."""
    db.session.execute(delete(LoginFailure).where(LoginFailure.id == attempt_id))
    db.session.commit()


def begin_attempt(name: str, address: str, kind: str = "user") -> tuple[int | None,
                                                                         Lock | None]:
    """Write an attempt down first, as a failure, in a short transaction of its own, so that
    attempts sent at the same moment each see the ones before them: (its id, None) to go on,
    or (None, the lock) if this name or address is throttled (that attempt not kept)."""
    now = clock.utcnow()
    if db.session.get_bind().dialect.name == "postgresql":
        # PostgreSQL hands out ids before commit: without the lock, an attempt could commit
        # after a later one had counted those before it (SQLite's write lock does this).
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ATTEMPTS_LOCK})
    db.session.execute(delete(LoginFailure).where(LoginFailure.at < now - timedelta(days=1)))
    attempt = LoginFailure(at=now, username_key=attempt_key(name, kind),
                           address=_address_bucket(address, kind))
    db.session.add(attempt)
    db.session.commit()
    lock = lock_for(name, address, before_id=attempt.id, kind=kind)
    if lock is not None:
        forget_attempt(attempt.id)
        return None, lock
    return attempt.id, None


def sign_in(username: str, password: str, address: str) -> SignInResult:
    """Check a user name and password, unless this account or address is throttled.

    The attempt is written down first, as a failure, in a short transaction of its own:
    attempts sent at the same moment each see the ones before them, and no database lock is
    held while the (deliberately slow) password hash is computed. A successful attempt is then
    struck off; a refused one does not extend the lockout.
    """
    attempt_id, lock = begin_attempt(username, address)
    if attempt_id is None:
        return SignInResult(lock=lock, refused=True)
    user = find_user(username)
    db.session.commit()  # nothing is held open while hashing
    if user is None:
        check_password_hash(_unknown_user_hash(current_app.config["PASSWORD_HASH_METHOD"]),
                            password)
    elif user.active and check_password_hash(user.password_hash, password):
        forget_attempt(attempt_id)
        return SignInResult(user=user)
    return SignInResult(lock=lock_for(username, address))


# --- server-side sessions --------------------------------------------------------------------

def start_session(user: User) -> str:
    """Open a new sign-in for the user and return its token (kept in the session cookie)."""
    token = secrets.token_urlsafe(32)
    now = clock.utcnow()
    db.session.execute(delete(LoginSession).where(LoginSession.expires_at < now))
    db.session.add(LoginSession(
        token_hash=hash_token(token), user=user, created_at=now,
        expires_at=now + timedelta(hours=current_app.config["STAFF_SESSION_HOURS"])))
    db.session.commit()
    user.login_token = token
    return token


# The user of an open sign-in, alone (every staff request asks): built once, each request
# sends the token's hash and the time.
_USER_FOR_SESSION = (select(User).join(LoginSession, LoginSession.user_id == User.id)
                     .where(LoginSession.token_hash == bindparam("token_hash"),
                            LoginSession.expires_at > bindparam("now")))


def user_for_session(token: str) -> User | None:
    """The active user signed in with this token, if the sign-in is still open."""
    user = db.session.scalar(_USER_FOR_SESSION,
                             {"token_hash": hash_token(token), "now": clock.utcnow()})
    if user is None or not user.active:
        return None
    user.login_token = token
    return user


def end_session(token: str | None) -> None:
    """Sign this browser out: its session cookie stops working, even if replayed."""
    if token:
        db.session.execute(
            delete(LoginSession).where(LoginSession.token_hash == hash_token(token)))
        db.session.commit()


def end_all_sessions(user: User) -> None:
    """Sign the user out everywhere (deactivation, password reset)."""
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))


# --- first run -------------------------------------------------------------------------------

def has_admin() -> bool:
    """True once an active admin account exists."""
    return db.session.scalar(
        select(func.count(User.id)).where(User.role == Role.ADMIN, User.active.is_(True))) > 0


def new_setup_token() -> str | None:
    """A fresh one-time token for creating the first admin, or None if there is an admin.

    Earlier tokens stop working: only the link printed last opens the page.
    """
    if has_admin():
        return None
    token = secrets.token_urlsafe(32)
    db.session.execute(delete(SetupToken))
    db.session.add(SetupToken(token_hash=hash_token(token), created_at=clock.utcnow()))
    db.session.commit()
    return token


def setup_token_valid(token: str) -> bool:
    """True while the token is the current one and no admin exists yet."""
    return not has_admin() and db.session.get(SetupToken, hash_token(token)) is not None


def create_first_admin(token: str, username: str, password: str) -> User | None:
    """Use the setup token once: create the admin and retire every setup token."""
    if has_admin():
        return None
    # Deleting the row is the use: of two requests racing with the same token, one deletes it.
    used = db.session.execute(delete(SetupToken).where(SetupToken.token_hash == hash_token(token)))
    if used.rowcount != 1:
        db.session.rollback()
        return None
    user = User(username=username, role=Role.ADMIN, password_hash=hash_password(password))
    db.session.add(user)
    db.session.commit()
    return user
