"""Tracing reads bounded ranges of indexes, never a table or an entry point's whole history; and
the stays it finds only through those bounds (longer than a day) are still found."""

from __future__ import annotations

import random
import re
from datetime import timedelta

import pytest
from sqlalchemy import insert, text

from app.extensions import db
from app.reports.tracing import overlapping_visits
from app.store.models import Location, Visit
from tests.builders import add_visit, hanoi
from tests.conftest import TEST_DATABASE_URL, VALID_VISITOR, Phone
from tests.test_dashboard import _plans

CASE_PHONE = "0911111111"


@pytest.fixture
def history(make_app, clock):
    """A database built by the migrations (their indexes are the ones read) holding three weeks
    of visits at two entry points, with the planner's statistics; and a case on 14 July."""
    app = make_app()
    assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exception is None
    clock.now = hanoi(21, 18)
    rng = random.Random(14)
    with app.app_context():
        db.session.add_all([Location(name="Cổng chính"), Location(name="Cổng sau")])
        db.session.commit()
        rows = []
        for _ in range(3000):
            came = hanoi(1, 0) + timedelta(seconds=rng.uniform(0, 20 * 86400))
            left = came + timedelta(minutes=rng.randint(5, 120))
            rows.append({"location_id": rng.randint(1, 2), "checked_in_at": came,
                         "checked_out_at": left, "checkout_by": "visitor",
                         "full_name": "Trần Thị Bình", "phone": f"09{rng.randrange(10**8):08d}",
                         "birth_year": 1990, "gender": "female", "nationality": "Việt Nam",
                         "province": "Hà Nội", "ward": "", "street": "", "purpose": "",
                         "declaration": {}, "flagged": False, "source": "self",
                         "search_text": "", "changed_at": left, "party_size": 1})
        db.session.execute(insert(Visit), rows)
        # Each stay at its entry point, as the migration wrote the visits stored before it.
        db.session.execute(text("INSERT INTO presence (visit_id, location_id, started_at, "
                                "ended_at) SELECT id, location_id, checked_in_at, "
                                "checked_out_at FROM visit"))
        db.session.commit()
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    case = add_visit(app, hanoi(14, 9), hanoi(14, 10), name="Ca Bệnh", phone=CASE_PHONE)
    return app, case


def _candidate_plan(app, case_id: int, index: str = "ix_visit_long_stay", **options) -> str:
    """The plan of the statement that finds a trace's candidates (the one that reads
    `index`)."""
    def trace():
        overlapping_visits([db.session.get(Visit, case_id)], **options)
    [plan] = [plan for plan in _plans(app, trace) if index in plan]
    return plan


def test_every_branch_of_the_per_point_query_reads_a_bounded_index_range(history):
    app, case = history
    plan = _candidate_plan(app, case, "ix_presence_long_stay")
    if TEST_DATABASE_URL:
        assert "Seq Scan on presence" not in plan and "Seq Scan on visit" not in plan
        scans = re.findall(r"(?:Index|Index Only|Bitmap Index) Scan (?:Backward )?(?:using|on) "
                           r"(\w+)", plan)
        conditions = re.findall(r"Index Cond: (.*)", plan)
    else:
        assert not re.search(r"\bSCAN (presence|visit)\b", plan), plan
        searches = re.findall(r"SEARCH presence USING (?:COVERING )?INDEX (\w+) \((.*)\)", plan)
        scans = [index for index, _ in searches]
        conditions = [condition for _, condition in searches]
        assert len(searches) == 3, plan  # one range for each branch
        # The busy range from the index alone: who the presences were is read for the few
        # found, afterwards.
        assert "USING COVERING INDEX ix_presence_location_stay" in plan, plan
        assert "visit" not in plan, plan
    # One entry point's presences that began within a day before the case: a range with both
    # ends; the longer and the open ones from their own (partial) indexes.
    assert any(re.search(r"\bstarted_at\W*\s*>=?\s*.+ AND \W*started_at\W*\s*<", c)
               for c in conditions), plan
    assert {"ix_presence_location_stay", "ix_presence_long_stay", "ix_presence_open"} <= set(
        scans), plan


