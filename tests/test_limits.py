"""The request limits (MAX_CONTENT_LENGTH, MAX_FORM_PARTS) measured against the largest
legitimate form: a check-in with ten companions, each declaring everything, every text at its
longest; accepted with room to spare, on the visitor's form and the staff entry form."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from werkzeug.datastructures import MultiDict
from wtforms.validators import Length

from app.checkin import declaration
from app.checkin.forms import MAX_COMPANIONS, CheckInForm, CompanionForm
from app.extensions import db
from app.store.models import Location, Visit
from tests.conftest import VALID_VISITOR, Phone, csrf_from

# Three bytes in UTF-8, nine url-encoded: the costliest letter a Vietnamese name has.
WIDE = "ễ"
ALL_ITEMS = [q.key for q in (*declaration.SYMPTOMS, *declaration.EXPOSURES, declaration.TRAVEL)]
# A CCCD's QR code is about 150 characters; twice that for a long address.
CCCD = "001085012345|012345678|" + "Nguyễn Văn An|01011985|Nam|" + "Hàng Bài, " * 25 + "|01012021"


def _longest(form, name: str, keep: str | None = None) -> str:
    limit = next(v.max for v in form[name].validators if isinstance(v, Length))
    return keep if keep is not None else WIDE * limit


def largest_form(app) -> list[tuple[str, str]]:
    """Every field a browser can send, every text at its longest, ten companions declaring
    everything, plus the staff entry form's own fields."""
    with app.test_request_context():
        form, row = CheckInForm(formdata=None), CompanionForm()
        pairs = [(name, _longest(form, name)) for name in
                 ("full_name", "nationality", "ward", "street", "purpose", "travel_places")]
    pairs += [(key, value) for key, value in VALID_VISITOR.items()
              if key not in dict(pairs)]
    pairs += [("phone", "+84 (0) 912 345 678"), ("travel", "yes"), ("remember", "y"),
              ("for_other", "1"), ("csrf_token", "x" * 91), ("visit_secret", "x" * 43),
              ("cccd", CCCD), ("location_id", "2147483647"), ("fill_cccd", "1")]
    for n in range(MAX_COMPANIONS):
        pairs += [(f"companions-{n}-full_name", _longest(row, "full_name")),
                  (f"companions-{n}-birth_year", "2015"), (f"companions-{n}-answer", "yes"),
                  (f"companions-{n}-places", _longest(row, "places"))]
        pairs += [(f"companions-{n}-items", item) for item in ALL_ITEMS]
    return pairs


def test_the_largest_form_fits_the_limits_with_room_to_spare(app):
    pairs = largest_form(app)
    size = len(urlencode(pairs).encode())
    print(f"largest form: {len(pairs)} fields, {size} bytes url-encoded; limits "
          f"{app.config['MAX_FORM_PARTS']} fields, {app.config['MAX_CONTENT_LENGTH']} bytes")
    assert len(pairs) * 2 <= app.config["MAX_FORM_PARTS"]
    assert size * 3 <= app.config["MAX_CONTENT_LENGTH"]  # emoji (4 bytes) fit too


def _without(pairs, *names) -> list[tuple[str, str]]:
    return [(key, value) for key, value in pairs if key not in names]


def test_the_largest_check_in_is_accepted(app, phone):
    pairs = _without(largest_form(app), "csrf_token", "visit_secret", "for_other", "cccd",
                     "location_id", "fill_cccd")
    response = phone.client.post(phone.form_url, data=urlencode(
        pairs + list(phone.hidden_fields().items())),
        content_type="application/x-www-form-urlencoded")
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        visit = db.session.scalar(db.select(Visit))
        assert len(visit.companions) == MAX_COMPANIONS and visit.flagged
        assert visit.street == WIDE * 200


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded",
                                          "multipart/form-data"])
def test_the_largest_staff_entry_is_accepted(app, admin, content_type):
    with app.app_context():
        location_id = str(db.session.scalar(db.select(Location.id)))
    pairs = _without(largest_form(app), "csrf_token", "location_id", "fill_cccd", "for_other")
    token = csrf_from(admin.client.get("/dashboard/new").get_data(as_text=True))
    response = admin.client.post("/dashboard/new", content_type=content_type, data=MultiDict(
        [*pairs, ("location_id", location_id), ("csrf_token", token)]))
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.scalar(db.select(Visit)).companions) == MAX_COMPANIONS


def test_one_field_past_the_limit_is_refused(app, client):
    limit = app.config["MAX_FORM_PARTS"]
    phone = Phone(client)
    hidden = list(phone.hidden_fields().items())
    filler = [(f"x{n}", "") for n in range(limit - len(hidden) - len(VALID_VISITOR))]
    just_enough = hidden + list(VALID_VISITOR.items()) + filler
    assert len(just_enough) == limit
    accepted = client.post(phone.form_url, data=urlencode(just_enough),
                           content_type="application/x-www-form-urlencoded")
    assert accepted.status_code == 302
    refused = client.post(phone.form_url, data=urlencode([*just_enough, ("x", "")]),
                          content_type="application/x-www-form-urlencoded")
    assert refused.status_code == 413
