"""The URL map: one blueprint per area, and the converter for row ids in URLs."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

from ..store.models import MAX_ID
from . import (
    alerts,
    audit,
    checkin,
    dashboard,
    delivery,
    employees,
    enrolment,
    entry,
    export,
    language,
    locations,
    settings,
    staff,
    tracing,
)


class DatabaseIdConverter(IntegerConverter):
    """A row id in a URL: a whole number that fits the database's integer column, so that
    /v/99999999999999999999 is a plain 404 rather than a database error."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        super().__init__(url_map, min=1, max=MAX_ID)


def init_app(app: Flask) -> None:
    """Register the id converter and every area's blueprint (sign-in has its own init_app)."""
    app.url_map.converters["id"] = DatabaseIdConverter
    for area in (checkin, enrolment, language, dashboard, alerts, entry, staff, audit, locations,
                 export, tracing, settings, employees, delivery):
        app.register_blueprint(area.bp)
