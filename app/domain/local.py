"""Per-install state that never syncs: this device's id, counters, cursors."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class LocalState(SQLModel, table=True):
    __tablename__ = "local_state"

    key: str = Field(primary_key=True, max_length=80)
    value: str = Field(default="")
