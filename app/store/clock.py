"""The one place the application reads the time, so tests can control it."""

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from flask import current_app


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


def local_zone() -> tzinfo:
    """The organisation's configured time zone."""
    return ZoneInfo(current_app.config["TIMEZONE"])


def to_local(moment: datetime) -> datetime:
    """A stored UTC time in the organisation's time zone."""
    return moment.astimezone(local_zone())


def local_today_year() -> int:
    """The current calendar year where the organisation is."""
    return to_local(utcnow()).year


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants where a local calendar day starts and the next one starts."""
    zone = local_zone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def local_range_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """The UTC instants where local day `first` starts and the day after `last` starts."""
    return local_day_bounds(first)[0], local_day_bounds(last)[1]


def local_today() -> date:
    """Today's date where the organisation is."""
    return to_local(utcnow()).date()
