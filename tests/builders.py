"""Visits built by hand, with exact times and any text (even what the form would refuse)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Response

from app.checkin.declaration import EXPOSURES, SYMPTOMS, is_flagged
from app.employees import enrolment
from app.extensions import db
from app.store import clock
from app.store.models import Companion, Employee, EmployeeDevice, Location, Presence, Visit
from app.store.tokens import hash_token

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def hanoi(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A moment of July 2021 in Hanoi, as aware UTC."""
    return datetime(2021, 7, day, hour, minute, second, tzinfo=HANOI).astimezone(UTC)


def declaration(**yes) -> dict:
    """Every answer No, except the keys given (e.g. fever=True, travel="Đà Nẵng")."""
    places = yes.pop("travel", "")
    return {"symptoms": {q.key: bool(yes.get(q.key)) for q in SYMPTOMS},
            "exposure": {q.key: bool(yes.get(q.key)) for q in EXPOSURES},
            "travel": {"answer": bool(places), "places": places or ""}}


def location_id(app, name: str) -> int:
    """The entry point with this name, created if needed."""
    with app.app_context():
        found = db.session.scalar(db.select(Location).where(Location.name == name))
        if found is None:
            found = Location(name=name)
            db.session.add(found)
            db.session.commit()
        return found.id


def add_visit(app, came: datetime, left: datetime | None = None, *, place: str = "Cổng chính",
              name: str = "Trần Thị Bình", phone: str = "0987654321",
              companions: tuple[tuple[str, int], ...] = (), answers: dict | None = None,
              by: str = "visitor", moves: tuple[tuple[str, datetime], ...] = (),
              **fields) -> int:
    """Store one visit as given, with its presences (at `place` from when its person came
    in, then at each of `moves`: (entry point, from when)); returns its id."""
    where = location_id(app, place)
    stops = [(where, min(fields.get("arrived_at") or came, came))]
    stops += [(location_id(app, point), at) for point, at in moves]
    answers = answers or declaration()
    with app.app_context():
        visit = Visit(location_id=where, checked_in_at=came, checked_out_at=left,
                      checkout_by=by if left else None, full_name=name, phone=phone,
                      birth_year=fields.pop("birth_year", 1990),
                      gender=fields.pop("gender", "female"),
                      nationality=fields.pop("nationality", "Việt Nam"),
                      province=fields.pop("province", "Hà Nội"), declaration=answers,
                      flagged=fields.pop("flagged", is_flagged(answers)),
                      changed_at=left or came, **fields)
        visit.companions = [Companion(full_name=n, birth_year=y, position=i)
                            for i, (n, y) in enumerate(companions)]
        visit.party_size = 1 + len(companions)
        visit.presences = [Presence(location_id=point, started_at=start, ended_at=end)
                           for (point, start), end in zip(
                               stops, [at for _point, at in stops[1:]] + [left], strict=True)]
        visit.refresh_search_text()
        db.session.add(visit)
        db.session.commit()
        return visit.id


def enrol_phone(app, phone) -> None:
    """An employee's phone, enrolled: the register's row, the device, its cookie."""
    token = "an-enrolled-phones-token-0123456789"
    with app.app_context():
        employee = Employee(code="NV-001", full_name="Trần Thị Thợ", phone="0912000001")
        db.session.add(EmployeeDevice(employee=employee, token_hash=hash_token(token),
                                      created_at=clock.utcnow()))
        db.session.commit()
    with app.test_request_context():
        response = Response()
        enrolment.remember_device(response, token)
    cookie = re.match(r"([^=]+)=([^;]+)", response.headers["Set-Cookie"])
    phone.client.set_cookie(cookie.group(1), cookie.group(2))
