"""Gatebook (Sổ vào ra): QR check-in and health declaration for one organisation."""

from __future__ import annotations

import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import jobs, routes
from .cli import commands
from .config import load_config
from .extensions import babel, csrf, db, migrate
from .routes import auth as auth_routes
from .store import database, file_modes, server_lock
from .web import boundary, compression, errors, headers, signing, static_files, templating
from .web.application import Gatebook
from .web.language import select_locale

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                              "migrations")


def create_app(test_config: dict | None = None, instance_path: str | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, CLI, error pages."""
    app = Gatebook(__name__, instance_relative_config=True, instance_path=instance_path)
    load_config(app, test_config)
    app.logger.setLevel(app.config["LOG_LEVEL"])
    file_modes.secure_instance(app)  # before the database is first opened

    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    signing.init_app(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    database.init_app(app)
    # The request's text is checked before anything else looks at it.
    boundary.init_app(app)
    # The sign-in guard runs before the CSRF check: a signed-out browser is sent to sign in.
    auth_routes.init_app(app)
    routes.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    static_files.init_app(app)
    templating.init_app(app)
    compression.init_app(app)
    errors.init_app(app)
    commands.init_app(app)
    # Before the jobs start: a restore never replaces the database under a serving process.
    server_lock.init_app(app)
    jobs.init_app(app)
    headers.init_app(app)  # last registered, first to run: every response gets the headers
    return app
