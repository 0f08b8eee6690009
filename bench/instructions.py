"""Instructions per request: the check-in's, the one taps' and the dashboard's requests counted
by callgrind, against their budgets.

Requests per second depend on the machine and on what else it runs that minute (the same code
has measured 2,165 and 1,511 rps for bare Flask an hour apart). A count of the CPU instructions
a request executes does not: for the same code, Python, packages and processor kind it comes
out within a fraction of a percent on any run, so two commits can be compared on any day, on a
busy machine too. It is the yardstick for making the requests cheaper; bench/checkin.py and
bench/dashboard.py give what that buys in requests per second and milliseconds.

How it counts:
  - Each kind of request runs in a child Python run under valgrind's callgrind (installed with
    apt-get when missing), which calls Gatebook's app in process (as a WSGI application, no
    server and no network) on SQLite. The child first does what a phone or a receptionist
    does before (opens the form, checks in, enrols, signs in), makes the environs of all the
    requests it could send, sends some to warm up, then N, and checks every answer.
  - Callgrind counts only between two marks the child makes around the N requests (calls of
    os.getpgid, before which callgrind writes out its count: --dump-before), so start-up and
    set-up, some 7,000 M instructions that vary by a few M from run to run, stay out.
  - Each kind runs twice, with N = 20 and N = 120 (the dashboard's page, dearer: 5 and 25):
    the difference of the two counts divided by the difference of N is what one request
    costs, free of the marks' own. --quick: 5 and 25 (the page: 2 and 6), for trying a
    change; less exact.
  - What would make a count depend on the time or the run is held still: the children run
    with PYTHONHASHSEED=0 (the same dict and set orders), the rows the app keeps for a few
    seconds (app.store.cache) are kept for the N requests (under callgrind a request takes
    some 50 times longer: they would be read again every few dozen requests instead of every
    few thousand), and for the dashboard the app's clock stands at the moment its database was
    filled. What is left moves a figure by some tenths of a percent from run to run (the
    random tokens, the time in the cookies, where objects land in memory).
  - The kinds, and the answer each request must get:
      form          the blank form a new visitor opens, GET /c/<token>?new=1: 200;
      post          a new visitor's check-in, as bench/checkin.py sends it (a valid declaration,
                    the session's CSRF token, a fresh visit secret): 302 to a new visit's page;
      done          the confirmation page it redirects to, GET /v/<id> with the phone's cookies:
                    200;
      flow          form + post + done, added up (not run on its own);
      visitor-tap   a returning visitor's one tap: the phone remembers its visitor (gb_profile,
                    with consent, from a first check-in with "remember me") and posts the form of
                    the one-tap page it gets, with a fresh visit secret and no gb_visits cookie
                    (earlier visits' cookie gone): 302 to a new visit's page;
      employee-tap  an enrolled employee's one tap (employee_tap; the phone enrolled at the gate
                    with the code and last digits of an employee in the register), with a fresh
                    visit secret: 302 to a new visit's page;
      dash-page     the staff dashboard's first page for a signed-in receptionist,
                    GET /dashboard/: 200, listing visits;
      dash-poll     its poll when nothing has changed, GET /dashboard/changes?since=<the
                    page's>: 204;
    and bare Flask's form, post and done (bench/bare_flask.py), the yardstick.
  - The check-in kinds get a fresh copy of a small database made by the migrations (one entry
    point, one employee) for each child. The dashboard's kinds share one database of 1,000,000
    visits, 20,000 of them today (bench/dashboard.py's fill(), with its entry points and
    receptionist), made once per run (once more for --base when its schema differs).
  - --base <commit>: that commit's app, checked out in a temporary git worktree (the .venv
    linked, the translations compiled; removed afterwards), is measured by this bench code:
    its children import `app` from there and run there.

Printed: for each kind, millions of instructions per request (with --base: the base's, this
tree's and the change in percent), the budget, and "ok" or "OVER". The dashboard's budgets are
0.6 times the figures of commit 83f68aa (kept below), or of the --base commit when given. Then
bare Flask's figures, Gatebook's multiple of them for the POST and the flow, and the run time.

Run: .venv/bin/python bench/instructions.py [--kinds form post ...] [--base <commit>] [--quick]
Everything, with --base, takes about 75 minutes on a busy 2-core machine.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlencode, urlsplit

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH_DIR)

KINDS = ("form", "post", "done", "flow", "visitor-tap", "employee-tap", "dash-page",
         "dash-poll")
FLOW = ("form", "post", "done")
DASHBOARD_KINDS = ("dash-page", "dash-poll")
BARE = "bare-"  # bare Flask's kinds: bare-form, bare-post, bare-done

# Millions of instructions per request.
BUDGETS = {"form": 2.3, "post": 5.0, "done": 2.5, "flow": 10.0, "visitor-tap": 5.0,
           "employee-tap": 5.0}
# The dashboard's: a share of what it cost at BASE_COMMIT (measured with this script), or at
# the --base commit when one is given.
BASE_SHARE = 0.6
BASE_COMMIT = "83f68aa"
BASE_FIGURES = {"dash-page": 116.42, "dash-poll": 4.74}


@dataclass(frozen=True)
class Counts:
    """How many requests a child sends: `warm_up` first, then `few` or `many`."""

    warm_up: int
    few: int
    many: int


COUNTS = {False: Counts(10, 20, 120), True: Counts(3, 5, 25)}  # by --quick
PAGE_COUNTS = {False: Counts(5, 5, 25), True: Counts(2, 2, 6)}

# What the set-up stores, for the children.
ENTRY_POINT_FILE = "entry-point"  # the check-in database's entry point's path
EMPLOYEE = {"code": "NV-001", "full_name": "Nguyễn Văn Công", "department": "Xưởng A",
            "phone": "0912000001"}
DASHBOARD_FILE = "bench.sqlite"
FILLED_AT_FILE = "filled-at"  # the moment the dashboard's database was filled at
DASHBOARD_VISITS, DASHBOARD_TODAY = 1_000_000, 20_000
RECEPTIONIST = {"username": "thu", "password": "bench-password"}  # as bench/dashboard.py
VISITS_COOKIE = "gb_visits"
# The child calls os.getpgid before and after the requests counted: callgrind writes what it
# counted up to each call of libc's getpgid, which nothing else calls.
MARK = "getpgid"


def _use_app_from(root: str) -> None:
    """Put `root` and bench/ first on the import path and import `app` from `root`: the bench
    modules, which put this tree first, then get that `app` (a package is imported once)."""
    sys.path[:0] = [root, BENCH_DIR]
    import app

    found = os.path.dirname(os.path.dirname(os.path.realpath(app.__file__)))
    if found != os.path.realpath(root):
        raise RuntimeError(f"app was imported from {found}, not {root}")


# --- the child: set-up and requests in process -----------------------------------------------

@dataclass
class Answer:
    """The app's answer to one request."""

    status: str
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def location(self) -> str:
        return next((value for name, value in self.headers if name == "Location"), "")


