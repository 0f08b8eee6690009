"""Two app servers on one PostgreSQL database behind the sample nginx (round robin): they
share visits and sign-ins, and each periodic job runs once a period across both."""

from __future__ import annotations

import re
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from tests import servers
from tests.conftest import TEST_DATABASE_URL, VALID_VISITOR, csrf_from
from tests.deploy.conftest import running_site
from tests.html_form import form_values

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL,
                                reason="several servers share a PostgreSQL database")
ADMIN, ADMIN_PASSWORD = "lan", "quản-trị-2021"
RAN = re.compile(r"job (\w+) ran for period (\d+):")
TAKEN = re.compile(r"job (\w+) for period (\d+): taken by another process")
STARTED = re.compile(r"periodic jobs started in process (\d+)")


def _execute(env: dict[str, str], statement: str, **values) -> list:
    engine = create_engine(env["GATEBOOK_DATABASE_URL"])
    try:
        with engine.begin() as conn:
            result = conn.execute(text(statement), values)
            return list(result) if result.returns_rows else []
    finally:
        engine.dispose()


def _add_visit(env: dict[str, str], name: str, at: datetime) -> None:
    """A visit written straight into the database, still open, checked in at `at`."""
    _execute(env, """
        INSERT INTO visit (location_id, checked_in_at, full_name, phone, birth_year, gender,
            nationality, province, ward, street, purpose, declaration, flagged, source,
            search_text, changed_at, party_size, department)
        VALUES ((SELECT MIN(id) FROM location), :at, :name, '0912345678', 1980, 'male',
            'Việt Nam', 'Hà Nội', '', '', '', '{}', false, 'self', '', :at, 1, '')""",
             at=at.replace(tzinfo=None), name=name)


def _served_by(site, send, marker: str):
    """Send one request; return its reply and which server's log recorded it."""
    before = [log.read_text().count(marker) for log in site.server_logs]
    reply = send()
    deadline = time.monotonic() + 10
    while True:
        after = [log.read_text().count(marker) for log in site.server_logs]
        grown = [number for number, (old, new) in enumerate(zip(before, after, strict=True))
                 if new > old]
        if grown:
            return reply, grown[0]
        assert time.monotonic() < deadline, f"no server logged {marker!r}"
        time.sleep(0.05)


def test_two_servers_share_visits_and_sign_ins_and_run_each_job_once(site_settings, nginx,
                                                                      tmp_path):
    env = {**site_settings, "GATEBOOK_JOBS_INTERVAL_SECONDS": "1", "GATEBOOK_LOG_LEVEL": "DEBUG"}
    for args, stdin in ((("add-location", "Cổng chính"), None),
                        (("create-user", ADMIN, "--role", "admin", "--password-stdin"),
                         ADMIN_PASSWORD + "\n")):
        assert servers.flask(env, *args, stdin=stdin).returncode == 0
    now = datetime.now(UTC)
    _add_visit(env, "Khách Quá Hạn", now - timedelta(days=22))  # for the purge
    _add_visit(env, "Khách Hôm Qua", now - timedelta(days=1, hours=1))  # for auto check-out
    token = _execute(env, "SELECT token FROM location")[0][0]

    with running_site(env, nginx, tmp_path, count=2, workers=2) as site:
        # A check-in through one server appears on a dashboard served by the other.
        phone = site.client("127.0.0.8")
        form = form_values(phone.get(f"/c/{token}").text, "/c/")
        answered, checked_in_on = _served_by(
            site, lambda: phone.post(f"/c/{token}", {**form, **VALID_VISITOR}), "POST /c/")
        assert answered.status == 302

        admin = site.client("127.0.0.9")
        signed_in, _ = _served_by(site, lambda: admin.post("/login", {
            "username": ADMIN, "password": ADMIN_PASSWORD,
            "csrf_token": csrf_from(admin.get("/login").text)}), "POST /login")
        assert signed_in.status == 302
        # The sign-in holds on both servers, whichever answers.
        dashboards = [_served_by(site, lambda: admin.get("/dashboard/"), "GET /dashboard/")
                      for _ in range(4)]
        assert {server for _reply, server in dashboards} == {0, 1}
        for reply, server in dashboards:
            assert reply.status == 200, (server, reply.status)
            assert VALID_VISITOR["full_name"] in reply.text
        assert any(server != checked_in_on for _reply, server in dashboards)

        # The jobs: every worker of both servers runs the loop; let a few periods pass.
        deadline = time.monotonic() + 60
        while len(set(RAN.findall(site.server_log()))) < 10:
            assert time.monotonic() < deadline, site.server_log()[-3000:]
            time.sleep(0.2)
        log = site.server_log()

    assert len(set(STARTED.findall(log))) == 4  # two workers on each server
    runs = Counter(RAN.findall(log))
    assert {job for job, _period in runs} == {"purge", "auto_checkout"}
    assert set(runs.values()) == {1}, [turn for turn, count in runs.items() if count > 1]
    # The others found the turn taken: they did try, for the same periods.
    assert set(TAKEN.findall(log)) & set(runs)
    # And the jobs did their work, once.
    names = dict(_execute(env, "SELECT full_name, checkout_by FROM visit"))
    assert names == {VALID_VISITOR["full_name"]: None, "Khách Hôm Qua": "auto"}
    assert _execute(env, "SELECT row_count FROM audit_event WHERE action = 'purge'") == [(1,)]
