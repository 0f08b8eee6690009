"""Configuration: defaults here, then instance/config.py, then GATEBOOK_* environment variables."""

from __future__ import annotations

import fcntl
import os
import re
import secrets
from datetime import timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask

SUPPORTED_LANGUAGES = ("vi", "en")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# A local time of day as HH:MM.
LOCAL_TIME = r"([01][0-9]|2[0-3]):[0-5][0-9]"
SMTP_SECURITIES = {"starttls": 587, "ssl": 465, "none": 25}
# An e-mail address as mail servers take it: no spaces, one @, a dotted domain, ASCII.
EMAIL_ADDRESS = r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+"


class Defaults:
    """Settings an organisation may override; every name can be set as GATEBOOK_<NAME>."""

    ORG_NAME = "Gatebook"
    # Base URL that visitors' phones can reach, used in QR codes (e.g. https://vao.example.vn).
    PUBLIC_URL = ""
    # Host names the server answers for; None: PUBLIC_URL's when it is set (any otherwise).
    TRUSTED_HOSTS: list | None = None
    # Empty means a SQLite file in the instance folder.
    DATABASE_URL = ""
    TIMEZONE = "Asia/Ho_Chi_Minh"
    RETENTION_DAYS = 21
    # The audit log (exports, traces, sign-ins, changes) is kept longer than the visits.
    AUDIT_RETENTION_DAYS = 365
    DEFAULT_LANGUAGE = "vi"
    # An organisation may require the ID number (CCCD/CMND/passport) on the public form.
    REQUIRE_ID_NUMBER = False
    # A second submit or re-scan from the same phone within this window shows the existing visit.
    DUPLICATE_WINDOW_MINUTES = 5
    # Visits still open at this local time are checked out automatically ("auto").
    AUTO_CHECKOUT_TIME = "23:59"
    # The server runs its own periodic jobs (auto check-out, purge, backup); no cron needed.
    BACKGROUND_JOBS = True
    # How often the periodic jobs run; each runs once per interval across all servers.
    JOBS_INTERVAL_SECONDS = 60
    # The application's log (standard error; the journal under systemd): DEBUG also shows each
    # periodic job's turn, INFO what the jobs changed, WARNING and ERROR only problems.
    LOG_LEVEL = "INFO"
    # Local time of the daily SQLite backup into instance/backups/ (empty: no daily backup).
    BACKUP_TIME = "02:30"
    # How long "remember me on this phone" keeps the visitor's details.
    PROFILE_COOKIE_DAYS = 180
    # How long SQLite waits for the write lock before giving up.
    SQLITE_BUSY_TIMEOUT_MS = 15000

    # The mail server the daily delivery to the health centre goes out through (README:
    # "Daily delivery by e-mail"); the recipients, time and file password are set on its page.
    # Empty SMTP_HOST: no delivery by e-mail.
    SMTP_HOST = ""
    # 0: the usual port for SMTP_SECURITY (587 for starttls, 465 for ssl, 25 for none).
    SMTP_PORT = 0
    # starttls, ssl (TLS from the first byte) or none (a relay on this machine or network).
    SMTP_SECURITY = "starttls"
    # The mail server's account, if it asks for one (never over an unencrypted connection).
    SMTP_USER = ""
    SMTP_PASSWORD = ""
    # The From address of the e-mails (shown with ORG_NAME).
    MAIL_SENDER = ""
    # How long a reply from the mail server is waited for.
    SMTP_TIMEOUT_SECONDS = 30

    # Staff sign-in: after this many failures within the window for one account, sign-in to it
    # is refused for the lockout time (from anywhere)...
    LOGIN_MAX_FAILURES = 5
    # ... and after this many from one client address, whatever the accounts, sign-in from it
    # is. An office's staff share one address (NAT): well above what their mistyping makes,
    # low enough to stop one address trying a password on every account (README: "Sign-in
    # throttling").
    LOGIN_MAX_FAILURES_PER_ADDRESS = 100
    LOGIN_FAILURE_WINDOW_MINUTES = 15
    LOGIN_LOCKOUT_MINUTES = 15
    # A staff sign-in lasts this long (a receptionist's working day).
    STAFF_SESSION_HOURS = 12
    # Behind a reverse proxy: how many proxies' X-Forwarded-* headers to trust (0: none).
    TRUSTED_PROXIES = 0
    # How staff passwords are hashed, in werkzeug's notation. The default is OWASP's minimum
    # for scrypt (N=2^17, r=8, p=1); outside tests nothing cheaper is accepted.
    PASSWORD_HASH_METHOD = "scrypt:131072:8:1"

    SESSION_COOKIE_SAMESITE = "Lax"
    # Staff forms' CSRF tokens last as long as the staff session (which the server ends); the
    # public check-in form sets its own limit (app.checkin.declaration_forms.DeclarationForm).
    WTF_CSRF_TIME_LIMIT = None
    # Cookies only over HTTPS; None means "when PUBLIC_URL is an https:// address".
    SESSION_COOKIE_SECURE = None
    # Pages, the stylesheet and scripts go out compressed (Flask-Compress) when the browser
    # accepts it; static files are compressed as they stream (app.web.compression).
    COMPRESS_MIMETYPES = ["text/html", "text/css", "text/javascript", "application/javascript",
                          "image/svg+xml", "application/json"]
    # The largest legitimate form (a check-in with ten companions, each with their own answers,
    # or the same typed in by staff) has under 200 fields and, every text at its longest in
    # Vietnamese, about 40 KB url-encoded (tests/test_limits.py measures it). Twice as many
    # fields and four times the bytes are accepted; more, url-encoded or multipart, is refused
    # with 413 before it is read. (Signed-in staff's employee import takes a register of up to
    # 2 MiB: app.routes.employees.LARGE_BODY_BYTES.)
    MAX_CONTENT_LENGTH = 160 * 1024
    MAX_FORM_PARTS = 400
    # hide_parameters: a database error in the log must not carry a visitor's name or phone.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True, "hide_parameters": True}


