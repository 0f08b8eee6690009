"""The daily delivery to the health centre: at the admins' time, the day before's file goes
by e-mail to each recipient (app.reports.delivery_mail), once across servers.

The periodic jobs (app.jobs) ask due_turn() each round: a turn is one try at one day, named
"<day>/<try>", and the first process to claim it (the job turns) makes the try. A failed try
is tried again after a growing delay (1, 2, 4 … minutes, then every hour) until 6 hours after
the time; then the day is marked failed, and `flask deliver --day` can still send it. A retry
goes only to the recipients that do not have the file yet. Each day's state is kept in the
delivery table for the admins' page; each try goes in the audit log. Nothing is sent for a
day past the retention period: its visits are (partly) deleted.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from ..extensions import db
from ..store import audit, clock
from ..store.database import read_transaction
from ..store.models import Delivery, DeliveryStatus, Visit
from . import delivery_mail, delivery_settings, export
from .daily_file import day_xlsx
from .delivery_settings import DeliveryError

log = logging.getLogger(__name__)

RETRY_WINDOW = timedelta(hours=6)
FIRST_DELAY = timedelta(minutes=1)
LONGEST_DELAY = timedelta(hours=1)
# What can stop a delivery, in the admins' words; a mail server's own words follow "smtp".
PROBLEMS = {
    "mail_server": _l("No mail server is configured (SMTP_HOST and MAIL_SENDER)."),
    "password": _l("No file password is set, or it can no longer be read (SECRET_KEY "
                   "changed): enter it again."),
    "recipients": _l("No recipients are set."),
    "retention": _l("The day is past the retention period: its visits have been deleted."),
    "missed": _l("Not sent: the server was not running in the 6 hours after the time."),
    "smtp": _l("The mail server:"),
    "internal": _l("An error in the server (its log says more)."),
}
# Problems that no later try can mend.
FINAL = frozenset({"retention", "missed"})


@dataclass(frozen=True)
class Turn:
    """One try at one day's delivery; `retry_until`: when a failed scheduled try may be tried
    again until (None for a try by hand)."""

    day: date
    attempt: int
    retry_until: datetime | None = None

    @property
    def period(self) -> str:
        """The job turn's name (app.jobs.claim)."""
        return f"{self.day.isoformat()}/{self.attempt}"


@dataclass(frozen=True)
class Outcome:
    """What a try did: whom it reached, or what stopped it (its error's code and text)."""

    day: date
    sent_to: tuple[str, ...] = ()
    people: int = 0
    problem: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def retry_delay(attempt: int) -> timedelta:
    """How long after failed try number `attempt` the next one comes: 1, 2, 4 … minutes, at
    most an hour."""
    return min(FIRST_DELAY * 2 ** min(attempt - 1, 12), LONGEST_DELAY)


def due_at(day: date, send_at: str) -> datetime:
    """When the day's file is due: at the admins' local time on the day after."""
    hours, minutes = (int(part) for part in send_at.split(":"))
    local = datetime.combine(day + timedelta(days=1), time(hours, minutes),
                             tzinfo=clock.local_zone())
    return local.astimezone(UTC)


def past_retention(day: date) -> bool:
    """Whether the purge may have begun deleting the day's visits."""
    oldest_kept = clock.utcnow() - timedelta(days=current_app.config["RETENTION_DAYS"])
    return clock.local_day_bounds(day)[0] <= oldest_kept


def due_turn() -> Turn | None:
    """The scheduled try due now, if any: for yesterday, once delivery was on at today's
    time, until the day is sent or given up."""
    settings = delivery_settings.current()
    now = clock.utcnow()
    day = clock.local_today() - timedelta(days=1)
    due = due_at(day, settings.send_at)
    since = settings.enabled_since
    if not settings.enabled or since is None or since > due or now < due:
        return None
    row = db.session.get(Delivery, day)
    if row is not None and (row.status != DeliveryStatus.PENDING
                            or (row.next_try_at is not None and now < row.next_try_at)):
        return None
    return Turn(day, (row.attempts if row else 0) + 1, retry_until=due + RETRY_WINDOW)


def hand_turn(day: date) -> Turn:
    """A try by hand at a day (`flask deliver`): the day's next try."""
    row = db.session.get(Delivery, day)
    return Turn(day, (row.attempts if row else 0) + 1)


