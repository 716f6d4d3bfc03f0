"""Dates and numbers as the user reads them in each language."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from app import formats
from app.i18n import UZ_LATN_2026, set_language
from app.reports import dates


def test_short_dates_are_day_month_year_in_tashkent_time():
    late_evening_utc = datetime(2026, 11, 27, 20, 30, tzinfo=UTC)  # 01:30 next day in Tashkent
    assert formats.short_date(late_evening_utc) == "28.11.2026"
    assert formats.short_datetime(late_evening_utc) == "28.11.2026 01:30"
    assert formats.time_of_day(late_evening_utc) == "01:30"
    assert formats.short_date(date(2026, 3, 5)) == "05.03.2026"
    assert formats.short_datetime(datetime(2026, 3, 5, 9, 7)) == "05.03.2026 09:07"  # naive: local
    assert formats.short_date(None) == "" and formats.short_datetime(None) == ""


@pytest.mark.parametrize(
    ("lang", "long", "period"),
    [
        ("uz-Latn", "27 noyabr 2026 yil", "2026 yil noyabr"),
        (UZ_LATN_2026, "27 noyabr 2026 yil", "2026 yil noyabr"),
        ("uz-Cyrl", "27 ноябр 2026 йил", "2026 йил ноябр"),
        ("ru", "27 ноября 2026 г.", "ноябрь 2026 г."),
        ("en", "27 November 2026", "November 2026"),
    ],
)
def test_long_dates_and_periods_use_office_month_names(lang, long, period):
    assert formats.long_date(date(2026, 11, 27), lang) == long
    assert formats.month_year(2026, 11, lang) == period


def test_russian_dates_use_the_genitive_and_periods_the_nominative():
    genitive = [formats.long_date(date(2026, m, 1), "ru").split()[1] for m in range(1, 13)]
    assert genitive[0] == "января" and genitive[4] == "мая" and genitive[7] == "августа"
    assert [formats.month_name(m, "ru") for m in (1, 5, 8)] == ["январь", "май", "август"]


def test_long_date_follows_the_current_language_when_none_is_given():
    set_language("ru")
    assert formats.long_date(date(2026, 9, 2)) == "2 сентября 2026 г."
    set_language("uz-Cyrl")
    assert formats.long_date(date(2026, 9, 2)) == "2 сентябр 2026 йил"


def test_month_out_of_range_is_refused():
    with pytest.raises(ValueError):
        formats.month_year(2026, 13, "en")
    with pytest.raises(ValueError):
        formats.month_name(0, "en")


def test_documents_use_the_same_implementation():
    assert dates.long_date is formats.long_date
    assert dates.short_date is formats.short_date
    assert dates.month_year is formats.month_year


@pytest.mark.parametrize(
    ("lang", "whole", "fraction", "share"),
    [
        ("uz-Latn", "12\u00a0345", "1\u00a0234,50", "25%"),
        (UZ_LATN_2026, "12\u00a0345", "1\u00a0234,50", "25%"),
        ("uz-Cyrl", "12\u00a0345", "1\u00a0234,50", "25%"),
        ("ru", "12\u00a0345", "1\u00a0234,50", "25\u00a0%"),
        ("en", "12,345", "1,234.50", "25%"),
    ],
)
def test_numbers_use_the_local_separators(lang, whole, fraction, share):
    assert formats.number(12345, lang) == whole
    assert formats.decimal(Decimal("1234.5"), 2, lang) == fraction
    assert formats.percent(0.25, lang) == share


def test_numbers_follow_the_current_language():
    set_language("en")
    assert formats.number(1234567) == "1,234,567"
    set_language("ru")
    assert formats.number(1234567) == "1\u00a0234\u00a0567"