def _send(app, environ: dict) -> Answer:
    """One request through the WSGI app."""
    started = []
    chunks = app(environ, lambda status, headers, exc_info=None: started.append((status, headers)))
    try:
        body = b"".join(chunks)
    finally:
        getattr(chunks, "close", lambda: None)()
    status, headers = started[0]
    return Answer(status, headers, body)


class Phone:
    """A browser: it sends back the cookies the app has set."""

    def __init__(self, app) -> None:
        self.app = app
        self.cookies = SimpleCookie()

    def environ(self, method: str, path: str, form: dict | None = None) -> dict:
        """A request with this phone's cookies; `form` is posted URL-encoded."""
        from werkzeug.test import EnvironBuilder

        cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in self.cookies.items()
                           if morsel.value)  # an empty value: removed by the app
        return EnvironBuilder(
            path=path, method=method, headers={"Cookie": cookie} if cookie else None,
            data=urlencode(form) if form is not None else None,
            content_type="application/x-www-form-urlencoded" if form is not None else None,
        ).get_environ()

    def send(self, method: str, path: str, form: dict | None = None,
             expect: str = "200") -> Answer:
        """A request of the set-up, which must get the status `expect`; the cookies kept."""
        answer = _send(self.app, self.environ(method, path, form))
        if not answer.status.startswith(expect):
            raise RuntimeError(f"{method} {path} answered {answer.status}, not {expect}")
        for name, value in answer.headers:
            if name == "Set-Cookie":
                self.cookies.load(value)
        return answer


