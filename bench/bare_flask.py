"""The yardstick for bench/checkin.py: a bare Flask app at Gatebook's check-in URLs.

GET /c/<token> renders a form of 10 fields from a template; POST /c/<token> reads the form and
redirects to /v/<id>, a small page. No database, no sessions, no CSRF: what Flask itself costs
under the same gunicorn. Served as `gunicorn bench.bare_flask:app` from the project folder.
"""

from __future__ import annotations

import itertools

from flask import Flask, abort, redirect, render_template, request, url_for
from jinja2 import DictLoader

FIELDS = ("full_name", "phone", "birth_year", "gender", "id_number", "nationality", "province",
          "ward", "street", "purpose")

TEMPLATES = {
    "form.html": """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Khai báo</title></head><body>
<form method="post" action="{{ url_for('checkin', token=token) }}">
<input name="csrf_token" type="hidden" value="bare">
{% for field in fields %}
<p><label for="{{ field }}">{{ field | replace("_", " ") | capitalize }}</label>
<input id="{{ field }}" name="{{ field }}" type="text" value="{{ values.get(field, '') }}"></p>
{% endfor %}
<button type="submit">Gửi</button>
</form></body></html>
""",
    "done.html": """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Đã vào</title></head><body>
<p>Lượt vào số {{ visit_id }}</p></body></html>
""",
}

app = Flask(__name__)
app.jinja_loader = DictLoader(TEMPLATES)
# Served with Gatebook's gunicorn settings, whose worker hook starts the periodic jobs of an
# app that asks for them: this one has none.
app.config["BACKGROUND_JOBS"] = False
_visit_ids = itertools.count(1)


@app.get("/c/<token>")
def form(token: str):
    """The form of 10 fields."""
    return render_template("form.html", token=token, fields=FIELDS, values=request.args)


@app.post("/c/<token>")
def checkin(token: str):
    """Read the form and redirect to its confirmation, as a check-in does."""
    if not all(request.form.get(field) for field in ("full_name", "phone")):
        abort(400)
    return redirect(url_for("done", visit_id=next(_visit_ids)))


@app.get("/v/<int:visit_id>")
def done(visit_id: int):
    """A small confirmation page."""
    return render_template("done.html", visit_id=visit_id)