def deliver(turn: Turn, via: str, again: bool = False) -> Outcome:
    """Make the turn's try (the turn taken first: app.jobs.claim), and record it in the day's
    log and in the audit log; `again`: to every recipient, also those who have the file."""
    now = clock.utcnow()
    row = db.session.get(Delivery, turn.day) or Delivery(day=turn.day, sent_to="", attempts=0)
    had = row.sent_to.split()
    previous_error = row.last_error
    retry_at = _retry_at(turn, row, now)
    # Recorded before the try: if this process dies meanwhile, the next try still comes.
    row.attempts, row.status, row.next_try_at = turn.attempt, DeliveryStatus.PENDING, retry_at
    db.session.add(row)
    recipients = delivery_settings.current().recipients
    db.session.commit()
    pending = [r for r in recipients if again or r not in had]
    if turn.retry_until is not None and now > turn.retry_until:
        # The tries' last error, if this process or another made some and then stopped.
        outcome = Outcome(turn.day, problem="missed", error=previous_error or "missed")
    elif recipients and not pending:
        outcome = Outcome(turn.day)  # every recipient has it already
    else:
        try:
            outcome = attempt(turn.day, pending)
        except Exception as error:  # noqa: BLE001 - recorded as a failed try, retried like one
            # Where, not what: an error's message could quote a visitor's answers.
            where = traceback.extract_tb(error.__traceback__)[-1]
            log.error("delivery of %s, try %d: %s at %s:%d", turn.day, turn.attempt,
                      type(error).__name__, where.filename, where.lineno)
            outcome = Outcome(turn.day, problem="internal", error="internal")
    _record(turn, outcome, had, recipients, retry_at, via)
    return outcome


def _retry_at(turn: Turn, row: Delivery, now: datetime) -> datetime | None:
    if turn.retry_until is None:  # by hand: a scheduled retry still pending keeps its time
        return row.next_try_at if row.status == DeliveryStatus.PENDING else None
    retry_at = now + retry_delay(turn.attempt)
    return retry_at if retry_at <= turn.retry_until else None


def _record(turn: Turn, outcome: Outcome, had: list[str], recipients: tuple[str, ...],
            retry_at: datetime | None, via: str) -> None:
    row = db.session.get(Delivery, turn.day)
    sent_to = had + [r for r in outcome.sent_to if r not in had]
    row.sent_to = "\n".join(sent_to)
    if outcome.ok and all(r in sent_to for r in recipients):
        row.status, row.sent_at, row.next_try_at, row.last_error = (
            DeliveryStatus.SENT, clock.utcnow(), None, "")
    else:
        final = outcome.problem in FINAL or retry_at is None
        row.status = DeliveryStatus.FAILED if final else DeliveryStatus.PENDING
        row.next_try_at = None if final else retry_at
        row.last_error = outcome.error[:300]
        log.warning("delivery of %s, try %d: %s", turn.day, turn.attempt, outcome.error)
    audit.record("delivery" if outcome.ok else "delivery_failed",
                 {**_details(outcome, via), "attempt": turn.attempt},
                 rows=outcome.people if outcome.ok else None, user=None)
    db.session.commit()


def _details(outcome: Outcome, via: str) -> dict:
    # Never an address: how many recipients the try reached.
    return {"day": outcome.day.isoformat(), "via": via, "recipients": len(outcome.sent_to)}


def attempt(day: date, recipients: list[str] | tuple[str, ...], test: bool = False) -> Outcome:
    """Send the day's file to the recipients now; what happened (nothing is recorded)."""
    try:
        if past_retention(day):
            raise DeliveryError("retention")
        if delivery_settings.mail_server_missing():
            raise DeliveryError("mail_server")
        if not recipients:
            raise DeliveryError("recipients")
        password = delivery_settings.file_password()
        with read_transaction():  # a day's visits are read without holding up check-ins
            xlsx, people = day_xlsx(day)
            counts = day_counts(day)
        attachment = delivery_mail.encrypt(xlsx, password)
        name = export.file_name("", day, day, "xlsx")
        sent = delivery_mail.send([
            (recipient, delivery_mail.message(recipient, day, counts, attachment, name, test))
            for recipient in recipients])
    except DeliveryError as error:
        return Outcome(day, tuple(error.sent_to), problem=error.code, error=str(error))
    return Outcome(day, tuple(sent), people=people)


def send_test(user) -> Outcome:
    """The "Gửi thử" button: yesterday's file to every recipient now, outside the day's log
    (which it neither changes nor counts), and recorded in the audit log."""
    day = clock.local_today() - timedelta(days=1)
    with read_transaction():
        recipients = delivery_settings.current().recipients
    outcome = attempt(day, recipients, test=True)
    audit.record_now("delivery" if outcome.ok else "delivery_failed", _details(outcome, "test"),
                     rows=outcome.people if outcome.ok else None, user=user)
    return outcome


def day_counts(day: date) -> delivery_mail.DayCounts:
    """The day's visits, people (companions too) and flagged visits, at every entry point."""
    since, until = clock.local_day_bounds(day)
    visits, people, flagged = db.session.execute(
        select(func.count(Visit.id), func.coalesce(func.sum(Visit.party_size), 0),
               func.coalesce(func.sum(case((Visit.flagged, 1), else_=0)), 0))
        .where(Visit.checked_in_at >= since, Visit.checked_in_at < until, Visit.counted())).one()
    return delivery_mail.DayCounts(visits, int(people), int(flagged))


def log_days(limit: int = 30) -> list[Delivery]:
    """The latest days' deliveries, newest first (the admins' page)."""
    return list(db.session.scalars(select(Delivery).order_by(Delivery.day.desc()).limit(limit)))


def problem_words(error: str) -> str:
    """A stored error in the admins' words: the problem, then the mail server's own."""
    code, _, detail = error.partition(": ")
    words = PROBLEMS.get(code)
    if words is None:
        return error
    return f"{words} {detail}".strip()
