"""Uzbek Cyrillic -> classic Latin as DOMAIN.md writes it, on top of ``alifbo``.

``alifbo`` (pinned) knows Cyrillic, the classic Latin alphabet and the 2026 one, and
handles case, apostrophe variants and the positional ``е`` rule. Two of its choices
differ from DOMAIN.md (the fitrat rules the register follows), so they are settled
here before the text reaches it:

- ``ц`` is ``s`` at the start of a word or after a consonant and ``ts`` after a vowel
  (alifbo writes ``ts`` after any letter);
- ``ь`` is dropped (alifbo writes ``y`` before a vowel), and ``е`` after ``ь`` or ``ъ``
  is then a plain ``e``, since neither is a vowel.
"""

from __future__ import annotations

import re
from functools import lru_cache

import alifbo

OKINA = "\u02bb"  # oʻ, gʻ
TUTUQ = "\u02bc"  # maʼmuriy

_CYR_VOWELS = set("аеёиоуўэюяАЕЁИОУЎЭЮЯ")
_CYRILLIC = re.compile("[\u0400-\u04ff]")


def has_cyrillic(text: str) -> bool:
    return _CYRILLIC.search(text) is not None


def _settle_tse_and_signs(text: str) -> str:
    """Rewrite ц, ь and ъе in Cyrillic so that alifbo's output follows DOMAIN.md."""
    out: list[str] = []
    prev = ""  # previous letter of the source, "" at a word start
    for i, ch in enumerate(text):
        low = ch.lower()
        if low == "ц":
            after_vowel = prev != "" and prev in _CYR_VOWELS
            if after_vowel:
                upper_word = ch.isupper() and (
                    (i + 1 < len(text) and text[i + 1].isupper()) or (prev.isupper())
                )
                out.append("ТС" if upper_word else ("Тс" if ch.isupper() else "тс"))
            else:
                out.append("С" if ch.isupper() else "с")
        elif low == "ь":
            pass  # dropped; prev stays the letter before it
        elif low == "е" and prev.lower() == "ъ":
            out.append("E" if ch.isupper() else "e")  # Latin e: alifbo leaves it alone
        else:
            out.append(ch)
        if low != "ь":
            prev = ch if ch.isalpha() else ""
    return "".join(out)


@lru_cache(maxsize=65536)
def to_latin(text: str) -> str:
    """Uzbek text in any script -> classic Uzbek Latin with oʻ/gʻ as U+02BB.

    Latin input comes back with its apostrophes normalised (oʻ and gʻ get U+02BB, the
    tutuq U+02BC); 2026-alphabet letters (ş, ç, ö, ğ) are written the classic way.
    """
    if has_cyrillic(text):
        text = alifbo.from_cyrillic(_settle_tse_and_signs(text)).text
    text = alifbo.to_old_latin(text).text
    return alifbo.normalize_apostrophes(text)


def to_cyrillic(text: str) -> str:
    """Classic or 2026 Uzbek Latin -> Uzbek Cyrillic (alifbo's rules)."""
    if has_cyrillic(text):
        return text
    return alifbo.to_cyrillic(alifbo.to_new_latin(text).text).text
