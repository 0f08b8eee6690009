"""Links that leave the screen (posters, printed and command-line URLs): a base URL joined to a
path from the application's own URL map, never read from a request."""

from __future__ import annotations

from flask import current_app


def public_url() -> str:
    """Where visitors' phones reach Gatebook: PUBLIC_URL, from the configuration only (a link
    built from the request's Host header would print whatever host a request named); empty
    when it is not set."""
    return current_app.config["PUBLIC_URL"]


def path_for(endpoint: str, **values) -> str:
    """The path of an endpoint, built from the URL map alone (no request needed)."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def external_url(base_url: str, endpoint: str, **values) -> str:
    """`base_url` (e.g. https://vao.example.vn) followed by the endpoint's path."""
    return base_url.rstrip("/") + path_for(endpoint, **values)
