"""The desk's counters against the visits counted one by one: every figure, today and another
day, over visits in every state (open, checked out, refused, replaced by a corrected
declaration, parties, employees, flagged with and without a decision, moved, yesterday's), so
that counting them from indexes can never be silently wrong."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from app.extensions import db
from app.store import clock as app_clock
from app.store.models import (
    CheckoutReason,
    Decision,
    GateDecision,
    Location,
    Presence,
    User,
    Visit,
    VisitSource,
)
from tests.builders import add_visit, declaration, hanoi
from tests.conftest import counters as shown_counters

POINTS = ("Cổng chính", "Cổng sau", "Phòng họp")


def counted_one_by_one(app, day: date) -> dict:
    """The counters' figures worked out from every visit and presence, one at a time."""
    with app.app_context():
        start, end = app_clock.local_day_bounds(day)
        past = day < app_clock.local_today()
        names = {point.id: point.name for point in db.session.scalars(db.select(Location))}
        decided = set(db.session.scalars(db.select(GateDecision.visit_id)))
        open_presences = list(db.session.scalars(
            db.select(Presence).where(Presence.ended_at.is_(None))))
        figures = dict.fromkeys(("visits", "people", "inside", "flagged", "undecided",
                                 "employee_visits", "employees_inside"), 0)
        by_point: dict[str, int] = {}
        for visit in db.session.scalars(db.select(Visit)):
            if not start <= visit.checked_in_at < end:
                continue
            if visit.checkout_by == CheckoutReason.REPLACED:
                continue
            inside = visit.checked_out_at is None
            figures["visits"] += 1
            figures["people"] += visit.party_size
            figures["inside"] += visit.party_size if inside else 0
            figures["employee_visits"] += visit.employee_code is not None
            figures["employees_inside"] += visit.employee_code is not None and inside
            if visit.flagged:
                figures["flagged"] += 1
                waits = visit.id not in decided and not (
                    past and visit.source == VisitSource.PAPER)
                figures["undecided"] += waits
            if inside:
                for presence in open_presences:
                    if presence.visit_id == visit.id:
                        name = names[presence.location_id]
                        by_point[name] = by_point.get(name, 0) + visit.party_size
        figures["inside_by_point"] = tuple(sorted(
            by_point.items(), key=lambda item: _point_id(names, item[0])))
        return figures


def _point_id(names: dict[int, str], name: str) -> int:
    return next(point for point, named in names.items() if named == name)


def counted_by_the_desk(app, day: date) -> dict:
    from app.desk import day_list
    with app.app_context():
        found = day_list.counters(day)
        return {name: getattr(found, name) for name in (
            "visits", "people", "inside", "flagged", "undecided", "employee_visits",
            "employees_inside", "inside_by_point")}


def _decide(app, visit_id: int, decision: Decision, at) -> None:
    with app.app_context():
        user = db.session.scalar(db.select(User))
        db.session.add(GateDecision(visit_id=visit_id, decision=decision, user=user, at=at))
        db.session.commit()


