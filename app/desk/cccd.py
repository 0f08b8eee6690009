"""Read the text of the QR code on a chip-based citizen ID card (CCCD).

Fields are joined by "|": ID number (12 digits) | old CMND number (may be empty) | full name |
date of birth ddmmyyyy | gender | permanent address | issue date ddmmyyyy. A USB 2D scanner
types this text like a keyboard.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from ..store.normalise import clean_text, fold_for_search
from .addresses import Address, split_address

_GENDERS = {"nam": "male", "nu": "female"}
_DATE = re.compile(r"[0-9]{8}")


class CCCDError(ValueError):
    """The text is not a CCCD QR code."""


@dataclass(frozen=True)
class CCCDCard:
    """What the card says, in the form's terms."""

    id_number: str
    full_name: str
    birth_year: int
    gender: str
    address: str  # as written on the card
    # The address split into the form's fields (province "" when none we know is named).
    place: Address


def _date(text: str) -> date:
    if not _DATE.fullmatch(text):
        raise CCCDError("bad date")
    try:
        return date(int(text[4:]), int(text[2:4]), int(text[:2]))
    except ValueError as error:
        raise CCCDError("bad date") from error


def parse_cccd(text: str) -> CCCDCard:
    """The card's fields, or CCCDError if the text is not a CCCD QR code."""
    parts = [clean_text(part) for part in (text or "").strip().split("|")]
    if len(parts) < 7:
        raise CCCDError("too few fields")
    id_number, _old_id, name, born, gender, address, _issued = parts[:7]
    if not re.fullmatch(r"[0-9]{12}", id_number) or not name:
        raise CCCDError("bad ID number or name")
    gender_key = _GENDERS.get(fold_for_search(gender))
    if gender_key is None:
        raise CCCDError("bad gender")
    _date(_issued)
    return CCCDCard(id_number=id_number, full_name=name, birth_year=_date(born).year,
                    gender=gender_key, address=address, place=split_address(address))
