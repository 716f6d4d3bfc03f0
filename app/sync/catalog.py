"""Which tables replicate, how their values travel, and the rules HQ enforces per table.

Values travel in their SQLite storage form (UUIDs as 32 hex digits, date-times as
``YYYY-MM-DD HH:MM:SS.ffffff`` in UTC, booleans as 0/1, blobs as hex text), the form the
device's triggers read them in. A SQLite replica stores them as they come, which keeps a
50,000-row bundle cheap; PostgreSQL at HQ converts them with ``to_python``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    Table,
    UniqueConstraint,
    Uuid,
)
from sqlmodel import SQLModel

import app.domain  # noqa: F401  registers every table on SQLModel.metadata
from app.domain.base import UtcDateTime

# Columns every replicated row has (app/domain/base.py); a table with all of them syncs.
REPLICATED_COLUMNS = frozenset(
    {"id", "stronghold_code", "created_at", "updated_at", "deleted", "version"}
)
# Per-install bookkeeping: the row's version counts local edits and is never merged.
LOCAL_COLUMNS = frozenset({"version"})
NOT_REPLICATED = frozenset({"local_state"})

# HQ's reference data, shared by every stronghold: only HQ writes it.
REFERENCE_TABLES = frozenset({"region", "district", "makhalla", "order_duration"})
# The audit log: it travels with the users' changes, but is not counted as one of them.
AUDIT_TABLE = "audit_entry"
# Never changed once written: a correction is a new document.
IMMUTABLE_TABLES = frozenset({"issued_document", AUDIT_TABLE})
# Only added (or tombstoned): two computers recording visits never merge fields.
INSERT_ONLY_TABLES = frozenset({"household_visit", "check_in", "visit_person"})
TOMBSTONE_FIELDS = frozenset({"deleted", "updated_at"})
# Fields only HQ may set; a device's change that sets one is rejected.
HQ_ONLY_FIELDS: dict[str, frozenset[str]] = {
    "*": frozenset({"stronghold_code"}),
    "stronghold": frozenset({"code", "name", "region", "district", "makhalla", "makhalla_id"}),
}
# Rows two computers create independently for the same thing (every register starts
# with its stronghold's row and default settings): HQ keeps the first and maps the
# others onto it, and tells the device to re-key its copy.
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "stronghold": ("code",),
    "setting": ("stronghold_code", "key"),
}


def twin_fills(table: str, row: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """What another register's creation of the same thing (NATURAL_KEYS) adds to the row
    HQ keeps: the fields the row has empty and the twin has filled in. Never the key, the
    bookkeeping columns or references (they point at the twin's own rows)."""
    skip = set(NATURAL_KEYS[table]) | REPLICATED_COLUMNS | set(tables()[table].foreign_keys)
    return {
        k: v
        for k, v in given.items()
        if k not in skip and row.get(k) in (None, "") and v not in (None, "")
    }


def hq_only_fields(table: str) -> frozenset[str]:
    return HQ_ONLY_FIELDS["*"] | HQ_ONLY_FIELDS.get(table, frozenset())


def kind_of(sa_type: Any) -> str:
    if isinstance(sa_type, Uuid):
        return "uuid"
    if isinstance(sa_type, UtcDateTime | DateTime):
        return "datetime"
    if isinstance(sa_type, Date):
        return "date"
    if isinstance(sa_type, Boolean):
        return "bool"
    if isinstance(sa_type, LargeBinary):
        return "blob"
    if isinstance(sa_type, Integer):
        return "int"
    if isinstance(sa_type, Float):
        return "float"
    return "str"


@dataclass(frozen=True)
class TableInfo:
    name: str
    table: Table
    kinds: dict[str, str]  # column -> kind, every column
    required: frozenset[str]  # NOT NULL columns without a default in the table
    foreign_keys: dict[str, str]  # column -> referenced table

    @property
    def synced_columns(self) -> list[str]:
        return [c for c in self.kinds if c != "id"]


@cache
def tables() -> dict[str, TableInfo]:
    """Every replicated table of app.domain, in foreign-key dependency order."""
    out: dict[str, TableInfo] = {}
    for table in SQLModel.metadata.sorted_tables:
        names = {c.name for c in table.columns}
        if table.name in NOT_REPLICATED or not REPLICATED_COLUMNS <= names:
            continue
        kinds = {c.name: kind_of(c.type) for c in table.columns}
        required = frozenset(
            c.name
            for c in table.columns
            if not c.nullable and c.server_default is None and c.name not in REPLICATED_COLUMNS
        )
        fks = {}
        for c in table.columns:
            for fk in c.foreign_keys:
                fks[c.name] = fk.column.table.name
        out[table.name] = TableInfo(table.name, table, kinds, required, fks)
    return out


@cache
def unique_keys() -> dict[str, tuple[str, ...]]:
    """Columns that must be unique together besides the id (an issued document's number
    per stronghold and year), for the tables not merged by natural key."""
    out = {}
    for name, info in tables().items():
        if name in NATURAL_KEYS:
            continue
        for constraint in info.table.constraints:
            if isinstance(constraint, UniqueConstraint):
                out[name] = tuple(c.name for c in constraint.columns)
    return out


def table(name: str) -> TableInfo | None:
    return tables().get(name)


# --- values ---------------------------------------------------------------------------

_DT_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def to_python(kind: str, value: Any) -> Any:
    """A wire value as the Python value SQLAlchemy binds (for PostgreSQL)."""
    if value is None:
        return None
    if kind == "uuid":
        return uuid.UUID(str(value))
    if kind == "datetime":
        dt = datetime.fromisoformat(str(value))
        return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    if kind == "date":
        return date.fromisoformat(str(value)[:10])
    if kind == "bool":
        return bool(value)
    if kind == "blob":
        return bytes.fromhex(value)
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    return str(value)


def to_sqlite(kind: str, value: Any) -> Any:
    """A wire value as SQLite stores it (only blobs differ from the wire form)."""
    if kind == "blob" and value is not None:
        return bytes.fromhex(value)
    return value


def to_wire(kind: str, value: Any) -> Any:
    """A Python (or SQLite-stored) value in its wire form."""
    if value is None:
        return None
    if kind == "uuid":
        return value.hex if isinstance(value, uuid.UUID) else uuid.UUID(str(value)).hex
    if kind == "datetime":
        if isinstance(value, str):
            return value
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.strftime(_DT_FORMAT)
    if kind == "date":
        return value.isoformat() if isinstance(value, date) else str(value)
    if kind == "bool":
        return 1 if value else 0
    if kind == "blob":
        return bytes(value).hex()
    return value


def row_key(value: Any) -> str:
    """A row id in its wire form (what the change log and the tables hold)."""
    return to_wire("uuid", value)
