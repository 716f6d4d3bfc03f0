"""Choosing and switching the language: tags, listeners, Qt names, the pseudo-language."""

from __future__ import annotations

import re

import pytest

from app import i18n
from app.errors import NotFoundError
from app.i18n import (
    CATALOG_LANGUAGES,
    LANGUAGE_NAMES,
    LANGUAGES,
    PSEUDO,
    PSEUDO_ENV,
    UZ_LATN_2026,
    _,
    current_language,
    language_name,
    ngettext,
    normalize_language,
    on_language_changed,
    remove_language_listener,
    set_language,
    translator,
)
from app.pseudo import pseudo

from .conftest import TRANSLATIONS


@pytest.mark.parametrize(
    ("given", "tag"),
    [
        ("uz_Latn", "uz-Latn"),
        ("UZ-latn", "uz-Latn"),
        ("uz", "uz-Latn"),
        ("uz_UZ", "uz-Latn"),
        ("uz-Cyrl-UZ", "uz-Cyrl"),
        ("ru_RU", "ru"),
        ("en-GB", "en"),
        ("uz_Latn_2026", UZ_LATN_2026),
        ("uz-2026", UZ_LATN_2026),
        (None, "uz-Latn"),
        ("", "uz-Latn"),
    ],
)
def test_language_tags_are_normalised(given, tag):
    assert normalize_language(given) == tag


@pytest.mark.parametrize("bad", ["de", "kk", "uz-Arab", "pseudo", "latin"])
def test_unknown_languages_are_refused(bad):
    with pytest.raises(ValueError):
        normalize_language(bad)


def test_every_language_has_its_own_name_and_the_2026_option_is_offered():
    assert set(LANGUAGE_NAMES) == set(LANGUAGES)
    assert UZ_LATN_2026 in LANGUAGES and PSEUDO not in LANGUAGES
    assert set(CATALOG_LANGUAGES) == {"uz-Latn", "uz-Cyrl", "ru", "en"}
    assert language_name("ru_RU") == "Русский"
    assert i18n.base_language(UZ_LATN_2026) == "uz-Latn" and i18n.base_language("ru") == "ru"
    assert "ş" in language_name(UZ_LATN_2026) or "ç" in language_name(UZ_LATN_2026)


def test_switching_changes_what_underscore_returns_and_tells_listeners():
    heard: list[str] = []
    listener = on_language_changed(heard.append)
    try:
        assert _("Save") == "Saqlash"
        set_language("ru")
        assert _("Save") == "Сохранить"
        assert current_language() == "ru"
        set_language("ru")  # unchanged: nobody is disturbed
        set_language("uz_Cyrl")
        assert _("Save") == "Сақлаш"
        set_language("en")
        assert _("Save") == "Save"
        set_language(UZ_LATN_2026)
        assert _("Search") == "Qidiriş"
        assert heard == ["ru", "uz-Cyrl", "en", UZ_LATN_2026]
    finally:
        remove_language_listener(listener)
    set_language("ru")
    assert heard == ["ru", "uz-Cyrl", "en", UZ_LATN_2026]  # removed: not called again


def test_a_failing_listener_does_not_keep_the_others_from_retranslating():
    heard: list[str] = []

    def broken(lang: str) -> None:
        raise RuntimeError("window already closed")

    on_language_changed(broken)
    on_language_changed(heard.append)
    try:
        with pytest.raises(RuntimeError):
            set_language("ru")
        assert heard == ["ru"]
        assert current_language() == "ru"
    finally:
        remove_language_listener(broken)
        remove_language_listener(heard.append)


def test_an_unknown_language_changes_nothing():
    set_language("ru")
    with pytest.raises(ValueError):
        set_language("de")
    assert current_language() == "ru"


def test_errors_and_plurals_follow_the_current_language():
    err = NotFoundError(id="abc")
    set_language("ru")
    assert err.message() == "Нет записи с таким идентификатором: abc."
    assert err.message("uz-Latn") == "Bunday identifikatorli yozuv yoʻq: abc."
    assert ngettext("{n} person", "{n} persons", 3).format(n=3) == "3 лица"


