"""The register's import as the admin sees it: every row of the file in the preview (new,
updated with what changes, unchanged, refused)."""

from __future__ import annotations

from tests.register import HEADER, folded, import_register, preview_rows, upload
from tests.test_employees import _employees

PROBLEM_PHONE = "Nhập số di động 10 chữ số bắt đầu bằng 0 (hoặc +84), ví dụ 0912 345 678."


def _stored(app) -> list[tuple]:
    return [(e.code, e.full_name, e.department, e.phone, e.id_number) for e in _employees(app)]


def test_the_preview_lists_every_row_and_what_it_would_change(app, admin):
    import_register(admin)  # NV-001 (with an ID number), NV-002, NV-003
    before = _stored(app)
    changed = HEADER + ("Nguyễn Văn Công,NV-001,Xưởng A,0912 000 009,001085012345\r\n"
                        "Trần Thị Thợ,nv-002,Xưởng A,0912000002,\r\n"
                        "\r\n"
                        "Lê Văn Kho,NV-003,Kho lạnh,0912000003,079085000003\r\n"
                        "Vũ Thị Mới,NV-004,Kho,0987000004,\r\n"
                        "Đỗ Văn Sai,NV-005,Kho,12345,\r\n")
    html = upload(admin, "sua.csv", changed.encode()).get_data(as_text=True)
    assert preview_rows(html, "import-updates") == [
        ["2", "NV-001", "Nguyễn Văn Công", "Số điện thoại: 0912000001 → 0912000009"],
        ["5", "NV-003", "Lê Văn Kho", "Bộ phận: Kho → Kho lạnh\nSố CCCD: (trống) → 079085000003"]]
    assert preview_rows(html, "import-new") == [
        ["6", "NV-004", "Vũ Thị Mới", "Kho", "0987000004", ""]]
    assert preview_rows(html, "import-unchanged") == [["3", "NV-002", "Trần Thị Thợ"]]
    assert preview_rows(html, "import-errors") == [["7", "Số điện thoại", PROBLEM_PHONE]]
    assert "1 người sẽ được thêm, 2 người được cập nhật, 1 người không thay đổi." in html
    assert folded(html, "import-unchanged") and not folded(html, "import-new")
    assert "/admin/employees/import/confirm" not in html  # a refused row: nothing to confirm
    assert _stored(app) == before

    # A file without the ID column would clear the ID numbers: the preview says so.
    no_ids = ("Họ tên,Mã nhân viên,Bộ phận,Số điện thoại\r\n"
              "Nguyễn Văn Công,NV-001,Xưởng A,0912000001\r\n")
    html = upload(admin, "khong-cccd.csv", no_ids.encode()).get_data(as_text=True)
    assert preview_rows(html, "import-updates") == [
        ["2", "NV-001", "Nguyễn Văn Công", "Số CCCD: 001085012345 → (trống)"]]
    assert preview_rows(html, "import-errors") == []

    done = import_register(admin, "sua.csv", changed.rsplit("Đỗ Văn Sai", 1)[0].encode())
    assert "Đã nhập: thêm 1, cập nhật 2, không đổi 1." in done.get_data(as_text=True)
    assert _stored(app) == [
        ("NV-001", "Nguyễn Văn Công", "Xưởng A", "0912000009", "001085012345"),
        ("NV-002", "Trần Thị Thợ", "Xưởng A", "0912000002", None),
        ("NV-003", "Lê Văn Kho", "Kho lạnh", "0912000003", "079085000003"),
        ("NV-004", "Vũ Thị Mới", "Kho", "0987000004", None)]

