"""Every page a visitor (no sign-in) can get, rendered with fixed data and a fixed clock, to
show that a change (one made for speed, say) leaves their HTML byte-identical.

What: the landing page; the check-in form blank, for someone else, sent back with errors, with
one more companion row, busy, filled in from a remembered profile, and asking again for a
changed consent; a remembered visitor's one tap (fresh, sent with a stale token, busy); the
confirmation (cleared, and another visitor's after it, flagged, a party, tap again, left with
and without its undo, moved to an inner point with and without its undo, at an entry point
closed since, an employee's), and another phone's 403; the "inside" page at the gate and at
an inner point; an enrolled employee's one tap and declaration, a revoked phone, the
enrolment pages; the replaced poster's 410, a closed or unknown entry point's 404. Each in
Vietnamese (the default) and in English (chosen with the language switch), as
`<out>/<name>-<lang>.html`, with the status and Content-Type of each in `<out>/pages.json`.

How: a child process imports `app` from the root it is given (--root), makes a fresh SQLite
database per language in a temporary instance folder (migrated as `flask db upgrade` does),
fixes app.store.clock.utcnow, and plays each visitor's steps with the Flask test client; it
refuses a root whose message catalogues are not compiled or out of date. What legitimately
differs between runs is masked: the value of the hidden inputs csrf_token and visit_secret,
each replaced by its number in order of first appearance (so a token or a secret handed to
the wrong phone still shows). Nothing else is. With --base, the same is done for that
commit's code, into `<out>/base`, in a temporary `git worktree` (its .venv a link to this
one, its catalogues compiled) removed afterwards, and each page is compared: status,
Content-Type and bytes, the first differences shown as a unified diff. Exit status: 0 when
every page is the same, 1 when one differs, 2 when the pages could not be produced as meant.

Run: .venv/bin/python bench/visitor_pages.py --base 83f68aa --out /tmp/pages
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MANIFEST = "pages.json"
DIFF_LINES = 40  # of each differing page's unified diff

# --- the fixed data --------------------------------------------------------------------------

START = datetime(2021, 7, 14, 1, 30, tzinfo=UTC)  # 08:30 in Hanoi; each scenario starts here
LANGUAGES = ("vi", "en")  # vi: the organisation's default; en: chosen with the switch
CONFIG = {"SECRET_KEY": "visitor-pages", "ORG_NAME": "Phường Tràng Tiền", "TESTING": True,
          "BACKGROUND_JOBS": False, "LOG_LEVEL": "ERROR",
          # The busy pages: a check-in waits this long for a write lock held elsewhere.
          "SQLITE_BUSY_TIMEOUT_MS": 200}
GATE, COUNTER, TEMPORARY = "gate-token-0001", "counter-token-02", "temporary-gate-03"
CLOSED, REPLACED = "closed-gate-token-04", "replaced-poster-token"
SHEET_CODE = "visitor-pages-enrolment-code"
EMPLOYEES = (("NV-001", "Nguyễn Văn Công", "Xưởng A", "0912000001", "001085012345"),
             ("NV-002", "Trần Thị Thợ", "Xưởng A", "0912000002", None),
             ("NV-003", "Lê Văn Kho", "Kho", "0912000003", None))
ALL_NO = {**{f"symptom_{key}": "no" for key in ("fever", "cough", "short_breath",
                                                "sore_throat", "fatigue", "taste_smell")},
          **{f"exposure_{key}": "no" for key in ("case_contact", "outbreak_area_contact",
                                                 "symptomatic_contact")},
          "travel": "no"}
VISITOR = {"full_name": "Nguyễn Văn An", "phone": "0912345678", "birth_year": "1985",
           "gender": "male", "id_number": "001085012345", "nationality": "Việt Nam",
           "province": "Hà Nội", "ward": "Phường Hoàn Kiếm", "street": "12 Hàng Bài",
           "purpose": "Nộp hồ sơ ở bộ phận một cửa", "confirm_true": "y", "consent": "y",
           **ALL_NO}
COMPANIONS = {"companions-0-full_name": "Bé Na", "companions-0-birth_year": "2016",
              "companions-0-answer": "yes", "companions-0-items": "fever",
              "companions-1-full_name": "Trần Văn Cả", "companions-1-birth_year": "1950",
              "companions-1-answer": "none"}


# --- rendering (the child process) ----------------------------------------------------------

class PageError(Exception):
    """A page did not come out as its scenario meant (wrong status, missing content)."""


class FakeClock:
    """What app.store.clock.utcnow returns: moved by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


