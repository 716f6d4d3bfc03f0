"""Search keys: one spelling-independent key per word of a name, and keys for identifiers.

The same surname reaches the register as Қодиров, Qodirov, Кодиров or Kodirov; oʻ
arrives as oʻ, o', o‘, o’ or (2026 alphabet) ö. ``alifbo.fold_search_key`` (pinned)
folds Cyrillic, classic Latin, the 2026 Latin alphabet and apostrophe variants into
one 2026-Latin form. On top of it this module adds what a user searching across
Russian renderings expects to be the same letter:

- Russian renderings drop Uzbek letters: ў->у, қ->к, ғ->г, ҳ->х, so ``u`` for ö,
  ``k`` for q, ``g`` for ğ and ``h`` for both x and h (Russian х covers ҳ and х);
- Russian-to-Latin spellings: kh->h, zh/dzh/dj->j, ts->s, ye->e (Aliev/Aliyev,
  Elena/Yelena), shch->sh; doubled letters count once (Muhammad/Muhamad).

``ö`` without its apostrophe is typed as a plain ``o`` (Orinboyev), while Russian
writes ``у`` (Уринбоев): a word with ö gets both keys, so either spelling finds it.

Keys are plain ASCII ``[a-z0-9]`` so that FTS5's tokenizer keeps each one whole. The
functions are pure and cached: they run inside SQLite triggers on every person write
(registered on each connection by :func:`register_sql_functions`).
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache

import alifbo

from app.search.translit import _settle_tse_and_signs, has_cyrillic

# Letters of the 2026 alphabet and the Russian-rendering merges, applied after alifbo.
_LETTERS = str.maketrans({"ğ": "g", "ş": "sh", "ç": "ch", "q": "k", "x": "h", "ı": "i"})
_MULTI = (
    ("shch", "sh"),
    ("sch", "sh"),
    ("dzh", "j"),
    ("dj", "j"),
    ("zh", "j"),
    ("kh", "h"),
    ("ts", "s"),
    ("ye", "e"),
)
_NOT_KEY = re.compile(r"[^a-z0-9]")
_DOUBLE = re.compile(r"(.)\1+")
_PLAIN = re.compile(r"[A-Za-z0-9]+")
# Words of a name: split at spaces, hyphens and punctuation, never at apostrophes.
_WORD = re.compile(r"[^\s\-\u2010-\u2015.,;:/()\[\]\"]+")


def words(text: str | None) -> list[str]:
    return _WORD.findall(text or "")


def _ascii_fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _finish(folded: str) -> str:
    s = _NOT_KEY.sub("", _ascii_fold(folded.casefold().translate(_LETTERS)))
    for a, b in _MULTI:
        s = s.replace(a, b)
    return _DOUBLE.sub(r"\1", s)


@lru_cache(maxsize=262144)
def word_keys(word: str) -> tuple[str, ...]:
    """The keys of one word: the main key first, then the ö-as-o variant if there is one.

    Empty when the word has no letters or digits.
    """
    if _PLAIN.fullmatch(word):
        # Plain ASCII letters: alifbo would only lowercase and turn sh/ch into ş/ç,
        # which the key writes as sh/ch again; skipping it makes indexing ~50x faster.
        return (_finish(word),) if _finish(word) else ()
    if has_cyrillic(word):
        word = _settle_tse_and_signs(word)
    folded = alifbo.fold_search_key(word)
    main = _finish(folded.replace("ö", "u"))
    if not main:
        return ()
    if "ö" in folded:
        alt = _finish(folded.replace("ö", "o"))
        if alt and alt != main:
            return (main, alt)
    return (main,)


def text_keys(*parts: str | None) -> list[str]:
    """All keys of all words of the given name parts, each once, in order."""
    seen: dict[str, None] = {}
    for part in parts:
        for w in words(part):
            for k in word_keys(w):
                seen.setdefault(k, None)
    return list(seen)


def name_keys(surname: str | None, given_name: str | None, patronymic: str | None) -> str:
    """The text of the FTS ``names`` column for a person."""
    return " ".join(text_keys(surname, given_name, patronymic))


def name_terms_json(surname: str | None, given_name: str | None, patronymic: str | None) -> str:
    """The same keys as a JSON array, for the vocabulary the typo search walks."""
    return json.dumps(text_keys(surname, given_name, patronymic))


def phone_keys(phone: str | None) -> list[str]:
    """'+998901234567' -> the full number, the 9-digit national one and the 7-digit local."""
    digits = re.sub(r"\D", "", phone or "")
    if not digits:
        return []
    out = [digits]
    if len(digits) == 12 and digits.startswith("998"):
        out += [digits[3:], digits[5:]]
    return out


def id_keys(pinfl: str | None, passport: str | None, phone: str | None, phone2: str | None) -> str:
    """The text of the FTS ``ids`` column: PINFL, passport and phone tokens."""
    tokens: list[str] = []
    if pinfl:
        tokens.append(re.sub(r"\D", "", pinfl))
    if passport:
        tokens.append(_NOT_KEY.sub("", passport.lower()))
    tokens += phone_keys(phone) + phone_keys(phone2)
    return " ".join(dict.fromkeys(t for t in tokens if t))


@lru_cache(maxsize=65536)
def exact_form(word: str) -> str:
    """A word as typed, with case and apostrophe variants removed: 'exact' matching."""
    word = unicodedata.normalize("NFC", word).casefold()
    return re.sub(r"[\u02bb\u02bc\u2018\u2019`'\u00b4]", "'", word)


def fuzzy_distance(a: str, b: str, limit: int = 1) -> int:
    """Optimal string alignment distance (typos: one letter wrong, missing, extra, swapped),
    stopping early once it exceeds ``limit``; returns ``limit + 1`` then."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    if a == b:
        return 0
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        best = cur[0]
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
            best = min(best, v)
        if best > limit:
            return limit + 1
        prev2, prev = prev, cur
    return min(prev[-1], limit + 1)


def deletes(key: str) -> set[str]:
    """The key and every form of it with one letter left out (typo neighbourhood)."""
    return {key} | {key[:i] + key[i + 1 :] for i in range(len(key))}


def register_sql_functions(conn) -> None:
    """Make the key functions callable from SQL (the index triggers use them).

    Called for every connection (app.db.engine.connect_raw), so writes that bypass the
    services (bulk inserts, sync) keep the index in step too.
    """
    conn.create_function("tayanch_name_keys", 3, name_keys, deterministic=True)
    conn.create_function("tayanch_name_terms", 3, name_terms_json, deterministic=True)
    conn.create_function("tayanch_id_keys", 4, id_keys, deterministic=True)
