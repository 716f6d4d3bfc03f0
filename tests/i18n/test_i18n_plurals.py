"""Plural forms: Russian has three (1, 2-4, 5-20), Uzbek counts with a singular noun."""

from __future__ import annotations

import pytest

from app.i18n import UZ_LATN_2026, translator

PERSON = ("{n} person", "{n} persons")


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (1, "1 лицо"), (2, "2 лица"), (4, "4 лица"), (5, "5 лиц"), (11, "11 лиц"),
        (12, "12 лиц"), (14, "14 лиц"), (21, "21 лицо"), (22, "22 лица"), (25, "25 лиц"),
        (101, "101 лицо"), (111, "111 лиц"), (0, "0 лиц"),
    ],
)  # fmt: skip
def test_russian_has_three_forms(n, text):
    assert translator("ru").ngettext(*PERSON, n).format(n=n) == text


@pytest.mark.parametrize(
    ("n", "text"),
    [(1, "Отправлено: 1 изменение."), (2, "Отправлено: 2 изменения."),
     (5, "Отправлено: 5 изменений."), (21, "Отправлено: 21 изменение.")],
)  # fmt: skip
def test_russian_sentence_agrees_with_the_count(n, text):
    tr = translator("ru")
    assert tr.ngettext("Sent: {n} change.", "Sent: {n} changes.", n).format(n=n) == text


@pytest.mark.parametrize(
    ("lang", "one", "five"),
    [
        ("uz-Latn", "1 ta shaxs", "5 ta shaxs"),
        (UZ_LATN_2026, "1 ta şaxs", "5 ta şaxs"),
        ("uz-Cyrl", "1 та шахс", "5 та шахс"),
        ("en", "1 person", "5 persons"),
    ],
)
def test_other_languages(lang, one, five):
    tr = translator(lang)
    assert tr.ngettext(*PERSON, 1).format(n=1) == one
    assert tr.ngettext(*PERSON, 5).format(n=5) == five


def test_every_plural_message_has_distinct_russian_forms(build):
    from .conftest import TRANSLATIONS

    catalog = build.read_catalog(TRANSLATIONS / "ru" / "LC_MESSAGES" / "tayanch.po")
    for message in catalog:
        if message.id and message.pluralizable:
            one, few, many = message.string
            assert one and few and many, message.id
            # "1 час" / "2 часа" / "5 часов": the forms differ unless the word does not inflect
            assert len({one, few, many}) >= 2 or "дн." in one, message.id
