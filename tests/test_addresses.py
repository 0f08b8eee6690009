"""A CCCD's address split into the form's province, ward and street, on addresses shaped as
cards print them: new and old, with districts, merged provinces, numbered wards."""

from __future__ import annotations

import csv
import io

import pytest

from app.desk.addresses import Address, split_address
from app.desk.cccd import parse_cccd
from tests.conftest import all_no, visits
from tests.html_form import form_values


@pytest.mark.parametrize(("written", "expected"), [
    ("Số 12 Hàng Bài, Phường Hoàn Kiếm, Hà Nội",
     Address("Hà Nội", "Phường Hoàn Kiếm", "Số 12 Hàng Bài")),
    # An older card: the district is kept with the commune (communes of the same name exist
    # in other districts), the province written once.
    ("Thôn 3, Xã Tân Lập, Huyện Đan Phượng, Thành phố Hà Nội",
     Address("Hà Nội", "Xã Tân Lập, Huyện Đan Phượng", "Thôn 3")),
    ("Số 45/12 Nguyễn Trãi, Phường 2, Quận 5, TP. Hồ Chí Minh",
     Address("TP. Hồ Chí Minh", "Phường 2, Quận 5", "Số 45/12 Nguyễn Trãi")),
    ("Tổ 7, Khu phố 3, Phường Tân Phong, Thành phố Biên Hòa, Tỉnh Đồng Nai",
     Address("Đồng Nai", "Phường Tân Phong, Thành phố Biên Hòa", "Tổ 7, Khu phố 3")),
    ("Thị trấn Phùng, Huyện Đan Phượng, Hà Nội",
     Address("Hà Nội", "Thị trấn Phùng, Huyện Đan Phượng", "")),
    ("Bản Nà Sản, Xã Chiềng Mung, Huyện Mai Sơn, Sơn La",
     Address("Sơn La", "Xã Chiềng Mung, Huyện Mai Sơn", "Bản Nà Sản")),
    # A province merged into another in 2025: today's province is chosen, and the name the
    # address was written under stays with the ward.
    ("Số 5 Trần Hưng Đạo, Phường Trần Phú, Thành phố Hải Dương, Tỉnh Hải Dương",
     Address("Hải Phòng", "Phường Trần Phú, Thành phố Hải Dương, Tỉnh Hải Dương",
             "Số 5 Trần Hưng Đạo")),
    ("Ấp Mỹ Hòa, Xã Mỹ Đức Tây, Huyện Cái Bè, Tiền Giang",
     Address("Đồng Tháp", "Xã Mỹ Đức Tây, Huyện Cái Bè, Tiền Giang", "Ấp Mỹ Hòa")),
    ("Số 3 Lê Lợi, Phường 1, Thành phố Vũng Tàu, Tỉnh Bà Rịa - Vũng Tàu",
     Address("TP. Hồ Chí Minh", "Phường 1, Thành phố Vũng Tàu, Tỉnh Bà Rịa - Vũng Tàu",
             "Số 3 Lê Lợi")),
    ("Phường Phú Hội, Thành phố Huế, Tỉnh Thừa Thiên Huế",
     Address("Huế", "Phường Phú Hội, Thành phố Huế, Tỉnh Thừa Thiên Huế", "")),
    # Written after the 2025 reform: province and ward only.
    ("Số 8 Lý Thường Kiệt, Phường Cửa Nam, Thành phố Hà Nội",
     Address("Hà Nội", "Phường Cửa Nam", "Số 8 Lý Thường Kiệt")),
    ("Thôn Đông, Xã Hòa Phú, Tỉnh Khánh Hoà", Address("Khánh Hòa", "Xã Hòa Phú", "Thôn Đông")),
    ("12 Hàng Bài, Hà Nội", Address("Hà Nội", "", "12 Hàng Bài")),
    # No province we know: everything stays as written, in the street field.
    ("221B Baker Street, London", Address("", "", "221B Baker Street, London")),
    ("", Address("", "", "")),
])
def test_an_address_is_split_with_each_part_once(written, expected):
    assert split_address(written) == expected


def test_a_ward_too_long_for_its_field_stays_with_the_street():
    written = "Thôn 1, " + ", ".join(f"Xã Số {n} Rất Dài Tên" for n in range(8)) + ", Hà Nội"
    place = split_address(written)
    assert (place.province, place.ward) == ("Hà Nội", "")
    assert place.street == written.removesuffix(", Hà Nội")


def test_the_cccd_address_arrives_split():
    card = parse_cccd("001085012345||Nguyễn Văn An|15031985|Nam|"
                      "Thôn 3, Xã Tân Lập, Huyện Đan Phượng, Thành phố Hà Nội|20042021")
    assert card.place == Address("Hà Nội", "Xã Tân Lập, Huyện Đan Phượng", "Thôn 3")
    assert card.address.endswith("Thành phố Hà Nội")  # as written, kept


def test_a_scanned_card_is_exported_with_the_province_once(app, staff, browser_of, clock):
    desk = browser_of()
    desk.login_receptionist()
    blank = form_values(desk.client.get("/dashboard/new").get_data(as_text=True),
                        "/dashboard/new")
    scan = ("001085012345||Nguyễn Văn An|15031985|Nam|"
            "Số 12 Hàng Bài, Phường Hoàn Kiếm, Hà Nội|20042021")
    filled = form_values(desk.client.post("/dashboard/new", data={**blank, "cccd": scan})
                         .get_data(as_text=True), "/dashboard/new")
    sent = desk.client.post("/dashboard/new", data={
        **filled, "phone": "0912345678", "confirm_true": "y", "consent": "y", **all_no()})
    assert sent.status_code == 302
    [visit] = visits(app)
    assert (visit.province, visit.ward, visit.street) == ("Hà Nội", "Phường Hoàn Kiếm",
                                                          "Số 12 Hàng Bài")
    admin = browser_of()
    admin.login_admin()
    body = admin.client.get("/admin/export/download", query_string={
        "start": "2021-07-14", "end": "2021-07-14", "format": "csv"}).get_data()
    [row] = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert row["Địa chỉ"] == "Số 12 Hàng Bài, Phường Hoàn Kiếm, Hà Nội"