def _csrf_token(answer: Answer) -> str:
    found = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', answer.body)
    if found is None:
        raise RuntimeError("no CSRF token on the page")
    return found.group(1).decode()


Check = Callable[[Answer], None]


def _status(expected: str) -> Check:
    def check(answer: Answer) -> None:
        if not answer.status.startswith(expected):
            raise RuntimeError(f"answered {answer.status}, not {expected}")
    return check


def _new_visits() -> Check:
    """Each answer must be a 302 to the page of a visit newer than the last one: a check-in
    recorded, not a repeat of one."""
    last = 0

    def check(answer: Answer) -> None:
        nonlocal last
        found = re.search(r"/v/(\d+)$", answer.location)
        if not answer.status.startswith("302") or found is None or int(found.group(1)) <= last:
            raise RuntimeError(f"a check-in answered {answer.status} to {answer.location!r} "
                               f"after visit {last}: not a new visit")
        last = int(found.group(1))
    return check


def _lists_visits(answer: Answer) -> None:
    _status("200")(answer)
    if b'<tr id="visit-' not in answer.body:
        raise RuntimeError("the dashboard lists no visits")


def _quietly(make):
    with contextlib.redirect_stderr(io.StringIO()):  # the periodic jobs' and Alembic's lines
        return make()


def _checkin_app(folder: str):
    """Gatebook on the check-in database, and its entry point's path."""
    from app import create_app

    app = _quietly(lambda: create_app({"BACKGROUND_JOBS": False}, instance_path=folder))
    with open(os.path.join(folder, ENTRY_POINT_FILE)) as fh:
        return app, fh.read()


def _visitor_form(number: int, csrf_token: str, **more: str) -> dict:
    """A new visitor's form, as bench/checkin.py sends it, with a fresh visit secret."""
    from checkin import visitor_fields

    return {**dict(parse_qsl(visitor_fields())), "full_name": f"Nguyen Van {number}",
            "phone": f"09{number:08d}", "csrf_token": csrf_token,
            "visit_secret": secrets.token_urlsafe(32), **more}


Requests = tuple[object, list[dict], Check]  # the app, the environs, the check of an answer


def _form_requests(folder: str, made: int) -> Requests:
    app, path = _checkin_app(folder)
    return app, [Phone(app).environ("GET", f"{path}?new=1") for _ in range(made)], _status("200")


def _post_requests(folder: str, made: int) -> Requests:
    app, path = _checkin_app(folder)
    phone = Phone(app)
    token = _csrf_token(phone.send("GET", f"{path}?new=1"))
    return app, [phone.environ("POST", path, _visitor_form(number, token))
                 for number in range(made)], _new_visits()


def _done_requests(folder: str, made: int) -> Requests:
    app, path = _checkin_app(folder)
    phone = Phone(app)
    token = _csrf_token(phone.send("GET", f"{path}?new=1"))
    done = urlsplit(phone.send("POST", path, _visitor_form(0, token), expect="302").location)
    return app, [phone.environ("GET", done.path) for _ in range(made)], _status("200")


def _visitor_tap_requests(folder: str, made: int) -> Requests:
    app, path = _checkin_app(folder)
    phone = Phone(app)
    token = _csrf_token(phone.send("GET", f"{path}?new=1"))
    phone.send("POST", path, _visitor_form(0, token, remember="y"), expect="302")
    del phone.cookies[VISITS_COOKIE]  # back another day: remembered, with no visit open
    page = phone.send("GET", path)
    if b'name="one_tap"' not in page.body:
        raise RuntimeError("a remembered visitor did not get the one-tap page")
    token = _csrf_token(page)
    return app, [phone.environ("POST", path, {"csrf_token": token, "one_tap": "1",
                                              "visit_secret": secrets.token_urlsafe(32)})
                 for _ in range(made)], _new_visits()


def _employee_tap_requests(folder: str, made: int) -> Requests:
    app, path = _checkin_app(folder)
    phone = Phone(app)
    enrol = f"{path}/employee"
    token = _csrf_token(phone.send("GET", enrol))
    phone.send("POST", enrol, {"csrf_token": token, "code": EMPLOYEE["code"],
                               "last_digits": EMPLOYEE["phone"][-4:]}, expect="302")
    page = phone.send("GET", path)
    if b'name="employee_tap"' not in page.body:
        raise RuntimeError("an enrolled phone did not get the employee's one-tap page")
    token = _csrf_token(page)
    return app, [phone.environ("POST", path, {"csrf_token": token, "employee_tap": "1",
                                              "visit_secret": secrets.token_urlsafe(32)})
                 for _ in range(made)], _new_visits()