@pytest.mark.parametrize(
    ("lang", "locale", "qt"),
    [("uz-Latn", "uz_Latn_UZ", None), (UZ_LATN_2026, "uz_Latn_UZ", None),
     ("uz-Cyrl", "uz_Cyrl_UZ", "ru"), ("ru", "ru_RU", "ru"), ("en", "en_GB", "en")],
)  # fmt: skip
def test_names_for_qt(lang, locale, qt):
    assert i18n.qt_locale_name(lang) == locale
    assert i18n.qt_translation_name(lang) == qt


def test_the_2026_alphabet_is_converted_on_the_fly_when_no_catalog_was_built(
    build, tmp_path, monkeypatch
):
    """Only the classic catalog compiled (e.g. by plain pybabel): 2026 still works."""
    out = tmp_path / "locale"
    build._write_mo(
        build.read_catalog(TRANSLATIONS / "uz_Latn" / "LC_MESSAGES" / "tayanch.po"),
        out / "uz_Latn" / "LC_MESSAGES",
    )
    monkeypatch.setattr(i18n, "translations_dir", lambda: out)
    i18n.translator.cache_clear()
    try:
        tr = translator(UZ_LATN_2026)
        assert tr.gettext("Search") == "Qidiriş"
        assert tr.gettext("Household visit act") == "Xonadonga taşrif dalolatnomasi"
        assert tr.ngettext("{n} person", "{n} persons", 5) == "{n} ta şaxs"
        assert tr.gettext("not a message at all") == "not a message at all"
    finally:
        monkeypatch.undo()
        i18n.translator.cache_clear()


def test_built_and_on_the_fly_2026_catalogs_agree(build, locale_dir):
    built = translator(UZ_LATN_2026)
    assert built.__class__.__name__ == "GNUTranslations"
    converted = i18n._Latin2026(translator("uz-Latn"))
    catalog = build.read_catalog(TRANSLATIONS / "tayanch.pot")
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            for n in (1, 2, 5):
                assert built.ngettext(*message.id, n) == converted.ngettext(*message.id, n)
        else:
            assert built.gettext(message.id) == converted.gettext(message.id), message.id


# ------------------------------------------------------------------ pseudo-language


def test_pseudo_language_needs_the_environment(monkeypatch):
    with pytest.raises(ValueError):
        normalize_language(PSEUDO)
    monkeypatch.setenv(PSEUDO_ENV, "1")
    assert normalize_language(PSEUDO) == PSEUDO
    set_language("ru")  # whatever the window asks for, layout checks get the pseudo text
    assert current_language() == PSEUDO
    text = _("Save")
    assert text.startswith("[") and text.endswith("]") and "Š" in text
    assert PSEUDO not in LANGUAGES


def test_pseudo_text_is_forty_percent_longer_and_still_formats(build):
    template = build.read_catalog(TRANSLATIONS / "tayanch.pot")
    for message in template:
        if not message.id:
            continue
        for source in message.id if isinstance(message.id, tuple) else (message.id,):
            fake = pseudo(source)
            assert len(fake) >= len(source) * 1.4, source
            names = set(re.findall(r"\{(\w*)", source))
            assert set(re.findall(r"\{(\w*)", fake)) == names, source
            values = {name: "x" for name in names}
            if all(names):
                fake.format(**values)  # must not raise


def test_pseudo_keeps_markup_and_mnemonics():
    assert (
        pseudo("<b>{name}</b> &amp; &Save %(n)s") == "[<b>{name}</b> &amp; &Šàvé %(n)s ~~~~~~~~~~]"
    )
    assert pseudo("") == ""


def test_a_context_tells_two_meanings_of_one_word_apart():
    """ "active" for a register entry is "на учёте"; for a user account, "активен"."""
    set_language("ru")
    assert _("active") == "на учёте"
    assert i18n.pgettext("user", "active") == "активен"
    assert translator("uz-Cyrl").pgettext("user", "active") == "фаол"
