"""Columns every replicated row carries, and the time and id helpers they use.

Sync (ARCHITECTURE.md) needs each row to have a time-ordered UUID, the owning
stronghold's code, timestamps, a tombstone and a version from the very first migration,
so no later schema rewrite is needed when a register starts syncing.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import uuid6
from sqlalchemy import DateTime, String, TypeDecorator
from sqlmodel import Field, SQLModel

from app.tz import TASHKENT, today_local  # noqa: F401 - where the model's users find them


def new_id() -> uuid.UUID:
    """A UUIDv7: time-ordered, so new rows append to the primary-key index."""
    return uuid.UUID(bytes=uuid6.uuid7().bytes)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator):
    """Stores UTC without offset (portable to SQLite and PostgreSQL), returns aware UTC."""

    impl = DateTime
    cache_ok = True

    @property
    def python_type(self) -> type:
        return datetime

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use aware datetimes in UTC")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):  # raw SQLite text written by triggers or imports
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def code_field(*, default: str | None = None, index: bool = False, nullable: bool = False):
    """A stable enum code stored as plain text, so adding a code needs no migration."""
    kwargs = {"sa_type": String(40), "index": index, "nullable": nullable}
    if default is not None:
        kwargs["default"] = default
    return Field(**kwargs)


def ts_field(*, nullable: bool = False, index: bool = False, default_now: bool = False):
    if default_now:
        return Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=nullable, index=index)
    return Field(default=None, sa_type=UtcDateTime, nullable=nullable, index=index)


class Replicated(SQLModel):
    """Mixin for rows that sync between devices and headquarters."""

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    # Codes are assigned by HQ; None marks HQ's reference data, shared by every stronghold.
    stronghold_code: str | None = Field(default=None, sa_type=String(16), index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    deleted: bool = Field(default=False)
    version: int = Field(default=1)