def _dashboard_app(folder: str):
    """Gatebook on the dashboard's database, configured as bench/dashboard.py does."""
    from app import create_app

    url = f"sqlite:///{os.path.join(folder, DASHBOARD_FILE)}"
    return _quietly(lambda: create_app(
        {"SECRET_KEY": "bench", "DATABASE_URL": url, "BACKGROUND_JOBS": False},
        instance_path=folder))


def _stop_the_app_clock(folder: str) -> None:
    """Stop the app's clock (app.store.clock) at the moment the dashboard's database was
    filled: its page shows today's visits as they were then (who is inside, for how long),
    whenever the child runs, for either tree, past midnight too."""
    from datetime import datetime

    from app.store import clock

    with open(os.path.join(folder, FILLED_AT_FILE)) as fh:
        filled_at = datetime.fromisoformat(fh.read())
    clock.utcnow = lambda: filled_at


def _receptionist(folder: str) -> tuple[object, Phone, Answer]:
    """The app, a browser signed in as the receptionist, and the dashboard's first page."""
    _stop_the_app_clock(folder)
    app = _dashboard_app(folder)
    phone = Phone(app)
    token = _csrf_token(phone.send("GET", "/login"))
    phone.send("POST", "/login", {**RECEPTIONIST, "csrf_token": token}, expect="302")
    page = phone.send("GET", "/dashboard/")
    _lists_visits(page)
    return app, phone, page


def _dash_page_requests(folder: str, made: int) -> Requests:
    app, phone, _page = _receptionist(folder)
    return app, [phone.environ("GET", "/dashboard/") for _ in range(made)], _lists_visits


def _dash_poll_requests(folder: str, made: int) -> Requests:
    app, phone, page = _receptionist(folder)
    since = re.search(rb"/dashboard/changes\?since=([^&\"]+)", page.body).group(1).decode()
    poll = f"/dashboard/changes?since={since}"  # as the page has it, URL-encoded
    # Nothing has changed: every visit's last change is a minute or more before the page
    # (bench/dashboard.py waits past the poll's look-back window; this clock stands still).
    phone.send("GET", poll, expect="204")
    return app, [phone.environ("GET", poll) for _ in range(made)], _status("204")


def _bare_requests(kind: str, made: int) -> Requests:
    """bench/bare_flask.py and `made` environs of one kind."""
    from bare_flask import app

    phone = Phone(app)
    if kind == "form":
        environs = [phone.environ("GET", "/c/bench") for _ in range(made)]
    elif kind == "post":
        environs = [phone.environ("POST", "/c/bench", {"full_name": f"Nguyen Van {number}",
                                                       "phone": f"09{number:08d}"})
                    for number in range(made)]
    else:
        environs = [phone.environ("GET", f"/v/{number + 1}") for number in range(made)]
    return app, environs, _status("302" if kind == "post" else "200")


REQUESTS = {"form": _form_requests, "post": _post_requests, "done": _done_requests,
            "visitor-tap": _visitor_tap_requests, "employee-tap": _employee_tap_requests,
            "dash-page": _dash_page_requests, "dash-poll": _dash_poll_requests}


def _stop_the_cache_clock() -> None:
    """Stop the clock of the rows each process keeps for a few seconds (app.store.cache: the
    entry point, the health notice). Under callgrind a request takes some 50 times longer, so
    they would be read again every few dozen requests, and how often would depend on the
    machine's speed that minute; under load it is every few thousand."""
    try:
        from app.store import cache
    except ImportError:  # code from before the cache
        return
    stopped = cache.monotonic()
    cache.monotonic = lambda: stopped


