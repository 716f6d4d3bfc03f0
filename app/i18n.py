"""Translation of every user-visible string of app/ and ui/ through gettext.

Languages are named by their BCP 47 tags (``uz-Latn``, ``uz-Cyrl``, ``ru``, ``en``); the
catalogs live in ``translations/<tag with underscore>/LC_MESSAGES/tayanch.mo``. English is
the source language: an empty ``en`` translation means "as written in the code".

``uz-Latn-2026`` (a valid BCP 47 variant subtag) is Uzbek in the 2026 Latin alphabet
(ş ç ğ ö). Nobody translates it: ``translations/build.py compile`` converts the classic
Latin catalog with ``app.alphabet`` and, should that file be missing, ``translator`` does
the same on the fly. It is one of ``LANGUAGES``, so a user can pick it for the window and
a document can be printed in it, through the same ``lang`` argument as any other.

Core code marks strings with ``_`` (translated now, in the current language) or ``N_``
(marked only, translated where shown: enum labels, error templates). Documents are printed
in a language chosen at print time, so ``translator(lang)`` returns a catalog for any
language without touching the current one.

Switching at run time: ``set_language(lang)`` changes what ``_`` returns from then on and
calls every listener registered with ``on_language_changed``; the window re-reads its
texts in those listeners. Strings already formatted stay as they are, so widgets must not
cache translated text beyond their ``retranslate``.

Layout checks: with ``TAYANCH_PSEUDO=1`` in the environment every ``set_language`` picks
the pseudo-language (``app.pseudo``): accented, 40 % longer, bracketed English. It is never
listed among the languages.
"""

from __future__ import annotations

import gettext as _gettext
import logging
import os
import threading
from collections.abc import Callable
from functools import cache

from app.paths import translations_dir

logger = logging.getLogger(__name__)

DOMAIN = "tayanch"
UZ_LATN_2026 = "uz-Latn-2026"
PSEUDO = "pseudo"
PSEUDO_ENV = "TAYANCH_PSEUDO"
# The languages with a catalog written by translators.
CATALOG_LANGUAGES: tuple[str, ...] = ("uz-Latn", "uz-Cyrl", "ru", "en")
# Everything a user may choose, for the window or for a document.
LANGUAGES: tuple[str, ...] = (*CATALOG_LANGUAGES, UZ_LATN_2026)
DEFAULT_LANGUAGE = "uz-Latn"
LANGUAGE_NAMES = {
    "uz-Latn": "Oʻzbekcha (lotin)",
    "uz-Cyrl": "Ўзбекча (кирилл)",
    "ru": "Русский",
    "en": "English",
    UZ_LATN_2026: "Özbekça (lotin, 2026 yilgi alifbo)",
}
# The catalog a language is read from (itself, except for converted variants).
_BASE = {UZ_LATN_2026: "uz-Latn", PSEUDO: "en"}
# Locale names for Qt: QLocale (number and date widgets) and Qt's own qtbase_<name>.qm for
# the standard dialogs. Qt ships no Uzbek translation; Cyrillic readers get the Russian one
# (offices read both), Latin readers the English buttons.
_QT_LOCALES = {
    "uz-Latn": "uz_Latn_UZ",
    UZ_LATN_2026: "uz_Latn_UZ",
    "uz-Cyrl": "uz_Cyrl_UZ",
    "ru": "ru_RU",
    "en": "en_GB",
    PSEUDO: "en_GB",
}
_QT_TRANSLATIONS = {"uz-Cyrl": "ru", "ru": "ru", "en": "en"}

_lock = threading.Lock()
_listeners: list[Callable[[str], None]] = []


def pseudo_enabled() -> bool:
    """True while ``TAYANCH_PSEUDO`` is set to something other than ``0`` or empty."""
    return os.environ.get(PSEUDO_ENV, "") not in ("", "0")


def normalize_language(lang: str | None) -> str:
    """Accept ``uz_Latn``, ``uz-latn``, ``uz``, ``ru_RU`` and the like; ValueError on others.

    ``None`` or empty means the default language. ``pseudo`` is accepted only while the
    pseudo-language is switched on by the environment.
    """
    if not lang:
        return DEFAULT_LANGUAGE
    tag = lang.replace("_", "-").strip().lower()
    if tag == PSEUDO and pseudo_enabled():
        return PSEUDO
    parts = tag.split("-")
    while parts:
        candidate = "-".join(parts)
        for known in LANGUAGES:
            if candidate == known.lower():
                return known
        if candidate in ("uz", "uz-uz"):
            return DEFAULT_LANGUAGE
        if candidate == "uz-2026":
            return UZ_LATN_2026
        dropped = parts.pop()
        if len(dropped) == 4 and dropped.isalpha():
            break  # a script we have no catalog for (uz-Arab): not the same language
        # a region (ru-RU, uz-Cyrl-UZ) was dropped: try again without it
    raise ValueError(lang)


def base_language(lang: str) -> str:
    """The catalog language behind ``lang``: ``uz-Latn`` for ``uz-Latn-2026``."""
    lang = normalize_language(lang)
    return _BASE.get(lang, lang)


