"""Conflicts: a field two computers changed at the same time, for a person to decide.

Sync has already picked a value (the later stamp wins everywhere); a conflict record
keeps the other one. It stays open while the winning value is still the field's
current value; once anyone edits that field again (here or elsewhere) the question is
answered and the conflict leaves the list. Resolving writes the chosen value as a new
edit, so it syncs like any other and closes the conflict on every computer.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from app.db.register import Register
from app.errors import NotFoundError, ValidationError
from app.i18n import N_
from app.services.base import require_permission
from app.sync import catalog, changes, device
from app.sync.merge import fold_clocks

log = logging.getLogger(__name__)

KEEP_LOCAL, KEEP_REMOTE = "local", "remote"


@dataclass(frozen=True)
class Conflict:
    """One open conflict, with both values in the form the table's column holds."""

    id: str
    table: str
    row_id: str
    field: str
    local_value: Any
    remote_value: Any
    winner: str  # "local" or "remote": which value the record holds now
    remote_origin: str | None  # the device that made the other edit ("hq" for HQ)
    created_at: datetime

    @property
    def current_value(self) -> Any:
        return self.local_value if self.winner == KEEP_LOCAL else self.remote_value


def _value(table: str, field: str, text: str | None) -> Any:
    if text is None:
        return None
    wire = json.loads(text)
    info = catalog.table(table)
    if info is None or field not in info.kinds:
        return wire
    return catalog.to_python(info.kinds[field], wire)


def _field_clock(conn: Connection, table: str, row_id: str, field: str) -> str | None:
    rows = conn.exec_driver_sql(
        "SELECT hlc, fields, clocks FROM sync_change WHERE state != 2 AND tbl = ? AND row_id = ?",
        (table, row_id),
    ).fetchall()
    return fold_clocks(rows).get(field)


def _open_rows(conn: Connection) -> list[tuple]:
    rows = conn.exec_driver_sql(
        "SELECT id, tbl, row_id, field, local_value, remote_value, local_hlc, remote_hlc, "
        "winner, remote_origin, created_at FROM sync_conflict WHERE resolved_at IS NULL "
        "ORDER BY created_at, id"
    ).fetchall()
    out = []
    clocks: dict[tuple[str, str, str], str | None] = {}
    for r in rows:
        key = (r[1], r[2], r[3])
        if key not in clocks:
            clocks[key] = _field_clock(conn, *key)
        if clocks[key] == max(r[6], r[7]):
            out.append(tuple(r))
    return out


def _record(r: tuple) -> Conflict:
    return Conflict(
        id=r[0],
        table=r[1],
        row_id=r[2],
        field=r[3],
        local_value=_value(r[1], r[3], r[4]),
        remote_value=_value(r[1], r[3], r[5]),
        winner=r[8],
        remote_origin=r[9],
        created_at=datetime.fromisoformat(r[10]).replace(tzinfo=UTC),
    )


def count_open(conn: Connection) -> int:
    return len(_open_rows(conn))


def list_open(reg: Register) -> list[Conflict]:
    """Open conflicts, oldest first."""
    require_permission(reg, "read")
    with reg.engine.connect() as conn:
        return [_record(r) for r in _open_rows(conn)]


class UnknownConflictError(NotFoundError):
    code = "unknown_conflict"
    template = N_("No open conflict with this id: {id}. It may have been resolved already.")


def resolve(reg: Register, conflict_id: str, keep: Any = KEEP_LOCAL) -> Conflict:
    """Settle a conflict: keep ``"local"``, ``"remote"``, or a value typed by the user.

    The value is written as a new edit of this computer, so it syncs and settles the
    same conflict on the others.
    """
    require_permission(reg, "write")
    with reg.write_engine.begin() as conn:
        open_rows = {r[0]: r for r in _open_rows(conn)}
        r = open_rows.get(conflict_id)
        if r is None:
            raise UnknownConflictError(id=conflict_id)
        table, row_id, field = r[1], r[2], r[3]
        info = catalog.tables()[table]
        if keep == KEEP_LOCAL:
            wire, how = json.loads(r[4]), KEEP_LOCAL
        elif keep == KEEP_REMOTE:
            wire, how = json.loads(r[5]), KEEP_REMOTE
        else:
            wire, how = catalog.to_wire(info.kinds[field], keep), "value"
            if not changes.valid_value(table, field, wire):
                raise ValidationError(fields={field: N_("This value is not valid.")})
        device.write_local(conn, table, row_id, {field: wire})
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        # Every open question about this field is answered by the same edit.
        conn.exec_driver_sql(
            "UPDATE sync_conflict SET resolved_at = ?, resolution = ? WHERE tbl = ? AND "
            "row_id = ? AND field = ? AND resolved_at IS NULL",
            (now, how, table, row_id, field),
        )
        device.audit_in(
            conn, reg, "sync_resolve", table=table, record=row_id, field=field, keep=how
        )
    log.info("conflict %s resolved (%s)", conflict_id[:8], how)
    return _record(r)