def child(kind: str, root: str, folder: str, warm_up: int, requests: int, made: int) -> None:
    """Send `warm_up` requests of one kind, then `requests` more between the two marks that
    callgrind counts between (in the parent). As many environs are made (warm_up + made)
    whatever `requests`: only the requests sent differ between the two runs of a kind."""
    if kind.startswith(BARE):
        sys.path.insert(0, BENCH_DIR)
        app, environs, check = _bare_requests(kind.removeprefix(BARE), warm_up + made)
    else:
        _use_app_from(root)
        app, environs, check = REQUESTS[kind](folder, warm_up + made)
    for environ in environs[:warm_up]:
        check(_send(app, environ))
    if not kind.startswith(BARE):
        _stop_the_cache_clock()
    gc.collect()  # the requests counted start from the same heap in either run
    os.getpgid(0)  # the mark: callgrind counts from here...
    for environ in environs[warm_up:warm_up + requests]:
        check(_send(app, environ))
    os.getpgid(0)  # ...to here


# --- the set-up of the databases, run once per tree (without callgrind) ------------------------

def make_checkin_database(folder: str) -> None:
    """As bench/checkin.py makes its database (the migrations, one entry point), and an
    employee in the register for the employee's tap."""
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.store.models import Employee, Location

    app = _quietly(lambda: create_app({"BACKGROUND_JOBS": False}, instance_path=folder))
    with app.app_context():
        _quietly(upgrade)
        location = Location(name="Cổng chính")
        db.session.add_all([location, Employee(**EMPLOYEE)])
        db.session.commit()
        with open(os.path.join(folder, ENTRY_POINT_FILE), "w") as fh:
            fh.write(f"/c/{location.token}")
        db.engine.dispose()


def make_dashboard_schema(folder: str) -> None:
    """bench/dashboard.py's database before the visits: its entry points and receptionist."""
    from app.auth.access import hash_password
    from app.extensions import db
    from app.store.models import Location, User

    app = _dashboard_app(folder)
    with app.app_context():
        db.create_all()
        for name in ("Cổng chính", "Bộ phận một cửa", "Cổng sau"):
            db.session.add(Location(name=name))
        db.session.add(User(username=RECEPTIONIST["username"], role="receptionist",
                            password_hash=hash_password(RECEPTIONIST["password"])))
        db.session.commit()
        db.engine.dispose()


def fill_dashboard(folder: str, visits: int, today: int) -> None:
    """bench/dashboard.py's visits, `today` of them since midnight; the moment noted."""
    from datetime import UTC, datetime

    from dashboard import fill

    now = datetime.now(UTC)
    fill(os.path.join(folder, DASHBOARD_FILE), visits, today, now)
    with open(os.path.join(folder, FILLED_AT_FILE), "w") as fh:
        fh.write(now.isoformat())


def setup(step: str, root: str, folder: str, visits: int, today: int) -> None:
    _use_app_from(root)
    if step == "checkin":
        make_checkin_database(folder)
    elif step == "dashboard-schema":
        make_dashboard_schema(folder)
    else:
        fill_dashboard(folder, visits, today)


# --- the parent: the trees, their databases, callgrind twice per kind -------------------------

@dataclass
class Tree:
    """The app code measured: this tree's or the --base commit's; its databases once made."""

    label: str
    root: str
    checkin_folder: str = ""
    dashboard_folder: str = ""


