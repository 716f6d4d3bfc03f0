"""Per-field merge: last writer wins by HLC stamp, and the loser of a concurrent edit kept.

Both the device and HQ merge with these functions, so every replica decides the same.
A change carries, per field, the new value, its stamp, and the stamp of the value it
replaced on the writer's computer (its base). If the base is not the stamp this replica
holds for that field, the writer did not see our value: the edits were concurrent. The
higher stamp wins either way; when the values differ, the other one is returned as a
conflict for a person to review.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from app.sync.catalog import LOCAL_COLUMNS

# Bookkeeping every edit touches: merged like any field, never a conflict to review.
QUIET_FIELDS = frozenset({"created_at", "updated_at"})


@dataclass(frozen=True)
class FieldConflict:
    field: str
    local_value: Any
    remote_value: Any
    local_hlc: str
    remote_hlc: str
    winner: str  # "local" or "remote", as seen by the replica that merged


@dataclass
class Merged:
    updates: dict[str, Any] = field(default_factory=dict)
    clocks: dict[str, str] = field(default_factory=dict)
    conflicts: list[FieldConflict] = field(default_factory=list)


def change_clocks(change: dict[str, Any]) -> dict[str, str]:
    """Each field's stamp in a change: its own entry in ``c`` or the change's stamp."""
    stamp = change["h"]
    per_field = change.get("c") or {}
    return {f: per_field.get(f, stamp) for f in change["f"]}


def merge_fields(
    local_values: dict[str, Any],
    local_clocks: dict[str, str],
    change: dict[str, Any],
) -> Merged:
    """Decide field by field; ``local_values`` are in wire form, like the change's."""
    out = Merged()
    bases = change.get("b") or {}
    for name, remote_clock in change_clocks(change).items():
        if name in LOCAL_COLUMNS:
            continue
        remote_value = change["f"][name]
        local_clock = local_clocks.get(name)
        if local_clock is None:
            out.updates[name] = remote_value
            out.clocks[name] = remote_clock
            continue
        if remote_clock == local_clock:
            continue  # the same write, seen again
        remote_wins = remote_clock > local_clock
        if remote_wins:
            out.updates[name] = remote_value
            out.clocks[name] = remote_clock
        concurrent = bases.get(name) != local_clock
        local_value = local_values.get(name)
        if concurrent and local_value != remote_value and name not in QUIET_FIELDS:
            out.conflicts.append(
                FieldConflict(
                    name,
                    local_value,
                    remote_value,
                    local_clock,
                    remote_clock,
                    "remote" if remote_wins else "local",
                )
            )
    return out


def fold_clocks(entries: Iterable[tuple[str, str, str | None]]) -> dict[str, str]:
    """A row's per-field stamps from its log entries (stamp, fields JSON, clocks JSON)."""
    return fold_parsed(
        (stamp, orjson.loads(fields_json), orjson.loads(clocks_json) if clocks_json else None)
        for stamp, fields_json, clocks_json in entries
    )


def fold_parsed(entries: Iterable[tuple[str, Iterable[str], dict[str, str] | None]]) -> dict:
    """The same from parsed entries: (stamp, field names, per-field stamps or None)."""
    clocks: dict[str, str] = {}
    for stamp, names, per_field in entries:
        if per_field:
            for name in names:
                s = per_field.get(name, stamp)
                if s > clocks.get(name, ""):
                    clocks[name] = s
        else:
            for name in names:
                if stamp > clocks.get(name, ""):
                    clocks[name] = stamp
    return clocks
