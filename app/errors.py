"""Friendly error pages in the visitor's language."""

from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError

from .extensions import db


def init_app(app: Flask) -> None:
    """Register the error pages."""

    @app.errorhandler(CSRFError)
    def form_expired(_error):
        return render_template("errors/form_expired.html"), 400

    @app.errorhandler(403)
    def forbidden(_error):
        return render_template("errors/403.html"), 403

    @app.errorhandler(404)
    def not_found(_error):
        return render_template("errors/404.html"), 404

    @app.errorhandler(500)
    def server_error(_error):
        db.session.rollback()
        return render_template("errors/500.html"), 500
