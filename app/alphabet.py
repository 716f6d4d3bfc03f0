"""The 2026 Uzbek Latin alphabet (ş ç ğ ö) for the window and documents, from classic Latin.

Only one catalog is written by hand (classic Latin, ``uz_Latn``). The 2026 variant
(``uz-Latn-2026``) is that catalog converted here, with ``alifbo``: the same tested
transliteration library the search uses (``app.search.translit``), so the register never
has two opinions on how a word is spelled. ``translations/build.py compile`` writes the
converted catalog next to the others; ``app.i18n`` converts on the fly when it is missing.

What must not be converted is cut out before the text reaches ``alifbo``: ``{placeholder}``
names (``{shown}`` would become ``{şown}`` and crash ``str.format``), ``%s``-style
specifiers, markup tags and entities, identifiers such as ``TAYANCH_PASSWORD`` or
``uz-Latn``, command-line options, key names (Ctrl+Shift) and the product's name. Backticks,
URLs and e-mail addresses are already protected by ``alifbo`` itself.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from functools import lru_cache

import alifbo

logger = logging.getLogger(__name__)

_PROTECTED = re.compile(
    r"""
      \{[^{}]*\}                          # str.format placeholders
    | %(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]   # printf-style specifiers
    | <[^<>]*>                            # markup tags (reportlab, Qt rich text)
    | '[^'\s][^']*' | ''                  # 'tayanch restore', '' and other quoted input
    | &[#\w]+;                            # entities
    | [A-Za-z0-9]*_[A-Za-z0-9_]+           # identifiers and environment variables
    | (?<![\w}\u02bb\u02bc])--?[a-z][a-z0-9-]*  # command-line options, not koʻp-koʻp
    | \b[a-z]{2}-[A-Z][a-z]{3}(?:-\d{4})?\b  # language tags (uz-Latn-2026)
    | \b(?:Ctrl|Shift|Alt|Esc|Enter|Tab|Backspace)\b  # key names
    | \bTayanch\b(?!\s+punkt)             # the product's name, not "tayanch punkti"
    | \btayanch(?:\s+(?:gui|init|demo|find|list|person|persons|import|export|template|print
                      |report|sync|enroll|now|status|conflicts|resolve|backup|restore|verify
                      |hq|stronghold|add|enroll-code|export-key|serve|devices|revoke|move
                      |users?|password|recover|audit|search)\b)+  # a command: tayanch sync now
    | [\w.*-]*\.(?:csv|xlsx|pdf|db|json|key|tayanch|zip|sync)\b  # file names and extensions
    | \b[a-z][a-z0-9+]*://\S*            # sqlite:///, postgresql+psycopg://
    """,
    re.VERBOSE,
)


@lru_cache(maxsize=16384)
def to_2026(text: str) -> str:
    """Classic Uzbek Latin -> the 2026 Latin alphabet; protected spans are kept as they are.

    ``oʻ``/``gʻ`` (with U+02BB) become ``ö``/``ğ``, ``sh``/``ch`` become ``ş``/``ç``; the
    tutuq belgisi (U+02BC) stays. Text already in the 2026 alphabet comes back unchanged.
    """
    return _outside_protected(text, _to_new)


def from_2026(text: str) -> str:
    """The 2026 alphabet back to classic Latin (what search keys and stored names use)."""
    return _outside_protected(text, lambda segment: alifbo.to_old_latin(segment).text)


def _outside_protected(text: str, convert: Callable[[str], str]) -> str:
    if not text:
        return text
    out: list[str] = []
    cursor = 0
    for match in _PROTECTED.finditer(text):
        if match.start() > cursor:
            out.append(_letters_only(text[cursor : match.start()], convert))
        out.append(match.group(0))
        cursor = match.end()
    if cursor < len(text):
        out.append(_letters_only(text[cursor:], convert))
    return "".join(out)


def _letters_only(segment: str, convert: Callable[[str], str]) -> str:
    return convert(segment) if any(ch.isalpha() for ch in segment) else segment


def _to_new(segment: str) -> str:
    result = alifbo.to_new_latin(segment)
    if result.warnings:
        # The warnings name positions and rules only, never the text (it may be a name).
        logger.debug("alifbo warnings: %s", [w.rule for w in result.warnings])
    return result.text