_HIDDEN = re.compile(rb'<input\b[^>]*\bname="(csrf_token|visit_secret)"[^>]*>')
_VALUE = re.compile(rb'\bvalue="([^"]*)"')


class Masker:
    """Replaces the value of each csrf_token and visit_secret input by its number in order of
    first appearance. A CSRF token is numbered by its session's token (the part before the
    timestamp and signature, which change with the second it was signed)."""

    def __init__(self) -> None:
        self.seen: dict[bytes, dict[bytes, int]] = {b"csrf_token": {}, b"visit_secret": {}}

    def __call__(self, html: bytes) -> bytes:
        def one_input(tag: re.Match) -> bytes:
            name = tag.group(1)
            seen = self.seen[name]

            def one_value(value: re.Match) -> bytes:
                raw = value.group(1)
                key = raw.split(b".")[0] if name == b"csrf_token" else raw
                number = seen.setdefault(key, len(seen) + 1)
                return b'value="%s-%d"' % (name.replace(b"_", b"-"), number)

            return _VALUE.sub(one_value, tag.group(0))

        return _HIDDEN.sub(one_input, html)


def hidden(html: str) -> dict[str, str]:
    """The csrf_token and visit_secret a page's first form carries, as a browser sends them."""
    found = {}
    for name in ("csrf_token", "visit_secret"):
        match = re.search(rf'<input\b[^>]*\bname="{name}"[^>]*\bvalue="([^"]*)"', html)
        if match:
            found[name] = match.group(1)
    return found


