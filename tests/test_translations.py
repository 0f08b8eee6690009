"""Every UI string goes through Babel, and the Vietnamese catalogue translates all of them."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2)}


def _extracted() -> set[str]:
    method_map = [("app/**.py", "python"), ("app/templates/**.html", "jinja2")]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map=method_map, keywords=KEYWORDS):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _catalogue(lang: str):
    with open(ROOT / "app" / "translations" / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh, locale=lang)


def test_vietnamese_catalogue_translates_every_string():
    catalogue = _catalogue("vi")
    extracted = _extracted()
    assert len(extracted) > 50
    missing = sorted(m for m in extracted
                     if m not in catalogue or not catalogue[m].string or catalogue[m].fuzzy)
    assert missing == [], "run `make messages` and translate these in vi/messages.po"


def test_english_catalogue_lists_every_string():
    catalogue = _catalogue("en")
    assert sorted(m for m in _extracted() if m not in catalogue) == []
