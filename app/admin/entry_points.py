"""Entry points: create, rename, open or close, rotate the token, and count today's visits."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select

from ..extensions import db
from ..store import clock
from ..store.cache import forget, forget_on_change, kept
from ..store.models import Location, PointKind, RetiredToken, Visit, new_location_token
from ..store.normalise import clean_text, fold_for_search, has_control_characters
from ..web.links import external_url

MAX_NAME_LENGTH = 100


class LocationError(ValueError):
    """A change that cannot be made; the message is for the admin."""


def clean_name(name: str) -> str:
    """A trimmed, NFC entry-point name, or LocationError: checked like a visitor's name, since
    it is printed on posters, lists and exports."""
    name = " ".join((clean_text(name) or "").split())
    if not name:
        raise LocationError(_l("Enter a name for the entry point."))
    if has_control_characters(name):
        raise LocationError(_l("Please remove the special characters from this field."))
    if len(name) > MAX_NAME_LENGTH:
        raise LocationError(_l("Use at most %(max)d characters.", max=MAX_NAME_LENGTH))
    return name


def unused_name(name: str, renaming: Location | None = None) -> str:
    """The cleaned name, or LocationError when another entry point has it, written with any
    case or diacritics. Closed points count: one can be reopened, and its visits are listed,
    exported and traced under its name, where two alike could not be told apart."""
    name = clean_name(name)
    folded = fold_for_search(name)
    for other in db.session.scalars(select(Location).order_by(Location.id)):  # a few dozen
        if other is not renaming and fold_for_search(other.name) == folded:
            if other.active:
                raise LocationError(_l("There is already an entry point named %(name)s: "
                                       "choose another name.", name=other.name))
            raise LocationError(_l("There is already an entry point named %(name)s (closed): "
                                   "reopen it, or choose another name.", name=other.name))
    return name


def create_location(name: str) -> Location:
    """A new, active entry point with a fresh token, named as no other one is."""
    location = Location(name=unused_name(name))
    db.session.add(location)
    db.session.commit()
    return location


def rename_location(location: Location, name: str) -> None:
    """Give the entry point a new name no other one has (its QR code stays the same)."""
    location.name = unused_name(name, renaming=location)
    db.session.commit()


def set_location_active(location: Location, active: bool) -> None:
    """Open or close an entry point; a closed one's QR code shows the "not in use" page."""
    location.active = active
    db.session.commit()


def set_kind(location: Location, kind: PointKind) -> None:
    """Make the point an entrance or an inner point (the medical room is one)."""
    location.kind = kind
    db.session.commit()


def rotate_token(location: Location) -> str:
    """Give the entry point a new token; posters with the old one say they were replaced."""
    db.session.refresh(location, with_for_update=True)  # two admins at once: one after the other
    db.session.add(RetiredToken(token=location.token, location_id=location.id,
                                retired_at=clock.utcnow()))
    location.token = new_location_token()
    db.session.commit()
    return location.token


@dataclass(frozen=True)
class EntryPoint:
    """What a scan needs of an entry point, as read from the database a moment ago."""

    id: int
    name: str
    token: str
    active: bool
    kind: PointKind = PointKind.ENTRANCE

    @property
    def is_inner(self) -> bool:
        """True for a point inside (scanning it while inside means being there now)."""
        return self.kind != PointKind.ENTRANCE


def find_by_token(token: str) -> tuple[EntryPoint | None, bool]:
    """(the entry point with this token, or None; whether the token was replaced). Scans of
    the same poster come by the hundred at a shift change: what was read of it a moment ago
    is used again (app.store.cache)."""
    return kept("entry_points", token, lambda: _read_by_token(token),
                keep=lambda found: found[0] is not None)


def find_by_id(location_id: int) -> EntryPoint:
    """The entry point with this number (a visit's), kept a moment as find_by_token's are:
    every confirmation page shows its entry point."""
    return kept("entry_points", f"#{location_id}", lambda: _entry_point(
        db.session.get(Location, location_id)))


def _entry_point(location: Location) -> EntryPoint:
    return EntryPoint(location.id, location.name, location.token, location.active,
                      PointKind(location.kind or PointKind.ENTRANCE))


def _read_by_token(token: str) -> tuple[EntryPoint | None, bool]:
    location = db.session.scalar(select(Location).where(Location.token == token))
    if location is not None:
        return _entry_point(location), False
    return None, db.session.get(RetiredToken, token) is not None


forget_on_change("entry_points", Location, RetiredToken)


_STILL_OPEN = select(Location.__table__.c.id).where(
    Location.__table__.c.id == bindparam("id"), Location.__table__.c.token == bindparam("token"),
    Location.__table__.c.active.is_(True))


# True while the entry point "id" is open under the same "token" (one look by its key): the
# check-in asks it in the statement that begins its write (app.checkin.visits).
STILL_OPEN = _STILL_OPEN.exists()


def forget_entry_points() -> None:
    """Read the entry points afresh at the next scan."""
    forget("entry_points")


def todays_counts() -> dict[int, int]:
    """{entry point id: visits since local midnight}."""
    start, end = clock.local_day_bounds(clock.local_today())
    rows = db.session.execute(
        select(Visit.location_id, func.count(Visit.id))
        .where(Visit.checked_in_at >= start, Visit.checked_in_at < end, Visit.counted())
        .group_by(Visit.location_id))
    return dict(rows.all())


def listed(active_only: bool = False) -> list[Location]:
    """The entry points in the order they were made (only the open ones with `active_only`)."""
    statement = select(Location).order_by(Location.id)
    if active_only:
        statement = statement.where(Location.active.is_(True))
    return list(db.session.scalars(statement))


def checkin_url(location: Location, base_url: str) -> str:
    """The URL a poster's QR code opens: the public base URL + /c/<token>."""
    return external_url(base_url, "checkin.form_page", token=location.token)
