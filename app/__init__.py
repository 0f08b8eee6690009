"""Gatebook (Sổ vào ra): QR check-in and health declaration for one organisation."""

from __future__ import annotations

import os

from flask import Flask

from . import cli, database, errors, templating
from .config import load_config
from .extensions import babel, csrf, db, migrate

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                              "migrations")


def create_app(test_config: dict | None = None, instance_path: str | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, CLI, error pages."""
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    load_config(app, test_config)

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    csrf.init_app(app)
    from .routes.public import select_locale
    babel.init_app(app, locale_selector=select_locale)
    database.init_app(app)

    from .routes import public
    app.register_blueprint(public.bp)

    templating.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    return app
