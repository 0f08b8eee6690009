"""Every change made at the desk is in the audit log, with who and when, in the same commit
as the change, never with the visitor's name, phone or ID number."""

from __future__ import annotations

import json
import re

import pytest

from app.extensions import db
from app.store.models import AuditEvent
from tests.builders import hanoi
from tests.conftest import VALID_VISITOR, Phone, csrf_from, visits
from tests.html_form import form_values

PERSONAL = ("Nguyễn Văn An", "Nguyễn Văn Ân", "0912345678", "0912345679", "001085012345",
            "38,5", "38.5", "ho khan")


@pytest.fixture
def desk(staff, browser_of, clock):
    browser = browser_of()
    browser.login_receptionist()
    return browser


def _events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == action)
                                       .order_by(AuditEvent.id)))


def _no_personal_data(app) -> None:
    with app.app_context():
        logged = json.dumps([[e.action, e.details, e.username] for e in
                             db.session.scalars(db.select(AuditEvent))], ensure_ascii=False)
    for text in PERSONAL:
        assert text not in logged


def _one(app, action: str, staff: dict) -> AuditEvent:
    [event] = _events(app, action)
    assert (event.user_id, event.username, event.address) == (staff["thu"], "thu", "127.0.0.1")
    return event


def test_a_manual_entry_is_recorded(app, desk, staff):
    form = form_values(desk.client.get("/dashboard/new").get_data(as_text=True), "/dashboard/new")
    assert desk.client.post("/dashboard/new", data={**form, **VALID_VISITOR}).status_code == 302
    [visit] = visits(app)
    event = _one(app, "visit_manual_entry", staff)
    assert event.details == {"visit": visit.id, "location": visit.location_id}
    desk.client.post("/dashboard/new", data={**form, **VALID_VISITOR})  # the same form again
    assert len(_events(app, "visit_manual_entry")) == 1
    _no_personal_data(app)


def test_a_paper_entry_is_recorded(app, desk, staff, clock):
    clock.now = hanoi(14, 16)
    form = form_values(desk.client.get("/dashboard/paper").get_data(as_text=True),
                       "/dashboard/paper")
    assert desk.client.post("/dashboard/paper", data={
        **form, **VALID_VISITOR, "day": "2021-07-14", "came": "08:10"}).status_code == 302
    [visit] = visits(app)
    assert _one(app, "visit_paper_entry", staff).details == {"visit": visit.id,
                                                              "location": visit.location_id}
    assert _events(app, "visit_manual_entry") == []
    _no_personal_data(app)


def test_a_check_out_at_reception_is_recorded_once_and_the_visitors_own_is_not(app, desk,
                                                                                staff):
    Phone(app.test_client()).check_in()
    desk.post("/dashboard/visits/1/checkout", headers={"HX-Request": "true"})
    desk.post("/dashboard/visits/1/checkout")  # again: nothing changes, nothing recorded
    assert _one(app, "visit_checkout", staff).details == {"visit": 1}
    phone = Phone(app.test_client())
    done = phone.check_in(full_name="Trần Thị Mai", phone="0987654321", id_number="")
    token = csrf_from(phone.client.get(done.headers["Location"]).get_data(as_text=True))
    phone.client.post(done.headers["Location"] + "/checkout", data={"csrf_token": token})
    assert len(_events(app, "visit_checkout")) == 1
    _no_personal_data(app)


def test_an_undone_check_out_is_recorded(app, desk, staff, clock):
    Phone(app.test_client()).check_in()
    desk.post("/dashboard/visits/1/checkout", headers={"HX-Request": "true"})
    clock.advance(seconds=5)
    desk.post("/dashboard/visits/1/undo-checkout", headers={"HX-Request": "true"})
    assert _one(app, "visit_checkout_undone", staff).details == {"visit": 1}
    assert visits(app)[0].is_open


def test_a_correction_is_recorded_with_the_fields_not_the_values(app, desk, staff):
    Phone(app.test_client()).check_in()
    desk.post("/dashboard/visits/1/correct", {"full_name": "Nguyễn Văn Ân",
                                               "phone": "0912345679"}, page="/dashboard/visits/1")
    assert _one(app, "visit_correct", staff).details == {"visit": 1,
                                                         "fields": ["full_name", "phone"]}
    desk.post("/dashboard/visits/1/correct", {"full_name": "Nguyễn Văn Ân",
                                               "phone": "0912345679"}, page="/dashboard/visits/1")
    assert len(_events(app, "visit_correct")) == 1  # nothing changed the second time
    _no_personal_data(app)


def test_a_gate_decision_is_recorded_without_the_temperature_or_note(app, desk, staff):
    Phone(app.test_client()).check_in(symptom_cough="yes")
    desk.post("/dashboard/alerts/1", {"decision": "medical", "temperature": "38,5",
                                      "note": "ho khan"}, headers={"HX-Request": "true"})
    assert _one(app, "gate_decision", staff).details == {"visit": 1, "decision": "medical"}
    _no_personal_data(app)


def test_a_refused_change_leaves_no_entry(app, desk, staff):
    Phone(app.test_client()).check_in(symptom_cough="yes")
    decided = desk.post("/dashboard/alerts/1", {"decision": "medical", "temperature": "50"})
    assert decided.status_code == 400
    assert "Nhập nhiệt độ từ 34,0 đến 43,0 °C" in decided.get_data(as_text=True)
    corrected = desk.post("/dashboard/visits/1/correct", {"full_name": "", "phone": "1"},
                          page="/dashboard/visits/1")
    assert corrected.status_code == 400
    assert "Nhập họ và tên." in corrected.get_data(as_text=True)
    undone = desk.post("/dashboard/visits/1/undo-checkout",  # it was never checked out
                       follow_redirects=True)
    assert "Đã quá thời gian hoàn tác" in undone.get_data(as_text=True)
    assert [event.action for event in _events(app, "gate_decision")
            + _events(app, "visit_correct") + _events(app, "visit_checkout_undone")] == []


def test_the_audit_page_names_the_desk_actions(app, admin, staff, browser_of):
    html = admin.client.get("/admin/audit").get_data(as_text=True)
    for label in ("Khai báo hộ khách", "Nhập phiếu giấy", "Cho ra về tại lễ tân",
                  "Hoàn tác lượt ra", "Sửa lượt vào", "Ghi quyết định tại cổng"):
        assert re.search(rf'<option value="\w+">{label}</option>', html), label
