"""Translation of every user-visible string of app/ and ui/ through gettext.

Languages are named by their BCP 47 tags (``uz-Latn``, ``uz-Cyrl``, ``ru``, ``en``); the
catalogs live in ``translations/<tag with underscore>/LC_MESSAGES/tayanch.mo``.

Core code marks strings with ``_`` (translated now, in the current language) or ``N_``
(marked only, translated where shown: enum labels, error templates). Documents are printed
in a language chosen at print time, so ``translator(lang)`` returns a catalog for any
language without touching the current one.
"""

from __future__ import annotations

import gettext as _gettext
import threading
from collections.abc import Callable
from functools import cache

from app.paths import translations_dir

DOMAIN = "tayanch"
LANGUAGES: tuple[str, ...] = ("uz-Latn", "uz-Cyrl", "ru", "en")
DEFAULT_LANGUAGE = "uz-Latn"
LANGUAGE_NAMES = {
    "uz-Latn": "Oʻzbekcha (lotin)",
    "uz-Cyrl": "Ўзбекча (кирилл)",
    "ru": "Русский",
    "en": "English",
}

_lock = threading.Lock()
_current = DEFAULT_LANGUAGE
_listeners: list[Callable[[str], None]] = []


def normalize_language(lang: str | None) -> str:
    """Accept ``uz_Latn``, ``uz-latn``, ``uz`` and the like; raise ValueError on others."""
    if not lang:
        return DEFAULT_LANGUAGE
    tag = lang.replace("_", "-").strip()
    for known in LANGUAGES:
        if tag.lower() == known.lower():
            return known
    if tag.lower() == "uz":
        return "uz-Latn"
    raise ValueError(lang)


@cache
def translator(lang: str) -> _gettext.NullTranslations:
    """The catalog for ``lang``; English source strings when no catalog is built."""
    lang = normalize_language(lang)
    return _gettext.translation(
        DOMAIN, localedir=str(translations_dir()), languages=[lang.replace("-", "_")], fallback=True
    )


def set_language(lang: str) -> None:
    global _current
    lang = normalize_language(lang)
    with _lock:
        _current = lang
        listeners = list(_listeners)
    for listener in listeners:
        listener(lang)


def current_language() -> str:
    return _current


def on_language_changed(listener: Callable[[str], None]) -> None:
    with _lock:
        _listeners.append(listener)


def _(message: str) -> str:
    return translator(_current).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translator(_current).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return translator(_current).pgettext(context, message)


def N_(message: str) -> str:
    """Mark for extraction only; translate later with ``_`` where it is shown."""
    return message