def test_every_branch_of_the_any_point_query_reads_a_bounded_index_range(history):
    app, case = history
    plan = _candidate_plan(app, case, any_location=True)
    if TEST_DATABASE_URL:
        assert "Seq Scan on visit" not in plan
        scans = re.findall(r"(?:Index|Index Only|Bitmap Index) Scan (?:Backward )?(?:using|on) "
                           r"(\w+)", plan)
        conditions = re.findall(r"Index Cond: (.*)", plan)
    else:
        assert not re.search(r"\bSCAN visit\b", plan)
        searches = re.findall(r"SEARCH visit USING (?:COVERING )?INDEX (\w+) \((.*)\)", plan)
        scans = [index for index, _ in searches]
        conditions = [condition for _, condition in searches]
        assert len(searches) == 4, plan  # one range for each branch
    # When people came (at an entry point, or anywhere) and when corrected declarations'
    # people came: each a range with both ends.
    in_range, arrived_range = (rf"\b{column}\W*\s*>=?\s*.+ AND \W*{column}\W*\s*<"
                               for column in ("checked_in_at", "arrived_at"))
    assert any(re.search(in_range, c) for c in conditions), plan
    assert any(re.search(arrived_range, c) for c in conditions), plan
    assert {"ix_visit_arrived_at", "ix_visit_long_stay"} <= set(scans), plan
    # The stays longer than a day: only from their own (partial) index.
    assert scans.count("ix_visit_long_stay") == 2 or (TEST_DATABASE_URL and len(
        re.findall(r"Bitmap Index Scan on ix_visit_long_stay", plan)) >= 1), plan


def test_cases_by_phone_read_the_phone_index(history):
    from datetime import date

    from app.reports.tracing import cases_by_phone
    app, _case = history
    [plan, *_companions] = _plans(
        app, lambda: cases_by_phone(CASE_PHONE, date(2021, 7, 8), date(2021, 7, 14)))
    assert "ix_visit_phone_checked_in_at" in plan, plan


def test_cases_by_employee_code_read_the_code_index(history):
    from datetime import date

    from app.reports.tracing import cases_by_employee
    app, _case = history
    [plan, *_companions] = _plans(
        app, lambda: cases_by_employee("NV-001", date(2021, 7, 8), date(2021, 7, 14)))
    assert "ix_visit_employee_code_checked_in_at" in plan, plan


def contacts(app, case_id: int) -> dict[str, int]:
    """{contact's name: minutes together}."""
    with app.app_context():
        trace = overlapping_visits([db.session.get(Visit, case_id)])
        return {c.visit.full_name: c.overlap_minutes for c in trace.contacts}


def test_a_stay_checked_out_by_hand_the_next_morning_is_found(app, clock):
    # The server was off at midnight, so nothing closed the evening visit; it was checked out
    # by hand at 09:30 the next day, during the case's visit.
    clock.now = hanoi(15, 18)
    add_visit(app, hanoi(14, 20), hanoi(15, 9, 30), name="Qua Đêm", phone="0900000001")
    case = add_visit(app, hanoi(15, 9), hanoi(15, 10), name="Ca Bệnh", phone=CASE_PHONE)
    assert contacts(app, case) == {"Qua Đêm": 30}


def test_a_declaration_corrected_days_after_its_person_came_in_is_found(app, clock):
    # The server was off for two days: the first visit was still open when its phone sent the
    # corrected form, which counts from the first check-in on the 12th.
    clock.now = hanoi(12, 9)
    phone = Phone(app.test_client())
    hidden = phone.hidden_fields()
    phone.submit({**VALID_VISITOR, "full_name": "Người Sửa Muộn"}, hidden)
    clock.now = hanoi(14, 11)
    phone.submit({**VALID_VISITOR, "full_name": "Người Sửa Muộn", "symptom_cough": "yes"},
                 hidden)
    clock.now = hanoi(14, 12)
    case = add_visit(app, hanoi(14, 9), hanoi(14, 10), name="Ca Bệnh", phone=CASE_PHONE)
    assert contacts(app, case) == {"Người Sửa Muộn": 60}
