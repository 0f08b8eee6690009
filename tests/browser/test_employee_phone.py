"""An employee's phone, at 360×740: enrolled from the QR code of a printed sheet (read back from
the PDF the print produces), then in with one tap the next day, with and without JavaScript."""

from __future__ import annotations

import io

import pypdfium2
import pytest
import zxingcpp

from app.extensions import db
from app.store.models import Employee
from tests.browser.conftest import printed_sheet
from tests.browser.test_gate import PHONE, Taps
from tests.conftest import visits


def _qr_codes_of_pdf(pdf: bytes) -> list[str]:
    """Every QR code on the printed pages, as a phone camera would read the paper."""
    document = pypdfium2.PdfDocument(io.BytesIO(pdf))
    found = []
    for page in document:
        image = page.render(scale=200 / 72).to_pil()
        found += [code.text for code in zxingcpp.read_barcodes(image)]
    document.close()
    return found


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_enrolled_from_the_printed_sheet_then_in_with_one_tap(app, staff, live_server, web,
                                                              clock, output_dir, javascript):
    with app.app_context():
        db.session.add(Employee(code="BV-07", full_name="Phan Văn Gác", department="Bảo vệ",
                                phone="0912000007"))
        db.session.commit()

    desk = printed_sheet(web, live_server, "Bảo vệ")
    desk.emulate_media(media="print")
    pdf = desk.pdf(format="A4", print_background=True)
    (output_dir / "enrolment-sheet.pdf").write_bytes(pdf)
    [scanned] = _qr_codes_of_pdf(pdf)
    assert scanned.startswith(f"{live_server}/e?code=")

    phone = web.page(javascript=javascript, **PHONE)
    phone.goto(scanned)
    web.check(phone)
    assert "Phan Văn Gác" in phone.locator(".who-card").inner_text()
    phone.click("button.primary")
    web.check(phone)
    assert phone.locator("h1").inner_text() == "Điện thoại đã được đăng ký"
    phone.screenshot(path=output_dir / "1-enrolled.png", full_page=True)

    clock.advance(days=1)  # the next morning, at the gate
    phone.goto(f"{live_server}/c/gate-token-0001")
    web.check(phone)
    assert "Bảo vệ · BV-07" in phone.locator(".who-card").inner_text()
    phone.screenshot(path=output_dir / "2-one-tap.png", full_page=True)
    taps = Taps(phone)
    taps.click("button[name=employee_tap]")
    web.check(phone)
    assert taps.count == 1
    assert "Khai báo thành công" in phone.locator("h1").inner_text()
    phone.screenshot(path=output_dir / "3-in.png", full_page=True)
    [visit] = visits(app)
    assert (visit.employee_code, visit.full_name, visit.flagged) == ("BV-07", "Phan Văn Gác",
                                                                     False)
