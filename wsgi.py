"""Entry point for `flask --app wsgi` and WSGI servers (gunicorn wsgi:app)."""

from app import create_app
from app.store.server_lock import instance_path

app = create_app(instance_path=instance_path())
