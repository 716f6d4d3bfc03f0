"""The catalogs carry a translation of every document string, in the right script."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "translations"
KEYWORDS = {"N_": None, "_": None, "ngettext": (1, 2)}
TRANSLATED = ("uz_Latn", "uz_Cyrl", "ru")


def document_msgids() -> set[str | tuple[str, ...]]:
    """Every string marked in app/reports, extracted the way the .pot is."""
    found: set[str | tuple[str, ...]] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "app" / "reports"), method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def catalog(lang: str):
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "tayanch.po").open("rb") as fh:
        return read_po(fh)


def strings(message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def test_pot_is_up_to_date_with_the_documents():
    with (TRANSLATIONS / "tayanch.pot").open("rb") as fh:
        pot = read_po(fh)
    missing = [m for m in document_msgids() if (m[0] if isinstance(m, tuple) else m) not in pot]
    assert missing == [], "run: python translations/build.py extract && ... update"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_document_string_is_translated(lang):
    cat = catalog(lang)
    untranslated = []
    for msgid in document_msgids():
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        message = cat.get(key)
        if message is None or message.fuzzy or not all(strings(message)):
            untranslated.append(key)
    assert untranslated == []


@pytest.mark.parametrize(("lang", "count"), [("uz_Latn", 2), ("uz_Cyrl", 2), ("ru", 3), ("en", 2)])
def test_plural_forms(lang, count):
    cat = catalog(lang)
    assert cat.num_plurals == count
    if lang == "ru":
        message = cat.get("{n} violation")
        assert message.string == ("{n} нарушение", "{n} нарушения", "{n} нарушений")


def _document_messages(lang: str):
    ids = {m[0] if isinstance(m, tuple) else m for m in document_msgids()}
    return [
        m for m in catalog(lang) if m.id and (m.id[0] if isinstance(m.id, tuple) else m.id) in ids
    ]


def test_uzbek_latin_uses_the_turned_comma():
    for message in _document_messages("uz_Latn"):
        for text in strings(message):
            assert not re.search(r"[oOgG]['\u2018\u2019`]", text), text
            assert not any("CYRILLIC" in unicodedata.name(ch, "") for ch in text), text
    assert catalog("uz_Latn").get("Household visit act").string == "Xonadonga tashrif dalolatnomasi"


def test_uzbek_cyrillic_has_no_latin_letters():
    allowed = re.compile(r"\{\w+\}|uz-Latn|uz-Cyrl|\ben\b|\bru\b|ID|Tayanch")
    for message in _document_messages("uz_Cyrl"):
        for text in strings(message):
            rest = allowed.sub("", text)
            latin = [ch for ch in rest if ch.isalpha() and "LATIN" in unicodedata.name(ch)]
            assert latin == [], text
    assert catalog("uz_Cyrl").get("Protection order").string == "Ҳимоя ордери"


def test_catalogs_pass_the_build_check(translations_build):
    problems = [
        p for po in translations_build.po_files() for p in translations_build.check_catalog(po)
    ]
    assert problems == []