class Site:
    """One language's run: a fresh database with the fixed entry points and employees, the
    app on it, and the pages recorded."""

    def __init__(self, lang: str, clock: FakeClock, out: str, masker: Masker,
                 manifest: dict) -> None:
        from flask_migrate import upgrade

        from app import create_app
        from app.extensions import db
        from app.store.models import (
            Employee,
            EnrolmentCode,
            Location,
            PointKind,
            RetiredToken,
        )
        from app.store.tokens import hash_token

        self.lang, self.clock, self.out = lang, clock, out
        self.masker, self.manifest = masker, manifest
        self.folder = tempfile.mkdtemp(prefix=f"gatebook-pages-{lang}-")
        self.app = create_app(dict(CONFIG), instance_path=self.folder)
        with self.app.app_context(), open(os.devnull, "w") as quiet, \
                contextlib.redirect_stderr(quiet):
            upgrade()
            gate = Location(name="Cổng chính", token=GATE)
            db.session.add_all([
                gate, Location(name="Bộ phận một cửa", token=COUNTER, kind=PointKind.INNER),
                Location(name="Cổng tạm", token=TEMPORARY),
                Location(name="Cổng cũ", token=CLOSED, active=False)])
            employees = [Employee(code=code, full_name=name, department=department,
                                  phone=phone, id_number=id_number)
                         for code, name, department, phone, id_number in EMPLOYEES]
            db.session.add_all(employees)
            db.session.flush()
            db.session.add_all([
                RetiredToken(token=REPLACED, location_id=gate.id, retired_at=START),
                EnrolmentCode(token_hash=hash_token(SHEET_CODE), employee_id=employees[0].id,
                              created_at=START, expires_at=START + timedelta(days=7))])
            db.session.commit()

    def close(self) -> None:
        from app.extensions import db
        with self.app.app_context():
            db.engine.dispose()
        shutil.rmtree(self.folder, ignore_errors=True)

    def phone(self, address: str = "127.0.0.1"):
        """A new phone (a browser with its own cookies), speaking this run's language."""
        client = self.app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        if self.lang != "vi":
            client.get(f"/lang/{self.lang}")
        return client

    # Pages recorded, and steps between them.

    def get(self, name: str, client, path: str, **expect) -> str:
        return self.record(name, f"GET {path}", client.get(path), **expect)

    def post(self, name: str, client, path: str, data: dict, **expect) -> str:
        return self.record(name, f"POST {path}", client.post(path, data=data), **expect)

    def record(self, name: str, request: str, response, status: int = 200,
               markers: tuple[str, ...] = (), absent: tuple[str, ...] = ()) -> str:
        """Check the page is the one meant, write it masked; its text, unmasked."""
        name = f"{name}-{self.lang}"
        if name in self.manifest:
            raise PageError(f"{name}: recorded twice")
        body = response.get_data()
        text = body.decode()
        wrong = [] if response.status_code == status else [
            f"status {response.status_code}, not {status}"]
        wrong += [f"no {marker!r}" for marker in (f'<html lang="{self.lang}">', *markers)
                  if marker not in text]
        wrong += [f"{marker!r} present" for marker in absent if marker in text]
        if wrong:
            raise PageError(f"{name} ({request}): {'; '.join(wrong)}")
        with open(os.path.join(self.out, f"{name}.html"), "wb") as fh:
            fh.write(self.masker(body))
        self.manifest[name] = {"request": request, "status": response.status_code,
                               "content_type": response.content_type}
        return text

    def step(self, client, method: str, path: str, data: dict | None = None,
             status: int = 302) -> str:
        """A request whose page is not recorded: its redirect target (or its text)."""
        response = client.open(path, method=method, data=data)
        if response.status_code != status:
            raise PageError(f"{method} {path}: status {response.status_code}, not {status}")
        return response.headers.get("Location") or response.get_data(as_text=True)

    def check_in(self, client, token: str = GATE, **changes: str | None) -> str:
        """Fill in the form (a fresh copy: its token and secret) and send it; the
        confirmation's path."""
        tokens = hidden(self.step(client, "GET", f"/c/{token}?new=1", status=200))
        data = {**tokens, **VISITOR, **changes}
        return self.step(client, "POST", f"/c/{token}",
                         {key: value for key, value in data.items() if value is not None})

    @contextlib.contextmanager
    def database_held(self) -> Iterator[None]:
        """Another process holds the database's write lock for the length of the block."""
        holder = sqlite3.connect(os.path.join(self.folder, "gatebook.sqlite"),
                                 isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()

    def change(self, change: Callable) -> None:
        """Change the database as an admin would, through this app."""
        from app.extensions import db
        with self.app.app_context():
            change(db)
            db.session.commit()


def the_form(site: Site) -> None:
    """The landing page and the check-in form: blank, for someone else, with errors, one
    more companion row, busy."""
    site.get("index", site.phone(), "/", markers=('class="lead"',))
    site.get("form-blank", site.phone(), f"/c/{GATE}", markers=('name="full_name"',),
             absent=('name="for_other"',))
    site.get("form-new", site.phone(), f"/c/{GATE}?new=1", markers=('name="for_other"',))
    phone = site.phone()
    tokens = hidden(site.step(phone, "GET", f"/c/{GATE}", status=200))
    mistakes = {**tokens, **VISITOR, "phone": "123", "birth_year": "", "symptom_cough": "",
                "travel": "yes", "companions-0-full_name": "Bé Na"}
    site.post("form-errors", phone, f"/c/{GATE}", mistakes,
              markers=('class="notice error-summary"', 'value="Bé Na"'))
    phone = site.phone()
    tokens = hidden(site.step(phone, "GET", f"/c/{GATE}", status=200))
    one_more = {**tokens, "full_name": "Trần Thị Bình", "companions-0-full_name": "Bé Na",
                "companions-0-birth_year": "2016", "companions-0-answer": "none",
                "add_companion": "1"}
    site.post("form-add-companion", phone, f"/c/{GATE}", one_more,
              markers=('name="companions-1-full_name"',), absent=("error-summary",))
    phone = site.phone()
    tokens = hidden(site.step(phone, "GET", f"/c/{GATE}", status=200))
    with site.database_held():
        site.post("form-busy", phone, f"/c/{GATE}", {**tokens, **VISITOR}, status=503,
                  markers=('name="full_name"', 'value="Nguyễn Văn An"'))


def remembered(site: Site) -> None:
    """A visitor remembered on the phone, the next morning: one tap, the full form, a stale
    one tap, a busy one, and the form asking for consent again after the notice changed."""
    phone = site.phone()
    site.check_in(phone, remember="y")
    site.clock.advance(days=1)  # the next morning: yesterday's visit is not "inside"
    page = site.get("one-tap", phone, f"/c/{GATE}", markers=('name="one_tap"',))
    site.get("form-remembered", phone, f"/c/{GATE}?full=1",
             markers=('class="remembered"', 'value="Nguyễn Văn An"'))
    tokens = hidden(page)
    site.post("one-tap-stale", phone, f"/c/{GATE}", {**tokens, "csrf_token": "stale",
                                                      "one_tap": "1"},
              markers=('class="remembered"', '<p class="notice" role="alert">'))
    with site.database_held():
        site.post("one-tap-busy", phone, f"/c/{GATE}", {**tokens, "one_tap": "1"},
                  status=503, markers=('name="one_tap"', 'role="alert"'))
    config = site.app.config
    kept, config["RETENTION_DAYS"] = config["RETENTION_DAYS"], 28  # the notice now says 28
    try:
        site.get("form-consent-changed", phone, f"/c/{GATE}",
                 markers=('role="note"', 'value="Nguyễn Văn An"'), absent=('name="one_tap"',))
    finally:
        config["RETENTION_DAYS"] = kept


def confirmations(site: Site) -> None:
    """The confirmation of a cleared visitor (and of another after them), a flagged one and a
    party; another phone's 403; a check-out sent with an old token."""
    phone = site.phone()
    done = site.check_in(phone)
    site.get("done-cleared", phone, done, markers=('class="pass cleared"',))
    # Another visitor's at the same entry point (the page a copy of the first one's).
    other = site.phone()
    site.get("done-cleared-another", other, site.check_in(other, full_name="Lê Thị <Hà> & Co"),
             markers=('class="pass cleared"', "Lê Thị &lt;Hà&gt; &amp; Co"))
    site.get("not-your-visit", site.phone(), done, status=403, absent=("Nguyễn Văn An",))
    site.post("done-tap-again", phone, f"{done}/checkout", {"csrf_token": "stale"},
              markers=('class="notice" role="alert"',))
    phone = site.phone()
    done = site.check_in(phone, symptom_fever="yes", travel="yes", travel_places="Đà Nẵng")
    site.get("done-flagged", phone, done, markers=('class="pass flagged"',))
    phone = site.phone()
    done = site.check_in(phone, full_name="Trần Thị Bình", **COMPANIONS)
    site.get("done-party", phone, done, markers=('class="pass flagged"', "Bé Na (2016)"))


def leaving(site: Site) -> None:
    """Checked out: with "I am still here" for a minute, then without."""
    phone = site.phone()
    done = site.check_in(phone)
    site.clock.advance(hours=1)
    token = hidden(site.step(phone, "GET", done, status=200))["csrf_token"]
    site.step(phone, "POST", f"{done}/checkout", {"csrf_token": token})
    site.clock.advance(seconds=50)
    site.get("done-left-undo", phone, done, markers=('class="pass closed"', '/still-here"'))
    site.clock.advance(seconds=61)
    site.get("done-left", phone, done, markers=('class="pass closed"',),
             absent=('/still-here"',))


def inside(site: Site) -> None:
    """A phone with two open visits scans again: at the gate, at an inner point; moved there,
    its confirmation with "I am not at ..." for a minute, then without."""
    phone = site.phone()
    done = site.check_in(phone)
    site.check_in(phone, for_other="1", full_name="Nguyễn Thị Hoa", phone="0987654321",
                  birth_year="1960", gender="female", **COMPANIONS)
    site.clock.advance(minutes=5)
    site.get("inside-gate", phone, f"/c/{GATE}", markers=('class="pass inside"', done))
    page = site.get("inside-inner", phone, f"/c/{COUNTER}",
                    markers=(f'{done}/here/{COUNTER}"',))
    site.step(phone, "POST", f"{done}/here/{COUNTER}", {"csrf_token": hidden(page)["csrf_token"]})
    site.clock.advance(seconds=50)
    site.get("done-moved-undo", phone, done, markers=('class="facts-line here"', '/not-here"'))
    site.get("inside-after-move", phone, f"/c/{GATE}", markers=('class="pass inside"',))
    site.clock.advance(seconds=61)
    site.get("done-moved", phone, done, markers=('class="facts-line here"',),
             absent=('/not-here"',))


def entry_points(site: Site) -> None:
    """A visit at an entry point closed since; a replaced poster, a closed and an unknown
    entry point."""
    from app.store.models import Location
    phone = site.phone()
    done = site.check_in(phone, token=TEMPORARY)
    site.change(lambda db: db.session.execute(
        db.update(Location).where(Location.token == TEMPORARY).values(active=False)))
    site.get("done-point-closed", phone, done, markers=('class="pass cleared"',),
             absent=(f"/c/{TEMPORARY}?new=1",))
    site.get("replaced", site.phone(), f"/c/{REPLACED}", status=410)
    site.get("point-closed", site.phone(), f"/c/{CLOSED}", status=404)
    site.get("point-unknown", site.phone(), "/c/no-such-token", status=404)


def employees(site: Site) -> None:
    """Enrolling at the gate (wrong digits, throttled), an enrolled employee's one tap,
    declaration and confirmation, a revoked phone, enrolling from the printed sheet."""
    from app.store.models import Employee, EmployeeDevice
    enrol = f"/c/{GATE}/employee"
    phone = site.phone()
    page = site.get("enrol-gate", phone, enrol, markers=(f'action="{enrol}"',))
    token = hidden(page)["csrf_token"]
    site.post("enrol-gate-wrong", phone, enrol, {"csrf_token": token, "code": "NV-002",
                                                 "last_digits": "9999"},
              markers=("error-summary",))
    site.step(phone, "POST", enrol, {"csrf_token": token, "code": "NV-002",
                                     "last_digits": "0002"})
    page = site.get("employee-one-tap", phone, f"/c/{GATE}", markers=('name="employee_tap"',))
    tap = {**hidden(page), "employee_tap": "1"}
    page = site.get("employee-declare", phone, f"/c/{GATE}?declare=1",
                    markers=('name="employee_declare"',))
    site.post("employee-declare-errors", phone, f"/c/{GATE}",
              {**hidden(page), "employee_declare": "1", "confirm_true": "y"},
              markers=("error-summary",))
    done = site.step(phone, "POST", f"/c/{GATE}", tap)
    site.get("done-employee", phone, done, markers=('class="pass cleared"', "Trần Thị Thợ"))

    guesser = site.phone(address="10.0.0.9")  # its wrong tries count on their own
    token = hidden(site.step(guesser, "GET", enrol, status=200))["csrf_token"]
    for digits in ("1111", "2222", "3333", "4444", "5555"):
        site.step(guesser, "POST", enrol, {"csrf_token": token, "code": "NV-003",
                                           "last_digits": digits}, status=200)
    site.post("enrol-gate-throttled", guesser, enrol, {"csrf_token": token, "code": "NV-003",
                                                      "last_digits": "0003"}, status=429)
    site.clock.advance(minutes=16)  # the lockout is over
    revoked = site.phone()
    token = hidden(site.step(revoked, "GET", enrol, status=200))["csrf_token"]
    site.step(revoked, "POST", enrol, {"csrf_token": token, "code": "NV-003",
                                       "last_digits": "0003"})
    site.change(lambda db: db.session.execute(db.delete(EmployeeDevice).where(
        EmployeeDevice.employee_id == db.select(Employee.id).where(Employee.code == "NV-003")
        .scalar_subquery())))
    site.get("employee-revoked", revoked, f"/c/{GATE}",
             markers=('class="flash warning"', 'name="full_name"'))

    sheet = f"/e?code={SHEET_CODE}"
    phone = site.phone()
    page = site.get("enrol-sheet", phone, sheet, markers=('class="section who-card"',))
    site.step(phone, "POST", sheet, {"csrf_token": hidden(page)["csrf_token"]})
    site.get("employee-enrolled", phone, "/employee", markers=("NV-001",))
    site.get("enrol-sheet-used", site.phone(), sheet, status=410)


SCENARIOS = (the_form, remembered, confirmations, leaving, inside, entry_points, employees)


def stale_catalogues(root: str) -> list[str]:
    """The message catalogues of `root` not compiled, or compiled before their last change."""
    folder = os.path.join(root, "app", "translations")
    stale = []
    for lang in sorted(os.listdir(folder)):
        po = os.path.join(folder, lang, "LC_MESSAGES", "messages.po")
        mo = po[:-3] + ".mo"
        if os.path.exists(po) and (not os.path.exists(mo)
                                   or os.path.getmtime(mo) < os.path.getmtime(po)):
            stale.append(os.path.relpath(mo, root))
    return stale


def render(root: str, out: str) -> int:
    """The child: every page, by the code of `root`, into `out`."""
    root = os.path.abspath(root)
    stale = stale_catalogues(root)
    if stale:
        print(f"{root}: not compiled or out of date: {', '.join(stale)} "
              "(run `make translations`)", file=sys.stderr)
        return 2
    sys.path.insert(0, root)
    import app
    if not os.path.abspath(app.__file__).startswith(os.path.join(root, "app") + os.sep):
        print(f"imported app from {app.__file__}, not from {root}", file=sys.stderr)
        return 2
    import app.store.clock
    clock = FakeClock()
    app.store.clock.utcnow = clock

    os.makedirs(out, exist_ok=True)
    previous = os.path.join(out, MANIFEST)
    if os.path.exists(previous):  # this script's own earlier output: start afresh
        with open(previous) as fh:
            for name in json.load(fh)["pages"]:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(os.path.join(out, f"{name}.html"))
        os.remove(previous)
    masker, pages = Masker(), {}
    try:
        for lang in LANGUAGES:
            site = Site(lang, clock, out, masker, pages)
            try:
                for scenario in SCENARIOS:
                    clock.now = START
                    scenario(site)
            finally:
                site.close()
    except PageError as error:
        print(f"{root}: {error}", file=sys.stderr)
        return 2
    with open(previous, "w") as fh:
        json.dump({"root": root, "pages": pages}, fh, indent=1, ensure_ascii=False)
    return 0


# --- comparing (the parent process) ---------------------------------------------------------

def run_child(root: str, out: str) -> None:
    """Render every page by the code of `root` into `out`, in a process of its own."""
    python = os.path.join(root, ".venv", "bin", "python")
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("GATEBOOK_")}  # the developer's own settings stay out
    done = subprocess.run([python if os.path.exists(python) else sys.executable,
                           os.path.abspath(__file__), "--root", root, "--out", out], env=env)
    if done.returncode != 0:
        fail(f"rendering the pages of {root} failed")


