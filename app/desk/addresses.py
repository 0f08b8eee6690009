"""A Vietnamese address as written (on a CCCD, say) split into the form's province, ward and
street.

An address runs from the smallest place to the largest: "Số 12 Hàng Bài, Phường Hoàn Kiếm,
Hà Nội". Older cards name a district too ("Thôn 3, Xã Tân Lập, Huyện Đan Phượng, Thành phố Hà
Nội"), and often a province merged into another since: both are kept beside the ward, since
districts are gone from the form (and from local government, since 1 July 2025) but are what
tells apart two communes of the same name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..checkin.declaration import PROVINCES
from ..store.normalise import fold_for_search

# Provinces merged into another on 1 July 2025 (Resolution 202/2025/QH15), Thừa Thiên Huế
# (the city of Huế since January 2025) and Hà Tây (part of Hà Nội since 2008), by the name
# an address written before still uses.
FORMER_PROVINCES = {
    "Hà Giang": "Tuyên Quang", "Yên Bái": "Lào Cai", "Bắc Kạn": "Thái Nguyên",
    "Vĩnh Phúc": "Phú Thọ", "Hòa Bình": "Phú Thọ", "Bắc Giang": "Bắc Ninh",
    "Thái Bình": "Hưng Yên", "Hải Dương": "Hải Phòng", "Hà Nam": "Ninh Bình",
    "Nam Định": "Ninh Bình", "Quảng Bình": "Quảng Trị", "Thừa Thiên Huế": "Huế",
    "Quảng Nam": "Đà Nẵng", "Kon Tum": "Quảng Ngãi", "Bình Định": "Gia Lai",
    "Phú Yên": "Đắk Lắk", "Ninh Thuận": "Khánh Hòa", "Đắk Nông": "Lâm Đồng",
    "Bình Thuận": "Lâm Đồng", "Bình Dương": "TP. Hồ Chí Minh",
    "Bà Rịa - Vũng Tàu": "TP. Hồ Chí Minh", "Bình Phước": "Đồng Nai", "Long An": "Tây Ninh",
    "Tiền Giang": "Đồng Tháp", "Bến Tre": "Vĩnh Long", "Trà Vinh": "Vĩnh Long",
    "Sóc Trăng": "Cần Thơ", "Hậu Giang": "Cần Thơ", "Kiên Giang": "An Giang",
    "Bạc Liêu": "Cà Mau", "Hà Tây": "Hà Nội",
}
# How a province's own name may begin: "Thành phố Hà Nội", "TP. Hồ Chí Minh", "Tỉnh Nghệ An".
_PROVINCE_PREFIX = re.compile(r"^(thanh pho|tp\.?|tinh)\s*")
# What a ward, commune, district or town is called, written out or shortened.
_UNIT = re.compile(r"^(phường|xã|thị trấn|đặc khu|quận|huyện|thị xã|thành phố|tp\.|p\.|q\.|tx\.|"
                   r"tt\.)\s*\S", re.IGNORECASE)
WARD_LENGTH = 100


@dataclass(frozen=True)
class Address:
    """The form's three address fields; province is "" when the address names none we know."""

    province: str
    ward: str
    street: str


def _key(name: str) -> str:
    """A place name without case, diacritics, prefix, spaces or dashes."""
    folded = _PROVINCE_PREFIX.sub("", fold_for_search(name).strip())
    return re.sub(r"[^a-z0-9]", "", folded)


_PROVINCE_KEYS = {_key(province): province for province in PROVINCES} | {"hcm": "TP. Hồ Chí Minh"}
_FORMER_KEYS = {_key(old): new for old, new in FORMER_PROVINCES.items()}


def province_named(text: str) -> tuple[str, bool] | None:
    """(the province of the list, whether `text` names a former one), or None if unknown."""
    key = _key(text)
    if key in _PROVINCE_KEYS:
        return _PROVINCE_KEYS[key], False
    if key in _FORMER_KEYS:
        return _FORMER_KEYS[key], True
    return None


def split_address(text: str) -> Address:
    """Province from the last part; the wards, districts and towns just before it as the ward;
    the rest (house, street, hamlet) as the street. Nothing is written twice: the province's
    own name is left out of the other two, unless it is a former province (kept with the ward,
    since the other parts of the address were named under it)."""
    parts = [part.strip() for part in (text or "").split(",") if part.strip()]
    found = province_named(parts[-1]) if parts else None
    if found is None:
        return Address("", "", ", ".join(parts))
    province, former = found
    rest = parts[:-1]
    split = len(rest)
    while split > 0 and _UNIT.match(rest[split - 1]):
        split -= 1
    units = rest[split:] + ([parts[-1]] if former else [])
    ward = ", ".join(units)
    if len(ward) > WARD_LENGTH:  # too long for the ward field: keep it all as the street
        return Address(province, "", ", ".join(rest[:split] + units))
    return Address(province, ward, ", ".join(rest[:split]))