@pytest.fixture
def many_states(app, staff, clock):
    """Visits of 13 and 14 July in every state the desk counts, at 15:00 on the 14th."""
    clock.now = hanoi(14, 15)
    flagged = declaration(fever=True)
    today, yesterday = hanoi(14, 8), hanoi(13, 9)
    # Yesterday: one gone, one never checked out, a flagged paper slip nobody decided on.
    add_visit(app, yesterday, yesterday + timedelta(hours=1), phone="0900000001")
    add_visit(app, yesterday + timedelta(hours=2), phone="0900000002",
              companions=(("Con Một", 2015),))
    add_visit(app, yesterday + timedelta(hours=3), yesterday + timedelta(hours=4),
              answers=flagged, source=VisitSource.PAPER, phone="0900000003")
    # Just before and just after local midnight.
    add_visit(app, hanoi(13, 23, 59, 59), phone="0900000004")
    add_visit(app, hanoi(14, 0, 0, 0), phone="0900000005")
    # Today: visitors in and out, refused, a party inside that moved, another gone.
    add_visit(app, today, phone="0900000010")
    add_visit(app, today, today + timedelta(minutes=30), phone="0900000011")
    add_visit(app, today + timedelta(minutes=5), place="Cổng sau", phone="0900000012",
              companions=(("Con Hai", 2016), ("Mẹ Già", 1950)),
              moves=(("Phòng họp", today + timedelta(minutes=20)),))
    add_visit(app, today + timedelta(minutes=6), today + timedelta(hours=1), phone="0900000013",
              companions=(("Bạn", 1991),))
    # Flagged: waiting, decided (let in), refused at the gate, a paper slip waiting today.
    add_visit(app, today + timedelta(minutes=7), answers=flagged, phone="0900000020")
    admitted = add_visit(app, today + timedelta(minutes=8), answers=flagged,
                         phone="0900000021", companions=(("Em", 2010),))
    _decide(app, admitted, Decision.ADMIT, today + timedelta(minutes=9))
    refused = add_visit(app, today + timedelta(minutes=10), today + timedelta(minutes=11),
                        answers=flagged, by=CheckoutReason.REFUSED, phone="0900000022")
    _decide(app, refused, Decision.REFUSE, today + timedelta(minutes=11))
    add_visit(app, today + timedelta(minutes=12), answers=flagged, source=VisitSource.PAPER,
              phone="0900000023")
    # A flagged party's declaration replaced by a corrected one (not flagged, one companion
    # fewer), and a replaced declaration that had a decision.
    add_visit(app, today + timedelta(minutes=13), today + timedelta(minutes=14),
              answers=flagged, by=CheckoutReason.REPLACED, phone="0900000030",
              companions=(("Sai Tên", 2000), ("Bỏ Đi", 2001)))
    add_visit(app, today + timedelta(minutes=14), phone="0900000030",
              companions=(("Đúng Tên", 2000),), arrived_at=today + timedelta(minutes=13))
    replaced_decided = add_visit(app, today + timedelta(minutes=15),
                                 today + timedelta(minutes=16), answers=flagged,
                                 by=CheckoutReason.REPLACED, phone="0900000031")
    _decide(app, replaced_decided, Decision.MEDICAL, today + timedelta(minutes=15))
    add_visit(app, today + timedelta(minutes=16), answers=flagged, phone="0900000031")
    # Employees: one inside (moved), one gone, one flagged inside.
    add_visit(app, today + timedelta(minutes=20), employee_code="NV-001", department="Xưởng A",
              phone="0900000040", moves=(("Phòng họp", today + timedelta(minutes=40)),))
    add_visit(app, today + timedelta(minutes=21), today + timedelta(hours=2),
              employee_code="NV-002", phone="0900000041")
    add_visit(app, today + timedelta(minutes=22), employee_code="NV-003", answers=flagged,
              place="Cổng sau", phone="0900000042")
    return app


def test_every_counter_is_the_visits_counted_one_by_one(many_states, desk):
    app = many_states
    for day in (date(2021, 7, 14), date(2021, 7, 13), date(2021, 7, 12)):
        assert counted_by_the_desk(app, day) == counted_one_by_one(app, day), day
    today = counted_one_by_one(app, date(2021, 7, 14))
    # The fixture's states are all there: a figure that counted one of them wrongly differs.
    assert today == {"visits": 14, "people": 19, "inside": 14, "flagged": 6, "undecided": 4,
                     "employee_visits": 3, "employees_inside": 2,
                     "inside_by_point": (("Cổng chính", 9), ("Cổng sau", 1),
                                         ("Phòng họp", 4))}
    # And the page shows them.
    html = desk.client.get("/dashboard/").get_data(as_text=True)
    assert shown_counters(html) == {"Người vào hôm nay": "19", "Người đang ở bên trong": "14",
                                    "Lượt cảnh báo hôm nay": "6", "Lượt chờ quyết định": "4"}
    assert "khách 16 · nhân viên 3 · 14 lượt vào" in html
    assert "khách 12 · nhân viên 2" in html
    assert "Cổng chính 9 · Cổng sau 1 · Phòng họp 4" in html


def test_counters_match_over_random_visits(app, staff, clock):
    clock.now = hanoi(14, 18)
    rng = random.Random(20210714)
    for number in range(80):
        came = hanoi(13, 0) + timedelta(minutes=rng.randint(0, 42 * 60))
        left = (came + timedelta(minutes=rng.randint(1, 300))
                if rng.random() < 0.5 else None)
        if left is not None and left > clock.now:
            left = None
        by = rng.choice((CheckoutReason.VISITOR, CheckoutReason.STAFF, CheckoutReason.AUTO,
                         CheckoutReason.REFUSED, CheckoutReason.REPLACED)) if left else "visitor"
        moves = (((rng.choice(POINTS), came + timedelta(minutes=1)),)
                 if rng.random() < 0.3 else ())
        if left is not None and moves and moves[0][1] >= left:
            moves = ()
        visit = add_visit(
            app, came, left, place=rng.choice(POINTS), phone=f"09{number:08d}",
            answers=declaration(fever=True) if rng.random() < 0.25 else None,
            companions=tuple((f"Người {number} {k}", 2000) for k in range(rng.randint(0, 2))),
            by=by, moves=moves,
            source=rng.choice((VisitSource.SELF, VisitSource.STAFF, VisitSource.PAPER)),
            **({"employee_code": f"NV-{number:03d}"} if rng.random() < 0.2 else {}))
        if rng.random() < 0.3:
            _decide(app, visit, rng.choice(tuple(Decision)), came + timedelta(minutes=1))
    for day in (date(2021, 7, 13), date(2021, 7, 14)):
        assert counted_by_the_desk(app, day) == counted_one_by_one(app, day), day
