"""Dates as documents print them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.reports import dates


def test_short_forms():
    assert dates.short_date(date(2026, 1, 5)) == "05.01.2026"
    assert dates.short_date(None) == ""
    assert dates.short_datetime(datetime(2026, 11, 27, 9, 5)) == "27.11.2026 09:05"
    assert dates.short_datetime(None) == ""


def test_aware_times_are_shown_in_tashkent():
    # 20:30 UTC is 01:30 the next day in Tashkent (UTC+5, no daylight saving).
    stored = datetime(2026, 11, 27, 20, 30, tzinfo=UTC)
    assert dates.short_datetime(stored) == "28.11.2026 01:30"
    assert dates.long_date(stored, "en") == "28 November 2026"
    assert dates.time_of_day(stored) == "01:30"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("uz-Latn", "27 noyabr 2026 yil"),
        ("uz-Cyrl", "27 ноябр 2026 йил"),
        ("ru", "27 ноября 2026 г."),
        ("en", "27 November 2026"),
        ("uz_latn", "27 noyabr 2026 yil"),
    ],
)
def test_long_date(lang, expected):
    assert dates.long_date(date(2026, 11, 27), lang) == expected


def test_every_month_in_every_language():
    latin = [dates.long_date(date(2026, m, 1), "uz-Latn").split()[1] for m in range(1, 13)]
    assert latin == [
        "yanvar", "fevral", "mart", "aprel", "may", "iyun",
        "iyul", "avgust", "sentabr", "oktabr", "noyabr", "dekabr",
    ]  # fmt: skip
    cyrillic = [dates.long_date(date(2026, m, 1), "uz-Cyrl").split()[1] for m in range(1, 13)]
    assert cyrillic[0] == "январ" and cyrillic[4] == "май" and cyrillic[8] == "сентябр"
    russian = [dates.long_date(date(2026, m, 1), "ru").split()[1] for m in range(1, 13)]
    assert russian[2] == "марта" and russian[4] == "мая" and russian[7] == "августа"
    assert all(m.endswith(("я", "а")) for m in russian)  # genitive in a date
    english = [dates.long_date(date(2026, m, 1), "en").split()[1] for m in range(1, 13)]
    assert english[0] == "January" and english[11] == "December"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("uz-Latn", "2026 yil noyabr"),
        ("uz-Cyrl", "2026 йил ноябр"),
        ("ru", "ноябрь 2026 г."),  # nominative for a period
        ("en", "November 2026"),
    ],
)
def test_month_year(lang, expected):
    assert dates.month_year(2026, 11, lang) == expected


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        dates.month_year(2026, 13, "en")
    with pytest.raises(ValueError):
        dates.long_date(date(2026, 1, 1), "de")
