"""One change on the wire: its JSON line, and the checks every receiver runs on it.

Keys are short because a 50,000-row bundle repeats them 50,000 times::

    i change id    t table     r row id     o op (i insert, u update, d delete)
    h HLC stamp    f fields    b bases (stamp each field replaced on the writer)
    c per-field stamps, when they differ from h (snapshots, moved records)
    q device sequence number (from devices)
    n server sequence, s stronghold the change is filed under, d origin (from HQ)

A bundle that carries one change that fails these checks is refused whole.
"""

from __future__ import annotations

import gc
import json
import re
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, cached_property
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import String

from app.sync import catalog
from app.sync.errors import BundleInvalid

_HEX32 = re.compile(r"[0-9a-f]{32}")
_ID = re.compile(r"[0-9A-Za-z:_-]{1,64}")
OPS = ("i", "u", "d")


# ASCII digits only ("\d" would admit other scripts' digits, which sort apart).
_STAMP = re.compile(r"[0-9]{13}-[0-9]{6}-[0-9A-Za-z]{1,60}")
_MISSING = object()


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    max_len: int | None
    nullable: bool

    @property
    def neutral(self) -> Any:
        """What a receiver fills in when an insert leaves the column out (capture.py)."""
        if self.nullable:
            return None
        if self.kind == "str":
            return ""
        if self.kind in ("int", "bool"):
            return 0
        return _MISSING


@cache
def columns(table: str) -> dict[str, Column]:
    info = catalog.tables()[table]
    return {
        col.name: Column(
            col.name,
            info.kinds[col.name],
            col.type.length if isinstance(col.type, String) else None,
            bool(col.nullable),
        )
        for col in info.table.columns
        if col.name != "id"
    }


def _valid_values(col: Column, values: list) -> bool:
    """Check one column's values of a whole batch at once (C-level passes, not a call per
    value: a 50,000-row bundle is checked in milliseconds)."""
    kind = col.kind
    if kind in ("str", "datetime"):
        # Texts all (the usual case): joining or parsing them is what proves it, without
        # a pass for their types; a None or a number goes the long way below.
        try:
            if kind == "str":
                return "\0" not in "".join(values) and (
                    col.max_len is None or max(map(len, values), default=0) <= col.max_len
                )
            deque(map(datetime.fromisoformat, values), maxlen=0)
            return max(map(len, values), default=0) <= 32
        except TypeError:
            pass
        except ValueError:
            return False
    types = set(map(type, values))
    if type(None) in types:
        if not col.nullable:
            return False
        types.discard(type(None))
        values = [v for v in values if v is not None]
    if not values:
        return True
    try:
        if kind in ("int", "bool"):
            if not types <= {int, bool}:
                return False
            if kind == "bool":
                return set(values) <= {0, 1}
            return min(values) >= -(2**63) and max(values) < 2**63
        if kind == "float":
            return types <= {int, float}
        if types != {str}:
            return False
        if kind == "str":
            return (col.max_len is None or max(map(len, values)) <= col.max_len) and (
                "\0" not in "".join(values)
            )
        if kind == "uuid":
            return _all_match(_HEX32, values)
        if kind == "datetime":
            deque(map(datetime.fromisoformat, values), maxlen=0)  # raises on a bad one
            return max(map(len, values)) <= 32
        if kind == "date":
            deque(map(date.fromisoformat, values), maxlen=0)
            return set(map(len, values)) == {10}
        if kind == "blob":
            deque(map(bytes.fromhex, values), maxlen=0)
            return all(len(v) % 2 == 0 for v in values)
    except (ValueError, TypeError):
        return False
    return True


def _stamp_maps(items: list[dict[str, Any]], key: str) -> bool:
    for c in items:
        value = c.get(key)
        if value is None:
            continue
        if type(value) is not dict or not set(value) <= set(c["f"]):
            return False
        if not all(type(s) is str for s in value.values()):
            return False
        if not all(map(_STAMP.fullmatch, value.values())):
            return False
    return True


@cache
def _lines_of(pattern: re.Pattern) -> re.Pattern:
    """``pattern`` once per line, any number of lines (for a whole column at once)."""
    return re.compile(f"(?:{pattern.pattern}\n)*")


def _all_match(pattern: re.Pattern, values: list) -> bool:
    """Whether every value is a string matching ``pattern`` (none of whose characters is a
    newline): one regular-expression pass over the values joined by newlines."""
    if set(map(type, values)) != {str}:
        return False
    if pattern is _HEX32 and _all_hex32(values):
        return True
    joined = "\n".join(values) + "\n"
    return joined.count("\n") == len(values) and _lines_of(pattern).fullmatch(joined) is not None