class ConfigError(RuntimeError):
    """A setting has a value the application cannot work with."""


def load_config(app: Flask, test_config: dict | None) -> None:
    """Fill app.config from defaults, instance/config.py, the environment and test_config."""
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("GATEBOOK")
    _keep_text_as_written(app.config)
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = ensure_secret_key(app.instance_path)
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"] or (
        "sqlite:///" + os.path.join(app.instance_path, "gatebook.sqlite")
    )
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A file on this machine does not drop connections: no need to ping each time.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"], "pool_pre_ping": False}
    _check(app.config)
    if app.config["TRUSTED_HOSTS"] is None and app.config["PUBLIC_URL"]:
        # A request naming another host is refused, so no page is ever built for a host the
        # organisation does not own.
        app.config["TRUSTED_HOSTS"] = [urlsplit(app.config["PUBLIC_URL"]).hostname]
    if app.config["SESSION_COOKIE_SECURE"] is None:
        app.config["SESSION_COOKIE_SECURE"] = app.config["PUBLIC_URL"].startswith("https://")
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=app.config["STAFF_SESSION_HOURS"])
    # A staff sign-in lasts STAFF_SESSION_HOURS from the sign-in, as the server's own record
    # of it does (app.auth.access): its cookie, set then, is not signed again at every request
    # (the desk polls every two seconds), only when the session changes.
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False


# Settings that hold text: a GATEBOOK_ variable sets them as written, although Flask reads
# variables as JSON where they parse (GATEBOOK_ORG_NAME=1975 is the name "1975", not a number).
TEXT_SETTINGS = tuple(name for name, value in vars(Defaults).items()
                      if name.isupper() and isinstance(value, str)) + ("SECRET_KEY",)


def _keep_text_as_written(config: dict) -> None:
    for name in TEXT_SETTINGS:
        raw = os.environ.get(f"GATEBOOK_{name}")
        if raw is not None:
            config[name] = raw


