"""The officer downloads today's list in a real browser and opens it in a real spreadsheet
(LibreOffice Calc, told to evaluate formulas as Excel does): Vietnamese intact, leading zeros
kept, no formula run."""

from __future__ import annotations

import subprocess
from datetime import datetime
from pathlib import Path

import openpyxl

from tests.browser.conftest import soffice
from tests.builders import add_visit, hanoi
from tests.conftest import ADMIN_PASSWORD

# Comma, double quotes, charset from the file (its BOM), from line 1, standard columns,
# detect numbers, and evaluate formulas: the most trusting way to open a CSV.
CSV_IMPORT = "CSV:44,34,,1,,0,false,true,false,false,false,-1,true"
PAYLOADS = ["=1+2", "+1", "-1", "@SUM(1)", '=HYPERLINK("http://x","y")']


def open_in_spreadsheet(csv_file: Path, workdir: Path) -> list[list[openpyxl.cell.Cell]]:
    """What LibreOffice Calc makes of a CSV file, saved as XLSX and read back."""
    out = workdir / "converted"
    subprocess.run([soffice(), f"-env:UserInstallation=file://{workdir / 'profile'}", "--headless",
                    f"--infilter={CSV_IMPORT}", "--convert-to", "xlsx", "--outdir", str(out),
                    str(csv_file)], check=True, capture_output=True, timeout=120)
    workbook = openpyxl.load_workbook(out / (csv_file.stem + ".xlsx"))
    return [list(row) for row in workbook.active.iter_rows()]


def test_the_spreadsheet_would_run_a_raw_formula(tmp_path):
    # The control: opened this way, an unprotected cell does become a formula, and a plain
    # phone number loses its leading zero. Without this, the test below could not fail.
    raw = tmp_path / "raw.csv"
    raw.write_bytes("\ufeffTên,Điện thoại\r\n=1+2,0912345678\r\n".encode())
    rows = open_in_spreadsheet(raw, tmp_path)
    assert rows[1][0].data_type == "f"
    assert rows[1][1].value == 912345678


def test_todays_csv_opens_in_a_spreadsheet_as_written(app, staff, clock, live_server, web,
                                                      tmp_path, output_dir):
    add_visit(app, hanoi(14, 8, 5), hanoi(14, 9, 40), name="Nguyễn Thị Ánh Tuyết",
              phone="0912345678", id_number="001099012345", street="Số 8 Lý Thường Kiệt",
              ward="Phường Cửa Nam", purpose="Nộp hồ sơ đất đai",
              companions=(("Đặng Bảo Ngọc", 2016),))
    for minute, payload in enumerate(PAYLOADS):
        add_visit(app, hanoi(14, 9, minute), name=payload, street=payload, purpose=payload,
                  phone="0987654321")

    page = web.page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page.goto(f"{live_server}/login")
    web.check(page)
    page.fill("#username", "lan")
    page.fill("#password", ADMIN_PASSWORD)
    page.click("button.primary")
    web.check(page)
    page.click("text=Xuất dữ liệu")
    web.check(page)
    page.screenshot(path=output_dir / "export-page.png", full_page=True)
    with page.expect_download() as download_info:
        page.click("button:has-text('Tải xuống')")  # today, every entry point, CSV
    download = download_info.value
    assert download.suggested_filename == "gatebook-phuong-trang-tien-2021-07-14.csv"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)

    rows = open_in_spreadsheet(saved, tmp_path)
    cells = [[cell.value for cell in row] for row in rows]
    assert all(cell.data_type != "f" for row in rows for cell in row), "a formula ran"
    header = cells[0]
    people = [dict(zip(header, row, strict=False)) for row in cells[1:]]
    assert header[5] == "Họ và tên" and header[9] == "Số điện thoại"
    assert [p["Họ và tên"] for p in people[:2]] == ["Nguyễn Thị Ánh Tuyết", "Đặng Bảo Ngọc"]
    assert people[0]["Địa chỉ"] == "Số 8 Lý Thường Kiệt, Phường Cửa Nam, Hà Nội"
    assert people[0]["Số điện thoại"] == "0912 345 678"  # text, leading zero kept
    assert people[0]["Số CCCD/CMND/Hộ chiếu"] == "001 099 012 345"
    # The spreadsheet reads the local times as date-times, as it should.
    assert people[0]["Thời gian vào"] == datetime(2021, 7, 14, 8, 5)
    for person, payload in zip(people[2:], PAYLOADS, strict=True):
        assert person["Họ và tên"] == "'" + payload
        assert person["Mục đích"] == "'" + payload
