"""The officer downloads today's list in a real browser and opens it in a real spreadsheet
(LibreOffice Calc, told to evaluate formulas as Excel does): Vietnamese intact, leading zeros
kept, no formula run."""

from __future__ import annotations

import csv
import re
import subprocess
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

from tests.browser.conftest import soffice
from tests.builders import HANOI, add_visit, hanoi
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


def calc_converts(xlsx_file: Path, workdir: Path, target: str) -> Path:
    """The file LibreOffice Calc makes of an XLSX file, converted to `target` (a filter)."""
    out = workdir / target.partition(":")[0]
    subprocess.run([soffice(), f"-env:UserInstallation=file://{workdir / 'profile'}", "--headless",
                    "--convert-to", target, "--outdir", str(out), str(xlsx_file)],
                   check=True, capture_output=True, timeout=120)
    [converted] = out.iterdir()
    return converted


def test_the_xlsx_times_sort_as_numbers_and_phones_keep_their_zeros(app, admin_client, clock,
                                                                   tmp_path):
    # No browser: the file comes from the test client, LibreOffice reads it.
    june_30 = datetime(2021, 6, 30, 23, 50, tzinfo=HANOI).astimezone(UTC)
    add_visit(app, june_30, hanoi(1, 0, 10), name="Cuối tháng Sáu", phone="0912345678",
              id_number="001099012345")
    add_visit(app, hanoi(1, 8, 5, 30), name="Đầu tháng Bảy", phone="0387654321")
    add_visit(app, hanoi(14, 9), name="Giữa tháng Bảy", phone="0123456789")
    response = admin_client.get("/admin/export/download", query_string={
        "start": "2021-06-30", "end": "2021-07-14", "format": "xlsx"})
    assert response.status_code == 200
    saved = tmp_path / "so-vao-ra.xlsx"
    saved.write_bytes(response.get_data())
    response.close()

    # Saved as CSV (comma, double quotes, UTF-8; the cells as shown): the times as the
    # health centre reads them, the phone and ID numbers with every leading zero.
    converted = calc_converts(saved, tmp_path, "csv:Text - txt - csv (StarCalc):44,34,76,1")
    with open(converted, encoding="utf-8", newline="") as file:
        header, *rows = list(csv.reader(file))
    came, left, phone, id_number = (header.index(name) for name in (
        "Thời gian vào", "Thời gian ra", "Số điện thoại", "Số CCCD/CMND/Hộ chiếu"))
    assert [row[came] for row in rows] == ["30/06/2021 23:50", "01/07/2021 08:05",
                                           "14/07/2021 09:00"]
    assert rows[0][left] == "01/07/2021 00:10"
    assert [row[phone] for row in rows] == ["0912345678", "0387654321", "0123456789"]
    assert rows[0][id_number] == "001099012345"

    # Read back from the file Calc saves, the times are numbers (days since 30/12/1899, to
    # the second), which sort and filter as times, across a month's end ("01/07" after
    # "30/06") where the text would not; the phone numbers are text.
    resaved = calc_converts(saved, tmp_path, "xlsx:Calc MS Excel 2007 XML")
    sheet = openpyxl.load_workbook(resaved).worksheets[0]
    column = openpyxl.utils.get_column_letter(came + 1)
    with zipfile.ZipFile(resaved) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    serials = [float(re.search(rf'<c r="{column}{row}"[^>]*t="n"[^>]*><v>([^<]+)</v>',
                               sheet_xml).group(1)) for row in (2, 3, 4)]
    excel_epoch = datetime(1899, 12, 30)
    assert [excel_epoch + timedelta(days=serial) for serial in serials] == pytest.approx(
        [datetime(2021, 6, 30, 23, 50), datetime(2021, 7, 1, 8, 5, 30),
         datetime(2021, 7, 14, 9)], abs=timedelta(seconds=1))
    assert serials == sorted(serials)
    assert all(sheet[f"{column}{row}"].is_date for row in (2, 3, 4))
    phones = [sheet.cell(row, phone + 1) for row in (2, 3, 4)]
    assert [(cell.value, cell.data_type) for cell in phones] == [
        ("0912345678", "s"), ("0387654321", "s"), ("0123456789", "s")]
