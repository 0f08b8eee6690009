"""Error pages: in the visitor's language, never a bare server page."""

from __future__ import annotations


def test_a_form_posted_without_its_token_gets_a_friendly_page(make_app):
    app = make_app()
    app.add_url_rule("/probe", "probe", lambda: "stored", methods=["POST"])
    response = app.test_client().post("/probe")
    assert response.status_code == 400
    assert "Trang này đã hết hạn" in response.get_data(as_text=True)


def test_a_crash_gets_a_friendly_page(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    def broken():
        raise RuntimeError("boom")

    app.add_url_rule("/broken", "broken", broken)
    response = app.test_client().get("/broken")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Đã có lỗi xảy ra" in html and "boom" not in html
