"""The register's import as the admin sees it: every row of the file in the preview (new,
updated with what changes, unchanged, refused), the CSV's separator found and named, and the
sample files to start from."""

from __future__ import annotations

import codecs
import csv
import io
import re
import subprocess

import openpyxl
import pytest

from tests.browser.conftest import soffice
from tests.browser.test_export_spreadsheet import CSV_IMPORT
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


# A heading and a department holding the other separators, which a spreadsheet quotes.
ROWS = [["Họ tên", "Mã nhân viên", "Bộ phận", "Số điện thoại", "Số CCCD", "Ghi chú (a, b; c)"],
        ["Nguyễn Văn Công", "NV-001", "Xưởng A, tổ 1; ca sáng", "0912 000 001", "", "x, y"],
        ["Trần Thị Thợ", "NV-002", "Kho", "0912000002", "001085012345", "z; t"]]


@pytest.mark.parametrize(("separator", "named"), [
    (",", "Dấu phân cách: dấu phẩy (,)"),
    (";", "Dấu phân cách: dấu chấm phẩy (;)"),
    ("\t", "Dấu phân cách: dấu tab"),
], ids=["comma", "semicolon", "tab"])
def test_a_csv_separated_by_commas_semicolons_or_tabs_is_read(app, admin, separator, named):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=separator, lineterminator="\r\n").writerows(ROWS)
    body = buffer.getvalue().encode("utf-8-sig")
    html = upload(admin, "danh-sach.csv", body).get_data(as_text=True)
    assert named in html
    assert preview_rows(html, "import-new") == [
        ["2", "NV-001", "Nguyễn Văn Công", "Xưởng A, tổ 1; ca sáng", "0912000001", ""],
        ["3", "NV-002", "Trần Thị Thợ", "Kho", "0912000002", "001085012345"]]
    import_register(admin, "danh-sach.csv", body)
    assert [e.department for e in _employees(app)] == ["Xưởng A, tổ 1; ca sáng", "Kho"]


def test_a_csv_saved_by_excel_under_vietnamese_settings_imports(app, admin):
    # Semicolons, and the phone and ID numbers' leading zeros lost to number cells.
    body = ("Họ tên;Mã nhân viên;Bộ phận;Số điện thoại;Số CCCD\r\n"
            "Phạm Thị Sổ;KT-9;Kế toán;912345678;1085012345\r\n").encode("utf-8-sig")
    html = upload(admin, "nv.csv", body).get_data(as_text=True)
    assert "Dấu phân cách: dấu chấm phẩy (;)" in html
    assert preview_rows(html, "import-new") == [
        ["2", "KT-9", "Phạm Thị Sổ", "Kế toán", "0912345678", "001085012345"]]


def test_an_xlsx_preview_names_no_separator(app, admin):
    workbook = openpyxl.Workbook()
    workbook.active.append(["Họ tên", "Mã nhân viên", "Bộ phận", "Số điện thoại"])
    workbook.active.append(["Phạm Thị Sổ", "KT-9", "Kế toán", "0912345678"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    html = upload(admin, "nv.xlsx", buffer.getvalue()).get_data(as_text=True)
    assert "Dấu phân cách" not in html and len(preview_rows(html, "import-new")) == 1


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_sample_file_imports_as_one_new_employee(app, admin, kind):
    page = admin.client.get("/admin/employees/import").get_data(as_text=True)
    [link] = re.findall(rf'<a href="([^"]+)" download>Tải tệp mẫu \({kind.upper()}\)</a>', page)
    sample = admin.client.get(link)
    assert sample.status_code == 200
    assert sample.headers["Content-Disposition"].replace('"', "") == (
        f"attachment; filename=mau-danh-sach-nhan-vien.{kind}")
    headings = ["Họ tên", "Mã nhân viên", "Bộ phận", "Số điện thoại", "Số CCCD"]
    if kind == "csv":
        assert sample.data.startswith(codecs.BOM_UTF8)  # Excel reads it as UTF-8
        assert sample.data.decode("utf-8-sig").split("\r\n") == [
            ",".join(headings), "Nguyễn Văn An,NV-001,Hành chính,0912 345 678,001 085 012 345",
            ""]
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(sample.data)).worksheets[0]
        header, example = sheet.iter_rows(max_row=2)
        assert [cell.value for cell in header] == headings
        # Text cells in columns formatted as text: the zeros stay, in rows typed later too.
        assert [(cell.value, cell.data_type, cell.number_format) for cell in example[3:]] == [
            ("0912345678", "s", "@"), ("001085012345", "s", "@")]
        assert sheet.column_dimensions["D"].number_format == "@"
    html = upload(admin, f"mau.{kind}", sample.data).get_data(as_text=True)
    assert "1 người sẽ được thêm, 0 người được cập nhật, 0 người không thay đổi." in html
    assert preview_rows(html, "import-new") == [
        ["2", "NV-001", "Nguyễn Văn An", "Hành chính", "0912345678", "001085012345"]]
    assert preview_rows(html, "import-errors") == []
    import_register(admin, f"mau.{kind}", sample.data)
    assert _stored(app) == [("NV-001", "Nguyễn Văn An", "Hành chính", "0912345678",
                             "001085012345")]


def test_the_sample_csv_saved_again_by_a_spreadsheet_imports(app, admin, tmp_path):
    # Opened in LibreOffice Calc as trustingly as can be (numbers detected), then saved as a
    # spreadsheet under Vietnamese settings saves: semicolons, every cell quoted, no BOM.
    sample = tmp_path / "mau.csv"
    sample.write_bytes(admin.client.get("/admin/employees/import/sample.csv").data)
    subprocess.run([soffice(), f"-env:UserInstallation=file://{tmp_path / 'profile'}",
                    "--headless", f"--infilter={CSV_IMPORT}", "--convert-to",
                    "csv:Text - txt - csv (StarCalc):59,34,76,1,,0,true", "--outdir",
                    str(tmp_path / "saved"), str(sample)], check=True, capture_output=True,
                   timeout=120)
    saved = (tmp_path / "saved" / "mau.csv").read_bytes()
    assert saved.startswith(b'"H') and b'";"' in saved
    html = upload(admin, "mau.csv", saved).get_data(as_text=True)
    assert "Dấu phân cách: dấu chấm phẩy (;)" in html
    assert preview_rows(html, "import-new") == [
        ["2", "NV-001", "Nguyễn Văn An", "Hành chính", "0912345678", "001085012345"]]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_sample_files_are_for_admins(app, client, browser_of, staff, kind):
    url = f"/admin/employees/import/sample.{kind}"
    assert client.get(url).headers["Location"].startswith("/login?next=")
    desk = browser_of()
    desk.login_receptionist()
    assert desk.client.get(url).status_code == 403
