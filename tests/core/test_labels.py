"""Counted words take the plural form their number wants (Russian has three), and the
allowed order durations are labelled where shown, in the reader's language."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.domain import OrderDuration
from app.services import reference
from app.services.people_io import ImportRefused


@pytest.mark.parametrize(
    ("lang", "n", "text"),
    [
        ("en", 1, "1 day"),
        ("en", 2, "2 days"),
        ("ru", 1, "1 день"),
        ("ru", 3, "3 дня"),
        ("ru", 5, "5 дней"),
        ("ru", 11, "11 дней"),
        ("ru", 21, "21 день"),
        ("uz-Latn", 1, "1 kun"),
        ("uz-Latn", 30, "30 kun"),
        ("uz-Cyrl", 30, "30 кун"),
    ],
)
def test_days_take_the_plural_of_their_number(lang, n, text):
    assert reference.days_label(n, lang) == text


def test_duration_labels_follow_kind_and_language():
    assert reference.duration_label("initial", 30, "en") == "30 days"
    assert reference.duration_label("extension", 1, "en") == "extension by 1 day"
    assert reference.duration_label("child", 30, "ru") == "30 дней (для ребёнка)"
    assert reference.duration_label("court", 182, "ru") == "182 дня (судебный ордер)"
    assert reference.duration_label("extension", 30, "uz-Latn") == "30 kunga uzaytirish"
    assert reference.duration_label("child", 30, "uz-Cyrl") == "30 кун (бола учун)"
    # A kind added at HQ later still reads as days.
    assert reference.duration_label("new-kind", 2, "en") == "2 days"


def test_a_new_register_stores_no_english_duration_label(reg):
    with reg.reading() as s:
        rows = s.exec(select(OrderDuration)).all()
    assert sorted((d.kind, d.days) for d in rows) == [
        ("child", 30),
        ("extension", 30),
        ("initial", 30),
    ]
    assert {d.label for d in rows} == {""}


def test_import_refusal_counts_its_problems_in_the_right_form():
    assert (
        ImportRefused(count=1)
        .message("en")
        .startswith("The file was not imported: 1 problem (listed above).")
    )
    assert (
        ImportRefused(count=4)
        .message("en")
        .startswith("The file was not imported: 4 problems (listed above).")
    )
    assert "2 проблемы" in ImportRefused(count=2).message("ru")
    assert "7 проблем " in ImportRefused(count=7).message("ru")
    assert "1 проблема" in ImportRefused(count=1).message("ru")
