"""Gunicorn's settings for Gatebook, in one place: `make run` and the systemd unit
(deploy/gatebook.service) both start `gunicorn -c deploy/gunicorn.conf.py`.

From the environment: GUNICORN_BIND (default 127.0.0.1:8000), GUNICORN_WORKERS (2),
GUNICORN_THREADS (1), FORWARDED_ALLOW_IPS (the reverse proxy's addresses, 127.0.0.1,::1) and,
for the application itself, GATEBOOK_INSTANCE_PATH and the GATEBOOK_* settings.

In the deploy kit gunicorn listens on 127.0.0.1 behind nginx or Caddy, which answers a
malformed request itself (nginx with the app's security headers). Under `make run` gunicorn
answers it, and its own answers (400, 414, 431) carry the same headers (post_worker_init).
"""

import importlib.util
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

wsgi_app = "wsgi:app"
chdir = ROOT
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Processes share nothing but the database. Measured with bench/checkin.py on two cores
# (SQLite, 32 connections, check-in POSTs): 2 single-threaded workers answer 660 a second
# with a p99 of 65 ms; 2 x 4 threads only 458 with a p99 of 605 ms. A thread writing a visit
# holds SQLite's write lock while it waits for the GIL after the commit's fsync, so every
# other writer waits too. One request at a time per worker it is (GUNICORN_THREADS above 1
# makes gunicorn use its threaded worker instead).
worker_class = "sync"
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))

# A worker busy with one request longer than `timeout` is restarted. A month's XLSX export is
# built in full before its first byte goes out, which takes minutes for a busy site (100,000
# visits: about 25 s on two cores): the same 300 s the proxy waits for it
# (deploy/nginx-gatebook.conf). A phone sending its request slowly holds a worker as long;
# behind the deploy kit's proxy (nginx or Caddy) it never does: the proxy reads the whole
# request first and takes the answer off the worker at once.
timeout = 300
# A restart (systemctl restart gatebook) lets downloads under way finish.
graceful_timeout = 300
keepalive = 5

# Both logs to standard error: the journal under systemd (journalctl -u gatebook).
accesslog = "-"
errorlog = "-"
# No query string (a phone number searched for must not be logged) and no client address
# (the reverse proxy's own log has it).
access_log_format = '%(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'

# Whom gunicorn believes about HTTPS (X-Forwarded-Proto); the client's address is the app's
# business (its TRUSTED_PROXIES setting).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# Not used; one socket per user would clash between two servers on one machine.
control_socket_disable = True
proc_name = "gatebook"


def _server_lock():
    # Loaded by path: the master must not import the application, or a reload (HUP) would
    # keep serving the old code.
    spec = importlib.util.spec_from_file_location(
        "gatebook_server_lock", os.path.join(ROOT, "app", "store", "server_lock.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def on_starting(server):
    """Hold the instance's lock file shared while the server runs: `flask restore` refuses
    to replace the database under it."""
    lock = _server_lock()
    folder = lock.instance_path()
    server.gatebook_lock = lock.hold_shared(
        folder, waiting=lambda: server.log.info("waiting for a restore to finish (%s)", folder))


def post_worker_init(worker):
    """Start the application's periodic jobs at once: an idle server still checks out,
    purges and backs up. gunicorn's own error answers get the app's security headers."""
    from app import jobs
    from app.web import gunicorn_errors

    # gunicorn has no setting for those answers: app/web/gunicorn_errors.py says how it is done.
    gunicorn_errors.install()
    jobs.start(worker.wsgi)
