"""Settings an admin changes while the application runs: the health-measures notice shown to
visitors (on the check-in and done pages and the poster), in Vietnamese and English."""

from __future__ import annotations

from flask_babel import get_locale
from sqlalchemy import select

from ..extensions import db
from ..store import clock
from ..store.cache import forget_on_change, kept
from ..store.models import Setting, User

NOTICE_KEYS = {"vi": "notice_vi", "en": "notice_en"}
# The Ministry of Health's "5K" message, until an admin changes it (empty hides it).
DEFAULT_NOTICE = {
    "vi": "Thông điệp 5K: Khẩu trang – Khử khuẩn – Khoảng cách – Không tập trung – "
          "Khai báo y tế.",
    "en": "The 5K message: wear a mask, disinfect your hands, keep your distance, avoid "
          "gatherings, declare your health.",
}
MAX_NOTICE_LENGTH = 500


def health_notices() -> dict[str, str]:
    """{language: notice} for every language, the default where none was saved (read at
    every scan: kept for a few seconds, app.store.cache)."""
    return kept("settings", "notices", _read_health_notices)


def _read_health_notices() -> dict[str, str]:
    saved = dict(db.session.execute(
        select(Setting.key, Setting.value).where(Setting.key.in_(NOTICE_KEYS.values()))).all())
    return {lang: saved.get(key, DEFAULT_NOTICE[lang]) for lang, key in NOTICE_KEYS.items()}


forget_on_change("settings", Setting)


def health_notice() -> str:
    """The notice in the page's language ("" when the admin has hidden it)."""
    lang = str(get_locale() or "vi")
    return health_notices().get(lang, "")


def save_health_notices(notices: dict[str, str], user: User) -> None:
    """Store the notices (an empty one hides it in that language); committed by the caller."""
    now = clock.utcnow()
    for lang, key in NOTICE_KEYS.items():
        setting = db.session.get(Setting, key) or Setting(key=key)
        setting.value, setting.changed_at, setting.changed_by_id = notices[lang], now, user.id
        db.session.add(setting)