@dataclass
class Bench:
    """Runs the children of every tree; removes the databases it made at the end."""

    valgrind: str
    quick: bool
    cleanup: contextlib.ExitStack
    dashboards: dict[str, str] = field(default_factory=dict)  # {schema: folder}

    def _python(self, root: str, *arguments: str, counted_in: str = "") -> None:
        """Run this script with `arguments` for `root`'s app; under callgrind when given the
        folder `counted_in` for its files."""
        command = [sys.executable, os.path.abspath(__file__), *arguments, "--root", root]
        if counted_in:
            command = [self.valgrind, "--tool=callgrind", f"--dump-before={MARK}",
                       f"--callgrind-out-file={os.path.join(counted_in, 'callgrind.out')}",
                       *command]
        result = subprocess.run(command, capture_output=True, text=True, cwd=root,
                                env={**os.environ, "PYTHONHASHSEED": "0"})
        if result.returncode:
            raise RuntimeError(f"{' '.join(arguments)} for {root} failed:\n"
                               f"{result.stderr[-3000:]}")

    def _folder(self) -> str:
        folder = tempfile.mkdtemp(prefix="gatebook-bench-instructions-")
        self.cleanup.callback(shutil.rmtree, folder, ignore_errors=True)
        return folder

    def checkin_database(self, tree: Tree) -> str:
        if not tree.checkin_folder:
            tree.checkin_folder = self._folder()
            self._python(tree.root, "--setup", "checkin", "--folder", tree.checkin_folder)
        return tree.checkin_folder

    def dashboard_database(self, tree: Tree) -> str:
        """The database of a million visits for this tree: filled once for each schema."""
        if not tree.dashboard_folder:
            folder = self._folder()
            self._python(tree.root, "--setup", "dashboard-schema", "--folder", folder)
            with contextlib.closing(sqlite3.connect(os.path.join(folder, DASHBOARD_FILE))) as conn:
                schema = "\n".join(sql for (sql,) in conn.execute(
                    "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name"))
            if schema not in self.dashboards:
                print(f"filling the dashboard's database ({DASHBOARD_VISITS:,} visits)",
                      flush=True)
                self._python(tree.root, "--setup", "dashboard-visits", "--folder", folder)
                self.dashboards[schema] = folder
            tree.dashboard_folder = self.dashboards[schema]
        return tree.dashboard_folder

    @contextlib.contextmanager
    def database(self, tree: Tree, kind: str) -> Iterator[str]:
        """The folder of one child's database: the dashboard's shared one, or a fresh copy of
        the check-in database."""
        if kind.startswith(BARE):
            yield ""
        elif kind in DASHBOARD_KINDS:
            yield self.dashboard_database(tree)
        else:
            with tempfile.TemporaryDirectory(prefix="gatebook-bench-instructions-") as folder:
                shutil.copytree(self.checkin_database(tree), folder, dirs_exist_ok=True)
                yield folder

    def counts(self, kind: str) -> Counts:
        return (PAGE_COUNTS if kind == "dash-page" else COUNTS)[self.quick]

    def instructions(self, tree: Tree, kind: str, requests: int) -> int:
        """Instructions callgrind counted between the child's two marks."""
        counts = self.counts(kind)
        with self.database(tree, kind) as folder, \
                tempfile.TemporaryDirectory(prefix="gatebook-bench-callgrind-") as counted_in:
            self._python(
                tree.root, "--child", kind, "--folder", folder, "--warm-up",
                str(counts.warm_up), "--requests", str(requests), "--made", str(counts.many),
                counted_in=counted_in)
            # A file per part: up to the first mark (.1), between the marks (.2), the end.
            parts = sorted(os.listdir(counted_in))
            if parts != ["callgrind.out", "callgrind.out.1", "callgrind.out.2"]:
                raise RuntimeError(f"{kind}: callgrind wrote {parts}, not three parts")
            with open(os.path.join(counted_in, "callgrind.out.2")) as fh:
                found = re.search(r"^summary: (\d+)$", fh.read(), re.M)
        if found is None:
            raise RuntimeError(f"{kind}: no summary in callgrind's count")
        return int(found.group(1))

    def per_request(self, tree: Tree, kind: str) -> float:
        """Millions of instructions one request of this kind costs."""
        counts = self.counts(kind)
        few = self.instructions(tree, kind, counts.few)
        many = self.instructions(tree, kind, counts.many)
        return (many - few) / (counts.many - counts.few) / 1e6


def _git(*arguments: str) -> str:
    result = subprocess.run(["git", *arguments], cwd=ROOT, capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"git {' '.join(arguments)} failed:\n{result.stderr}")
    return result.stdout.strip()


@contextlib.contextmanager
def checked_out(commit: str) -> Iterator[str]:
    """`commit` in a temporary git worktree, with this tree's .venv and its translations
    compiled; removed on exit."""
    parent = tempfile.mkdtemp(prefix="gatebook-bench-base-")
    root = os.path.join(parent, "tree")
    try:
        _git("worktree", "add", "--detach", root, commit)
        venv = os.path.realpath(os.path.join(ROOT, ".venv"))
        os.symlink(venv, os.path.join(root, ".venv"))
        subprocess.run([os.path.join(venv, "bin", "pybabel"), "compile", "-d",
                        os.path.join(root, "app", "translations")],
                       check=True, capture_output=True)
        yield root
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", root], cwd=ROOT,
                       capture_output=True)
        shutil.rmtree(parent, ignore_errors=True)
        subprocess.run(["git", "worktree", "prune"], cwd=ROOT, capture_output=True)


