"""The servers, databases and load tool of bench/checkin.py (which puts the project and bench/
on the import path): gunicorn started with the options of `make run`, a fresh Gatebook
database (SQLite in a temporary instance folder, or PostgreSQL in a schema of its own), and
wrk."""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

from export import free_port, stop, wait_for_port
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text

from app import create_app
from app.extensions import db
from app.store.models import Location, Visit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GUNICORN = os.path.join(ROOT, ".venv", "bin", "gunicorn")
SETTLE_SECONDS = 1.0
SETTLE_LIMIT_SECONDS = 30.0


# --- the servers -----------------------------------------------------------------------------

def make_run_options() -> list[str]:
    """The options `make run` gives gunicorn, from the Makefile's run recipe, less the address
    and the app (which the benchmark chooses)."""
    with open(os.path.join(ROOT, "Makefile")) as fh:
        recipe = re.search(r"^run:.*\n((?:\t.*\n)+)", fh.read(), re.M)
    if recipe is None:
        raise RuntimeError("no run recipe in the Makefile")
    line = next((line for line in recipe.group(1).splitlines() if "gunicorn" in line), None)
    if line is None:
        raise RuntimeError("the Makefile's run recipe does not start gunicorn")
    words = shlex.split(line.split("gunicorn", 1)[1])
    options, skip = [], False
    for word in words:
        if skip:
            skip = False
        elif word in ("--bind", "-b"):
            skip = True
        elif not word.startswith(("--bind=", "-b")) and not re.fullmatch(r"[\w.]+:\w+", word):
            options.append(word)
    return options


def gunicorn_options(args: argparse.Namespace) -> list[str]:
    """make run's options, then the overrides given (gunicorn takes the last of each)."""
    options = make_run_options()
    for flag, value in (("--workers", args.workers), ("--threads", args.threads),
                        ("--worker-class", args.worker_class)):
        if value is not None:
            options += [flag, str(value)]
    return options


@contextlib.contextmanager
def serve(target: str, options: list[str], env: dict[str, str], log_path: str,
          ) -> Iterator[int]:
    """gunicorn serving `target` with `options` on a free port; stopped on exit."""
    port = free_port()
    with open(log_path, "ab") as log:
        server = subprocess.Popen([GUNICORN, *options, "--bind", f"127.0.0.1:{port}", target],
                                  cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        try:
            wait_for_port(port, server)
            yield port
        finally:
            stop(server)


def forget_own_settings() -> None:
    """Leave out the developer's own GATEBOOK_* settings, here and in the servers started."""
    for name in [name for name in os.environ if name.startswith("GATEBOOK_")]:
        del os.environ[name]


# --- the databases ---------------------------------------------------------------------------

@dataclass
class Database:
    """A fresh Gatebook database, and how the server reaches it."""

    name: str
    url: str  # as the app's DATABASE_URL; empty for SQLite in the instance folder
    counted_url: str  # where the benchmark counts the visits
    folder: str
    token: str = ""


def postgres_schema_url(base: str, schema: str) -> str:
    """A URL whose connections use `schema` first."""
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options={quote(f'-csearch_path={schema}')}"


@contextlib.contextmanager
def database(name: str, postgres_url: str) -> Iterator[Database]:
    """A fresh database migrated to the current schema with one entry point; removed on exit."""
    folder = tempfile.mkdtemp(prefix=f"gatebook-bench-checkin-{name}-")
    schema = f"gatebook_bench_{os.getpid()}"
    if name == "sqlite":
        found = Database(name, "", f"sqlite:///{os.path.join(folder, 'gatebook.sqlite')}",
                         folder)
    else:
        admin = create_engine(postgres_url)
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        url = postgres_schema_url(postgres_url, schema)
        found = Database(name, url, url, folder)
    try:
        app = create_app({"DATABASE_URL": found.url} if found.url else None,
                         instance_path=folder)
        with app.app_context(), open(os.devnull, "w") as quiet, \
                contextlib.redirect_stderr(quiet):
            upgrade()
            location = Location(name="Cổng chính")
            db.session.add(location)
            db.session.commit()
            found.token = location.token
            db.engine.dispose()
        yield found
    finally:
        if name != "sqlite":
            with admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            admin.dispose()
        shutil.rmtree(folder, ignore_errors=True)


def count_visits(url: str) -> int:
    """How many visits the database holds, once the server has finished the requests still in
    flight when wrk stopped (the count has not changed for SETTLE_SECONDS): they belong to the
    round that sent them, not to the next one."""
    engine = create_engine(url)
    query = select(func.count()).select_from(Visit.__table__)
    try:
        count, since, deadline = -1, time.monotonic(), time.monotonic() + SETTLE_LIMIT_SECONDS
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                latest = conn.execute(query).scalar_one()
            if latest != count:
                count, since = latest, time.monotonic()
            elif time.monotonic() - since >= SETTLE_SECONDS:
                break
            time.sleep(0.1)
        return count
    finally:
        engine.dispose()


# --- the load tool ---------------------------------------------------------------------------

def ensure_tool(name: str) -> str:
    """The program `name`, installed with apt-get (Debian's package of that name) if it is
    missing."""
    found = shutil.which(name)
    if found:
        return found
    print(f"{name} is not installed: installing it with apt-get", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", name], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} could not be installed")
    return found


def ensure_wrk() -> str:
    """The wrk binary, installed with apt-get if it is missing."""
    return ensure_tool("wrk")
