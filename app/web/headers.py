"""The headers every response carries, error pages and static files included."""

from __future__ import annotations

from flask import Flask, Response, request

# Nothing is loaded from outside the server, and no page can be framed.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# No page uses a device feature. Only the staff entry pages, where a CCCD's QR code is read,
# may ever ask for the camera.
DEVICE_FEATURES = ("accelerometer", "camera", "display-capture", "geolocation",
                   "gyroscope", "hid", "magnetometer", "microphone", "midi", "payment",
                   "serial", "usb", "xr-spatial-tracking")
CAMERA_ENDPOINTS = frozenset({"entry.new_visit", "entry.paper_visit"})


def permissions_policy(camera: bool) -> str:
    """Every device feature switched off, the camera left to this site where `camera`."""
    return ", ".join(f"{feature}=(self)" if feature == "camera" and camera else f"{feature}=()"
                     for feature in DEVICE_FEATURES)


# What every response carries unless its view set it otherwise, with and without the camera:
# written once rather than on every response.
EVERY_RESPONSE = {camera: (("Content-Security-Policy", CONTENT_SECURITY_POLICY),
                           ("Permissions-Policy", permissions_policy(camera)),
                           ("X-Content-Type-Options", "nosniff"),
                           ("Referrer-Policy", "same-origin"))
                  for camera in (False, True)}
# The same, each with its name in lower case (to compare with the names already set).
_LOWERED = {camera: tuple((name.lower(), name, value) for name, value in headers)
            for camera, headers in EVERY_RESPONSE.items()}


def init_app(app: Flask) -> None:
    """Add the headers to every response (register this last: it then runs first, before any
    other after_request function that might fail)."""

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        endpoint = request.endpoint
        # The names already there, read in one pass (a lookup of a missing header costs
        # werkzeug an exception each time).
        present = {name.lower() for name, _value in headers.items()}
        for lowered, name, value in _LOWERED[endpoint in CAMERA_ENDPOINTS]:
            if lowered not in present:
                headers.add(name, value)
        if endpoint != "static":
            # Pages carry personal data: never keep them in a shared or back-button cache.
            if "cache-control" in present:
                headers["Cache-Control"] = "no-store"
            else:  # (as setting it would: added at the end)
                headers.add("Cache-Control", "no-store")
            if "vary" in present:
                response.vary.add("Cookie")
            else:
                headers.add("Vary", "Cookie")
        return response
