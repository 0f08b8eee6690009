"""Turn what people type into one stored form: NFC text, national phone numbers, ID numbers."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime

# Vietnamese mobile numbers: 03x, 05x, 07x, 08x, 09x + 8 digits. Landlines start with 02.
_MOBILE = re.compile(r"0[35789][0-9]{8}")
_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")
# Control, invisible-format (e.g. right-to-left override, zero-width space) and line/paragraph
# separator characters: nobody types them into a one-line field, and they garble lists.
_UNTYPABLE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


def clean_text(value: str | None) -> str | None:
    """NFC-normalise and trim text, so 'Nguyễn' typed on any keyboard is stored one way."""
    if value is None:
        return None
    return unicodedata.normalize("NFC", value).strip()


def has_control_characters(value: str) -> bool:
    """True if the text holds characters nobody types into a one-line field (NUL, tab, line
    breaks, zero-width or direction-changing characters...)."""
    if value.isprintable():  # nearly every text: none of those is printable
        return False
    return any(unicodedata.category(char) in _UNTYPABLE_CATEGORIES for char in value)


def normalise_phone(raw: str) -> str | None:
    """Return a mobile number as 0 + 9 digits, or None if it is not a Vietnamese mobile number.

    Accepts '0912345678', '+84912345678', '+84 912 345 678', '0912.345.678',
    '(+84) 912-345-678', '84912345678' and '+84 (0) 912 345 678'.
    """
    compact = _PHONE_SEPARATORS.sub("", raw or "")
    if compact.startswith("+84"):
        compact = "0" + compact[3:].removeprefix("0")
    elif compact.startswith("84") and len(compact) in (11, 12):
        compact = "0" + compact[2:].removeprefix("0")
    return compact if _MOBILE.fullmatch(compact) else None


def normalise_id_number(raw: str) -> str | None:
    """Return a CCCD (12 digits), CMND (9 digits) or passport number, or None if malformed."""
    compact = re.sub(r"\s", "", raw or "").upper()
    if re.fullmatch(r"[0-9]+", compact):
        return compact if len(compact) in (9, 12) else None
    return compact if re.fullmatch(r"[A-Z0-9]{6,20}", compact) else None


def fold_for_search(text: str) -> str:
    """Text without case or diacritics, so "nguyen van an" finds "Nguyễn Văn An".

    Done in Python, the same for SQLite and PostgreSQL: both then compare plain ASCII-like text.
    """
    decomposed = unicodedata.normalize("NFD", (text or "").replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def parse_day(text: str | None) -> date | None:
    """A date typed as YYYY-MM-DD (what <input type=date> sends) in years 2000-2999, or None."""
    try:
        day = date.fromisoformat(text or "")
    except ValueError:
        return None
    return day if len(text) == 10 and 2000 <= day.year <= 2999 else None


def parse_whole_number(text: str | None, maximum: int) -> int | None:
    """ASCII digits making a number from 0 to `maximum`, or None (never a huge int())."""
    text = text or ""
    if not (text.isascii() and text.isdigit() and len(text) <= len(str(maximum))):
        return None
    number = int(text)
    return number if number <= maximum else None


def parse_moment(text: str | None) -> datetime | None:
    """A point in time as ISO 8601 with its UTC offset (what the dashboard puts in its cursors),
    in years 2000-2999, as UTC; else None (never a date that overflows when converted)."""
    text = text or ""
    if len(text) > 40:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None or not 2000 <= moment.year <= 2999:
        return None
    return moment.astimezone(UTC)


# An employee code as the register keeps it.
EMPLOYEE_CODE = re.compile(r"[A-Z0-9][A-Z0-9._-]{0,29}")


def normalise_code(code: str | None) -> str:
    """An employee code as stored: trimmed, upper case (NV-001 and nv-001 are one code)."""
    return (clean_text(code) or "").upper()