def fail(message: str) -> None:
    """Stop: the pages could not be produced (exit status 2, as for a page gone wrong)."""
    print(message, file=sys.stderr)
    raise SystemExit(2)


def git(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", ROOT, *args], check=check, capture_output=True,
                          text=True)


@contextlib.contextmanager
def worktree_at(commit: str) -> Iterator[str]:
    """A temporary checkout of `commit`, with this .venv and compiled message catalogues;
    removed on exit, also after a failure."""
    parent = tempfile.mkdtemp(prefix="gatebook-pages-base-")
    path = os.path.join(parent, "root")
    try:
        added = git("worktree", "add", "--detach", path, commit, check=False)
        if added.returncode != 0:
            fail(f"git worktree add {commit} failed: {added.stderr.strip()}")
        venv = os.path.realpath(os.path.join(ROOT, ".venv"))
        os.symlink(venv, os.path.join(path, ".venv"))
        subprocess.run([os.path.join(venv, "bin", "pybabel"), "-q", "compile", "-d",
                        os.path.join(path, "app", "translations")], check=True)
        yield path
    finally:
        git("worktree", "remove", "--force", path, check=False)
        shutil.rmtree(parent, ignore_errors=True)
        git("worktree", "prune", check=False)


def load(out: str) -> dict:
    with open(os.path.join(out, MANIFEST)) as fh:
        return json.load(fh)["pages"]


