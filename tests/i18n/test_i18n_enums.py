"""Every label of every enum (categories, statuses, kinds) is translated in every language."""

from __future__ import annotations

import inspect

import pytest

from app.domain import enums
from app.i18n import LANGUAGES

LABELLED = [
    cls for _name, cls in inspect.getmembers(enums, inspect.isclass)
    if issubclass(cls, enums.LabelledEnum) and cls is not enums.LabelledEnum and list(cls)
]  # fmt: skip


def test_there_are_enums_to_check():
    assert len(LABELLED) >= 10


@pytest.mark.parametrize("cls", LABELLED, ids=lambda c: c.__name__)
def test_every_member_has_a_label(cls):
    assert set(cls._label_map()) >= set(cls.codes()), cls.__name__


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
@pytest.mark.parametrize("cls", LABELLED, ids=lambda c: c.__name__)
def test_every_label_is_translated(cls, lang):
    untranslated = [m.value for m in cls if m.label_in(lang) == m.label_in("en")]
    assert untranslated == []


def test_labels_follow_the_current_language():
    from app.i18n import set_language

    set_language("ru")
    assert enums.Sex("f").label == "женский"
    set_language("uz-Cyrl")
    assert enums.Sex("f").label == "аёл"
