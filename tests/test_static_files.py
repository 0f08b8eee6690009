"""Static files are addressed by their content, so a proxy may let browsers keep them."""

from __future__ import annotations

import hashlib
import re


def test_pages_ask_for_static_files_by_a_hash_of_their_content(client):
    page = client.get("/login").get_data(as_text=True)
    addresses = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    assert {address.split("?")[0] for address in addresses} >= {"/static/app.css",
                                                                 "/static/app.js"}
    for address in addresses:
        path, version = re.fullmatch(r"(/static/[\w.-]+)\?v=([0-9a-f]{12})", address).groups()
        with client.get(address) as response:
            body = response.data
        assert hashlib.sha256(body).hexdigest().startswith(version), path


def test_a_changed_file_gets_a_new_address(app, tmp_path):
    from flask import url_for
    app.static_folder = str(tmp_path)
    (tmp_path / "app.css").write_text("body { color: black }")
    with app.test_request_context():
        first = url_for("static", filename="app.css")
    (tmp_path / "app.css").write_text("body { color: navy }")
    with app.test_request_context():
        second = url_for("static", filename="app.css")
        assert url_for("static", filename="missing.css") == "/static/missing.css"
    assert first != second and first.startswith("/static/app.css?v=")