def ensure_secret_key(instance_path: str) -> str:
    """Return the secret key from instance/config.py, writing a new random one there if absent."""
    os.makedirs(instance_path, mode=0o700, exist_ok=True)
    path = os.path.join(instance_path, "config.py")
    # Several workers may start at once: the lock makes exactly one of them write the key.
    # Created readable by its owner only (the key signs every cookie).
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    with open(descriptor, "a+", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.seek(0)
        found: dict = {}
        exec(compile(fh.read(), path, "exec"), found)  # the file is the admin's own config
        if found.get("SECRET_KEY"):
            return found["SECRET_KEY"]
        key = secrets.token_hex(32)
        fh.write(f"\n# Written on first start. Keep it secret; changing it signs everyone out.\n"
                 f"SECRET_KEY = {key!r}\n")
    return key


# What each kind of setting must hold, in words for the message when it does not.
_KINDS = {str: "text", bool: "true or false", int: "a whole number", float: "a number",
          list: "a list", dict: "a mapping"}
# Settings whose default (None) means "worked out from the others".
_OPTIONAL = {"TRUSTED_HOSTS": list, "SESSION_COOKIE_SECURE": bool, "WTF_CSRF_TIME_LIMIT": int}
# Settings whose whole-number default may also be set to a fraction.
_FRACTIONAL = {"JOBS_INTERVAL_SECONDS"}


def _check_types(config: dict) -> None:
    """Every setting holds the kind of value its default has: text stays text, a number is a
    whole number, a switch is true or false."""
    for name, default in vars(Defaults).items():
        if not name.isupper():
            continue
        kind = float if name in _FRACTIONAL else _OPTIONAL.get(name, type(default))
        value = config[name]
        if value is None and name in _OPTIONAL:
            continue
        accepted = (int, float) if kind is float else kind
        wrong = not isinstance(value, accepted) or (kind in (int, float)
                                                    and isinstance(value, bool))
        if wrong:
            raise ConfigError(f"{name} must be {_KINDS[kind]}, not {value!r}")


def _check(config: dict) -> None:
    """Fail at start-up with a clear message rather than at the first request."""
    _check_types(config)
    try:
        ZoneInfo(config["TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"TIMEZONE {config['TIMEZONE']!r} is not a known time zone") from exc
    if config["DEFAULT_LANGUAGE"] not in SUPPORTED_LANGUAGES:
        raise ConfigError(f"DEFAULT_LANGUAGE must be one of {', '.join(SUPPORTED_LANGUAGES)}")
    for name in ("RETENTION_DAYS", "AUDIT_RETENTION_DAYS", "DUPLICATE_WINDOW_MINUTES",
                 "PROFILE_COOKIE_DAYS", "LOGIN_MAX_FAILURES", "LOGIN_MAX_FAILURES_PER_ADDRESS",
                 "LOGIN_FAILURE_WINDOW_MINUTES", "LOGIN_LOCKOUT_MINUTES", "STAFF_SESSION_HOURS"):
        value = config[name]
        if value < 1:  # a whole number: _check_types
            raise ConfigError(f"{name} must be a whole number of at least 1, not {value!r}")
    if config["AUDIT_RETENTION_DAYS"] < config["RETENTION_DAYS"]:
        raise ConfigError("AUDIT_RETENTION_DAYS must be at least RETENTION_DAYS: the audit log "
                          "outlives the visits it records")
    if not re.fullmatch(LOCAL_TIME, str(config["AUTO_CHECKOUT_TIME"])):
        raise ConfigError("AUTO_CHECKOUT_TIME must be a local time as HH:MM, e.g. 23:59")
    if config["BACKUP_TIME"] and not re.fullmatch(LOCAL_TIME, str(config["BACKUP_TIME"])):
        raise ConfigError("BACKUP_TIME must be a local time as HH:MM, e.g. 02:30 (or empty for "
                          "no daily backup)")
    if config["LOG_LEVEL"] not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")
    # The kinds of the numbers below are _check_types's business; here, their ranges.
    interval = config["JOBS_INTERVAL_SECONDS"]
    if interval <= 0:
        raise ConfigError(f"JOBS_INTERVAL_SECONDS must be a number of seconds above 0, "
                          f"not {interval!r}")
    limit = config["MAX_CONTENT_LENGTH"]
    if limit < 16 * 1024:
        raise ConfigError(f"MAX_CONTENT_LENGTH must be a number of bytes of at least 16384 "
                          f"(a check-in form with companions needs that), not {limit!r}")
    if config["TRUSTED_PROXIES"] < 0:
        raise ConfigError("TRUSTED_PROXIES must be a whole number (0 when not behind a proxy)")
    if config["PUBLIC_URL"] and not (config["PUBLIC_URL"].startswith(("http://", "https://"))
                                     and urlsplit(config["PUBLIC_URL"]).hostname):
        raise ConfigError("PUBLIC_URL must start with http:// or https:// and name a host, "
                          "e.g. https://vao.example.vn")
    hosts = config["TRUSTED_HOSTS"]
    if hosts is not None and not all(isinstance(host, str) and host for host in hosts):
        raise ConfigError('TRUSTED_HOSTS must be a list of host names, e.g. ["vao.example.vn"]')
    _check_password_hashing(config["PASSWORD_HASH_METHOD"], testing=config.get("TESTING"))
    _check_mail(config)


# The weakest hashing accepted outside tests (OWASP's minimums).
MIN_SCRYPT_N = 2**17
MIN_PBKDF2_ITERATIONS = 600_000


def _check_password_hashing(method: object, testing: bool) -> None:
    scrypt = re.fullmatch(r"scrypt:([0-9]+):([0-9]+):([0-9]+)", str(method))
    pbkdf2 = re.fullmatch(r"pbkdf2:sha(256|512):([0-9]+)", str(method))
    if not isinstance(method, str) or not (scrypt or pbkdf2):
        raise ConfigError("PASSWORD_HASH_METHOD must be scrypt:N:r:p or pbkdf2:sha256:ITERATIONS,"
                          f" not {method!r}")
    strong = (int(scrypt.group(1)) >= MIN_SCRYPT_N) if scrypt else (
        int(pbkdf2.group(2)) >= MIN_PBKDF2_ITERATIONS)
    if not strong and not testing:
        raise ConfigError(f"PASSWORD_HASH_METHOD {method!r} is too cheap: use at least "
                          f"scrypt:{MIN_SCRYPT_N}:8:1 or pbkdf2:sha256:{MIN_PBKDF2_ITERATIONS}")


def _check_mail(config: dict) -> None:
    """The mail server's settings, whether or not delivery is switched on yet: the admins'
    page says what is missing when it is not set at all."""
    security = config["SMTP_SECURITY"]
    if security not in SMTP_SECURITIES:
        raise ConfigError(f"SMTP_SECURITY must be one of {', '.join(SMTP_SECURITIES)}, "
                          f"not {security!r}")
    if not 0 <= config["SMTP_PORT"] <= 65535:
        raise ConfigError(f"SMTP_PORT must be a port number (1 to 65535, or 0 for the usual "
                          f"one), not {config['SMTP_PORT']!r}")
    if config["SMTP_TIMEOUT_SECONDS"] < 1:
        raise ConfigError("SMTP_TIMEOUT_SECONDS must be a whole number of at least 1")
    sender = config["MAIL_SENDER"]
    if sender and not re.fullmatch(EMAIL_ADDRESS, sender):
        raise ConfigError(f"MAIL_SENDER must be an e-mail address, e.g. "
                          f"so-vao-ra@example.vn, not {sender!r}")
    if not config["SMTP_HOST"]:
        return
    if not sender:
        raise ConfigError("MAIL_SENDER must be set when SMTP_HOST is: the address the daily "
                          "e-mails come from")
    if bool(config["SMTP_USER"]) != bool(config["SMTP_PASSWORD"]):
        raise ConfigError("SMTP_USER and SMTP_PASSWORD go together: set both, or neither")
    if config["SMTP_USER"] and security == "none":
        raise ConfigError("SMTP_USER is set with SMTP_SECURITY = none: the password would "
                          "cross the network unencrypted; use starttls or ssl")


def smtp_port(config: dict) -> int:
    """The port to reach the mail server on: SMTP_PORT, or the usual one for its security."""
    return config["SMTP_PORT"] or SMTP_SECURITIES[config["SMTP_SECURITY"]]
