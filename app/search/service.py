"""The one search call behind the window's search box and ``tayanch find``.

A query is any mix of name parts in any order and script, prefixes while typing, a
PINFL or its prefix, a passport number, a phone number in any format, a birth date
(dd.mm.yyyy) or a birth year. Each word must match (AND); a name word matches a
person's name word whose key equals it or starts with it (FTS5 prefix query), and,
when that finds fewer than ``limit`` people, one typo away (the vocabulary of keys).

Ranking: the weakest word's match decides first (exact as typed > same after folding
scripts and spellings > prefix > one typo), then the average over words, then
persons on an active register, then the name.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import text

from app.db.register import Register
from app.domain.base import today_local
from app.search import index
from app.search.keys import exact_form, fuzzy_distance, id_keys, word_keys, words
from app.services.base import require_permission

log = logging.getLogger(__name__)

EXACT, FOLDED, PREFIX_AS_TYPED, PREFIX, FUZZY = 4.0, 3.0, 2.5, 2.0, 1.0
MATCH_NAMES = {EXACT: "exact", FOLDED: "folded", PREFIX_AS_TYPED: "prefix", PREFIX: "prefix"}
MIN_FUZZY_KEY = 4  # shorter words have too many neighbours one letter away


@dataclass(frozen=True)
class SearchHit:
    """One person found: what a result line shows, detached from any session."""

    person_id: uuid.UUID
    full_name: str  # as typed in the register
    birth_date: date | None
    pinfl: str | None
    registers: tuple[str, ...]  # RegisterCategory codes of the active register entries
    score: float
    match: str = "exact"  # exact | folded | prefix | fuzzy: the weakest word's match


@dataclass
class Query:
    names: list[str] = field(default_factory=list)  # words as typed
    ids: list[str] = field(default_factory=list)  # id tokens (digits, passport lowercase)
    birth_date: date | None = None
    birth_year: int | None = None

    @property
    def empty(self) -> bool:
        return not (self.names or self.ids or self.birth_date or self.birth_year)


_DATE = re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})|(\d{4})-(\d{2})-(\d{2})")
_PHONE_CHARS = re.compile(r"[\s+\-()]")
_PASSPORT = re.compile(r"[A-Za-z]{2}\d{1,7}")


def parse_query(raw: str) -> Query:
    q = Query()
    raw = (raw or "").strip()
    if not raw:
        return q
    compact = _PHONE_CHARS.sub("", raw)
    if compact.isdigit():  # a phone or PINFL typed with spaces or dashes, or a birth year
        if len(compact) == 4 and 1900 <= int(compact) <= 2099:
            q.birth_year = int(compact)
        else:
            q.ids.append(compact)
        return q
    for token in raw.split():
        m = _DATE.fullmatch(token)
        if m:
            try:
                if m.group(3):
                    q.birth_date = date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
                else:
                    q.birth_date = date(int(m.group(4)), int(m.group(5)), int(m.group(6)))
                continue
            except ValueError:
                pass
        digits = _PHONE_CHARS.sub("", token)
        if digits.isdigit():
            if len(digits) == 4 and 1900 <= int(digits) <= 2099:
                q.birth_year = int(digits)
            else:
                q.ids.append(digits)
        elif _PASSPORT.fullmatch(token):
            q.ids.append(token.lower())
        else:
            q.names.extend(w for w in words(token) if word_keys(w))
    return q


def _fts_or(terms: list[str], prefix: set[str]) -> str:
    return " OR ".join(f'"{t}"*' if t in prefix else f'"{t}"' for t in terms)


def _match_expression(q: Query, *, prefix: bool, fuzzy: dict[str, set[str]] | None = None) -> str:
    """FTS5 query: every word must match; a word matches any of its keys (or neighbours)."""
    parts = []
    for w in q.names:
        keys = list(word_keys(w))
        extra = sorted((fuzzy or {}).get(w, set()) - set(keys))
        parts.append(f"names : ({_fts_or(keys + extra, set(keys) if prefix else set())})")
    for t in q.ids:
        parts.append(f'ids : ("{t}"{"*" if prefix else ""})')
    return " AND ".join(parts)


_SELECT = """
    SELECT p.id, p.surname, p.given_name, p.patronymic, p.birth_date, p.pinfl,
           p.passport, p.phone, p.phone2
