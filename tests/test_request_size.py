"""The request body limit (MAX_CONTENT_LENGTH, and the proxy's client_max_body_size beside it)
leaves room for the largest legitimate form, and refuses more."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode

from app.checkin_forms import MAX_COMPANIONS
from app.config import Defaults
from app.declaration import EXPOSURES, PROVINCES, SYMPTOMS, TRAVEL
from tests.conftest import VALID_VISITOR, Phone, all_no, visits

LONGEST_LETTER = "ữ"  # three bytes in UTF-8, nine once percent-encoded
NGINX_SAMPLE = Path(__file__).resolve().parent.parent / "deploy" / "nginx-gatebook.conf"
CADDY_SAMPLE = NGINX_SAMPLE.with_name("Caddyfile")


def largest_check_in(hidden: dict[str, str]) -> dict[str, str]:
    """A check-in with every companion and every free-text field as long as the form allows,
    every question answered Yes."""
    def longest(length: int) -> str:
        return LONGEST_LETTER * length

    form = {**VALID_VISITOR, **hidden, **{name: "yes" for name in all_no()}}
    form |= {"full_name": longest(100), "nationality": longest(60), "ward": longest(100),
             "street": longest(200), "purpose": longest(200), "travel_places": longest(200),
             "province": max(PROVINCES, key=lambda name: len(name.encode())),
             "id_number": "B1234567890123456789", "phone": "+84 912 345 678"}
    every_item = [q.key for q in (*SYMPTOMS, *EXPOSURES, TRAVEL)]
    for row in range(MAX_COMPANIONS):  # each with their own declaration, every item ticked
        form |= {f"companions-{row}-full_name": longest(100),
                 f"companions-{row}-birth_year": "2016", f"companions-{row}-answer": "yes",
                 f"companions-{row}-items": every_item,
                 f"companions-{row}-places": longest(200)}
    return form


def test_the_largest_check_in_is_well_within_the_limit(app, client):
    phone = Phone(client)
    form = largest_check_in(phone.hidden_fields())
    size = len(urlencode(form, doseq=True).encode())
    assert 15_000 < size < Defaults.MAX_CONTENT_LENGTH / 3, size
    assert phone.submit(form, hidden={}).status_code == 302
    [visit] = visits(app)
    assert len(visit.companions) == MAX_COMPANIONS and visit.full_name == LONGEST_LETTER * 100


def test_a_body_over_the_limit_is_refused(app, client):
    phone = Phone(client)
    form = {**largest_check_in(phone.hidden_fields()),
            "purpose": "x" * Defaults.MAX_CONTENT_LENGTH}
    assert phone.submit(form, hidden={}).status_code == 413
    assert visits(app) == []


def test_the_proxy_samples_allow_what_the_app_allows():
    nginx = re.search(r"client_max_body_size (\d+)k;", NGINX_SAMPLE.read_text())
    assert int(nginx.group(1)) * 1024 == Defaults.MAX_CONTENT_LENGTH
    caddy = re.search(r"request_body @other \{\s*max_size (\d+)KiB", CADDY_SAMPLE.read_text())
    assert int(caddy.group(1)) * 1024 == Defaults.MAX_CONTENT_LENGTH