def compare(base_out: str, out: str) -> int:
    """Print same or DIFFERS for each page (with the first differences); how many differ."""
    base, head = load(base_out), load(out)
    differing = 0
    for name in [*head, *(name for name in base if name not in head)]:
        if name not in head or name not in base:
            print(f"{name:<34} DIFFERS: only {'in the base' if name in base else 'here'}")
            differing += 1
            continue
        with open(os.path.join(base_out, f"{name}.html"), "rb") as fh:
            before = fh.read()
        with open(os.path.join(out, f"{name}.html"), "rb") as fh:
            after = fh.read()
        changes = [f"{key} {base[name][key]} -> {head[name][key]}"
                   for key in ("status", "content_type") if base[name][key] != head[name][key]]
        if not changes and before == after:
            print(f"{name:<34} same")
            continue
        differing += 1
        print(f"{name:<34} DIFFERS{': ' + '; '.join(changes) if changes else ''}")
        if before != after:
            diff = list(difflib.unified_diff(
                before.decode(errors="replace").splitlines(),
                after.decode(errors="replace").splitlines(),
                f"base/{name}.html", f"{name}.html", n=2, lineterm=""))
            for line in diff[:DIFF_LINES]:
                print(f"    {line}")
            if len(diff) > DIFF_LINES:
                print(f"    ... ({len(diff) - DIFF_LINES} more lines)")
    return differing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "visitor-pages"),
                        help="where the pages go (the base's in <out>/base)")
    parser.add_argument("--base", help="a commit whose pages to compare with")
    parser.add_argument("--root", help="(the child) render by the code of this root")
    args = parser.parse_args()
    out = os.path.abspath(args.out)
    if args.root:
        return render(args.root, out)

    run_child(ROOT, out)
    pages = load(out)
    if not args.base:
        for name, page in pages.items():
            print(f"{name:<34} {page['status']} {page['content_type']}")
        print(f"{len(pages)} pages written to {out}")
        return 0
    commit = git("rev-parse", "--verify", f"{args.base}^{{commit}}", check=False)
    if commit.returncode != 0:
        fail(f"no such commit: {args.base}")
    base_out = os.path.join(out, "base")
    with worktree_at(commit.stdout.strip()) as base_root:
        run_child(base_root, base_out)
    differing = compare(base_out, out)
    total = len(set(pages) | set(load(base_out)))
    print(f"{total} pages, base {args.base}: "
          + (f"{differing} differ" if differing else "all the same"))
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
