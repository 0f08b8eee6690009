"""The employee register as an admin imports it: a good file, and the upload and confirmation
through the admin's pages."""

from __future__ import annotations

import io
from html.parser import HTMLParser

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


class _TableReader(HTMLParser):
    """The body rows of the table in (or being) the first element of a class."""

    def __init__(self, name: str) -> None:
        super().__init__(convert_charrefs=True)
        self.name, self.tag, self.depth, self.done = name, "", 0, False
        self.opened = False  # a <details> shown unfolded
        self.rows: list[list[str]] = []
        self.in_body = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if self.done:
            return
        if not self.depth:
            if self.name in (a.get("class") or "").split():
                self.tag, self.depth, self.opened = tag, 1, "open" in a
            return
        self.depth += tag == self.tag
        if tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.in_body:
            self.rows.append([])
        elif tag == "td" and self.in_body:
            self.rows[-1].append("")
        elif tag == "br" and self.in_body:
            self.rows[-1][-1] += "\n"

    def handle_endtag(self, tag: str) -> None:
        if self.depth and not self.done:
            if tag == "tbody":
                self.in_body = False
            if tag == self.tag:
                self.depth -= 1
                self.done = not self.depth

    def handle_data(self, data: str) -> None:
        if self.depth and self.in_body and self.rows and self.rows[-1]:
            self.rows[-1][-1] += data


def preview_rows(html: str, name: str) -> list[list[str]]:
    """The rows the import's preview lists under `name` (import-errors, import-updates,
    import-new, import-unchanged), each as its cells' text."""
    reader = _TableReader(name)
    reader.feed(html)
    return [[cell.strip() for cell in row] for row in reader.rows]


def folded(html: str, name: str) -> bool:
    """True if the preview's part `name` is a <details> shown folded."""
    reader = _TableReader(name)
    reader.feed(html)
    return reader.tag == "details" and not reader.opened
