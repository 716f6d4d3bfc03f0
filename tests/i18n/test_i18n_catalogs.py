"""Every catalog is complete, clean and written in its own script.

The rule (see translations/build.py): every string marked in app/ and ui/ is in every
catalog, translated (English: empty means "as in the code"), not fuzzy, not obsolete, with
the same {placeholders} as its source and the right number of plural forms.
"""

from __future__ import annotations

import re
import unicodedata

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import write_po

from app.alphabet import _PROTECTED

from .conftest import ROOT, TRANSLATIONS

CATALOGS = ("uz_Latn", "uz_Cyrl", "ru", "en")
KEYWORDS = {
    "N_": None,
    "_": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
}
# Latin that legitimately stays in Cyrillic text: codes, file types, keys, formats, and a
# login example (logins are Latin letters).
LATIN_IN_CYRILLIC = {
    "AC1234567", "Caps", "Lock", "F", "M", "F5", "ID", "JSON", "K", "N", "R", "S", "OK",
    "PDF", "PEM", "TLS", "TP-0123", "URL", "USB", "en", "ru", "HQ", "CSV", "XLSX", "MB",
    "Excel", "UTF-8", "P", "aziza", "ABCDE-FGH23-JKLMN-PQR45", "K2", "http", "https",
}  # fmt: skip
# Words spelt the same in English and Uzbek Latin.
SAME_IN_UZBEK = {"Order", "Login", "Audit"}


def po(lang: str):
    return TRANSLATIONS / lang / "LC_MESSAGES" / "tayanch.po"


def strings(message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def marked_in_code() -> set[str]:
    found: set[str] = set()
    for folder in ("app", "ui"):
        for _f, _l, message, _c, _ctx in extract_from_dir(
            str(ROOT / folder), method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_string_marked_in_the_code_is_in_the_template(build):
    template = build.read_catalog(TRANSLATIONS / "tayanch.pot")
    missing = sorted(marked_in_code() - {build._key(m) for m in template if m.id})
    assert missing == [], "run: python translations/build.py sync, then translate"


@pytest.mark.parametrize("lang", CATALOGS)
def test_catalog_is_complete(build, lang):
    assert build.completeness_problems(po(lang)) == []


@pytest.mark.parametrize(
    ("lang", "plurals"), [("uz_Latn", 2), ("uz_Cyrl", 2), ("ru", 3), ("en", 2)]
)
def test_plural_forms_header(build, lang, plurals):
    assert build.read_catalog(po(lang)).num_plurals == plurals


def _write(path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog)


def test_the_completeness_rule_catches_each_kind_of_gap(build, tmp_path):
    """The rule itself can fail: one catalog with each defect, one English identity."""
    pot = Catalog(locale=None, domain="tayanch", fuzzy=False)
    for msgid in ("Saved.", "Open {path}", "Untranslated", "Guessed"):
        pot.add(msgid)
    pot.add(("{n} day", "{n} days"))
    pot_path = tmp_path / "tayanch.pot"
    _write(pot_path, pot)

    ru = Catalog(locale="ru", domain="tayanch", fuzzy=False)
    ru.add("Saved.", "Сохранено.")
    ru.add("Open {path}", "Открыть {путь}")  # a renamed placeholder
    ru.add("Untranslated", "")
    ru.add("Guessed", "Угадано", flags=["fuzzy"])
    ru.add(("{n} day", "{n} days"), ("{n} день", "{n} дня", ""))  # a plural form missing
    ru.obsolete["Gone"] = ru.add("Gone", "Ушло")
    del ru["Gone"]
    ru_path = tmp_path / "ru" / "LC_MESSAGES" / "tayanch.po"
    _write(ru_path, ru)
    text = "\n".join(build.completeness_problems(ru_path, pot_path))
    assert "untranslated 'Untranslated'" in text
    assert "fuzzy 'Guessed'" in text
    assert "obsolete 'Gone'" in text
    assert "untranslated '{n} day'" in text
    assert "placeholders ['path'] in 'Open {path}'" in text
    assert "Saved." not in text

    en = Catalog(locale="en", domain="tayanch", fuzzy=False)
    for message in pot:
        if message.id:
            en.add(message.id, ("", "") if message.pluralizable else "")
    en_path = tmp_path / "en" / "LC_MESSAGES" / "tayanch.po"
    _write(en_path, en)
    assert build.completeness_problems(en_path, pot_path) == []
    en.add("Extra", "")  # a message the template no longer has
    _write(en_path, en)
    assert build.completeness_problems(en_path, pot_path) == [
        "en: not in the .pot 'Extra' (run build.py update)"
    ]


def test_compile_refuses_a_lost_placeholder(build, tmp_path):
    src = tmp_path / "src"
    ru = Catalog(locale="ru", domain="tayanch", fuzzy=False)
    ru.add("Open {path}", "Открыть")
    _write(src / "ru" / "LC_MESSAGES" / "tayanch.po", ru)
    with pytest.raises(SystemExit, match="placeholders"):
        build.compile_catalogs(src=src, out=tmp_path / "out")


def _texts(build, lang: str) -> list[str]:
    catalog = build.read_catalog(po(lang))
    return [s for m in catalog if m.id for s in strings(m) if s]


def test_uzbek_latin_writes_okina_and_tutuq_with_their_own_letters(build):
    for text in _texts(build, "uz_Latn"):
        outside = _PROTECTED.sub(" ", text)
        assert not re.search(r"[oOgG]['\u2018\u2019`\u02bc]", outside), text  # oʻ gʻ: U+02BB
        assert not re.search(
            r"[A-Za-z]['\u2018\u2019`\u02bb][a-z]",
            outside.replace("oʻ", "").replace("gʻ", "").replace("Oʻ", "").replace("Gʻ", ""),
        ), text
        assert not any("CYRILLIC" in unicodedata.name(ch, "") for ch in text), text


def test_uzbek_cyrillic_has_no_latin_left_but_codes_and_keys(build):
    for text in _texts(build, "uz_Cyrl"):
        outside = _PROTECTED.sub(" ", text)
        words = set(re.findall(r"[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]|[A-Za-z]", outside))
        assert words <= LATIN_IN_CYRILLIC, (text, words - LATIN_IN_CYRILLIC)


def test_uzbek_cyrillic_uses_the_uzbek_letters(build):
    joined = "".join(_texts(build, "uz_Cyrl"))
    for letter in "ўқғҳ":
        assert letter in joined
    assert "Ўзбекистон" in joined


def test_russian_is_russian_with_russian_quotes(build):
    for text in _texts(build, "ru"):
        assert not re.search("[ўқғҳЎҚҒҲ]", text), text
        assert "“" not in text and "”" not in text, text


@pytest.mark.parametrize("lang", ("uz_Latn", "uz_Cyrl", "ru"))
def test_translations_differ_from_english_where_words_are_translated(build, lang):
    """A pasted English source is an untranslated string in disguise."""
    catalog = build.read_catalog(po(lang))
    same = [
        m.id for m in catalog
        if m.id and isinstance(m.id, str) and m.string == m.id
        and re.search(r"[a-z]{4,}", _PROTECTED.sub(" ", m.id))
        and not (lang == "uz_Latn" and m.id in SAME_IN_UZBEK)
    ]  # fmt: skip
    assert same == []
