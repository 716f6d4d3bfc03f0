"""A pseudo-language for layout checks: every string accented and 40 % longer, in brackets.

Russian and Uzbek labels run up to a third longer than English ones. Rendering each screen
with ``TAYANCH_PSEUDO=1`` shows, before any translator is involved, where a label is
clipped (the closing bracket is missing), where a string was never marked for translation
(no accents) and where text is glued together from pieces (brackets in the middle).

It is a development aid only: ``app.i18n`` switches to it when the environment variable is
set and never lists it among the languages a user can pick.
"""

from __future__ import annotations

import math
import re

# Lengthening factor: the longest of our real translations run about this much over English.
EXPANSION = 1.4

_ACCENTS = str.maketrans(
    "abcdeghiklmnoprstuyzABCDEGHIKLMNOPRSTUYZ",
    "àƀçđéğĥîķĺḿñöþŕšţûýžÀƁÇĐÉĞĤÎĶĹḾÑÖÞŔŠŢÛÝŽ",
)
# Left alone, so the string still formats and renders: placeholders, specifiers, markup,
# entities, Qt's "&&" (a literal ampersand) and 'quoted commands' a user may copy. A
# mnemonic "&Save" keeps its "&".
_PROTECTED = re.compile(
    r"\{[^{}]*\}|%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]|<[^<>]*>|&[#\w]+;|&&|'[^'\s][^']*'"
)
_FILL = "~"


def pseudo(text: str) -> str:
    """``"Save {n} records"`` -> ``"[Šàvé {n} ŕéçöŕđš ~~~~]"``; empty stays empty."""
    if not text:
        return text
    out: list[str] = []
    cursor = 0
    for match in _PROTECTED.finditer(text):
        out.append(text[cursor : match.start()].translate(_ACCENTS))
        out.append(match.group(0))
        cursor = match.end()
    out.append(text[cursor:].translate(_ACCENTS))
    body = "".join(out)
    # At least 40 % longer than the source, the two brackets included.
    pad = max(0, math.ceil(len(text) * EXPANSION) - len(text) - 2)
    tail = (" " + _FILL * (pad - 1)) if pad >= 2 else _FILL * pad
    return f"[{body}{tail}]"
