"""How dates and numbers are written, per language: one implementation for window and paper.

Dates are ``dd.mm.yyyy`` in every language (the form offices in Uzbekistan use, also in
English documents), in Tashkent time (UTC+5, no daylight saving): an aware datetime is
converted, a naive one is taken as already local.

Month names are written out here rather than taken from CLDR because office usage differs
from CLDR's: Uzbek documents write "27 noyabr 2026 yil" (CLDR: "27-noyabr, 2026"), and
Russian needs the genitive in a date ("27 ноября 2026 г.") but the nominative in a period
("ноябрь 2026 г."). The 2026 Latin alphabet is the classic Latin text converted by
``app.alphabet``, like the catalog.

Numbers come from CLDR through babel: a no-break space groups thousands and a comma marks
decimals in Uzbek and Russian ("1 234,5"), English writes "1,234.5".
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from decimal import Decimal

from babel.numbers import format_decimal, format_percent

from app.i18n import PSEUDO, UZ_LATN_2026, current_language, normalize_language
from app.tz import TASHKENT

logger = logging.getLogger(__name__)

__all__ = [
    "TASHKENT",
    "decimal",
    "local",
    "long_date",
    "month_name",
    "month_year",
    "number",
    "percent",
    "short_date",
    "short_datetime",
    "time_of_day",
]

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

# CLDR locales for numbers. English users of this app are district staff and observers
# abroad, for whom the plain "en" pattern (1,234.5) is the least surprising.
_BABEL_LOCALES = {
    "uz-Latn": "uz_Latn",
    UZ_LATN_2026: "uz_Latn",
    "uz-Cyrl": "uz_Cyrl",
    "ru": "ru",
    "en": "en",
    PSEUDO: "en",
}


def _lang(lang: str | None) -> str:
    return normalize_language(lang or current_language())


# ------------------------------------------------------------------------------- dates


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


def month_name(month: int, lang: str | None = None) -> str:
    """The month on its own, as in a calendar or a period: "noyabr", "ноябрь", "November"."""
    if not 1 <= month <= 12:
        raise ValueError(f"month out of range: {month}")
    lang = _lang(lang)
    m = month - 1
    if lang == "uz-Cyrl":
        return _UZ_CYRL[m]
    if lang == "ru":
        return _RU_NOMINATIVE[m]
    if lang in ("uz-Latn", UZ_LATN_2026):
        return _to_alphabet(_UZ_LATN[m], lang)
    return _EN[m]


def long_date(value: date, lang: str | None = None) -> str:
    """A date for prose: "27 noyabr 2026 yil", "27 ноябр 2026 йил", "27 ноября 2026 г."."""
    if isinstance(value, datetime):
        value = local(value)
    lang = _lang(lang)
    d, m, y = value.day, value.month - 1, value.year
    if lang in ("uz-Latn", UZ_LATN_2026):
        return _to_alphabet(f"{d} {_UZ_LATN[m]} {y} yil", lang)
    if lang == "uz-Cyrl":
        return f"{d} {_UZ_CYRL[m]} {y} йил"
    if lang == "ru":
        return f"{d} {_RU_GENITIVE[m]} {y} г."
    return f"{d} {_EN[m]} {y}"


def month_year(year: int, month: int, lang: str | None = None) -> str:
    """A reporting period: "2026 yil noyabr", "2026 йил ноябр", "ноябрь 2026 г."."""
    if not 1 <= month <= 12:
        raise ValueError(f"month out of range: {month}")
    lang = _lang(lang)
    m = month - 1
    if lang in ("uz-Latn", UZ_LATN_2026):
        return _to_alphabet(f"{year} yil {_UZ_LATN[m]}", lang)
    if lang == "uz-Cyrl":
        return f"{year} йил {_UZ_CYRL[m]}"
    if lang == "ru":
        return f"{_RU_NOMINATIVE[m]} {year} г."
    return f"{_EN[m]} {year}"


def _to_alphabet(classic: str, lang: str) -> str:
    if lang != UZ_LATN_2026:
        return classic
    from app.alphabet import to_2026

    return to_2026(classic)


# ----------------------------------------------------------------------------- numbers


def number(value: int | float | Decimal, lang: str | None = None) -> str:
    """A count or amount with the language's separators: "12 345" (uz, ru), "12,345" (en).

    Fractions keep up to three digits, as given ("1 234,5"); use ``decimal`` to fix them.
    """
    return format_decimal(value, locale=_BABEL_LOCALES[_lang(lang)])


def decimal(value: int | float | Decimal, digits: int = 1, lang: str | None = None) -> str:
    """A number with exactly ``digits`` decimals: ``decimal(2.5, 2)`` -> "2,50" in Uzbek."""
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(value, format=pattern, locale=_BABEL_LOCALES[_lang(lang)])


def percent(value: float | Decimal, lang: str | None = None) -> str:
    """A share (0.25) as a percentage in the language's form: "25%" (uz), "25 %" (ru)."""
    return format_percent(value, locale=_BABEL_LOCALES[_lang(lang)])
