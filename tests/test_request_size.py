"""The request body limit (MAX_CONTENT_LENGTH) and the sample proxies' limits beside it; the
largest legitimate form is measured against it in tests/test_limits.py."""

from __future__ import annotations

import re
from pathlib import Path

from app.config import Defaults
from tests.conftest import visits

NGINX_SAMPLE = Path(__file__).resolve().parent.parent / "deploy" / "nginx-gatebook.conf"
CADDY_SAMPLE = NGINX_SAMPLE.with_name("Caddyfile")


def test_a_body_just_over_the_limit_is_refused(app, phone):
    response = phone.check_in(purpose="x" * Defaults.MAX_CONTENT_LENGTH)
    assert response.status_code == 413
    assert visits(app) == []


def test_the_proxy_samples_allow_what_the_app_allows():
    nginx = re.search(r"client_max_body_size (\d+)k;", NGINX_SAMPLE.read_text())
    assert int(nginx.group(1)) * 1024 == Defaults.MAX_CONTENT_LENGTH
    caddy = re.search(r"request_body @other \{\s*max_size (\d+)KiB", CADDY_SAMPLE.read_text())
    assert int(caddy.group(1)) * 1024 == Defaults.MAX_CONTENT_LENGTH
