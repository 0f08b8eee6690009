"""Real server processes for tests: gunicorn started as deploy/gunicorn.conf.py says, on free
ports, each in a process group of its own that the test ends."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
SECRET_KEY = "test-secret-shared-by-every-server"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    """Return once something accepts connections on the port; fail if the process exits."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited ({process.returncode}):\n"
                               f"{log.read_text(errors='replace')[-3000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {seconds} s")


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """End a server started with start_new_session (its whole process group)."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def app_environment(instance: Path, database_url: str, **settings: str) -> dict[str, str]:
    """The environment a Gatebook process gets: its instance folder, database and settings
    (GATEBOOK_<NAME>), and none of the developer's own GATEBOOK_* variables."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("GATEBOOK_", "GUNICORN_"))}
    env |= {"GATEBOOK_INSTANCE_PATH": str(instance), "GATEBOOK_DATABASE_URL": database_url,
            "GATEBOOK_SECRET_KEY": SECRET_KEY}
    env |= {f"GATEBOOK_{name}": value for name, value in settings.items()}
    return env


def flask(env: dict[str, str], *args: str, stdin: str | None = None
          ) -> subprocess.CompletedProcess:
    """`flask --app wsgi ARGS` as the README says, in a process of its own."""
    return subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env,
                          input=stdin, capture_output=True, text=True, timeout=120)


@contextlib.contextmanager
def gunicorn(env: dict[str, str], log: Path, workers: int = 1
             ) -> Iterator[tuple[int, subprocess.Popen]]:
    """gunicorn -c deploy/gunicorn.conf.py (its worker kind and threads) on a free port; its
    output goes to `log`."""
    port = free_port()
    env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(workers)}
    with serving(env, log, str(BIN / "gunicorn"), "-c", str(GUNICORN_CONF), port=port) as found:
        yield found


@contextlib.contextmanager
def serving(env: dict[str, str], log: Path, *command: str, port: int | None = None
            ) -> Iterator[tuple[int, subprocess.Popen]]:
    """Any server started as `command` (its `{port}` filled in with `port` or a free one)
    from the project's folder, as someone might start one by hand; its output goes to `log`."""
    port = port or free_port()
    with open(log, "ab") as output:
        process = subprocess.Popen([part.format(port=port) for part in command], cwd=ROOT,
                                   env=env, stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        wait_for_port(port, process, log)
        yield port, process
    finally:
        stop(process)
