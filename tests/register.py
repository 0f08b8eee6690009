"""The employee register as an admin imports it: a good file, and the upload and confirmation
through the admin's pages."""

from __future__ import annotations

import io

from tests.html_form import form_values

HEADER = "Họ tên,Mã nhân viên,Bộ phận,Số điện thoại,Số CCCD\r\n"
GOOD = HEADER + ("Nguyễn Văn Công,NV-001,Xưởng A,0912 000 001,001085012345\r\n"
                 "Trần Thị Thợ,nv-002,Xưởng A,+84 912 000 002,\r\n"
                 "Lê Văn Kho,NV-003,Kho,0912000003,\r\n")


def upload(admin, name: str, body: bytes):
    """Send a register file: the preview."""
    token = form_values(admin.client.get("/admin/employees/import").get_data(as_text=True),
                        "/admin/employees/import")["csrf_token"]
    return admin.client.post("/admin/employees/import", content_type="multipart/form-data",
                             data={"csrf_token": token,
                                   "register_file": (io.BytesIO(body), name)})


def import_register(admin, name: str = "danh-sach.csv", body: bytes | None = None):
    """Send a register file and confirm what the preview shows."""
    preview = upload(admin, name, GOOD.encode("utf-8-sig") if body is None else body)
    html = preview.get_data(as_text=True)
    values = form_values(html, "/admin/employees/import/confirm")
    assert "sealed" in values, html
    return admin.client.post("/admin/employees/import/confirm", data=values,
                             follow_redirects=True)
