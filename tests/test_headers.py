"""Every response carries the full set of security headers, error pages included; only the
staff entry page may ever ask for the camera."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.web.headers import CONTENT_SECURITY_POLICY, DEVICE_FEATURES

HEADERS = ("Content-Security-Policy", "Permissions-Policy", "X-Content-Type-Options",
           "Referrer-Policy")


def _features(response) -> dict[str, str]:
    policy = response.headers["Permissions-Policy"]
    return dict(item.strip().split("=", 1) for item in policy.split(","))


def _assert_full_set(response, page: bool = True) -> None:
    for name in HEADERS:
        assert name in response.headers, (name, response.status_code)
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert _features(response)["camera"] in ("()", "(self)")
    if page:
        assert response.headers["Cache-Control"] == "no-store"


@pytest.fixture
def crashing_app(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False)
    with app.app_context():
        db.create_all()

    def broken():
        raise RuntimeError("a bug")

    app.view_functions["checkin.index"] = broken
    return app


def test_every_kind_of_response_has_the_full_set(app, client, staff, browser_of, crashing_app):
    admin = browser_of()
    admin.login_admin()
    with client.get("/static/app.css") as first:
        etag = first.headers["ETag"]
    responses = {
        200: client.get("/c/gate-token-0001"),
        302: client.get("/dashboard/"),
        304: client.get("/static/app.css", headers={"If-None-Match": etag}),
        400: client.post("/login", data={"username": "lan"}),  # no CSRF token
        "bad host": client.get("/", headers={"Host": "gate..example"}),
        "control": client.get("/c/%00"),
        403: browser_of().client.get("/v/1"),
        404: client.get("/no-such-page"),
        405: client.put("/c/gate-token-0001"),
        413: client.post("/c/gate-token-0001", data={"purpose": "x" * 200_000}),
        500: crashing_app.test_client().get("/"),
        "staff page": admin.client.get("/admin/users"),
    }
    for kind, response in responses.items():
        _assert_full_set(response, page=kind != 304)
        response.close()
    assert responses[405].headers["Allow"]  # the error's own headers are kept
    with client.get("/static/app.css") as static:
        _assert_full_set(static, page=False)


def test_no_device_feature_is_allowed_but_the_camera_on_the_staff_entry_page(admin_client,
                                                                             client):
    for response in (client.get("/c/gate-token-0001"), admin_client.get("/dashboard/"),
                     admin_client.get("/admin/locations/")):
        assert set(_features(response).values()) == {"()"}
        assert set(_features(response)) == set(DEVICE_FEATURES)
    entry = _features(admin_client.get("/dashboard/new"))
    assert entry.pop("camera") == "(self)"
    assert set(entry.values()) == {"()"}