def budget(kind: str, base: dict[str, float]) -> tuple[float, str]:
    """A kind's budget in millions of instructions, and how it was worked out."""
    if kind in BUDGETS:
        return BUDGETS[kind], ""
    if kind in base:
        return BASE_SHARE * base[kind], f"({BASE_SHARE} x base)"
    return BASE_SHARE * BASE_FIGURES[kind], f"({BASE_SHARE} x {BASE_COMMIT})"


def line(kind: str, now: dict[str, float], base: dict[str, float]) -> str:
    """A kind's line of the table: its figures, its budget and the verdict."""
    limit, how = budget(kind, base)
    figures = f"{now[kind]:9.2f}"
    if base:
        change = (now[kind] - base[kind]) / base[kind] * 100
        figures = f"{base[kind]:9.2f} {figures} {change:+7.1f}%"
    verdict = "ok" if now[kind] <= limit else "OVER"
    return f"  {kind:13s}{figures}   <= {limit:6.2f} {how:20s} {verdict}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n", 1)[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS),
                        help="which requests to count (default: all; flow counts its three)")
    parser.add_argument("--base", metavar="COMMIT",
                        help="measure this commit's app too, with this bench code")
    parser.add_argument("--quick", action="store_true",
                        help="fewer requests: for trying a change, less exact")
    # The children's arguments.
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--setup", choices=("checkin", "dashboard-schema", "dashboard-visits"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--root", default=ROOT, help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--warm-up", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--requests", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--made", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--visits", type=int, default=DASHBOARD_VISITS, help=argparse.SUPPRESS)
    parser.add_argument("--today", type=int, default=DASHBOARD_TODAY, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.root, args.folder, args.warm_up, args.requests, args.made)
    elif args.setup:
        setup(args.setup, args.root, args.folder, args.visits, args.today)
    else:
        measure(args.kinds, args.base, args.quick)


def measure(kinds: list[str], base_commit: str | None, quick: bool) -> None:
    started = time.monotonic()
    _use_app_from(ROOT)
    from load_setup import ensure_tool, forget_own_settings

    forget_own_settings()
    wanted = [kind for kind in KINDS if kind in kinds or (kind in FLOW and "flow" in kinds)]
    counts, page = COUNTS[quick], PAGE_COUNTS[quick]
    print(f"callgrind, in process, SQLite: ({counts.many} - {counts.few} requests) / "
          f"{counts.many - counts.few} per kind; the dashboard's page ({page.many} - "
          f"{page.few}) / {page.many - page.few}; millions of instructions per request"
          + ("\nquick mode: fewer requests, less exact" if quick else ""), flush=True)
    with contextlib.ExitStack() as cleanup:
        bench = Bench(ensure_tool("valgrind"), quick, cleanup)
        trees = [Tree("now", ROOT)]
        if base_commit:
            trees.insert(0, Tree("base", cleanup.enter_context(checked_out(base_commit))))
            print(f"base: {base_commit} ({_git('rev-parse', '--short', base_commit)}); "
                  f"now: this tree ({_git('rev-parse', '--short', 'HEAD')} and its changes)")
        figures: dict[str, dict[str, float]] = {tree.label: {} for tree in trees}
        print(f"  {'kind':13s}" + (f"{'base':>9s} {'now':>9s} {'change':>8s}" if base_commit
                                   else f"{'now':>9s}") + "   budget", flush=True)
        for kind in wanted:
            for tree in trees:
                if kind == "flow":
                    figures[tree.label][kind] = sum(figures[tree.label][part] for part in FLOW)
                else:
                    figures[tree.label][kind] = bench.per_request(tree, kind)
            print(line(kind, figures["now"], figures.get("base", {})), flush=True)

        ours = figures["now"]
        bare = {kind: bench.per_request(trees[-1], BARE + kind) for kind in FLOW
                if kind in wanted}
        if bare:
            print("bare Flask (bench/bare_flask.py): " + ", ".join(
                f"{kind} {figure:.2f} M" for kind, figure in bare.items()))
        if "post" in bare:
            print(f"POST: Gatebook {ours['post'] / bare['post']:.1f} times bare Flask's "
                  "instructions")
        if "flow" in ours:
            flow = sum(bare.values())
            print(f"whole flow: Gatebook {ours['flow']:.2f} M, bare Flask {flow:.2f} M: "
                  f"{ours['flow'] / flow:.1f} times")
    print(f"run time: {(time.monotonic() - started) / 60:.0f} min")


if __name__ == "__main__":
    main()