def language_name(lang: str) -> str:
    """The language's own name, as a user picks it from a list."""
    lang = normalize_language(lang)
    return LANGUAGE_NAMES.get(lang, lang)


def qt_locale_name(lang: str) -> str:
    """The QLocale name for ``lang`` (``QLocale(name)``; separators and Qt date widgets)."""
    return _QT_LOCALES[normalize_language(lang)]


def qt_translation_name(lang: str) -> str | None:
    """The suffix of Qt's own catalog for ``lang`` (``qtbase_<suffix>.qm``), None if Qt has none."""
    return _QT_TRANSLATIONS.get(normalize_language(lang))


def _load(lang: str) -> _gettext.NullTranslations | None:
    """The compiled catalog of ``lang`` if it is on disk."""
    path = translations_dir() / lang.replace("-", "_") / "LC_MESSAGES" / f"{DOMAIN}.mo"
    try:
        with path.open("rb") as fh:
            return _gettext.GNUTranslations(fh)
    except FileNotFoundError:
        return None
    except OSError as exc:  # a damaged or unreadable file: show English, say why in the log
        logger.warning("catalog %s not loaded: %s", path.name, exc)
        return None


class _Latin2026(_gettext.NullTranslations):
    """The classic Latin catalog, read through the 2026 alphabet (when no .mo was built)."""

    def __init__(self, classic: _gettext.NullTranslations) -> None:
        super().__init__()
        self._classic = classic

    def gettext(self, message: str) -> str:
        from app.alphabet import to_2026

        text = self._classic.gettext(message)
        return text if text == message else to_2026(text)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        from app.alphabet import to_2026

        text = self._classic.ngettext(msgid1, msgid2, n)
        return text if text in (msgid1, msgid2) else to_2026(text)

    def pgettext(self, context: str, message: str) -> str:
        from app.alphabet import to_2026

        text = self._classic.pgettext(context, message)
        return text if text == message else to_2026(text)

    def npgettext(self, context: str, msgid1: str, msgid2: str, n: int) -> str:
        from app.alphabet import to_2026

        text = self._classic.npgettext(context, msgid1, msgid2, n)
        return text if text in (msgid1, msgid2) else to_2026(text)


class _Pseudo(_gettext.NullTranslations):
    """English source text, pseudo-localised (see ``app.pseudo``)."""

    def gettext(self, message: str) -> str:
        from app.pseudo import pseudo

        return pseudo(message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return self.gettext(msgid1 if n == 1 else msgid2)

    def pgettext(self, context: str, message: str) -> str:
        return self.gettext(message)

    def npgettext(self, context: str, msgid1: str, msgid2: str, n: int) -> str:
        return self.ngettext(msgid1, msgid2, n)


@cache
def translator(lang: str) -> _gettext.NullTranslations:
    """The catalog for ``lang``; English source strings when no catalog is built."""
    lang = normalize_language(lang)
    if lang == PSEUDO:
        return _Pseudo()
    loaded = _load(lang)
    if loaded is not None:
        return loaded
    if lang == UZ_LATN_2026:
        return _Latin2026(translator(_BASE[lang]))
    if lang != "en":
        logger.warning("no compiled catalog for %s: run `make translations`", lang)
    return _gettext.NullTranslations()


_current = PSEUDO if pseudo_enabled() else DEFAULT_LANGUAGE


def set_language(lang: str) -> None:
    """Make ``lang`` the language of ``_`` and tell every listener, if it changed.

    Raises ValueError for an unknown language (nothing changes then). Listeners run in
    the caller's thread, in the order they were added; one that raises does not keep the
    others from running, and the first error is raised again afterwards.
    """
    global _current
    lang = PSEUDO if pseudo_enabled() else normalize_language(lang)
    with _lock:
        if lang == _current:
            return
        _current = lang
        listeners = list(_listeners)
    logger.info("language: %s", lang)
    failure: Exception | None = None
    for listener in listeners:
        try:
            listener(lang)
        except Exception as exc:  # the remaining windows still retranslate
            logger.exception("language listener %r failed", listener)
            failure = failure or exc
    if failure is not None:
        raise failure


def current_language() -> str:
    return _current


def on_language_changed(listener: Callable[[str], None]) -> Callable[[str], None]:
    """Call ``listener(lang)`` after every change of language; returns it (a decorator)."""
    with _lock:
        _listeners.append(listener)
    return listener


def remove_language_listener(listener: Callable[[str], None]) -> None:
    """Stop calling ``listener``; a window does this when it is closed. Unknown: ignored."""
    with _lock:
        if listener in _listeners:
            _listeners.remove(listener)


def _(message: str) -> str:
    return translator(_current).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translator(_current).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return translator(_current).pgettext(context, message)


def npgettext(context: str, singular: str, plural: str, n: int) -> str:
    return translator(_current).npgettext(context, singular, plural, n)


def N_(message: str) -> str:
    """Mark for extraction only; translate later with ``_`` where it is shown."""
    return message
