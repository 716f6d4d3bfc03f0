"""Dates as printed on documents: dd.mm.yyyy in fields, month names in prose.

Month names are written out here rather than taken from CLDR because office usage differs
from CLDR's: Uzbek documents write "27 noyabr 2026 yil" (CLDR: "27-noyabr, 2026"), and
Russian needs the genitive in a date ("27 ноября 2026 г.") but the nominative in a period
("ноябрь 2026 г."). Times are shown in Tashkent time (UTC+5, no daylight saving): an aware
datetime is converted, a naive one is taken as already local.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta, timezone

from app.i18n import normalize_language

logger = logging.getLogger(__name__)

TASHKENT = timezone(timedelta(hours=5), "Asia/Tashkent")

_UZ_LATN = (
    "yanvar", "fevral", "mart", "aprel", "may", "iyun",
    "iyul", "avgust", "sentabr", "oktabr", "noyabr", "dekabr",
)  # fmt: skip
_UZ_CYRL = (
    "январ", "феврал", "март", "апрел", "май", "июн",
    "июл", "август", "сентябр", "октябр", "ноябр", "декабр",
)  # fmt: skip
_RU_GENITIVE = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)  # fmt: skip
_RU_NOMINATIVE = (
    "январь", "февраль", "март", "апрель", "май", "июнь",
    "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь",
)  # fmt: skip
_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def local(value: datetime) -> datetime:
    """The wall-clock time in Tashkent for a stored (UTC or aware) datetime."""
    if value.tzinfo is None:
        return value
    return value.astimezone(TASHKENT).replace(tzinfo=None)


def short_date(value: date | None) -> str:
    """``27.11.2026``; an empty string for a missing date, so a blank line is printed."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local(value)
    return f"{value.day:02d}.{value.month:02d}.{value.year:04d}"


def short_datetime(value: datetime | None) -> str:
    """``27.11.2026 14:30``."""
    if value is None:
        return ""
    value = local(value)
    return f"{short_date(value)} {value.hour:02d}:{value.minute:02d}"


def time_of_day(value: datetime) -> str:
    value = local(value)
    return f"{value.hour:02d}:{value.minute:02d}"


def long_date(value: date, lang: str) -> str:
    """A date for prose: "27 noyabr 2026 yil", "27 ноябр 2026 йил", "27 ноября 2026 г."."""
    if isinstance(value, datetime):
        value = local(value)
    lang = normalize_language(lang)
    d, m, y = value.day, value.month - 1, value.year
    if lang == "uz-Latn":
        return f"{d} {_UZ_LATN[m]} {y} yil"
    if lang == "uz-Cyrl":
        return f"{d} {_UZ_CYRL[m]} {y} йил"
    if lang == "ru":
        return f"{d} {_RU_GENITIVE[m]} {y} г."
    return f"{d} {_EN[m]} {y}"


def month_year(year: int, month: int, lang: str) -> str:
    """A reporting period: "2026 yil noyabr", "2026 йил ноябр", "ноябрь 2026 г."."""
    if not 1 <= month <= 12:
        raise ValueError(f"month out of range: {month}")
    lang = normalize_language(lang)
    m = month - 1
    if lang == "uz-Latn":
        return f"{year} yil {_UZ_LATN[m]}"
    if lang == "uz-Cyrl":
        return f"{year} йил {_UZ_CYRL[m]}"
    if lang == "ru":
        return f"{_RU_NOMINATIVE[m]} {year} г."
    return f"{_EN[m]} {year}"