"""


def _candidates(conn: Any, q: Query, expr: str, cap: int) -> list[tuple]:
    where = ["p.deleted = 0"]
    params: dict[str, Any] = {"cap": cap}
    if q.birth_date:
        where.append("p.birth_date = :bd")
        params["bd"] = q.birth_date.isoformat()
    if q.birth_year:
        where.append("p.birth_date >= :y0 AND p.birth_date < :y1")
        params["y0"], params["y1"] = f"{q.birth_year}-01-01", f"{q.birth_year + 1}-01-01"
    if expr:
        params["q"] = expr
        sql = (
            _SELECT
            + """FROM person_fts f
            JOIN person_search_doc d ON d.doc = f.rowid
            JOIN person p ON p.id = d.person_id
            WHERE person_fts MATCH :q AND """
            + " AND ".join(where)
            + " LIMIT :cap"
        )
    else:
        sql = _SELECT + "FROM person p WHERE " + " AND ".join(where) + " LIMIT :cap"
    return conn.execute(text(sql), params).all()


def _active_registers(conn: Any, ids: list[str]) -> dict[str, list[str]]:
    if not ids:
        return {}
    rows = conn.execute(
        text(
            """SELECT person_id, category FROM register_entry
            WHERE person_id IN (SELECT value FROM json_each(:ids))
              AND deleted = 0 AND status = 'active'
              AND (end_date IS NULL OR end_date >= :today)
            ORDER BY start_date"""
        ),
        {"ids": json.dumps(ids), "today": today_local().isoformat()},
    ).all()
    out: dict[str, list[str]] = {}
    for pid, cat in rows:
        if cat not in out.setdefault(pid, []):
            out[pid].append(cat)
    return out


@lru_cache(maxsize=65536)
def _words_of(*parts: str | None) -> tuple[tuple[str, frozenset[str]], ...]:
    """(exact form, keys) of every word of a name; names repeat, so this is cached."""
    return tuple((exact_form(w), frozenset(word_keys(w))) for part in parts for w in words(part))


def _name_tier(qword: tuple[str, frozenset[str]], person_words) -> float:
    ef, qkeys = qword
    best = 0.0
    for pef, pkeys in person_words:
        if pef == ef:
            return EXACT
        if qkeys & pkeys:
            best = FOLDED
        elif best >= FOLDED:
            continue
        elif pef.startswith(ef):
            best = max(best, PREFIX_AS_TYPED)
        elif best < PREFIX and any(pk.startswith(qk) for pk in pkeys for qk in qkeys):
            best = PREFIX
        elif best < FUZZY and any(fuzzy_distance(pk, qk) <= 1 for pk in pkeys for qk in qkeys):
            best = FUZZY
    return best


def _id_tier(token: str, tokens: list[str]) -> float:
    if token in tokens:
        return EXACT
    return PREFIX if any(t.startswith(token) for t in tokens) else 0.0


def _score(q: Query, qwords: list[tuple[str, frozenset[str]]], row: tuple) -> tuple[float, float]:
    _id, surname, given, patronymic, _bd, pinfl, passport, phone, phone2 = row
    person_words = _words_of(surname, given, patronymic)
    tiers = [_name_tier(w, person_words) for w in qwords]
    if q.ids:
        tokens = id_keys(pinfl, passport, phone, phone2).split()
        tiers += [_id_tier(t, tokens) for t in q.ids]
    if not tiers:
        return EXACT, EXACT
    return min(tiers), sum(tiers) / len(tiers)


def _full_name(surname: str, given: str, patronymic: str) -> str:
    return " ".join(p for p in (surname, given, patronymic) if p)


def _typo_neighbours(reg: Register, conn: Any, q: Query) -> dict[str, set[str]]:
    vocab = index.vocabulary(reg.engine)
    vocab.refresh(conn)
    fuzzy: dict[str, set[str]] = {}
    for w in q.names:
        near: set[str] = set()
        for k in word_keys(w):
            if len(k) >= MIN_FUZZY_KEY:
                near |= vocab.neighbours(k)
        if near:
            fuzzy[w] = near
    return fuzzy


def search(reg: Register, text_: str, limit: int = 20) -> list[SearchHit]:
    """Persons matching ``text_``, best first, at most ``limit``."""
    require_permission(reg, "read")
    q = parse_query(text_)
    if q.empty or limit <= 0:
        return []
    index.ensure(reg.engine)
    cap = max(limit * 25, 500)
    with reg.engine.connect() as conn:
        # Tiers, best first, each only while the better ones found too few: a broad
        # prefix ("a") must not crowd exact matches out of the capped candidate set.
        rows = _candidates(conn, q, _match_expression(q, prefix=False), cap)
        seen = {r[0] for r in rows}
        if len(rows) < limit:
            # Prefix matches all rank below the exact ones: fewer candidates suffice, and
            # a short prefix ("sh") can match half the register.
            more = _candidates(conn, q, _match_expression(q, prefix=True), max(limit * 10, 200))
            rows += [r for r in more if r[0] not in seen]
            seen |= {r[0] for r in more}
        if len(rows) < limit and q.names:
            fuzzy = _typo_neighbours(reg, conn, q)
            if fuzzy:
                more = _candidates(conn, q, _match_expression(q, prefix=True, fuzzy=fuzzy), cap)
                rows += [r for r in more if r[0] not in seen]
        registers = _active_registers(conn, [r[0] for r in rows])
    ranked = []
    qwords = _words_of(*q.names)
    for row in rows:
        worst, mean = _score(q, list(qwords), row)
        if worst <= 0:
            continue
        regs = tuple(registers.get(row[0], ()))
        name = _full_name(row[1], row[2], row[3])
        ranked.append(((-worst, -mean, -bool(regs), exact_form(name)), row, worst, mean, regs))
    ranked.sort(key=lambda x: x[0])
    hits = []
    for _key, row, worst, mean, regs in ranked[:limit]:
        hits.append(
            SearchHit(
                person_id=uuid.UUID(row[0]),
                full_name=_full_name(row[1], row[2], row[3]),
                birth_date=date.fromisoformat(row[4]) if row[4] else None,
                pinfl=row[5],
                registers=regs,
                score=round(worst + mean / 10 + (0.01 if regs else 0), 3),
                match=MATCH_NAMES.get(worst, "fuzzy"),
            )
        )
    return hits
