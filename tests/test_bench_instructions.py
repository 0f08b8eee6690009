"""bench/instructions.py's children, run as its parent runs them but without callgrind and
with a few requests: each kind's set-up works on this tree's app, and every request gets the
answer the bench counts it for (a child stops at the first other answer: a check-in must
record a new visit, the dashboard's page list visits, its poll answer 204)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench" / "instructions.py"


def _bench(*arguments: str, folder: Path) -> None:
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("GATEBOOK_")}
    result = subprocess.run(
        [sys.executable, str(BENCH), *arguments, "--root", str(ROOT), "--folder", str(folder)],
        capture_output=True, text=True, cwd=ROOT, env=env)
    assert result.returncode == 0, result.stderr[-3000:]


def _child(kind: str, folder: Path) -> None:
    _bench("--child", kind, "--warm-up", "2", "--requests", "3", "--made", "4", folder=folder)


@pytest.fixture(scope="module")
def checkin_database(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("checkin")
    _bench("--setup", "checkin", folder=folder)
    return folder


@pytest.fixture(scope="module")
def dashboard_database(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("dashboard")
    _bench("--setup", "dashboard-schema", folder=folder)
    _bench("--setup", "dashboard-visits", "--visits", "2000", "--today", "200", folder=folder)
    return folder


@pytest.mark.parametrize("kind", ["form", "post", "done", "visitor-tap", "employee-tap",
                                  "bare-form", "bare-post", "bare-done"])
def test_the_check_in_requests_get_the_answers_counted(kind, checkin_database):
    _child(kind, checkin_database)


@pytest.mark.parametrize("kind", ["dash-page", "dash-poll"])
def test_the_dashboard_requests_get_the_answers_counted(kind, dashboard_database):
    _child(kind, dashboard_database)
