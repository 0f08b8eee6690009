"""The health declaration as data, and the rule that flags a visit.

An organisation adjusts the questions here (keys are stored with each visit, labels are shown);
the form, the validation and the flag rule are all built from these lists.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Question:
    """One yes/no question, stored under `key` in Visit.declaration[group]."""

    key: str
    label: str


# 1. Symptoms in the last 14 days.
SYMPTOMS: tuple[Question, ...] = (
    Question("fever", _l("Fever")),
    Question("cough", _l("Cough")),
    Question("short_breath", _l("Shortness of breath")),
    Question("sore_throat", _l("Sore throat")),
    Question("fatigue", _l("Fatigue")),
    Question("taste_smell", _l("Loss of taste or smell")),
)
SYMPTOMS_PROMPT = _l("In the last 14 days, have you had any of the following?")

# 2. Contacts in the last 14 days.
EXPOSURES: tuple[Question, ...] = (
    Question("case_contact", _l("A person with confirmed or suspected COVID-19")),
    Question("outbreak_area_contact",
             _l("A person from a country or area with a COVID-19 outbreak")),
    Question("symptomatic_contact", _l("A person with fever, cough or shortness of breath")),
)
EXPOSURES_PROMPT = _l("In the last 14 days, have you been in contact with:")

# 3. Travel in the last 14 days; "yes" asks which places.
TRAVEL = Question("travel", _l("A province, city, country or territory with an outbreak"))
TRAVEL_PROMPT = _l("In the last 14 days, have you been to:")

GENDERS: tuple[tuple[str, str], ...] = (
    ("male", _l("Male")),
    ("female", _l("Female")),
    ("other", _l("Other")),
)

# The 34 provinces and centrally-run cities (from 1 July 2025), Vietnamese names as written.
PROVINCES: tuple[str, ...] = (
    "Hà Nội", "Huế", "Hải Phòng", "Đà Nẵng", "TP. Hồ Chí Minh", "Cần Thơ",
    "An Giang", "Bắc Ninh", "Cà Mau", "Cao Bằng", "Đắk Lắk", "Điện Biên", "Đồng Nai",
    "Đồng Tháp", "Gia Lai", "Hà Tĩnh", "Hưng Yên", "Khánh Hòa", "Lai Châu", "Lâm Đồng",
    "Lạng Sơn", "Lào Cai", "Nghệ An", "Ninh Bình", "Phú Thọ", "Quảng Ngãi", "Quảng Ninh",
    "Quảng Trị", "Sơn La", "Tây Ninh", "Thái Nguyên", "Thanh Hóa", "Tuyên Quang", "Vĩnh Long",
)
DEFAULT_NATIONALITY = "Việt Nam"


def no_answers() -> dict:
    """A declaration answering No to every question (the one-tap answer)."""
    return {"symptoms": {q.key: False for q in SYMPTOMS},
            "exposure": {q.key: False for q in EXPOSURES},
            "travel": {"answer": False, "places": ""}}


def answered_yes(keys: set[str], places: str = "") -> dict:
    """A declaration answering Yes to the questions in `keys` (TRAVEL.key with the places)."""
    return {"symptoms": {q.key: q.key in keys for q in SYMPTOMS},
            "exposure": {q.key: q.key in keys for q in EXPOSURES},
            "travel": {"answer": TRAVEL.key in keys,
                       "places": places if TRAVEL.key in keys else ""}}


def is_flagged(declaration: dict) -> bool:
    """A visit is flagged when any symptom is declared or any exposure/travel answer is yes."""
    return (
        any(declaration.get("symptoms", {}).values())
        or any(declaration.get("exposure", {}).values())
        or bool(declaration.get("travel", {}).get("answer"))
    )