def _all_hex32(values: list[str]) -> bool:
    """Whether every string is 32 lowercase hex digits (ids: the common case, checked by
    C-level passes: a 50,000-id column in a few milliseconds)."""
    if set(map(len, values)) != {32}:
        return False
    joined = "".join(values)
    try:
        return len(bytes.fromhex(joined)) * 2 == len(joined) and joined == joined.lower()
    except ValueError:
        return False


def _column(items: list[dict[str, Any]], key: str) -> list[Any]:
    """One key of every change (C-level), or BundleInvalid if a change lacks it."""
    try:
        return list(map(itemgetter(key), items))
    except KeyError:
        raise BundleInvalid(detail=f"change without '{key}'") from None


def _values_by_name(fs: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Each field's values across a batch of changes' fields, in one pass."""
    out: dict[str, list[Any]] = defaultdict(list)
    for f in fs:
        for name, value in f.items():
            out[name].append(value)
    return out


class Checked(list):
    """The changes ``check_all`` passed, in their order; and, read off them by the checks:

    - ``keys``: each change's id ("i"), table ("t"), row ("r"), operation ("o"), stamp
      ("h") and, when every change has one, device sequence number ("q"), as lists in
      the changes' order;
    - ``columns``: for each table whose changes all carry the same fields (a first
      bundle's new rows, as the device's triggers write them), those fields' values by
      name, in the order of the table's changes;
    - ``rows``: each table's row ids, in the order of its changes;
    - ``inserted``: those ids as sets, when every change inserts a row and none a row
      another change touches; else None.

    So that a 50,000-row bundle goes in without a dict per row or a second pass over the
    changes (``Store.insert_columns``, ``Store.log_columns``).
    """

    columns: dict[str, dict[str, list[Any]]]
    keys: dict[str, list[Any]]
    rows: dict[str, list[str]]

    def __init__(
        self,
        items: Iterable[Any] = (),
        columns: dict | None = None,
        keys: dict[str, list[Any]] | None = None,
        rows: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(items)
        self.columns = columns or {}
        self.keys = keys or {}
        self.rows = rows or {}

    @cached_property
    def inserted(self) -> dict[str, set[str]] | None:
        if set(self.keys.get("o", ())) - {"i"}:
            return None
        out = {t: set(ids) for t, ids in self.rows.items()}
        return out if sum(map(len, out.values())) == len(self) else None


def check_all(items: list[Any], *, from_hq: bool = False) -> Checked:
    """Return the changes if every one is well formed; else raise BundleInvalid naming
    the first problem found. One bad change refuses the whole batch.

    Every check runs over a whole column of the batch at once: a 50,000-change bundle
    is checked in a tenth of a second.
    """
    if not items:
        return Checked()
    if set(map(type, items)) != {dict}:
        raise BundleInvalid(detail="change is not an object")
    ids = _column(items, "i")
    if not (set(map(type, ids)) == {str} and _all_hex32(ids)) and not _all_match(_ID, ids):
        raise BundleInvalid(detail="change id")
    row_ids = _column(items, "r")
    if not _all_match(_HEX32, row_ids):
        raise BundleInvalid(detail="row id")
    ops = _column(items, "o")
    if set(map(type, ops)) != {str} or not set(ops) <= set(OPS):
        raise BundleInvalid(detail="operation")
    stamps = _column(items, "h")
    if not _all_match(_STAMP, stamps):
        raise BundleInvalid(detail="clock stamp")
    fields = _column(items, "f")
    if set(map(type, fields)) != {dict} or not all(fields):
        raise BundleInvalid(detail="fields")
    tables = _column(items, "t")
    known = catalog.tables()
    if set(map(type, tables)) != {str}:
        t = next(t for t in tables if type(t) is not str)
        raise BundleInvalid(detail=f"unknown table {str(t)[:40]}")
    names_of_tables = set(tables)
    for t in names_of_tables:
        if t not in known:
            raise BundleInvalid(detail=f"unknown table {t[:40]}")
    if len(names_of_tables) == 1:
        by_table = {tables[0]: fields}
        rows_by_table = {tables[0]: row_ids}
    else:
        by_table, rows_by_table = {}, {}
        for t, f, r in zip(tables, fields, row_ids, strict=True):
            if t in by_table:
                by_table[t].append(f)
                rows_by_table[t].append(r)
            else:
                by_table[t], rows_by_table[t] = [f], [r]
    uniform: dict[str, dict[str, list[Any]]] = {}
    for t, fs in by_table.items():
        cols = columns(t)
        by_name = _values_by_name(fs)
        unknown = set(by_name) - set(cols)
        if unknown:
            raise BundleInvalid(detail=f"unknown column {t}.{str(sorted(unknown)[0])[:40]}")
        for name, values in by_name.items():
            if not _valid_values(cols[name], values):
                raise BundleInvalid(detail=f"value of {t}.{name}")
        # A change names a field once: a field with a value from every change is in all.
        if all(len(values) == len(fs) for values in by_name.values()):
            uniform[t] = by_name
    with_bases = [c for c in items if "b" in c or "c" in c]
    if not _stamp_maps(with_bases, "b"):
        raise BundleInvalid(detail="bases")
    if not _stamp_maps(with_bases, "c"):
        raise BundleInvalid(detail="field stamps")
    seqs = [c["q"] for c in items if "q" in c]
    if seqs and not set(map(type, seqs)) <= {int}:
        raise BundleInvalid(detail="sequence")
    if from_hq:
        if set(map(type, _column(items, "n"))) != {int}:
            raise BundleInvalid(detail="server sequence")
        if not set(map(type, [c.get("s") for c in items])) <= {str, type(None)}:
            raise BundleInvalid(detail="stronghold")
        if not set(map(type, [c.get("d", "") for c in items])) <= {str}:
            raise BundleInvalid(detail="origin")
    keys = {"i": ids, "t": tables, "r": row_ids, "o": ops, "h": stamps}
    if len(seqs) == len(items):
        keys["q"] = seqs
    return Checked(items, uniform, keys, rows_by_table)


def check(change: Any, *, from_hq: bool = False) -> dict[str, Any]:
    return check_all([change], from_hq=from_hq)[0]


def loads(line: bytes | str) -> Any:
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        raise BundleInvalid(detail="change is not JSON") from None


def parse(line: bytes | str, *, from_hq: bool = False) -> dict[str, Any]:
    return check(loads(line), from_hq=from_hq)


def parse_all(lines: list[bytes], *, from_hq: bool = False) -> Checked:
    try:
        items = list(map(orjson.loads, lines))
    except orjson.JSONDecodeError:
        raise BundleInvalid(detail="change is not JSON") from None
    return check_all(items, from_hq=from_hq)


@cache
def _neutrals(table: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    """A table's neutral values (filled in) and the NOT NULL columns that have none."""
    filled: dict[str, Any] = {}
    required = []
    for name, col in columns(table).items():
        if col.neutral is _MISSING:
            required.append(name)
        else:
            filled[name] = col.neutral
    return filled, tuple(required)


def neutral_values(table: str) -> dict[str, Any]:
    return _neutrals(table)[0]


def fill_missing(table: str, fields: dict[str, Any]) -> dict[str, Any]:
    """An insert's fields with the left-out columns put back at their neutral values."""
    return {**_neutrals(table)[0], **fields}


def check_inserts(inserts: list[dict[str, Any]]) -> None:
    """Refuse a batch in which an insert lacks a column a row cannot be made without."""
    by_table: dict[str, list[dict[str, Any]]] = {}
    for c in inserts:
        by_table.setdefault(c["t"], []).append(c["f"])
    for t, fs in by_table.items():
        for name in _neutrals(t)[1]:
            try:
                values = list(map(itemgetter(name), fs))
            except KeyError:
                values = [None]
            if None in values:
                raise BundleInvalid(detail=f"{t} lacks {name}")


def required(table: str) -> tuple[str, ...]:
    """The NOT NULL columns without a neutral value: an insert must give each of them."""
    return _neutrals(table)[1]


def missing_required(table: str, fields: dict[str, Any]) -> list[str]:
    """NOT NULL columns an insert lacks even after filling (a row cannot be made)."""
    return [n for n in _neutrals(table)[1] if fields.get(n) is None]


_DUMPS_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def dumps(value: Any) -> str:
    """Compact JSON, non-ASCII kept (orjson; the standard library for what it cannot
    write, such as integers beyond 64 bits or non-string keys)."""
    try:
        return orjson.dumps(value, option=_DUMPS_OPTIONS).decode("utf-8")
    except TypeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def valid_value(table: str, name: str, value: Any) -> bool:
    col = columns(table).get(name)
    return col is not None and _valid_values(col, [value])


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cycle collector while a large bundle is read and applied.

    50,000 changes are a few hundred thousand small dicts and lists without cycles; the
    collector would walk them again and again as they are made (about a tenth of the
    time of an import). Reference counting still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
